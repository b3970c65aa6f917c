"""Slash commands through the real slack-bolt AsyncApp: raw form-encoded bodies signed with the signing
secret, Slack's Web API and the response_url on a local server (tests/fakes/slack_server.py) that records
what the bot sent. The seed article is digested once for the module."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from alembic import command
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table, delete, inspect, update

from adapters.slack.app import SlackBot
from adapters.slack.installations import open_stores
from adapters.slack.settings import SlackSettings
from bot.app import Newsdigest
from bot.config import Settings
from bot.service import DigestService
from bot.store import Store, channels
from bot.store import articles as article_store
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from bot.store.db import alembic_config, current_revision, head_revision
from bot.store.schema import ArticleRow, DigestRow
from digests.models import Speaker
from tests.conftest import make_digest
from tests.fakes.slack_server import (
    TEAM_ID,
    assert_within_slack_limits,
    module_slack_api,  # noqa: F401 - a fixture
    signed_headers,
    slash_body,
    texts,
)
from tests.helpers.tasks import tasks_now, tasks_started_since_ended

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TENANT = f"slack:{TEAM_ID}"  # the workspace the commands come from
TITLE = "AI Rivalry Heats Up: Anthropic Cuts OpenAI Out of Access to Claude Models Over Terms of Service Violation"


@pytest.fixture(scope="module")
def newsdigest(tmp_path_factory, engine, module_slack_api) -> Newsdigest:  # noqa: F811
    """The bot's application with the seed article stored, once for the module."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("slack") / "data", allow_private_urls=True,
                        max_fetch_bytes=300_000, fetch_timeout=5)
    app = Newsdigest(settings, service=DigestService(settings, engine=engine))
    article_store.save_digest(app.store, app.service.digest_source(str(SEED)), tenant=SLACK_TENANT)
    yield app
    app.close()


@pytest.fixture
def slack(module_slack_api):  # noqa: F811
    module_slack_api.clear()
    return module_slack_api


def slack_settings(slack) -> SlackSettings:  # noqa: ANN001 - a FakeSlack
    """One workspace's bot token and signing secret, on the local Slack Web API server."""
    return SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=slack.api_url)


@pytest.fixture
def bot(newsdigest, slack) -> SlackBot:
    return SlackBot(newsdigest, slack_settings(slack))


async def send(bot: SlackBot, slack, command: str, text: str = "", *, secret: str = SECRET,
               timestamp: int | None = None, channel_id: str = "C0NEWS", **body_fields):
    """POST a signed slash command to the app as Slack would; the app's HTTP answer (its ack)."""
    body = slash_body(command, text, slack.response_url(), channel_id=channel_id, **body_fields)
    return await bot.app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, secret, timestamp)))


async def ask(bot: SlackBot, slack, command: str, text: str = "", **kwargs) -> dict:
    """A command answered: checks the ack, then waits for and returns what arrived at response_url."""
    started = time.monotonic()
    response = await send(bot, slack, command, text, **kwargs)
    assert response.status == 200, response.body
    assert time.monotonic() - started < 2.0  # acknowledged at once (Slack allows 3 s), whatever the work
    [answer] = await slack.responses_async(1)
    assert answer.method == "POST" and answer.headers["content-type"].startswith("application/json")
    message = json.loads(answer.body)
    assert_within_slack_limits(message)
    return message


def body_text(message: dict) -> str:
    return "\n".join(texts(message))


# Requests: signed, refused

