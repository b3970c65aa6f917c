from __future__ import annotations

from .parsed import ParsedArticle


def make_tldr(parsed: ParsedArticle) -> list[str]:
    raise NotImplementedError
