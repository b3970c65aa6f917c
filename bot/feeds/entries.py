"""One new feed entry → a stored, digested article (or the reason it has none).

The article text comes from the feed itself when the entry carries the whole article (content:encoded
or Atom content of at least FULL_CONTENT_WORDS words), else from the entry's page, fetched and
extracted like any URL (bot.sources). A story another feed already brought in (same canonical URL) is
not fetched or digested again: the entry links to the stored article.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from digests.errors import ArticleError
from digests.models import ArticleMeta

from ..app import Newsdigest
from ..errors import SourceError
from ..html import extract_html
from ..sources import read_source
from ..store import articles as article_store
from ..store import feeds as feed_store
from ..store.articles import SaveStatus
from ..urls import canonical_url
from .parse import FeedItem

log = logging.getLogger(__name__)

FULL_CONTENT_WORDS = 150
_TAG = re.compile(r"<[^>]+>")


class EntryResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    article_id: str | None = None
    digested: bool = False  # the engine ran; False when the entry linked to an article stored before
    saved: SaveStatus | None = None  # the store's answer when digested
    error: str | None = None


def site_of(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def _words(fragment: str) -> int:
    return len(html_lib.unescape(_TAG.sub(" ", fragment)).split())


def full_content(item: FeedItem) -> tuple[str, ArticleMeta] | None:
    """The article's text from the feed's own content, when that content is the whole article."""
    if not item.content_html or _words(item.content_html) < FULL_CONTENT_WORDS:
        return None
    title = html_lib.escape(item.title or "")
    page = f"<html><head><title>{title}</title></head><body><article>{item.content_html}</article></body></html>"
    try:
        text, meta = extract_html(page, item.url)
    except SourceError:
        return None
    if len(text.split()) < FULL_CONTENT_WORDS:
        return None
    return text, meta


def process_entry(app: Newsdigest, item: FeedItem) -> EntryResult:
    """Fetch (or take from the feed), digest and store the entry's article. Never raises for a bad
    page or an undigestable article: the result carries the reason. (A database or model failure
    does raise: every other entry would fail the same way.)"""
    store = app.store
    if item.link:
        known = feed_store.article_for_url(store, item.link)
        if known is not None:
            return EntryResult(article_id=known)
    taken = full_content(item)
    if taken is not None:
        text, page_meta = taken
        url = item.url
    elif item.url is None:
        return EntryResult(error="the entry has no link and does not carry the whole article")
    else:
        try:
            article = read_source(item.url, app.settings)
        except SourceError as exc:
            if exc.detail != str(exc):
                log.info("feed entry %s: %s", item.url, exc.detail)
            return EntryResult(error=str(exc))  # kept on the entry, which channels may see
        text, page_meta, url = article.text, article.meta, article.meta.url or item.url
        final = canonical_url(url)
        if final != item.link:  # redirected: the story may be stored under its final address
            known = feed_store.article_for_url(store, final)
            if known is not None:
                return EntryResult(article_id=known)
    meta = ArticleMeta(title=item.title or page_meta.title, url=url, source=site_of(url) or page_meta.source,
                       author=page_meta.author, published=item.published or page_meta.published)
    try:
        digest = app.service.digest_text(text, meta, background=True)
    except ArticleError as exc:
        return EntryResult(error=f"cannot digest {item.url or item.title}: {exc}")
    # No tenant of its own: a feed's article is shared through the feed's subscriptions.
    saved = article_store.save_digest(store, digest, tenant=None)
    return EntryResult(article_id=saved.article_id, digested=True, saved=saved.status)