async def test_a_signed_command_is_answered_through_the_response_url(bot, slack):
    message = await ask(bot, slack, "/who-said", "go to choice for coders")
    assert message["response_type"] == "ephemeral"  # /who-said is private by default
    assert message["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                                               "text": "Who said “go to choice for coders”"}}
    text = body_text(message)
    assert "*Said by*\nChristopher Nulty, spokesperson, Anthropic" in text
    assert TITLE in text
    assert message["text"].startswith("“") and "Christopher Nulty" in message["text"]
    # the app checked its token once, on the local Web API, with the bot token
    [auth] = slack.calls("auth.test")
    assert auth.headers["authorization"] == "Bearer xoxb-test"


@pytest.mark.parametrize("case", ["bad signature", "other secret", "five minutes old", "no signature"])
async def test_unsigned_or_stale_requests_are_refused_with_401(bot, slack, case):
    body = slash_body("/who-said", "go to choice for coders", slack.response_url())
    if case == "bad signature":
        headers = signed_headers(body, SECRET)
        headers["x-slack-signature"] = "v0=" + "0" * 64
    elif case == "other secret":
        headers = signed_headers(body, "not-the-secret")
    elif case == "five minutes old":
        headers = signed_headers(body, SECRET, timestamp=int(time.time()) - 301)
    else:
        headers = {"content-type": "application/x-www-form-urlencoded"}
    before = tasks_now()
    response = await bot.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 401
    await tasks_started_since_ended(before)  # nothing the request started is still on its way
    assert slack.calls_snapshot == []  # nothing answered, nothing looked up


async def test_a_timestamp_four_minutes_old_is_still_accepted(bot, slack):
    message = await ask(bot, slack, "/who-said", "selling claude to openai", timestamp=int(time.time()) - 240)
    assert "Jared Kaplan" in body_text(message)


async def test_who_said_share_answers_in_the_channel(bot, slack):
    message = await ask(bot, slack, "/who-said", "industry standard to evaluate --share")
    assert message["response_type"] == "in_channel"
    assert "*Said by*\nHannah Wong, Chief Communications Officer, OpenAI" in body_text(message)


async def test_quotes_of_a_person_by_surname_privately_then_shared(bot, slack):
    message = await ask(bot, slack, "/quotes", "Nulty")
    assert message["response_type"] == "ephemeral"  # private by default, like /who-said
    assert message["blocks"][0]["text"]["text"] == "What Christopher Nulty said"
    text = body_text(message)
    assert "*Said by*\nChristopher Nulty, spokesperson, Anthropic" in text and TITLE in text
    slack.clear()
    shared = await ask(bot, slack, "/quotes", "Hanah Wong --share")  # a typo in the name
    assert shared["response_type"] == "in_channel"
    assert "*Said by*\nHannah Wong, Chief Communications Officer, OpenAI" in body_text(shared)
    assert "Christopher Nulty" not in body_text(shared)


def command_buttons(message: dict) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
            if e["action_id"].startswith("newsdigest_run_")]


async def click(bot: SlackBot, slack, button: dict, *, secret: str = SECRET, team_id: str = TEAM_ID):
    """POST a signed block_actions payload for `button` as Slack sends it; the app's HTTP answer."""
    payload = {"type": "block_actions", "team": {"id": team_id, "domain": "news"}, "user": {"id": "U0ADA", "team_id": team_id},
               "api_app_id": "A0APP", "token": "x", "trigger_id": "1.2", "response_url": slack.response_url(),
               "channel": {"id": "C0NEWS", "name": "news"}, "container": {"type": "message", "is_ephemeral": True},
               "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b1", "value": button["value"],
                            "text": button["text"], "action_ts": f"{time.time():.6f}"}]}
    body = urlencode({"payload": json.dumps(payload)})
    return await bot.app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, secret)))


@pytest.mark.parametrize(("command", "text", "expected"), [
    ("/quotes", "Nulty about coders", "Claude Code has become the go-to choice for coders everywhere"),
    ("/who-said", "selling claude to openai", "Jared Kaplan, Chief Science Officer, Anthropic")])
async def test_share_in_channel_button_posts_the_private_answer_in_the_channel(bot, slack, command, text, expected):
    private = await ask(bot, slack, command, text)
    assert private["response_type"] == "ephemeral"
    [button] = command_buttons(private)
    assert button["text"]["text"] == "Share in channel"
    slack.clear()
    started = time.monotonic()
    response = await click(bot, slack, button)
    assert response.status == 200 and time.monotonic() - started < 2.0  # acknowledged at once (Slack allows 3 s)
    [answer] = await slack.responses_async(1)
    shared = json.loads(answer.body)
    assert_within_slack_limits(shared)
    assert shared["response_type"] == "in_channel"
    assert expected in body_text(shared)
    assert command_buttons(shared) == []  # shared already: no button


async def test_a_forged_or_unsigned_button_click_is_refused(bot, slack):
    private = await ask(bot, slack, "/quotes", "Nulty")
    [button] = command_buttons(private)
    slack.clear()
    before = tasks_now()
    assert (await click(bot, slack, button, secret="not-the-secret")).status == 401
    await tasks_started_since_ended(before)
    assert slack.calls_snapshot == []
    # Signed but carrying a value the bot never wrote: a private note, nothing run.
    response = await click(bot, slack, {**button, "value": "{not json"})
    assert response.status == 200
    [answer] = await slack.responses_async(1)
    note = json.loads(answer.body)
    assert note["response_type"] == "ephemeral" and "type the command instead" in body_text(note)


