"""Requests to the Slack HTTP mode's server, as raw HTTP: the real GuardedServer (adapters/slack/http.py)
in front of the real slack-bolt AsyncApp, on 127.0.0.1, sent bytes with http.client exactly as an
attacker (or Slack) would send them. Malformed and unsigned requests get 401, never 500; a signed
request is answered once even when two servers share the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import time

import pytest

from adapters.slack.app import EVENTS_PATH
from adapters.slack.http import MAX_BODY_BYTES
from bot.app import Newsdigest
from bot.config import Settings
from bot.service import DigestService
from bot.store import Store
from bot.store import articles as article_store
from bot.store import requests as seen_requests
from digests.models import Speaker
from tests.conftest import make_digest
from tests.fakes.slack_server import TEAM_ID, serving, signed_headers, slack_api, slash_body  # noqa: F401 - slack_api: a fixture
from tests.helpers.tasks import tasks_now, tasks_started_since_ended

SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def new_app(tmp_path, store_url: str, slack, engine) -> Newsdigest:  # noqa: ANN001 - FakeSlack
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    return Newsdigest(settings, service=DigestService(settings, engine=engine))


def _raw_post(port: int, body: bytes, headers: dict[str, str], chunks: list[bytes] | None = None) -> tuple[int, dict, bytes]:
    return _raw_post_to("127.0.0.1", port, body, headers, chunks)


def _raw_post_to(host: str, port: int, body: bytes, headers: dict[str, str],
                 chunks: list[bytes] | None = None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=15)
    try:
        if chunks is None:
            connection.request("POST", EVENTS_PATH, body=body, headers=headers)
        else:  # chunked: no Content-Length to refuse it by
            connection.putrequest("POST", EVENTS_PATH)
            for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
                connection.putheader(name, value)
            connection.endheaders()
            try:
                for chunk in chunks:
                    connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                connection.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server stopped reading: what the test wants
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


async def post(port: int, body: str | bytes, headers: dict[str, str], **kwargs) -> tuple[int, dict, bytes]:
    data = body.encode() if isinstance(body, str) else body
    return await asyncio.to_thread(_raw_post, port, data, headers, **kwargs)


@pytest.fixture
async def served(tmp_path, store_url, slack_api, engine):  # noqa: F811
    app = new_app(tmp_path, store_url, slack_api, engine)
    article_store.save_digest(app.store, make_digest([("the harbour reopens in the spring", Speaker(name="Ines Duarte"))],
                                      title="Harbour news"), tenant=f"slack:{TEAM_ID}")
    try:
        async with serving(app, SECRET, slack_api.api_url) as (port, bot):
            yield port, app, bot
    finally:
        app.close()


def command(slack, text: str = "harbour reopens in the spring", **fields: str) -> str:  # noqa: ANN001
    return slash_body("/who-said", text, slack.response_url(), **fields)


# Malformed or unsigned: 401, never 500, nothing run

async def test_a_malformed_timestamp_is_401_not_500(served, slack_api, caplog):  # noqa: F811
    port, _, _ = served
    body = command(slack_api)
    headers = {**signed_headers(body, SECRET), "x-slack-request-timestamp": "abc"}
    before = tasks_now()
    status, _, answer = await post(port, body, headers)
    assert status == 401 and json.loads(answer) == {"error": "invalid request"}
    assert "malformed signature headers" in caplog.text and "Traceback" not in caplog.text
    await tasks_started_since_ended(before)  # nothing the request started is still on its way
    assert slack_api.responses() == []


@pytest.mark.parametrize("case", ["no headers", "no timestamp", "no signature", "signature not hex",
                                  "timestamp in exponent form", "negative timestamp", "huge timestamp", "stale",
                                  "wrong secret"])
async def test_requests_without_a_valid_signature_are_refused_with_401(served, slack_api, case):  # noqa: F811
    port, _, _ = served
    body = command(slack_api)
    good = signed_headers(body, SECRET)
    headers = {
        "no headers": {"content-type": "application/x-www-form-urlencoded"},
        "no timestamp": {k: v for k, v in good.items() if k != "x-slack-request-timestamp"},
        "no signature": {k: v for k, v in good.items() if k != "x-slack-signature"},
        "signature not hex": {**good, "x-slack-signature": "v0=" + "z" * 64},
        "timestamp in exponent form": {**good, "x-slack-request-timestamp": "1.7e9"},
        "negative timestamp": {**good, "x-slack-request-timestamp": "-1"},
        "huge timestamp": {**good, "x-slack-request-timestamp": "9" * 400},
        "stale": signed_headers(body, SECRET, timestamp=int(time.time()) - 400),
        "wrong secret": signed_headers(body, "another-secret"),
    }[case]
    before = tasks_now()
    status, _, _ = await post(port, body, headers)
    assert status == 401
    await tasks_started_since_ended(before)  # nothing the request started is still on its way
    assert slack_api.responses() == []


@pytest.mark.parametrize("body", [b"{not json", b"payload=%7Bbroken", b"\xff\xfe\x00 not utf-8", b"{\"a\": [1, 2"],
                         ids=["json", "form payload", "bytes", "truncated"])
async def test_an_unparsable_body_is_401_unsigned_and_400_signed_never_500(served, slack_api, body, caplog):  # noqa: F811
    port, _, _ = served
    # Unsigned (a signature made for other bytes): refused before any parsing.
    other = signed_headers("something else", SECRET)
    assert (await post(port, body, other))[0] == 401
    # Signed (only the secret's holder can): parsed, and refused as a bad request.
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    status, _, _ = await post(port, body, {"content-type": "application/json", "x-slack-request-timestamp": ts,
                                           "x-slack-signature": signature})
    assert status == 400
    assert "Traceback" not in caplog.text


async def test_a_huge_body_is_refused_without_being_read(served, slack_api):  # noqa: F811
    port, _, _ = served
    body = "text=" + "a" * (MAX_BODY_BYTES + 10)
    started = time.monotonic()
    status, _, _ = await post(port, body, signed_headers(body, SECRET))
    assert status == 401
    # Without a Content-Length (chunked), reading stops at the limit.
    chunk = b"a" * 65536
    status, _, _ = await post(port, b"", signed_headers("x", SECRET), chunks=[chunk] * (MAX_BODY_BYTES // len(chunk) + 4))
    assert status == 401
    assert time.monotonic() - started < 10
    assert slack_api.responses() == []


async def test_a_signed_command_with_bolts_internal_headers_is_still_acknowledged_first(served, slack_api):  # noqa: F811
    # x-slack-bolt-lazy-only would make slack-bolt skip the ack and run a listener directly: it is dropped.
    port, _, _ = served
    body = command(slack_api)
    headers = {**signed_headers(body, SECRET), "x-slack-bolt-lazy-only": "1", "x-slack-bolt-lazy-function-name": "answer"}
    status, _, answer = await post(port, body, headers)
    assert status == 200 and answer == b""
    [response] = await slack_api.responses_async(1)
    assert "Ines Duarte" in response.body.decode()


# Replays: answered once

async def test_a_replayed_signed_command_is_answered_once(served, slack_api):  # noqa: F811
    port, _, _ = served
    body = command(slack_api)
    headers = signed_headers(body, SECRET)
    before = tasks_now()
    status, _, _ = await post(port, body, headers)
    assert status == 200
    await slack_api.responses_async(1)
    status, answer_headers, answer = await post(port, body, headers)  # the same bytes, the same signature
    assert status == 200 and answer == b"" and answer_headers["x-slack-no-retry"] == "1"
    await tasks_started_since_ended(before)  # nothing either request started is still on its way
    assert len(slack_api.responses()) == 1
    # a new request (new timestamp, so a new signature) with the same text is answered
    fresh = signed_headers(body, SECRET, timestamp=int(time.time()) + 1)
    assert (await post(port, body, fresh))[0] == 200
    await slack_api.responses_async(2)


async def test_two_servers_on_one_database_answer_a_request_once(tmp_path, store_url, slack_api, engine):  # noqa: F811
    first = new_app(tmp_path / "one", store_url, slack_api, engine)
    second = new_app(tmp_path / "two", store_url, slack_api, engine)
    try:
        article_store.save_digest(first.store, make_digest([("the ferry runs again on monday", Speaker(name="Ola Berg"))], title="Ferry"),
                               tenant=f"slack:{TEAM_ID}")
        async with serving(first, SECRET, slack_api.api_url) as (port_one, _), serving(second, SECRET, slack_api.api_url) as (port_two, _):
            body = command(slack_api, "ferry runs again on monday")
            headers = signed_headers(body, SECRET)
            before = tasks_now()
            assert (await post(port_one, body, headers))[0] == 200
            [answer] = await slack_api.responses_async(1)
            assert "Ola Berg" in answer.body.decode()
            status, answer_headers, _ = await post(port_two, body, headers)
            assert status == 200 and answer_headers["x-slack-no-retry"] == "1"
            await tasks_started_since_ended(before)  # nothing either server started is still on its way
            assert len(slack_api.responses()) == 1
    finally:
        first.close()
        second.close()


async def test_a_retried_event_is_acknowledged_without_running_it_again(served, slack_api):  # noqa: F811
    port, app, bot = served
    # An event listener on the app the server dispatches to: count how often it runs.
    runs: list[str] = []

    @bot.app.event("app_mention")
    async def mentioned(event: dict) -> None:
        runs.append(event["text"])

    event = {"token": "x", "team_id": TEAM_ID, "api_app_id": "A0APP", "type": "event_callback",
             "event_id": "Ev0MENTION1", "event_time": int(time.time()),
             "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
             "event": {"type": "app_mention", "user": "U0ADA", "text": "<@U0BOT> hello", "ts": "1.2",
                       "channel": "C0NEWS", "event_ts": "1.2"}}
    body = json.dumps(event)
    before = tasks_now()
    assert (await post(port, body, {**signed_headers(body, SECRET), "content-type": "application/json"}))[0] == 200
    # Slack's retry: a new delivery (new timestamp and signature) of the same event.
    retry = signed_headers(body, SECRET, timestamp=int(time.time()) + 2)
    status, headers, _ = await post(port, body, {**retry, "content-type": "application/json",
                                                 "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    assert status == 200 and headers["x-slack-no-retry"] == "1"
    await tasks_started_since_ended(before)  # nothing either delivery started is still on its way
    assert runs == ["<@U0BOT> hello"]


# The store's memory of requests, on both backends

def test_seen_requests_are_remembered_until_they_expire_then_pruned(store: Store):
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert seen_requests.first_seen(store, "signature:v0=aa", now, now + timedelta(minutes=5))
    assert not seen_requests.first_seen(store, "signature:v0=aa", now + timedelta(minutes=1), now + timedelta(minutes=6))
    assert seen_requests.first_seen(store, "event:Ev1", now, now + timedelta(hours=1))
    assert seen_requests.seen_count(store) == 2
    # Six minutes on, the signature's row is gone (the signature check refuses it by then anyway);
    # the event is still remembered.
    later = now + timedelta(minutes=6)
    assert seen_requests.first_seen(store, "signature:v0=bb", later, later + timedelta(minutes=5))
    assert seen_requests.seen_count(store) == 2
    assert not seen_requests.first_seen(store, "event:Ev1", later, later + timedelta(hours=1))
    assert seen_requests.first_seen(store, "signature:v0=aa", later, later + timedelta(minutes=5))


# The bind address: a setting, loopback unless told otherwise

def _connects(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_the_http_server_listens_where_newsdigest_slack_host_says(tmp_path, store_url, slack_api, engine):  # noqa: F811
    from adapters.runner import serve_platform
    from adapters.slack.main import SlackPlatform
    from adapters.slack.settings import SlackSettings
    from tests.helpers.slack_process import free_port

    assert SlackSettings(_env_file=None).host == "127.0.0.1"
    port = free_port()
    app = new_app(tmp_path, store_url, slack_api, engine)
    settings = SlackSettings(_env_file=None, bot_token="xoxb-test", signing_secret=SECRET, api_url=slack_api.api_url,
                             host="127.0.0.2", port=port)
    stop, ready = asyncio.Event(), []
    task = asyncio.create_task(serve_platform(app, SlackPlatform(settings, say=ready.append), stop))
    try:
        for _ in range(200):
            if ready:
                break
            await asyncio.sleep(0.02)
        assert ready == [f"newsdigest: Slack in HTTP mode on port {port} of 127.0.0.2 (requests at /slack/events), "
                         "workspace Test Team as @newsdigest"]
        assert await asyncio.to_thread(_connects, "127.0.0.2", port)
        assert not await asyncio.to_thread(_connects, "127.0.0.1", port)
        # the real server has the gate in front: a malformed timestamp is a 401
        body = command(slack_api)
        status, _, _ = await asyncio.to_thread(_raw_post_to, "127.0.0.2", port, body.encode(),
                                               {**signed_headers(body, SECRET), "x-slack-request-timestamp": "abc"})
        assert status == 401
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        app.close()
