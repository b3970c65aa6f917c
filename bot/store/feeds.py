"""Feeds and their entries in the database: the poller's state, kept between polls and processes.

A feed is one row per URL (`feeds.url` is unique), shared by every channel subscribed to it: a
subscription names the feed by that URL (`subscriptions.feed_url == feeds.url`). A feed with no
subscription left is deleted with its entries (the articles stay). Each entry a poll has seen is a
`feed_entries` row, unique per (feed, entry key):

- `backlog` is true for the entries a feed already had at its first successful poll: kept so that they
  are never taken for news, never fetched, digested or posted;
- `first_seen_at` is the poll's `now`; `article_id` is the stored article (digested, or an article
  another feed's entry already brought in: same canonical URL); `error` says why an entry has none.

Every time given here is an aware datetime; SQLite hands back naive ones, which are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import overload

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .channels import ChannelRef, channel_of, ensure_channel, find_channel
from .db import changed_rows
from .schema import ArticleRow, ChannelRow, FeedEntryRow, FeedRow, SubscriptionRow
from .store import Store


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """Aware UTC: naive values (as SQLite returns them) are UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class FeedInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    url: str
    title: str | None
    interval_seconds: int
    next_poll_at: datetime | None
    last_polled_at: datetime | None  # the last successful poll (a 304 included); None until the first one
    failures: int  # consecutive failed polls
    paused: bool
    last_error: str | None
    etag: str | None
    last_modified: str | None


class EntryInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    feed_id: int
    entry_key: str
    title: str | None
    link: str | None
    article_id: str | None
    backlog: bool
    first_seen_at: datetime
    error: str | None


class NewEntry(BaseModel):
    """An entry to record: what a poll saw and what came of it."""

    key: str
    title: str | None = None
    link: str | None = None  # canonical
    article_id: str | None = None
    error: str | None = None


def _info(row: FeedRow) -> FeedInfo:
    return FeedInfo(id=row.id, url=row.url, title=row.title, interval_seconds=row.interval_seconds,
                    next_poll_at=utc(row.next_poll_at), last_polled_at=utc(row.last_polled_at),
                    failures=row.failures or 0, paused=bool(row.paused), last_error=row.last_error,
                    etag=row.etag, last_modified=row.last_modified)


def _entry(row: FeedEntryRow) -> EntryInfo:
    return EntryInfo(id=row.id, feed_id=row.feed_id, entry_key=row.entry_key, title=row.title, link=row.link,
                     article_id=row.article_id, backlog=bool(row.backlog), first_seen_at=utc(row.first_seen_at),
                     error=row.error)


def _subscribed():  # noqa: ANN202 - an SQL expression
    return exists().where(SubscriptionRow.feed_url == FeedRow.url)


# Feeds and subscriptions

def subscribe(store: Store, channel: ChannelRef, url: str, *, interval_seconds: int, now: datetime,
              title: str | None = None) -> tuple[bool, FeedInfo]:
    """Subscribe `channel` to the feed at `url`, creating the feed (due at `now`, so that its first
    poll records the backlog soon) if needed. (True, feed) when the channel was not subscribed yet.

    The subscription and its feed are written in one transaction, the subscription first, so that
    every subscription has its feed: an `unsubscribe` of the feed's last other channel (which locks
    the feed row before it counts what is left) either sees this subscription and keeps the feed, or
    deletes the feed before this looks for it, and this creates it again."""
    channel_id = ensure_channel(store, channel)
    for attempt in range(2):
        try:
            with store.session() as s:
                there = s.scalar(select(SubscriptionRow.id).where(SubscriptionRow.channel_id == channel_id,
                                                                  SubscriptionRow.feed_url == url))
                if there is None:
                    s.add(SubscriptionRow(channel_id=channel_id, feed_url=url))
                    s.flush()
                row = s.scalar(select(FeedRow).where(FeedRow.url == url).with_for_update())
                if row is None:
                    row = FeedRow(url=url, title=title, interval_seconds=interval_seconds, next_poll_at=utc(now),
                                  failures=0, paused=False)
                    s.add(row)
                    s.flush()
                elif title and not row.title:
                    row.title = title
                return there is None, _info(row)
        except IntegrityError:
            # The same subscription, or the same feed, made at the same moment elsewhere: the second
            # look-up finds it.
            if attempt:
                raise
    raise AssertionError("unreachable")


