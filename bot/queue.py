"""The task queue of the split roles (`newsdigest run --role chat|worker|scheduler`): procrastinate,
its jobs in the bot's own PostgreSQL.

    queue "feeds"       poll_feed(feed_id, claimed_until)     a worker polls one feed and digests its entries
    queue "digests"     digest_article(key, source, tenant)   a worker digests a chat's /digest <URL> or pasted text
    queue "deliveries"  deliver_slot(channel_id, slot)        a chat process (it has the posters) posts a slot
                        post_notice(platform, channel, text)  ... or tells a channel its feed was paused

Every task may run twice (a retry, a worker killed mid-task whose job is given to another): each is
idempotent through what the store already guarantees. A feed is claimed by the scheduler before its
task is deferred (`claimed_until`), and polled only while that claim is still the feed's: a second
run after a finished poll finds the claim gone and does nothing, one after a killed worker finds it
still there and polls, the entries stored before the kill being known by their unique keys. A slot
goes through the delivery ledger (claim, post, complete), so it is posted once however often its task
runs. A digest request is finished once (`bot.store.queue.finish_request`), and an article is stored
once by its content hash.

Failures that may pass (the database or a platform down, a slot another process holds) are retried
with exponential backoff (`Backoff`); a person's bad input is an outcome, not a failure. A worker
that dies stops sending heartbeats, and the scheduler's leader gives its running jobs back to the
queue (`recover_stalled`), where another worker takes them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy.engine import make_url

from .errors import BotStopping, DigestBusy
from .service import UserFacingError
from .store import StoreError
from .store import articles as article_store
from .store import queue as queue_store

if TYPE_CHECKING:
    from .app import Newsdigest

log = logging.getLogger(__name__)

FEEDS, DIGESTS, DELIVERIES = "feeds", "digests", "deliveries"
WORKER_QUEUES = (FEEDS, DIGESTS)  # the worker role's
CHAT_QUEUES = (DELIVERIES,)  # the chat role's: deliveries need the platforms' posters
NAMESPACE = "newsdigest"
POLL_TASK = f"{NAMESPACE}:poll_feed"
MAX_ATTEMPTS = 12  # with the backoff, about 37 minutes of tries: a slot is stale after the grace hour anyway
BACKOFF_BASE = 2.0  # seconds before the first retry; doubled at each further one
BACKOFF_CAP = 600.0
WAIT_POLL = 0.2  # seconds between a chat process's looks at its digest request
REQUESTS_KEPT = timedelta(days=1)


class RetryLater(Exception):
    """A task's work could not be done now and should be tried again, not before `after` seconds."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Backoff(BaseRetryStrategy):
    """Exponential backoff (BACKOFF_BASE * 2**attempts, at most BACKOFF_CAP) for failures that may
    pass; never sooner than a RetryLater asks; MAX_ATTEMPTS in all, then the job is failed (and shown
    by `newsdigest status`)."""

    RETRYABLE = (RetryLater, StoreError, OSError, ConnectionError, TimeoutError, BotStopping)

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, self.RETRYABLE) or job.attempts + 1 >= MAX_ATTEMPTS:
            return None
        wait = min(BACKOFF_BASE * 2 ** job.attempts, BACKOFF_CAP)
        if isinstance(exception, RetryLater) and exception.after is not None:
            wait = max(wait, exception.after)
        return RetryDecision(retry_in={"seconds": wait})


def _app_of(context: procrastinate.JobContext) -> Newsdigest:
    return context.additional_context["newsdigest"]


async def poll_feed(context: procrastinate.JobContext, feed_id: int, claimed_until: str) -> None:
    from .feeds.poller import poll_claimed

    app = _app_of(context)
    outcome = await asyncio.to_thread(poll_claimed, app, feed_id, datetime.fromisoformat(claimed_until),
                                      datetime.now(timezone.utc))
    log.info("feed %s: %s", outcome.url or feed_id, outcome.summary())
    client = app.queue
    for notice in outcome.notices:
        if client is not None:
            await client.defer_notice(notice.channel.platform, notice.channel.external_id, notice.text)


async def digest_article(context: procrastinate.JobContext, key: str, source: str, tenant: str, pasted: bool) -> None:
    app = _app_of(context)
    done = await asyncio.to_thread(queue_store.get_request, app.store, key)
    if done is not None and done.finished:
        return  # a second run: the first one's outcome stands
    try:
        digest = await asyncio.to_thread(app.service.digest_text if pasted else app.service.digest_source, source)
        saved = await asyncio.to_thread(article_store.save_digest, app.store, digest, tenant=tenant)
    except DigestBusy as exc:  # the pool is full here: another worker, or this one later
        raise RetryLater(str(exc)) from None
    except UserFacingError as exc:  # the person's source: their answer, not the queue's failure
        await asyncio.to_thread(_finish, app, key, None, str(exc))
        detail = getattr(exc, "detail", None)
        if detail and detail != str(exc):
            log.warning("digest request %s: %s", key, detail)
        return
    await asyncio.to_thread(_finish, app, key, saved.article_id, None)


def _finish(app: Newsdigest, key: str, article_id: str | None, error: str | None) -> None:
    now = datetime.now(timezone.utc)
    queue_store.finish_request(app.store, key, now, article_id=article_id, error=error)


