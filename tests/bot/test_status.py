"""`newsdigest status --json` and `newsdigest channels` on a store with two channels, feeds in every
state and deliveries in the ledger; `--channel` takes exactly the stored forms (issue 15, item 2)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.schedules import parse_schedule
from bot.store import Store
from bot.store import channels as channel_store
from bot.store import deliveries as ledger
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from tests.helpers.cli import assert_one_line_error, run

pytestmark = pytest.mark.slow  # every test here starts a subprocess

SLACK = ChannelRef(platform="slack", external_id="T0TEAM:C0NEWS", name="news", workspace="T0TEAM")
DISCORD = ChannelRef(platform="discord", external_id="4242", name="general", workspace="77")
NOW = datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc)


def fill(store: Store) -> None:
    def feed(url: str, channel: ChannelRef = SLACK) -> int:
        return feed_store.subscribe(store, channel, url, interval_seconds=900, now=NOW)[1].id

    feed("https://new.example/feed.xml")  # never polled
    ok = feed("https://ok.example/feed.xml")
    feed_store.record_success(store, ok, now=NOW, next_poll_at=NOW + timedelta(minutes=15), etag=None, last_modified=None)
    failing = feed("https://failing.example/feed.xml")
    feed_store.record_failure(store, failing, error="HTTP 503", next_poll_at=NOW + timedelta(minutes=30), pause_after=5)
    paused = feed("https://paused.example/feed.xml", DISCORD)
    feed_store.record_failure(store, paused, error="not a feed", next_poll_at=NOW, pause_after=1)
    channel_store.set_schedule(store, DISCORD, parse_schedule("weekdays 08:00", "Europe/Paris"))
    channel_id = channel_store.find_channel(store, DISCORD)
    first = ledger.claim(store, channel_id, "2026-11-30T07:00Z", NOW - timedelta(days=1), timedelta(minutes=10))
    ledger.complete(store, first, ledger.POSTED, NOW - timedelta(days=1), "message 1")
    second = ledger.claim(store, channel_id, "2026-12-01T07:00Z", NOW, timedelta(minutes=10))
    ledger.complete(store, second, ledger.RETRY, NOW, "rate_limited: 429")


@pytest.fixture
def filled(tmp_path) -> None:
    """The data directory's SQLite store, filled as `fill` says, closed again for the commands to open."""
    store = Store(f"sqlite:///{tmp_path / 'newsdigest.db'}")
    store.migrate()
    try:
        fill(store)
    finally:
        store.close()


def test_status_json_shows_channels_feeds_in_every_state_schedules_and_deliveries(filled, tmp_path):
    done = run("status", "--json", env={"NEWSDIGEST_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [p["name"] for p in report["platforms"]] == ["slack", "discord"]
    assert report["store"]["schema_state"] == "current" and report["store"]["revision"] == report["store"]["head"]
    channels = {c["channel"]: c for c in report["channels"]}
    assert set(channels) == {"slack:T0TEAM:C0NEWS", "discord:4242"}
    slack, discord = channels["slack:T0TEAM:C0NEWS"], channels["discord:4242"]
    assert (slack["workspace"], slack["name"], slack["schedule"], slack["next_digest_at"]) == ("T0TEAM", "news", None, None)
    states = {f["url"]: (f["state"], f["failures"], f["last_error"]) for f in slack["feeds"]}
    assert states == {"https://new.example/feed.xml": ("not polled yet", 0, None),
                      "https://ok.example/feed.xml": ("ok", 0, None),
                      "https://failing.example/feed.xml": ("failing", 1, "HTTP 503")}
    [paused] = discord["feeds"]
    assert (paused["state"], paused["last_error"], paused["next_poll_at"]) == ("paused", "not a feed", None)
    assert discord["schedule"] == "0 8 * * mon-fri (Europe/Paris)"
    upcoming = datetime.fromisoformat(discord["next_digest_at"])
    assert upcoming > datetime.now(timezone.utc) and upcoming.utcoffset() is not None
    assert upcoming.astimezone(timezone(timedelta(hours=1))).hour in (8, 9)  # 08:00 Paris, CET or CEST
    assert [(d["slot"], d["status"], d["detail"]) for d in discord["deliveries"]] == [
        ("2026-12-01T07:00Z", "retry", "rate_limited: 429"), ("2026-11-30T07:00Z", "posted", "message 1")]

    text = run("status", env={"NEWSDIGEST_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert text.returncode == 0
    shown = text.stdout.decode()
    assert "feed https://paused.example/feed.xml: paused" in shown and "newsdigest feeds resume" in shown
    assert "delivery 2026-12-01T07:00Z: retry (rate_limited: 429)" in shown

    listed = run("channels", env={"NEWSDIGEST_DATA_DIR": str(tmp_path)}, cwd=tmp_path).stdout.decode().splitlines()
    assert [line.split("\t")[0] for line in listed] == ["discord:4242", "slack:T0TEAM:C0NEWS"]


def test_channel_takes_the_stored_forms_and_lists_them_on_a_mistake(filled, tmp_path):
    env = {"NEWSDIGEST_DATA_DIR": str(tmp_path)}
    full = run("feeds", "list", "--channel", "slack:T0TEAM:C0NEWS", env=env, cwd=tmp_path)
    short = run("feeds", "list", "--channel", "slack:C0NEWS", env=env, cwd=tmp_path)  # one stored channel has that id
    assert full.returncode == 0 and full.stdout == short.stdout and b"https://failing.example/feed.xml" in full.stdout
    line = assert_one_line_error(run("feeds", "list", "--channel", "slack:C0OTHER", env=env, cwd=tmp_path),
                                 "no stored channel slack:C0OTHER")
    assert "discord:4242" in line and "slack:T0TEAM:C0NEWS" in line


def test_schedule_and_resume_from_the_command_line(filled, tmp_path):
    env = {"NEWSDIGEST_DATA_DIR": str(tmp_path)}
    assert run("schedule", "slack:C0NEWS", "daily", "07:15", "Europe/Berlin", env=env, cwd=tmp_path).returncode == 0
    assert run("feeds", "resume", "https://paused.example/feed.xml", "--channel", "discord:4242",
               env=env, cwd=tmp_path).returncode == 0
    store = Store(f"sqlite:///{tmp_path / 'newsdigest.db'}")
    try:
        assert channel_store.schedule_of(store, SLACK) == parse_schedule("daily 07:15", "Europe/Berlin")
        resumed = feed_store.feed_by_url(store, "https://paused.example/feed.xml")
        assert resumed is not None and not resumed.paused and resumed.failures == 0
    finally:
        store.close()
