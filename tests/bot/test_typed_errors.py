"""Errors carry what code acts on as fields (source, reason, kind), so that no caller takes a
message apart again: the poller keeps a feed's reason, the command line names a skipped source once,
feed discovery tells a web page from a broken feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import FetchError, SourceError
from bot.feeds.discover import NoFeedFound, resolve_feed
from bot.feeds.parse import FeedError, parse_feed
from bot.sources import read_source


@pytest.fixture
def private_ok(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, allow_private_urls=True, fetch_timeout=5)


def test_a_file_that_cannot_be_read_names_it_once(tmp_path: Path, private_ok: Settings) -> None:
    missing = str(tmp_path / "gone.txt")
    with pytest.raises(SourceError) as caught:
        read_source(missing, private_ok)
    exc = caught.value
    assert (exc.source, exc.action, exc.reason, exc.kind) == (missing, "read", "no such file", "unreadable")
    assert str(exc) == f"cannot read {missing}: no such file"


def test_an_http_error_is_a_fetch_error_with_its_status(local_http, private_ok: Settings) -> None:
    missing = local_http.url("/nothing-here")
    with pytest.raises(FetchError) as caught:
        read_source(missing, private_ok)
    exc = caught.value
    assert (exc.source, exc.action, exc.reason, exc.kind, exc.status) == (missing, "fetch", "HTTP 404 Not Found", "http_status", 404)
    assert str(exc) == f"could not fetch {missing}: HTTP 404 Not Found"


def test_an_empty_page_is_said_of_the_url_it_came_from(local_http, private_ok: Settings) -> None:
    blank = local_http.route("/blank", "   ", content_type="text/plain")
    with pytest.raises(SourceError) as caught:
        read_source(blank, private_ok)
    assert (caught.value.source, caught.value.reason) == (blank, "the page is empty")
    assert str(caught.value) == f"could not fetch {blank}: the page is empty"


def test_a_private_address_keeps_its_reason_for_the_operator(tmp_path: Path, local_http) -> None:
    url = local_http.url("/story")
    with pytest.raises(SourceError) as caught:
        read_source(url, Settings(_env_file=None, data_dir=tmp_path))
    exc = caught.value
    assert exc.kind == "unfetchable" and exc.source == url
    assert exc.reason != exc.private_reason and exc.detail == f"could not fetch {url}: {exc.private_reason}"


def test_an_html_page_where_a_feed_was_asked_for_says_so_in_its_kind(local_http, private_ok: Settings) -> None:
    page = b"<!doctype html><html><head><title>News</title></head><body><p>Hello</p></body></html>"
    with pytest.raises(FeedError) as caught:
        parse_feed(page, url="https://news.example/", content_type="text/html")
    assert caught.value.kind == "html_page"
    with pytest.raises(FeedError) as caught:
        parse_feed(b"", url="https://news.example/feed", content_type="application/rss+xml")
    assert caught.value.kind == "not_a_feed"
    # A page that links to no feed: discovery looked at it as a page, and says that, not the parser's words.
    bare = local_http.route("/bare", page, content_type="text/html")
    with pytest.raises(NoFeedFound) as found:
        resolve_feed(bare, private_ok)
    assert found.value.kind == "no_feed"
    assert str(found.value) == f"no feed found at {bare}: the page links to no RSS or Atom feed"


def test_ingest_says_why_a_source_was_skipped_without_naming_it_twice(tmp_path: Path, engine) -> None:  # noqa: ANN001
    from bot.app import Newsdigest
    from bot.ingest import ingest_one
    from bot.service import DigestService

    settings = Settings(_env_file=None, data_dir=tmp_path)
    app = Newsdigest(settings, service=DigestService(settings, engine=engine))
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    folder = tmp_path / "nothing"
    folder.mkdir()
    try:
        item = ingest_one(app, str(empty))
        assert item.status == "failed" and item.error.startswith(f"cannot read {empty}: ")
        assert item.reason == item.error[len(f"cannot read {empty}: "):]
        item = ingest_one(app, str(folder))
        assert item.reason is not None and item.reason.startswith("the folder has no article files")
    finally:
        app.close()
