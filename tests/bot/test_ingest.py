"""bot.ingest in-process: folder expansion, per-item reports, and a store that cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Newsdigest
from bot.config import Settings
from bot.ingest import IngestItem, expand_sources, ingest
from bot.service import DigestService
from bot.store import StoreError
from bot.store import articles as article_store

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt"


def make_app(data_dir: Path, engine) -> Newsdigest:  # noqa: ANN001 - the session's DigestEngine
    settings = Settings(data_dir=data_dir, database_url=None)
    return Newsdigest(settings, service=DigestService(settings, engine=engine))


def test_expand_sources_recurses_sorted_and_keeps_other_sources(tmp_path):
    folder = tmp_path / "in"
    for name in ("b/z.txt", "b/a.HTML", "a.md", "c.htm", "b/deeper/x.txt", "skip.csv", "skip.pdf", "b/notes"):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (folder / "empty-dir").mkdir()
    assert expand_sources([str(folder), "-", "https://example.com/a", str(folder / "empty-dir"), "missing.txt"]) == [
        str(folder / "a.md"), str(folder / "b" / "a.HTML"), str(folder / "b" / "deeper" / "x.txt"),
        str(folder / "b" / "z.txt"), str(folder / "c.htm"),
        "-", "https://example.com/a", str(folder / "empty-dir"), "missing.txt",
    ]


def test_ingest_reports_each_item_and_stores_the_good_ones(tmp_path, engine):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "1-empty.txt").write_bytes(b"")
    (folder / "2-seed.txt").write_bytes(SEED.read_bytes())
    (folder / "3-short.txt").write_text("Just a headline.\n")
    app = make_app(tmp_path / "data", engine)
    seen: list[IngestItem] = []
    try:
        report = ingest(app, [str(folder)], on_item=seen.append)
        assert seen == report.items
        assert [(i.source, i.status) for i in report.items] == [
            (str(folder / "1-empty.txt"), "failed"), (str(folder / "2-seed.txt"), "created"),
            (str(folder / "3-short.txt"), "failed")]
        empty, seed, short = report.items
        assert empty.error == f"cannot read {folder / '1-empty.txt'}: it is empty"
        assert short.error is not None and short.error.startswith(f"cannot digest {folder / '3-short.txt'}: ")
        assert "\n" not in short.error
        assert seed.error is None and seed.title and seed.title.startswith("AI Rivalry Heats Up")
        assert article_store.get_digest(app.store, seed.article_id).article.title == seed.title
        assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "failed": 2}
        assert report.ok
        assert report.model_dump()["counts"] == report.counts

        again = ingest(app, [str(folder / "2-seed.txt")])
        assert [(i.status, i.article_id) for i in again.items] == [("unchanged", seed.article_id)]
        assert article_store.counts(app.store)["articles"] == 1
    finally:
        app.close()


def test_all_failed_is_not_ok(tmp_path, engine):
    app = make_app(tmp_path / "data", engine)
    try:
        report = ingest(app, [str(tmp_path / "missing.txt")])
    finally:
        app.close()
    assert not report.ok
    assert report.counts["failed"] == 1


def test_a_corrupt_store_stops_the_run_before_any_digesting(tmp_path, engine):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "newsdigest.db").write_bytes(b"not a database at all " * 200)
    app = make_app(data_dir, engine)
    seen: list[IngestItem] = []
    try:
        with pytest.raises(StoreError, match="damaged"):
            ingest(app, [str(SEED)], on_item=seen.append)
    finally:
        app.close()
    assert seen == []