async def deliver_slot(context: procrastinate.JobContext, channel_id: int, slot: str) -> str:
    from .delivery import deliver

    app = _app_of(context)
    now = datetime.now(timezone.utc)
    outcome = await deliver(app, channel_id, slot, now, timedelta(seconds=app.settings.delivery_lease))
    if outcome.status == "retry" or (outcome.status == "skipped" and outcome.retry_after is not None):
        # The platform was busy or down, or another process holds the slot (when its claim expires,
        # it may have died): look again then; the ledger posts it once whoever does.
        raise RetryLater(outcome.detail or outcome.status, outcome.retry_after)
    return outcome.status


async def post_notice(context: procrastinate.JobContext, platform: str, external_id: str, text: str) -> None:
    poster = _app_of(context).posters.get(platform)
    if poster is None:
        raise RetryLater(f"no {platform} connection is running to post to")
    await poster.post_notice(external_id, text)


def tasks() -> procrastinate.Blueprint:
    """The tasks, on a blueprint of their own for each App: a task deferred through one App goes to
    that App's database (a shared blueprint would tie every later App's tasks to the first)."""
    blueprint = procrastinate.Blueprint()
    for function, queue in ((poll_feed, FEEDS), (digest_article, DIGESTS), (deliver_slot, DELIVERIES),
                            (post_notice, DELIVERIES)):
        blueprint.task(name=function.__name__, queue=queue, pass_context=True, retry=Backoff())(function)
    return blueprint


def conninfo(url: str) -> str:
    """The libpq form of the store's SQLAlchemy URL (procrastinate talks to psycopg directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class QueueClient:
    """One process's handle on the queue (`app.queue` in the split roles): defers tasks and runs a
    worker for some queues. Opened on the process's event loop; command threads defer through it."""

    def __init__(self, app: Newsdigest) -> None:
        if app.store.dialect != "postgresql" or not queue_store.has_queue(app.store):
            raise StoreError("the roles chat, worker and scheduler share their work through PostgreSQL: set "
                             "NEWSDIGEST_DATABASE_URL to a PostgreSQL database (or run --role all)")
        self.app = app
        self.procrastinate = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app.store.url)))
        self.procrastinate.add_tasks_from(tasks(), namespace=NAMESPACE)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        await self.procrastinate.open_async()
        self._loop = asyncio.get_running_loop()
        self.app.queue = self

    async def close(self) -> None:
        if self.app.queue is self:
            self.app.queue = None
        await self.procrastinate.close_async()

    async def _defer(self, task: str, lock: str | None = None, **args: Any) -> int | None:
        """Defer `task`; with `lock`, only if no job of that lock waits already (None then)."""
        deferrer = self.procrastinate.configure_task(f"{NAMESPACE}:{task}", queueing_lock=lock)
        try:
            return await deferrer.defer_async(**args)
        except procrastinate.exceptions.AlreadyEnqueued:
            return None

    async def defer_poll(self, feed_id: int, claimed_until: datetime) -> int | None:
        return await self._defer(POLL_TASK.split(":", 1)[1], f"poll:{feed_id}", feed_id=feed_id,
                                 claimed_until=claimed_until.isoformat())

    async def defer_delivery(self, channel_id: int, slot: str) -> int | None:
        return await self._defer("deliver_slot", f"deliver:{channel_id}:{slot}", channel_id=channel_id, slot=slot)

    async def defer_notice(self, platform: str, external_id: str, text: str) -> int | None:
        return await self._defer("post_notice", platform=platform, external_id=external_id, text=text)

    def digest(self, source: str, tenant: str, *, pasted: bool) -> str:
        """From a command's thread: have a worker digest and store `source`, wait for it, and return
        the article's id; the person's error (unreadable page, not an article) is raised as theirs.
        Nobody digesting within the deadline is "busy, try again"."""
        from .errors import SourceError

        if self._loop is None:
            raise RuntimeError("the queue is not open")
        store = self.app.store
        key = secrets.token_hex(16)
        queue_store.add_request(store, key)
        queue_store.prune_requests(store, datetime.now(timezone.utc) - REQUESTS_KEPT)
        work = self._defer("digest_article", key=key, source=source, tenant=tenant, pasted=pasted)
        asyncio.run_coroutine_threadsafe(work, self._loop).result(30)
        settings = self.app.settings
        end = time.monotonic() + settings.digest_deadline + (0 if pasted else settings.fetch_timeout)
        while time.monotonic() < end:
            found = queue_store.get_request(store, key)
            if found is not None and found.finished:
                if found.error is not None:
                    raise SourceError(found.error)
                assert found.article_id is not None
                return found.article_id
            time.sleep(WAIT_POLL)
        raise DigestBusy()

    async def run_worker(self, queues: tuple[str, ...], concurrency: int) -> None:
        """Run a worker for `queues` until cancelled (this process's signal handling stays the runner's)."""
        settings = self.app.settings
        await self.procrastinate.run_worker_async(
            queues=list(queues), concurrency=concurrency, install_signal_handlers=False,
            name=f"newsdigest-{'-'.join(queues)}", additional_context={"newsdigest": self.app},
            update_heartbeat_interval=settings.queue_heartbeat, stalled_worker_timeout=settings.queue_stalled_after,
            delete_jobs="successful", shutdown_graceful_timeout=5)

    async def recover_stalled(self) -> int:
        """Give the running jobs of workers that stopped sending heartbeats back to the queue."""
        manager = self.procrastinate.job_manager
        stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=self.app.settings.queue_stalled_after))
        for job in stalled:
            log.warning("task %s (job %s) was left running by a worker that stopped; given to another", job.task_name, job.id)
            await manager.retry_job(job)
        return len(stalled)
