"""Open the database named by the settings, bring its schema up to date, and explain failures.

A SQLite file in the data directory is the embedded default; `NEWSDIGEST_DATABASE_URL` names any
other database (PostgreSQL: `postgresql://user@host:5432/name`). A database that cannot be opened
is never recreated or overwritten: the error says what is wrong and leaves the file as it is.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError

from ..config import Settings


class StoreError(Exception):
    """The database cannot be used; the message says why in one line, with no password in it."""


URL_EXAMPLES = "postgresql://user:password@host:5432/name or sqlite:////absolute/path/newsdigest.db"


def parse_url(raw: str | URL) -> URL:
    """The URL parsed, or a StoreError that says how to write one (without the URL: it may hold a password)."""
    try:
        url = make_url(raw.strip() if isinstance(raw, str) else raw)
    except (ArgumentError, ValueError) as exc:
        reason = "its port is not a number" if "int()" in str(exc) else "it cannot be read as one"
        raise StoreError(f"NEWSDIGEST_DATABASE_URL is not a database URL ({reason}): write {URL_EXAMPLES}") from None
    if not (url.drivername.startswith("sqlite") or url.drivername.split("+")[0] in {"postgresql", "postgres"}):
        raise StoreError(f"NEWSDIGEST_DATABASE_URL names a {url.drivername.split('+')[0]!r} database; "
                         f"newsdigest runs on SQLite or PostgreSQL: write {URL_EXAMPLES}")
    return url


def database_url(settings: Settings) -> str:
    if settings.database_url:
        url = parse_url(settings.database_url)
        # Plain "postgresql://" means psycopg2 to SQLAlchemy; the project ships psycopg 3.
        if url.drivername in {"postgresql", "postgres"}:
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    path = Path(settings.data_dir) / "newsdigest.db"
    return f"sqlite:///{path}"


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    # SQLite's own lower() folds ASCII letters only; title searches must ignore case in any script.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    # WAL lets the poller write while a command reads; foreign keys make deletes cascade.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def changed_rows(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE changed: its result is a CursorResult at run time, which
    Session.execute's types do not say."""
    return cast("CursorResult[Any]", result).rowcount


def open_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:
        # Plain "postgresql://" means psycopg2 to SQLAlchemy 2.0; the project ships psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the project's migrations, run on `connection` when one is given
    (the store's migrate, and the tests that move a database to a given revision)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("bot.store").joinpath("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _sqlite_path(url: URL) -> Path | None:
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def check_sqlite(url: URL) -> None:
    """A SQLite file that exists is checked (PRAGMA quick_check) through a read-only connection before
    the store opens it: a damaged file is reported and nothing is written to it (the store's own
    connections set WAL mode and would write at once)."""
    path = _sqlite_path(url)
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return
    damaged = f"the database file {path} is damaged or is not a SQLite database; it was left untouched"
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the database file {path}: {exc}") from None
    try:
        rows = [row[0] for row in connection.execute("PRAGMA quick_check(1)")]
    except sqlite3.DatabaseError as exc:
        if "unable to open" in str(exc):
            raise StoreError(f"cannot open the database file {path}: check the path and its permissions") from None
        raise StoreError(damaged) from None
    finally:
        connection.close()
    if rows != ["ok"]:
        raise StoreError(f"{damaged} (SQLite's check: {rows[0] if rows else 'no answer'}); restore it from a backup")


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration. A damaged SQLite file, or a database whose
    schema is newer than this version knows, is a StoreError and is left as it is."""
    check_sqlite(engine.url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    except (DatabaseError, OperationalError) as exc:
        raise StoreError(explain(exc, str(engine.url))) from None
    except CommandError as exc:
        if "Can't locate revision" not in str(exc):
            raise
        found = current_revision(engine)
        raise StoreError(f"the database {describe(engine.url.render_as_string(hide_password=False))} was made by a newer "
                         f"newsdigest (its schema revision {found!r} is unknown to this version): upgrade newsdigest, "
                         "or set NEWSDIGEST_DATABASE_URL to another database") from None


def explain(exc: SQLAlchemyError, url: str) -> str:
    where = describe(url)
    original = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(getattr(exc, "orig", exc)).strip() else ""
    if "file is not a database" in original or "malformed" in original:
        return f"the database file {where} is damaged or is not a SQLite database; it was left untouched"
    if "unable to open database file" in original:
        return f"cannot open the database file {where}: check the path and its permissions"
    if isinstance(exc, OperationalError) and not make_url(url).drivername.startswith("sqlite"):
        return f"cannot connect to the database at {where}: {original}"
    return f"database error on {where}: {original}"


def head_revision() -> str:
    """The newest migration this version of newsdigest knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the project ships its migrations"
    return head


SchemaState = Literal["empty", "current", "behind", "ahead"]


def schema_state(engine: Engine) -> tuple[SchemaState, str | None]:
    """Where the database's schema stands against this version's migrations, and its revision:
    "empty" (nothing made yet), "current", "behind" (an upgrade is needed) or "ahead" (made by a newer
    newsdigest). Reads only: nothing is created or changed."""
    from alembic.script import ScriptDirectory

    check_sqlite(engine.url)
    try:
        found = current_revision(engine)
    except (DatabaseError, OperationalError) as exc:
        raise StoreError(explain(exc, str(engine.url))) from None
    if found is None:
        return "empty", None
    head = head_revision()
    if found == head:
        return "current", found
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    return ("behind" if found in known else "ahead"), found


def require_current(engine: Engine) -> None:
    """For the commands that only read: a schema that needs an upgrade is a StoreError saying how to
    do it (they never migrate on their own); a new, empty database is made, as there is nothing to lose."""
    state, found = schema_state(engine)
    if state == "empty":
        migrate(engine)
    elif state == "behind":
        raise StoreError(f"the database {describe(engine.url.render_as_string(hide_password=False))} needs an upgrade "
                         f"(its schema is at {found}, this version needs {head_revision()}): back it up "
                         "(`newsdigest db backup PATH`), then run `newsdigest db upgrade`")
    elif state == "ahead":
        migrate(engine)  # says, in its own words, that a newer newsdigest made it


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy a SQLite store to `target` with SQLite's online backup API: consistent even while the bot
    writes (a plain file copy of a WAL database can miss what is still in the -wal file). The target
    must not exist. Returns its size in bytes."""
    source_path = _sqlite_path(engine.url)
    if source_path is None:
        raise StoreError("`newsdigest db backup` copies a SQLite store; for PostgreSQL use pg_dump "
                         "(the README's \"Backups\" gives the command)")
    if not source_path.is_file():
        raise StoreError(f"there is no database file at {source_path} to back up")
    if target.exists():
        raise StoreError(f"{target} already exists: choose a new file name (a backup never overwrites)")
    check_sqlite(engine.url)
    source = sqlite3.connect(f"file:{quote(str(source_path.resolve()))}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)
        finally:
            copy.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise StoreError(f"the backup to {target} failed: {exc}") from None
    finally:
        source.close()
    return target.stat().st_size


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
