"""Reading a fetched feed (RSS or Atom, through feedparser) into entries with stable identities.

An entry's identity (`FeedItem.key`) is its guid/id when it has one, else its canonical link (tracking
parameters and fragment dropped, see bot.urls), else a hash of its title and date. Anything that is not
a feed (an HTML page, a malformed document with no entries) is a FeedError saying what it is.
"""

from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import urljoin, urlsplit

import feedparser
from pydantic import BaseModel, ConfigDict

from ..errors import SourceError, SourceErrorKind
from ..urls import canonical_url

MAX_KEY = 1000  # keys longer than this (a guid made of a whole URL with a huge query) are hashed
MAX_LINK = 2000
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/x-rss+xml",
    # A site's address is an HTML page (where the feed is discovered); some servers label feeds text/plain.
    "text/html", "application/xhtml+xml", "text/plain",
})
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
FEED_KIND = "an RSS or Atom feed or a web page"
_LOCATION = re.compile(r"^<unknown>:(\d+):(\d+):\s*")
# A document whose root is <html> (RSS has <title> and <p> too: only the root tells them apart).
_HTML_ROOT = re.compile(r"\A(?:\ufeff)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                        re.IGNORECASE | re.DOTALL)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


# The end of one entry (RSS <item>, Atom <entry>, with or without a namespace prefix), and the
# document's root element, for `newest_entries`.
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)[\s>/]")
_CLOSERS = {b"rss": b"</channel></rss>"}


def newest_entries(content: bytes, limit: int) -> bytes:
    """The document cut after its first `limit` entries and closed again, so that a feed of 100,000
    entries costs what a feed of `limit` does. Feeds list their newest entries first (the RSS and
    Atom convention), so these are the newest; a document with no more than `limit` is unchanged."""
    ends = _ENTRY_END.finditer(content)
    cut = None
    for n, match in enumerate(ends, start=1):
        if n == limit:
            cut = match.end()
        elif n > limit:
            break
    else:
        return content  # no more than `limit` entries: nothing to cut
    assert cut is not None
    head = content[:4096]
    root = next((m.group(1) for m in _ROOT.finditer(head)
                 if not m.group(1).startswith((b"?", b"!"))), None)
    if root is None:
        return content
    close = _CLOSERS.get(root.lower(), b"</" + root + b">")
    return content[:cut] + close


class FeedError(SourceError):
    """The document is not a usable feed; the message says what it is instead, and `kind` is
    "html_page" when it is a web page (which may link to the feed)."""

    kind: SourceErrorKind = "not_a_feed"


class FeedItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str | None = None
    url: str | None = None  # the entry's link as given (made absolute): what is fetched
    link: str | None = None  # its canonical form: what identifies the story across feeds
    published: str | None = None  # YYYY-MM-DD
    content_html: str | None = None  # the longest full content the feed carries (content:encoded, atom content)


class ParsedFeed(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    title: str | None
    site: str | None  # the site's address as the feed gives it
    items: list[FeedItem]


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _bozo_reason(result: feedparser.FeedParserDict) -> str:
    exc = result.get("bozo_exception")
    if exc is None:
        return "unreadable"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    located = _LOCATION.match(text)
    if located:
        # Line only: feedparser rewrites the XML declaration before parsing, which shifts columns.
        text = f"line {located.group(1)}: {text[located.end():]}"
    return text[:200]


def _date(entry: feedparser.FeedParserDict) -> str | None:
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(field)
        if isinstance(value, time.struct_time):
            return time.strftime("%Y-%m-%d", value)
    return None


def _http_url(raw: object, base: str) -> str | None:
    if not raw or not isinstance(raw, str):
        return None
    url = urljoin(base, raw.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_LINK:
        return None
    return url


def _key(entry: feedparser.FeedParserDict, link: str | None, title: str | None, published: str | None) -> str | None:
    guid = _clean(entry.get("id"))
    if guid:
        key = f"id:{guid}"
    elif link:
        key = f"link:{link}"
    elif title:
        raw = entry.get("published") or entry.get("updated") or published or ""
        return "hash:" + hashlib.sha256(f"{title}\n{raw}".encode("utf-8")).hexdigest()[:32]
    else:
        return None
    if len(key) > MAX_KEY:
        key = key[:3] + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _content(entry: feedparser.FeedParserDict) -> str | None:
    values = [c.get("value") for c in entry.get("content") or [] if isinstance(c.get("value"), str)]
    values = [v for v in values if v.strip()]
    return max(values, key=len) if values else None


def parse_feed(content: bytes, *, url: str, content_type: str | None = None,
               max_entries: int | None = None) -> ParsedFeed:
    """Parse a feed document fetched from `url` (relative links are resolved against it), at most
    its newest `max_entries` entries (see `newest_entries`). Raises FeedError when it is an HTML
    page or not a feed at all."""
    if not content.strip():
        raise FeedError("it is empty, not an RSS or Atom feed")
    if _HTML_ROOT.match(content[:4096].decode("utf-8", errors="ignore")):
        raise FeedError("it is an HTML page, not an RSS or Atom feed", kind="html_page")
    if max_entries is not None:
        content = newest_entries(content, max_entries)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    result = feedparser.parse(content, response_headers=headers)
    version = result.get("version") or ""
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in result.get("entries", []):
        title = _clean(entry.get("title"))
        fetch_url = _http_url(entry.get("link"), url)
        link = canonical_url(fetch_url) if fetch_url else None
        published = _date(entry)
        key = _key(entry, link, title, published)
        if key is None or key in seen:
            continue  # an entry with nothing to know it by, or the same entry twice in one document
        seen.add(key)
        items.append(FeedItem(key=key, title=title, url=fetch_url, link=link, published=published,
                              content_html=_content(entry)))
    if not version and not items and (content_type or "").split(";")[0].strip().lower() in _HTML_TYPES:
        raise FeedError("it is an HTML page, not an RSS or Atom feed", kind="html_page")
    if not items and result.get("bozo"):
        what = "a malformed feed" if version else "not an RSS or Atom feed"
        raise FeedError(f"it is {what} ({_bozo_reason(result)})")
    if not version and not items:
        raise FeedError("it is not an RSS or Atom feed")
    feed = result.get("feed", {})
    return ParsedFeed(version=version, title=_clean(feed.get("title")), site=_http_url(feed.get("link"), url), items=items)
