"""Implications: what the article itself says follows from the news.

Two sources, in order of trust: a section the author headed as implications ("Why it matters",
"What's next", "Takeaways"...), whose "Label: text" bullets keep their label; and sentences anywhere
that signal a consequence ("highlights", "underscores", "could", "will ... shape"). Every
implication is a verbatim stretch of the article with its offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Implication
from .parsed import ParsedArticle
from .segment import _BULLET_MARK, Block
from .sentences import Sentence, body_sentences, content_start, quoted_regions, quoted_share

MAX_IMPLICATIONS = 8

_SECTION = re.compile(
    r"\b(?:implications?|what (?:it|this|that) means|why (?:it|this|that) matters|what[’']?s next"
    r"|what comes next|takeaways?|the bigger picture|looking ahead|what to watch|consequences|impact)\b",
    re.IGNORECASE,
)
_CONSEQUENCE = re.compile(
    r"\b(?:highlight(?:s|ed)?|underscor(?:es|ed|e)|signal(?:s|s that|led|ed)?|could|means? that"
    r"|(?:is|are|was|were) likely to|raises? (?:questions|concerns|the (?:question|prospect))"
    r"|a sign that|paves? the way|sets? a precedent"
    r"|will\b[^.;]{0,60}?\b(?:shape|reshape|change|define|determine|affect|influence|transform|decide))\b",
    re.IGNORECASE,
)
# Priorities when there are more candidates than room: section bullets, then signalled
# consequences, then the rest of an implications section.
_BULLET, _SIGNALLED, _SECTION_TEXT = 0, 1, 2


@dataclass(frozen=True)
class _Candidate:
    priority: int
    start: int
    end: int
    label: str | None


def _section_blocks(parsed: ParsedArticle) -> list[Block]:
    """Body blocks under a heading that announces implications, up to the next heading."""
    text = parsed.text
    inside = False
    out = []
    for block in parsed.layout.blocks:
        if block.kind == "heading":
            inside = bool(_SECTION.search(text[block.start:block.end]))
        elif inside:
            out.append(block)
    return out


def _label(text: str, block: Block) -> str | None:
    if block.label_end is None:
        return None
    mark = _BULLET_MARK.match(text[block.start:block.end])
    return text[block.start + (mark.end() if mark else 0):block.label_end].strip() or None


def find_implications(parsed: ParsedArticle) -> list[Implication]:
    text = parsed.text
    regions = quoted_regions(text)
    section = _section_blocks(parsed)
    in_section = set(section)
    candidates: list[_Candidate] = []
    for block in section:
        if block.kind == "bullet":
            start = content_start(text, block)
            if start < block.end:
                candidates.append(_Candidate(_BULLET, start, block.end, _label(text, block)))

    sentences: list[Sentence] = body_sentences(parsed)
    for sentence in sentences:
        if sentence.block.kind == "bullet" and sentence.block in in_section:
            continue  # already taken whole, with its label
        # A consequence in someone's quoted words is their claim, not the article's reading.
        signalled = any(quoted_share(regions, sentence.start + m.start(), sentence.start + m.end()) == 0
                        for m in _CONSEQUENCE.finditer(sentence.text))
        if signalled:
            candidates.append(_Candidate(_SIGNALLED, sentence.start, sentence.end, None))
        elif sentence.block in in_section:
            candidates.append(_Candidate(_SECTION_TEXT, sentence.start, sentence.end, None))

    kept: list[_Candidate] = []
    seen: set[str] = set()
    for cand in sorted(candidates, key=lambda c: (c.priority, c.start)):
        key = " ".join(text[cand.start:cand.end].casefold().split())
        overlaps = any(cand.start < k.end and k.start < cand.end for k in kept)
        if key in seen or overlaps:
            continue
        seen.add(key)
        kept.append(cand)
        if len(kept) == MAX_IMPLICATIONS:
            break
    return [Implication(text=text[c.start:c.end], start=c.start, end=c.end, label=c.label)
            for c in sorted(kept, key=lambda c: c.start)]
