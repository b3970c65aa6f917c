"""Errors the bot shows to people as they are, so their text must read well on its own.

A SourceError has two texts: `str(exc)`, which anyone may read (a chat member who pasted a URL), and
`exc.detail`, which may name internal addresses and operator settings and goes only to the operator
(the log, the terminal). They are the same unless the raiser gives a detail.
"""

from __future__ import annotations

from typing import Literal

from digests.errors import ArticleError


def one_line(text: object) -> str:
    """Line breaks and runs of blank space folded to one space: a chat reply or a terminal line never
    shows a traceback-like block."""
    return " ".join(str(text).split())


# What went wrong with a source, for code that must act on it (the poller's back-off, feed discovery)
# without reading the message: the message is for people.
SourceErrorKind = Literal[
    "unreadable",  # the default: the file, standard input, page or value cannot be used as it is
    "unfetchable",  # the address cannot be fetched for a reason only the operator may read (`detail`)
    "http_status",  # the server answered with an error status (FetchError)
    "html_page",  # a feed was asked for and the address serves an HTML page
    "not_a_feed",  # a feed was asked for and the document is not one
    "no_feed",  # neither a feed nor a page that links to one
    "bad_input",  # a value too long or with control characters for the store (BadInput)
]
# The verb of a message about a source: a file or standard input is read, an address fetched.
SourceAction = Literal["read", "fetch"]
_VERBS: dict[SourceAction, str] = {"read": "cannot read", "fetch": "could not fetch"}


class SourceError(Exception):
    """An article source (file, stdin, URL) cannot be read.

    The message is one line for a person, e.g. "cannot read seeds/x.txt: no such file": made of
    `action` and `source` when they are given ("cannot read <source>: " or "could not fetch
    <source>: ") and `reason`, so that a caller that already names the source shows `reason` alone
    and nobody takes the message apart again. Line breaks are folded so that a chat reply or a
    terminal line never shows a traceback-like block. `detail` is the operator's version of the
    reason (defaults to it), and `exc.detail` the operator's whole line.
    """

    kind: SourceErrorKind = "unreadable"

    def __init__(self, reason: str, *, source: str | None = None, action: SourceAction | None = None,
                 detail: str | None = None, kind: SourceErrorKind | None = None) -> None:
        self.reason = one_line(reason)
        self.private_reason = one_line(detail) if detail else self.reason
        self.source = source
        self.action: SourceAction | None = action if source is not None else None
        if kind is not None:
            self.kind = kind
        super().__init__(self._line(self.reason))
        self.detail = self._line(self.private_reason)

    def _line(self, reason: str) -> str:
        if self.source is None or self.action is None:
            return reason
        return f"{_VERBS[self.action]} {self.source}: {reason}"

    def about(self, source: str, action: SourceAction) -> SourceError:
        """The same failure said of `source` (a page's emptiness, of the URL it came from); an
        error that names its source already is kept as it is."""
        if self.source is not None:
            return self
        again = type(self).__new__(type(self))
        again.__dict__.update(self.__dict__)
        SourceError.__init__(again, self.reason, source=source, action=action,
                             detail=self.private_reason if self.private_reason != self.reason else None, kind=self.kind)
        return again


class FetchError(SourceError):
    """A server answered with an error status. `status` and `retry_after` (the raw Retry-After header,
    seconds or an HTTP date, when the server sent one) let a poller back off as the server asks."""

    kind: SourceErrorKind = "http_status"

    def __init__(self, reason: str, *, source: str, status: int, retry_after: str | None = None) -> None:
        super().__init__(reason, source=source, action="fetch")
        self.status = status
        self.retry_after = retry_after


class BadInput(SourceError):
    """A value from outside cannot be stored or looked up as it is: too long for its field where cutting
    would change its meaning (a URL, a cron expression), or holding control characters where none belong.
    Raised by the store's boundary (bot.store.fields) before anything reaches the database."""

    kind: SourceErrorKind = "bad_input"


class ConfigError(Exception):
    """The operator's configuration (environment, `.env`, database URL) is wrong; the message is one
    line that says what to fix. Never shown in a chat."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class SourceArticleError(ArticleError):
    """The article read from `source` cannot be digested; `reason` says why (the engine's message)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = one_line(reason)
        super().__init__(f"cannot digest {source}: {self.reason}")


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
