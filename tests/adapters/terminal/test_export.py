"""`newsdigest export`: one workspace's digests as JSON lines and its subscriptions as OPML, none of
another workspace's, and the OPML read back by the import."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.feeds.opml import parse_opml
from bot.store import Store
from bot.store import articles as article_store
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from digests.models import Digest
from tests.conftest import make_digest
from tests.helpers.cli import assert_one_line_error, run

pytestmark = pytest.mark.slow  # every test here starts a subprocess

OURS = ChannelRef(platform="slack", external_id="T0OURS:C1", name="news", workspace="T0OURS")
THEIRS = ChannelRef(platform="slack", external_id="T0THEIRS:C9", name="news", workspace="T0THEIRS")


def test_export_writes_only_the_workspaces_digests_and_feeds(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'newsdigest.db'}")
    store.migrate()
    try:
        now = datetime(2026, 12, 1, tzinfo=timezone.utc)
        article_store.save_digest(store, make_digest(title="Ours: the harbour reopens", url="https://a.example/1"),
                                  tenant=OURS.tenant)
        article_store.save_digest(store, make_digest(title="Theirs: the bridge closes", url="https://b.example/2"),
                                  tenant=THEIRS.tenant)
        feed_store.subscribe(store, OURS, "https://a.example/feed.xml", interval_seconds=900, now=now,
                             title="A & B \x01 news")
        feed_store.subscribe(store, THEIRS, "https://b.example/feed.xml", interval_seconds=900, now=now)
    finally:
        store.close()
    env = {"NEWSDIGEST_DATA_DIR": str(tmp_path)}
    done = run("export", "--workspace", "slack:T0OURS", "--articles", str(tmp_path / "a.jsonl"),
               "--opml", str(tmp_path / "a.opml"), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [Digest.model_validate_json(line).article.title for line in lines] == ["Ours: the harbour reopens"]
    assert all(json.loads(line)["article"]["url"] == "https://a.example/1" for line in lines)
    feeds = parse_opml((tmp_path / "a.opml").read_bytes())
    assert [(f.url, f.title) for f in feeds] == [("https://a.example/feed.xml", "A & B  news")]

    again = run("export", "--workspace", "slack:T0OURS", "--opml", str(tmp_path / "a.opml"), env=env, cwd=tmp_path)
    assert_one_line_error(again, "already exists")
