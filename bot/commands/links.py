"""The article links a reply ends with."""

from __future__ import annotations

from collections.abc import Iterable

from ..replies import Link
from ..store import ArticleSummary


def unique_links(articles: Iterable[ArticleSummary]) -> list[Link]:
    """One link per article address, in order; articles without one are left out."""
    links, seen = [], set()
    for a in articles:
        if a.url and a.url not in seen:
            seen.add(a.url)
            links.append(Link(label=a.title or a.url, url=a.url))
    return links