def post_buttons(newsdigest: Newsdigest, format: str = "compact") -> dict[str, dict]:
    """The command buttons of a channel digest of the stored seed article, as the poster sends it, by label."""
    from adapters.slack.render import post_messages
    from bot.platforms import DigestPost

    [summary] = article_store.recent_articles(newsdigest.store, limit=1, tenant=SLACK_TENANT)
    digest = article_store.get_digest(newsdigest.store, summary.id)
    assert digest is not None
    [message] = post_messages(DigestPost(title="News digest", digests=[digest], idempotency_key="k", format=format))
    assert_within_slack_limits(message.payload())
    return {b["text"]["text"]: b for b in command_buttons(message.payload())}


async def clicked(bot: SlackBot, slack, button: dict, **kwargs) -> dict:
    slack.clear()
    started = time.monotonic()
    response = await click(bot, slack, button, **kwargs)
    assert response.status == 200 and time.monotonic() - started < 2.0  # acknowledged at once (Slack allows 3 s)
    [answer] = await slack.responses_async(1)
    message = json.loads(answer.body)
    assert_within_slack_limits(message)
    return message


@pytest.mark.parametrize("format", ["full", "compact", "headlines"])
async def test_a_storys_more_quotes_button_answers_the_clicker_privately(bot, slack, newsdigest, format):
    buttons = post_buttons(newsdigest, format)
    assert list(buttons) == ["More quotes", "Full digest"]
    message = await clicked(bot, slack, buttons["More quotes"])
    assert message["response_type"] == "ephemeral"  # only the person who clicked sees it
    assert message["blocks"][0]["text"]["text"] == f"Quotes in “{TITLE}”"
    text = body_text(message)
    # Every quote of the article with its speaker, not the compact digest's first one only.
    assert "*Said by*\nChristopher Nulty, spokesperson, Anthropic" in text
    assert "*Said by*\nHannah Wong, Chief Communications Officer, OpenAI" in text
    assert "*Said by*\nJared Kaplan, Chief Science Officer, Anthropic" in text
    assert slack.calls("chat.postMessage") == []  # nothing posted in the channel


async def test_a_storys_full_digest_button_answers_the_clicker_privately(bot, slack, newsdigest):
    message = await clicked(bot, slack, post_buttons(newsdigest, "headlines")["Full digest"])
    assert message["response_type"] == "ephemeral"
    assert message["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "emoji": False, "text": TITLE}}
    text = body_text(message)
    assert "*TL;DR*\n" in text and "— *Christopher Nulty, spokesperson, Anthropic*" in text
    assert slack.calls("chat.postMessage") == []


async def test_a_storys_button_shows_nothing_to_another_workspace(bot, slack, newsdigest):
    for label, button in post_buttons(newsdigest).items():
        message = await clicked(bot, slack, button, team_id="T0OTHER")
        assert message["response_type"] == "ephemeral", label
        assert message["blocks"][0]["text"]["text"] == ":mag: *No such story*"
        assert TITLE not in body_text(message) and "Nulty" not in body_text(message)


async def test_a_storys_button_click_with_a_wrong_signature_is_refused(bot, slack, newsdigest):
    button = post_buttons(newsdigest)["More quotes"]
    slack.clear()
    before = tasks_now()
    assert (await click(bot, slack, button, secret="not-the-secret")).status == 401
    await tasks_started_since_ended(before)
    assert slack.calls_snapshot == []


# /digest and /dispute

async def test_digest_of_the_latest_article_is_posted_in_the_channel(bot, slack):
    message = await ask(bot, slack, "/digest")
    assert message["response_type"] == "in_channel"
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == TITLE
    text = body_text(message)
    assert "*TL;DR*\n" in text
    assert "— *Christopher Nulty, spokesperson, Anthropic*" in text  # the one speaker line
    assert "— *Hannah Wong, Chief Communications Officer, OpenAI*" in text
    assert "— *Anthropic, commercial terms* · _likely_" in text  # a less sure attribution says so
    assert "*Implications*" in text and "*Dispute: " in text and "*What was done*" in text
    assert "*Anthropic*\n>“" in text  # a party and its position in its own words
    assert "Quoted: Hannah Wong, Chief Communications Officer, OpenAI" in text


async def test_dispute_command(bot, slack):
    message = await ask(bot, slack, "/dispute")
    assert message["response_type"] == "in_channel"
    text = body_text(message)
    assert "Allegation:" in text and "*OpenAI*" in text and "*Anthropic*" in text


async def test_a_digest_of_a_url_is_acknowledged_at_once_and_posted_when_ready(bot, slack, local_http):
    page = (SEED.read_text(encoding="utf-8").replace("Anthropic Cuts OpenAI", "Anthropic Stops OpenAI")
            .replace("just got a lot more contentious", "just got much more contentious"))  # another article
    url = local_http.route("/slow-story", page, content_type="text/plain; charset=utf-8", delay=1.2)
    started = time.monotonic()
    ack = await send(bot, slack, "/digest", url)
    assert ack.status == 200 and time.monotonic() - started < 1.0
    # the ack's plain-text body: Slack shows it at once, only to the person who asked
    assert ack.body == ":hourglass_flowing_sand: Reading the article… the digest will be posted here."
    [answer] = await slack.responses_async(1)
    assert time.monotonic() - started >= 1.2  # the work happened after the ack
    message = json.loads(answer.body)
    assert_within_slack_limits(message)
    assert message["response_type"] == "in_channel"
    assert "Anthropic Stops OpenAI" in message["blocks"][0]["text"]["text"]


async def shortcut(bot: SlackBot, slack, text: str, *, secret: str = SECRET):
    """POST a signed message_action payload (the message shortcut on a message saying `text`) as Slack sends it."""
    payload = {"type": "message_action", "callback_id": "digest_this_link", "trigger_id": "1.2", "action_ts": f"{time.time():.6f}",
               "team": {"id": TEAM_ID, "domain": "news"}, "user": {"id": "U0BOB", "team_id": TEAM_ID},
               "channel": {"id": "C0NEWS", "name": "news"}, "api_app_id": "A0APP", "token": "x",
               "message_ts": "1700000000.000100", "response_url": slack.response_url(),
               "message": {"type": "message", "user": "U0ADA", "ts": "1700000000.000100", "text": text}}
    body = urlencode({"payload": json.dumps(payload)})
    return await bot.app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, secret)))


