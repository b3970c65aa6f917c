"""A channel's feeds and schedule through the /newsdigest commands, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.app import Newsdigest
from bot.commands import handle_text
from bot.config import Settings
from bot.schedules import ScheduleError, parse_schedule
from bot.store import channels
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef

SLACK = ChannelRef(platform="slack", external_id="C1", name="news")
OTHER = ChannelRef(platform="discord", external_id="42", name="general")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("when", "cron"), [
    ("weekdays 08:00", "0 8 * * mon-fri"),
    ("daily 18:30", "30 18 * * *"),
    ("DAILY 7:05", "5 7 * * *"),
    ("hourly", "0 * * * *"),
    ("mon 09:15", "15 9 * * mon"),
    ("weekends 10:00", "0 10 * * sat,sun"),
    ("*/30 * * * *", "*/30 * * * *"),
])
def test_friendly_schedules_become_cron(when, cron):
    assert parse_schedule(when, "Europe/Paris").cron == cron


@pytest.mark.parametrize(("when", "tz", "message"), [
    ("sometimes", "UTC", "cannot read the schedule"),
    ("daily 25:00", "UTC", "not a time of day"),
    ("61 * * * *", "UTC", "cannot read the schedule"),
    ("daily 08:00", "Mars/Olympus", "unknown time zone"),
])
def test_bad_schedules_say_how_to_write_one(when, tz, message):
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(when, tz)


def test_schedule_trigger_fires_in_the_channel_time_zone():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    trigger = parse_schedule("weekdays 08:00", "America/New_York").trigger()
    after = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("UTC"))  # a Friday, 07:00 in New York
    fire = trigger.get_next_fire_time(None, after)
    assert fire.astimezone(ZoneInfo("America/New_York")).strftime("%a %H:%M") == "Fri 08:00"


def test_subscriptions_and_schedules_belong_to_their_channel(store):
    def subscribe(channel: ChannelRef, url: str) -> bool:
        return feed_store.subscribe(store, channel, url, interval_seconds=900, now=NOW)[0]

    def urls(channel: ChannelRef) -> list[str]:
        return [url for url, _ in feed_store.channel_feeds(store, channel)]

    assert subscribe(SLACK, "https://a.example/feed")
    assert not subscribe(SLACK, "https://a.example/feed")
    assert subscribe(OTHER, "https://b.example/rss")
    assert urls(SLACK) == ["https://a.example/feed"]
    assert urls(OTHER) == ["https://b.example/rss"]
    channels.set_schedule(store, SLACK, parse_schedule("daily 18:30", "Europe/Oslo"))
    channels.set_schedule(store, SLACK, parse_schedule("hourly"))
    assert channels.schedule_of(store, SLACK).cron == "0 * * * *"
    assert channels.schedule_of(store, OTHER) is None
    assert feed_store.unsubscribe(store, SLACK, "https://a.example/feed")
    assert not feed_store.unsubscribe(store, SLACK, "https://a.example/feed")
    assert urls(SLACK) == [] and feed_store.feed_by_url(store, "https://a.example/feed") is None
    assert channels.clear_schedule(store, SLACK) and not channels.clear_schedule(store, SLACK)


def test_newsdigest_commands_in_a_channel(store, tmp_path, local_http):
    # Subscribing fetches the address (see tests/bot/test_feeds.py): a feed served locally.
    feed = local_http.route("/feed", '<?xml version="1.0"?><rss version="2.0"><channel><title>A</title></channel></rss>',
                            content_type="application/rss+xml")
    app = Newsdigest(Settings(data_dir=tmp_path, allow_private_urls=True), store=store)
    reply = handle_text(app, f"/newsdigest subscribe <{feed}>", SLACK)
    assert reply.kind == "answer" and feed in reply.summary
    assert "already" in handle_text(app, f"/newsdigest subscribe {feed}", SLACK).summary
    reply = handle_text(app, "/newsdigest schedule weekdays 08:00 Europe/Paris", SLACK)
    assert reply.kind == "answer" and "0 8 * * mon-fri" in reply.summary and "Europe/Paris" in reply.summary
    feeds = handle_text(app, "/newsdigest feeds", SLACK)
    assert feeds.visibility == "private"
    assert feed in feeds.sections[0].text and "Europe/Paris" in feeds.sections[1].text
    assert "No feeds yet" in handle_text(app, "/newsdigest feeds", OTHER).sections[0].text
    assert handle_text(app, "/newsdigest schedule off", SLACK).kind == "answer"
    assert channels.schedule_of(store, SLACK) is None
    assert handle_text(app, f"/newsdigest unsubscribe {feed}", SLACK).kind == "answer"
    assert handle_text(app, f"/newsdigest unsubscribe {feed}", SLACK).kind == "not_found"


def test_reading_a_channel_never_stores_it(store, tmp_path):
    # Listing feeds, reading the schedule, a preview or /digest now in a channel nothing was ever set
    # up in: the answers of an empty channel, and no channel row written.
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    assert "No feeds yet" in handle_text(app, "/newsdigest feeds", SLACK).sections[0].text
    assert handle_text(app, "/newsdigest schedule off", SLACK).kind != "error"
    assert handle_text(app, "/digest preview", SLACK).title == "No news yet"
    assert handle_text(app, "/digest now", SLACK).title == "No news yet"
    assert handle_text(app, "/newsdigest unsubscribe https://a.example/feed", SLACK).kind == "not_found"
    assert channels.schedule_of(store, SLACK) is None and not channels.clear_schedule(store, SLACK)
    assert channels.find_channel(store, SLACK) is None
    # A write stores it, with the default digest settings.
    channels.set_schedule(store, SLACK, parse_schedule("hourly"))
    channel_id = channels.find_channel(store, SLACK)
    assert channel_id is not None and channels.digest_settings(store, channel_id) == channels.DigestSettings()


def test_digest_settings_are_kept_per_channel(store):
    channels.set_digest_settings(store, SLACK, include=["Harbour", " ferry "], max_items=3)
    channels.set_digest_settings(store, SLACK, exclude=["football"])  # the others stay
    slack_id, other_id = channels.find_channel(store, SLACK), channels.ensure_channel(store, OTHER)
    assert channels.digest_settings(store, slack_id) == channels.DigestSettings(
        include=["harbour", "ferry"], exclude=["football"], max_items=3)
    assert channels.digest_settings(store, other_id) == channels.DigestSettings()
    assert channels.digest_settings(store, other_id + slack_id + 1) is None
    assert channels.channel_by_id(store, slack_id) == SLACK


@pytest.mark.parametrize(("text", "says"), [
    ("/newsdigest", "/newsdigest subscribe <feed URL>"),
    ("/newsdigest help", "/newsdigest schedule <when>"),
    ("/newsdigest bogus", "has no 'bogus'"),
    ("/newsdigest subscribe", "Give the feed's"),
    ("/newsdigest subscribe not-a-url", "Give the feed's"),
    ("/newsdigest schedule", "weekdays 08:00"),
    ("/newsdigest schedule now and then", "Cannot read the schedule"),
    ("/newsdigest schedule daily 08:00 Nowhere/Land", "Unknown time zone"),
])
def test_newsdigest_usage_replies_are_private_and_helpful(store, tmp_path, text, says):
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    reply = handle_text(app, text, SLACK)
    assert reply.kind == "usage"
    assert reply.visibility == "private"
    assert says in reply.summary + "\n" + "\n".join(s.text or "" for s in reply.sections)
