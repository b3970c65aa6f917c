"""Posting digests to Slack channels through the Web API: `SlackPoster` implements `bot.platforms.Poster`.

A channel's id is "<team id>:<channel id>" (see `channel_ref`): the team picks the workspace's bot
token when the app is installed in several workspaces; with one bot token the team is ignored.

429 answers are retried after their Retry-After (slack_sdk's rate-limit retry handler) and 500/503
once (its server-error handler). What still fails becomes a `PostResult` status and one log line that
says what a person should do: "channel_not_found", "forbidden" (the bot is not in the channel, the
token was revoked…), "rate_limited" (with retry_after), "unavailable" (Slack or the network) or
"failed".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.platforms import DigestPost, MessageRecorder, PostResult
from bot.store.channels import ChannelRef

from .render import Message, notice_message, post_messages

log = logging.getLogger(__name__)

PLATFORM = "slack"
CHANNEL_NOT_FOUND = frozenset({"channel_not_found"})
FORBIDDEN = frozenset({
    "not_in_channel", "is_archived", "restricted_action", "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel", "missing_scope",
    "not_allowed_token_type", "invalid_auth", "not_authed", "account_inactive", "token_revoked",
    "token_expired", "no_permission", "ekm_access_denied", "team_access_not_granted", "access_denied",
    "org_login_required", "cannot_reply_to_message",
})
UNAVAILABLE = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout",
                         "team_added_to_org"})
HINTS = {
    "channel_not_found": "the channel does not exist, or it is private and the bot was never added",
    "not_in_channel": "invite the bot to the channel (/invite @newsdigest)",
    "is_archived": "the channel is archived",
    "invalid_auth": "the bot token is not valid: check NEWSDIGEST_SLACK_BOT_TOKEN or reinstall the app",
    "token_revoked": "the app was uninstalled from this workspace",
    "account_inactive": "the app was uninstalled from this workspace",
    "missing_scope": "add the chat:write scope to the app and reinstall it",
}

TokenLookup = Callable[[str], Awaitable[str | None]]


def channel_id(team_id: str | None, channel: str) -> str:
    """The bot's id for a Slack channel: "T0123:C0456" ("C0456" alone when the team is unknown)."""
    return f"{team_id}:{channel}" if team_id else channel


def split_channel_id(value: str) -> tuple[str | None, str]:
    team, sep, channel = value.partition(":")
    return (team, channel) if sep else (None, value)


def channel_ref(team_id: str | None, channel: str, name: str | None = None) -> ChannelRef:
    """The channel, in the workspace (team) whose articles its commands see."""
    return ChannelRef(platform=PLATFORM, external_id=channel_id(team_id, channel), name=name, workspace=team_id or None)


def retry_handlers(rate_limit_retries: int = 2) -> list:
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            AsyncServerErrorRetryHandler(max_retry_count=1)]


def web_client(api_url: str, token: str | None = None, timeout: int = 30) -> AsyncWebClient:
    """An AsyncWebClient on `api_url` (SlackSettings.api_url) with the retry handlers above."""
    base = api_url if api_url.endswith("/") else api_url + "/"
    return AsyncWebClient(token=token, base_url=base, timeout=timeout, retry_handlers=retry_handlers())


def result_of_error(exc: Exception) -> PostResult:
    """A failed Web API call as a PostResult."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 0) or 0
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        code = str(data.get("error") or f"HTTP {status}")
        if status == 429 or code in {"ratelimited", "rate_limited"}:
            headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
            value = headers.get("retry-after")
            if isinstance(value, list):
                value = value[0] if value else None
            try:
                retry_after = float(value) if value is not None else None
            except ValueError:
                retry_after = None
            return PostResult(status="rate_limited", detail=code, retry_after=retry_after if retry_after is not None else 60.0)
        if code in CHANNEL_NOT_FOUND:
            return PostResult(status="channel_not_found", detail=code)
        if code in FORBIDDEN:
            return PostResult(status="forbidden", detail=code)
        if status >= 500 or code in UNAVAILABLE:
            return PostResult(status="unavailable", detail=code)
        return PostResult(status="failed", detail=code)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, ConnectionError, SlackClientError)):
        return PostResult(status="unavailable", detail=f"{type(exc).__name__}: {exc}".strip(": "))
    return PostResult(status="failed", detail=f"{type(exc).__name__}: {exc}")


DIGEST_EVENT = "newsdigest_digest"


def _part_of(message: dict, key: str) -> int | None:
    """The position of `message` in the digest `key` (0: the top-level message), None when it is
    not one of its messages."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") != DIGEST_EVENT or payload.get("idempotency_key") != key:
        return None
    try:
        return int(payload.get("part") or 0)
    except (TypeError, ValueError):
        return None