async def test_the_digest_this_link_shortcut_answers_privately_after_the_ack(bot, slack, local_http):
    page = (SEED.read_text(encoding="utf-8").replace("Anthropic Cuts OpenAI", "Anthropic Halts OpenAI")
            .replace("just got a lot more contentious", "just got rather more contentious"))  # another article
    url = local_http.route("/shared-story", page, content_type="text/plain; charset=utf-8", delay=1.2)
    started = time.monotonic()
    ack = await shortcut(bot, slack, f"Worth a read: <{url}|the story>, and also <https://other.example/x>.")
    assert ack.status == 200 and time.monotonic() - started < 1.0  # acknowledged at once
    [answer] = await slack.responses_async(1)
    assert time.monotonic() - started >= 1.2  # the work happened after the ack
    message = json.loads(answer.body)
    assert_within_slack_limits(message)
    assert message["response_type"] == "ephemeral"  # only the person who asked sees it
    assert "Anthropic Halts OpenAI" in message["blocks"][0]["text"]["text"]
    assert slack.calls("chat.postMessage") == []


async def test_the_shortcut_on_a_message_without_a_link_says_so_privately(bot, slack):
    assert (await shortcut(bot, slack, "no address in here, just words")).status == 200
    [answer] = await slack.responses_async(1)
    message = json.loads(answer.body)
    assert message["response_type"] == "ephemeral" and "No link in that message" in body_text(message)


async def test_a_shortcut_with_a_wrong_signature_is_refused(bot, slack):
    before = tasks_now()
    assert (await shortcut(bot, slack, "see https://news.example/a", secret="not-the-secret")).status == 401
    await tasks_started_since_ended(before)
    assert slack.calls_snapshot == []


async def test_an_article_cannot_mention_or_link_through_the_bot(bot, slack, newsdigest):
    evil = "Read this <!channel> now, <@U123> said, see <http://evil|click> & *act* `fast`"
    digest = make_digest([(evil, Speaker(name="Eve <!here>", role="boss", org="<#C999>"))],
                         title="Evil <!channel> story", intro=evil, dispute=True, implications=[evil],
                         url="https://example.com/evil")
    article_store.save_digest(newsdigest.store, digest, tenant=SLACK_TENANT)
    message = await ask(bot, slack, "/digest", digest.article.id)
    raw = json.dumps(message, ensure_ascii=False)
    for needle in ("<!channel>", "<@U123>", "<http://evil|click>", "<!here>", "<#C999>", "*act*", "`fast`"):
        assert needle not in raw
    assert "&lt;!channel&gt;" in raw and "&lt;@U123&gt;" in raw and "&lt;http://evil|click&gt;" in raw
    for text in texts(message):
        assert "<" not in text
    # the fallback text (the notification) is escaped too
    assert "&lt;!channel&gt;" in message["text"]


