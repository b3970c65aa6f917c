"""The terminal as a platform: `newsdigest ingest`, `who-said`, `dispute` and `chat`, run as a person
runs them (the installed console script, a separate process), each test with its own SQLite store
in a temporary NEWSDIGEST_DATA_DIR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.store import Store
from bot.store import articles as article_store

pytestmark = pytest.mark.slow  # every test here starts a subprocess

ROOT = Path(__file__).resolve().parents[3]
SEEDS = ROOT / "seeds"
SEED = SEEDS / "anthropic-cuts-openai-claude-access.txt"
CLI = Path(sys.executable).parent / "newsdigest"
TITLE = "AI Rivalry Heats Up: Anthropic Cuts OpenAI Out of Access to Claude Models Over Terms of Service Violation"


def run(*args: str, data_dir: Path, stdin: bytes | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    assert CLI.exists(), f"the console script is not installed at {CLI}"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "TTY_", "FORCE_COLOR"))}
    full_env.update({"NO_COLOR": "1", "NEWSDIGEST_DATA_DIR": str(data_dir), **(env or {})})
    return subprocess.run([str(CLI), *args], input=stdin if stdin is not None else b"", capture_output=True,
                          timeout=timeout, env=full_env, cwd=data_dir.parent)


def out(result: subprocess.CompletedProcess) -> str:
    """stdout with the terminal's line wrapping undone: words separated by single spaces."""
    return " ".join(result.stdout.decode("utf-8").split())


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert b"Traceback" not in result.stdout and b"Traceback" not in result.stderr, result.stderr.decode()


