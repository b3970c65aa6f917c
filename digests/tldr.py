"""TL;DR: one to three of the article's own sentences, verbatim and in article order.

The lead sentence (the first one that states something specific) always comes first; up to two more
are chosen by how much they share with the title and with what the article talks about most.

This module also holds `body_sentences`, the sentence list every summary stage reads: spaCy's
sentences run across paragraph breaks and swallow headings, so they are clipped to the body blocks
here once, and the other stages never see a heading, a bullet label or page chrome.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Span

from .clean import is_chrome
from .parsed import ParsedArticle
from .segment import _BULLET_MARK, Block

MAX_SENTENCES = 3
WORD_BUDGET = 80
RELATIVE_FLOOR = 0.5
MIN_WORDS = 6  # shorter pieces are datelines, captions or chrome, not summary sentences

# Filler that opens a feature without saying anything the reader can use.
_GENERIC = re.compile(
    r"just got (?:a (?:lot|little|bit) |much |even |far )?(?:more|less|better|worse|bigger|hotter|messier)"
    r"|in today[’']s\b|it[’']s no secret|now more than ever|make no mistake|buckle up|let[’']s face it"
    r"|it goes without saying|in (?:a|an|the) (?:world|era|age) (?:where|of)\b|(?:the )?stakes have never been",
    re.IGNORECASE,
)
# Entity labels that make a sentence specific: someone, somewhere, some number or date.
_SPECIFIC = {"PERSON", "ORG", "PRODUCT", "GPE", "NORP", "EVENT", "LAW", "FAC", "LOC", "WORK_OF_ART",
             "MONEY", "PERCENT", "CARDINAL", "DATE", "QUANTITY", "TIME"}
_QUOTED = re.compile(r'"[^"\n]{1,3000}"|“[^”\n]{1,3000}”')
_WORD = re.compile(r"[\w’'-]+")
_BACKGROUND = re.compile(r"\b(?:earlier|previously|in the past|years ago|last (?:year|month))\b", re.IGNORECASE)


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


def body_sentences(parsed: ParsedArticle) -> list[Sentence]:
    """The article's sentences inside paragraph and bullet blocks, clipped to their block."""
    text = parsed.text
    blocks = parsed.layout.blocks or [Block(0, len(text), "paragraph")]
    bounds = [(s.start_char, s.end_char) for s in parsed.doc.sents]
    ends = [end for _, end in bounds]
    out: list[Sentence] = []
    for block in blocks:
        if block.kind == "heading":
            continue
        low = content_start(text, block)
        pieces: list[list[int]] = []
        for s_start, s_end in bounds[bisect.bisect_right(ends, low):]:
            if s_start >= block.end:
                break
            start, end = _strip(text, max(s_start, low), min(s_end, block.end))
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


def is_generic(text: str, ents: list[Span]) -> bool:
    """A sentence (with its entities) that names no one and states no fact, or opens with stock filler."""
    if _GENERIC.search(text):
        return True
    return not any(ent.label_ in _SPECIFIC for ent in ents) and not any(ch.isdigit() for ch in text)


def _norm(word: str) -> str:
    """A crude stem so that "Cuts" in a title meets "cut" in the body."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _keywords(parsed: ParsedArticle, sentences: list[Sentence], ents: list[Span]
              ) -> tuple[set[str], set[str], set[str]]:
    """Title words, the most mentioned names and the most used nouns of the body."""
    title = {_norm(w) for w in _WORD.findall(parsed.layout.title or "") if w.lower() not in STOP_WORDS}
    names: Counter[str] = Counter()
    nouns: Counter[str] = Counter()
    for sentence in sentences:
        span = span_of(parsed, sentence)
        names.update(ent.text for ent in entities_in(ents, sentence.start, sentence.end)
                     if ent.label_ in {"PERSON", "ORG", "PRODUCT", "GPE", "NORP"})
        nouns.update(_norm(t.lemma_) for t in span if t.pos_ in {"NOUN", "PROPN"} and not t.is_stop)
    top_names = {_norm(w) for name, count in names.most_common(5) if count >= 2 for w in _WORD.findall(name)}
    top_nouns = {noun for noun, count in nouns.most_common(10) if count >= 2}
    return title, top_names, top_nouns


def _score(span: Span, index: int, keys: tuple[set[str], set[str], set[str]], quoted: float, bullet: bool) -> float:
    title, names, nouns = keys
    words = {_norm(t.text) for t in span if not t.is_punct and not t.is_stop}
    overlap = 2.0 * len(words & title) + 1.5 * len(words & names) + 0.5 * len(words & nouns)
    # Longer sentences share more words by chance; earlier ones carry the news.
    score = overlap / math.sqrt(max(len(span), 1)) / (1.0 + 0.15 * index) * (1.0 - 0.6 * quoted)
    # Out of its paragraph a sentence opening on "it"/"they" loses its referent; bullets are
    # detail; "earlier"/"previously" is background, not the news.
    if span[0].pos_ == "PRON" or (span[0].is_punct and len(span) > 1 and span[1].pos_ == "PRON"):
        score *= 0.5
    if bullet:
        score *= 0.6
    if _BACKGROUND.search(span.text):
        score *= 0.5
    return score


def _words(text: str) -> int:
    return len(text.split())


def make_tldr(parsed: ParsedArticle) -> list[str]:
    sentences = body_sentences(parsed)
    regions = quoted_regions(parsed.text)
    ents = list(parsed.doc.ents)
    usable = [s for s in sentences if _words(s.text) >= MIN_WORDS and not is_chrome(s.text)]
    candidates = [s for s in usable if not is_generic(s.text, entities_in(ents, s.start, s.end))
                  and quoted_share(regions, s.start, s.end) < 0.5]
    if not candidates:
        # Nothing specific to say: fall back to the first real sentence rather than to nothing.
        fallback = usable or sentences
        if fallback:
            return [fallback[0].text]
        return [s.text.strip() for s in parsed.doc.sents if s.text.strip()][:1]

    lead, rest = candidates[0], candidates[1:]
    keys = _keywords(parsed, sentences, ents)
    scored = [(_score(span_of(parsed, s), i, keys, quoted_share(regions, s.start, s.end), s.block.kind == "bullet"), s)
              for i, s in enumerate(rest, start=1)]
    ranked = sorted(scored, key=lambda pair: -pair[0])  # stable: ties keep article order
    chosen = [lead]
    budget = WORD_BUDGET - _words(lead.text)
    # Only sentences about as central as the best one: a weak third sentence dilutes the summary.
    floor = RELATIVE_FLOOR * ranked[0][0] if ranked else 0.0
    for score, sentence in ranked:
        if len(chosen) == MAX_SENTENCES or score < floor:
            break
        if score > 0 and _words(sentence.text) <= budget:
            chosen.append(sentence)
            budget -= _words(sentence.text)
    return [s.text for s in sorted(chosen, key=lambda s: s.start)]
