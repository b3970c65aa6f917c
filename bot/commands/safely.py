"""Running a command so that it never raises: every failure becomes a reply the person can read,
and what the operator needs goes to the log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from digests.errors import ArticleError, ModelError

from ..app import Newsdigest
from ..errors import BotStopping, DigestBusy, SourceError
from ..replies import Reply, error
from ..store import StoreError

log = logging.getLogger("bot.commands")


def source_error(exc: SourceError, name: str) -> Reply:
    """The error reply: the person reads the message; what they may not (an internal address refused,
    an operator setting) is in the error's detail, which goes to the operator's log."""
    if exc.detail != str(exc):
        log.warning("%s: %s", name, exc.detail)
    return error(str(exc), title="Couldn't read that")


def run_safely(call: Callable[[], Reply], name: str = "command", *, app: Newsdigest | None = None,
               platform: str = "terminal") -> Reply:
    """`call()`'s reply, or the error reply its failure deserves; never raises. With `app`, the time it
    took is counted in its metrics, by command and platform."""
    started = time.perf_counter()
    try:
        return _answer(call, name)
    finally:
        if app is not None:
            app.metrics.command_seconds.labels(command=name.lstrip("/"), platform=platform).observe(
                time.perf_counter() - started)


def _answer(call: Callable[[], Reply], name: str) -> Reply:
    try:
        return call()
    except SourceError as exc:
        return source_error(exc, name)
    except DigestBusy as exc:
        return error(str(exc), title="Busy right now")
    except ArticleError as exc:
        return error(str(exc), title="Couldn't digest that")
    except BotStopping as exc:
        return error(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", title="Restarting")
    except ModelError as exc:
        log.error("%s: language model unavailable: %s", name, exc)
        return error("The bot cannot digest articles right now (its language model is not installed). The operator has been told.")
    except StoreError as exc:
        log.error("%s: store unavailable: %s", name, exc)
        return error("The bot's database is unavailable right now. The operator has been told; nothing was lost.")
    except Exception:
        log.exception("%s failed", name)
        return error("Something went wrong on the bot's side. The operator has been told.")
