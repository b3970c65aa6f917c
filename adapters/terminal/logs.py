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

import logging
import traceback
from types import TracebackType

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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


def install(verbose: bool = False) -> logging.Handler:
    """Log to stderr through the escaping formatters: everything with tracebacks when `verbose`,
    else warnings and errors on one line each. Returns the handler (tests read what it wrote)."""
    handler = logging.StreamHandler()
    handler.setFormatter((EscapingFormatter if verbose else OneLineFormatter)(FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler], force=False)
    return handler
