"""Posting digests to Discord channels (adapters/discord/poster.py) with the real discord.py client,
against the local server that answers like Discord (tests/fakes/discord_server.py): the messages, their
nonces (idempotent retries), and Discord's errors turned into PostResult statuses."""

from __future__ import annotations

import socket

import discord
import pytest

from adapters.discord import render
from adapters.discord.client import NewsdigestClient
from adapters.discord.poster import DiscordPoster
from bot.app import Newsdigest
from bot.config import Settings
from bot.platforms import DigestPost, Poster
from tests.fakes.discord_server import (
    CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    fake,  # noqa: F401 - the module's local Discord
    message_problems,
)

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


@pytest.fixture
async def poster(fake, tmp_path):
    fake.reset()
    saved = discord.http.Route.BASE
    discord.http.Route.BASE = fake.api_url
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path))
    client = NewsdigestClient(app, guild_id=int(GUILD_ID))
    await client.login("test-token")
    try:
        yield DiscordPoster(client)
    finally:
        await client.close()
        discord.http.Route.BASE = saved
        app.close()
    for request in fake.recorded("POST", MESSAGES):
        assert message_problems(request.body) == []
        assert request.body["allowed_mentions"] == {"parse": []}


def post_of(digest_factory, key: str = "2025-08-03T08:00/discord/42", n: int = 1, quotes: int = 3,
            words: int = 120) -> DigestPost:
    digests = [digest_factory([(" ".join(f"said{d}x{q}x{i}" for i in range(words)), f"Person {q}") for q in range(quotes)],
                              title=f"Story {d} for @everyone", url=f"https://news.example/{d}")
               for d in range(n)]
    return DigestPost(title="Morning digest @here", digests=digests, idempotency_key=key)


def posted(fake: FakeDiscord, since: int = 0):
    return fake.recorded("POST", MESSAGES, since=since)


async def test_the_poster_is_a_bot_poster(poster):
    assert isinstance(poster, Poster) and poster.platform == "discord"


async def test_a_digest_is_posted_with_a_nonce_and_no_mentions(poster, fake, digest_factory):
    post = post_of(digest_factory, words=40)
    result = await poster.post_digest(CHANNEL_ID, post)
    (request,) = posted(fake)
    body = request.body
    assert result.status == "posted"
    assert result.message_ref == fake.channel_messages[CHANNEL_ID][0]["id"]
    assert body["nonce"] == render.nonce(post.idempotency_key, 0) and len(body["nonce"]) <= 25
    assert body["enforce_nonce"] is True
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"] == "Morning digest @\u200bhere"
    assert body["embeds"][0]["title"] == "Story 0 for @\u200beveryone"
    assert body["embeds"][0]["url"] == "https://news.example/0"
    assert [f["name"] for f in body["embeds"][0]["fields"]] == ["Person 0", "Person 1", "Person 2"]