async def test_a_huge_digest_is_cut_and_continues_in_a_thread(bot, slack, newsdigest):
    said = [(f"Q{i:03d} " + "a long quote that goes on " * 12, Speaker(name=f"Person {i}", org="Org")) for i in range(90)]
    digest = make_digest(said, title="The longest story", url="https://example.com/long")
    article_store.save_digest(newsdigest.store, digest, tenant=SLACK_TENANT)
    response = await send(bot, slack, "/digest", digest.article.id, channel_id="C0LONG")
    assert response.status == 200
    calls = await slack.wait_async(lambda calls: len([c for c in calls if c.api_method == "chat.postMessage"]) >= 2)
    posts = [c for c in calls if c.api_method == "chat.postMessage"]
    first, rest = posts[0].data, [p.data for p in posts[1:]]
    assert first["channel"] == "C0LONG" and "thread_ts" not in first
    assert posts[0].headers["authorization"] == "Bearer xoxb-test"
    assert all(r["thread_ts"] == "1700000000.000001" for r in rest)
    for message in [first, *rest]:
        assert_within_slack_limits(message)
    assert first["blocks"][-1]["elements"][0]["text"].endswith("more quotes (continued in the thread)")
    seen = [m.group(1) for p in [first, *rest] for t in texts(p["blocks"]) for m in re.finditer(r"(?m)^>“(Q\d{3})", t)]
    assert seen == [f"Q{i:03d}" for i in range(90)]
    assert slack.responses() == []  # posted with the bot token, not through response_url


async def test_a_huge_digest_in_a_channel_the_bot_cannot_post_in_still_gets_the_first_part(bot, slack, newsdigest):
    said = [(f"Q{i:03d} " + "a long quote that goes on " * 12, Speaker(name=f"Person {i}")) for i in range(90)]
    digest = make_digest(said, title="Another long story", url="https://example.com/long2")
    article_store.save_digest(newsdigest.store, digest, tenant=SLACK_TENANT)
    slack.fail("chat.postMessage", error="not_in_channel")
    message = await ask(bot, slack, "/digest", digest.article.id, channel_id="C0PRIVATE")
    assert message["response_type"] == "in_channel"
    note = message["blocks"][-1]["elements"][0]["text"]
    assert note.startswith("…and ") and note.endswith("(too long for one message: the article has the rest)")


