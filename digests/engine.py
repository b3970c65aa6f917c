"""The engine: cleaned article text in, a `Digest` out.

    clean → segment → parse (one spaCy Doc) → quotes → speakers → tldr → implications → dispute

The spaCy pipeline is loaded once by `DigestEngine` and reused; each stage is a pure function over
the parsed article. The same text always gives the same digest.
"""

from __future__ import annotations

import hashlib
from spacy.language import Language

from . import clean as cleaning
from .dispute import find_dispute
from .entities import find_entities
from .errors import ArticleError
from .implications import find_implications
from .models import Article, ArticleMeta, Digest, Quote, Span
from .nlp import MAX_CHARS, load_nlp
from .parsed import ParsedArticle, blocks_of
from .quotes import find_quotes
from .segment import Layout, segment
from .tldr import make_tldr

ENGINE_NAME = "newsdigest-offline/0.1"
MIN_WORDS = 20


def article_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise ArticleError("the input looks like a binary file, not an article")
    words = len(text.split())
    if words == 0:
        raise ArticleError("the article is empty")
    if words < MIN_WORDS:
        raise ArticleError(f"the article is too short to digest ({words} words; at least {MIN_WORDS} needed)")
    if len(text) > MAX_CHARS:
        raise ArticleError(f"the article is too long to digest ({len(text):,} characters; the limit is {MAX_CHARS:,})")


class DigestEngine:
    """Holds the loaded pipeline; `digest` and `quotes` are safe to call many times."""

    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or load_nlp()

    def parse(self, raw_text: str, meta: ArticleMeta | None = None) -> ParsedArticle:
        meta = meta or ArticleMeta()
        _check_text(raw_text)
        layout = segment(cleaning.clean(raw_text), title=meta.title, published=meta.published)
        _check_text(layout.text)
        return ParsedArticle(layout=layout, doc=self.nlp(layout.text))

    def digest(self, raw_text: str, meta: ArticleMeta | None = None) -> Digest:
        meta = meta or ArticleMeta()
        parsed = self.parse(raw_text, meta)
        quotes = find_quotes(parsed)
        text = parsed.text
        article = Article(
            id=article_id(text),
            title=parsed.layout.title,
            published=parsed.layout.published,
            url=meta.url,
            source=meta.source,
            author=meta.author,
            word_count=len(text.split()),
            text=text,
            sections=[Span(text=text[b.start:b.end], start=b.start, end=b.end) for b in parsed.layout.blocks if b.kind == "heading"],
        )
        return Digest(
            article=article,
            tldr=make_tldr(parsed),
            quotes=quotes,
            implications=find_implications(parsed),
            dispute=find_dispute(parsed, quotes),
            entities=find_entities(parsed, quotes),
            engine=ENGINE_NAME,
        )

    def quotes(self, text: str) -> list[Quote]:
        """Quotes of a text taken as it is (no cleaning), so offsets refer to `text` itself: the
        batch interface the evaluation uses."""
        if not text.strip():
            return []
        if len(text) > MAX_CHARS:
            raise ArticleError(f"the text is too long ({len(text):,} characters; the limit is {MAX_CHARS:,})")
        doc = self.nlp(text)
        return find_quotes(ParsedArticle(layout=Layout(text=text, blocks=blocks_of(text)), doc=doc))