def unsubscribe(store: Store, channel: ChannelRef, url: str) -> bool:
    """Remove the channel's subscription; the feed goes too when no channel is left on it (its entries
    with it; the articles stay). True when the channel was subscribed."""
    channel_id = find_channel(store, channel)
    if channel_id is None:
        return False
    with store.session() as s:
        # The feed row locked first (PostgreSQL; SQLite has one writer at a time): a `subscribe`
        # of another channel waits, then finds the feed or creates it again (see `subscribe`).
        s.execute(select(FeedRow.id).where(FeedRow.url == url).with_for_update())
        removed = changed_rows(s.execute(delete(SubscriptionRow).where(SubscriptionRow.channel_id == channel_id,
                                                                       SubscriptionRow.feed_url == url)))
        left = s.scalar(select(func.count()).select_from(SubscriptionRow).where(SubscriptionRow.feed_url == url))
        if not left:
            feed_id = s.scalar(select(FeedRow.id).where(FeedRow.url == url))
            if feed_id is not None:
                s.execute(delete(FeedEntryRow).where(FeedEntryRow.feed_id == feed_id))
                s.execute(delete(FeedRow).where(FeedRow.id == feed_id))
        return bool(removed)


def get_feed(store: Store, feed_id: int) -> FeedInfo | None:
    with store.session() as s:
        row = s.get(FeedRow, feed_id)
        return _info(row) if row is not None else None


def feed_by_url(store: Store, url: str) -> FeedInfo | None:
    with store.session() as s:
        row = s.scalar(select(FeedRow).where(FeedRow.url == url))
        return _info(row) if row is not None else None


def all_feeds(store: Store) -> list[FeedInfo]:
    with store.session() as s:
        return [_info(r) for r in s.scalars(select(FeedRow).order_by(FeedRow.id))]


def channel_feeds(store: Store, channel: ChannelRef) -> list[tuple[str, FeedInfo | None]]:
    """The channel's subscriptions in the order made, each with its feed (None if it has no row yet)."""
    channel_id = find_channel(store, channel)
    if channel_id is None:
        return []
    with store.session() as s:
        rows = s.execute(select(SubscriptionRow.feed_url, FeedRow)
                         .outerjoin(FeedRow, FeedRow.url == SubscriptionRow.feed_url)
                         .where(SubscriptionRow.channel_id == channel_id).order_by(SubscriptionRow.id)).all()
        return [(url, _info(feed) if feed is not None else None) for url, feed in rows]


def subscribers(store: Store, url: str) -> list[ChannelRef]:
    """Every channel subscribed to the feed at `url`."""
    with store.session() as s:
        rows = s.scalars(select(ChannelRow).join(SubscriptionRow, SubscriptionRow.channel_id == ChannelRow.id)
                         .where(SubscriptionRow.feed_url == url).order_by(ChannelRow.id))
        return [channel_of(r) for r in rows]


# Polling state

def due_feeds(store: Store, now: datetime, limit: int | None = None) -> list[FeedInfo]:
    """Feeds to poll at `now`: not paused, with at least one subscriber, next_poll_at reached (or
    never set), the longest-waiting first."""
    query = (select(FeedRow).where(FeedRow.paused.is_(False), _subscribed(),
                                   or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= utc(now)))
             .order_by(FeedRow.next_poll_at.is_not(None), FeedRow.next_poll_at, FeedRow.id))
    if limit is not None:
        query = query.limit(limit)
    with store.session() as s:
        return [_info(r) for r in s.scalars(query)]


def claim(store: Store, feed: FeedInfo, until: datetime) -> bool:
    """Take the feed for one poll: move its next_poll_at from what `feed` says to `until`, only if no
    other poller changed it meanwhile. A poller that dies mid-poll leaves the feed due again at `until`."""
    expected = FeedRow.next_poll_at.is_(None) if feed.next_poll_at is None else FeedRow.next_poll_at == utc(feed.next_poll_at)
    with store.session() as s:
        result = s.execute(update(FeedRow).where(FeedRow.id == feed.id, FeedRow.paused.is_(False), expected)
                           .values(next_poll_at=utc(until)).execution_options(synchronize_session=False))
        return changed_rows(result) == 1


def record_success(store: Store, feed_id: int, *, now: datetime, next_poll_at: datetime, etag: str | None,
                   last_modified: str | None, title: str | None = None) -> None:
    """A poll that read the feed (or heard it had not changed): failures reset, validators kept."""
    with store.session() as s:
        row = s.get(FeedRow, feed_id)
        if row is None:
            return
        row.last_polled_at = utc(now)
        row.next_poll_at = utc(next_poll_at)
        row.failures = 0
        row.last_error = None
        row.etag = etag or None  # one too long for its column is dropped (bot.store.fields)
        row.last_modified = last_modified or None
        if title:
            row.title = title


