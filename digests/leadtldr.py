"""A TL;DR for text the English pipeline cannot read: the opening whole sentences of the lead.

News puts what happened first, so the lead is a fair summary in any language. Sentences are cut
at terminal punctuation only (no model), and only whole sentences are returned, each exactly as
the article text has it.
"""

from __future__ import annotations

import re

from .segment import Layout

# End of a sentence: terminal punctuation, closing quotes or brackets, then a space or the end.
# CJK full stops end a sentence without a space.
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*(?=\s|$)|[\u3002\uff01\uff1f]+[\u300d\u300f\u201d]*")
MIN_SENTENCE_CHARS = 25  # shorter pieces are abbreviations ("Dr.", "S.A.") and join the next
MAX_WORDS = 60
MAX_SENTENCES = 2
MIN_LEAD_WORDS = 8


def _sentences(paragraph: str) -> list[str]:
    out, start = [], 0
    for match in _END.finditer(paragraph):
        piece = paragraph[start:match.end()].strip()
        if len(piece) >= MIN_SENTENCE_CHARS:
            out.append(piece)
            start = match.end()
    return out  # a trailing piece without terminal punctuation is not a whole sentence


def lead_tldr(layout: Layout) -> list[str]:
    """Up to two whole sentences from the first prose paragraph, about sixty words at most; the
    first paragraph itself when it has no terminal punctuation at all."""
    paragraphs = [layout.text[b.start:b.end] for b in layout.blocks if b.kind != "heading"]
    lead = next((p for p in paragraphs if len(p.split()) >= MIN_LEAD_WORDS or len(p) >= 4 * MIN_SENTENCE_CHARS),
                paragraphs[0] if paragraphs else layout.text.strip())
    picked: list[str] = []
    for sentence in _sentences(lead):
        words = sum(len(s.split()) for s in picked) + len(sentence.split())
        if picked and (words > MAX_WORDS or len(picked) >= MAX_SENTENCES):
            break
        picked.append(sentence)
    return picked or [lead]
