"""The process's log lines: one record is one line, whatever outside text it carries.

Log messages quote what came from outside (a Slack command's fields, a page's title, a feed's
error): a newline in it ("%0A" in a form body) would start a line that looks like a record of its own
("… CRITICAL …") in the operator's log, and a terminal escape could rewrite what is on screen. The
formatters here escape control characters (C0 and C1, DEL, Unicode line and paragraph separators,
bidirectional overrides) in the formatted message and in exception messages, as \\n, \\x1b, \\u2028…,
while a traceback keeps its own line breaks for the operator. `install()` puts them on the root
logger once, at start-up (adapters/terminal/cli.py), so no call site has to remember.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import datetime, timezone
from types import TracebackType
from typing import Literal

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The project's own loggers: the operator's level applies to them; libraries (alembic, apscheduler,
# asyncio, httpx, htmldate, discord, slack_bolt) stay at WARNING unless asked, so -v or DEBUG shows the
# bot's own story rather than every library's chatter.
OWN_LOGGERS = ("bot", "digests", "adapters", "newsdigest")

# Fields a call site may attach with `extra={...}`: the JSON format writes them as keys of their own,
# so an operator's log pipeline can filter by channel, feed, slot or command without parsing messages.
CONTEXT_FIELDS = ("channel", "workspace", "platform", "feed", "slot", "command", "outcome", "article")

LogFormat = Literal["text", "json"]


def _escape_table() -> dict[int, str]:
    table = {code: f"\\x{code:02x}" for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]}
    table.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
    for code in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = f"\\u{code:04x}"
    return table


_ESCAPES = _escape_table()


def escape_controls(text: str) -> str:
    """ "a\\nCRITICAL b" → "a\\\\nCRITICAL b": the text on one line, every control character visible."""
    return text.translate(_ESCAPES)


def _escape_exception(te: traceback.TracebackException, seen: set[int]) -> None:
    """Escape the message (and notes) of `te`, its causes, contexts and group members in place."""
    if id(te) in seen:
        return
    seen.add(id(te))
    # TracebackException keeps the exception's text in _str (Python 3.10 to 3.13); without it the
    # traceback is printed as it is, which is no worse than the standard formatter.
    text = getattr(te, "_str", None)
    if isinstance(text, str):
        setattr(te, "_str", escape_controls(text))  # noqa: B010 - a private attribute, not in its type
    notes = getattr(te, "__notes__", None)
    if isinstance(notes, list):
        te.__notes__ = [escape_controls(str(n)) for n in notes]
    for inner in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if inner is not None:
            _escape_exception(inner, seen)


class EscapingFormatter(logging.Formatter):
    """A logging.Formatter whose every record is one line, plus its traceback's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_text:
            # Another handler's formatter may have cached its own (unescaped) traceback on the record.
            record = logging.makeLogRecord(record.__dict__)
            record.exc_text = None
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei: tuple[type[BaseException], BaseException, TracebackType | None]
                        | tuple[None, None, None]) -> str:
        if ei[1] is None:
            return super().formatException(ei)
        te = traceback.TracebackException(type(ei[1]), ei[1], ei[2])
        _escape_exception(te, set())
        return "".join(te.format()).rstrip("\n")


class OneLineFormatter(EscapingFormatter):
    """Log records without tracebacks: those are for --verbose."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text:
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info, record.exc_text = None, None
            record.msg = f"{record.msg} (run with --verbose for details)"
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, the context fields a call site gave,
    and the traceback (as one string) when there is one. json.dumps escapes every control character
    (and, with ensure_ascii, U+2028 and the bidirectional overrides), so a record stays one line."""

    def __init__(self, *, tracebacks: bool = True) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                entry[field] = value if isinstance(value, (int, float, bool)) else str(value)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            if self.tracebacks:
                entry["traceback"] = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        return json.dumps(entry, ensure_ascii=True, default=str)


def level_number(name: str) -> int:
    """"info" → logging.INFO; a ValueError naming the levels for anything else."""
    number = logging.getLevelName(name.strip().upper())
    if not isinstance(number, int):
        raise ValueError(f"not a log level: {name!r} (use debug, info, warning, error or critical)")
    return number


def install(verbose: bool = False, *, level: str | None = None, fmt: LogFormat = "text",
            library_level: str = "WARNING") -> logging.Handler:
    """Log to stderr: the project's loggers at `level` (DEBUG when `verbose`, WARNING when neither is
    given), libraries at `library_level`; `fmt` "text" is the escaping one-line format (tracebacks only
    when `verbose` or at DEBUG), "json" one object per line. Returns the handler (tests read what it wrote)."""
    own = logging.DEBUG if verbose else level_number(level or "WARNING")
    tracebacks = verbose or own <= logging.DEBUG
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(tracebacks=tracebacks))
    else:
        handler.setFormatter((EscapingFormatter if tracebacks else OneLineFormatter)(FORMAT))
    logging.basicConfig(level=level_number(library_level), handlers=[handler], force=False)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own)
    return handler
