"""The sentences of the article body and what each one holds, computed once per article.

`ParsedArticle` exposes them as cached properties (`sentences`, `quoted`, `ents`, `mentions`) and
every summary stage reads those, instead of each stage re-splitting and re-scanning the text.

spaCy's sentences run across paragraph breaks and swallow headings, so they are clipped to the body
blocks here; a dateline, byline or timestamp that opens a sentence ("WASHINGTON (AP) —",
"By . Jane Doe . PUBLISHED: … | UPDATED: …") is left out of it, so no stage ever shows one.
`is_prose` says whether a sentence is a well-formed sentence of prose a reader can be shown alone.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.tokens import Doc, Span

from .clean import is_chrome
from .segment import _BULLET_MARK, Block

if TYPE_CHECKING:
    from .parsed import ParsedArticle

_QUOTED = re.compile(r'"[^"\n]{1,3000}"|“[^”\n]{1,3000}”')
_DASH = r"(?:--|—|–|-)"
# What can open a sentence without being part of it, tried again and again at its start.
_LEAD_INS = [
    # "By . Jane Doe ." / "By . Jane Doe For Mailonline ." (scraped bylines keep their separators)
    re.compile(r"By\s+\.\s+[^.\n]{2,80}?\s+\.\s+"),
    # "PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . …" and "Last updated at 3:31 PM on 19th July 2011 ."
    re.compile(r"(?:(?:Last )?updated|published|posted)\s*:?\s*\.?\s*(?:at\s+|on\s+)?[^|\n]{0,60}?\b\d{4}\b\s*\.?\s*(?:\|\s*\.?\s*)?",
               re.IGNORECASE),
    # "(CNN) --", "Canberra, Australia (CNN) --", "WASHINGTON (Reuters) -"
    re.compile(rf"(?:[A-Z][\w.'’-]*(?:,?\s+[A-Z][\w.'’-]*){{0,4}}\s+)?\((?:CNN|AP|AFP|Reuters|UPI|[A-Z][A-Za-z.]{{1,15}})\)\s*{_DASH}\s*"),
    # "WASHINGTON —", "SAN FRANCISCO, Calif. —"
    re.compile(r"[A-Z]{2,}(?:[ ,]+[A-Z][\w.]*){0,3}\s+(?:--|—|–)\s*"),
]
# The finite verb forms of the English tag set: a sentence without one is a label or a list item.
_FINITE = {"VBD", "VBZ", "VBP", "MD"}
_TERMINAL = (".", "!", "…")
_CLOSERS = "\"'”’)]"
# "Campaign: Magic Johnson has …", "In the lead: …": a photo caption's label.
_CAPTION_LABEL = re.compile(r"^[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,3}:\s")
_PROMO = re.compile(r"\b(?:scroll down|click here|read more|sign up for|subscribe to our|watch the video|follow us on"
                    r"|all times local|download the app)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the article body: `text == article_text[start:end]`."""

    start: int
    end: int
    text: str
    block: Block


def content_start(text: str, block: Block) -> int:
    """Where a block's own words begin: after a bullet mark and after a "Label:" prefix."""
    start = block.start
    # Match on the block itself: a compiled pattern's "^" ignores a start position.
    mark = _BULLET_MARK.match(text[block.start:block.end])
    if mark:
        start += mark.end()
    if block.label_end is not None and block.label_end > start:
        start = block.label_end
        while start < block.end and (text[start] == ":" or text[start].isspace()):
            start += 1
    return start


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def lead_in_end(text: str, start: int, end: int) -> int:
    """Where a sentence's own words begin, after any dateline, byline or timestamp opening it."""
    moved = True
    while moved and start < end:
        moved = False
        for pattern in _LEAD_INS:
            match = pattern.match(text, start, end)
            if match and match.end() > start:
                start, moved = match.end(), True
    return start


def split_body(text: str, blocks: list[Block], doc: Doc) -> list[Sentence]:
    """The sentences inside paragraph and bullet blocks, clipped to their block, lead-ins left out."""
    blocks = blocks or [Block(0, len(text), "paragraph")]
    bounds = [(s.start_char, s.end_char) for s in doc.sents]
    ends = [end for _, end in bounds]
    out: list[Sentence] = []
    for block in blocks:
        if block.kind == "heading":
            continue
        # A paragraph's opening lead-ins first: spaCy cuts "By . Jane Doe . PUBLISHED: …" into many pieces.
        low = lead_in_end(text, content_start(text, block), block.end)
        pieces: list[list[int]] = []
        for s_start, s_end in bounds[bisect.bisect_right(ends, low):]:
            if s_start >= block.end:
                break
            start, end = _strip(text, max(s_start, low), min(s_end, block.end))
            start, end = _strip(text, lead_in_end(text, start, end), end)
            if start >= end:
                continue
            if not any(ch.isalnum() for ch in text[start:end]):
                # A closing quote mark spaCy split off belongs to the sentence before it.
                if pieces:
                    pieces[-1][1] = end
                continue
            pieces.append([start, end])
        out.extend(Sentence(s, e, text[s:e], block) for s, e in pieces)
    return out


