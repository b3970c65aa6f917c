"""Scheduled digests: what is new for a channel, made into one post, delivered exactly once.

At each slot of a channel's schedule: claim the (channel, slot) ledger row, gather the stories that
reached the channel's feeds and that its digests are not done with, filter them by the channel's
keywords, rank them (disputed, quoted, recent first), group near-duplicates, cap them, fix that plan
in the ledger, post it through the platform's registered poster message by message (each message
recorded under its own key), and complete the row. An empty digest is not posted.

Every story is accounted for: shown, grouped under a shown story as "+N similar", or left out by the
channel's keywords (the post says how many); the ones over the cap wait for the next digest (the
post says how many). The waiting window is bounded: a digest looks at the newest `PENDING_ENTRIES`
feed entries above the channel's watermark, seen within `PENDING_DAYS`; older ones are dropped
unseen (and counted in the log).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from digests.models import Digest

from .app import Newsdigest
from .platforms import NEEDS_A_PERSON, DigestFormat, DigestPost, SimilarStory, message_key
from .store import Store
from .store import articles as article_store
from .store import channels as channel_store
from .store import deliveries as ledger
from .urls import canonical_url

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=10)
# Near-duplicates: the same canonical URL, or titles alike AND leads (TL;DR) alike. Titles are alike
# when they share words and only one of them has words the other lacks ("Harbour reopens" and
# "Harbour reopens, officials say"): "Story 9 update" / "Story 10 update" or "The library…" / "The
# harbour…" each have their own word, so they are different stories. Words of letters only, of four
# or more, closer than WORD_ALIKE (rapidfuzz ratio) count as the same word (a typo, "reopen"/"reopens");
# numbers and short words must be equal ("12" is not "120").
WORD_ALIKE = 80
TEXT_ALIKE = 85  # rapidfuzz token_set_ratio of the two leads
LEAD_CHARS = 600
# The pending window: a story waits for a digest among the newest PENDING_ENTRIES entries above the
# channel's watermark, for at most PENDING_DAYS after it was first seen. What a channel is done with
# is remembered for twice that (then its entries are out of the window anyway), so neither grows
# for ever.
PENDING_ENTRIES = 1000
PENDING_DAYS = 7
NOW_TIMEOUT = 120.0  # seconds /digest now waits for its post before answering "still posting"

_WORD = re.compile(r"\w+")


# What became of a slot: posted; nothing to post (empty); needs a person (failed); the platform was
# busy or down (retry); done already, or another process has the slot (skipped).
DeliveryStatus = Literal["posted", "empty", "failed", "retry", "skipped"]


class DeliveryOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    slot: str
    status: DeliveryStatus
    items: int = 0
    detail: str | None = None
    retry_after: float | None = None
    waiting: int = 0  # stories left for the next digest


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@dataclass
class Pending:
    """The stories a channel's digests are not done with, newest first."""

    digests: list[Digest] = field(default_factory=list)
    first_entry: dict[str, int] = field(default_factory=dict)  # article id → its oldest pending entry id
    newest: int | None = None  # the newest entry id considered
    held: int | None = None  # the oldest entry id not yet considered (seen after `until`)
    expired: int = 0  # stories older than the window, dropped unseen
    full: bool = False  # the window was full: entries older than its oldest are dropped unseen

    def watermark(self, remaining: list[Digest]) -> int | None:
        """The entry id up to which everything is done with once only `remaining` still waits."""
        bounds = [self.first_entry[d.article.id] - 1 for d in remaining]
        if self.held is not None:
            bounds.append(self.held - 1)
        return min(bounds) if bounds else self.newest


def pending_digests(store: Store, channel_id: int, until: datetime) -> Pending:
    """Digests of the articles that reached the channel's feeds after it subscribed, above its
    watermark, seen by `until` and within the window, that its digests are not done with. A feed's
    backlog is never news."""
    until = _utc(until)
    oldest = until - timedelta(days=PENDING_DAYS)
    found = ledger.pending_entries(store, channel_id, PENDING_ENTRIES)
    if found is None:
        return Pending()
    pending = Pending(newest=found.watermark, full=len(found.entries) >= PENDING_ENTRIES)
    fresh: dict[str, datetime] = {}
    expired: set[str] = set()
    for entry in found.entries:
        entry_id, article_id, seen = entry.entry_id, entry.article_id, entry.first_seen_at
        if seen > until:  # written by a poll still running: for a later digest
            pending.held = min(pending.held or entry_id, entry_id)
            continue
        pending.newest = max(pending.newest or 0, entry_id)
        if seen <= entry.subscribed_at:
            continue
        if seen < oldest:
            expired.add(article_id)
            continue
        fresh[article_id] = min(seen, fresh.get(article_id, seen))
        pending.first_entry[article_id] = min(entry_id, pending.first_entry.get(article_id, entry_id))
    digests = article_store.get_digests(store, list(fresh))
    pending.digests = [digests[a] for a in sorted(fresh, key=lambda a: fresh[a], reverse=True) if a in digests]
    pending.expired = len(expired - set(fresh))
    return pending