# /newsdigest

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Local Gazette</title><link>http://gazette.example/</link>
<description>news</description></channel></rss>"""


async def test_newsdigest_subcommands_manage_the_channel(bot, slack, newsdigest, local_http):
    channel = ChannelRef(platform="slack", external_id=f"{TEAM_ID}:C0FEEDS")
    feed = local_http.route("/feed.xml", RSS, content_type="application/rss+xml")
    message = await ask(bot, slack, "/newsdigest", f"subscribe {feed}", channel_id="C0FEEDS")
    assert message["response_type"] == "in_channel"
    assert "Subscribed this channel to" in body_text(message) and feed in body_text(message)
    assert [u for u, _ in feed_store.channel_feeds(newsdigest.store, channel)] == [feed]

    slack.clear()
    message = await ask(bot, slack, "/newsdigest", "schedule weekdays 08:00 Europe/Paris", channel_id="C0FEEDS")
    assert "(0 8 * * mon-fri, Europe/Paris)" in body_text(message)  # the cron as it is: stars between spaces
    assert channels.schedule_of(newsdigest.store, channel).timezone == "Europe/Paris"

    slack.clear()
    message = await ask(bot, slack, "/newsdigest", "feeds", channel_id="C0FEEDS")
    assert message["response_type"] == "ephemeral"
    assert feed in body_text(message)

    for text, said in (("filter include harbour, ferry crews", "only stories with “harbour”, “ferry crews”"),
                       ("filter exclude football", "leave out stories with “football”"),
                       ("length 4", "at most 4 stories"), ("format compact", "now compact"),
                       ("format tiny", "/newsdigest format full|compact|headlines"),
                       ("length 500", "from 1 to 20")):
        slack.clear()
        assert said in body_text(await ask(bot, slack, "/newsdigest", text, channel_id="C0FEEDS")), text
    slack.clear()
    message = await ask(bot, slack, "/newsdigest", "settings", channel_id="C0FEEDS")
    assert message["response_type"] == "ephemeral"
    shown = body_text(message)
    assert f"{feed} — not polled yet" in shown and "“weekdays 08:00” (Europe/Paris); next digest" in shown
    assert "none with “football”" in shown and "at most 4 stories" in shown and "Format: compact" in shown
    settings = channels.digest_settings(newsdigest.store, channels.find_channel(newsdigest.store, channel))
    assert (settings.include, settings.exclude, settings.max_items, settings.format) == (
        ["harbour", "ferry crews"], ["football"], 4, "compact")

    slack.clear()
    message = await ask(bot, slack, "/newsdigest", f"unsubscribe {feed}", channel_id="C0FEEDS")
    assert "Unsubscribed" in body_text(message)
    assert [u for u, _ in feed_store.channel_feeds(newsdigest.store, channel)] == []
    # the channel is kept as "<team id>:<channel id>" with its name
    assert channels.find_channel(newsdigest.store, ChannelRef(platform="slack", external_id=f"{TEAM_ID}:C0FEEDS"))


@pytest.mark.parametrize(("command", "text", "expected"), [
    ("/who-said", "", "Give a few words of the quote"),
    ("/who-said", "   ", "Give a few words of the quote"),
    ("/newsdigest", "", "/newsdigest unsubscribe &lt;feed URL&gt;"),
    ("/newsdigest", "help", "/newsdigest schedule &lt;when&gt;"),
    ("/newsdigest", "frobnicate now", "/newsdigest has no 'frobnicate'"),
    ("/newsdigest", "subscribe not-a-url", "Give the feed's (or the site's) address"),
    ("/newsdigest", "schedule sometimes", "Cannot read the schedule"),
    ("/dispute", "no such article anywhere", "No stored article matches"),
    ("/digest", "words that match nothing", "No stored article matches"),
])
async def test_bad_input_gets_a_helpful_private_answer(bot, slack, command, text, expected):
    message = await ask(bot, slack, command, text)
    assert message["response_type"] == "ephemeral"
    assert expected in body_text(message)
    assert "Traceback" not in json.dumps(message)


async def test_a_url_that_fails_to_fetch_says_so(bot, slack, local_http):
    url = local_http.route("/gone", "not here", status=404, content_type="text/plain")
    message = await ask(bot, slack, "/digest", url)
    assert message["response_type"] == "ephemeral"
    assert message["blocks"][0]["text"]["text"] == ":warning: *Couldn't read that*"
    text = body_text(message)
    assert "could not fetch" in text and "404" in text and "Traceback" not in text


async def test_a_huge_page_is_refused_with_a_reason(bot, slack, local_http):
    url = local_http.route("/huge", "<p>" + "word " * 100_000 + "</p>", content_type="text/html")
    message = await ask(bot, slack, "/digest", url)
    assert message["response_type"] == "ephemeral"
    text = body_text(message)
    assert "could not fetch" in text and "the limit is 293.0 KB" in text, text


async def test_a_bug_in_the_bot_is_an_apology_not_a_stack_trace(bot, slack, newsdigest, caplog):
    # The most recent digest row cannot be read back (its body is not a digest): reading it raises
    # inside the command.
    saved = article_store.save_digest(newsdigest.store, make_digest([("the boom is over", Speaker(name="Ana Silva"))],
                                                                    title="Unreadable"), tenant=SLACK_TENANT)
    with newsdigest.store.session() as s:
        s.execute(update(DigestRow).where(DigestRow.article_id == saved.article_id).values(body='{"boom": 1}'))
    try:
        message = await ask(bot, slack, "/digest")
    finally:
        with newsdigest.store.session() as s:
            s.execute(delete(ArticleRow).where(ArticleRow.id == saved.article_id))
    text = body_text(message)
    assert message["response_type"] == "ephemeral"
    assert "Something went wrong on the bot's side" in text
    assert "boom" not in json.dumps(message) and "Traceback" not in json.dumps(message)
    assert "ValidationError" in caplog.text and "Traceback" in caplog.text  # the operator's log has it


async def test_a_refused_layout_falls_back_to_plain_words(bot, slack, newsdigest, monkeypatch):
    # The response_url answers 400 invalid_blocks (as Slack does for a layout it rejects) once.
    from tests.fakes import slack_server

    original = slack.answer
    refused = []

    def answer(call):  # noqa: ANN001
        if call.path.startswith("/response/") and not refused:
            refused.append(call)
            return slack_server.Scripted(400, {"ok": False, "error": "invalid_blocks"})
        return original(call)

    monkeypatch.setattr(slack, "answer", answer)
    response = await send(bot, slack, "/who-said", "go to choice for coders")
    assert response.status == 200
    answers = await slack.responses_async(2)
    assert json.loads(answers[1].body) == {"text": "The answer could not be shown in Slack. The operator has been told; "
                                                   "try again, or ask in fewer words.", "response_type": "ephemeral"}


# Buttons and the ack of their clicks

async def test_clicking_the_article_button_is_acknowledged(bot, slack):
    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": "U0ADA"}, "api_app_id": "A0APP",
               "token": "x", "trigger_id": "1.2", "response_url": slack.response_url(),
               "channel": {"id": "C0NEWS"}, "container": {"type": "message"},
               "actions": [{"type": "button", "action_id": "newsdigest_link_0", "block_id": "b",
                            "url": "https://example.com/story", "action_ts": "1.2"}]}
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(payload)})
    response = await bot.app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, SECRET)))
    assert response.status == 200


# Installing into several workspaces: Slack's OAuth flow, installations in the bot's database

@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # inside slack_sdk's oauth.v2.access
async def test_oauth_install_then_commands_from_the_new_workspace(tmp_path, engine, slack, store_url):
    """On SQLite and on PostgreSQL: the installations are in the bot's own database."""
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    app = Newsdigest(settings, service=DigestService(settings, engine=engine))
    try:
        article_store.save_digest(app.store, make_digest([("we will ship it on friday", Speaker(name="Ada Lovelace"))], title="Ship"),
                              tenant="slack:T0NEW")  # the new workspace's own article
        bot = SlackBot(app, SlackSettings(client_id="111.222", client_secret="client-secret", signing_secret=SECRET,
                                          api_url=slack.api_url))
        flow = bot.app.oauth_flow
        install = await flow.handle_installation(AsyncBoltRequest(body="", query="", headers={}))
        assert install.status == 200
        link = next(part for part in install.body.split('"') if part.startswith("https://slack.com/oauth/v2/authorize"))
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert query["client_id"] == ["111.222"] and query["scope"] == ["commands,chat:write,chat:write.public,channels:history,users:read,usergroups:read"]
        state = query["state"][0]
        cookie = install.headers["set-cookie"][0].split(";")[0]
        done = await flow.handle_callback(AsyncBoltRequest(body="", query=f"code=the-code&state={state}",
                                                          headers={"cookie": cookie}))
        assert done.status == 200, done.body
        [access] = slack.calls("oauth.v2.access")
        assert access.data["code"] == "the-code"
        # kept in the bot's own database
        found = await bot.installations.async_find_bot(enterprise_id=None, team_id="T0NEW")
        assert found is not None and found.bot_token == "xoxb-installed"

        # a command from that workspace is authorised with its own token and answered
        slack.clear()
        message = await ask(bot, slack, "/who-said", "ship it on friday", team_id="T0NEW")
        assert "Ada Lovelace" in body_text(message)
        assert {c.headers["authorization"] for c in slack.calls("auth.test")} == {"Bearer xoxb-installed"}

        # a workspace that never installed the app gets a clear refusal, not silence
        slack.clear()
        body = slash_body("/who-said", "ship it", slack.response_url(), team_id="T0STRANGER")
        refused = await bot.app.async_dispatch(AsyncBoltRequest(body=body, headers=signed_headers(body, SECRET)))
        assert refused.status == 200
        [answer] = await slack.responses_async(1)
        assert "newsdigest is not installed in this workspace any more" in json.loads(answer.body)["text"]
        # the scheduled-digest poster finds the right token per workspace
        posted = await bot.poster.post_notice("T0NEW:C0GENERAL", "hello")
        assert posted.status == "posted"
        assert slack.calls("chat.postMessage")[0].headers["authorization"] == "Bearer xoxb-installed"
        assert (await bot.poster.post_notice("T0STRANGER:C1", "hello")).status == "forbidden"
    finally:
        app.close()


