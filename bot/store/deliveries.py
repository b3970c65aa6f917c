"""The delivery ledger: one row per (channel, schedule slot), claimed before posting and completed after.

A claim that finds the row taken does nothing, which makes posting exactly-once across restarts
and across several bot processes sharing one database. A claim left behind by a process that died
mid-post expires after its lease and can be taken over, with the same idempotency key, so a slot
missed that way is still posted once.

A delivery's post is fixed the first time it is built (`save_post`), and each of its messages that
reaches the platform is recorded under its own key (`record_message`): a takeover renders the same
messages and posts only those not recorded (the poster looks for the others on the platform).
Stories a channel's digests are done with are recorded per channel (`account`); the others wait,
and `pending_entries` reads them back.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError

from .db import changed_rows
from .feeds import utc
from .schema import (
    ChannelRow,
    ChannelStoryRow,
    DeliveryMessageRow,
    DeliveryPostRow,
    DeliveryRow,
    FeedEntryRow,
    FeedRow,
    SubscriptionRow,
)
from .store import Store

LedgerStatus = Literal["claimed", "posted", "empty", "failed", "retry"]
CLAIMED: Final = "claimed"
POSTED: Final = "posted"
EMPTY: Final = "empty"  # nothing new for the channel: nothing posted, the slot is done
FAILED: Final = "failed"  # needs a person (channel gone, no permission): the slot is done
RETRY: Final = "retry"  # the platform was busy or down: the slot may be claimed again
DONE: frozenset[LedgerStatus] = frozenset({POSTED, EMPTY, FAILED})


class Claim(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    channel_id: int
    slot: str
    taken_over: bool = False

    @property
    def idempotency_key(self) -> str:
        return f"{self.channel_id}:{self.slot}"


def claim(store: Store, channel_id: int, slot: str, now: datetime, lease: timedelta) -> Claim | None:
    """Take the slot for this process, or None when another has it or it is done."""
    try:
        with store.session() as s:
            row = DeliveryRow(channel_id=channel_id, slot=slot, status=CLAIMED, claimed_at=now)
            s.add(row)
            s.flush()
            return Claim(id=row.id, channel_id=channel_id, slot=slot)
    except IntegrityError:
        pass
    with store.session() as s:
        held = s.scalar(select(DeliveryRow).where(DeliveryRow.channel_id == channel_id, DeliveryRow.slot == slot))
        if held is None or held.status in DONE:
            return None
        row = held
        # One conditional UPDATE: of two processes taking over the same stale claim, one wins.
        taken = changed_rows(s.execute(update(DeliveryRow)
                          .where(DeliveryRow.id == row.id, DeliveryRow.status == row.status,
                                 DeliveryRow.claimed_at == row.claimed_at,
                                 (DeliveryRow.status == RETRY) | (DeliveryRow.claimed_at < now - lease))
                          .values(status=CLAIMED, claimed_at=now)
                          .execution_options(synchronize_session=False)))
        return Claim(id=row.id, channel_id=channel_id, slot=slot, taken_over=True) if taken else None


def held_until(store: Store, channel_id: int, slot: str, lease: timedelta) -> datetime | None:
    """When the claim another process holds on the slot expires (None: the slot is done, or free)."""
    with store.session() as s:
        row = s.scalar(select(DeliveryRow).where(DeliveryRow.channel_id == channel_id, DeliveryRow.slot == slot))
        if row is None or row.status != CLAIMED:
            return None
        claimed_at = row.claimed_at if row.claimed_at.tzinfo else row.claimed_at.replace(tzinfo=timezone.utc)
        return claimed_at + lease


def complete(store: Store, claimed: Claim, status: LedgerStatus, now: datetime, detail: str | None = None) -> None:
    with store.session() as s:
        s.execute(update(DeliveryRow).where(DeliveryRow.id == claimed.id)
                  .values(status=status, completed_at=now if status in DONE else None, detail=detail)
                  .execution_options(synchronize_session=False))


def deliveries(store: Store, channel_id: int) -> list[tuple[str, str]]:
    """(slot, status) of a channel's deliveries, oldest first."""
    with store.session() as s:
        return [(r.slot, r.status) for r in s.scalars(select(DeliveryRow).where(DeliveryRow.channel_id == channel_id)
                                                     .order_by(DeliveryRow.id))]


def save_post(store: Store, claimed: Claim, title: str, plan: str) -> tuple[str, str]:
    """Fix what the claimed delivery posts, unless it already is: the (title, plan) that holds."""
    try:
        with store.session() as s:
            s.add(DeliveryPostRow(delivery_id=claimed.id, title=title, plan=plan))
        return title, plan
    except IntegrityError:  # fixed by an earlier holder of the claim
        stored = saved_post(store, claimed.id)
        assert stored is not None
        return stored


def saved_post(store: Store, delivery_id: int) -> tuple[str, str] | None:
    with store.session() as s:
        row = s.get(DeliveryPostRow, delivery_id)
        return (row.title, row.plan) if row else None


def record_message(store: Store, claimed: Claim, position: int, key: str, message_ref: str,
                   now: datetime) -> None:
    """Message `position` of the claimed delivery reached the platform as `message_ref`."""
    try:
        with store.session() as s:
            s.add(DeliveryMessageRow(delivery_id=claimed.id, position=position, idempotency_key=key,
                                     message_ref=message_ref, posted_at=now))
    except IntegrityError:  # recorded already (a takeover found it on the platform)
        pass


