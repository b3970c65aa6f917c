"""A channel's feeds: subscribe (resolving and checking the address first), unsubscribe, resume, list,
import an OPML file. The /newsdigest commands and the `newsdigest feeds` command line call these."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..app import Newsdigest
from ..store import feeds as feed_store
from ..store.channels import ChannelRef
from ..store.feeds import FeedInfo
from ..urls import canonical_url
from .discover import resolve_feed
from .opml import read_opml


class Subscribed(BaseModel):
    model_config = ConfigDict(frozen=True)

    feed: FeedInfo
    created: bool  # False when the channel was subscribed already
    page: str | None = None  # the page the feed was discovered on, when the address given was a page
    entries: int = 0  # entries the feed has now


class ImportReport(BaseModel):
    subscribed: list[str] = Field(default_factory=list)
    already: list[str] = Field(default_factory=list)
    skipped: list[tuple[str, str]] = Field(default_factory=list)  # (address, reason)


def subscribe_url(app: Newsdigest, channel: ChannelRef, url: str, now: datetime) -> Subscribed:
    """Fetch `url`; subscribe the channel to it if it is a feed, or to the feed its page links to.
    Raises NoFeedFound (neither) or SourceError (cannot fetch)."""
    resolved = resolve_feed(url, app.settings)
    created, feed = feed_store.subscribe(app.store, channel, resolved.url, interval_seconds=app.settings.feed_interval,
                                         now=now, title=resolved.title)
    return Subscribed(feed=feed, created=created, page=resolved.page, entries=resolved.entries)


def find_subscription(app: Newsdigest, channel: ChannelRef, url: str) -> str | None:
    """The channel's subscription `url` names: the same address, or the same once canonical (case of
    the host, a trailing slash, tracking parameters)."""
    urls = [u for u, _ in feed_store.channel_feeds(app.store, channel)]
    if url in urls:
        return url
    try:
        wanted = canonical_url(url)
    except ValueError:
        return None
    return next((u for u in urls if canonical_url(u) == wanted), None)


def unsubscribe_url(app: Newsdigest, channel: ChannelRef, url: str) -> str | None:
    """Unsubscribe; the feed URL removed, or None when the channel was not subscribed to it."""
    found = find_subscription(app, channel, url)
    if found is None or not feed_store.unsubscribe(app.store, channel, found):
        return None
    return found


def resume_url(app: Newsdigest, channel: ChannelRef, url: str, now: datetime) -> tuple[str | None, FeedInfo | None]:
    """Unpause one of the channel's feeds (failures forgotten, due at `now`). Returns (subscription,
    feed before resuming): (None, None) when the channel has no such feed."""
    found = find_subscription(app, channel, url)
    if found is None:
        return None, None
    before = feed_store.feed_by_url(app.store, found)
    if before is not None and before.paused:
        feed_store.resume(app.store, found, now)
    return found, before


def channel_feeds(app: Newsdigest, channel: ChannelRef) -> list[tuple[str, FeedInfo | None]]:
    return feed_store.channel_feeds(app.store, channel)


def import_opml(app: Newsdigest, channel: ChannelRef, path: Path, now: datetime) -> ImportReport:
    """Subscribe the channel to every feed (outline with an xmlUrl) of an OPML file. The addresses are
    taken as feeds without fetching them (an export lists feeds, not pages); each one's first poll
    checks it, and one that keeps failing is paused with a notice."""
    report = ImportReport()
    for item in read_opml(path, app.settings.max_file_bytes):
        url = item.url
        if not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url):
            report.skipped.append((url, "not an http(s) address"))
            continue
        created, _ = feed_store.subscribe(app.store, channel, url, interval_seconds=app.settings.feed_interval,
                                          now=now, title=item.title)
        (report.subscribed if created else report.already).append(url)
    return report