def slack_sdk_tables(engine) -> dict[str, Table]:  # noqa: ANN001 - a SQLAlchemy Engine
    """The tables slack_sdk's installation and OAuth-state stores read and write."""
    return {**SQLAlchemyInstallationStore(client_id="111.222", engine=engine).metadata.tables,
            **SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine).metadata.tables}


def test_the_installation_tables_come_from_the_migrations_and_the_adapter_creates_none(store):
    found = inspect(store.engine)
    for name, table in slack_sdk_tables(store.engine).items():
        columns = found.get_columns(name)
        assert [c["name"] for c in columns] == [c.name for c in table.columns], name
        assert [(c["nullable"], getattr(c["type"], "length", None)) for c in columns] == \
            [(c.nullable, getattr(c.type, "length", None)) for c in table.columns], name
        assert {i["name"] for i in found.get_indexes(name)} == {i.name for i in table.indexes}, name
    before = set(found.get_table_names())
    open_stores("111.222", store.engine)
    assert set(inspect(store.engine).get_table_names()) == before


def test_installation_tables_slack_sdk_made_before_the_migration_are_kept(empty_database_url):
    # An earlier bot let slack_sdk create its tables on start-up, with an installation in them.
    store = Store(empty_database_url)
    try:
        with store.engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "0006")
        installations = SQLAlchemyInstallationStore(client_id="111.222", engine=store.engine)
        installations.create_tables()
        SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=store.engine).create_tables()
        installations.save_bot(Bot(app_id="A1", bot_token="xoxb-kept", bot_id="B1", bot_user_id="U1",
                                   team_id="T0OLD", installed_at=time.time()))
        store.migrate()  # 0006 → head
        assert current_revision(store.engine) == head_revision()
        assert installations.find_bot(enterprise_id=None, team_id="T0OLD").bot_token == "xoxb-kept"
    finally:
        store.close()