def _title(d: Digest) -> str:
    return d.article.title or (d.tldr[0] if d.tldr else "")


def _lead(d: Digest) -> str:
    return (" ".join(d.tldr) or d.article.text)[:LEAD_CHARS]


def titles_alike(a: str, b: str) -> bool:
    """Shared words, and words of its own on one side at most (see WORD_ALIKE)."""
    words_a, words_b = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    shared = words_a & words_b
    if not shared or len(shared) < min(3, len(words_a), len(words_b)):
        return False
    only_a, only_b = words_a - words_b, words_b - words_a
    own_a = [w for w in only_a if not any(_same_word(w, v) for v in only_b)]
    own_b = [v for v in only_b if not any(_same_word(w, v) for w in only_a)]
    return not (own_a and own_b)


def _same_word(a: str, b: str) -> bool:
    return len(a) >= 4 and len(b) >= 4 and a.isalpha() and b.isalpha() and fuzz.ratio(a, b) >= WORD_ALIKE


def near_duplicates(a: Digest, b: Digest) -> bool:
    """The same story: the same canonical URL, or title and lead alike. Titles alone are not
    enough: two different stories under one recurring headline are kept apart by their text."""
    if a.article.url and b.article.url and canonical_url(a.article.url) == canonical_url(b.article.url):
        return True
    return (titles_alike(_title(a), _title(b))
            and fuzz.token_set_ratio(_lead(a), _lead(b), processor=default_process) >= TEXT_ALIKE)


@dataclass
class Selection:
    items: list[Digest] = field(default_factory=list)  # shown, in order
    similar: dict[str, list[Digest]] = field(default_factory=dict)  # shown story's article id → grouped under it
    waiting: list[Digest] = field(default_factory=list)  # over the cap: for the next digest
    filtered: list[Digest] = field(default_factory=list)  # left out by the channel's keywords


def select_items(digests: list[Digest], include: list[str], exclude: list[str], limit: int) -> Selection:
    """Keyword filter, ranking (disputed, then quoted, then most recent: the input's order), one
    story per event with its near-duplicates grouped under it, at most `limit` shown; the rest wait."""
    def words(d: Digest) -> str:
        return " ".join([d.article.title or "", *d.tldr]).lower()

    chosen = Selection()
    kept = []
    for d in digests:
        if (not include or any(k in words(d) for k in include)) and not any(k in words(d) for k in exclude):
            kept.append(d)
        else:
            chosen.filtered.append(d)
    order = {id(d): n for n, d in enumerate(kept)}
    ranked = sorted(kept, key=lambda d: (d.dispute is None, -sum(q.speaker is not None for q in d.quotes), order[id(d)]))
    for d in ranked:
        same = next((c for c in chosen.items if near_duplicates(d, c)), None)
        if same is not None:  # the better-ranked story stands for it
            chosen.similar.setdefault(same.article.id, []).append(d)
        elif len(chosen.items) < limit:
            chosen.items.append(d)
        else:
            chosen.waiting.append(d)
    return chosen


class PlanItem(BaseModel):
    article_id: str
    similar: list[str] = Field(default_factory=list)


class Plan(BaseModel):
    """What one delivery posts and what it settles for the channel, fixed in the ledger when first
    built so that a takeover posts the same messages."""

    items: list[PlanItem] = Field(default_factory=list)
    waiting: list[str] = Field(default_factory=list)  # over the cap, best first: for the next digest
    filtered: list[str] = Field(default_factory=list)
    watermark: int | None = None  # every entry up to it is done with once this is posted
    expired: int = 0
    format: DigestFormat = "full"  # the channel's layout when the plan was made: a takeover posts the same

    def stories(self) -> dict[str, str]:
        """article id → outcome, for `ledger.account`."""
        done = {a: "filtered" for a in self.filtered}
        for item in self.items:
            done[item.article_id] = "posted"
            done.update({a: "similar" for a in item.similar})
        return done


