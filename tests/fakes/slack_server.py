"""A local server that answers like Slack, for the Slack adapter's tests.

`FakeSlack` is a real HTTP server on 127.0.0.1 (a free port, a background thread). It answers:

- the Web API at /api/<method>: auth.test, chat.postMessage, chat.postEphemeral, oauth.v2.access,
  apps.connections.open, conversations.history, users.info (from `users`: by default U0ADA is a
  workspace admin, U0OWNER its primary owner, U0BEA a plain member) and usergroups.users.list (from
  `usergroups`, empty by default) with Slack-like JSON; any other method {"ok": false, "error":
  "unknown_method"};
- response URLs at /response/<anything> with 200 "ok", as Slack's hooks do.

Every request is recorded (method, path, headers, raw body and the parsed form or JSON body), and a
test can script what the next calls to a method answer: `fail("chat.postMessage", status=429,
headers={"Retry-After": "1"})`, `fail(..., status=500)`, `fail(..., error="channel_not_found")`.
`hold("chat.postMessage", nth=2)` makes a call wait (a process can be killed while it waits);
conversations.history and conversations.replies answer from the messages posted, with their metadata.

    slack = FakeSlack(); slack.start()
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    ...; slack.calls("chat.postMessage")[0].data["blocks"]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"


def default_users() -> dict[str, dict[str, Any]]:
    """users.info's `user` objects, as Slack gives them (the fields the bot reads, and a few more)."""
    def user(user_id: str, name: str, **flags: bool) -> dict[str, Any]:
        return {"id": user_id, "team_id": TEAM_ID, "name": name, "deleted": False, "is_bot": False,
                "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
                "is_ultra_restricted": False, **flags}

    return {"U0ADA": user("U0ADA", "ada", is_admin=True), "U0OWNER": user("U0OWNER", "olga", is_owner=True,
                                                                           is_primary_owner=True),
            "U0BEA": user("U0BEA", "bea")}


@dataclass(frozen=True)
class Call:
    method: str  # HTTP method
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    body: bytes
    data: dict[str, Any]  # the form (one value per key) or JSON body

    @property
    def api_method(self) -> str | None:
        path = urlsplit(self.path).path
        return path[len("/api/"):] if path.startswith("/api/") else None


@dataclass
class Hold:
    """The `nth` call to `api_method` waits for `release` (bounded) before Slack answers it. With
    `stored`, Slack has taken the message before the wait (the answer is what gets lost), else the
    call ends without anything stored. `reached` is set once the call is waiting."""

    api_method: str
    nth: int
    stored: bool
    reached: threading.Event
    release: threading.Event


@dataclass(frozen=True)
class Scripted:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


