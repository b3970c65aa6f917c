"""Small lookups on the parsed article that several attribution modules share."""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token


def ent_of(token: Token) -> Span | None:
    """The entity the token is part of, from the tokens' IOB marks: `doc.ents` rebuilds the list of
    every entity in the article on each access, far too slow to ask per token."""
    if token.ent_iob_ not in {"B", "I"}:
        return None
    doc = token.doc
    start = token.i
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    end = token.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return Span(doc, start, end, label=token.ent_type_)


def strip_possessive(text: str) -> str:
    """ "Acme's" → "Acme"."""
    return re.sub(r"(?:'s|\u2019s|'|\u2019)$", "", text).strip()


def tokens_in(doc: Doc, start: int, end: int) -> list[Token]:
    """The tokens that start within [start, end)."""
    if end <= start:
        return []
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return []
    return [t for t in span if start <= t.idx < end]