def plan_digest(store: Store, channel_id: int, until: datetime) -> tuple[Plan, dict[str, Digest]] | None:
    """The channel's next digest as a plan, with the digests it names; None for an unknown channel."""
    settings = channel_store.digest_settings(store, channel_id)
    if settings is None:
        return None
    pending = pending_digests(store, channel_id, until)
    chosen = select_items(pending.digests, settings.include, settings.exclude, settings.max_items)
    if pending.expired:
        log.info("channel %s: %s stories older than %s days were dropped unseen", channel_id, pending.expired, PENDING_DAYS)
    if pending.full:
        log.warning("channel %s: more than %s new feed entries wait; the older ones are dropped unseen "
                    "(subscribe to fewer feeds, or schedule digests more often)", channel_id, PENDING_ENTRIES)
    plan = Plan(items=[PlanItem(article_id=d.article.id, similar=[x.article.id for x in chosen.similar.get(d.article.id, [])])
                       for d in chosen.items],
                waiting=[d.article.id for d in chosen.waiting], filtered=[d.article.id for d in chosen.filtered],
                watermark=pending.watermark(chosen.waiting), expired=pending.expired, format=settings.format)
    return plan, {d.article.id: d for d in pending.digests}


def heading(until: datetime, shown: int, waiting: int) -> str:
    more = f", {waiting} more waiting" if waiting else ""
    return f"News digest · {_utc(until):%a %d %b %Y %H:%M} UTC · {shown} {'story' if shown == 1 else 'stories'}{more}"


def post_of(plan: Plan, digests: dict[str, Digest], title: str, key: str) -> DigestPost | None:
    """The post a plan describes (None when it shows nothing: nothing passed the filters, or its
    articles were deleted since)."""
    items = [digests[i.article_id] for i in plan.items if i.article_id in digests]
    if not items:
        return None
    similar = {i.article_id: [SimilarStory(title=digests[a].article.title, url=digests[a].article.url,
                                           source=digests[a].article.source) for a in i.similar if a in digests]
               for i in plan.items if i.similar}
    return DigestPost(title=title, digests=items, idempotency_key=key, similar={k: v for k, v in similar.items() if v},
                      waiting=len(plan.waiting), filtered=len(plan.filtered), format=plan.format)


def build_post(store: Store, channel_id: int, until: datetime, key: str,
               title: str | None = None) -> tuple[DigestPost | None, Plan | None]:
    """The channel's digest post (None when nothing new passes its filters) and its plan (None
    when nothing at all is pending)."""
    planned = plan_digest(store, channel_id, until)
    if planned is None:
        return None, None
    plan, digests = planned
    if not plan.items and not plan.filtered:
        return None, None
    return post_of(plan, digests, title or heading(until, len(plan.items), len(plan.waiting)), key), plan


def _load_digests(store: Store, plan: Plan) -> dict[str, Digest]:
    return article_store.get_digests(store, [i.article_id for i in plan.items] + [a for i in plan.items for a in i.similar])


def _claimed_post(store: Store, claimed: ledger.Claim, now: datetime,
                  title: str | None) -> tuple[DigestPost | None, Plan | None]:
    """The claimed delivery's post: the one fixed in the ledger by an earlier holder of the claim,
    or a new one (then fixed there)."""
    saved = ledger.saved_post(store, claimed.id) if claimed.taken_over else None
    if saved is None:
        post, plan = build_post(store, claimed.channel_id, now, claimed.idempotency_key, title)
        if post is None or plan is None:
            return post, plan
        saved = ledger.save_post(store, claimed, post.title, plan.model_dump_json())
    stored_title, body = saved
    plan = Plan.model_validate_json(body)
    return post_of(plan, _load_digests(store, plan), stored_title, claimed.idempotency_key), plan


async def deliver(app: Newsdigest, channel_id: int, slot: str, now: datetime,
                  lease: timedelta = DEFAULT_LEASE, *, consume: bool = True,
                  title: str | None = None) -> DeliveryOutcome:
    """Post the channel's digest for `slot` unless another process has, or has it now. With
    `consume` (scheduled digests), the stories it shows are done with for the channel; without it
    (`/digest now` on a scheduled channel) they still wait for the scheduled digest.

    Every delivery this process made (not the slots another process holds) is counted in the
    metrics and logged once at INFO, with the channel, the slot and the outcome as fields."""
    outcome = await _deliver(app, channel_id, slot, now, lease, consume=consume, title=title)
    if outcome.status == "skipped":
        log.debug("channel %s slot %s: %s", channel_id, slot, outcome.detail or "already done")
        return outcome
    channel = await asyncio.to_thread(channel_store.channel_by_id, app.store, channel_id)
    platform = channel.platform if channel else "unknown"
    where = f"{platform}:{channel.external_id}" if channel else str(channel_id)
    app.metrics.deliveries.labels(platform=platform, outcome=outcome.status).inc()
    log.info("digest for %s slot %s: %s (%d stories%s)", where, slot, outcome.status, outcome.items,
             f"; {outcome.detail}" if outcome.detail else "",
             extra={"channel": where, "platform": platform, "slot": slot, "outcome": outcome.status})
    return outcome


