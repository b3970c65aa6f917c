"""What the bot is doing, for the operator (`newsdigest status`, `newsdigest channels`): the store and
its schema, every channel with its workspace, feeds, schedule and next digest, and the last deliveries
from the ledger. Read-only; the platforms' part is filled in by the adapters, which know them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from .app import Newsdigest
from .store import channels as channel_store
from .store import deliveries as ledger
from .store import feeds as feed_store
from .store import queue as queue_store
from .store.db import database_url, describe, head_revision, schema_state

FeedState = Literal["not polled yet", "ok", "failing", "paused"]


class PlatformStatus(BaseModel):
    name: str
    configured: bool
    problem: str | None = None  # what keeps it from starting, when configured


class StoreStatus(BaseModel):
    where: str
    schema_state: str  # "current", "behind", "ahead", "empty"
    revision: str | None
    head: str


class FeedStatus(BaseModel):
    url: str
    title: str | None = None
    state: FeedState
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None


class ChannelStatus(BaseModel):
    channel: str  # platform:external id, the form `--channel` takes
    platform: str
    workspace: str | None
    name: str | None
    schedule: str | None  # the cron expression and its zone
    next_digest_at: datetime | None
    feeds: list[FeedStatus]
    deliveries: list[ledger.DeliveryInfo]


class StatusReport(BaseModel):
    generated_at: datetime
    platforms: list[PlatformStatus]
    store: StoreStatus
    channels: list[ChannelStatus]
    # The split roles' task queue (PostgreSQL): depth and failures per queue; None without one.
    queue: queue_store.QueueStatus | None = None
    scheduler_leader: str | None = None  # who leads the `--role scheduler` processes now


def feed_state(feed: feed_store.FeedInfo | None) -> FeedState:
    if feed is None or (feed.last_polled_at is None and feed.failures == 0):
        return "not polled yet"
    if feed.paused:
        return "paused"
    return "failing" if feed.failures else "ok"


def feed_status(url: str, feed: feed_store.FeedInfo | None) -> FeedStatus:
    if feed is None:
        return FeedStatus(url=url, state="not polled yet")
    return FeedStatus(url=url, title=feed.title, state=feed_state(feed), last_polled_at=feed.last_polled_at,
                      next_poll_at=None if feed.paused else feed.next_poll_at, failures=feed.failures,
                      last_error=feed.last_error)


def status_report(app: Newsdigest, now: datetime, platforms: list[PlatformStatus], *, deliveries: int = 5) -> StatusReport:
    """The whole picture at `now` (timezone-aware)."""
    state, revision = schema_state(app.store.engine)
    store = StoreStatus(where=describe(database_url(app.settings)), schema_state=state, revision=revision,
                        head=head_revision())
    channels = []
    for stored in channel_store.all_channels(app.store):
        ref = stored.channel
        schedule = stored.schedule
        next_at = schedule.trigger().get_next_fire_time(None, now) if schedule is not None else None
        channels.append(ChannelStatus(
            channel=f"{ref.platform}:{ref.external_id}", platform=ref.platform, workspace=ref.workspace, name=ref.name,
            schedule=f"{schedule.cron} ({schedule.timezone})" if schedule is not None else None,
            next_digest_at=next_at,
            feeds=[feed_status(url, feed) for url, feed in feed_store.channel_feeds(app.store, ref)],
            deliveries=ledger.recent(app.store, stored.id, deliveries)))
    leader = None
    if app.store.dialect == "postgresql":
        from .leader import current_leader

        leader = current_leader(app)
    return StatusReport(generated_at=now, platforms=platforms, store=store, channels=channels,
                        queue=queue_store.queue_status(app.store), scheduler_leader=leader)
