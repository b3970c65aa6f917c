"""The split roles' parts in one process, on the real PostgreSQL: the queue's tasks are idempotent
(a slot posted once however often its task runs, a feed polled once per claim), a platform that is
down is retried with backoff and shows in the queue's status, a chat process killed mid-post leaves
its slot to another (posted once), a chat's /digest is digested by a worker of the queue, a feed
paused by a worker is told by the chat process, and the scheduler's advisory lock has one holder at
a time."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from procrastinate.jobs import Job

from bot.app import Newsdigest
from bot.commands import digest as digest_command
from bot.config import Settings
from bot.errors import SourceError
from bot.feeds.poller import claim_due, poll_claimed
from bot.platforms import PostResult
from bot.queue import BACKOFF_BASE, MAX_ATTEMPTS, Backoff, QueueClient, RetryLater
from bot.store import Store, StoreError
from bot.store import deliveries as ledger
from bot.store import feeds as feed_store
from bot.store import queue as queue_store
from bot.store.locks import AdvisoryLock, lock_holder
from tests.conftest import wait_for
from tests.fakes.feedkit import rss, story
from tests.helpers.delivery import CHANNEL, RecordingPoster, add_entry, subscribe


@pytest.fixture
def pg_store(postgres_database):
    postgres_database.clean()
    store = Store(postgres_database.url)
    yield store
    store.close()


def make_app(store: Store, tmp_path, **settings) -> Newsdigest:
    return Newsdigest(Settings(database_url=store.url, data_dir=tmp_path, allow_private_urls=True,
                               queue_heartbeat=1, queue_stalled_after=3, **settings), store=store)


def job(attempts: int) -> Job:
    return Job(id=1, queue="deliveries", lock=None, queueing_lock=None, task_name="newsdigest:deliver_slot",
               attempts=attempts)


def test_backoff_doubles_honours_retry_after_and_gives_up():
    strategy = Backoff()
    now = datetime.now(timezone.utc)
    waits = [(strategy.get_retry_decision(exception=RetryLater("busy"), job=job(n)).retry_at - now).total_seconds()
             for n in range(3)]
    assert [round(w) for w in waits] == [round(BACKOFF_BASE * 2 ** n) for n in range(3)]
    asked = strategy.get_retry_decision(exception=RetryLater("rate limited", after=90), job=job(0))
    assert (asked.retry_at - now).total_seconds() >= 90
    assert strategy.get_retry_decision(exception=ValueError("a bug"), job=job(0)) is None  # not retried: failed
    assert strategy.get_retry_decision(exception=RetryLater("busy"), job=job(MAX_ATTEMPTS - 1)) is None


@pytest.mark.postgresql
def test_one_holder_of_the_scheduler_lock_at_a_time(pg_store):
    first, second = AdvisoryLock(pg_store, "test:lock", "first"), AdvisoryLock(pg_store, "test:lock", "second")
    assert first.try_take()
    assert not second.try_take()
    assert lock_holder(pg_store, "test:lock") == "first"
    first.release()  # as a dead leader's connection does
    assert second.try_take() and second.held()
    assert lock_holder(pg_store, "test:lock") == "second"
    second.release()
    assert lock_holder(pg_store, "test:lock") is None


@pytest.mark.postgresql
def test_a_lock_is_one_databases_another_installation_on_the_server_has_its_own(pg_store, postgres_server):
    other_url = postgres_server.create_database()
    other = Store(other_url)
    try:
        here, there = AdvisoryLock(pg_store, "test:lock", "here"), AdvisoryLock(other, "test:lock", "there")
        assert here.try_take() and there.try_take()  # the same name in two databases: two leaders
        assert lock_holder(pg_store, "test:lock") == "here"
        assert lock_holder(other, "test:lock") == "there"
        there.release()
        assert lock_holder(other, "test:lock") is None
        assert lock_holder(pg_store, "test:lock") == "here"
        here.release()
    finally:
        other.close()
        postgres_server.drop_database(other_url)


@pytest.mark.postgresql
def test_a_feed_claimed_once_is_polled_once(pg_store, tmp_path, local_http):
    title, paragraphs = story(1)
    url = local_http.route("/feed.xml", rss([{"title": title, "link": local_http.url("/s/1"), "guid": "s1"}]),
                           content_type="application/rss+xml")
    now = datetime.now(timezone.utc)
    feed_store.subscribe(pg_store, CHANNEL, url, interval_seconds=900, now=now)
    app = make_app(pg_store, tmp_path)
    [(feed, until)] = claim_due(app, now)
    assert claim_due(app, now) == []  # claimed: not due for another scheduler pass
    assert poll_claimed(app, feed.id, until, now).status == "ok"  # a first poll: its entry kept as backlog
    again = poll_claimed(app, feed.id, until, now)  # the same task run again (a retry)
    assert (again.status, again.error) == ("skipped", "polled already")
    assert local_http.paths().count("/feed.xml") == 1


@pytest.mark.postgresql
async def test_a_slot_task_posts_once_and_a_platform_down_is_retried(pg_store, tmp_path, digest_factory):
    app = make_app(pg_store, tmp_path)
    poster = RecordingPoster()
    poster.answers = [PostResult(status="unavailable", detail="platform down")]
    app.posters.register(poster)
    at = datetime.now(timezone.utc) - timedelta(days=1)
    channel_id = subscribe(pg_store, "https://feeds.example/a.xml", at)
    add_entry(pg_store, "https://feeds.example/a.xml", digest_factory([("The bridge opens in May", "Ana Silva")],
                                                                      title="Bridge opens"), at + timedelta(hours=1))
    client = QueueClient(app)
    await client.open()
    try:
        assert await client.defer_delivery(channel_id, "2026-12-01T08:00Z") is not None
        assert await client.defer_delivery(channel_id, "2026-12-01T08:00Z") is None  # waiting already: not twice
        status = await asyncio.to_thread(queue_store.queue_status, pg_store)
        assert [(q.queue, q.todo) for q in status.queues] == [("deliveries", 1)]
        worker = asyncio.create_task(client.run_worker(("deliveries",), 2))
        # The platform is down at the first attempt: the job waits for its retry, visible in the status.
        assert await asyncio.to_thread(wait_for, lambda: queue_store.queue_status(pg_store).retrying == 1)
        assert await asyncio.to_thread(wait_for, lambda: ledger.deliveries(pg_store, channel_id)
                                       == [("2026-12-01T08:00Z", "posted")])
        await client.defer_delivery(channel_id, "2026-12-01T08:00Z")  # a new leader fires the slot again
        assert await asyncio.to_thread(wait_for, lambda: sum(q.todo + q.doing for q in queue_store.queue_status(
            pg_store).queues) == 0)
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    finally:
        await client.close()
    assert len(poster.posts) == 1
    assert ledger.deliveries(pg_store, channel_id) == [("2026-12-01T08:00Z", "posted")]


@pytest.fixture
def own_store(postgres_server):
    """A database of its own, migrated (the queue's worker and the chat process share it)."""
    url = postgres_server.create_database()
    store = Store(url)
    store.migrate()
    yield store
    store.close()
    postgres_server.drop_database(url)


@pytest.mark.postgresql
async def test_a_chat_digest_is_made_by_a_worker_of_the_queue(own_store, tmp_path, local_http, engine):
    from bot.service import DigestService

    pg_store = own_store
    chat = make_app(pg_store, tmp_path / "chat", digest_deadline=20)
    worker_app = Newsdigest(chat.settings, store=pg_store, service=DigestService(chat.settings, engine=engine))
    chat_client, worker_client = QueueClient(chat), QueueClient(worker_app)
    await chat_client.open()
    await worker_client.open()
    worker = asyncio.create_task(worker_client.run_worker(("digests",), 1))
    try:
        title, paragraphs = story(7)
        pasted = "\n\n".join([title, *paragraphs])
        reply = await asyncio.to_thread(digest_command, chat, pasted, CHANNEL)
        assert reply.digest is not None and reply.digest.article.title == title
        assert any(q.speaker for q in reply.digest.quotes)
        assert "service" not in chat.__dict__  # the chat process loaded no engine: the worker digested
        missing = local_http.url("/gone.html")  # answers 404: the person is told, nothing retried
        with pytest.raises(SourceError) as raised:
            await asyncio.to_thread(chat_client.digest, missing, CHANNEL.tenant, pasted=False)
        assert "404" in str(raised.value)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await chat_client.close()
        await worker_client.close()


@pytest.mark.postgresql
async def test_status_shows_the_queue_depth_its_failures_and_the_leader(pg_store, tmp_path):
    from bot.leader import LOCK_NAME, holder_name
    from bot.status import status_report

    app = make_app(pg_store, tmp_path)
    client = QueueClient(app)
    await client.open()
    try:
        # A task this version no longer has (a job left by an older one): the worker fails it.
        await client.procrastinate.configure_task("newsdigest:retired_task", queue="feeds").defer_async(feed_id=3)
        await client.defer_delivery(1, "2026-12-01T09:00Z")  # waits: no chat process runs
        worker = asyncio.create_task(client.run_worker(("feeds",), 1))
        assert await asyncio.to_thread(wait_for, lambda: queue_store.queue_status(pg_store).failures)
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    finally:
        await client.close()
    lock = AdvisoryLock(pg_store, LOCK_NAME, holder_name())
    assert lock.try_take()
    try:
        report = await asyncio.to_thread(status_report, app, datetime.now(timezone.utc), [])
    finally:
        lock.release()
    assert report.queue is not None
    assert {(q.queue, q.todo, q.failed) for q in report.queue.queues} == {("feeds", 0, 1), ("deliveries", 1, 0)}
    [failure] = report.queue.failures
    assert (failure.task, failure.args) == ("newsdigest:retired_task", {"feed_id": 3})
    assert report.scheduler_leader == holder_name()


def test_without_postgresql_there_is_no_queue_and_the_roles_say_so(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'nd.db'}")
    store.migrate()
    try:
        assert queue_store.queue_status(store) is None
        app = Newsdigest(Settings(database_url=store.url, data_dir=tmp_path), store=store)
        with pytest.raises(StoreError, match="PostgreSQL"):
            QueueClient(app)
    finally:
        store.close()


@pytest.mark.postgresql
async def test_a_feed_paused_by_a_worker_is_told_to_its_channel_by_the_chat_process(pg_store, tmp_path, local_http):
    url = local_http.route("/broken.xml", "gone", status=500, content_type="text/plain")
    now = datetime.now(timezone.utc)
    feed_store.subscribe(pg_store, CHANNEL, url, interval_seconds=900, now=now)
    worker_app, chat_app = make_app(pg_store, tmp_path / "w", feed_pause_after=1), make_app(pg_store, tmp_path / "c")
    poster = RecordingPoster()
    chat_app.posters.register(poster)
    worker_client, chat_client = QueueClient(worker_app), QueueClient(chat_app)
    await worker_client.open()
    await chat_client.open()
    running = [asyncio.create_task(worker_client.run_worker(("feeds",), 1)),
               asyncio.create_task(chat_client.run_worker(("deliveries",), 1))]
    try:
        [(feed, until)] = await asyncio.to_thread(claim_due, worker_app, now)
        await worker_client.defer_poll(feed.id, until)
        assert await asyncio.to_thread(wait_for, lambda: poster.notices)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await worker_client.close()
        await chat_client.close()
    [(channel, text)] = poster.notices
    assert channel == CHANNEL.external_id and text.startswith("Paused the feed") and url in text
    assert feed_store.feed_by_url(pg_store, url).paused


@pytest.mark.slow
@pytest.mark.postgresql
async def test_a_chat_process_killed_mid_post_leaves_the_slot_to_another_posted_once(pg_store, tmp_path, digest_factory):
    at = datetime.now(timezone.utc) - timedelta(days=1)
    channel_id = subscribe(pg_store, "https://feeds.example/b.xml", at)
    add_entry(pg_store, "https://feeds.example/b.xml", digest_factory([("The pool reopens in June", "Ana Silva")],
                                                                      title="Pool reopens"), at + timedelta(hours=1))
    slot = "2026-12-01T10:00Z"
    # A chat process whose platform call never returns, killed with SIGKILL mid-post: it cannot
    # complete the ledger row nor tell the queue; its heartbeats stop.
    script = f"""
import asyncio
from bot.app import Newsdigest
from bot.config import Settings
from bot.queue import QueueClient

class Hanging:
    platform = "recorder"
    async def post_digest(self, channel_id, post, record=None):
        print("posting", flush=True)
        await asyncio.sleep(3600)
    async def post_notice(self, channel_id, text):
        await asyncio.sleep(3600)

async def main():
    app = Newsdigest(Settings(database_url={pg_store.url!r}, data_dir={str(tmp_path / 'dying')!r}, delivery_lease=1,
                              queue_heartbeat=1, queue_stalled_after=3))
    app.posters.register(Hanging())
    client = QueueClient(app)
    await client.open()
    await client.defer_delivery({channel_id}, {slot!r})
    await client.run_worker(("deliveries",), 1)

asyncio.run(main())
"""
    dying = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert dying.stdout.readline().strip() == b"posting"
        assert ledger.deliveries(pg_store, channel_id) == [(slot, "claimed")]
    finally:
        dying.kill()
        dying.wait()

    app = make_app(pg_store, tmp_path, delivery_lease=1)
    poster = RecordingPoster()
    app.posters.register(poster)
    client = QueueClient(app)
    await client.open()
    loop = asyncio.get_running_loop()
    worker = asyncio.create_task(client.run_worker(("deliveries",), 1))
    try:
        # The scheduler's leader does this every few seconds: the dead process's job goes back to the queue.
        assert await asyncio.to_thread(wait_for, lambda: asyncio.run_coroutine_threadsafe(
            client.recover_stalled(), loop).result() > 0)
        assert await asyncio.to_thread(wait_for, lambda: ledger.deliveries(pg_store, channel_id) == [(slot, "posted")])
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await client.close()
    [(_, post)] = poster.posts
    assert post.may_be_posted  # taken over: the platform is told it may have been posted (same idempotency key)


@pytest.mark.postgresql
async def test_a_feed_whose_poll_task_waits_past_its_lease_is_not_claimed_again(pg_store, tmp_path, local_http):
    from bot.feeds.poller import LEASE
    from bot.queue import POLL_TASK

    url = local_http.route("/slow-queue.xml", rss([{"title": "One", "link": local_http.url("/s/1"), "guid": "s1"}]),
                           content_type="application/rss+xml")
    now = datetime.now(timezone.utc)
    feed_store.subscribe(pg_store, CHANNEL, url, interval_seconds=900, now=now)
    app = make_app(pg_store, tmp_path)
    client = QueueClient(app)
    await client.open()
    try:
        [(feed, until)] = await asyncio.to_thread(claim_due, app, now)
        assert await client.defer_poll(feed.id, until) is not None
        # No worker took it before its lease ran out (a long queue): the next pass leaves the feed to
        # the waiting task instead of claiming it again, which would make that task's claim stale.
        later = now + LEASE + timedelta(seconds=1)
        waiting = await asyncio.to_thread(queue_store.feeds_in_queue, pg_store, POLL_TASK)
        assert waiting == {feed.id}
        assert await asyncio.to_thread(claim_due, app, later, None, waiting) == []
        assert (await asyncio.to_thread(poll_claimed, app, feed.id, until, later)).status == "ok"
    finally:
        await client.close()
