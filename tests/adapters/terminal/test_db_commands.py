"""`newsdigest db check|upgrade|backup` and the read-only commands that never migrate on their own."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command

from bot.config import Settings
from bot.store import Store
from bot.store import articles as article_store
from bot.store.db import alembic_config, backup_sqlite, head_revision, open_engine, schema_state
from tests.conftest import make_digest
from tests.helpers.cli import assert_one_line_error, run


def store_behind(path) -> str:  # noqa: ANN001 - a pathlib.Path
    """A SQLite store at the migration before the newest, as an older newsdigest left it."""
    engine = open_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "head")
            command.downgrade(config, "-1")
        return schema_state(engine)[1] or ""
    finally:
        engine.dispose()


@pytest.mark.slow
def test_read_only_commands_say_an_upgrade_is_needed_and_leave_the_store_as_it_is(tmp_path):
    env = {"NEWSDIGEST_DATA_DIR": str(tmp_path)}
    old = store_behind(tmp_path / "newsdigest.db")
    assert old and old != head_revision()
    line = assert_one_line_error(run("who-said", "anything", env=env, cwd=tmp_path), "needs an upgrade",
                                 "newsdigest db upgrade")
    assert old in line and head_revision() in line
    assert_one_line_error(run("dispute", env=env, cwd=tmp_path), "needs an upgrade")
    engine = open_engine(f"sqlite:///{tmp_path / 'newsdigest.db'}")
    try:
        assert schema_state(engine) == ("behind", old)  # nothing was migrated behind the operator's back
    finally:
        engine.dispose()

    checked = run("db", "check", env=env, cwd=tmp_path)
    assert checked.returncode == 1 and b"this version needs" in checked.stdout
    upgraded = run("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0 and f"upgraded from {old} to {head_revision()}".encode() in upgraded.stdout
    assert run("db", "check", env=env, cwd=tmp_path).returncode == 0
    answered = run("who-said", "anything", env=env, cwd=tmp_path)
    assert b"needs an upgrade" not in answered.stderr and b"Traceback" not in answered.stderr


@pytest.mark.slow
def test_a_new_store_is_made_by_any_command_there_is_nothing_to_lose(tmp_path):
    env = {"NEWSDIGEST_DATA_DIR": str(tmp_path)}
    assert run("db", "check", env=env, cwd=tmp_path).returncode == 1
    answered = run("who-said", "anything", env=env, cwd=tmp_path)
    assert b"Traceback" not in answered.stderr
    assert run("db", "check", env=env, cwd=tmp_path).returncode == 0


def test_the_online_backup_holds_what_is_still_in_the_write_ahead_log(tmp_path):
    store = Store.open(Settings(data_dir=tmp_path))
    try:
        article_store.save_digest(store, make_digest(title="Backed up"))
        # The store is open and in WAL mode: the write may sit in newsdigest.db-wal, not yet in the file.
        assert (tmp_path / "newsdigest.db-wal").exists()
        size = backup_sqlite(store.engine, tmp_path / "copy.db")
    finally:
        store.close()
    assert size > 0
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("SELECT title FROM articles").fetchall() == [("Backed up",)]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


@pytest.mark.slow
def test_a_backup_never_overwrites_and_postgresql_is_pointed_at_pg_dump(tmp_path):
    env = {"NEWSDIGEST_DATA_DIR": str(tmp_path)}
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    (tmp_path / "taken.db").write_bytes(b"keep me")
    assert_one_line_error(run("db", "backup", str(tmp_path / "taken.db"), env=env, cwd=tmp_path), "already exists")
    assert (tmp_path / "taken.db").read_bytes() == b"keep me"
    pg = {**env, "NEWSDIGEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}
    assert_one_line_error(run("db", "backup", str(tmp_path / "pg.db"), env=pg, cwd=tmp_path), "pg_dump")
    assert not (tmp_path / "pg.db").exists()
