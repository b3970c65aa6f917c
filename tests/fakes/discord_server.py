"""A local server that answers like Discord, for the Discord adapter's tests.

`FakeDiscord` is a real aiohttp server on 127.0.0.1 (a free port, its own event loop in a background
thread), so that discord.py's own HTTP client and gateway code talk to it exactly as they talk to
Discord. It answers:

- REST at /api/v10/…: GET /users/@me, GET /oauth2/applications/@me (with an owner), PUT
  /applications/<app>/commands and /applications/<app>/guilds/<guild>/commands (the commands echoed
  back with ids), POST /interactions/<id>/<token>/callback (204), follow-ups POST
  /webhooks/<app>/<token>, PATCH and DELETE /webhooks/<app>/<token>/messages/@original, and POST
  /channels/<id>/messages (a message; a nonce seen before with enforce_nonce returns the message it
  made, as Discord does). Unknown routes answer 404 {"code": 0}.
- the gateway at ws://…/gateway: HELLO, then READY after IDENTIFY (with the IDENTIFY's `shard`, as
  Discord echoes it), heartbeat ACKs; `push()` sends a dispatch event (INTERACTION_CREATE) to every
  connected client, or, for a server's event when clients identified as shards, to the one shard
  Discord would send it to ((guild_id >> 22) % shard count). GET /gateway/bot recommends
  `recommended_shards` shards.

JSON responses carry `Content-Type: application/json` exactly (discord.py reads nothing else as JSON).
Every request is recorded; `script()` makes the next matching requests fail as a test wants.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import discord
import pytest
from aiohttp import WSMsgType, web

APP_ID = "1100000000000000001"
BOT_ID = "1100000000000000002"
OWNER_ID = "1100000000000000003"
GUILD_ID = "1100000000000000010"
CHANNEL_ID = "1100000000000000020"
USER_ID = "1100000000000000030"

BOT_USER = {"id": BOT_ID, "username": "newsdigest", "discriminator": "0", "global_name": None, "avatar": None,
            "bot": True, "flags": 0}
OWNER = {"id": OWNER_ID, "username": "owner", "discriminator": "0", "global_name": "Owner", "avatar": None}

# Privileged intent bits (gateway IDENTIFY "intents"): GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
PRIVILEGED_INTENT_BITS = (1 << 1) | (1 << 8) | (1 << 15)
# Application flags: GATEWAY_MESSAGE_CONTENT_LIMITED.
FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # after /api/v10, without the query
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None
    at: float  # time.monotonic() on arrival


@dataclass
class Scripted:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int | None  # None: for ever
    after: int = 0  # let this many matching requests through first


@dataclass
class FakeDiscord:
    application_flags: int = 0
    recommended_shards: int = 1
    requests: list[Request] = field(default_factory=list)
    gateway_received: list[dict[str, Any]] = field(default_factory=list)
    channel_messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[Scripted] = []
        self._holds: list[tuple[str, re.Pattern[str], int, threading.Event, threading.Event]] = []
        self._ids = itertools.count(1200000000000000000)
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._shard_of: dict[int, tuple[int, int]] = {}  # id(socket) -> the [shard_id, shard_count] it identified with
        self._sequence = itertools.count(2)
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-discord", daemon=True)
        self.port = 0

    # Control, from the tests' thread

    def start(self) -> FakeDiscord:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the fake Discord server did not start")
        return self

    def stop(self) -> None:
        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.gateway_received.clear()
            self.channel_messages.clear()
            self._scripted.clear()
            self._nonces.clear()
            for *_, release in self._holds:
                release.set()
            self._holds.clear()
        self.application_flags = 0
        self.recommended_shards = 1

    def identified_shards(self) -> list[tuple[int, int]]:
        """The (shard_id, shard_count) of every IDENTIFY received, in order."""
        with self._lock:
            return [tuple(m["d"]["shard"]) for m in self.gateway_received  # type: ignore[misc]
                    if m.get("op") == 2 and m["d"].get("shard") is not None]

    def script(self, method: str, path_pattern: str, status: int, body: Any = None, *,
               headers: dict[str, str] | None = None, times: int | None = None, after: int = 0) -> None:
        """Answer requests whose path (after /api/v10) fully matches `path_pattern` with `status`
        (`times` times, or for ever), once `after` matching requests have been answered normally."""
        with self._lock:
            self._scripted.append(Scripted(method, re.compile(path_pattern), status, body, headers or {}, times, after))

    def hold(self, method: str, path_pattern: str, nth: int = 1) -> tuple[threading.Event, threading.Event]:
        """The `nth` matching request from now is answered as usual (a message is stored) and then
        waits, before its answer is sent, until the second event is set (bounded); the first is set
        once it waits. A process can be killed there: Discord has the message, the process never knew."""
        reached, release = threading.Event(), threading.Event()
        with self._lock:
            seen = len([r for r in self.requests if r.method == method and re.fullmatch(path_pattern, r.path)])
            self._holds.append((method, re.compile(path_pattern), seen + nth, reached, release))
        return reached, release

    def recorded(self, method: str | None = None, path_pattern: str | None = None, since: int = 0) -> list[Request]:
        with self._lock:
            found = self.requests[since:]
        return [r for r in found if (method is None or r.method == method)
                and (path_pattern is None or re.fullmatch(path_pattern, r.path))]

    def push(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway dispatch (op 0) to every connected client."""
        guild_id = data.get("guild_id")

        def receives(ws: web.WebSocketResponse) -> bool:
            shard = self._shard_of.get(id(ws))
            if guild_id is None or shard is None:
                return True
            return (int(guild_id) >> 22) % shard[1] == shard[0]

        async def send() -> None:
            for ws in [ws for ws in list(self._sockets) if receives(ws)]:
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._sequence), "d": data}))
        asyncio.run_coroutine_threadsafe(send(), self.loop).result(10)

    def wait_for(self, method: str, path_pattern: str, timeout: float = 30.0, count: int = 1) -> list[Request]:
        """Block until `count` matching requests have arrived (for tests driving another process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.recorded(method, path_pattern)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no {method} {path_pattern} within {timeout} s; got {[(r.method, r.path) for r in self.recorded()]}")

    # The server, in its own thread

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._started.set()
        self.loop.run_forever()

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await self._runner.cleanup()

    def _snowflake(self) -> str:
        return str(next(self._ids))

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = "/" + request.match_info["tail"]
        recorded = Request(request.method, path, dict(request.query), {k.lower(): v for k, v in request.headers.items()},
                           body, time.monotonic())
        with self._lock:
            self.requests.append(recorded)
            scripted = next((s for s in self._scripted if s.method == request.method and s.pattern.fullmatch(path)), None)
            if scripted is not None and scripted.after > 0:
                scripted.after -= 1
                scripted = None
            if scripted is not None and scripted.times is not None:
                scripted.times -= 1
                if scripted.times <= 0:
                    self._scripted.remove(scripted)
        if scripted is not None:
            return _json(scripted.body, scripted.status, scripted.headers)
        message = message_body(recorded)
        if message is not None and message_problems(message):
            return _json({"message": "Invalid Form Body", "code": 50035,
                          "errors": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": p} for p in message_problems(message)]}}, 400)
        response = self._answer(request.method, path, body, dict(request.query))
        with self._lock:
            held = next((h for h in self._holds if h[0] == request.method and h[1].fullmatch(path)
                         and h[2] == len([r for r in self.requests if r.method == h[0] and h[1].fullmatch(r.path)])), None)
        if held is not None:
            held[3].set()
            await asyncio.to_thread(held[4].wait, 120)
        return response

    def _answer(self, method: str, path: str, body: Any, query: dict[str, str]) -> web.StreamResponse:
        if method == "GET" and path == "/users/@me":
            return _json(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json({"id": APP_ID, "name": "newsdigest", "icon": None, "description": "", "bot_public": True,
                          "bot_require_code_grant": False, "verify_key": "0" * 64, "owner": OWNER, "team": None,
                          "flags": self.application_flags, "summary": ""})
        if method == "GET" and path == "/gateway/bot":
            return _json({"url": self.gateway_url, "shards": self.recommended_shards,
                          "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if method == "PUT" and m:
            # Discord answers a context-menu command (which has none) with an empty description.
            return _json([{"description": "", **command, "id": self._snowflake(), "application_id": m.group(1), "version": self._snowflake(),
                           **({"guild_id": m.group(2)} if m.group(2) else {})} for command in body or []])
        m = re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", path)
        if method == "POST" and m:
            if query.get("with_response", "").lower() not in ("1", "true"):
                return web.Response(status=204)
            # The interaction callback response object Discord returns with ?with_response=true.
            kind, data = (body or {}).get("type"), (body or {}).get("data") or {}
            flags = data.get("flags", 0) or 0
            answer: dict[str, Any] = {"interaction": {
                "id": m.group(1), "type": 2, "activity_instance_id": None,
                "response_message_id": None, "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64)}}
            if kind in (4, 5):
                message = self._message(CHANNEL_ID, data, webhook_id=APP_ID)
                answer["interaction"]["response_message_id"] = message["id"]
                answer["resource"] = {"type": kind, "message": message}
            return _json(answer)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/@original)?", path)
        if m:
            if method == "DELETE":
                return web.Response(status=204)
            if method in ("POST", "PATCH"):
                return _json(self._message(CHANNEL_ID, body or {}, webhook_id=m.group(1)))
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if method == "POST" and m:
            channel = m.group(1)
            body = body or {}
            with self._lock:
                nonce = body.get("nonce")
                if nonce is not None and body.get("enforce_nonce") and (channel, nonce) in self._nonces:
                    return _json(self._nonces[(channel, nonce)])
                message = self._message(channel, body)
                self.channel_messages.setdefault(channel, []).append(message)
                if nonce is not None and body.get("enforce_nonce"):
                    self._nonces[(channel, nonce)] = message
            return _json(message)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _message(self, channel_id: str, body: dict[str, Any], webhook_id: str | None = None) -> dict[str, Any]:
        message = {"id": self._snowflake(), "channel_id": channel_id, "type": 0, "content": body.get("content") or "",
                   "embeds": body.get("embeds") or [], "attachments": [], "author": BOT_USER, "mentions": [],
                   "mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False,
                   "timestamp": "2025-08-02T12:00:00.000000+00:00", "edited_timestamp": None,
                   "flags": body.get("flags", 0), "components": [], "nonce": body.get("nonce")}
        if webhook_id:
            message["webhook_id"] = webhook_id
        return message

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                with self._lock:
                    self.gateway_received.append(data)
                if data.get("op") == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif data.get("op") == 2:
                    ready = {"v": 10, "user": BOT_USER, "guilds": [], "session_id": "session-1",
                             "resume_gateway_url": self.gateway_url, "private_channels": [], "relationships": [],
                             "application": {"id": APP_ID, "flags": self.application_flags}}
                    shard = (data.get("d") or {}).get("shard")
                    if shard is not None:
                        self._shard_of[id(ws)] = (int(shard[0]), int(shard[1]))
                        ready["shard"] = shard
                    await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": 1, "d": ready}))
        finally:
            self._sockets.remove(ws)
            self._shard_of.pop(id(ws), None)
        return ws


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py reads nothing else as JSON.
    if body is None and status == 204:
        return web.Response(status=204, headers=headers)
    return web.Response(status=status, body=json.dumps(body).encode("utf-8"), content_type="application/json",
                        headers=headers)


# Discord's message limits, checked on the JSON the bot sends (Discord answers 400, code 50035).

def message_problems(message: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message body: empty, or over a limit."""
    problems = []
    content = message.get("content") or ""
    embeds = message.get("embeds") or []
    if len(content) > 2000:
        problems.append(f"content has {len(content)} characters (> 2000)")
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds (> 10)")
    if not content and not embeds:
        problems.append("an empty message")
    total = 0
    for number, embed in enumerate(embeds):
        def over(what: str, text: str | None, limit: int, number: int = number) -> None:
            if text is not None and len(text) > limit:
                problems.append(f"embed {number} {what}: {len(text)} characters (> {limit})")
        title, description = embed.get("title"), embed.get("description")
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        fields = embed.get("fields") or []
        over("title", title, 256)
        over("description", description, 4096)
        over("footer", footer, 2048)
        over("author", author, 256)
        if len(fields) > 25:
            problems.append(f"embed {number}: {len(fields)} fields (> 25)")
        for f in fields:
            if not f.get("name") or not f.get("value"):
                problems.append(f"embed {number}: a field with an empty name or value")
            over("field name", f.get("name"), 256)
            over("field value", f.get("value"), 1024)
        if not (title or description or fields):
            problems.append(f"embed {number} is empty")
        total += sum(len(x or "") for x in (title, description, footer, author))
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > 6000:
        problems.append(f"the embeds have {total} characters together (> 6000)")
    return problems


