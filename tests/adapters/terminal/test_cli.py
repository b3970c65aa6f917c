"""The installed `newsdigest` command, run as a person runs it: a separate process, real files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import SEED, assert_one_line_error, run

pytestmark = pytest.mark.slow  # every test here starts a subprocess


@pytest.fixture(scope="module")
def seed_digest() -> dict:
    result = run("digest", str(SEED), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_seed_article_metadata_and_clean_text(seed_digest):
    article = seed_digest["article"]
    assert article["title"].startswith("AI Rivalry Heats Up: Anthropic Cuts OpenAI Out of Access")
    assert article["published"] == "2025-08-03"
    everything = json.dumps(seed_digest, ensure_ascii=False)
    for chrome in ("18 views", "0 comments", "Related Posts", "Leave a Comment", "\u0111", "\u0166"):
        assert chrome not in everything, chrome


def _quote(digest: dict, fragment: str) -> dict:
    found = [q for q in digest["quotes"] if fragment in q["text"]]
    assert len(found) == 1, [q["text"] for q in digest["quotes"]]
    return found[0]


def test_seed_quotes_and_speakers(seed_digest):
    text = seed_digest["article"]["text"]
    for q in seed_digest["quotes"]:
        assert q["text"] == text[q["start"]:q["end"]]
    nulty = {"name": "Christopher Nulty", "role": "spokesperson", "org": "Anthropic"}
    for fragment in ("Claude Code has become the go-to choice", "Unfortunately, this is a direct violation of our terms of service."):
        speaker = _quote(seed_digest, fragment)["speaker"]
        assert {k: speaker[k] for k in nulty} == nulty
    partial = _quote(seed_digest, "benchmarking and safety evaluations")
    assert partial["kind"] == "partial" and partial["speaker"]["name"] == "Christopher Nulty"
    wong = _quote(seed_digest, "It's industry standard to evaluate other AI systems")["speaker"]
    assert (wong["name"], wong["role"], wong["org"]) == ("Hannah Wong", "Chief Communications Officer", "OpenAI")
    kaplan = _quote(seed_digest, "I think it would be odd for us to be selling Claude to OpenAI.")["speaker"]
    assert (kaplan["name"], kaplan["role"], kaplan["org"]) == ("Jared Kaplan", "Chief Science Officer", "Anthropic")
    terms = _quote(seed_digest, "build a competing product or service")["speaker"]
    assert terms["name"] == "Anthropic" and terms["kind"] == "document"


def test_seed_implications_and_dispute(seed_digest):
    labels = {i["label"] for i in seed_digest["implications"]}
    assert {"Protecting IP", "Benchmarking vs. Training", "Competitive Tensions", "Capacity Constraints"} <= labels
    dispute = seed_digest["dispute"]
    assert dispute is not None
    parties = {p["name"]: p for p in dispute["parties"]}
    assert set(parties) >= {"Anthropic", "OpenAI"}
    assert "GPT-5" in dispute["allegation"] or "terms of service" in dispute["allegation"]
    assert any("cut off" in action for action in dispute["actions"])
    openai_position = parties["OpenAI"]["position"] or ""
    assert "industry standard" in openai_position.lower() and "disappointing" in openai_position.lower()
    assert 1 <= len(seed_digest["tldr"]) <= 3


def test_text_and_markdown_formats(seed_digest):
    text = run("digest", str(SEED))
    assert text.returncode == 0
    out = text.stdout.decode()
    assert "TL;DR" in out and "Christopher Nulty" in out and "Hannah Wong" in out
    md = run("digest", str(SEED), "--format", "markdown").stdout.decode()
    assert md.startswith("# AI Rivalry Heats Up")
    assert "## Key quotes" in md and "## Dispute" in md


def test_stdin_source():
    result = run("digest", "-", "--format", "json", stdin=SEED.read_bytes())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["article"]["published"] == "2025-08-03"


def test_schema_lists_the_digest_fields():
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert {"article", "tldr", "quotes", "implications", "dispute", "entities"} <= set(schema["properties"])


def test_quotes_batch_interface(tmp_path):
    batch = tmp_path / "in.jsonl"
    texts = {
        "a": "The vote failed on Tuesday.\n\n“We will try again next month,” Senator Robert Hale said.",
        "b": "No one was quoted in this short but complete news item about the weather today in town.",
    }
    batch.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()), encoding="utf-8")
    result = run("quotes", "--jsonl", str(batch))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    (quote,) = rows[0]["quotes"]
    assert texts["a"][quote["start"]:quote["end"]] == quote["text"]
    assert quote["speaker"] == "Robert Hale"
    assert rows[1]["quotes"] == []


def test_missing_file():
    assert_one_line_error(run("digest", "/no/such/article.txt"), "no such file")


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_one_line_error(run("digest", str(empty)), "empty")


def test_binary_file(tmp_path):
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    assert_one_line_error(run("digest", str(binary)), "not text")


def test_twenty_megabyte_file(tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"All work and no play makes a dull article. " * (20 * 1024 * 1024 // 43 + 1))
    assert_one_line_error(run("digest", str(huge)), "limit")


def test_invalid_utf8(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_bytes(bytes([0x80, 0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xC0, 0xC1, 0xF5, 0xFF] * 300))
    assert_one_line_error(run("digest", str(broken)), "text")


def test_html_without_an_article(tmp_path):
    page = tmp_path / "nav.html"
    page.write_text("<html><head><title>Home</title></head><body><nav><a href='/'>Home</a></nav></body></html>")
    assert_one_line_error(run("digest", str(page)), "no article")


def test_text_too_short_to_digest(tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("Just a headline.\n")
    assert_one_line_error(run("digest", str(short)), "too short")


def test_private_url_is_refused():
    assert_one_line_error(run("digest", "http://127.0.0.1:9/article"), "private")


def test_unreachable_url():
    # Allowed to try loopback, but nothing listens on the discard port.
    result = run("digest", "http://127.0.0.1:9/article", env={"NEWSDIGEST_ALLOW_PRIVATE_URLS": "1"})
    assert_one_line_error(result, "could not fetch")


def test_unknown_command_is_a_usage_error():
    result = run("summarise", str(SEED))
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert b"invalid choice" in result.stderr


# Operator mistakes: one line saying what to fix, exit 1, never "internal error" (exit 70)

def assert_operator_error(result: subprocess.CompletedProcess, *words: str) -> str:
    line = assert_one_line_error(result, *words)
    assert result.returncode == 1, line
    assert "internal error" not in line
    return line


def _operator_env(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSDIGEST_")}
    return {**env, "NEWSDIGEST_DATA_DIR": str(tmp_path / "data"), **more}


@pytest.mark.parametrize("url, words", [
    ("postgresql://newsdigest:s3cret@db.internal:five/news", ("NEWSDIGEST_DATABASE_URL", "port", "postgresql://")),
    ("not a url at all", ("NEWSDIGEST_DATABASE_URL", "not a database url")),
    ("mysql://newsdigest@db.internal/news", ("NEWSDIGEST_DATABASE_URL", "mysql", "SQLite or PostgreSQL")),
])
def test_a_malformed_database_url_is_one_line_without_the_password(tmp_path, url, words):
    result = run("feeds", "list", env=_operator_env(tmp_path, NEWSDIGEST_DATABASE_URL=url), cwd=tmp_path)
    line = assert_operator_error(result, *words)
    assert "s3cret" not in line


@pytest.mark.parametrize("name, value, words", [
    ("NEWSDIGEST_FETCH_TIMEOUT", "soon", ("NEWSDIGEST_FETCH_TIMEOUT", "number", ".env")),
    ("NEWSDIGEST_FEED_INTERVAL", "5", ("NEWSDIGEST_FEED_INTERVAL", "greater than or equal to 60")),
    ("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", "10.0.0.0/8, intranet", ("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", "network")),
    ("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", "[10.0.0.0/8", ("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", "JSON list")),
])
def test_a_bad_setting_in_the_environment_names_the_variable(tmp_path, name, value, words):
    assert_operator_error(run("feeds", "list", env=_operator_env(tmp_path, **{name: value}), cwd=tmp_path), *words)


def test_a_bad_value_in_dot_env_names_the_variable(tmp_path):
    (tmp_path / ".env").write_text("NEWSDIGEST_MAX_FETCH_BYTES=-3\n", encoding="utf-8")
    assert_operator_error(run("who-said", "anything", env=_operator_env(tmp_path), cwd=tmp_path),
                          "NEWSDIGEST_MAX_FETCH_BYTES", "greater than 0")


def test_a_dot_env_with_bad_bytes_says_to_save_it_as_utf8(tmp_path):
    (tmp_path / ".env").write_bytes(b"NEWSDIGEST_USER_AGENT=caf\xe9 bot\n")
    assert_operator_error(run("feeds", "list", env=_operator_env(tmp_path), cwd=tmp_path), ".env", "UTF-8", "0xe9")


def test_a_database_from_a_newer_version_is_one_line_and_left_as_it_is(tmp_path):
    env = _operator_env(tmp_path)
    assert run("feeds", "list", env=env, cwd=tmp_path).returncode == 0  # creates and migrates the database
    path = tmp_path / "data" / "newsdigest.db"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    connection.close()
    line = assert_operator_error(run("feeds", "list", env=env, cwd=tmp_path), "newer", "0099_from_the_future", "upgrade")
    assert str(path) in line
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099_from_the_future",)]
    connection.close()


@pytest.mark.parametrize("command", [("feeds", "list"), ("run",), ("who-said", "some words")])
def test_a_sqlite_file_with_damaged_pages_is_reported_and_never_written(tmp_path, command):
    env = _operator_env(tmp_path)
    assert run("feeds", "add", "--channel", "slack:C1", "http://127.0.0.1:9/feed.xml", env=env, cwd=tmp_path).returncode != 70
    path = tmp_path / "data" / "newsdigest.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(path.read_bytes())
    assert len(data) > 4 * 4096
    data[3 * 4096:] = bytes(len(data) - 3 * 4096)  # SQLite's header and first pages kept, the rest zeroed
    path.write_bytes(bytes(data))
    result = run(*command, env=env, cwd=tmp_path, stdin=b"", timeout=60)
    assert_operator_error(result, "damaged", str(path))
    assert path.read_bytes() == bytes(data)
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing waiting to be written into it either



def test_version_prints_the_installed_version():
    from importlib.metadata import version

    done = run("--version", timeout=60)
    assert done.returncode == 0 and done.stdout.decode().strip() == f"newsdigest {version('newsdigest')}"


def test_a_bad_log_level_setting_is_one_line_naming_the_variable(tmp_path):
    done = run("who-said", "anything", env={"NEWSDIGEST_LOG_LEVEL": "loud", "NEWSDIGEST_DATA_DIR": str(tmp_path)},
               timeout=60, cwd=tmp_path)
    assert_one_line_error(done, "NEWSDIGEST_LOG_LEVEL")