def record_failure(store: Store, feed_id: int, *, error: str, next_poll_at: datetime, pause_after: int) -> FeedInfo | None:
    """One more consecutive failure; the feed is paused when it reaches `pause_after`."""
    with store.session() as s:
        row = s.get(FeedRow, feed_id)
        if row is None:
            return None
        row.failures = (row.failures or 0) + 1
        row.last_error = error
        row.next_poll_at = utc(next_poll_at)
        if row.failures >= pause_after:
            row.paused = True
        return _info(row)


def resume(store: Store, url: str, now: datetime) -> FeedInfo | None:
    """Unpause the feed at `url`, forget its failures and make it due at `now`."""
    with store.session() as s:
        row = s.scalar(select(FeedRow).where(FeedRow.url == url))
        if row is None:
            return None
        row.paused = False
        row.failures = 0
        row.last_error = None
        row.next_poll_at = utc(now)
        return _info(row)


def set_interval(store: Store, url: str, interval_seconds: int) -> bool:
    with store.session() as s:
        return bool(changed_rows(s.execute(update(FeedRow).where(FeedRow.url == url)
                                           .values(interval_seconds=interval_seconds))))


# Entries

def known_entries(store: Store, feed_id: int, keys: Iterable[str], links: Iterable[str]) -> tuple[set[str], set[str]]:
    """Which of these entry keys, and which of these canonical links, the feed has recorded already."""
    keys, links = list(dict.fromkeys(keys)), list(dict.fromkeys(links))
    found_keys: set[str] = set()
    found_links: set[str] = set()
    with store.session() as s:
        for start in range(0, len(keys), 500):
            found_keys.update(s.scalars(select(FeedEntryRow.entry_key).where(
                FeedEntryRow.feed_id == feed_id, FeedEntryRow.entry_key.in_(keys[start:start + 500]))))
        for start in range(0, len(links), 500):
            found_links.update(s.scalars(select(FeedEntryRow.link).where(
                FeedEntryRow.feed_id == feed_id, FeedEntryRow.link.in_(links[start:start + 500]))))
    return found_keys, found_links


def add_entries(store: Store, feed_id: int, entries: Iterable[NewEntry], *, backlog: bool, now: datetime) -> int:
    """Record entries (all in one transaction); an entry already recorded is left as it is. Returns
    how many rows were added."""
    # Keys and links too long for their columns are fitted when the rows are flushed (bot.store.fields).
    rows = [FeedEntryRow(feed_id=feed_id, entry_key=e.key, title=e.title, link=e.link, article_id=e.article_id,
                         backlog=backlog, first_seen_at=utc(now), error=e.error) for e in entries]
    if not rows:
        return 0
    try:
        with store.session() as s:
            s.add_all(rows)
        return len(rows)
    except IntegrityError:
        # Another poller recorded some of them meanwhile: add the rest one by one.
        added = 0
        for row in rows:
            try:
                with store.session() as s:
                    s.add(FeedEntryRow(feed_id=row.feed_id, entry_key=row.entry_key, title=row.title, link=row.link,
                                       article_id=row.article_id, backlog=row.backlog,
                                       first_seen_at=row.first_seen_at, error=row.error))
                added += 1
            except IntegrityError:
                pass
        return added


def entries(store: Store, feed_id: int) -> list[EntryInfo]:
    with store.session() as s:
        return [_entry(r) for r in s.scalars(select(FeedEntryRow).where(FeedEntryRow.feed_id == feed_id)
                                             .order_by(FeedEntryRow.id))]


def article_for_url(store: Store, canonical: str) -> str | None:
    """The id of the stored article at this canonical URL."""
    with store.session() as s:
        return s.scalar(select(ArticleRow.id).where(ArticleRow.canonical_url == canonical))


def tenant_subscriptions(store: Store, tenant: str) -> list[tuple[ChannelRef, str, str | None]]:
    """(channel, feed URL, feed title) of every subscription of the workspace's channels."""
    with store.session() as s:
        rows = s.execute(select(ChannelRow, SubscriptionRow.feed_url, FeedRow.title)
                         .join(SubscriptionRow, SubscriptionRow.channel_id == ChannelRow.id)
                         .outerjoin(FeedRow, FeedRow.url == SubscriptionRow.feed_url)
                         .where(ChannelRow.tenant == tenant).order_by(ChannelRow.id, SubscriptionRow.id)).all()
        return [(channel_of(row), url, title) for row, url, title in rows]
