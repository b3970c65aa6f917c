"""How the application posts to chat platforms without knowing any of them.

`bot/` never imports a platform. Each adapter implements `Poster` and registers it at start-up;
the scheduler (and `/digest now`) look the poster up by the channel's platform name. A post's
outcome is a `PostResult` the schedule code can act on: retry later, pause the channel, or done.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from digests.models import Digest

PostStatus = Literal["posted", "rate_limited", "unavailable", "channel_not_found", "forbidden", "failed"]
# Statuses after which posting to the same channel again will not help until a person acts.
NEEDS_A_PERSON: frozenset[str] = frozenset({"channel_not_found", "forbidden"})


class DigestPost(BaseModel):
    """One post of a scheduled (or requested) digest: several articles' digests for one channel."""

    model_config = ConfigDict(frozen=True)

    title: str
    digests: list[Digest] = Field(min_length=1)
    # The same key for a retry of the same post, so that a platform that supports it (Discord's
    # nonce) never shows the post twice.
    idempotency_key: str
    # True when a process that claimed this post died while posting: it may have reached the
    # channel already, so a poster that can look should check before posting again.
    may_be_posted: bool = False


class PostResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: PostStatus
    detail: str | None = None
    retry_after: float | None = None  # seconds, for rate_limited
    message_ref: str | None = None  # the platform's id of what was posted


@runtime_checkable
class Poster(Protocol):
    platform: str

    async def post_digest(self, channel_id: str, post: DigestPost) -> PostResult: ...

    async def post_notice(self, channel_id: str, text: str) -> PostResult: ...


_POSTERS: dict[str, Poster] = {}


def register_poster(poster: Poster) -> None:
    _POSTERS[poster.platform] = poster


def unregister_poster(platform: str) -> None:
    _POSTERS.pop(platform, None)


def poster_for(platform: str) -> Poster | None:
    return _POSTERS.get(platform)