async def test_each_story_of_a_post_carries_its_buttons(poster, fake, digest_factory):
    post = post_of(digest_factory, n=2, words=20)
    assert (await poster.post_digest(CHANNEL_ID, post)).status == "posted"
    (request,) = posted(fake)
    buttons = [c for row in request.body["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == ["More quotes · Story 0 for @everyone", "Full digest · Story 0 for @everyone",
                                             "More quotes · Story 1 for @everyone", "Full digest · Story 1 for @everyone"]
    assert all(b["type"] == 2 and b["custom_id"].startswith("nd_run:") and len(b["custom_id"]) <= 100 for b in buttons)
    assert post.digests[1].article.id in buttons[3]["custom_id"]


async def test_a_retried_post_reuses_its_nonces_so_discord_shows_it_once(poster, fake, digest_factory):
    post = post_of(digest_factory, n=4, quotes=8)
    first = await poster.post_digest(CHANNEL_ID, post)
    count = len(posted(fake))
    assert count >= 2  # a long post takes several messages
    again = await poster.post_digest(CHANNEL_ID, post)
    nonces = [r.body["nonce"] for r in posted(fake)]
    assert nonces[:count] == nonces[count:] == [render.nonce(post.idempotency_key, i) for i in range(count)]
    assert first == again and first.status == "posted"
    assert len(fake.channel_messages[CHANNEL_ID]) == count  # Discord kept one copy of each
    other = post.model_copy(update={"idempotency_key": "2025-08-04T08:00/discord/42"})
    await poster.post_digest(CHANNEL_ID, other)
    assert len(fake.channel_messages[CHANNEL_ID]) == 2 * count


async def test_a_post_that_fails_halfway_is_completed_by_the_retry(poster, fake, digest_factory):
    post = post_of(digest_factory, n=4, quotes=8)
    fake.script("POST", MESSAGES, 403, {"message": "Missing Permissions", "code": 50013}, times=1, after=1)
    result = await poster.post_digest(CHANNEL_ID, post)
    assert result.status == "forbidden"
    assert "after 1 of" in result.detail and result.message_ref == fake.channel_messages[CHANNEL_ID][0]["id"]
    retried = await poster.post_digest(CHANNEL_ID, post)
    assert retried.status == "posted"
    assert retried.message_ref == result.message_ref  # the first message was not posted twice
    total = len({r.body["nonce"] for r in posted(fake)})
    assert len(fake.channel_messages[CHANNEL_ID]) == total


async def test_a_resumed_post_sends_only_the_messages_the_ledger_does_not_have(poster, fake, digest_factory):
    """Issue 10: each message is recorded as it is sent; a takeover sends only the others, and one
    sent but not recorded before the crash comes back from Discord by its nonce, not twice."""
    post = post_of(digest_factory, n=4, quotes=8)
    fake.script("POST", MESSAGES, 403, {"message": "Missing Permissions", "code": 50013}, times=1, after=2)
    recorded: dict[int, str] = {}

    async def record(position: int, message_id: str) -> None:
        recorded[position] = message_id

    first = await poster.post_digest(CHANNEL_ID, post, record=record)
    assert first.status == "forbidden" and sorted(recorded) == [0, 1]
    sent_before = len(posted(fake))
    # The crash lost the record of message 1: the ledger knows message 0 only.
    known = {0: recorded[0]}
    resumed = await poster.post_digest(CHANNEL_ID, post.model_copy(update={"posted": known, "may_be_posted": True}),
                                       record=record)
    assert resumed.status == "posted" and resumed.message_ref == known[0]
    resent = [r.body["nonce"] for r in posted(fake)[sent_before:]]
    count = len({r.body["nonce"] for r in posted(fake)})
    assert render.nonce(post.idempotency_key, 0) not in resent  # never asked again
    assert resent == [render.nonce(post.idempotency_key, i) for i in range(1, count)]
    assert len(fake.channel_messages[CHANNEL_ID]) == count  # each message once
    assert sorted(recorded) == list(range(count))


@pytest.mark.parametrize(("status", "body", "headers", "expected"), [
    (403, {"message": "Missing Permissions", "code": 50013}, {}, "forbidden"),
    (403, {"message": "Missing Access", "code": 50001}, {}, "forbidden"),
    (404, {"message": "Unknown Channel", "code": 10003}, {}, "channel_not_found"),
    (503, {"message": "Service Unavailable", "code": 0}, {}, "unavailable"),
    (400, {"message": "Invalid Form Body", "code": 50035}, {}, "failed"),
    # A 429 without Discord's headers (Cloudflare's): discord.py does not retry it.
    (429, {"message": "You are being rate limited.", "retry_after": 7.5, "global": False}, {"Retry-After": "7.5"}, "rate_limited"),
])
async def test_discord_errors_become_post_statuses(poster, fake, digest_factory, status, body, headers, expected):
    fake.script("POST", MESSAGES, status, body, headers=headers)
    result = await poster.post_digest(CHANNEL_ID, post_of(digest_factory))
    assert result.status == expected
    assert str(status) in result.detail
    if expected == "rate_limited":
        assert result.retry_after == 7.5
    assert len(posted(fake)) == 1  # each of these fails at once


async def test_a_rate_limit_that_outlasts_discord_py_retries_is_rate_limited(poster, fake, digest_factory):
    limited = {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}
    fake.script("POST", MESSAGES, 429, limited, headers={"Via": "1.1 google", "Retry-After": "1",
                                                          "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.01"})
    post = post_of(digest_factory)
    result = await poster.post_digest(CHANNEL_ID, post)
    attempts = posted(fake)
    assert len(attempts) == 5  # discord.py retried by itself, then gave up
    assert {r.body["nonce"] for r in attempts} == {render.nonce(post.idempotency_key, 0)}
    assert result.status == "rate_limited" and result.retry_after == 1.0


async def test_a_long_rate_limit_is_reported_rather_than_waited_for(poster, fake, digest_factory):
    fake.script("POST", MESSAGES, 429, {"message": "You are being rate limited.", "retry_after": 120.0, "global": False},
                headers={"Via": "1.1 google"})
    result = await poster.post_digest(CHANNEL_ID, post_of(digest_factory))
    assert result.status == "rate_limited" and result.retry_after == 120.0
    assert len(posted(fake)) == 1


async def test_an_unreachable_discord_is_unavailable(poster, fake, digest_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    result = await poster.post_digest(CHANNEL_ID, post_of(digest_factory))
    assert result.status == "unavailable" and "cannot reach Discord" in result.detail


async def test_a_channel_id_that_is_not_discord_s(poster, fake, digest_factory):
    result = await poster.post_digest("general", post_of(digest_factory))
    assert result.status == "channel_not_found"
    assert posted(fake) == []


async def test_a_notice_is_plain_text_without_mentions(poster, fake):
    result = await poster.post_notice(CHANNEL_ID, "The feed https://x.example/rss failed 5 times @everyone **paused**")
    (request,) = posted(fake)
    assert result.status == "posted"
    assert request.body["content"] == r"The feed https://x.example/rss failed 5 times @​everyone \*\*paused\*\*"
    assert request.body["embeds"] == [] and request.body["allowed_mentions"] == {"parse": []}