def posted_messages(store: Store, delivery_id: int) -> dict[int, str]:
    """position → message ref of the delivery's messages that reached the platform."""
    with store.session() as s:
        return dict(s.execute(select(DeliveryMessageRow.position, DeliveryMessageRow.message_ref)
                              .where(DeliveryMessageRow.delivery_id == delivery_id)).all())


def delivery_id(store: Store, channel_id: int, slot: str) -> int | None:
    with store.session() as s:
        return s.scalar(select(DeliveryRow.id).where(DeliveryRow.channel_id == channel_id, DeliveryRow.slot == slot))


def account(store: Store, channel_id: int, stories: dict[str, str], delivery: int | None,
            watermark: int | None, now: datetime, forget_before: datetime | None = None) -> None:
    """Record that the channel's digests are done with `stories` (article id → "posted", "similar",
    "filtered") and that every feed entry up to `watermark` was considered, in one transaction.
    Stories already recorded keep their first outcome; the watermark never goes back. Records
    older than `forget_before` go: their entries are past the pending window by then."""
    for _attempt in range(2):  # a concurrent digest of the same channel may record one first
        try:
            with store.session() as s:
                known = set(s.scalars(select(ChannelStoryRow.article_id).where(
                    ChannelStoryRow.channel_id == channel_id, ChannelStoryRow.article_id.in_(list(stories)))))
                s.add_all(ChannelStoryRow(channel_id=channel_id, article_id=article_id, outcome=outcome,
                                          delivery_id=delivery, created_at=now)
                          for article_id, outcome in stories.items() if article_id not in known)
                if forget_before is not None:
                    s.execute(delete(ChannelStoryRow).where(ChannelStoryRow.channel_id == channel_id,
                                                            ChannelStoryRow.created_at < forget_before))
                channel = s.get(ChannelRow, channel_id)
                if channel is not None:
                    channel.last_digest_at = now
                    if watermark is not None:
                        channel.last_entry_id = max(channel.last_entry_id or 0, watermark)
            return
        except IntegrityError:
            continue


def stories(store: Store, channel_id: int) -> dict[str, str]:
    """article id → outcome of the stories the channel's digests are done with."""
    with store.session() as s:
        return dict(s.execute(select(ChannelStoryRow.article_id, ChannelStoryRow.outcome)
                              .where(ChannelStoryRow.channel_id == channel_id)).all())


class PendingEntry(BaseModel):
    """A feed entry that brought a story the channel's digests are not done with."""

    model_config = ConfigDict(frozen=True)

    entry_id: int
    article_id: str
    first_seen_at: datetime  # aware, UTC
    subscribed_at: datetime  # when the channel subscribed to the entry's feed (aware, UTC)


class PendingEntries(BaseModel):
    model_config = ConfigDict(frozen=True)

    watermark: int | None  # every entry up to it was considered by an earlier digest
    entries: list[PendingEntry]  # newest first


def pending_entries(store: Store, channel_id: int, limit: int) -> PendingEntries | None:
    """The newest `limit` entries of the channel's feeds above its watermark that are not backlog,
    brought an article, and whose article the channel's digests are not done with (`account`), in
    one read; None for an unknown channel. Which of them are news (seen after the subscription,
    within the window) is the caller's to say."""
    with store.session() as s:
        channel = s.get(ChannelRow, channel_id)
        if channel is None:
            return None
        query = (select(FeedEntryRow.id, FeedEntryRow.article_id, FeedEntryRow.first_seen_at, SubscriptionRow.created_at)
                 .join(FeedRow, FeedRow.id == FeedEntryRow.feed_id)
                 .join(SubscriptionRow, SubscriptionRow.feed_url == FeedRow.url)
                 .outerjoin(ChannelStoryRow, and_(ChannelStoryRow.channel_id == channel_id,
                                                  ChannelStoryRow.article_id == FeedEntryRow.article_id))
                 .where(SubscriptionRow.channel_id == channel_id, FeedEntryRow.backlog.is_(False),
                        FeedEntryRow.article_id.is_not(None), ChannelStoryRow.id.is_(None))
                 .order_by(FeedEntryRow.id.desc()).limit(limit))
        if channel.last_entry_id is not None:
            query = query.where(FeedEntryRow.id > channel.last_entry_id)
        rows = s.execute(query).all()
        return PendingEntries(watermark=channel.last_entry_id, entries=[
            PendingEntry(entry_id=entry_id, article_id=article_id, first_seen_at=utc(first_seen), subscribed_at=utc(subscribed))
            for entry_id, article_id, first_seen, subscribed in rows if article_id is not None])


class DeliveryInfo(BaseModel):
    """One row of the ledger, as the operator's `status` shows it."""

    model_config = ConfigDict(frozen=True)

    slot: str
    status: str
    claimed_at: datetime
    completed_at: datetime | None
    detail: str | None


def recent(store: Store, channel_id: int, limit: int = 5) -> list[DeliveryInfo]:
    """The channel's latest deliveries, newest first."""
    with store.session() as s:
        rows = s.scalars(select(DeliveryRow).where(DeliveryRow.channel_id == channel_id)
                         .order_by(DeliveryRow.id.desc()).limit(limit))
        return [DeliveryInfo(slot=r.slot, status=r.status, claimed_at=utc(r.claimed_at), completed_at=utc(r.completed_at),
                             detail=r.detail) for r in rows]