async def _deliver(app: Newsdigest, channel_id: int, slot: str, now: datetime, lease: timedelta, *,
                   consume: bool, title: str | None) -> DeliveryOutcome:
    store = app.store
    claimed = await asyncio.to_thread(ledger.claim, store, channel_id, slot, now, lease)
    if claimed is None:
        # Done, or another process holds it: if that process died, its claim expires then, and
        # the slot must be looked at again (retry_after) or nobody posts it.
        expires = await asyncio.to_thread(ledger.held_until, store, channel_id, slot, lease)
        if expires is None:
            return DeliveryOutcome(slot=slot, status="skipped")
        return DeliveryOutcome(slot=slot, status="skipped", detail="held by another process",
                               retry_after=max((expires - _utc(now)).total_seconds(), 0.0) + 1.0)
    post, plan = await asyncio.to_thread(_claimed_post, store, claimed, now, title)
    if post is None:
        # Nothing passed the channel's filters: what was considered is done with all the same.
        if consume and plan is not None:
            await asyncio.to_thread(_account, store, channel_id, plan, claimed.id, now)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.EMPTY, now)
        return DeliveryOutcome(slot=slot, status="empty")
    assert plan is not None
    posted = await asyncio.to_thread(ledger.posted_messages, store, claimed.id)
    post = post.model_copy(update={"may_be_posted": claimed.taken_over, "posted": posted})
    channel = await asyncio.to_thread(channel_store.channel_by_id, store, channel_id)
    poster = app.posters.get(channel.platform) if channel else None
    shown: dict[str, Any] = dict(slot=slot, items=len(post.digests), waiting=post.waiting)
    if channel is None or poster is None:
        detail = f"no {channel.platform if channel else '?'} connection is running to post to"
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.RETRY, now, detail)
        log.warning("digest for channel %s slot %s not posted: %s", channel_id, slot, detail)
        return DeliveryOutcome(status="retry", detail=detail, **shown)

    async def record(position: int, message_ref: str) -> None:
        key = message_key(claimed.idempotency_key, position)
        await asyncio.to_thread(ledger.record_message, store, claimed, position, key, message_ref, now)

    try:
        result = await poster.post_digest(channel.external_id, post, record=record)
    except Exception as exc:  # an adapter bug must not lose the slot: leave it to be retried
        log.exception("posting to %s:%s failed", channel.platform, channel.external_id)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.RETRY, now, f"{type(exc).__name__}: {exc}")
        return DeliveryOutcome(status="retry", detail=str(exc), **shown)
    if result.status == "posted":
        if consume:
            await asyncio.to_thread(_account, store, channel_id, plan, claimed.id, now)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.POSTED, now, result.message_ref)
        return DeliveryOutcome(status="posted", **shown)
    if result.status in NEEDS_A_PERSON:
        log.error("cannot post to %s channel %s (%s): %s", channel.platform, channel.external_id, result.status, result.detail)
        reached: dict[int, str] = await asyncio.to_thread(ledger.posted_messages, store, claimed.id)
        if consume and reached:
            # Part of the post reached the channel and the rest never will without a person:
            # its stories were announced there, so they do not come back in the next digest.
            await asyncio.to_thread(_account, store, channel_id, plan, claimed.id, now)
        await asyncio.to_thread(ledger.complete, store, claimed, ledger.FAILED, now, f"{result.status}: {result.detail}")
        return DeliveryOutcome(status="failed", detail=result.status, **shown)
    log.warning("posting to %s channel %s will be retried (%s): %s", channel.platform, channel.external_id,
                result.status, result.detail)
    await asyncio.to_thread(ledger.complete, store, claimed, ledger.RETRY, now, f"{result.status}: {result.detail}")
    return DeliveryOutcome(status="retry", detail=result.status, retry_after=result.retry_after, **shown)


def _account(store: Store, channel_id: int, plan: Plan, delivery: int, now: datetime) -> None:
    ledger.account(store, channel_id, plan.stories(), delivery, plan.watermark, now,
                   forget_before=_utc(now) - timedelta(days=2 * PENDING_DAYS))


def now_slot(now: datetime) -> str:
    """The ledger slot of a `/digest now`: its own row and key, apart from the schedule's slots."""
    return f"now:{_utc(now):%Y-%m-%dT%H:%M:%S.%fZ}"


def deliver_now(app: Newsdigest, channel_id: int, platform: str, now: datetime, consume: bool) -> DeliveryOutcome:
    """`/digest now` from a command's worker thread: the channel's pending digest posted through its
    platform's poster and the ledger, like a scheduled one."""
    work = deliver(app, channel_id, now_slot(now), now, timedelta(seconds=app.settings.delivery_lease), consume=consume)
    return app.posters.run_on(platform, work, NOW_TIMEOUT)
