"""Bounded fields: every string is made to fit its column before it reaches the database.

PostgreSQL refuses a value longer than its `String(n)` column, a NUL character anywhere, and (like
SQLite's driver) a lone surrogate, which cannot be encoded as UTF-8; SQLite takes any length. Values
from outside (pages, feeds, commands) are checked here, once, when a row is flushed, so that both
backends store the same thing and no bad value ever becomes a database error. The limits come from
the column types in schema.py, so a new column is covered the day it is added.

What happens to a value depends on its column's policy (`POLICIES`; a column not listed is REJECT):

- CUT (names, sources, cues: text for display): control characters become spaces and blank runs one
  space (one line), then a value over the limit is cut at a character boundary (never inside a
  combining sequence) and ends with "…".
- REJECT (addresses, cron expressions, identifiers: cutting would change what they mean): a value over
  the limit, or holding a control character, raises BadInput with a message that says so.
- DROP (HTTP validators, a published date, an entry's link: optional hints): a value that does not fit
  is stored as None.
- KEY (feed entry keys): a value over the limit keeps its start and ends with a hash of the whole, so
  two long keys stay two keys and the same key always maps to the same stored value.
- Text columns (no limit) keep their text; NUL and lone surrogates become U+FFFD, one character for
  one, so quote offsets into an article's text still point at the same words.

Every policy replaces lone surrogates with U+FFFD (a REJECT column refuses them).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from enum import Enum

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError
from sqlalchemy import String, Table, event, inspect
from sqlalchemy.orm import Mapper

from ..errors import BadInput, one_line
from .schema import Base


class Policy(Enum):
    CUT = "cut"
    REJECT = "reject"
    DROP = "drop"
    KEY = "key"


POLICIES: dict[str, Policy] = {
    "articles.source": Policy.CUT,
    "articles.author": Policy.CUT,
    "articles.published": Policy.DROP,
    "quotes.speaker_name": Policy.CUT,
    "quotes.speaker_role": Policy.CUT,
    "quotes.speaker_org": Policy.CUT,
    "quotes.cue": Policy.CUT,
    "channels.name": Policy.CUT,
    "feeds.etag": Policy.DROP,
    "feeds.last_modified": Policy.DROP,
    "feed_entries.entry_key": Policy.KEY,
    "feed_entries.link": Policy.DROP,
}

# How a REJECT column is named in the message a person reads.
LABELS: dict[str, str] = {
    "articles.canonical_url": "article's address",
    "feeds.url": "feed's address",
    "subscriptions.feed_url": "feed's address",
    "schedules.cron": "schedule's cron expression",
    "schedules.timezone": "time zone",
}

ELLIPSIS = "…"
_SURROGATES = re.compile("[\ud800-\udfff]")
_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
# Unicode category Cc: C0 controls, DEL and C1 controls.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
# Lookups (a pasted text, a title search) may hold line breaks and tabs, nothing else of Cc.
_LOOKUP_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_JOINERS = frozenset("\u200c\u200d\u034f")  # zero-width (non-)joiner, combining grapheme joiner
_MAX_BACKUP = 32  # how far a cut may move back to avoid splitting a combining sequence


def _attached(ch: str) -> bool:
    """True for a character that belongs to the one before it (a combining mark, a joiner, a
    variation selector): a cut must not fall just before it."""
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in _JOINERS
            or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef")


def cut(value: str, limit: int) -> str:
    """`value` in at most `limit` characters: as it is when it fits, else its start and "…"."""
    if len(value) <= limit:
        return value
    end = limit - len(ELLIPSIS)
    for _ in range(_MAX_BACKUP):
        # value[end] is the first character dropped: if it belongs to value[end - 1], drop that too.
        if end <= 0 or not (_attached(value[end]) or value[end - 1] in _JOINERS):
            break
        end -= 1
    return value[:max(end, 0)].rstrip() + ELLIPSIS


def _key(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return value[: limit - len(digest) - 1] + "#" + digest


def _label(name: str) -> str:
    return LABELS.get(name, name.split(".", 1)[1].replace("_", " "))


def fit_value(name: str, length: int | None, value: str | None) -> str | None:
    """The value stored for `value` in the column `name` ("table.column") of `length` characters
    (None: unbounded). Raises BadInput for a REJECT column's value that does not fit."""
    if value is None:
        return None
    if length is None:
        return _NUL_OR_SURROGATE.sub("\ufffd", value)
    policy = POLICIES.get(name, Policy.REJECT)
    if policy is Policy.REJECT:
        if _CONTROLS.search(value) or _SURROGATES.search(value):
            raise BadInput(f"the {_label(name)} holds control characters or broken Unicode: write it as plain text")
        if len(value) > length:
            raise BadInput(f"the {_label(name)} is {len(value):,} characters long; the limit is {length:,}")
        return value
    if policy is Policy.DROP:
        if len(value) > length or _CONTROLS.search(value) or _SURROGATES.search(value):
            return None
        return value
    value = _SURROGATES.sub("\ufffd", value)
    if policy is Policy.KEY:
        return _key(value.replace("\x00", "\ufffd"), length)
    return cut(one_line(_CONTROLS.sub(" ", value)), length)


