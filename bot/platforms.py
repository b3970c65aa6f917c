"""How the application posts to chat platforms without knowing any of them.

`bot/` never imports a platform. Each adapter implements `Poster`; the runner registers it with the
application's `Posters` while the platform serves, and the scheduler (and `/digest now`) look the
poster up there by the channel's platform name. A post's
outcome is a `PostResult` the schedule code can act on: retry later, pause the channel, or done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from digests.models import Digest

# How a channel's digests are laid out: every story in full; compact (title, TL;DR, the first quote);
# headlines (one line a story, linked). Set by /newsdigest format, drawn by bot.views.post_view.
DigestFormat = Literal["full", "compact", "headlines"]
DIGEST_FORMATS: tuple[DigestFormat, ...] = ("full", "compact", "headlines")
PostStatus = Literal["posted", "rate_limited", "unavailable", "channel_not_found", "forbidden", "failed"]
# Statuses after which posting to the same channel again will not help until a person acts.
NEEDS_A_PERSON: frozenset[str] = frozenset({"channel_not_found", "forbidden"})


class SimilarStory(BaseModel):
    """A near-duplicate of a story in a digest (the same canonical URL, or title and text alike),
    shown as "+N similar" under the story that stands for it."""

    model_config = ConfigDict(frozen=True)

    title: str | None
    url: str | None
    source: str | None = None


class DigestPost(BaseModel):
    """One post of a scheduled (or requested) digest: several articles' digests for one channel."""

    model_config = ConfigDict(frozen=True)

    title: str
    digests: list[Digest] = Field(min_length=1)
    # The same key for a retry of the same post, so that a platform that supports it (Discord's
    # nonce) never shows the post twice. Message n of the post has `message_key(key, n)`.
    idempotency_key: str
    # True when a process that claimed this post died while posting: it may have reached the
    # channel already, so a poster that can look should check before posting again.
    may_be_posted: bool = False
    # Near-duplicates grouped under a shown story, by that story's article id.
    similar: dict[str, list[SimilarStory]] = Field(default_factory=dict)
    waiting: int = 0  # stories left over by the channel's cap: they wait for the next digest
    filtered: int = 0  # stories the channel's keywords left out
    format: DigestFormat = "full"
    # Messages of this post the ledger knows were posted (position → the platform's message id):
    # a poster resuming a post sends only the others.
    posted: dict[int, str] = Field(default_factory=dict)

    def similar_to(self, digest: Digest) -> list[SimilarStory]:
        return self.similar.get(digest.article.id, [])

    @property
    def note(self) -> str | None:
        """The post's closing line: how many stories wait for the next digest, how many the
        channel's keywords left out. None when every story is shown."""
        lines = []
        if self.waiting:
            lines.append(f"…and {self.waiting} more {'story waits' if self.waiting == 1 else 'stories wait'} "
                         "for the next digest (/digest preview lists them).")
        if self.filtered:
            lines.append(f"{self.filtered} {'story was' if self.filtered == 1 else 'stories were'} "
                         "left out by this channel's keywords.")
        return " ".join(lines) or None


def message_key(idempotency_key: str, position: int) -> str:
    """The idempotency key of message `position` (0: the first) of a post."""
    return f"{idempotency_key}#{position}"


# Called by a poster after each message of a digest reached the platform: (position, message id).
# The delivery code records it in the ledger, so that a takeover after a crash sends only the rest.
MessageRecorder = Callable[[int, str], Awaitable[None]]


class PostResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: PostStatus
    detail: str | None = None
    retry_after: float | None = None  # seconds, for rate_limited
    message_ref: str | None = None  # the platform's id of what was posted


@runtime_checkable
class Poster(Protocol):
    platform: str

    async def post_digest(self, channel_id: str, post: DigestPost, record: MessageRecorder | None = None) -> PostResult:
        """Post the messages of `post` not in `post.posted`, calling `record` after each one."""
        ...

    async def post_notice(self, channel_id: str, text: str) -> PostResult: ...


T = TypeVar("T")


class Posters:
    """The posters of the platforms running in this process, by platform name, held by the
    application (`app.posters`): a platform's runner registers its poster while it serves, and the
    scheduler and `/digest now` look it up by the channel's platform."""

    def __init__(self) -> None:
        self._posters: dict[str, Poster] = {}
        # The event loop each poster was registered on: its client (aiohttp, discord.py) belongs to
        # it, so a command running in a worker thread posts through that loop.
        self._loops: dict[str, asyncio.AbstractEventLoop] = {}

    def register(self, poster: Poster) -> None:
        self._posters[poster.platform] = poster
        try:
            self._loops[poster.platform] = asyncio.get_running_loop()
        except RuntimeError:  # registered outside a loop (the terminal, tests): posts run in the caller's thread
            self._loops.pop(poster.platform, None)

    def unregister(self, poster: Poster) -> None:
        """Forget `poster` (and only it: a newer poster of the same platform stays)."""
        if self._posters.get(poster.platform) is poster:
            del self._posters[poster.platform]
            self._loops.pop(poster.platform, None)

    def get(self, platform: str) -> Poster | None:
        return self._posters.get(platform)

    def run_on(self, platform: str, work: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `work` from a worker thread (a command) on the loop `platform`'s poster lives on, or
        in this thread when it has none; waits at most `timeout` seconds (TimeoutError after that,
        the work going on)."""
        loop = self._loops.get(platform)
        if loop is not None and loop.is_running():
            if _running_loop() is loop:  # blocking here would wait for ourselves
                work.close()
                raise RuntimeError("run_on is for worker threads, not the poster's own loop")
            return asyncio.run_coroutine_threadsafe(work, loop).result(timeout)
        return asyncio.run(asyncio.wait_for(work, timeout))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
