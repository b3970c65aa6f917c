"""The digest worker pool (bot/workers.py) and the service that sends every digest through it: a
full queue answers "busy", a digest past its deadline is given up and frees its worker, stop()
releases everyone waiting, and a chat command shows the timeout as its one-line answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.app import Newsdigest
from bot.commands import handle_text, run_safely
from bot.config import Settings
from bot.errors import BotStopping, DigestBusy, DigestTimeout
from bot.service import DigestService, UserFacingError
from bot.store import Store
from bot.store.schema import ArticleRow
from bot.workers import Checkpoint, DigestPool
from digests import DigestEngine
from digests.errors import ArticleError
from tests.conftest import wait_for
from tests.helpers.articles import long_article


def until_released(release: threading.Event, started: threading.Event | None = None) -> Callable[[Checkpoint], str]:
    """Work that runs, passing checkpoints, until `release` is set: a slow digest."""
    def work(checkpoint: Checkpoint) -> str:
        if started is not None:
            started.set()
        while not release.is_set():
            checkpoint()
            time.sleep(0.01)
        return "done"
    return work


Running = tuple[threading.Thread, list[object]]  # a thread, and the list that gets its result


def in_thread(call: Callable[[], object]) -> Running:
    """Run `call` in a thread; the list gets its result or the exception it raised."""
    out: list[object] = []

    def target() -> None:
        try:
            out.append(call())
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def fill(pool: DigestPool, release: threading.Event, queued: str = "queued") -> tuple[Running, Running]:
    """A pool of one worker and a queue of one, full: one digest running until `release`, and one
    waiting (its result `queued`); each as `in_thread` gives it."""
    started = threading.Event()
    running = in_thread(lambda: pool.run(until_released(release, started)))
    assert started.wait(5)
    waiting = in_thread(lambda: pool.run(lambda checkpoint: queued))
    assert wait_for(lambda: pool.waiting >= 1, timeout=5, every=0.01)
    return running, waiting


def test_a_full_queue_is_busy_at_once_and_room_comes_back() -> None:
    pool = DigestPool(workers=1, queue_size=1, deadline=30)
    release = threading.Event()
    (first, first_out), (second, second_out) = fill(pool, release, queued="second")
    with pytest.raises(DigestBusy, match="busy digesting other articles: try again in a minute"):
        pool.run(lambda checkpoint: "third")
    release.set()
    first.join(5)
    second.join(5)
    assert first_out == ["done"] and second_out == ["second"]
    assert pool.run(lambda checkpoint: "again") == "again"
    assert isinstance(DigestBusy(), UserFacingError)


def test_a_digest_past_its_deadline_is_given_up_and_frees_its_worker() -> None:
    pool = DigestPool(workers=1, queue_size=1, deadline=0.3)
    never = threading.Event()
    with pytest.raises(DigestTimeout, match="^this article is too long or slow to digest$"):
        pool.run(until_released(never))
    # the worker left the slow digest at its next checkpoint: the next one runs
    assert pool.run(lambda checkpoint: "next") == "next"
    assert isinstance(DigestTimeout(), ArticleError)


def test_a_background_caller_waits_for_room_instead_of_busy() -> None:
    pool = DigestPool(workers=1, queue_size=1, deadline=30)
    release = threading.Event()
    fill(pool, release)
    third, third_out = in_thread(lambda: pool.run(lambda checkpoint: "waited", wait_for_room=True))
    time.sleep(0.2)
    assert third_out == []  # still waiting for room, not refused
    release.set()
    third.join(5)
    assert third_out == ["waited"]


def test_errors_of_the_work_reach_the_caller() -> None:
    pool = DigestPool(workers=2, queue_size=2, deadline=30)

    def bad(checkpoint: Checkpoint) -> str:
        raise ArticleError("the article is empty")

    with pytest.raises(ArticleError, match="the article is empty"):
        pool.run(bad)


def test_stop_releases_everyone_waiting_at_once() -> None:
    pool = DigestPool(workers=1, queue_size=2, deadline=300)
    never, started = threading.Event(), threading.Event()
    running, running_out = in_thread(lambda: pool.run(until_released(never, started)))
    assert started.wait(5)
    waiting, waiting_out = in_thread(lambda: pool.run(lambda checkpoint: "never runs"))
    assert wait_for(lambda: pool.waiting >= 1, timeout=5, every=0.01)  # queued behind the running one
    pool.stop()
    running.join(2)
    waiting.join(2)
    assert not running.is_alive() and not waiting.is_alive()
    assert isinstance(running_out[0], BotStopping) and isinstance(waiting_out[0], BotStopping)
    with pytest.raises(BotStopping):
        pool.run(lambda checkpoint: "refused")


def test_the_service_gives_up_a_slow_digest_with_the_user_facing_error(engine: DigestEngine) -> None:
    service = DigestService(Settings(digest_workers=1, digest_queue=1, digest_deadline=1.0), engine=engine)
    with pytest.raises(DigestTimeout, match="too long or slow"):
        service.digest_text(long_article(40_000))  # several seconds of work
    # the worker leaves it at the next checkpoint (the next parsed piece), long before it would end
    wait_for(lambda: not service.pool._running, timeout=10, every=0.05)
    assert not service.pool._running
    digest = service.digest_text(long_article(300))
    assert digest.article.word_count > 250


def test_a_chat_digest_past_its_deadline_answers_one_line(engine: DigestEngine, tmp_path) -> None:  # noqa: ANN001
    settings = Settings(data_dir=tmp_path, digest_deadline=0.2, digest_workers=1, digest_queue=1)
    app = Newsdigest(settings, store=Store(f"sqlite:///{tmp_path / 'bot.db'}"),
                     service=DigestService(settings, engine=engine))
    app.store.migrate()
    reply = handle_text(app, "/digest " + long_article(40_000).replace("\n\n", " "))
    assert reply.kind == "error" and reply.visibility == "private"
    assert reply.summary == "this article is too long or slow to digest"
    assert reply.title == "Couldn't digest that"  # the article's trouble, not a failure of the bot
    with app.store.session() as s:
        assert s.query(ArticleRow).count() == 0  # nothing half-done was stored
    app.close()


def test_a_feed_entry_being_digested_when_the_bot_stops_stays_new(store, engine, local_http, tmp_path) -> None:  # noqa: ANN001
    from html import escape

    from bot.feeds.poller import poll_due
    from bot.store import feeds as feed_store
    from tests.fakes.feedkit import rss
    from tests.helpers.polling import FEED_XML, NOW, make_app, subscribe

    app = make_app(store, engine, tmp_path, digest_workers=1, digest_queue=1, digest_deadline=600)
    old = {"title": "Ferry timetable", "link": "http://gazette.example/old", "guid": "urn:old"}
    url = local_http.route("/feed.xml", rss([old]), content_type=FEED_XML)
    feed = subscribe(app, url)
    [first] = poll_due(app, NOW)
    assert first.backlog == 1
    # A new entry that carries a whole (long) article in the feed: digesting it takes a while.
    content = "".join(f"<p>{escape(p)}</p>" for p in long_article(30_000).split("\n\n")[1:])
    new = {"title": "Terminal opens", "link": "http://gazette.example/new", "guid": "urn:new", "content": content}
    local_http.route("/feed.xml", rss([new, old]), content_type=FEED_XML)
    later = NOW + timedelta(hours=2)
    polling, outcome = in_thread(lambda: poll_due(app, later))
    wait_for(lambda: app.service.pool._running, timeout=60, every=0.02)
    assert app.service.pool._running, "the new entry's digest did not start"
    app.stop_digests()  # what `newsdigest run` does on SIGTERM
    polling.join(10)
    assert not polling.is_alive()
    assert isinstance(outcome[0], BotStopping)
    # nothing recorded for the new entry: the next poll after the restart digests it
    assert [e.entry_key for e in feed_store.entries(store, feed.id)] == ["id:urn:old"]


def test_a_command_given_up_by_a_stopping_bot_answers_one_line() -> None:
    def stopping():  # noqa: ANN202 - a Reply, never returned
        raise BotStopping()

    reply = run_safely(stopping, "/digest")
    assert (reply.kind, reply.summary) == ("error", "Newsdigest is stopping: try again in a minute.")
