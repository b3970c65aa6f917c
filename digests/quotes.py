from __future__ import annotations

from .models import Quote
from .parsed import ParsedArticle


def find_quotes(parsed: ParsedArticle) -> list[Quote]:
    raise NotImplementedError
