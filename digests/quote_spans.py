"""Find quoted passages in the article text and decide which are quotations (spans only; the
speakers come from `speakers`).

A quotation is kept verbatim: `Quote.text == text[start:end]`, the marks themselves excluded. A
quote left open at the end of a paragraph is closed there; when the next paragraph opens with a
quote mark, that quote continues the previous one (the newspaper convention), which lets it inherit
the speaker. Scare quotes, titles of works and quoted identifiers are not quotations: they are
dropped rather than shown with a guessed speaker. So are passages the words before the marks
introduce as a word ("the word “We”"), a title ("NBC’s “Evening Roundup”"), a nickname, a slogan or
a sign, and single capitalised words that are not an utterance of their own (`introduced_as`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from spacy.tokens import Token

from .parsed import ParsedArticle
from .segment import Block

OPENERS = {"\u201c": "\u201d", "\u00ab": "\u00bb", "\u201e": "\u201d"}
CLOSERS = {"\u201d", "\u00bb"}
STRAIGHT = '"'
_WORDISH = re.compile(r"[A-Za-z]")
_IDENTIFIER = re.compile(r"^[@#]?[\w.]+$")


@dataclass
class QuoteSpan:
    """One quoted passage: `start`/`end` are the inner text (trimmed), `open`/`close` the marks
    (`close` is the paragraph end when the quote was left open)."""

    start: int
    end: int
    open: int
    close: int
    block: int
    closed: bool
    continues: bool = False  # opens a paragraph right after a quote left open
    headline: bool = False  # single marks in the article's headline ("Doe: Plan Is ‘Dead’")


def _misused_as_closer(text: str, i: int, end: int) -> bool:
    """An opening mark while a quote is open, stuck to the word before it and followed by a space,
    punctuation or the paragraph end, closes that quote."""
    after = text[i + 1] if i + 1 < end else " "
    return i > 0 and (text[i - 1].isalnum() or text[i - 1] in ".,!?") and (after.isspace() or after in ".,;:!?)")


def _pair_marks(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(open, close, closed) mark positions in one paragraph."""
    found: list[tuple[int, int, bool]] = []
    open_at: int | None = None
    for i in range(start, end):
        ch = text[i]
        if ch in OPENERS and open_at is None:
            open_at = i
        elif ch in OPENERS and open_at is not None and _misused_as_closer(text, i, end):
            # “Frozen“ and …: an opening mark typed where the closing one belongs.
            found.append((open_at, i, True))
            open_at = None
        elif ch in CLOSERS and open_at is not None:
            found.append((open_at, i, True))
            open_at = None
        elif ch == STRAIGHT:
            if open_at is None:
                open_at = i
            elif text[open_at] == STRAIGHT or text[open_at] in OPENERS:
                found.append((open_at, i, True))
                open_at = None
    if open_at is not None:
        found.append((open_at, end, False))
    return found


# Headlines quote in single marks. An opening mark follows a space, a dash or the line start and
# comes before a word; a closing one follows a word or punctuation and comes before a space,
# punctuation or the end; so "Trump's" and "’90s" are never marks.
_HEADLINE_QUOTE = re.compile(r"(?:^|(?<=[\s(\u2014\u2013-]))[\u2018'](?=[\w$])(.+?)(?<=[\w.,!?%])[\u2019'](?=[\s.,:;!?)\u2014\u2013-]|$)")
HEADLINE_CHARS = 200  # a first line longer than this is a paragraph, not a headline


def _headline_spans(text: str, block: Block) -> list[tuple[int, int]]:
    """Inner (start, end) of the single-quoted passages of a short first line."""
    line = text[block.start:block.end]
    if len(line) > HEADLINE_CHARS or any(ch in line for ch in (*OPENERS, STRAIGHT)):
        return []
    return [(block.start + m.start(1), block.start + m.end(1)) for m in _HEADLINE_QUOTE.finditer(line)]


def find_spans(parsed: ParsedArticle) -> list[QuoteSpan]:
    text = parsed.text
    spans: list[QuoteSpan] = []
    previous_open = False
    for index, block in enumerate(parsed.layout.blocks):
        if block.kind == "heading":
            previous_open = False
            continue
        if index == 0:
            for s, e in _headline_spans(text, block):
                inner_end = e - 1 if text[e - 1] == "," else e
                spans.append(QuoteSpan(s, inner_end, s - 1, e, index, True, headline=True))
        marks = _pair_marks(text, block.start, block.end)
        for n, (o, c, closed) in enumerate(marks):
            s, e = o + 1, c
            while s < e and text[s].isspace():
                s += 1
            # The comma before an attribution ("…,” she said) is the writer's, not the speaker's.
            while e > s and (text[e - 1].isspace() or text[e - 1] == ","):
                e -= 1
            if e <= s:
                continue
            continues = n == 0 and previous_open and o == block.start
            spans.append(QuoteSpan(s, e, o, c, index, closed, continues))
        previous_open = bool(marks) and not marks[-1][2]
    return spans


