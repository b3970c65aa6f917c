"""APScheduler in the bot's event loop: each channel's digest on its schedule, and the feed poller.

The `schedules` table is the one source of truth: the scheduler's jobs are built from it, in memory
(ids `digest:<channel id>`, coalesced), and rebuilt from it every SYNC_EVERY seconds so that a change
made by another process (the terminal, a second bot) is picked up. Nothing of the scheduler itself
is stored: restart safety comes from the delivery ledger and the catch-up at start, which runs every
channel's latest slot within the grace time once (a slot missed while the bot was down is posted;
one already delivered is skipped by the ledger). Which slot a run is for comes from the schedule
itself (the latest fire time not after now), so every process agrees on it and the ledger posts it
once even when several bot processes run the same jobs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from .delivery import DeliveryOutcome, deliver
from .schedules import Schedule
from .store.schema import ScheduleRow

if TYPE_CHECKING:
    from .app import Newsdigest
    from .queue import QueueClient
    from .store.feeds import FeedInfo

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
RETRY_DELAY = 60.0
SYNC_EVERY = 60  # seconds between reading schedule changes from the database
POLL_EVERY = 60  # seconds between looking for feeds due


def latest_slot(schedule: Schedule, now: datetime, grace: timedelta = DEFAULT_GRACE) -> datetime | None:
    """The schedule's latest fire time not after `now` and not older than `grace`."""
    trigger = schedule.trigger()
    fire = trigger.get_next_fire_time(None, now - grace)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def slot_key(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def schedules(app: Newsdigest) -> dict[int, Schedule]:
    with app.store.session() as s:
        return {row.channel_id: Schedule(cron=row.cron, timezone=row.timezone)
                for row in s.scalars(select(ScheduleRow))}


class DigestScheduler:
    """The application's scheduler (`app.scheduler`): jobs for the channels' digests, their retries,
    and the feed poller, on the event loop it is started in."""

    def __init__(self, app: Newsdigest, grace: timedelta = DEFAULT_GRACE, *, queued: bool = False) -> None:
        self.app = app
        self.grace = grace
        # The split roles' scheduler (`run --role scheduler`, the leader of bot/leader.py): slots and
        # feed polls become tasks of the queue (app.queue) instead of running here.
        self.queued = queued
        self.jobs = AsyncIOScheduler(
            job_defaults={"coalesce": True, "misfire_grace_time": int(grace.total_seconds()), "max_instances": 1},
            timezone=timezone.utc,
        )
        self.jobs.add_job(self.sync_jobs, "interval", seconds=SYNC_EVERY, id="sync")
        self.jobs.add_job(self.poll_feeds, "interval", seconds=POLL_EVERY, id="poll",
                          next_run_time=datetime.now(timezone.utc))
        if queued:
            every = max(app.settings.queue_stalled_after / 2, 1.0)
            self.jobs.add_job(self.recover_stalled, "interval", seconds=every, id="recover",
                              next_run_time=datetime.now(timezone.utc))

    def _queue(self) -> QueueClient:
        if self.app.queue is None:
            raise RuntimeError("the queued scheduler needs the task queue open (app.queue)")
        return self.app.queue

    async def run_digest(self, channel_id: int, now: datetime | None = None) -> DeliveryOutcome | None:
        """The job of `digest:<channel id>`: deliver the slot this run is for."""
        now = now or datetime.now(timezone.utc)
        schedule = (await asyncio.to_thread(schedules, self.app)).get(channel_id)
        if schedule is None:
            return None
        slot = latest_slot(schedule, now, self.grace)
        if slot is None:
            return None
        if self.queued:
            # A task per slot, once while it waits (its queueing lock); the ledger posts it once even
            # when a new leader defers it again after taking over.
            await self._queue().defer_delivery(channel_id, slot_key(slot))
            return None
        outcome = await deliver(self.app, channel_id, slot_key(slot), now, lease=self._lease)
        if outcome.status not in {"skipped", "empty"}:
            log.info("digest for channel %s, slot %s: %s (%s items)", channel_id, outcome.slot, outcome.status, outcome.items)
        self.follow_up(channel_id, outcome, now)
        return outcome

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.app.settings.delivery_lease)

    def follow_up(self, channel_id: int, outcome: DeliveryOutcome, now: datetime) -> None:
        """Look at the slot again later when it is not done: the platform was busy (retry), or
        another process holds it (skipped with retry_after: when its claim expires, in case it died;
        at least RETRY_DELAY later, so that a live holder that is merely slow is left to finish)."""
        if outcome.status == "retry":
            delay = outcome.retry_after or RETRY_DELAY
        elif outcome.status == "skipped" and outcome.retry_after is not None:
            delay = max(outcome.retry_after, RETRY_DELAY)
        else:
            return
        self.jobs.add_job(self.retry_digest, "date", id=f"retry:{channel_id}:{outcome.slot}", replace_existing=True,
                          run_date=now + timedelta(seconds=delay), args=[channel_id, outcome.slot])

    async def retry_digest(self, channel_id: int, slot: str) -> None:
        now = datetime.now(timezone.utc)
        outcome = await deliver(self.app, channel_id, slot, now, lease=self._lease)
        log.info("retry of channel %s slot %s: %s", channel_id, slot, outcome.status)
        self.follow_up(channel_id, outcome, now)

    async def poll_feeds(self) -> None:
        """Poll the feeds that are due, in a thread (fetching and digesting block), and tell the
        channels of a feed that had to be paused."""
        from .feeds.poller import claim_due, poll_due

        if self.queued:
            await self._defer_polls(claim_due)
            return
        try:
            outcomes = await asyncio.to_thread(poll_due, self.app, datetime.now(timezone.utc))
        except asyncio.CancelledError:  # the bot is stopping
            return
        except Exception as exc:  # a bug in polling must not stop the scheduler; the operator's log has it
            log.warning("feed polling failed: %s: %s", type(exc).__name__, exc)
            log.debug("feed polling failed", exc_info=True)
            return
        for outcome in outcomes:
            for notice in outcome.notices:
                poster = self.app.posters.get(notice.channel.platform)
                if poster is not None:
                    await poster.post_notice(notice.channel.external_id, notice.text)

    async def _defer_polls(self, claim_due: Callable[..., list[tuple[FeedInfo, datetime]]]) -> None:
        """Claim the due feeds and defer a poll task for each (a worker polls it while the claim stands)."""
        from .queue import POLL_TASK
        from .store.queue import feeds_in_queue

        try:
            queued = await asyncio.to_thread(feeds_in_queue, self.app.store, POLL_TASK)
            claimed = await asyncio.to_thread(claim_due, self.app, datetime.now(timezone.utc), None, queued)
            for feed, until in claimed:
                await self._queue().defer_poll(feed.id, until)
        except asyncio.CancelledError:
            return
        except Exception as exc:  # the next pass tries again; a claimed feed whose task was lost is due at its lease's end
            log.warning("deferring feed polls failed: %s: %s", type(exc).__name__, exc)

    async def recover_stalled(self) -> None:
        """Give the tasks of dead workers to live ones (bot.queue.QueueClient.recover_stalled)."""
        try:
            await self._queue().recover_stalled()
        except Exception as exc:  # tried again at the next interval
            log.warning("recovering stalled tasks failed: %s: %s", type(exc).__name__, exc)

    def sync_jobs(self) -> None:
        """Build the digest jobs from the schedules table: one per scheduled channel, with its trigger."""
        wanted = schedules(self.app)
        for job in self.jobs.get_jobs():
            if job.id.startswith("digest:") and int(job.id.split(":")[1]) not in wanted:
                job.remove()
        for channel_id, schedule in wanted.items():
            job = self.jobs.get_job(f"digest:{channel_id}")
            if job is not None and str(job.trigger) == str(schedule.trigger()):
                continue
            self.jobs.add_job(self.run_digest, schedule.trigger(), id=f"digest:{channel_id}", args=[channel_id],
                              replace_existing=True, name=f"digest for channel {channel_id}")

    def catch_up(self) -> None:
        """Run every channel's digest once now: a slot that fell due while no bot was running (within
        the grace time) is posted; one already delivered is skipped by the ledger."""
        for channel_id in schedules(self.app):
            self.jobs.add_job(self.run_digest, "date", id=f"catch-up:{channel_id}", args=[channel_id],
                              replace_existing=True, run_date=datetime.now(timezone.utc))

    def start(self) -> None:
        """Start on the running loop; the digest jobs are built, and missed slots caught up, at once."""
        self.jobs.start()
        self.sync_jobs()
        self.catch_up()

    @property
    def running(self) -> bool:
        """Whether the jobs fire (the readiness check's "scheduler")."""
        return bool(self.jobs.running)

    def stop(self) -> None:
        if self.jobs.running:
            self.jobs.shutdown(wait=False)