class FakeSlack:
    def __init__(self) -> None:
        self.calls_made: list[Call] = []
        self.posted: list[dict[str, Any]] = []  # chat.postMessage messages, for conversations.history
        self.scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self.holds: list[Hold] = []
        self.at_calls: dict[tuple[str, int], Scripted] = {}
        self._counts: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base_url}/api/"
        self._response_ids = itertools.count(1)
        self.wss_url: str | None = None  # what apps.connections.open answers (None: invalid_auth)
        self.users: dict[str, dict[str, Any]] = default_users()  # users.info, by user id
        self.usergroups: dict[str, list[str]] = {}  # usergroups.users.list, by user group id
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake_slack", daemon=True)

    # set-up
    def start(self) -> "FakeSlack":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def response_url(self) -> str:
        return f"{self.base_url}/response/{next(self._response_ids)}"

    def fail(self, api_method: str, *, status: int = 200, error: str | None = None,
             headers: dict[str, str] | None = None, times: int = 1, nth: int | None = None) -> None:
        """The next `times` calls to `api_method` answer `status` with {"ok": false, "error": error};
        with `nth`, only the nth call from now does."""
        code = error or {429: "ratelimited"}.get(status, "fatal_error" if status >= 500 else "failed")
        scripted = Scripted(status, {"ok": False, "error": code}, headers)
        if nth is not None:
            with self._lock:
                self.at_calls[(api_method, self._counts[api_method] + nth)] = scripted
            return
        for _ in range(times):
            self.scripts[api_method].append(scripted)

    def hold(self, api_method: str, *, nth: int = 1, stored: bool = False) -> Hold:
        """The `nth` call to `api_method` from now on waits (see `Hold`); `release()` the hold at the end."""
        with self._lock:
            held = Hold(api_method, self._counts[api_method] + nth, stored, threading.Event(), threading.Event())
            self.holds.append(held)
        return held

    def release_all(self) -> None:
        with self._lock:
            for held in self.holds:
                held.release.set()

    # what arrived
    def record(self, call: Call) -> None:
        with self._lock:
            self.calls_made.append(call)

    @property
    def calls_snapshot(self) -> list[Call]:
        with self._lock:
            return list(self.calls_made)

    def calls(self, api_method: str) -> list[Call]:
        return [c for c in self.calls_snapshot if c.api_method == api_method]

    def responses(self) -> list[Call]:
        return [c for c in self.calls_snapshot if urlsplit(c.path).path.startswith("/response/")]

    def clear(self) -> None:
        with self._lock:
            self.calls_made.clear()
            self.posted.clear()
            self.scripts.clear()
            self.wss_url = None
            self.users = default_users()
            self.usergroups = {}
            for held in self.holds:
                held.release.set()
            self.holds.clear()
            self.at_calls.clear()
            self._counts.clear()

    def wait(self, predicate, timeout: float = 15.0) -> list[Call]:  # noqa: ANN001 - Call list -> bool
        """Block until predicate(calls) is true (bounded); the calls."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls_snapshot
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[c.path for c in calls]}")
            time.sleep(0.01)

    async def wait_async(self, predicate, timeout: float = 15.0) -> list[Call]:  # noqa: ANN001
        """As `wait`, yielding to the event loop (where the app's lazy listeners run)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls_snapshot
            if predicate(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[c.path for c in calls]}")
            await asyncio.sleep(0.01)

    async def responses_async(self, count: int = 1, timeout: float = 15.0) -> list[Call]:
        """The first `count` response_url posts, waiting for them (bounded)."""
        await self.wait_async(lambda calls: len([c for c in calls if c.path.startswith("/response/")]) >= count, timeout)
        return self.responses()

    # answers
    def answer(self, call: Call) -> Scripted:
        api = call.api_method
        if api is None:
            return Scripted(200, None)  # a response_url: "ok"
        with self._lock:
            self._counts[api] += 1
            held = next((h for h in self.holds if h.api_method == api and h.nth == self._counts[api]), None)
            scripted = self.at_calls.pop((api, self._counts[api]), None)
        if scripted is not None:
            return scripted
        if held is not None:
            answer = self._answer(call) if held.stored else Scripted(500, {"ok": False, "error": "fatal_error"})
            held.reached.set()
            held.release.wait(timeout=120)
            return answer
        return self._answer(call)

    def _answer(self, call: Call) -> Scripted:
        api = call.api_method
        with self._lock:
            queue = self.scripts.get(api)
            if queue:
                return queue.popleft()
        data = call.data
        if api == "auth.test":
            return Scripted(200, {"ok": True, "url": "https://test.slack.com/", "team": "Test Team", "user": "newsdigest",
                                  "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": "B0BOT",
                                  "is_enterprise_install": False})
        if api == "conversations.history":  # the channel's top-level messages, newest first, with metadata
            with self._lock:
                posted = [m for m in self.posted if m["channel"] == data.get("channel") and not m.get("thread_ts")]
            messages = [{"type": "message", "ts": m["ts"], "text": m["text"],
                         **({"metadata": m["metadata"]} if m.get("metadata") and data.get("include_all_metadata") else {})}
                        for m in reversed(posted)]
            return Scripted(200, {"ok": True, "messages": messages[: int(data.get("limit") or 100)], "has_more": False})
        if api == "conversations.replies":  # a thread: its parent then its replies, oldest first
            with self._lock:
                thread = [m for m in self.posted if m["channel"] == data.get("channel")
                          and (m["ts"] == data.get("ts") or m.get("thread_ts") == data.get("ts"))]
            messages = [{"type": "message", "ts": m["ts"], "text": m["text"], "thread_ts": data.get("ts"),
                         **({"metadata": m["metadata"]} if m.get("metadata") and data.get("include_all_metadata") else {})}
                        for m in thread]
            return Scripted(200, {"ok": True, "messages": messages[: int(data.get("limit") or 100)], "has_more": False})
        if api in {"chat.postMessage", "chat.postEphemeral"}:
            ts = f"1700000000.{next(self._ts):06d}"
            if api == "chat.postMessage":
                metadata = data.get("metadata")
                with self._lock:
                    self.posted.append({"channel": data.get("channel"), "ts": ts, "text": data.get("text"),
                                        "thread_ts": data.get("thread_ts"),
                                        "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata})
            if api == "chat.postEphemeral":
                return Scripted(200, {"ok": True, "message_ts": ts})
            return Scripted(200, {"ok": True, "channel": data.get("channel"), "ts": ts,
                                  "message": {"type": "message", "text": data.get("text"), "ts": ts,
                                              "bot_id": "B0BOT", "thread_ts": data.get("thread_ts")}})
        if api == "oauth.v2.access":
            return Scripted(200, {"ok": True, "app_id": "A0APP", "authed_user": {"id": "U0INSTALLER"},
                                  "scope": "commands,chat:write,chat:write.public,channels:history,users:read,usergroups:read",
                                  "token_type": "bot",
                                  "access_token": "xoxb-installed", "bot_user_id": "U0BOT2",
                                  "team": {"id": "T0NEW", "name": "New Team"}, "enterprise": None,
                                  "is_enterprise_install": False})
        if api == "users.info":
            with self._lock:
                found = self.users.get(data.get("user") or "")
            return Scripted(200, {"ok": True, "user": found} if found else {"ok": False, "error": "user_not_found"})
        if api == "usergroups.users.list":
            with self._lock:
                members = self.usergroups.get(data.get("usergroup") or "")
            return Scripted(200, {"ok": True, "users": list(members)} if members is not None
                            else {"ok": False, "error": "no_such_subteam"})
        if api == "apps.connections.open":  # Socket Mode: the websocket URL, when a test serves one
            if self.wss_url:
                return Scripted(200, {"ok": True, "url": self.wss_url})
            return Scripted(200, {"ok": False, "error": "invalid_auth"})
        return Scripted(200, {"ok": False, "error": "unknown_method"})


def _parse(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    kind = headers.get("content-type", "")
    try:
        if "json" in kind:
            value = json.loads(body or b"{}")
            return value if isinstance(value, dict) else {"_": value}
        if body:
            return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except ValueError:
        pass
    return {}


def _handler(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            data = _parse(headers, body)
            query = parse_qs(urlsplit(self.path).query)
            for key, values in query.items():
                data.setdefault(key, values[0])
            call = Call(self.command, self.path, headers, body, data)
            slack.record(call)
            scripted = slack.answer(call)
            if scripted.body is None:
                payload, kind = b"ok", "text/html"
            else:
                payload, kind = json.dumps(scripted.body).encode(), "application/json; charset=utf-8"
            self.send_response(scripted.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (scripted.headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

    return Handler


@pytest.fixture
def slack_api():
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def module_slack_api():
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()


# Slash commands as Slack sends them, and checks on what the bot sent back -------------------------

def slash_fields(command: str, text: str, response_url: str, *, team_id: str = TEAM_ID, channel_id: str = "C0NEWS",
                 channel_name: str = "news", user_id: str = "U0ADA") -> dict[str, str]:
    """A slash command's fields, as Slack sends them."""
    return {
        "token": "deprecated-verification-token", "team_id": team_id, "team_domain": "test",
        "channel_id": channel_id, "channel_name": channel_name, "user_id": user_id, "user_name": "ada",
        "command": command, "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def slash_body(command: str, text: str, response_url: str, **fields: str) -> str:
    """The form-encoded body of a slash command (HTTP mode)."""
    from urllib.parse import urlencode

    return urlencode(slash_fields(command, text, response_url, **fields))


def signed_headers(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a request signed the way Slack signs them (v0 HMAC-SHA256 of "v0:ts:body")."""
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts,
            "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}


@asynccontextmanager
async def serving(app: Any, secret: str, api_url: str) -> AsyncIterator[tuple[int, Any]]:
    """The bot's HTTP mode for `app` (a bot.app.Newsdigest): the real GuardedServer in front of a
    SlackBot on the Web API at `api_url`, checking signatures with `secret`, on a free port of
    127.0.0.1; (the port, the SlackBot)."""
    from aiohttp import web

    from adapters.slack.app import EVENTS_PATH, SlackBot
    from adapters.slack.http import GuardedServer, SlackRequestGate
    from adapters.slack.settings import SlackSettings

    bot = SlackBot(app, SlackSettings(bot_token="xoxb-test", signing_secret=secret, api_url=api_url))
    server = GuardedServer(bot.app, SlackRequestGate(secret, app.store), path=EVENTS_PATH, port=0, host="127.0.0.1")
    runner = web.AppRunner(server.web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1], bot
    finally:
        await runner.cleanup()


def texts(value: Any) -> list[str]:
    """Every "text" string in a message (blocks, text objects, the fallback)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "text" and isinstance(inner, str):
                found.append(inner)
            else:
                found += texts(inner)
    elif isinstance(value, list):
        for inner in value:
            found += texts(inner)
    return found


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def assert_within_slack_limits(message: dict[str, Any]) -> None:
    """Slack's documented limits for a message's blocks; fails with the block that breaks one."""
    blocks = message.get("blocks") or []
    assert message.get("text"), "a message needs a plain-text fallback"
    assert 1 <= len(blocks) <= 50, f"{len(blocks)} blocks"
    action_ids = []
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 1 <= utf16_len(block["text"]["text"]) <= 150, block
        elif kind == "section":
            assert "text" in block or "fields" in block, block
            if "text" in block:
                assert 1 <= utf16_len(block["text"]["text"]) <= 3000, (utf16_len(block["text"]["text"]), block["text"]["text"][:80])
            fields = block.get("fields") or []
            assert len(fields) <= 10
            for f in fields:
                assert 1 <= utf16_len(f["text"]) <= 2000
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            for element in block["elements"]:
                assert 1 <= utf16_len(element["text"]) <= 3000
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                assert utf16_len(element["text"]["text"]) <= 75
                if "url" in element:  # a link button
                    assert utf16_len(element["url"]) <= 3000 and element["url"].startswith(("http://", "https://"))
                else:  # a button whose click comes back to the app with its value
                    assert 1 <= utf16_len(element["value"]) <= 2000 and len(element["action_id"]) <= 255
                action_ids.append(element["action_id"])
        else:
            assert kind == "divider", block
    assert len(action_ids) == len(set(action_ids)), action_ids
