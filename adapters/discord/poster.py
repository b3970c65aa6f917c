"""Posting digests to Discord channels for the scheduler: `bot.platforms.Poster` on discord.py.

A post may take several messages (10 embeds and 6,000 characters a message). Each message carries a
nonce derived from the post's idempotency key and its position, with `enforce_nonce` (discord.py
sets it whenever a nonce is given): a retry of the same post within Discord's nonce window returns
the messages already created instead of posting them twice.

Every outcome is a `PostResult`: Discord's errors become statuses the schedule code acts on
(403 / 50013 Missing Permissions, 50001 Missing Access → forbidden; 404 / 10003 Unknown Channel →
channel_not_found; 429 once discord.py has stopped retrying → rate_limited; 5xx or no connection →
unavailable; anything else → failed).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord

from bot.platforms import DigestPost, MessageRecorder, PostResult

from . import render
from .client import NO_MENTIONS, buttons_view

log = logging.getLogger(__name__)

MISSING_PERMISSIONS, MISSING_ACCESS, UNKNOWN_CHANNEL = 50013, 50001, 10003


class DiscordPoster:
    """Posts with a logged-in discord.py client (the running bot's)."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post_digest(self, channel_id: str, post: DigestPost, record: MessageRecorder | None = None) -> PostResult:
        """The post's messages not in `post.posted` (the ledger's), each recorded once sent. One sent
        but not recorded before a crash comes back from Discord by its nonce, not posted twice."""
        return await self._send(channel_id, render.post_messages(post), post.idempotency_key, post.posted, record)

    async def post_notice(self, channel_id: str, text: str) -> PostResult:
        return await self._send(channel_id, [render.notice_message(text)], None)

    async def _send(self, channel_id: str, messages: list[render.Message], key: str | None,
                    done: dict[int, str] | None = None, record: MessageRecorder | None = None) -> PostResult:
        try:
            channel = self.client.get_partial_messageable(int(channel_id))
        except (TypeError, ValueError):
            return PostResult(status="channel_not_found", detail=f"{channel_id!r} is not a Discord channel id")
        done = done or {}
        sent: list[str] = [done[i] for i in sorted(done)]
        for index, message in enumerate(messages):
            if index in done:
                continue
            try:
                extra: dict[str, Any] = {"view": buttons_view(message)} if message.buttons else {}
                created = await channel.send(content=message.content, embeds=message.embeds, **extra,
                                             # None sends no nonce; discord.py's annotation leaves it out.
                                             nonce=render.nonce(key, index) if key else None,  # type: ignore[arg-type]
                                             allowed_mentions=NO_MENTIONS)
            except Exception as exc:  # every failure becomes a status
                result = result_for(exc)
                if sent:
                    result = result.model_copy(update={
                        "detail": f"{result.detail} (after {len(sent)} of {len(messages)} messages; a retry posts the rest)",
                        "message_ref": sent[0]})
                log.warning("posting to Discord channel %s: %s", channel_id, result.detail)
                return result
            sent.append(str(created.id))
            if record is not None:
                await record(index, str(created.id))
        return PostResult(status="posted", message_ref=done.get(0) or (sent[0] if sent else None))


def result_for(exc: BaseException) -> PostResult:
    """A Discord (or network) error as a post status."""
    if isinstance(exc, discord.RateLimited):
        return PostResult(status="rate_limited", retry_after=exc.retry_after,
                          detail=f"rate limited by Discord for {exc.retry_after:.0f} s")
    if isinstance(exc, discord.HTTPException):
        what = f"Discord answered {exc.status}" + (f" (error {exc.code}: {exc.text})" if exc.code else f" ({exc.text})" if exc.text else "")
        if isinstance(exc, discord.Forbidden) or exc.code in (MISSING_PERMISSIONS, MISSING_ACCESS):
            return PostResult(status="forbidden", detail=f"{what}: the bot needs View Channel, Send Messages and "
                                                          "Embed Links in this channel")
        if isinstance(exc, discord.NotFound) or exc.code == UNKNOWN_CHANNEL:
            return PostResult(status="channel_not_found", detail=f"{what}: the channel is gone or the bot cannot see it")
        if exc.status == 429:
            return PostResult(status="rate_limited", retry_after=_retry_after(exc), detail=f"{what}: rate limited")
        if exc.status >= 500:
            return PostResult(status="unavailable", detail=f"{what}: Discord is unavailable")
        return PostResult(status="failed", detail=what)
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return PostResult(status="unavailable", detail=f"cannot reach Discord ({type(exc).__name__}: {exc})")
    log.error("posting to Discord failed", exc_info=exc)
    return PostResult(status="failed", detail=f"{type(exc).__name__}: {exc}")


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        try:
            return float(headers[name])
        except (KeyError, TypeError, ValueError):
            continue
    return None
