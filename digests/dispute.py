from __future__ import annotations

from .models import Dispute, Quote
from .parsed import ParsedArticle


def find_dispute(parsed: ParsedArticle, quotes: list[Quote]) -> Dispute | None:
    raise NotImplementedError
