"""The article's quotations with their speakers: quoted passages (`quote_spans`) attributed
(`speakers`). A quotation is kept verbatim: `Quote.text == text[start:end]`."""

from __future__ import annotations

from .models import Quote
from .parsed import ParsedArticle
from .quote_spans import (
    QuoteSpan,
    find_spans,
    introduced_as,
    is_not_a_quotation,
    looks_like_scare_quote,
    looks_like_title,
)
from .speakers import attribute

__all__ = ["QuoteSpan", "find_quotes", "find_spans", "is_not_a_quotation", "looks_like_scare_quote", "looks_like_title"]


def find_quotes(parsed: ParsedArticle) -> list[Quote]:
    """The article's quotations with their speakers (see `speakers.attribute`)."""
    text, blocks = parsed.text, parsed.layout.blocks
    # Identifiers, and passages the writer introduces as a title, a word or a nickname, are nobody's
    # words: dropped before attribution, so that no speaker is ever put on them.
    spans = [s for s in find_spans(parsed)
             if not is_not_a_quotation(text, s) and introduced_as(text, s, blocks[s.block].start) is None]
    return attribute(parsed, spans)
