"""The store: the database connection every module of `bot.store` works through.

Everything the bot needs from the database goes through `bot.store`: each module holds the queries
of one part of the schema as functions that take the `Store` first (`articles.find_article(store,
…)`, `channels.set_schedule(store, …)`, `deliveries.claim(store, …)`), and take and return pydantic
models, never ORM rows. `Store` itself only opens the database, migrates it and hands out
transactions (`session`), with database failures turned into readable errors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..errors import BadInput
from . import fields as _fields  # noqa: F401 - importing bot.store.fields installs its flush hooks
from .db import StoreError, database_url, explain, migrate, open_engine, require_current

log = logging.getLogger(__name__)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.dialect = self.engine.dialect.name

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> "Store":
        """Open the configured database and bring its schema up to date; with `migrate=False` (the
        commands that only read) an out-of-date schema is a StoreError that says to upgrade instead."""
        store = cls(database_url(settings))
        try:
            store.migrate() if migrate else require_current(store.engine)
        except BaseException:
            store.close()
            raise
        return store

    def migrate(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query now (readiness checks); never raises."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # any driver's failure means "not reachable now"
            return False

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction; database failures come out as StoreError with a readable message."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except IntegrityError:
            # A unique key another writer took meanwhile: left as it is for the caller to retry
            # (see save_digest); it is a DatabaseError too, so it must be caught before those.
            session.rollback()
            raise
        except (DataError, UnicodeEncodeError) as exc:
            # A value the database refuses, or a lone surrogate the driver cannot send as UTF-8, in a
            # look-up (bot.store.fields fits every value written): the input's fault, not an outage, so it
            # is bad input for the person and details for the log.
            session.rollback()
            reason = explain(exc, self.url) if isinstance(exc, DataError) else f"a look-up by text that is not UTF-8 ({exc.reason})"
            log.warning("the database refused a value: %s", reason)
            raise BadInput("a value in this request cannot be stored (it is too long or holds characters "
                           "no database keeps)") from None
        except (OperationalError, DatabaseError) as exc:
            session.rollback()
            raise StoreError(explain(exc, self.url)) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

