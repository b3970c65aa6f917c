"""The engine: cleaned article text in, a `Digest` out.

    clean → segment → parse (one spaCy Doc) → quotes → speakers → tldr → implications → dispute

The spaCy pipeline is loaded once by `DigestEngine` and reused; each stage is a pure function over
the parsed article. The same text always gives the same digest. Cost is linear in length: a long
text is parsed in bounded pieces joined into one Doc (`nlp.parse_text`), every stage looks things
up by index rather than scanning the article per quote, and at most MAX_CHARS are analysed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from spacy.language import Language

from . import clean as cleaning
from .dispute import find_dispute
from .entities import find_entities
from .errors import ArticleError
from .implications import find_implications
from .language import detect_language, is_english, load_language_model
from .leadtldr import lead_tldr
from .models import Article, ArticleMeta, Digest, Quote, Span, Truncation
from .nlp import MAX_CHARS, load_nlp, parse_text
from .parsed import ParsedArticle, blocks_of
from .quotes import find_quotes
from .segment import Layout, segment
from .tldr import make_tldr

ENGINE_NAME = "newsdigest-offline/0.1"
MIN_WORDS = 20
# The longest text accepted at all, five times what is analysed (MAX_CHARS): the text of the largest
# web page the bot reads (5 MB) fits. Only its opening, up to MAX_CHARS, is cleaned and digested.
MAX_INPUT_CHARS = 5 * MAX_CHARS


def article_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_text(text: str, limit: int = MAX_INPUT_CHARS) -> None:
    if "\x00" in text:
        raise ArticleError("the input looks like a binary file, not an article")
    words = len(text.split())
    if words == 0:
        raise ArticleError("the article is empty")
    if words < MIN_WORDS:
        raise ArticleError(f"the article is too short to digest ({words} words; at least {MIN_WORDS} needed)")
    if len(text) > limit:
        raise ArticleError(f"the article is too long to digest ({len(text):,} characters; the limit is {limit:,})")


def _opening(text: str, limit: int) -> str:
    """At most `limit` characters from the start of `text`, ending at a line break (else a space)
    when there is one in the second half."""
    if len(text) <= limit:
        return text
    for sep in ("\n", " "):
        cut = text.rfind(sep, 0, limit)
        if cut >= limit // 2:
            return text[:cut]
    return text[:limit]


def _opening_layout(layout: Layout, limit: int) -> Layout:
    """The layout cut to its blocks that end within `limit` (segmenting puts a blank line between
    paragraphs, so a text within the limit can come out a little longer)."""
    if len(layout.text) <= limit:
        return layout
    blocks = [b for b in layout.blocks if b.end <= limit]
    if not blocks:
        text = _opening(layout.text, limit).rstrip()
        return Layout(text=text, title=layout.title, published=layout.published, blocks=blocks_of(text))
    return Layout(text=layout.text[:blocks[-1].end], title=layout.title, published=layout.published, blocks=blocks)


class DigestEngine:
    """Holds the loaded pipeline; `digest` and `quotes` are safe to call many times.

    `max_chars` is the most text one digest analyses (an article longer than that is digested up to
    there, and says so); `max_input_chars` the longest text accepted at all."""

    name = "offline"  # as NEWSDIGEST_ENGINE selects it (bot/engines.py)

    def __init__(self, nlp: Language | None = None, max_chars: int = MAX_CHARS,
                 max_input_chars: int = MAX_INPUT_CHARS) -> None:
        self.nlp = nlp or load_nlp()
        load_language_model()
        self.max_chars = max_chars
        self.max_input_chars = max_input_chars

    def warm_up(self) -> None:
        """Nothing left to load: the pipeline and the language model load when the engine is built."""

    def _layout(self, raw_text: str, meta: ArticleMeta) -> tuple[Layout, bool]:
        """The cleaned, segmented opening of `raw_text` and whether it is the whole text."""
        _check_text(raw_text, self.max_input_chars)
        # Cut before cleaning, so that neither cleaning nor parsing ever sees more than max_chars.
        opening = _opening(raw_text, self.max_chars)
        whole = segment(cleaning.clean(opening), title=meta.title, published=meta.published)
        layout = _opening_layout(whole, self.max_chars)
        _check_text(layout.text, self.max_chars)
        return layout, len(opening) == len(raw_text) and len(layout.text) == len(whole.text)

    def parse(self, raw_text: str, meta: ArticleMeta | None = None,
              checkpoint: Callable[[], None] | None = None) -> ParsedArticle:
        layout, complete = self._layout(raw_text, meta or ArticleMeta())
        return ParsedArticle(layout=layout, doc=parse_text(self.nlp, layout.text, checkpoint), complete=complete)

    def _article(self, layout: Layout, complete: bool, raw_text: str, meta: ArticleMeta, language: str) -> Article:
        text = layout.text
        words = len(text.split())
        return Article(
            id=article_id(text),
            title=layout.title,
            published=layout.published,
            url=meta.url,
            source=meta.source,
            author=meta.author,
            word_count=words,
            text=text,
            sections=[Span(text=text[b.start:b.end], start=b.start, end=b.end) for b in layout.blocks if b.kind == "heading"],
            truncated=None if complete else Truncation(analysed_words=words, total_words=len(raw_text.split())),
            language=language,
        )

    def digest(self, raw_text: str, meta: ArticleMeta | None = None,
               checkpoint: Callable[[], None] | None = None) -> Digest:
        """The digest of one article. `checkpoint`, when given, is called between the steps (and
        between the parsed pieces of a long text): the caller may raise there to stop a digest it
        no longer waits for. The engine itself keeps no clock."""
        return self.digest_parsed(raw_text, meta, checkpoint)[0]

    def digest_parsed(self, raw_text: str, meta: ArticleMeta | None = None,
                      checkpoint: Callable[[], None] | None = None) -> tuple[Digest, ParsedArticle | None]:
        """`digest`, and the parsed article it was made from (None for a text not in English, which
        is not parsed): for an engine that builds on the offline one (bot/llm.py)."""
        meta = meta or ArticleMeta()
        step = checkpoint or (lambda: None)
        layout, complete = self._layout(raw_text, meta)
        language = detect_language(layout.text)
        if not is_english(language):
            # The English model would pair quote marks wrongly and find fragments as names: a page in
            # another language gets its title, date and lead, and says which language it is in.
            return Digest(article=self._article(layout, complete, raw_text, meta, language),
                          tldr=lead_tldr(layout), engine=ENGINE_NAME), None
        parsed = ParsedArticle(layout=layout, doc=parse_text(self.nlp, layout.text, checkpoint), complete=complete)
        step()
        quotes = find_quotes(parsed)
        step()
        article = self._article(layout, complete, raw_text, meta, language)
        tldr = make_tldr(parsed)
        implications = find_implications(parsed)
        step()
        dispute = find_dispute(parsed, quotes, implications)
        step()
        return Digest(article=article, tldr=tldr, quotes=quotes, implications=implications, dispute=dispute,
                      entities=find_entities(parsed, quotes), engine=ENGINE_NAME), parsed

    def quotes(self, text: str, checkpoint: Callable[[], None] | None = None) -> list[Quote]:
        """Quotes of a text taken as it is (no cleaning), so offsets refer to `text` itself: the
        batch interface the evaluation uses."""
        return self.quotes_parsed(text, checkpoint)[0]

    def quotes_parsed(self, text: str, checkpoint: Callable[[], None] | None = None
                      ) -> tuple[list[Quote], ParsedArticle | None]:
        """`quotes`, and the parsed text they were found in (None for a blank text)."""
        if not text.strip():
            return [], None
        if len(text) > MAX_CHARS:
            raise ArticleError(f"the text is too long ({len(text):,} characters; the limit is {MAX_CHARS:,})")
        doc = parse_text(self.nlp, text, checkpoint)
        parsed = ParsedArticle(layout=Layout(text=text, blocks=blocks_of(text)), doc=doc)
        return find_quotes(parsed), parsed
