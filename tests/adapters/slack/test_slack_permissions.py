"""Who may change a channel on Slack, through the real slack-bolt AsyncApp with signed slash commands:
workspace admins and owners (users.info, answered by the local Slack server), the users and user
groups they name with /newsdigest admins (kept in the database: SQLite and PostgreSQL), and nobody
else; reading stays open to every member."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from adapters.slack.app import SlackBot
from adapters.slack.settings import SlackSettings
from bot.app import Newsdigest
from bot.config import Settings
from bot.schedules import parse_schedule
from bot.service import DigestService
from bot.store import admins as admin_store
from bot.store import channels
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from tests.adapters.slack.test_slack_commands import SECRET, ask, body_text
from tests.fakes.slack_server import TEAM_ID, slack_api  # noqa: F401 - a fixture

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Weekly</title><link>http://harbour.example/</link>
<description>news from the quay</description></channel></rss>"""
HERE = ChannelRef(platform="slack", external_id=f"{TEAM_ID}:C0NEWS")
ADMIN, OWNER, MEMBER = "U0ADA", "U0OWNER", "U0BEA"


@pytest.fixture
def slack(slack_api):  # noqa: F811
    slack_api.users["U0CARL"] = dict(slack_api.users[MEMBER], id="U0CARL", name="carl")
    slack_api.users["U0DAN"] = dict(slack_api.users[MEMBER], id="U0DAN", name="dan")
    return slack_api


@pytest.fixture
def newsdigest(tmp_path, store_url, slack, engine):
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url, allow_private_urls=True, fetch_timeout=5)
    app = Newsdigest(settings, service=DigestService(settings, engine=engine))
    yield app
    app.close()


@pytest.fixture
def bot(newsdigest, slack) -> SlackBot:
    return SlackBot(newsdigest, SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=slack.api_url))


async def run(bot: SlackBot, slack, command: str, text: str, user_id: str, **fields: str) -> dict:  # noqa: ANN001
    """A signed command from `user_id`, answered: what arrived at its response_url."""
    slack.calls_made.clear()
    return await ask(bot, slack, command, text, user_id=user_id, **fields)


def refused(message: dict) -> bool:
    return message["response_type"] == "ephemeral" and "Ask an admin" in body_text(message)


# Admins and owners

async def test_workspace_admins_and_owners_may_change_the_channel(bot, slack, newsdigest, local_http):
    feed = local_http.route("/feed.xml", RSS, content_type="application/rss+xml")
    message = await run(bot, slack, "/newsdigest", f"subscribe {feed}", ADMIN)
    assert message["response_type"] == "in_channel" and "Subscribed this channel" in body_text(message)
    [info] = slack.calls("users.info")
    assert info.data["user"] == ADMIN and info.headers["authorization"] == "Bearer xoxb-test"
    message = await run(bot, slack, "/newsdigest", "schedule weekdays 08:00", OWNER)
    assert "Digests will be posted here" in body_text(message)
    assert [u for u, _ in feed_store.channel_feeds(newsdigest.store, HERE)] == [feed]
    assert channels.schedule_of(newsdigest.store, HERE).cron == "0 8 * * mon-fri"


async def test_a_slack_escaped_link_is_subscribed_as_its_address(bot, slack, newsdigest, local_http):
    # /newsdigest is escaped (manifest.yml), so Slack sends a typed address as <url|label>.
    feed = local_http.route("/feed.xml", RSS, content_type="application/rss+xml")
    label = feed.split("://", 1)[1]
    message = await run(bot, slack, "/newsdigest", f"subscribe <{feed}|{label}>", ADMIN)
    assert "Subscribed this channel" in body_text(message)
    assert [u for u, _ in feed_store.channel_feeds(newsdigest.store, HERE)] == [feed]


# Members