def one_stderr_line(result: subprocess.CompletedProcess) -> str:
    no_traceback(result)
    lines = [line for line in result.stderr.decode("utf-8").splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A data dir whose store holds the seed article, ingested once for the module."""
    data_dir = tmp_path_factory.mktemp("seeded") / "data"
    result = run("ingest", str(SEEDS), data_dir=data_dir)
    assert result.returncode == 0, result.stderr.decode()
    assert out(result) == "1 stored, 0 updated, 0 unchanged, 0 failed"
    assert result.stderr == b""
    assert (data_dir / "newsdigest.db").is_file()
    return data_dir


# who-said and dispute, one-shot

@pytest.mark.parametrize(("fragment", "said_by"), [
    ("go to choice for coders", "Christopher Nulty, spokesperson, Anthropic"),
    ("industry standard to evaluate", "Hannah Wong, Chief Communications Officer, OpenAI"),
    ("selling claude to openai", "Jared Kaplan, Chief Science Officer, Anthropic"),
])
def test_who_said_names_the_speaker_and_the_article(seeded, fragment, said_by):
    result = run("who-said", fragment, data_dir=seeded)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    text = out(result)
    assert text.startswith(f"Who said “{fragment}”")
    assert f"Said by: {said_by}" in text
    assert TITLE in text


def test_who_said_json(seeded):
    result = run("who-said", "go to choice for coders", "--json", data_dir=seeded)
    assert result.returncode == 0, result.stderr.decode()
    reply = json.loads(result.stdout)
    assert reply["kind"] == "answer"
    assert reply["visibility"] == "private"
    assert reply["title"] == "Who said “go to choice for coders”"
    (section,) = reply["sections"]
    assert section["quote"].startswith("Claude Code has become the go-to choice for coders everywhere")
    fields = {f["name"]: f["value"] for f in section["fields"]}
    assert fields["Said by"] == "Christopher Nulty, spokesperson, Anthropic"
    assert fields["In"].startswith(TITLE)
    assert reply["digest"] is None


def test_who_said_words_given_without_quotes_are_one_fragment(seeded):
    result = run("who-said", "industry", "standard", "to", "evaluate", "--json", data_dir=seeded)
    assert result.returncode == 0
    reply = json.loads(result.stdout)
    assert reply["title"] == "Who said “industry standard to evaluate”"
    assert "Hannah Wong" in reply["summary"]


def test_who_said_without_a_match_exits_1(seeded):
    result = run("who-said", "zebra crossing at midnight", "--json", data_dir=seeded)
    assert result.returncode == 1
    no_traceback(result)
    reply = json.loads(result.stdout)
    assert reply["kind"] == "not_found"
    assert "zebra crossing at midnight" in reply["summary"]


def test_who_said_with_an_empty_fragment_is_a_usage_reply(seeded):
    result = run("who-said", "  ", data_dir=seeded)
    assert result.returncode == 2
    no_traceback(result)
    assert "Give a few words of the quote" in out(result)


def test_dispute(seeded):
    result = run("dispute", data_dir=seeded)
    assert result.returncode == 0, result.stderr.decode()
    text = out(result)
    assert text.startswith("Anthropic vs OpenAI")
    assert "Allegation:" in text and "GPT-5" in text
    assert "It's industry standard to evaluate other AI systems" in text
    assert "Quoted: Hannah Wong, Chief Communications Officer, OpenAI" in text
    # The headline is the title; the renderer does not print it twice.
    assert text.count("Anthropic vs OpenAI: Anthropic cut off OpenAI's API access") == 1


def test_dispute_json_and_by_title_words(seeded):
    result = run("dispute", "rivalry", "heats", "--json", data_dir=seeded)
    assert result.returncode == 0, result.stderr.decode()
    reply = json.loads(result.stdout)
    assert reply["kind"] == "answer"
    assert reply["visibility"] == "channel"
    assert "Anthropic" in reply["title"] and "OpenAI" in reply["title"]
    parties = {s["title"]: s for s in reply["sections"] if s["title"] in {"Anthropic", "OpenAI"}}
    assert set(parties) == {"Anthropic", "OpenAI"}
    assert "disappointing" in parties["OpenAI"]["quote"]


def test_dispute_of_an_unknown_article(seeded):
    result = run("dispute", "no such headline anywhere", data_dir=seeded)
    assert result.returncode == 1
    no_traceback(result)
    assert "No stored article matches “no such headline anywhere”" in out(result)


def test_who_said_never_loads_spacy(seeded):
    """The one-shot /who-said and /dispute answer from the store: no spaCy, no trafilatura. The same
    process then digests a file, which does load spaCy, so the check can tell the difference."""
    script = textwrap.dedent(f"""
        import sys
        from adapters.terminal.cli import main
        assert main(["who-said", "go to choice for coders"]) == 0
        assert main(["dispute"]) == 0
        loaded = [m for m in ("spacy", "trafilatura", "httpx") if m in sys.modules]
        assert not loaded, loaded
        assert main(["digest", {str(SEED)!r}, "--format", "json"]) == 0
        assert "spacy" in sys.modules
        print("checked", file=sys.stderr)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env.update({"NO_COLOR": "1", "NEWSDIGEST_DATA_DIR": str(seeded)})
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr.decode().strip() == "checked"
    assert "Christopher Nulty" in out(result)


# ingest

def _folder_with_bad_files(root: Path) -> Path:
    folder = root / "articles"
    (folder / "2025" / "august").mkdir(parents=True)
    (folder / "2025" / "august" / "seed.txt").write_bytes(SEED.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "notes.csv").write_text("not,an,article\n")  # not an article suffix: not read at all
    return folder


def test_ingest_skips_bad_files_and_is_idempotent(tmp_path):
    folder = _folder_with_bad_files(tmp_path)
    data_dir = tmp_path / "data"

    first = run("ingest", str(folder), data_dir=data_dir)
    assert first.returncode == 0, first.stderr.decode()
    no_traceback(first)
    assert out(first) == "1 stored, 0 updated, 0 unchanged, 2 failed"
    assert sorted(first.stderr.decode().splitlines()) == [
        f"skipped {folder / 'empty.txt'}: it is empty",
        f"skipped {folder / 'photo.md'}: it is a PNG image, not text",
    ]

    second = run("ingest", str(folder), data_dir=data_dir)
    assert second.returncode == 0, second.stderr.decode()
    assert out(second) == "0 stored, 0 updated, 1 unchanged, 2 failed"

    store = Store(f"sqlite:///{data_dir / 'newsdigest.db'}")
    try:
        assert article_store.counts(store)["articles"] == 1
        (article,) = article_store.recent_articles(store, tenant="terminal")  # ingested at the terminal: the operator's
        assert article.title == TITLE
        assert article.source == "seed.txt"
    finally:
        store.close()


def test_ingest_exits_1_when_every_source_fails(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("ingest", str(empty), str(tmp_path / "missing.txt"), data_dir=tmp_path / "data")
    assert result.returncode == 1
    no_traceback(result)
    assert out(result) == "0 stored, 0 updated, 0 unchanged, 2 failed"
    assert result.stderr.decode().splitlines() == [
        f"skipped {empty}: it is empty",
        f"skipped {tmp_path / 'missing.txt'}: no such file",
    ]


def test_ingest_reports_a_folder_without_articles(tmp_path):
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "data.csv").write_text("a,b\n")
    result = run("ingest", str(tmp_path / "nothing"), data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "no article files" in one_stderr_line(result)


def test_ingest_progress_bar_only_on_an_interactive_terminal(tmp_path):
    sources = [str(tmp_path / name) for name in ("a.txt", "b.txt")]  # both missing: fast, no spaCy
    piped = run("ingest", *sources, data_dir=tmp_path / "data")
    assert "ingesting" not in piped.stderr.decode()
    terminal = run("ingest", *sources, data_dir=tmp_path / "data", env={"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"})
    assert terminal.returncode == 1
    stderr = terminal.stderr.decode()
    assert "ingesting" in stderr and "2/2" in stderr
    assert out(terminal) == "0 stored, 0 updated, 0 unchanged, 2 failed"


# chat

def test_chat_through_a_pipe(seeded):
    lines = ["/help", '/who-said "selling claude"', "/bogus", "hello", "", "/who-said [red]zebra[/red]",
             "/digest", "/quit", "/help"]
    result = run("chat", data_dir=seeded, stdin=("\n".join(lines) + "\n").encode())
    assert result.returncode == 0, result.stderr.decode()
    no_traceback(result)
    assert result.stderr == b""
    text = out(result)
    assert "embedded terminal platform, no tokens" in text
    assert f"Store: {seeded / 'newsdigest.db'} (1 article, 7 quotes)" in text
    assert "newsdigest commands" in text and "/who-said \"a few words of a quote\" [--share]" in text
    assert "Said by: Jared Kaplan, Chief Science Officer, Anthropic" in text
    assert "Unknown command /bogus" in text and "There is no /bogus command" in text
    assert "Commands start with /" in text
    # Article and typed text is never taken as rich markup.
    assert "No stored quote matches “[red]zebra[/red]”" in text
    # /digest with no words: the latest stored article, laid out as a digest (its panel and TL;DR).
    assert f"╭─ {TITLE[:40]}" in text and "TL;DR" in text
    # Nothing after /quit is run: the help's title appears once, for the first /help.
    assert text.count("newsdigest commands") == 1
    # The answers come in the order asked.
    assert text.index("newsdigest commands") < text.index("Jared Kaplan") < text.index("Unknown command") < text.index("Commands start with /")


def test_chat_ends_at_end_of_input(tmp_path):
    result = run("chat", data_dir=tmp_path / "data", stdin=b"/dispute\n")
    assert result.returncode == 0, result.stderr.decode()
    no_traceback(result)
    text = out(result)
    assert "(0 articles, 0 quotes)" in text
    assert "No stored article reports a dispute yet" in text


# a store that cannot be used

@pytest.mark.parametrize("command", [["who-said", "x"], ["dispute", "--json"], ["chat"], ["ingest", str(SEED)]],
                         ids=["who-said", "dispute", "chat", "ingest"])
def test_a_corrupt_database_is_one_line_and_left_untouched(tmp_path, command):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "newsdigest.db"
    garbage = bytes((n * 37 + 11) % 256 for n in range(8192))
    db.write_bytes(garbage)
    result = run(*command, data_dir=data_dir, stdin=b"/help\n")
    assert result.returncode == 1
    line = one_stderr_line(result)
    assert line.startswith("newsdigest: ") and "database" in line and str(db) in line, line
    assert result.stdout == b""
    assert db.read_bytes() == garbage


def test_an_unreachable_database_is_one_line(tmp_path):
    url = "postgresql://postgres:s3cret@127.0.0.1:1/nowhere"
    result = run("who-said", "x", data_dir=tmp_path / "data", env={"NEWSDIGEST_DATABASE_URL": url})
    assert result.returncode == 1
    line = one_stderr_line(result)
    assert line.startswith("newsdigest: cannot connect to the database at postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere")
    assert "s3cret" not in line
    assert result.stdout == b""


def test_ingest_for_a_workspace_is_seen_there_and_not_at_the_terminal(tmp_path):
    data_dir = tmp_path / "data"
    result = run("ingest", str(SEED), "--workspace", "slack:T0ING", data_dir=data_dir)
    assert result.returncode == 0, result.stderr.decode()
    # The terminal's own look-up does not see the workspace's article ...
    assert run("who-said", "go to choice for coders", data_dir=data_dir).returncode == 1
    # ... the workspace does.
    store = Store(f"sqlite:///{data_dir / 'newsdigest.db'}")
    try:
        from bot.whosaid import who_said

        assert [m.quote.speaker.name for m in who_said(store, "go to choice for coders", tenant="slack:T0ING").matches
                if m.quote.speaker] == ["Christopher Nulty"]
        assert who_said(store, "go to choice for coders", tenant="slack:T0OTHER").matches == []
    finally:
        store.close()


@pytest.mark.parametrize("workspace", ["slack", "slack:", "teams:T1", "slack:T1:C2"])
def test_ingest_refuses_a_workspace_it_cannot_read(tmp_path, workspace):
    result = run("ingest", str(SEED), "--workspace", workspace, data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert "--workspace" in result.stderr.decode()
    no_traceback(result)