def is_not_a_quotation(text: str, span: QuoteSpan) -> bool:
    """Quoted identifiers (tweet ids, @handles, numbers) are not anyone's words."""
    inner = text[span.start:span.end].strip(" ,.;:")
    if not _WORDISH.search(inner):
        return True
    return " " not in inner and bool(_IDENTIFIER.match(inner)) and not inner.isalpha()


_FUNCTION_WORDS = frozenset("a an the of and or in on at to for with from by is are was be as vs via de la".split())


def looks_like_title(inner: str) -> bool:
    """ “Orange Is the New Black”, “Fox & Friends”, “Apollo 13”: a title of a work, show or event,
    every content word capitalised, no sentence inside."""
    words = re.findall(r"[\w'\u2019&-]+", inner)
    if not words or len(words) > 8:
        return False
    if re.search(r"[.!?]\s+\S", inner):
        return False
    content = [w for w in words[1:] if w.lower() not in _FUNCTION_WORDS] + [words[0]]
    return all(w[:1].isupper() or w[:1].isdigit() or w in {"&"} for w in content)


def looks_like_scare_quote(inner: str, word_before: Token | None = None, strict: bool = False) -> bool:
    """A word or three set off by the writer ("so-called “rebels”", "the emerging “API access
    wars”"), not anyone's sentence. `strict` asks for the stronger sign, a modifier right before
    the marks, where the sentence does name someone who might have said the words."""
    words = inner.strip(" ,.;:").split()
    if not 0 < len(words) <= 3:
        return False
    modifies_noun = word_before is not None and (
        word_before.pos_ in {"DET", "ADJ"} or word_before.dep_ in {"amod", "poss"} or word_before.lower_ == "so-called")
    return modifies_noun if strict else (not inner[:1].isupper() or modifies_noun)


# What the writer calls a quoted passage right before its marks, when that says it is not anyone's
# utterance: a word mentioned as a word, a title of a work, a nickname, a slogan or a sign.
# ("the words “…”" often introduces an utterance, so only the singular counts.)
_WORDS_AS_WORDS = re.compile(r"\b(?:the|a|this|that)\s+(?:word|(?:term|phrase|expression|label|hashtag|acronym)s?)"
                             r"\s*,?\s*$", re.I)
_TITLE_NOUNS = re.compile(
    r"\b(?:show|program|programme|series|sitcom|drama|film|movie|book|memoir|novel|song|album|play|musical|"
    r"column|podcast|documentary|episode|magazine|newspaper|blog|exhibit|exhibition|titled|entitled|"
    r"(?:star|author|host|cast|creator|director|producer|writer|anchor|episode|season) of|"
    r"(?:interview|appearance|conversation) (?:on|with)|appeared on|"
    # "said on “Meet the Voters”", "told “Morning Brief”": a title-cased name after these is a show.
    r"(?:said|says|spoke|speaking|appeared|appearing) on|told)\s*,?\s*$", re.I)
_NICKNAME = re.compile(r"\b(?:nickname[ds]?|known as|moniker)\s*,?\s*$", re.I)
_SLOGAN = re.compile(r"\b(?:slogan|motto|tagline|banner|placard|t-shirt|"
                     r"(?:signs?|hats?|shirts?)(?: (?:that|which))? (?:read|reading|said|saying))\s*[,:]?\s*(?:\u2014\s*)?$",
                     re.I)
# A broadcaster or publisher's possessive before a title ("MSNBC's “Morning Joe”", "television's “X”").
_OUTLET_POSSESSIVE = re.compile(r"(?:\b[A-Z]{2,5}|\btelevision|\bNetflix|\bHBO)['\u2019]s\s*$")


def _opens_paragraph(text: str, span: QuoteSpan, block_start: int) -> bool:
    """The quote stands at the start of its paragraph or after a colon: an utterance, however short."""
    return not text[block_start:span.open].strip() or text[block_start:span.open].rstrip().endswith(":")


def introduced_as(text: str, span: QuoteSpan, block_start: int) -> str | None:
    """ "the word “We”", "the show “Veep”", "her nickname, “Gert”", "a sign reading “…”": what the
    words before the marks call the quoted passage, when that makes it no one's utterance."""
    before = text[max(block_start, span.open - 60):span.open]
    inner = text[span.start:span.end]
    if _WORDS_AS_WORDS.search(before) and len(inner.split()) <= 4:
        return "word"
    if _NICKNAME.search(before) and len(inner.split()) <= 4:
        return "nickname"
    if _SLOGAN.search(before):
        return "slogan"
    # A single capitalised word, not an utterance of its own ("“Probably.”"), is a name or a title.
    word = inner.strip(" ,;:")
    if word.isalpha() and word[:1].isupper() and len(word) > 1 and not _opens_paragraph(text, span, block_start):
        return "single word"
    if looks_like_title(inner) and (_TITLE_NOUNS.search(before) or _OUTLET_POSSESSIVE.search(before)):
        return "title"
    return None


def inside_quote(idx: int, spans: list[QuoteSpan]) -> bool:
    """Whether `idx` lies within a quote's marks; `spans` are in text order and do not overlap, so
    only the last one opening at or before `idx` can hold it."""
    n = bisect.bisect_right(spans, idx, key=lambda s: s.open) - 1
    return n >= 0 and idx < spans[n].close + 1
