"""`newsdigest run --role chat|worker|scheduler` as separate processes on one PostgreSQL: a scheduled
slot posted once by the chat role; the scheduler leader killed with SIGKILL and a standby taking over,
every slot still in the ledger once; a worker killed with SIGKILL mid-poll and its task finished by
another worker, the feed's entries stored once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.leader import LOCK_NAME
from bot.schedules import parse_schedule
from bot.store import Store
from bot.store import articles as article_store
from bot.store import channels as channel_store
from bot.store import deliveries as ledger
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from bot.store.locks import lock_holder
from bot.store.schema import DigestRequestRow, FeedEntryRow, FeedRow, SubscriptionRow
from tests.conftest import stop, wait_for
from tests.fakes.feedkit import rss, story
from tests.fakes.slack_server import signed_headers, slack_api, slash_body  # noqa: F401 - slack_api: a fixture
from tests.helpers.slack_process import SECRET, environment, free_port, post, wait_for_port

CLI = Path(sys.executable).parent / "newsdigest"
TERMINAL = ChannelRef(platform="terminal", external_id="local", name="terminal")

pytestmark = pytest.mark.slow


@pytest.fixture
def database(postgres_server):
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


class Roles:
    """The role processes a test starts, each logging to its own file; all stopped at the end."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url, self.tmp_path = url, tmp_path
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, role: str, **env: str) -> subprocess.Popen:
        full = {**os.environ, "NEWSDIGEST_DATABASE_URL": self.url, "NEWSDIGEST_DATA_DIR": str(self.tmp_path / name),
                "NEWSDIGEST_DELIVERY_LEASE": "5", "NEWSDIGEST_QUEUE_HEARTBEAT": "1", "NEWSDIGEST_QUEUE_STALLED_AFTER": "3",
                "NEWSDIGEST_LEADER_RETRY": "1", "NEWSDIGEST_ALLOW_PRIVATE_URLS": "true", "NO_COLOR": "1",
                "COLUMNS": "120", **env}
        for key in [k for k in full if k.startswith(("NEWSDIGEST_SLACK", "NEWSDIGEST_DISCORD"))]:
            del full[key]
        process = subprocess.Popen([str(CLI), "run", "--role", role], stdout=self.log(name).open("wb"),
                                   stderr=subprocess.STDOUT, env=full)
        self.processes[name] = process
        return process

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def text(self, name: str) -> str:
        path = self.log(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.text(name)[-3000:]}" for name in self.processes)

    def kill(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            stop(process)


@pytest.fixture
def roles(database, tmp_path):
    started = Roles(database, tmp_path)
    yield started
    started.stop_all()


def scheduled_channel(url: str, digest_factory) -> tuple[Store, int]:
    """A terminal channel with one story waiting and a digest every minute."""
    store = Store(url)
    store.migrate()
    now = datetime.now(timezone.utc)
    feed = "http://127.0.0.1:9/feed.xml"  # never polled during the test (next poll tomorrow)
    feed_store.subscribe(store, TERMINAL, feed, interval_seconds=900, now=now + timedelta(days=1))
    channel_id = channel_store.find_channel(store, TERMINAL)
    saved = article_store.save_digest(store, digest_factory([("The ferry runs again from Monday", "Ana Silva")],
                                                            title="Ferry service returns", url="https://news.example/ferry"))
    with store.session() as s:
        s.query(SubscriptionRow).update({"created_at": now - timedelta(days=1)})
        feed_id = s.query(FeedRow).filter_by(url=feed).one().id
        s.add(FeedEntryRow(feed_id=feed_id, entry_key="ferry", article_id=saved.article_id,
                           first_seen_at=now - timedelta(minutes=20)))
    channel_store.set_schedule(store, TERMINAL, parse_schedule("* * * * *", "UTC"))
    assert channel_id is not None
    return store, channel_id


def posts(text: str) -> int:
    """Digest posts printed by the terminal poster (each opens with "News digest · …")."""
    return text.count("News digest ·")


def pid_of(holder: str | None) -> int | None:
    return int(holder.rsplit(":", 1)[1]) if holder else None


@pytest.mark.postgresql
def test_split_roles_post_each_slot_once_and_a_standby_scheduler_takes_over(database, roles, digest_factory):
    store, channel_id = scheduled_channel(database, digest_factory)
    roles.start("chat", "chat")
    first = roles.start("scheduler1", "scheduler")
    assert wait_for(lambda: pid_of(lock_holder(store, LOCK_NAME)) == first.pid), roles.logs()
    second = roles.start("scheduler2", "scheduler")
    assert wait_for(lambda: "standby" in roles.text("scheduler2")), roles.logs()
    assert wait_for(lambda: ("posted" in dict(ledger.deliveries(store, channel_id)).values())), roles.logs()

    roles.kill("scheduler1")
    killed_at = datetime.now(timezone.utc)
    assert wait_for(lambda: pid_of(lock_holder(store, LOCK_NAME)) == second.pid), roles.logs()
    # The new leader fires the slots after the kill: a slot of a later minute reaches the ledger.
    later = (killed_at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%MZ")
    assert wait_for(lambda: any(slot >= later and status != "claimed"
                                for slot, status in ledger.deliveries(store, channel_id)), timeout=240), roles.logs()
    roles.stop_all()

    rows = ledger.deliveries(store, channel_id)
    assert len({slot for slot, _ in rows}) == len(rows)  # one row per slot
    assert [status for _, status in rows].count("posted") == 1  # the one story, posted once
    assert posts(roles.text("chat")) == 1
    assert all(status in {"posted", "empty"} for _, status in rows), rows
    assert "Traceback" not in roles.logs()
    store.close()


@pytest.mark.postgresql
def test_a_worker_killed_mid_poll_leaves_its_task_to_another(database, roles, local_http):
    store = Store(database)
    store.migrate()
    now = datetime.now(timezone.utc)
    items = []
    for n in range(2):
        title, paragraphs = story(n, words=200)
        items.append({"title": title, "link": local_http.url(f"/story/{n}"), "guid": f"story-{n}",
                      "date": now - timedelta(minutes=5), "content": "".join(f"<p>{p}</p>" for p in paragraphs)})
    body = rss(items)
    # The first worker's fetch of the feed hangs until it is killed; the second worker's is answered.
    feed_url = local_http.route("/feed.xml", body, content_type="application/rss+xml", delay=3600)
    feed_store.subscribe(store, TERMINAL, feed_url, interval_seconds=900, now=now)
    with store.session() as s:  # polled before, so that these entries are news, not backlog
        s.query(FeedRow).update({"last_polled_at": now - timedelta(hours=1), "next_poll_at": now - timedelta(minutes=1)})

    roles.start("scheduler", "scheduler")
    roles.start("worker1", "worker", NEWSDIGEST_FETCH_TIMEOUT="600")
    assert wait_for(lambda: "/feed.xml" in local_http.paths()), roles.logs()
    roles.kill("worker1")
    local_http.route("/feed.xml", body, content_type="application/rss+xml")
    roles.start("worker2", "worker")
    assert wait_for(lambda: local_http.paths().count("/feed.xml") >= 2), roles.logs()

    def entries() -> list[tuple[str, str | None]]:
        with store.session() as s:
            return [(row.entry_key, row.article_id) for row in s.scalars(select(FeedEntryRow).order_by(FeedEntryRow.entry_key))]

    assert wait_for(lambda: len(entries()) == 2 and all(a for _, a in entries()), timeout=240), roles.logs()

    def polled() -> bool:
        feed = feed_store.feed_by_url(store, feed_url)
        return feed is not None and feed.last_polled_at is not None and feed.last_polled_at > now

    assert wait_for(polled, timeout=60), roles.logs()
    roles.stop_all()
    assert [key for key, _ in entries()] == ["id:story-0", "id:story-1"]  # each entry stored once
    assert len({article for _, article in entries()}) == 2
    assert "Traceback" not in roles.logs()
    store.close()


@pytest.mark.postgresql
def test_status_shows_the_task_queue_and_who_leads(database, roles, tmp_path):
    store = Store(database)
    store.migrate()
    env = {**os.environ, "NEWSDIGEST_DATABASE_URL": database, "NEWSDIGEST_DATA_DIR": str(tmp_path / "status"),
           "NO_COLOR": "1", "COLUMNS": "200"}

    def status() -> str:
        return subprocess.run([str(CLI), "status"], capture_output=True, text=True, env=env, check=True).stdout

    assert "task queue: empty; 0 waiting to be retried" in status()
    assert "scheduler leader: none" in status()
    leader = roles.start("scheduler", "scheduler")
    assert wait_for(lambda: f":{leader.pid}" in status()), roles.logs()
    assert "scheduler leader: newsdigest scheduler " in status()
    store.close()


@pytest.mark.parametrize("role", ["chat", "worker", "scheduler"])
def test_a_split_role_on_sqlite_stops_with_one_line(role, tmp_path):
    env = {**os.environ, "NEWSDIGEST_DATA_DIR": str(tmp_path), "NO_COLOR": "1"}
    env.pop("NEWSDIGEST_DATABASE_URL", None)
    for key in [k for k in env if k.startswith(("NEWSDIGEST_SLACK", "NEWSDIGEST_DISCORD"))]:
        del env[key]
    done = subprocess.run([str(CLI), "run", "--role", role], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "newsdigest: the roles chat, worker and scheduler share their work through PostgreSQL: set "
        "NEWSDIGEST_DATABASE_URL to a PostgreSQL database (or run --role all)"]


@pytest.mark.postgresql
def test_a_slack_chat_process_has_a_worker_digest_pasted_text(database, roles, slack_api):  # noqa: F811
    store = Store(database)
    store.migrate()
    roles.start("worker", "worker")
    port = free_port()
    env = environment(roles.tmp_path / "chat", database_url=database, slack_bot_token="xoxb-test",
                      slack_signing_secret=SECRET, slack_port=str(port), slack_api_url=slack_api.api_url)
    chat = subprocess.Popen([str(CLI), "run", "slack", "--role", "chat"], env=env, stdin=subprocess.DEVNULL,
                            stdout=roles.log("chat").open("wb"), stderr=subprocess.STDOUT)
    roles.processes["chat"] = chat
    wait_for_port(port, chat, timeout=120)
    title, paragraphs = story(3)
    body = slash_body("/digest", "\n\n".join([title, *paragraphs]), slack_api.response_url())
    status, _ = post(port, body, signed_headers(body, SECRET))
    assert status == 200
    assert wait_for(lambda: any(title in json.dumps(json.loads(r.body)) for r in slack_api.responses()),
                    timeout=240), roles.logs()
    with store.session() as s:  # the chat process asked the queue; a worker digested and stored it
        [request] = s.scalars(select(DigestRequestRow)).all()
    assert request.article_id is not None and request.error is None
    assert article_store.get_digest(store, request.article_id).article.title == title
    roles.stop_all()
    assert chat.returncode == 0
    assert "Traceback" not in roles.logs()
    store.close()


def test_platforms_named_for_a_role_without_platforms_are_a_usage_mistake(tmp_path):
    env = {**os.environ, "NEWSDIGEST_DATA_DIR": str(tmp_path), "NO_COLOR": "1"}
    env.pop("NEWSDIGEST_DATABASE_URL", None)
    done = subprocess.run([str(CLI), "run", "slack", "--role", "worker"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "newsdigest: the worker role serves no platform: name platforms with --role chat or all"
