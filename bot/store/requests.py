"""Signed chat requests already answered: the replay guard, shared by every process on the database.

A request is identified by a key the adapter chooses (Slack: its signature, or an event's id so that
Slack's retries of one event count as one). The first `first_seen` of a key inserts it; any later
one, from this process or another sharing the database, finds the primary key taken and says no.
Rows are kept until the request could no longer pass the signature check (its timestamp is out of
the window), then pruned.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .schema import SeenRequestRow
from .store import Store


def request_key(identity: str) -> str:
    """The stored form of a request's identity: fixed length, and no signature kept in clear."""
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def first_seen(store: Store, identity: str, now: datetime, expires_at: datetime) -> bool:
    """True the first time `identity` is seen before it expires; False for a replay or a retry.
    Expired keys (of any request) are pruned on the way, so the table stays as small as the
    traffic of one replay window."""
    key = request_key(identity)
    with store.session() as s:
        s.execute(delete(SeenRequestRow).where(SeenRequestRow.expires_at < now)
                  .execution_options(synchronize_session=False))
    try:
        with store.session() as s:
            s.add(SeenRequestRow(key=key, expires_at=expires_at))
            s.flush()
    except IntegrityError:
        return False
    return True


def seen_count(store: Store) -> int:
    """How many request keys are remembered (for tests and the operator)."""
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(SeenRequestRow)) or 0)
