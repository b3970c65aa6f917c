"""Errors the bot shows to people as they are, so their text must read well on its own."""

from __future__ import annotations

from digests.errors import ArticleError


class SourceError(Exception):
    """An article source (file, stdin, URL) cannot be read.

    The message is one line for a person, e.g. "cannot read seeds/x.txt: no such file"; line breaks in
    the text given are folded so that a chat reply or a terminal line never shows a traceback-like block.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class FetchError(SourceError):
    """A server answered with an error status. `status` and `retry_after` (the raw Retry-After header,
    seconds or an HTTP date, when the server sent one) let a poller back off as the server asks."""

    def __init__(self, message: str, *, status: int, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class DigestTimeout(ArticleError):
    """A digest passed its deadline (NEWSDIGEST_DIGEST_DEADLINE) and was given up."""

    def __init__(self) -> None:
        super().__init__("this article is too long or slow to digest")


class DigestBusy(ArticleError):
    """Every digest worker is busy and the queue is full (NEWSDIGEST_DIGEST_WORKERS, NEWSDIGEST_DIGEST_QUEUE)."""

    def __init__(self) -> None:
        super().__init__("newsdigest is busy digesting other articles: try again in a minute")


class BotStopping(RuntimeError):
    """The process is stopping: a digest was given up and must not count as the article's failure
    (a feed entry stays new, to be digested after the restart)."""

    def __init__(self) -> None:
        super().__init__("newsdigest is stopping: try again in a minute")


def format_size(n: int) -> str:
    """A byte count as people read it in a message: "812 bytes", "12.3 KB", "5.0 MB"."""
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"
