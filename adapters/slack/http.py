"""The HTTP mode's server: every POST is checked here before slack-bolt sees it.

slack-bolt's aiohttp server decodes the body (`request.text()`), parses it as a form or JSON and
builds the request context before its signature middleware runs, and that middleware calls
`int(timestamp)`: a timestamp of "abc", a body that is not UTF-8 or not JSON, or one that is huge,
ends in an exception, an HTTP 500 and a traceback in the log. So `SlackRequestGate` does, on raw
bytes and before anything can fail on them:

1. read at most `MAX_BODY_BYTES` (a larger body is refused without being read);
2. check the headers' form (the timestamp digits, the signature "v0=" and 64 hex digits), the
   timestamp's age (Slack's 5 minutes) and the HMAC of the raw bytes with the signing secret;
3. only then decode and parse (a signed body that still cannot be parsed is a 400);
4. refuse a replay: the request's signature, or an event's id (Slack's retries of one event, with
   X-Slack-Retry-Num, are new signatures for the same event), is remembered in the database
   (`bot.store.requests`), so that every process sharing it answers a request once. A repeat is
   acknowledged (200, X-Slack-No-Retry) and not run again.

Anything unsigned or malformed is a 401 with the same body as slack-bolt's own refusal, and one
warning line in the log (the outside text in it escaped, see adapters/terminal/logs.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.store import StoreError
from bot.store import requests as seen_requests
from bot.store.store import Store

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's state, a long message event) are tens of KB; a megabyte is
# far above any of them and small enough to hold for a moment.
MAX_BODY_BYTES = 1024 * 1024
READ_SECONDS = 10.0  # a body that trickles in for longer is dropped
WINDOW_SECONDS = 5 * 60  # Slack's: a request older (or newer) than this is refused
EVENT_MEMORY_SECONDS = 60 * 60  # Slack retries an event for up to about an hour

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """The request is not answered; `status` and `reason` (for the log) say why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class SlackRequestGate:
    """Checks a raw HTTP request from Slack; `await gate.admit(request)` is the AsyncBoltRequest to
    dispatch, or None when it is a repeat to acknowledge; raises Refused otherwise."""

    def __init__(self, signing_secret: str, store: Store, *, max_body: int = MAX_BODY_BYTES,
                 window: int = WINDOW_SECONDS) -> None:
        self.secret = signing_secret.encode("utf-8")
        self.store = store
        self.max_body, self.window = max_body, window

    async def admit(self, request: web.Request) -> AsyncBoltRequest | None:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # The headers first: nothing of the body is read for a request that cannot be Slack's.
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            raise Refused(401, "missing or malformed signature headers")
        sent = int(timestamp)
        if abs(time.time() - sent) > self.window:
            raise Refused(401, "timestamp outside the 5-minute window")
        body = await self._read(request)
        expected = "v0=" + hmac.new(self.secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Refused(401, "bad signature")
        # Signed by Slack: parsing may still fail on a body Slack would never send.
        try:
            bolt_request = AsyncBoltRequest(body=body.decode("utf-8"), query=request.query_string,
                                            headers=_slack_headers(request))
        except Exception as exc:  # slack-bolt's parsing raises whatever the shape of the body makes it raise
            raise Refused(400, f"signed body that cannot be parsed ({type(exc).__name__})") from None
        now = datetime.now(timezone.utc)
        event_id = bolt_request.body.get("event_id") if isinstance(bolt_request.body, dict) else None
        if isinstance(event_id, str) and event_id:
            identity, expires = f"event:{event_id}", now + timedelta(seconds=EVENT_MEMORY_SECONDS)
        else:
            # Past sent + window the signature check refuses it anyway: it need not be kept longer.
            identity = f"signature:{signature}"
            expires = datetime.fromtimestamp(sent + self.window, timezone.utc)
        try:
            first = await asyncio.to_thread(seen_requests.first_seen, self.store, identity, now, expires)
        except StoreError as exc:
            # Without the database a replay cannot be told from a first request: refuse rather than guess.
            log.error("slack: cannot check a request against earlier ones: %s", exc)
            raise Refused(503, "database unavailable") from None
        return bolt_request if first else None

    async def _read(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > self.max_body:
            raise Refused(401, f"body of {request.content_length} bytes, over the {self.max_body}-byte limit")
        chunks, size = [], 0
        try:
            async with asyncio.timeout(READ_SECONDS):
                async for chunk in request.content.iter_any():
                    size += len(chunk)
                    if size > self.max_body:
                        raise Refused(401, f"body over the {self.max_body}-byte limit")
                    chunks.append(chunk)
        except TimeoutError:
            raise Refused(408, f"body not received within {READ_SECONDS:.0f} s") from None
        return b"".join(chunks)


def _slack_headers(request: web.Request) -> dict[str, str | Sequence[str]]:
    """The request's headers for slack-bolt, without its internal x-slack-bolt-* ones: those tell it
    to skip the acknowledgement and run a lazy listener directly, and must never come from outside."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if not lower.startswith("x-slack-bolt-"):
            headers.setdefault(lower, []).append(value)
    return {name: values for name, values in headers.items()}


class GuardedServer(AsyncSlackAppServer):
    """slack-bolt's aiohttp server (its OAuth install and redirect pages as they are), with every POST
    going through a SlackRequestGate first."""

    def __init__(self, app: AsyncApp, gate: SlackRequestGate, *, path: str, port: int, host: str) -> None:
        self.gate = gate
        super().__init__(port=port, path=path, app=app, host=host)

    async def handle_post_requests(self, request: web.Request) -> web.Response:
        if request.path != self.path:
            return web.Response(status=404)
        try:
            bolt_request = await self.gate.admit(request)
        except Refused as exc:
            log.warning("slack: refused a request to %s from %s: %s (HTTP %s)", request.path, request.remote,
                        exc.reason, exc.status)
            if exc.status == 401:
                return web.json_response({"error": "invalid request"}, status=401)
            return web.Response(status=exc.status, text=json.dumps({"error": exc.reason}),
                                content_type="application/json")
        if bolt_request is None:
            log.info("slack: acknowledged a repeated request (retry %s) without running it again",
                     request.headers.get("X-Slack-Retry-Num", "none"))
            return web.Response(status=200, text="", headers={"X-Slack-No-Retry": "1"})
        return await to_aiohttp_response(await self.bolt_app.async_dispatch(bolt_request))