def model_json(model: BaseModel) -> str:
    """The model as JSON for a Text column. A lone surrogate (possible in a Python str, e.g. from a
    JSON "\\ud800" escape) cannot be written as UTF-8: it becomes U+FFFD, as in every other column."""
    try:
        return model.model_dump_json()
    except PydanticSerializationError:
        return _SURROGATES.sub("\ufffd", json.dumps(model.model_dump(mode="json"), ensure_ascii=False))


def _column_length(column) -> int | None:  # noqa: ANN001 - a sqlalchemy Column
    return column.type.length if isinstance(column.type, String) else None


def fit(attribute, value: str | None) -> str | None:  # noqa: ANN001 - an ORM attribute, e.g. FeedRow.url
    """The value the store keeps for `value` in that column: what a look-up by a stored value must use."""
    column = attribute.property.columns[0]
    return fit_value(f"{column.table.name}.{column.name}", _column_length(column), value)


def check_lookup(value: str, what: str = "text") -> str:
    """A string a person typed, before it is looked up: control characters (other than line breaks and
    tabs) and broken Unicode are refused as bad input, the same on both backends (PostgreSQL would
    refuse a NUL as a database error; SQLite would search for it)."""
    if _LOOKUP_CONTROLS.search(value) or _SURROGATES.search(value):
        raise BadInput(f"the {what} holds control characters (such as NUL) or broken Unicode: send plain text")
    return value


def _fit_row(mapper: Mapper, target: object, *, changed_only: bool) -> None:
    # Flush-time hook: setting the row's own column attributes here is what SQLAlchemy allows (and the
    # values set are the ones written).
    state = inspect(target)
    loaded = state.dict  # only values set or loaded: reading others would query mid-flush
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not isinstance(column.type, String):  # Text is a String too: covered, unbounded
            continue
        # An update checks what it changes: a value stored before these rules (SQLite took any length)
        # must not make every later update of its row fail.
        if changed_only and not state.attrs[prop.key].history.has_changes():
            continue
        value = loaded.get(prop.key)
        if isinstance(value, str):
            table = column.table
            assert isinstance(table, Table)  # a mapped class's column belongs to its table
            fitted = fit_value(f"{table.name}.{column.name}", column.type.length, value)
            if fitted != value:
                setattr(target, prop.key, fitted)


def _before_insert(mapper: Mapper, _connection, target: object) -> None:  # noqa: ANN001 - a DB-API connection
    _fit_row(mapper, target, changed_only=False)


def _before_update(mapper: Mapper, _connection, target: object) -> None:  # noqa: ANN001
    _fit_row(mapper, target, changed_only=True)


event.listen(Base, "before_insert", _before_insert, propagate=True)
event.listen(Base, "before_update", _before_update, propagate=True)
