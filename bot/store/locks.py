"""PostgreSQL session-level advisory locks, held on a connection of their own: the scheduler's
leader election (bot/leader.py). The lock lives as long as the connection: a leader that dies, is
killed or loses the network loses the lock with its connection, and a standby's next try takes it.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Connection, text

from .store import Store

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock's name (advisory locks are numbered)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


# pg_locks shows a bigint advisory lock as two 32-bit halves (classid high, objid low; objsubid 1).
# Advisory locks belong to one database, but pg_locks lists the whole server's: another installation
# (or test database) on the same server holds a lock of the same name without being this one's leader.
_MATCH = ("locktype = 'advisory' AND granted AND classid = :high AND objid = :low AND objsubid = 1 "
          "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


def _parts(key: int) -> dict[str, int]:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}


class AdvisoryLock:
    """`try_take()` the lock named `name`; `held()` says whether this process still has it."""

    def __init__(self, store: Store, name: str, holder: str) -> None:
        if store.dialect != "postgresql":
            raise ValueError("advisory locks need PostgreSQL")
        self.store = store
        self.key = lock_key(name)
        self.holder = holder  # shown to the operator as the connection's application_name
        self._connection: Connection | None = None

    def try_take(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now."""
        if self._connection is not None:
            return self.held()
        connection = self.store.engine.connect()
        try:
            connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": self.holder[:63]})
            taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
            connection.commit()  # the lock is the session's: it outlives the transaction
        except Exception:
            connection.close()
            raise
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """Whether the lock's connection is alive and still holds it (False once the database dropped it)."""
        if self._connection is None:
            return False
        try:
            alive = bool(self._connection.execute(text(
                f"SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND {_MATCH}"), _parts(self.key)).scalar())
            self._connection.commit()
        except Exception as exc:  # the connection is gone: so is the lock
            log.warning("the scheduler's lock connection failed: %s", type(exc).__name__)
            self._drop()
            return False
        if not alive:
            self._drop()
        return alive

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.commit()
        except Exception:  # closing the connection releases it anyway
            pass
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass


def lock_holder(store: Store, name: str) -> str | None:
    """The application_name of the connection holding the lock `name`, if any holds it."""
    if store.dialect != "postgresql":
        return None
    with store.engine.connect() as connection:
        return connection.execute(text(
            "SELECT a.application_name FROM pg_locks JOIN pg_stat_activity a ON a.pid = pg_locks.pid "
            f"WHERE {_MATCH}"), _parts(lock_key(name))).scalar()
