"""Where a sentence ends in a stretch of text, for the finders that look for a quote's cue and
speaker in its own sentence: a period after an abbreviation ("Sen.", "Calif.", "Sept."), an initial
("J.") or a dotted acronym ("U.S.", "D.C.") keeps the sentence going."""

from __future__ import annotations

import re

from .lexicon import ABBREVIATIONS

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def sentence_ends(segment: str) -> list[re.Match[str]]:
    """Where sentences end in `segment`, not counting periods of abbreviations and initials."""
    ends = []
    for match in _SENTENCE_END.finditer(segment):
        if match.group()[0] == ".":
            word = _WORD_BEFORE.search(segment, 0, match.start())
            if word is not None:
                w = word.group(1)
                if len(w) == 1 and w.isupper() or "." in w or w.lower() in ABBREVIATIONS:
                    continue
        ends.append(match)
    return ends