@pytest.mark.parametrize(("command", "text"), [
    ("/newsdigest", "subscribe FEED"),
    ("/newsdigest", "unsubscribe FEED"),
    ("/newsdigest", "resume FEED"),
    ("/newsdigest", "schedule off"),
    ("/newsdigest", "schedule * * * * *"),
    ("/newsdigest", "admins add <@U0BEA|bea>"),
    ("/newsdigest", "admins remove <@U0CARL|carl>"),
    ("/digest", "now"),
    ("/digest", "now --consume"),
    ("/digest", "  NOW "),
])
async def test_a_member_is_told_to_ask_an_admin_and_nothing_changes(bot, slack, newsdigest, local_http, command, text):
    feed = local_http.route("/feed.xml", RSS, content_type="application/rss+xml")
    feed_store.subscribe(newsdigest.store, HERE, feed, interval_seconds=900, now=datetime.now(timezone.utc))
    channels.set_schedule(newsdigest.store, HERE, parse_schedule("daily 18:30", "UTC"))
    admin_store.add(newsdigest.store, "slack", TEAM_ID, admin_store.NamedAdmin(kind="user", member_id="U0CARL"))
    message = await run(bot, slack, command, text.replace("FEED", feed), MEMBER)
    assert refused(message), body_text(message)
    assert "the workspace's admins and owners" in body_text(message)
    assert "Traceback" not in json.dumps(message)
    # nothing changed, nothing fetched
    assert [u for u, _ in feed_store.channel_feeds(newsdigest.store, HERE)] == [feed]
    assert channels.schedule_of(newsdigest.store, HERE).cron == "30 18 * * *"
    assert [a.member_id for a in admin_store.named(newsdigest.store, "slack", TEAM_ID)] == ["U0CARL"]
    assert local_http.requests == []
    assert slack.calls("chat.postMessage") == []


@pytest.mark.parametrize(("command", "text", "expected"), [
    ("/newsdigest", "feeds", "No feeds yet"),
    ("/newsdigest", "help", "/newsdigest admins add"),
    ("/newsdigest", "", "/newsdigest subscribe"),
    ("/newsdigest", "admins list", "Only the workspace's admins and owners may change its channels"),
    ("/digest", "preview", "This channel follows no feeds yet"),
])
async def test_reading_stays_open_to_every_member_and_asks_slack_nothing(bot, slack, command, text, expected):
    message = await run(bot, slack, command, text, MEMBER)
    assert not refused(message)
    assert expected in body_text(message)
    assert slack.calls("users.info") == []  # reading costs no API call


# Named users and user groups

async def test_a_named_user_may_change_the_channel_until_removed(bot, slack, newsdigest):
    message = await run(bot, slack, "/newsdigest", "admins add <@U0CARL|carl>", ADMIN)
    assert message["response_type"] == "ephemeral"
    assert "user U0CARL may now change this workspace's channels" in body_text(message)
    assert admin_store.named(newsdigest.store, "slack", TEAM_ID) == [
        admin_store.NamedAdmin(kind="user", member_id="U0CARL", added_by=ADMIN)]
    message = await run(bot, slack, "/newsdigest", "schedule daily 07:00", "U0CARL")
    assert "Digests will be posted here" in body_text(message)
    listed = await run(bot, slack, "/newsdigest", "admins list", MEMBER)
    assert "• user U0CARL" in body_text(listed)

    message = await run(bot, slack, "/newsdigest", "admins remove U0CARL", ADMIN)
    assert "user U0CARL may no longer change" in body_text(message)
    # at once: the named admins are read on every check (users.info's "not an admin" is cached)
    message = await run(bot, slack, "/newsdigest", "schedule off", "U0CARL")
    assert refused(message)
    assert channels.schedule_of(newsdigest.store, HERE).cron == "0 7 * * *"


