"""From the address a person gives to a feed URL: the feed itself, or the feed a site's page names.

A page names its feeds with `<link rel="alternate" type="application/rss+xml" href="…">` (or
application/atom+xml) in its head; a relative href is resolved against the page (or its <base href>).
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel, ConfigDict

from ..config import Settings
from ..errors import SourceError, SourceErrorKind
from ..fetch import fetch_url
from .parse import FEED_ACCEPT, FEED_KIND, FEED_TYPES, FeedError, ParsedFeed, parse_feed

FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
MAX_CANDIDATES = 3  # alternate links tried, in page order


class NoFeedFound(SourceError):
    """The address is reachable but is neither a feed nor a page that links to one."""

    kind: SourceErrorKind = "no_feed"


class ResolvedFeed(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str  # the feed's URL, to subscribe to
    title: str | None
    entries: int  # how many entries it has now
    page: str | None = None  # the page it was discovered on, when the address given was not the feed


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").split(";")[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and kind in FEED_LINK_TYPES and href:
                self.links.append(href)

    handle_startendtag = handle_starttag


def alternate_feed_links(html: str, page_url: str) -> list[str]:
    """The RSS and Atom feeds a page links to, absolute, in page order, without repeats."""
    parser = _AlternateLinks()
    parser.feed(html)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    found: list[str] = []
    for href in parser.links:
        url = urljoin(base, href)
        if urlsplit(url).scheme in ("http", "https") and url not in found:
            found.append(url)
    return found


def fetch_feed(url: str, settings: Settings) -> ParsedFeed:
    """Fetch and parse the feed at `url`; SourceError (FeedError) when it is not one."""
    page = fetch_url(url, settings, accept=FEED_TYPES, accept_header=FEED_ACCEPT, kind=FEED_KIND)
    try:
        return parse_feed(page.content, url=url, content_type=page.content_type_header,
                          max_entries=settings.feed_parse_entries)
    except FeedError as exc:
        raise FeedError(f"{url} is not a feed: {exc}") from None


def resolve_feed(url: str, settings: Settings) -> ResolvedFeed:
    """The feed at `url`, or the first feed the page at `url` links to that really is a feed.

    Raises NoFeedFound when there is none, SourceError when the address (or the feed the page names)
    cannot be fetched."""
    url = url.strip()
    page = fetch_url(url, settings, accept=FEED_TYPES, accept_header=FEED_ACCEPT, kind=FEED_KIND)
    try:
        parsed = parse_feed(page.content, url=url, content_type=page.content_type_header,
                            max_entries=settings.feed_parse_entries)
        return ResolvedFeed(url=url, title=parsed.title, entries=len(parsed.items))
    except FeedError as exc:
        not_a_feed = exc
    candidates = alternate_feed_links(page.text, page.url) if page.is_html or not_a_feed.kind == "html_page" else []
    if not candidates:
        why = "the page links to no RSS or Atom feed" if page.is_html else not_a_feed.reason
        raise NoFeedFound(f"no feed found at {url}: {why}")
    first_error: SourceError | None = None
    for candidate in candidates[:MAX_CANDIDATES]:
        try:
            parsed = fetch_feed(candidate, settings)
        except SourceError as exc:
            first_error = first_error or exc
            continue
        return ResolvedFeed(url=candidate, title=parsed.title, entries=len(parsed.items), page=url)
    assert first_error is not None
    raise SourceError(f"the page {url} names the feed {candidates[0]}, but {first_error}",
                      detail=f"the page {url} names the feed {candidates[0]}, but {first_error.detail}")
