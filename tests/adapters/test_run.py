"""`newsdigest run` as separate processes on one PostgreSQL database: a restart in the middle of a
delivery, and two bot processes running the same schedule, each post the slot exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.schedules import parse_schedule
from bot.store import Store
from bot.store import articles as article_store
from bot.store import channels as channel_store
from bot.store import deliveries as ledger
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from bot.store.schema import FeedEntryRow, FeedRow, SubscriptionRow
from tests.conftest import stop, wait_for

CLI = Path(sys.executable).parent / "newsdigest"
TERMINAL = ChannelRef(platform="terminal", external_id="local", name="terminal")
TITLE = "Harbour reopens after the storm"

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]  # every test here starts a subprocess


@pytest.fixture
def database(postgres_server):
    """A fresh PostgreSQL database for these processes, dropped afterwards."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def prepare(url: str, digest_factory) -> tuple[Store, int, str]:
    """A terminal channel subscribed to a feed with one new story, whose daily digest fell due ten
    minutes ago (within the grace time)."""
    store = Store(url)
    store.migrate()
    now = datetime.now(timezone.utc)
    feed = "http://127.0.0.1:9/feed.xml"  # nothing listens there: the poller's failures are harmless
    feed_store.subscribe(store, TERMINAL, feed, interval_seconds=900, now=now + timedelta(days=1))  # not polled now
    channel_id = channel_store.find_channel(store, TERMINAL)
    saved = article_store.save_digest(store, digest_factory([("We will reopen on Monday", "Ana Silva")], title=TITLE,
                                             url="https://news.example/harbour"))
    with store.session() as s:
        s.query(SubscriptionRow).update({"created_at": now - timedelta(days=1)})
        feed_id = s.query(FeedRow).filter_by(url=feed).one().id
        s.add(FeedEntryRow(feed_id=feed_id, entry_key="harbour", article_id=saved.article_id,
                           first_seen_at=now - timedelta(minutes=20)))
    due = (now - timedelta(minutes=10)).replace(second=0, microsecond=0)
    channel_store.set_schedule(store, TERMINAL, parse_schedule(f"daily {due:%H:%M}", "UTC"))
    return store, channel_id, due.strftime("%Y-%m-%dT%H:%MZ")


def start_bot(url: str, data_dir: Path, log: Path) -> subprocess.Popen:
    # At DEBUG the bot also logs a slot it found already done, which is how a test knows that a
    # process looked at the slot and left it (see done_with).
    env = {**os.environ, "NEWSDIGEST_DATABASE_URL": url, "NEWSDIGEST_DATA_DIR": str(data_dir),
           "NEWSDIGEST_DELIVERY_LEASE": "1", "NEWSDIGEST_LOG_LEVEL": "debug", "NO_COLOR": "1", "COLUMNS": "120"}
    for key in [k for k in env if k.startswith(("NEWSDIGEST_SLACK", "NEWSDIGEST_DISCORD"))]:
        del env[key]
    return subprocess.Popen([str(CLI), "run"], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)


def done_with(log: Path, channel_id: int, slot: str) -> bool:
    """The bot's log says it is done with the slot: it posted it (bot.delivery's INFO line), or found
    it done by another process (its DEBUG line). A bot that found the claim held says so and looks
    again when the claim expires (bot.scheduler.follow_up), so that is not done yet."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return f"digest for terminal:local slot {slot}: posted" in text or f"channel {channel_id} slot {slot}: already done" in text


def posted_in(log: Path) -> int:
    """Digest posts printed by the terminal poster: each opens with a rule titled "News digest · …"."""
    return log.read_text(errors="replace").count("News digest ·") if log.exists() else 0


def test_two_bot_processes_post_each_slot_once(database, digest_factory, tmp_path):
    store, channel_id, slot = prepare(database, digest_factory)
    logs = [tmp_path / "bot1.log", tmp_path / "bot2.log"]
    bots = [start_bot(database, tmp_path / f"data{n}", log) for n, log in enumerate(logs)]
    try:
        assert wait_for(lambda: ledger.deliveries(store, channel_id) == [(slot, "posted")]), \
            [log.read_text(errors="replace")[-2000:] for log in logs]
        # Each process has run its catch-up of the slot to the end (one posted, the other found it
        # done, at worst after a retry a minute later): neither has anything left to post it with.
        assert wait_for(lambda: all(done_with(log, channel_id, slot) for log in logs), timeout=180), \
            [log.read_text(errors="replace")[-2000:] for log in logs]
    finally:
        for bot in bots:
            stop(bot)
    assert sum(posted_in(log) for log in logs) == 1
    assert "Traceback" not in "".join(log.read_text(errors="replace") for log in logs)
    store.close()


def test_a_bot_killed_between_claiming_and_posting_posts_once_after_a_restart(database, digest_factory, tmp_path):
    store, channel_id, slot = prepare(database, digest_factory)
    # A bot process that claims the slot and dies mid-post: its platform call never returns, and it
    # is killed with SIGKILL, so it cannot complete the ledger row.
    script = f"""
import asyncio, sys
from datetime import datetime, timezone
from bot.app import Newsdigest
from bot.config import Settings
from bot.delivery import deliver

class Hanging:
    platform = "terminal"
    async def post_digest(self, channel_id, post, record=None):
        print("posting", flush=True)
        await asyncio.sleep(3600)
    async def post_notice(self, channel_id, text):
        await asyncio.sleep(3600)

app = Newsdigest(Settings(database_url={database!r}, data_dir={str(tmp_path / 'dying')!r}))
app.posters.register(Hanging())
asyncio.run(deliver(app, {channel_id}, {slot!r}, datetime.now(timezone.utc)))
"""
    dying = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert dying.stdout.readline().strip() == b"posting"
        assert ledger.deliveries(store, channel_id) == [(slot, "claimed")]
    finally:
        dying.kill()
        dying.wait()
    assert ledger.deliveries(store, channel_id) == [(slot, "claimed")]

    log = tmp_path / "restarted.log"
    bot = start_bot(database, tmp_path / "data", log)
    try:
        assert wait_for(lambda: ledger.deliveries(store, channel_id) == [(slot, "posted")]), log.read_text(errors="replace")
        # its catch-up run has ended (the line is logged after the post): nothing else could post the slot
        assert wait_for(lambda: done_with(log, channel_id, slot)), log.read_text(errors="replace")
    finally:
        stop(bot)
    assert posted_in(log) == 1
    store.close()