def message_body(request: Request) -> dict[str, Any] | None:
    """The message a request creates or edits (an interaction response of type 4, a follow-up, an edit
    of the original response, a channel message), else None."""
    body = request.body if isinstance(request.body, dict) else None
    if body is None:
        return None
    if request.path.endswith("/callback"):
        return body.get("data") if body.get("type") in (4, 7) else None
    if request.method in ("POST", "PATCH") and (request.path.startswith("/webhooks/") or
                                                re.fullmatch(r"/channels/\d+/messages", request.path)):
        return body
    return None


# Interaction payloads, shaped like Discord's INTERACTION_CREATE
# (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object).

_interaction_ids = itertools.count(1)


def _snowflake(age: float) -> str:
    """An id as Discord makes them: its top bits are the creation time (ms since 2015), `age` seconds ago;
    the low bits keep ids unique."""
    created = datetime.now(timezone.utc) - timedelta(seconds=age)
    return str(discord.utils.time_snowflake(created) + next(_interaction_ids) % (1 << 22))

ALL_PERMISSIONS = str((1 << 47) - 1)
MANAGE_CHANNELS = str(1 << 4)


def option(name: str, value: Any, type: int = 3, focused: bool = False) -> dict[str, Any]:
    data = {"name": name, "type": type, "value": value}
    if focused:
        data["focused"] = True
    return data