# Socket Mode: the same commands over Slack's websocket, with a local websocket server

async def test_socket_mode_acks_over_the_socket_and_answers_through_the_response_url(newsdigest, slack):
    from aiohttp import WSMsgType, web

    from adapters.runner import serve_platform
    from adapters.slack.main import SlackPlatform
    from tests.fakes.slack_server import slash_fields

    acks: asyncio.Queue = asyncio.Queue()
    envelope = {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                "payload": slash_fields("/who-said", "go to choice for coders", slack.response_url())}

    async def websocket(request):  # noqa: ANN001
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"},
                            "debug_info": {"host": "local", "approximate_connection_time": 18060}})
        await ws.send_json(envelope)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await acks.put(json.loads(msg.data))
        return ws

    server = web.Application()
    server.router.add_get("/link", websocket)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    slack.wss_url = f"ws://127.0.0.1:{port}/link"
    app = Newsdigest(newsdigest.settings, store=newsdigest.store, service=newsdigest.service)
    stop, ready = asyncio.Event(), []
    settings = SlackSettings(bot_token="xoxb-test", app_token="xapp-test", api_url=slack.api_url)
    task = asyncio.create_task(serve_platform(app, SlackPlatform(settings, say=ready.append), stop))
    try:
        ack = await asyncio.wait_for(acks.get(), timeout=10)
        assert ack["envelope_id"] == "env-1"
        [answer] = await slack.responses_async(1)
        message = json.loads(answer.body)
        assert message["response_type"] == "ephemeral"
        assert "*Said by*\nChristopher Nulty, spokesperson, Anthropic" in body_text(message)
        assert ready == ["newsdigest: Slack in Socket Mode, workspace Test Team as @newsdigest"]
        assert app.posters.get("slack") is not None  # registered while running
        [opened, *_] = slack.calls("apps.connections.open")
        assert opened.headers["authorization"] == "Bearer xapp-test"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await runner.cleanup()
    assert app.posters.get("slack") is None  # and unregistered at the end


async def test_the_command_prefix_is_the_name_slack_sends(tmp_path, engine, slack):  # noqa: F811
    settings = Settings(data_dir=tmp_path / "data", command_prefix="nd-")  # NEWSDIGEST_COMMAND_PREFIX=nd-
    app = Newsdigest(settings, service=DigestService(settings, engine=engine))
    try:
        prefixed_bot = SlackBot(app, slack_settings(slack))
        message = await ask(prefixed_bot, slack, "/nd-newsdigest", "settings")
        assert message["response_type"] == "ephemeral" and "No feeds yet" in body_text(message)
        slack.clear()
        assert "Did you mean /nd-newsdigest settings?" in body_text(await ask(prefixed_bot, slack, "/nd-newsdigest", "setings"))
        # The unprefixed name is another app's now: the bot does not answer it.
        assert (await send(prefixed_bot, slack, "/newsdigest", "settings")).status == 404
    finally:
        app.close()


async def test_articles_lists_and_searches_the_workspaces_archive(bot, slack, newsdigest):
    [seed] = [a for a in article_store.recent_articles(newsdigest.store, tenant=SLACK_TENANT) if a.title == TITLE]
    listed = await ask(bot, slack, "/newsdigest", "articles")
    assert listed["response_type"] == "ephemeral" and f"{seed.id[:8]} — AI Rivalry Heats Up" in body_text(listed)
    slack.clear()
    found = body_text(await ask(bot, slack, "/newsdigest", "articles antrhopic rivalry"))  # a typo forgiven
    assert f"{seed.id[:8]} — AI Rivalry Heats Up" in found
    slack.clear()
    digest = await ask(bot, slack, "/digest", seed.id[:8])  # the short id names it
    assert f"id {seed.id[:8]}" in body_text(digest) and TITLE in body_text(digest)
