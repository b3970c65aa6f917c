"""Errors the bot shows to people as they are, so their text must read well on its own.

A SourceError has two texts: `str(exc)`, which anyone may read (a chat member who pasted a URL), and
`exc.detail`, which may name internal addresses and operator settings and goes only to the operator
(the log, the terminal). They are the same unless the raiser gives a detail.
"""

from __future__ import annotations

from digests.errors import ArticleError


def one_line(text: object) -> str:
    """Line breaks and runs of blank space folded to one space: a chat reply or a terminal line never
    shows a traceback-like block."""
    return " ".join(str(text).split())


class SourceError(Exception):
    """An article source (file, stdin, URL) cannot be read.

    The message is one line for a person, e.g. "cannot read seeds/x.txt: no such file"; line breaks in
    the text given are folded so that a chat reply or a terminal line never shows a traceback-like block.
    `detail` is the operator's version (defaults to the message).
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(one_line(message))
        self.detail = one_line(detail) if detail else str(self)


class FetchError(SourceError):
    """A server answered with an error status. `status` and `retry_after` (the raw Retry-After header,
    seconds or an HTTP date, when the server sent one) let a poller back off as the server asks."""

    def __init__(self, message: str, *, status: int, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class BadInput(SourceError):
    """A value from outside cannot be stored or looked up as it is: too long for its field where cutting
    would change its meaning (a URL, a cron expression), or holding control characters where none belong.
    Raised by the store's boundary (bot.store.fields) before anything reaches the database."""


class ConfigError(Exception):
    """The operator's configuration (environment, `.env`, database URL) is wrong; the message is one
    line that says what to fix. Never shown in a chat."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


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