def body_sentences(parsed: ParsedArticle) -> list[Sentence]:
    """The article's body sentences (computed once, see `ParsedArticle.sentences`)."""
    return parsed.sentences


def quoted_regions(text: str, extra: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Stretches inside quote marks (within one paragraph), marks included, plus `extra` spans
    (known quotes): sorted and merged, as `quoted_share` needs them."""
    spans = sorted([(m.start(), m.end()) for m in _QUOTED.finditer(text)] + list(extra))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def quoted_share(regions: list[tuple[int, int]], start: int, end: int) -> float:
    """How much of [start, end) lies inside the quoted regions (0..1)."""
    if end <= start:
        return 0.0
    covered = 0
    # Only the region that may straddle `start` and those after it can overlap.
    for r_start, r_end in regions[max(0, bisect.bisect_right(regions, (start, -1)) - 1):]:
        if r_start >= end:
            break
        covered += max(0, min(end, r_end) - max(start, r_start))
    return min(1.0, covered / (end - start))


def entities_in(ents: list[Span], start: int, end: int) -> list[Span]:
    """The entities inside [start, end) of `ents`, a doc's entities in order. (Span.ents rebuilds
    the whole doc's entity list on every call: too slow to ask per sentence.)"""
    first = bisect.bisect_left(ents, start, key=lambda ent: ent.start_char)
    out = []
    for ent in ents[first:]:
        if ent.start_char >= end:
            break
        if ent.end_char <= end:
            out.append(ent)
    return out


def span_of(parsed: ParsedArticle, sentence: Sentence) -> Span:
    span = parsed.doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
    assert span is not None  # "expand" always finds tokens for a non-empty stretch
    return span


def ends_sentence(text: str) -> bool:
    """Terminal punctuation (before any closing quote or bracket) written against the last word: a
    period after a space (" .") closes a scraped photo caption, not prose."""
    stripped = text.rstrip().rstrip(_CLOSERS)
    return stripped.endswith(_TERMINAL) and len(stripped) > 1 and not stripped[-2].isspace()


def has_finite_verb(span: Span) -> bool:
    return any(token.tag_ in _FINITE for token in span)


def has_main_clause(span: Span) -> bool:
    """A finite verb outside every clause that a subordinator opens: "… while she was gone." has one
    only in a clause that hangs on something left out. (Lenient on purpose: the parser often misreads
    a sentence's subject behind an apposition, so the subject itself is not required.)"""
    hanging = {t.i for head in span if any(c.dep_ == "mark" for c in head.children) for t in head.subtree}
    return any(t.tag_ in _FINITE and t.i not in hanging for t in span)


def _link_run(text: str) -> bool:
    """Menu or link-list text run together ("Support Mojang on Twitter Try our other games!"):
    nearly every word capitalised, as no sentence of prose is."""
    words = [w for w in text.split() if w[:1].isalpha()]
    return len(words) >= 6 and sum(w[0].isupper() for w in words) / len(words) >= 0.75


def is_prose(parsed: ParsedArticle, sentence: Sentence, lower_start: bool = False) -> bool:
    """A well-formed statement of the body that can stand alone: it ends a sentence (not a question,
    not a caption's " ."), starts like one, has a finite verb, and is not a caption label, a promo
    line, a run of links or page chrome. A lower-case start marks a fragment of a bad split or a
    slogan; `lower_start` lets one pass when it opens its paragraph (text written all in lower case)."""
    text = sentence.text
    if not ends_sentence(text) or is_chrome(text) or _PROMO.search(text) or _link_run(text):
        return False
    first = text.lstrip("\"'“‘([")[:1]
    if not (first.isupper() or first.isdigit()) and not (
            lower_start and sentence.start == content_start(parsed.text, sentence.block)):
        return False
    span = span_of(parsed, sentence)
    label = _CAPTION_LABEL.match(text)
    if label and not any(t.pos_ in {"VERB", "AUX"} for t in span if t.idx < sentence.start + label.end()):
        return False
    return has_finite_verb(span)
