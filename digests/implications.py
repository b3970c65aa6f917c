from __future__ import annotations

from .models import Implication
from .parsed import ParsedArticle


def find_implications(parsed: ParsedArticle) -> list[Implication]:
    raise NotImplementedError
