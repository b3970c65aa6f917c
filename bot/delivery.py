"""Scheduled digests: what is new for a channel, made into one post, delivered exactly once.

At each slot of a channel's schedule: claim the (channel, slot) ledger row, gather the articles
that reached the channel's feeds since its last digest, filter them by the channel's keywords, rank
them (disputed, quoted, recent first), group stories about the same event, cap them, post through
the platform's registered poster, and complete the row. An empty digest is not posted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from sqlalchemy import select

from digests.models import Digest

from .app import Newsdigest
from .platforms import NEEDS_A_PERSON, DigestPost, poster_for
from .store import Store
from .store import deliveries as ledger
from .store.channels import ChannelRef
from .store.schema import ChannelRow, DigestRow, FeedEntryRow, FeedRow, SubscriptionRow

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=10)
SAME_EVENT = 75  # rapidfuzz token_set_ratio of two titles above which they tell the same story
RECENT_ENTRIES = 1000


class DeliveryOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    slot: str
    status: str  # "posted", "empty", "failed", "retry", "skipped" (another process has the slot)
    items: int = 0
    detail: str | None = None
    retry_after: float | None = None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def channel_ref(store: Store, channel_id: int) -> ChannelRef | None:
    with store.session() as s:
        row = s.get(ChannelRow, channel_id)
        return ChannelRef(platform=row.platform, external_id=row.external_id, name=row.name) if row else None


def pending_digests(store: Store, channel_id: int, until: datetime) -> tuple[list[Digest], int | None]:
    """Digests of the articles that reached the channel's feeds after it subscribed and after the
    entries its last digest considered, up to `until`, newest first; a feed's backlog is never
    news. Also the id of the newest entry considered, where the next digest takes over."""
    until = _utc(until)
    with store.session() as s:
        channel = s.get(ChannelRow, channel_id)
        if channel is None:
            return [], None
        query = (select(FeedEntryRow.id, FeedEntryRow.article_id, FeedEntryRow.first_seen_at, SubscriptionRow.created_at)
                 .join(FeedRow, FeedRow.id == FeedEntryRow.feed_id)
                 .join(SubscriptionRow, SubscriptionRow.feed_url == FeedRow.url)
                 .where(SubscriptionRow.channel_id == channel_id, FeedEntryRow.backlog.is_(False),
                        FeedEntryRow.article_id.is_not(None))
                 .order_by(FeedEntryRow.id.desc()).limit(RECENT_ENTRIES))
        if channel.last_entry_id is not None:
            query = query.where(FeedEntryRow.id > channel.last_entry_id)
        rows = s.execute(query).all()
        fresh: dict[str, datetime] = {}
        newest = channel.last_entry_id
        for entry_id, article_id, first_seen, subscribed in rows:
            seen = _utc(first_seen)
            if seen > until:
                continue
            newest = max(newest or 0, entry_id)
            if seen <= _utc(subscribed):
                continue
            fresh[article_id] = min(seen, fresh.get(article_id, seen))
        bodies = s.execute(select(DigestRow.article_id, DigestRow.body).where(DigestRow.article_id.in_(fresh))).all()
    digests = {article_id: Digest.model_validate_json(body) for article_id, body in bodies}
    return [digests[a] for a in sorted(fresh, key=fresh.get, reverse=True) if a in digests], newest


def _keywords(value: str | None) -> list[str]:
    return [k.strip().lower() for k in (value or "").split(",") if k.strip()]


def select_items(digests: list[Digest], include: list[str], exclude: list[str], limit: int) -> list[Digest]:
    """Keyword filter, ranking (disputed, then quoted, then most recent: the input's order), one
    story per event, at most `limit`."""
    def words(d: Digest) -> str:
        return " ".join([d.article.title or "", *d.tldr]).lower()

    kept = [d for d in digests if (not include or any(k in words(d) for k in include))
            and not any(k in words(d) for k in exclude)]
    order = {id(d): n for n, d in enumerate(kept)}
    ranked = sorted(kept, key=lambda d: (d.dispute is None, -sum(q.speaker is not None for q in d.quotes), order[id(d)]))
    chosen: list[Digest] = []
    for d in ranked:
        title = d.article.title or d.tldr[0]
        if any(fuzz.token_set_ratio(title, c.article.title or c.tldr[0]) >= SAME_EVENT for c in chosen):
            continue  # the same event, told by another source: the better-ranked story stands for it
        chosen.append(d)
        if len(chosen) >= limit:
            break
    return chosen


def build_post(store: Store, channel_id: int, until: datetime, key: str,
               title: str | None = None) -> tuple[DigestPost | None, int | None]:
    """The channel's digest post (None when nothing new passes its filters) and the newest entry
    id it considered."""
    with store.session() as s:
        channel = s.get(ChannelRow, channel_id)
        if channel is None:
            return None, None
        include, exclude, limit = _keywords(channel.include_keywords), _keywords(channel.exclude_keywords), channel.max_items or 8
    pending, newest = pending_digests(store, channel_id, until)
    items = select_items(pending, include, exclude, limit)
    if not items:
        return None, newest
    heading = title or f"News digest · {_utc(until):%a %d %b %Y %H:%M} UTC · {len(items)} {'story' if len(items) == 1 else 'stories'}"
    return DigestPost(title=heading, digests=items, idempotency_key=key), newest


def mark_digested(store: Store, channel_id: int, until: datetime, newest_entry: int | None) -> None:
    with store.session() as s:
        channel = s.get(ChannelRow, channel_id)
        if channel is not None:
            channel.last_digest_at = until
            channel.last_entry_id = newest_entry


async def deliver(app: Newsdigest, channel_id: int, slot: str, now: datetime,
                  lease: timedelta = DEFAULT_LEASE) -> DeliveryOutcome:
    """Post the channel's digest for `slot` unless another process has, or has it now."""
    store = app.store
    claimed = await asyncio.to_thread(ledger.claim, store, channel_id, slot, now, lease)
    if claimed is None:
        return DeliveryOutcome(slot=slot, status="skipped")
    post, newest = await asyncio.to_thread(build_post, store, channel_id, now, claimed.idempotency_key)
    if post is None:
        # Nothing passed the channel's filters: what was considered is done with all the same.
        await asyncio.to_thread(mark_digested, store, channel_id, now, newest)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.EMPTY, now)
        return DeliveryOutcome(slot=slot, status="empty")
    if claimed.taken_over:
        post = post.model_copy(update={"may_be_posted": True})
    channel = await asyncio.to_thread(channel_ref, store, channel_id)
    poster = poster_for(channel.platform) if channel else None
    if channel is None or poster is None:
        detail = f"no {channel.platform if channel else '?'} connection is running to post to"
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.RETRY, now, detail)
        log.warning("digest for channel %s slot %s not posted: %s", channel_id, slot, detail)
        return DeliveryOutcome(slot=slot, status="retry", items=len(post.digests), detail=detail)
    try:
        result = await poster.post_digest(channel.external_id, post)
    except Exception as exc:  # an adapter bug must not lose the slot: leave it to be retried
        log.exception("posting to %s:%s failed", channel.platform, channel.external_id)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.RETRY, now, f"{type(exc).__name__}: {exc}")
        return DeliveryOutcome(slot=slot, status="retry", items=len(post.digests), detail=str(exc))
    if result.status == "posted":
        await asyncio.to_thread(mark_digested, store, channel_id, now, newest)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.POSTED, now, result.message_ref)
        return DeliveryOutcome(slot=slot, status="posted", items=len(post.digests))
    if result.status in NEEDS_A_PERSON:
        log.error("cannot post to %s channel %s (%s): %s", channel.platform, channel.external_id, result.status, result.detail)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.FAILED, now, f"{result.status}: {result.detail}")
        return DeliveryOutcome(slot=slot, status="failed", items=len(post.digests), detail=result.status)
    log.warning("posting to %s channel %s will be retried (%s): %s", channel.platform, channel.external_id,
                result.status, result.detail)
    await asyncio.to_thread(ledger.complete, store, claimed, ledger.RETRY, now, f"{result.status}: {result.detail}")
    return DeliveryOutcome(slot=slot, status="retry", items=len(post.digests), detail=result.status,
                           retry_after=result.retry_after)