async def test_members_of_a_named_user_group_may_change_the_channel(bot, slack, newsdigest, caplog):
    slack.usergroups["S0EDITORS"] = ["U0DAN", "U0EVE"]
    message = await run(bot, slack, "/newsdigest", "admins add <!subteam^S0EDITORS|@editors>", OWNER)
    assert "user group S0EDITORS may now change" in body_text(message)
    message = await run(bot, slack, "/newsdigest", "schedule hourly", "U0DAN")
    assert "Digests will be posted here" in body_text(message)
    [members] = slack.calls("usergroups.users.list")
    assert members.data["usergroup"] == "S0EDITORS" and members.headers["authorization"] == "Bearer xoxb-test"
    # someone outside the group is still refused; the group's members were cached
    assert refused(await run(bot, slack, "/digest", "now", MEMBER))
    assert slack.calls("usergroups.users.list") == []
    # a named group that no longer exists lets nobody in, and the log says why
    admin_store.remove(newsdigest.store, "slack", TEAM_ID, "S0EDITORS")
    admin_store.add(newsdigest.store, "slack", TEAM_ID, admin_store.NamedAdmin(kind="group", member_id="S0GONE"))
    assert refused(await run(bot, slack, "/newsdigest", "schedule off", "U0DAN"))
    assert "usergroups.users.list for S0GONE in T0TEAM failed (no_such_subteam)" in caplog.text


async def test_named_admins_belong_to_their_workspace(bot, slack, newsdigest):
    await run(bot, slack, "/newsdigest", "admins add <@U0CARL>", ADMIN)
    message = await run(bot, slack, "/newsdigest", "schedule daily 09:00", "U0CARL", team_id="T0OTHER")
    assert refused(message)
    other = await run(bot, slack, "/newsdigest", "admins list", "U0CARL", team_id="T0OTHER")
    assert "U0CARL" not in body_text(other)


@pytest.mark.parametrize("text", ["admins add", "admins add carl", "admins add SALES", "admins add <#C0NEWS|news>",
                                  "admins add <@U0CARL> and <@U0DAN>", "admins add <@U" + "1" * 70 + ">",
                                  "admins promote <@U0CARL>"])
async def test_naming_something_that_is_not_a_user_or_group_gets_usage(bot, slack, newsdigest, text):
    message = await run(bot, slack, "/newsdigest", text, ADMIN)
    assert message["response_type"] == "ephemeral" and not refused(message)
    assert "/newsdigest admins add @someone" in body_text(message)
    assert admin_store.named(newsdigest.store, "slack", TEAM_ID) == []


# When Slack cannot say

async def test_when_slack_cannot_say_who_is_an_admin_the_change_is_refused_and_logged(bot, slack, newsdigest, caplog):
    slack.fail("users.info", error="missing_scope")
    message = await run(bot, slack, "/newsdigest", "schedule daily 09:00", ADMIN)
    assert refused(message)
    assert channels.schedule_of(newsdigest.store, HERE) is None
    assert "users.info for U0ADA in T0TEAM failed (missing_scope)" in caplog.text
    # not cached: once Slack answers, the admin is allowed
    message = await run(bot, slack, "/newsdigest", "schedule daily 09:00", ADMIN)
    assert "Digests will be posted here" in body_text(message)


async def test_the_answer_of_users_info_is_kept_briefly(bot, slack):
    await run(bot, slack, "/newsdigest", "schedule daily 09:00", ADMIN)
    assert len(slack.calls("users.info")) == 1
    await run(bot, slack, "/newsdigest", "schedule daily 10:00", ADMIN)
    assert slack.calls("users.info") == []  # the second command: from the cache


def test_cached_answers_expire():
    import time

    from adapters.slack.permissions import TTLCache

    cache: TTLCache[bool] = TTLCache(0.05, size=2)
    cache.put(("T", "U1"), True)
    assert cache.get(("T", "U1")) is True
    time.sleep(0.06)
    assert cache.get(("T", "U1")) is None
    for user in ("U1", "U2", "U3"):  # full: the oldest goes
        cache.put(("T", user), False)
    assert cache.get(("T", "U1")) is None and cache.get(("T", "U3")) is False
