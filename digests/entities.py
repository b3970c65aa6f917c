from __future__ import annotations

from .models import Entity, Quote
from .parsed import ParsedArticle


def find_entities(parsed: ParsedArticle, quotes: list[Quote]) -> list[Entity]:
    raise NotImplementedError