def interaction(name: str, options: Iterable[dict[str, Any]] = (), *, type: int = 2, permissions: str = ALL_PERMISSIONS,
                guild: bool = True, channel_id: str = CHANNEL_ID, channel_name: str = "news",
                subcommand: str | None = None, age: float = 0.0, guild_id: str = GUILD_ID) -> dict[str, Any]:
    """An INTERACTION_CREATE payload: type 2 (a command) or 4 (autocomplete), in a text channel of
    the guild `guild_id` by a member with `permissions` (a decimal string), or in a DM with guild=False.
    Its id says it was created `age` seconds ago (the time it took to reach the bot)."""
    interaction_id = _snowflake(age)
    opts = list(options)
    if subcommand is not None:
        opts = [{"name": subcommand, "type": 1, "options": opts}]
    data: dict[str, Any] = {"id": "1400000000000000000", "name": name, "type": 1, "options": opts}
    user = {"id": USER_ID, "username": "ada", "discriminator": "0", "global_name": "Ada", "avatar": None}
    payload: dict[str, Any] = {
        "id": interaction_id, "application_id": APP_ID, "type": type, "data": data, "token": f"token-{interaction_id}",
        "version": 1, "channel_id": channel_id, "locale": "en-GB", "app_permissions": ALL_PERMISSIONS,
        "entitlements": [], "attachment_size_limit": 10 * 1024 * 1024,
    }
    if guild:
        data["guild_id"] = guild_id
        payload.update(
            guild_id=guild_id, guild_locale="en-US", context=0, authorizing_integration_owners={"0": guild_id},
            channel={"id": channel_id, "type": 0, "name": channel_name, "guild_id": guild_id, "position": 0,
                     "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                     "last_message_id": None, "rate_limit_per_user": 0, "flags": 0, "permissions": permissions},
            member={"user": user, "roles": [], "nick": None, "avatar": None, "joined_at": "2024-01-01T00:00:00+00:00",
                    "deaf": False, "mute": False, "flags": 0, "pending": False, "permissions": permissions})
    else:
        payload.update(context=1, authorizing_integration_owners={"1": USER_ID}, user=user,
                       channel={"id": channel_id, "type": 1, "recipients": [user], "last_message_id": None, "flags": 0})
    return payload


@pytest.fixture(scope="module")
def fake():
    """A local Discord (REST and gateway) for a test module."""
    server = FakeDiscord().start()
    try:
        yield server
    finally:
        server.stop()