class SlackPoster:
    """Posts to Slack channels named "<team id>:<channel id>"; registered as the "slack" poster."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, token_for_team: TokenLookup | None = None) -> None:
        # `client` carries the bot token when there is one workspace; with OAuth installs,
        # `token_for_team` finds the workspace's bot token in the installation store.
        self.client = client
        self.token_for_team = token_for_team

    async def post_digest(self, channel_id: str, post: DigestPost, record: MessageRecorder | None = None) -> PostResult:
        """The post's messages: the first in the channel, the others in its thread, each carrying the
        post's key and its position in its metadata. Those the ledger has (`post.posted`) are not
        sent again; after a takeover (`may_be_posted`) the others are looked for in the channel and
        its thread first, so that a crash between sending a message and recording it repeats nothing."""
        messages = post_messages(post)
        done = dict(post.posted)
        if post.may_be_posted:
            for position, ts in (await self.find_parts(channel_id, post.idempotency_key, done)).items():
                log.info("slack: message %s of digest %s was already in %s (ts %s): not posted again", position,
                         post.idempotency_key, channel_id, ts)
                done[position] = ts
                if record is not None:
                    await record(position, ts)
        return await self.post_messages(channel_id, messages, key=post.idempotency_key, done=done, record=record)

    async def find_parts(self, channel_id: str, key: str, known: dict[int, str]) -> dict[int, str]:
        """Messages of the digest `key` in the channel that `known` does not list: position → ts.
        The top-level message is looked for in the channel's history, the replies in its thread."""
        found: dict[int, str] = {}
        first = known.get(0)
        if first is None:
            first = await self.find_posted(channel_id, key)
            if first is None:
                return found
            found[0] = first
        replies = await self._history(channel_id, "conversations_replies", ts=first)
        for message in replies:
            part = _part_of(message, key)
            if part and part not in known and message.get("ts"):
                found[part] = str(message["ts"])
        return found

    async def find_posted(self, channel_id: str, key: str) -> str | None:
        """The ts of a recent top-level digest message in the channel carrying `key` in its metadata,
        if any. Slack keeps no idempotency key of its own, so this is how a post repeated after a
        crash is recognised; without the channels:history scope the check is skipped and the post goes out."""
        for message in await self._history(channel_id, "conversations_history"):
            if _part_of(message, key) == 0:
                return message.get("ts")
        return None

    async def _history(self, channel_id: str, method: str, **extra: str) -> list[dict]:
        """The channel's recent messages (or a thread's) with their metadata; [] when Slack will
        not say (no history scope, Slack down): then the post goes out."""
        team, channel = split_channel_id(channel_id)
        try:
            token = await self._token(team)
            kwargs: dict[str, Any] = {"channel": channel, "limit": 100, "include_all_metadata": True, **extra}
            if token:
                kwargs["token"] = token
            response = await getattr(self.client, method)(**kwargs)
        except Exception as exc:
            log.info("slack: cannot look for an earlier post in %s (%s); posting", channel_id, result_of_error(exc).detail)
            return []
        return list(response.get("messages") or [])

    async def post_notice(self, channel_id: str, text: str) -> PostResult:
        return await self.post_messages(channel_id, [notice_message(text)])

    async def post_messages(self, channel_id: str, messages: Sequence[Message], *, key: str | None = None,
                            done: dict[int, str] | None = None, record: MessageRecorder | None = None) -> PostResult:
        """The first message in the channel, the others in its thread, skipping the positions in
        `done` (already posted: position → ts). With a digest's `key`, every message carries it in
        its metadata and a failed thread reply is the post's result (the delivery is retried and
        posts the rest); without one (a command's answer), the post counts as done once its first
        message is out, and a failed reply is logged."""
        team, channel = split_channel_id(channel_id)
        try:
            token = await self._token(team)
        except Exception as exc:  # the installation store (database) failed
            log.error("slack: cannot post to %s: no bot token for workspace %s (%s)", channel_id, team, exc)
            return PostResult(status="unavailable", detail=f"installation store: {exc}")
        if token is None:
            log.warning("slack: cannot post to %s: the app is not installed in workspace %s (install it again)",
                        channel_id, team)
            return PostResult(status="forbidden", detail="not_installed")
        done = done or {}
        first_ts: str | None = done.get(0)
        for i, message in enumerate(messages):
            if i in done:
                continue
            kwargs: dict[str, Any] = {"channel": channel, "text": message.text, "blocks": message.blocks,
                      "unfurl_links": False, "unfurl_media": False}
            if token:
                kwargs["token"] = token
            if first_ts is not None:
                kwargs["thread_ts"] = first_ts
            if key is not None:
                payload = {"idempotency_key": key, **({"part": i} if i else {})}
                kwargs["metadata"] = {"event_type": DIGEST_EVENT, "event_payload": payload}
            try:
                response = await self.client.chat_postMessage(**kwargs)
            except Exception as exc:
                result = result_of_error(exc)
                self._log_failure(channel_id, result, thread=first_ts is not None)
                if first_ts is None:
                    return result
                detail = f"thread reply {i} of {len(messages) - 1} failed: {result.detail}"
                if key is None:
                    return PostResult(status="posted", message_ref=first_ts, detail=detail)
                return result.model_copy(update={"message_ref": first_ts, "detail": detail})
            ts = str(response.get("ts") or "") or None
            if ts is not None and record is not None:
                await record(i, ts)
            if first_ts is None:
                first_ts = ts
                if first_ts is None:  # no ts: nothing to thread under
                    break
        return PostResult(status="posted", message_ref=first_ts)

    async def _token(self, team: str | None) -> str | None:
        """"" means: the client's own token (one workspace)."""
        if self.token_for_team is None:
            return ""
        if team is None:
            return None
        return await self.token_for_team(team)

    @staticmethod
    def _log_failure(channel_id: str, result: PostResult, thread: bool) -> None:
        what = "a thread reply to" if thread else "to"
        hint = HINTS.get(result.detail or "", "")
        extra = f" (retry after {result.retry_after:g} s)" if result.retry_after else ""
        log.warning("slack: cannot post %s %s: %s, %s%s%s", what, channel_id, result.status, result.detail,
                    extra, f": {hint}" if hint else "")
