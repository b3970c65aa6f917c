"""APScheduler in the bot's event loop: each channel's digest on its schedule, and the feed poller.

Jobs live in the project's database (APScheduler's SQLAlchemy job store) under stable ids
(`digest:<channel id>`), coalesced, with a misfire grace time: a digest missed while the bot was
down is posted once when it comes back within the grace time. Which slot a run is for comes from the
schedule itself (the latest fire time not after now), so every process agrees on it and the
delivery ledger posts it once even when several bot processes run the same jobs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from .app import Newsdigest
from .delivery import DeliveryOutcome, deliver
from .platforms import poster_for
from .schedules import Schedule
from .store.db import database_url
from .store.schema import ScheduleRow

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
RETRY_DELAY = 60.0
SYNC_EVERY = 60  # seconds between reading schedule changes from the database
POLL_EVERY = 60  # seconds between looking for feeds due

# The running application, for jobs restored from the database (they are stored by name, not as
# objects, so they find the application here).
_app: Newsdigest | None = None
_scheduler: AsyncIOScheduler | None = None


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


async def run_digest(channel_id: int, now: datetime | None = None, app: Newsdigest | None = None) -> DeliveryOutcome | None:
    """The job of `digest:<channel id>`: deliver the slot this run is for."""
    app = app or _app
    if app is None:
        return None
    now = now or datetime.now(timezone.utc)
    schedule = (await asyncio.to_thread(schedules, app)).get(channel_id)
    if schedule is None:
        return None
    slot = latest_slot(schedule, now)
    if slot is None:
        return None
    outcome = await deliver(app, channel_id, slot_key(slot), now, lease=timedelta(seconds=app.settings.delivery_lease))
    if outcome.status not in {"skipped", "empty"}:
        log.info("digest for channel %s, slot %s: %s (%s items)", channel_id, outcome.slot, outcome.status, outcome.items)
    follow_up(channel_id, outcome, now)
    return outcome


def follow_up(channel_id: int, outcome: DeliveryOutcome, now: datetime) -> None:
    """Look at the slot again later when it is not done: the platform was busy (retry), or another
    process holds it (skipped with retry_after: when its claim expires, in case it died; at least
    RETRY_DELAY later, so that a live holder that is merely slow is left to finish)."""
    if _scheduler is None:
        return
    if outcome.status == "retry":
        delay = outcome.retry_after or RETRY_DELAY
    elif outcome.status == "skipped" and outcome.retry_after is not None:
        delay = max(outcome.retry_after, RETRY_DELAY)
    else:
        return
    _scheduler.add_job(retry_digest, "date", id=f"retry:{channel_id}:{outcome.slot}", replace_existing=True,
                       run_date=now + timedelta(seconds=delay), args=[channel_id, outcome.slot])


async def retry_digest(channel_id: int, slot: str) -> None:
    if _app is not None:
        now = datetime.now(timezone.utc)
        outcome = await deliver(_app, channel_id, slot, now, lease=timedelta(seconds=_app.settings.delivery_lease))
        log.info("retry of channel %s slot %s: %s", channel_id, slot, outcome.status)
        follow_up(channel_id, outcome, now)


async def poll_feeds() -> None:
    """Poll the feeds that are due, in a thread (fetching and digesting block), and tell the
    channels of a feed that had to be paused."""
    if _app is None:
        return
    try:
        from .feeds.poller import poll_due
    except ImportError:  # feeds not available in this build
        return
    try:
        outcomes = await asyncio.to_thread(poll_due, _app, datetime.now(timezone.utc))
    except asyncio.CancelledError:  # the bot is stopping
        return
    except Exception as exc:  # a bug in polling must not stop the scheduler; the operator's log has it
        log.warning("feed polling failed: %s: %s", type(exc).__name__, exc)
        log.debug("feed polling failed", exc_info=True)
        return
    for outcome in outcomes:
        for channel, text in getattr(outcome, "notices", []):
            poster = poster_for(channel.platform)
            if poster is not None:
                await poster.post_notice(channel.external_id, text)


def sync_jobs() -> None:
    """Make the scheduler's digest jobs match the schedules in the database."""
    if _app is None or _scheduler is None:
        return
    wanted = schedules(_app)
    for job in _scheduler.get_jobs():
        if job.id.startswith("digest:") and int(job.id.split(":")[1]) not in wanted:
            job.remove()
    for channel_id, schedule in wanted.items():
        job = _scheduler.get_job(f"digest:{channel_id}")
        if job is not None and str(job.trigger) == str(schedule.trigger()):
            continue
        _scheduler.add_job(run_digest, schedule.trigger(), id=f"digest:{channel_id}", args=[channel_id],
                           replace_existing=True, name=f"digest for channel {channel_id}")


def build_scheduler(app: Newsdigest, grace: timedelta = DEFAULT_GRACE) -> AsyncIOScheduler:
    """A scheduler for the running event loop, its jobs stored in the project's database."""
    global _app, _scheduler
    _app = app
    _scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=database_url(app.settings), tablename="apscheduler_jobs"),
                   "memory": MemoryJobStore()},
        job_defaults={"coalesce": True, "misfire_grace_time": int(grace.total_seconds()), "max_instances": 1},
        timezone=timezone.utc,
    )
    _scheduler.add_job(sync_jobs, "interval", seconds=SYNC_EVERY, id="sync", jobstore="memory",
                       next_run_time=datetime.now(timezone.utc))
    _scheduler.add_job(poll_feeds, "interval", seconds=POLL_EVERY, id="poll", jobstore="memory",
                       next_run_time=datetime.now(timezone.utc))
    return _scheduler


def catch_up() -> None:
    """Run every channel's digest once now: a slot that fell due while no bot was running (within
    the grace time) is posted; one already delivered is skipped by the ledger."""
    if _app is None or _scheduler is None:
        return
    for channel_id in schedules(_app):
        _scheduler.add_job(run_digest, "date", id=f"catch-up:{channel_id}", jobstore="memory", args=[channel_id],
                           replace_existing=True, run_date=datetime.now(timezone.utc))


def start(app: Newsdigest, grace: timedelta = DEFAULT_GRACE) -> AsyncIOScheduler:
    """Build and start the scheduler on the running loop; digest jobs are synced, and missed slots
    caught up, at once."""
    scheduler = build_scheduler(app, grace)
    scheduler.start()
    sync_jobs()
    catch_up()
    return scheduler


def stop() -> None:
    global _app, _scheduler
    if _scheduler is not None and _scheduler.running:
        _scheduler.shutdown(wait=False)
    _app, _scheduler = None, None
