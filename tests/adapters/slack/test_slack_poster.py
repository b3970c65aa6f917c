"""SlackPoster: scheduled digests and notices through the Web API (chat.postMessage on a local server),
with slack_sdk's retries for 429 and 5xx and a PostResult status for what still fails."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from adapters.slack.poster import SlackPoster, channel_ref, split_channel_id, web_client
from bot.platforms import DigestPost, Poster
from digests.models import Speaker
from tests.conftest import make_digest
from tests.fakes.slack_server import assert_within_slack_limits, slack_api, texts  # noqa: F401 - a fixture

CHANNEL = "T0TEAM:C0NEWS"


def post_of(n: int = 1, quotes: int = 3) -> DigestPost:
    digests = [make_digest([(f"quote {i}-{j} said here", Speaker(name=f"Person {j}", org="Org")) for j in range(quotes)],
                           title=f"Story {i} <!channel>", url=f"https://example.com/{i}") for i in range(n)]
    return DigestPost(title="Morning news", digests=digests, idempotency_key="2025-03-14T08:00Z/7")


@pytest.fixture
def poster(slack_api) -> SlackPoster:  # noqa: F811
    return SlackPoster(web_client(slack_api.api_url, token="xoxb-test"))


def test_channel_ids_carry_the_workspace():
    ref = channel_ref("T0TEAM", "C0NEWS", "news")
    assert (ref.platform, ref.external_id, ref.name) == ("slack", "T0TEAM:C0NEWS", "news")
    assert split_channel_id("T0TEAM:C0NEWS") == ("T0TEAM", "C0NEWS")
    assert split_channel_id("C0NEWS") == (None, "C0NEWS")


async def test_a_digest_post_reaches_the_channel(poster, slack_api):  # noqa: F811
    assert isinstance(poster, Poster)
    result = await poster.post_digest(CHANNEL, post_of())
    assert result.status == "posted" and result.message_ref == "1700000000.000001"
    [call] = slack_api.calls("chat.postMessage")
    assert call.method == "POST" and call.headers["authorization"] == "Bearer xoxb-test"
    body = call.data
    assert body["channel"] == "C0NEWS" and "thread_ts" not in body
    assert body["unfurl_links"] is False and body["unfurl_media"] is False
    assert body["metadata"] == {"event_type": "newsdigest_digest",
                                "event_payload": {"idempotency_key": "2025-03-14T08:00Z/7"}}
    assert_within_slack_limits(body)
    assert body["blocks"][0]["text"]["text"] == "Morning news"
    assert body["blocks"][1]["text"]["text"] == "Story 0 &lt;!channel&gt;"
    assert "<!channel>" not in call.body.decode()


async def test_a_long_post_continues_in_the_thread_of_its_first_message(poster, slack_api):  # noqa: F811
    result = await poster.post_digest(CHANNEL, post_of(n=8, quotes=8))
    assert result.status == "posted"
    calls = slack_api.calls("chat.postMessage")
    assert len(calls) >= 2
    first, *rest = [c.data for c in calls]
    assert "thread_ts" not in first and all(r["thread_ts"] == result.message_ref for r in rest)
    # Each reply carries the post's key and its position: a takeover finds it in the thread.
    assert [r["metadata"]["event_payload"] for r in rest] == [
        {"idempotency_key": "2025-03-14T08:00Z/7", "part": n} for n in range(1, len(rest) + 1)]
    for body in [first, *rest]:
        assert_within_slack_limits(body)
    assert first["blocks"][-1]["elements"][0]["text"].endswith("(continued in the thread)")
    headers = [b["text"]["text"] for body in [first, *rest] for b in body["blocks"] if b["type"] == "header"]
    assert headers == ["Morning news", *[f"Story {i} &lt;!channel&gt;" for i in range(8)]]


async def test_a_notice(poster, slack_api):  # noqa: F811
    result = await poster.post_notice(CHANNEL, "The feed <https://x|x> is paused after 5 failures.")
    assert result.status == "posted"
    [call] = slack_api.calls("chat.postMessage")
    assert call.data["text"] == "The feed &lt;https://x|x&gt; is paused after 5 failures."
    assert texts(call.data["blocks"]) == ["The feed &lt;https://x|x&gt; is paused after 5 failures."]


async def test_429_is_retried_after_its_retry_after(poster, slack_api):  # noqa: F811
    slack_api.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
    started = time.monotonic()
    result = await poster.post_notice(CHANNEL, "hello")
    assert result.status == "posted"
    assert time.monotonic() - started >= 1.0  # waited as told
    assert len(slack_api.calls("chat.postMessage")) == 2


async def test_429_that_persists_is_rate_limited_with_retry_after(poster, slack_api, caplog):  # noqa: F811
    slack_api.fail("chat.postMessage", status=429, headers={"Retry-After": "0"}, times=3)
    with caplog.at_level(logging.WARNING, logger="adapters.slack.poster"):
        result = await poster.post_notice(CHANNEL, "hello")
    assert (result.status, result.detail, result.retry_after) == ("rate_limited", "ratelimited", 0.0)
    assert len(slack_api.calls("chat.postMessage")) == 3  # the first try and two retries
    assert "cannot post to T0TEAM:C0NEWS: rate_limited" in caplog.text


async def test_a_500_is_retried_once(poster, slack_api):  # noqa: F811
    slack_api.fail("chat.postMessage", status=500)
    result = await poster.post_notice(CHANNEL, "hello")
    assert result.status == "posted"
    assert len(slack_api.calls("chat.postMessage")) == 2


async def test_a_500_that_persists_is_unavailable(poster, slack_api):  # noqa: F811
    slack_api.fail("chat.postMessage", status=500, times=2)
    result = await poster.post_notice(CHANNEL, "hello")
    assert result.status == "unavailable"
    assert len(slack_api.calls("chat.postMessage")) == 2


@pytest.mark.parametrize(("error", "status", "hint"), [
    ("channel_not_found", "channel_not_found", "the channel does not exist"),
    ("not_in_channel", "forbidden", "/invite @newsdigest"),
    ("is_archived", "forbidden", "the channel is archived"),
    ("invalid_auth", "forbidden", "NEWSDIGEST_SLACK_BOT_TOKEN"),
    ("something_new", "failed", ""),
])
async def test_slack_errors_become_a_status_and_a_clear_log_line(poster, slack_api, caplog, error, status, hint):  # noqa: F811
    slack_api.fail("chat.postMessage", error=error)
    with caplog.at_level(logging.WARNING, logger="adapters.slack.poster"):
        result = await poster.post_digest(CHANNEL, post_of())
    assert (result.status, result.detail) == (status, error)
    [line] = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.poster"]
    assert line.startswith(f"slack: cannot post to {CHANNEL}: {status}, {error}")
    assert hint in line
    assert len(slack_api.calls("chat.postMessage")) == 1  # not retried


async def test_a_failing_thread_reply_is_the_posts_result_and_a_retry_posts_only_the_rest(poster, slack_api):  # noqa: F811
    """Issue 10: a reply that fails is no longer "posted": the delivery is retried, and the retry,
    knowing which messages went out, sends only the missing replies."""
    original = slack_api.answer
    seen = []

    def answer(call):  # noqa: ANN001 - the second postMessage fails
        if call.api_method == "chat.postMessage":
            seen.append(call)
            if len(seen) == 2:
                from tests.fakes.slack_server import Scripted
                return Scripted(200, {"ok": False, "error": "fatal_error"})
        return original(call)

    slack_api.answer = answer
    recorded: dict[int, str] = {}

    async def record(position: int, ts: str) -> None:
        recorded[position] = ts

    post = post_of(n=8, quotes=8)
    result = await poster.post_digest(CHANNEL, post, record=record)
    assert result.status == "unavailable" and result.message_ref == "1700000000.000001"
    assert "thread reply 1 of" in result.detail and "fatal_error" in result.detail
    assert len(seen) == 2  # stopped at the first failed reply
    assert recorded == {0: "1700000000.000001"}
    retried = await poster.post_digest(CHANNEL, post.model_copy(update={"posted": recorded}), record=record)
    assert retried.status == "posted" and retried.message_ref == "1700000000.000001"
    replies = [c.data for c in seen[2:]]
    assert replies and all(r["thread_ts"] == "1700000000.000001" for r in replies)
    assert [r["metadata"]["event_payload"]["part"] for r in replies] == list(range(1, len(replies) + 1))
    assert sorted(recorded) == list(range(len(replies) + 1))


async def test_slack_unreachable_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    poster = SlackPoster(web_client(f"http://127.0.0.1:{port}/api/", token="xoxb-test", timeout=2))
    result = await poster.post_notice(CHANNEL, "hello")
    assert result.status == "unavailable"


async def test_a_post_that_may_have_gone_out_before_a_crash_is_not_repeated(poster, slack_api):  # noqa: F811
    """After a takeover (may_be_posted), the poster looks in the channel for the digest's
    idempotency key before posting: the post that arrived before the crash stands."""
    first = await poster.post_digest(CHANNEL, post_of())
    again = await poster.post_digest(CHANNEL, post_of().model_copy(update={"may_be_posted": True}))
    assert again.status == "posted" and again.message_ref == first.message_ref
    assert len(slack_api.calls("chat.postMessage")) == 1
    [look] = slack_api.calls("conversations.history")
    assert look.data["channel"] == "C0NEWS"
    # Another digest (another key) is posted even when it may have gone out.
    other = post_of().model_copy(update={"may_be_posted": True, "idempotency_key": "2025-03-15T08:00Z/7"})
    assert (await poster.post_digest(CHANNEL, other)).message_ref != first.message_ref
    assert len(slack_api.calls("chat.postMessage")) == 2


async def test_without_the_history_scope_the_check_is_skipped_and_the_post_goes_out(poster, slack_api):  # noqa: F811
    slack_api.fail("conversations.history", error="missing_scope")
    result = await poster.post_digest(CHANNEL, post_of().model_copy(update={"may_be_posted": True}))
    assert result.status == "posted"
    assert len(slack_api.calls("chat.postMessage")) == 1


async def test_a_takeover_finds_the_messages_sent_before_a_crash_and_posts_only_the_missing_ones(poster, slack_api):  # noqa: F811
    """Issue 10, failure 5: a process posted the top-level message and the first thread reply and
    died before recording either. The poster that takes over finds both (history for the top-level
    message, the thread for the reply, by key and position) and posts only the rest, once."""
    post = post_of(n=12, quotes=8)
    held = slack_api.hold("chat.postMessage", nth=3)  # the second reply never comes back: the crash
    first_attempt = asyncio.ensure_future(poster.post_digest(CHANNEL, post))
    await asyncio.to_thread(held.reached.wait, 15)
    first_attempt.cancel()  # the process is gone: nothing of it was recorded
    held.release.set()
    sent = [c.data for c in slack_api.calls("chat.postMessage")]
    assert len(sent) == 3
    recorded: dict[int, str] = {}

    async def record(position: int, ts: str) -> None:
        recorded[position] = ts

    result = await poster.post_digest(CHANNEL, post.model_copy(update={"may_be_posted": True}), record=record)
    assert result.status == "posted" and result.message_ref == "1700000000.000001"
    calls = [c.data for c in slack_api.calls("chat.postMessage")]
    parts = [c.get("metadata", {}).get("event_payload", {}).get("part", 0) for c in calls]
    # Top-level (0) and reply 1 once each; reply 2 was held (never stored), so it is posted again; the rest once.
    assert parts[:3] == [0, 1, 2] and parts[3:] == list(range(2, len(parts) - 1))
    assert len(parts) - 1 == max(parts) + 1
    assert all(c["thread_ts"] == "1700000000.000001" for c in calls[1:])
    assert recorded[0] == "1700000000.000001" and recorded[1] == "1700000000.000002"
    assert sorted(recorded) == list(range(max(parts) + 1))
    assert slack_api.calls("conversations.history") and slack_api.calls("conversations.replies")
