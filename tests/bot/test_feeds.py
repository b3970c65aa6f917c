"""Feeds: parsing RSS and Atom, finding a site's feed, subscribing through /newsdigest, OPML import,
the spread of poll times, and the `newsdigest feeds` command line.

Feeds and pages are written by the tests (tests/fakes/feedkit.py) and served by the real local HTTP server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.app import Newsdigest
from bot.commands import handle_text
from bot.config import Settings
from bot.errors import SourceError
from bot.feeds.discover import NoFeedFound, alternate_feed_links, resolve_feed
from bot.feeds.opml import parse_opml
from bot.feeds.parse import FeedError, parse_feed
from bot.feeds.subscriptions import import_opml
from bot.feeds.timing import backoff, next_slot, parse_retry_after, spread_offset
from bot.store import Store
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from bot.store.db import alembic_config
from tests.fakes.feedkit import article_html, atom, http_date, rss, story

SLACK = ChannelRef(platform="slack", external_id="C1", name="news")
DISCORD = ChannelRef(platform="discord", external_id="42", name="general")
FEED_XML = "application/rss+xml; charset=utf-8"
CLI = Path(sys.executable).parent / "newsdigest"


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"allow_private_urls": True, "data_dir": tmp_path, "fetch_timeout": 5.0}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def app(store, tmp_path) -> Newsdigest:
    return Newsdigest(settings_for(tmp_path), store=store)


def text_of(reply) -> str:  # noqa: ANN001 - a Reply
    return reply.summary + "\n" + "\n".join(s.text or "" for s in reply.sections)


# Parsing

def test_rss_entries_get_stable_keys_canonical_links_and_dates():
    feed_url = "http://gazette.example/news/feed.xml"
    document = rss([
        {"title": "With a guid", "link": "http://Gazette.example/a/1?utm_source=rss&id=7#comments", "guid": "story-1",
         "date": datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)},
        {"title": "Only a link", "link": "/a/2?fbclid=xyz"},
        {"title": "Neither guid nor link", "date": datetime(2025, 3, 15, tzinfo=timezone.utc)},
        {"title": "With a guid", "link": "http://gazette.example/a/1", "guid": "story-1"},  # the same entry again
    ]).encode("utf-8")
    parsed = parse_feed(document, url=feed_url, content_type=FEED_XML)
    assert parsed.version == "rss20" and parsed.title == "Test Gazette news"
    first, second, third = parsed.items
    assert first.key == "id:story-1"
    assert first.link == "http://gazette.example/a/1?id=7"  # tracking parameter and fragment dropped
    assert first.url == "http://Gazette.example/a/1?utm_source=rss&id=7#comments"  # what is fetched: as given
    assert first.published == "2025-03-14"
    assert second.key == "link:http://gazette.example/a/2" and second.url == "http://gazette.example/a/2?fbclid=xyz"
    assert third.key.startswith("hash:") and third.link is None and third.published == "2025-03-15"
    again = parse_feed(document, url=feed_url, content_type=FEED_XML)
    assert [i.key for i in again.items] == [i.key for i in parsed.items]  # stable across reads


def test_atom_entries_and_their_full_content():
    content = "<p>" + "word " * 200 + "</p>"
    document = atom([
        {"id": "tag:gazette.example,2025:1", "title": "First", "link": "/a/1", "content": content},
        {"id": "tag:gazette.example,2025:2", "title": "Second", "link": "http://gazette.example/a/2"},
    ]).encode("utf-8")
    parsed = parse_feed(document, url="http://gazette.example/atom.xml", content_type="application/atom+xml")
    assert parsed.version == "atom10"
    assert [i.key for i in parsed.items] == ["id:tag:gazette.example,2025:1", "id:tag:gazette.example,2025:2"]
    assert parsed.items[0].link == "http://gazette.example/a/1"
    assert "word word" in parsed.items[0].content_html and parsed.items[1].content_html is None


@pytest.mark.parametrize(("body", "content_type", "says"), [
    ("<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hello</p></body></html>", FEED_XML,
     "it is an HTML page, not an RSS or Atom feed"),
    ("<html><body><div>no doctype</div></body></html>", "text/html", "it is an HTML page"),
    ("<?xml version='1.0'?><rss version='2.0'><chan<<<>>>", FEED_XML, "it is a malformed feed (line 1: not well-formed"),
    ("this is not a feed at all", "text/plain", "it is not an RSS or Atom feed"),
    ("", FEED_XML, "it is empty"),
])
def test_documents_that_are_not_feeds_say_what_they_are(body, content_type, says):
    with pytest.raises(FeedError) as caught:
        parse_feed(body.encode("utf-8"), url="http://gazette.example/feed", content_type=content_type)
    assert says in str(caught.value)


def test_alternate_links_are_found_and_resolved():
    page = """<html><head>
    <link rel="stylesheet" type="text/css" href="/style.css">
    <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
    <link rel="Alternate home" type="application/atom+xml; charset=utf-8" href="atom.xml">
    <link rel="alternate" type="application/rss+xml" href="https://other.example/rss">
    <link rel="alternate" type="application/rss+xml" href="atom.xml">
    </head><body></body></html>"""
    assert alternate_feed_links(page, "http://gazette.example/news/index.html") == [
        "http://gazette.example/news/atom.xml", "https://other.example/rss"]
    based = '<html><head><base href="http://cdn.example/site/"><link rel="alternate" type="application/rss+xml" href="feed"></head></html>'
    assert alternate_feed_links(based, "http://gazette.example/") == ["http://cdn.example/site/feed"]
    assert alternate_feed_links("<html><head></head></html>", "http://gazette.example/") == []


# Discovery and subscribing

def test_resolve_a_feed_and_a_page_that_links_to_one(local_http, tmp_path):
    settings = settings_for(tmp_path)
    feed = local_http.route("/blog/feed.xml", rss([{"title": "One", "link": "http://gazette.example/1", "guid": "1"}]),
                            content_type=FEED_XML)
    page = local_http.route("/blog/", '<html><head><title>Blog</title>'
                            '<link rel="alternate" type="application/rss+xml" href="feed.xml"></head><body><p>Hi</p></body></html>',
                            content_type="text/html")
    direct = resolve_feed(feed, settings)
    assert (direct.url, direct.page, direct.entries, direct.title) == (feed, None, 1, "Test Gazette news")
    found = resolve_feed(page, settings)
    assert (found.url, found.page) == (feed, page)
    assert local_http.requests[-1].path == "/blog/feed.xml"  # the discovered feed was fetched and checked


def test_discovered_feed_that_is_broken_is_reported(local_http, tmp_path):
    page = local_http.route("/", '<html><head><link rel="alternate" type="application/rss+xml" href="/missing.xml">'
                            "</head><body></body></html>", content_type="text/html")
    with pytest.raises(SourceError) as caught:
        resolve_feed(page, settings_for(tmp_path))
    assert not isinstance(caught.value, NoFeedFound)
    assert str(caught.value) == (f"the page {page} names the feed {local_http.url('/missing.xml')}, "
                                 f"but could not fetch {local_http.url('/missing.xml')}: HTTP 404 Not Found")


def test_subscribe_to_a_feed_creates_the_feed_due_now(app, local_http, store):
    url = local_http.route("/feed.xml", rss([{"title": "One", "link": "http://gazette.example/1"}]), content_type=FEED_XML)
    before = datetime.now(timezone.utc)
    reply = handle_text(app, f"/newsdigest subscribe <{url}>", SLACK)
    assert reply.kind == "answer", text_of(reply)
    assert reply.summary == f"Subscribed this channel to “Test Gazette news” ({url}). New articles will be in its digests."
    assert [u for u, _ in feed_store.channel_feeds(store, SLACK)] == [url]
    feed = feed_store.feed_by_url(store, url)
    assert feed is not None and feed.title == "Test Gazette news" and feed.interval_seconds == 900
    assert before <= feed.next_poll_at <= datetime.now(timezone.utc)
    assert feed.last_polled_at is None and not feed.paused
    # A second channel shares the same feed row; subscribing again says so.
    assert handle_text(app, f"/newsdigest subscribe {url}", DISCORD).kind == "answer"
    assert "already subscribed" in handle_text(app, f"/newsdigest subscribe {url}", SLACK).summary
    assert [f.url for f in feed_store.all_feeds(store)] == [url]
    assert feed_store.subscribers(store, url) == [SLACK, DISCORD]


def test_subscribe_to_a_site_subscribes_to_the_feed_it_names(app, local_http, store):
    feed = local_http.route("/feeds/all.atom", atom([{"id": "urn:1", "title": "One", "link": "http://gazette.example/1"}]),
                            content_type="application/atom+xml")
    site = local_http.route("/", '<!DOCTYPE html><html><head><title>Gazette</title>'
                            '<link rel="alternate" type="application/atom+xml" title="All" href="feeds/all.atom">'
                            "</head><body><p>Welcome</p></body></html>", content_type="text/html; charset=utf-8")
    reply = handle_text(app, f"/newsdigest subscribe {site}", SLACK)
    assert reply.kind == "answer", text_of(reply)
    assert reply.summary.startswith(f"Found the feed “Test Gazette (Atom)” ({feed}) on {site}. Subscribed this channel to it.")
    assert [u for u, _ in feed_store.channel_feeds(store, SLACK)] == [feed]
    assert feed_store.feed_by_url(store, site) is None and feed_store.feed_by_url(store, feed) is not None


def test_subscribe_to_a_page_without_a_feed_is_refused(app, local_http, store):
    page = local_http.route("/about", "<html><head><title>About</title></head><body><p>About us</p></body></html>",
                            content_type="text/html")
    reply = handle_text(app, f"/newsdigest subscribe {page}", SLACK)
    assert reply.kind == "usage" and reply.visibility == "private"
    assert reply.summary.startswith(f"No feed found at {page}: the page links to no RSS or Atom feed.")
    text = local_http.route("/notes.txt", "just some words", content_type="text/plain")
    reply = handle_text(app, f"/newsdigest subscribe {text}", SLACK)
    assert reply.kind == "usage" and reply.summary.startswith(f"No feed found at {text}: it is not an RSS or Atom feed")
    assert [u for u, _ in feed_store.channel_feeds(store, SLACK)] == [] and feed_store.all_feeds(store) == []


def test_subscribe_fetch_errors_are_one_line(local_http, store, tmp_path):
    app = Newsdigest(settings_for(tmp_path), store=store)
    missing = local_http.url("/nothing")
    reply = handle_text(app, f"/newsdigest subscribe {missing}", SLACK)
    assert (reply.kind, reply.summary) == ("error", f"could not fetch {missing}: HTTP 404 Not Found")
    image = local_http.route("/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png")
    reply = handle_text(app, f"/newsdigest subscribe {image}", SLACK)
    assert reply.summary == f"could not fetch {image}: it is image/png, not an RSS or Atom feed or a web page"
    strict = Newsdigest(settings_for(tmp_path, allow_private_urls=False), store=store)
    feed = local_http.route("/feed.xml", rss([]), content_type=FEED_XML)
    reply = handle_text(strict, f"/newsdigest subscribe {feed}", SLACK)
    # A chat member is not told what the bot refused or which setting would allow it (issue 10).
    assert (reply.kind, reply.summary) == ("error", f"could not fetch {feed}: that address can't be fetched")
    assert "\n" not in reply.summary
    assert [u for u, _ in feed_store.channel_feeds(store, SLACK)] == []


def test_unsubscribing_the_last_channel_removes_the_feed(app, local_http, store):
    url = local_http.route("/feed.xml", rss([]), content_type=FEED_XML)
    handle_text(app, f"/newsdigest subscribe {url}", SLACK)
    handle_text(app, f"/newsdigest subscribe {url}", DISCORD)
    feed = feed_store.feed_by_url(store, url)
    feed_store.add_entries(store, feed.id, [feed_store.NewEntry(key="id:1")], backlog=True, now=datetime.now(timezone.utc))
    reply = handle_text(app, f"/newsdigest unsubscribe {url}/", SLACK)  # the same address, a trailing slash more
    assert reply.kind == "answer" and reply.summary == f"Unsubscribed this channel from {url}."
    assert feed_store.feed_by_url(store, url) is not None  # Discord still reads it
    assert handle_text(app, f"/newsdigest unsubscribe {url}", DISCORD).kind == "answer"
    assert feed_store.feed_by_url(store, url) is None and feed_store.entries(store, feed.id) == []
    assert handle_text(app, f"/newsdigest unsubscribe {url}", DISCORD).kind == "not_found"


def test_a_channel_subscribing_while_the_last_one_leaves_keeps_the_feed(store):
    # The poller polls feeds, and finds a subscription's feed only if it has a row: a subscribe racing
    # the unsubscribe of the feed's last channel must leave the feed there. Each side its own Store
    # (engine and connections), like two processes; several rounds, a new feed each.
    leaving, joining = Store(store.url), Store(store.url)
    now = datetime.now(timezone.utc)
    try:
        for n in range(12):
            url = f"https://race.example/{n}.xml"
            feed_store.subscribe(store, DISCORD, url, interval_seconds=900, now=now)
            barrier = threading.Barrier(2)
            results: dict[str, object] = {}

            # Bound now (the threads are joined before the next round): one round's objects each.
            def leave(barrier: threading.Barrier = barrier, results: dict[str, object] = results, url: str = url) -> None:
                barrier.wait()
                results["left"] = feed_store.unsubscribe(leaving, DISCORD, url)

            def join(barrier: threading.Barrier = barrier, results: dict[str, object] = results, url: str = url) -> None:
                barrier.wait()
                results["joined"] = feed_store.subscribe(joining, SLACK, url, interval_seconds=900, now=now)[0]

            threads = [threading.Thread(target=leave), threading.Thread(target=join)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert results == {"left": True, "joined": True}, n
            assert [u for u, _ in feed_store.channel_feeds(store, SLACK)][-1] == url
            feed = feed_store.feed_by_url(store, url)
            assert feed is not None and feed.id in {f.id for f in feed_store.due_feeds(store, now)}, n
    finally:
        leaving.close()
        joining.close()


def test_subscriptions_made_before_feeds_had_rows_get_their_feed_from_the_migration(empty_database_url):
    store = Store(empty_database_url)
    try:
        with store.engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "0007")
            channel_id = connection.execute(text(
                "INSERT INTO channels (platform, external_id, max_items, tenant) VALUES ('slack', 'C1', 8, 'slack:T1') "
                "RETURNING id")).scalar()
            for url in ("https://old.example/a.xml", "https://old.example/b.xml"):
                connection.execute(text("INSERT INTO subscriptions (channel_id, feed_url) VALUES (:c, :u)"),
                                   {"c": channel_id, "u": url})
            # A subscription that has its feed already (not due): the migration leaves it as it is.
            connection.execute(text("INSERT INTO subscriptions (channel_id, feed_url) VALUES (:c, :u)"),
                               {"c": channel_id, "u": "https://old.example/c.xml"})
            connection.execute(text("INSERT INTO feeds (url, interval_seconds, next_poll_at, failures, paused) "
                                    "VALUES (:u, 600, :due, 0, false)"),
                               {"u": "https://old.example/c.xml", "due": datetime.now(timezone.utc) + timedelta(days=1)})
        store.migrate()  # 0007 → head
        due = feed_store.due_feeds(store, datetime.now(timezone.utc))
        assert sorted(f.url for f in due) == ["https://old.example/a.xml", "https://old.example/b.xml"]
        assert {f.interval_seconds for f in due} == {900} and not any(f.paused for f in due)
        assert feed_store.feed_by_url(store, "https://old.example/c.xml").interval_seconds == 600
    finally:
        store.close()


def test_feeds_listing_shows_paused_feeds_and_how_to_resume(app, local_http, store):
    url = local_http.route("/feed.xml", rss([]), content_type=FEED_XML)
    handle_text(app, f"/newsdigest subscribe {url}", SLACK)
    feed = feed_store.feed_by_url(store, url)
    now = datetime.now(timezone.utc)
    for _ in range(2):
        feed_store.record_failure(store, feed.id, error="HTTP 500 Internal Server Error", next_poll_at=now, pause_after=2)
    listing = handle_text(app, "/newsdigest feeds", SLACK)
    assert "(1 paused)" in listing.summary
    assert (f"• Test Gazette news — {url} — paused after 2 failures (HTTP 500 Internal Server Error): "
            f"/newsdigest resume {url}") in listing.sections[0].text
    reply = handle_text(app, f"/newsdigest resume {url}", SLACK)
    assert reply.kind == "answer" and reply.summary.startswith(f"Resumed {url}")
    resumed = feed_store.feed_by_url(store, url)
    assert (resumed.paused, resumed.failures, resumed.last_error) == (False, 0, None)
    assert "not paused" in handle_text(app, f"/newsdigest resume {url}", SLACK).summary
    assert handle_text(app, f"/newsdigest resume {url}", DISCORD).kind == "not_found"
    assert handle_text(app, "/newsdigest resume", SLACK).kind == "usage"
    assert "/newsdigest resume <feed URL>" in text_of(handle_text(app, "/newsdigest help", SLACK))


# Poll times: each feed its own slot

@pytest.mark.slow
def test_spread_offsets_differ_between_feeds_and_are_stable():
    a, b = "https://a.example/feed.xml", "https://b.example/rss"
    assert spread_offset(a, 900) != spread_offset(b, 900)
    assert spread_offset(a, 900) == spread_offset(a, 900) and 0 <= spread_offset(a, 900) < 900
    # In a fresh interpreter (Python's own hash() would differ there): the same offsets.
    code = "from bot.feeds.timing import spread_offset as s; print(s('https://a.example/feed.xml', 900), s('https://b.example/rss', 900))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "random"})
    assert other.stdout.split() == [str(spread_offset(a, 900)), str(spread_offset(b, 900))]
    # Many feeds with one interval land all over it.
    offsets = {spread_offset(f"https://site{n}.example/feed", 900) // 90 for n in range(200)}
    assert offsets == set(range(10))


def test_next_slot_is_the_feeds_own_slot_within_one_interval():
    url, interval = "https://a.example/feed.xml", 900
    now = datetime(2026, 3, 1, 12, 0, 7, tzinfo=timezone.utc)
    slot = next_slot(url, interval, now)
    assert now < slot <= now + timedelta(seconds=interval)
    assert (slot.timestamp() - spread_offset(url, interval)) % interval == 0
    assert next_slot(url, interval, slot) == slot + timedelta(seconds=interval)  # strictly after
    other = next_slot("https://b.example/rss", interval, now)
    assert other != slot


def test_backoff_doubles_and_is_capped():
    assert backoff(900, 1) == timedelta(seconds=1800)
    assert backoff(900, 2) == timedelta(seconds=3600)
    assert backoff(900, 4) == timedelta(hours=4)
    assert backoff(900, 5) == timedelta(hours=6) == backoff(900, 60)


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == now + timedelta(seconds=120)
    assert parse_retry_after(http_date(now + timedelta(hours=3)), now) == now + timedelta(hours=3)
    assert parse_retry_after(http_date(now - timedelta(hours=3)), now) == now  # a date past: now
    assert parse_retry_after("99999999", now) == now + timedelta(days=7)  # capped
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


# OPML

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="News">
    <outline text="Gazette" title="The Gazette" type="rss" xmlUrl="{a}" htmlUrl="http://gazette.example/"/>
    <outline text="Tech" xmlUrl="{b}"/>
  </outline>
  <outline text="Just a folder"/>
  <outline text="Gazette again" xmlUrl="{a}"/>
  <outline text="Local file" xmlUrl="file:///etc/passwd"/>
</body></opml>"""


def test_opml_import_subscribes_every_outline_with_an_xml_url(app, store, tmp_path):
    a, b = "https://gazette.example/feed.xml", "https://tech.example/atom"
    path = tmp_path / "feeds.opml"
    path.write_text(OPML.format(a=a, b=b), encoding="utf-8")
    assert [(f.url, f.title) for f in parse_opml(path.read_bytes())] == [(a, "The Gazette"), (b, "Tech"),
                                                                         ("file:///etc/passwd", "Local file")]
    report = import_opml(app, SLACK, path, datetime.now(timezone.utc))
    assert report.subscribed == [a, b] and report.already == []
    assert report.skipped == [("file:///etc/passwd", "not an http(s) address")]
    assert [u for u, _ in feed_store.channel_feeds(store, SLACK)] == [a, b]
    assert feed_store.feed_by_url(store, a).title == "The Gazette"
    assert import_opml(app, SLACK, path, datetime.now(timezone.utc)).already == [a, b]


def test_opml_that_is_not_opml_is_refused(tmp_path):
    with pytest.raises(SourceError, match="it is not valid OPML"):
        parse_opml(b"<opml><body><outline", "x.opml")
    with pytest.raises(SourceError, match="it is not an OPML file"):
        parse_opml(rss([]).encode("utf-8"), "x.opml")
    # Entity declarations ("billion laughs", external files) are refused before parsing.
    laughs = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              b'<opml><body><outline title="&b;" xmlUrl="https://a.example/f"/></body></opml>')
    with pytest.raises(SourceError, match="it declares XML entities"):
        parse_opml(laughs, "x.opml")
    external = (b'<?xml version="1.0"?><!DOCTYPE opml [<!entity x SYSTEM "file:///etc/hostname">]>'
                b'<opml><head><title>&x;</title></head><body><outline xmlUrl="https://a.example/f"/></body></opml>')
    with pytest.raises(SourceError, match="it declares XML entities"):
        parse_opml(external, "x.opml")


# The command line

def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    env.update({"NO_COLOR": "1", "NEWSDIGEST_DATA_DIR": str(data_dir), "NEWSDIGEST_ALLOW_PRIVATE_URLS": "1",
                "NEWSDIGEST_FEED_INTERVAL": "86400",  # the slot after a poll is a day away: never due twice in a test
                "COLUMNS": "300"})
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=120, env=env, cwd=data_dir.parent)


@pytest.mark.slow
def test_feeds_command_line(local_http, tmp_path):
    data = tmp_path / "data"
    (n0, t0, p0), (n1, t1, p1) = [(n, *story(n)) for n in (0, 1)]
    links = [local_http.route(f"/story/{n}", article_html(t, p), content_type="text/html") for n, t, p in ((n0, t0, p0), (n1, t1, p1))]
    feed = local_http.route("/feed.xml", rss([{"title": t0, "link": links[0], "guid": "s0"}]), content_type=FEED_XML)
    opml = tmp_path / "list.opml"
    opml.write_text(OPML.format(a="https://gazette.example/feed.xml", b="https://tech.example/atom"), encoding="utf-8")

    added = run_cli("feeds", "add", feed, data_dir=data)
    assert added.returncode == 0, added.stderr
    assert f"Subscribed this channel to “Test Gazette news” ({feed})" in " ".join(added.stdout.split())
    # A new Slack channel is named as the store keeps it, with its team; afterwards its bare id will do.
    refused = run_cli("feeds", "import", str(opml), "--channel", "slack:C9", data_dir=data)
    assert refused.returncode == 1 and "slack:<team id>:<channel id>" in refused.stderr
    imported = run_cli("feeds", "import", str(opml), "--channel", "slack:T9:C9", data_dir=data)
    assert (imported.returncode, imported.stdout.strip()) == (0, "2 subscribed, 0 already subscribed, 1 skipped")
    assert imported.stderr.strip() == "skipped file:///etc/passwd: not an http(s) address"

    first = run_cli("feeds", "poll", data_dir=data)
    lines = first.stdout.strip().splitlines()
    assert f"{feed}: first poll: 1 entry already in the feed kept as backlog (not posted)" in lines
    assert any(line.startswith("https://gazette.example/feed.xml: failed: ") for line in lines)
    assert "no feeds due now" in run_cli("feeds", "poll", data_dir=data).stdout

    local_http.route("/feed.xml", rss([{"title": t1, "link": links[1], "guid": "s1"},
                                       {"title": t0, "link": links[0], "guid": "s0"}]), content_type=FEED_XML)
    second = run_cli("feeds", "poll", "--all", data_dir=data)
    assert f"{feed}: 1 new entry (1 digested)" in second.stdout.splitlines(), second.stdout + second.stderr

    listed = run_cli("feeds", "list", data_dir=data)
    assert listed.returncode == 0 and listed.stdout.startswith(f"{feed}  Test Gazette news  [ok, polled ")
    slack = run_cli("feeds", "list", "--channel", "slack:C9", data_dir=data).stdout
    assert "https://gazette.example/feed.xml" in slack and "failing (2 in a row)" in slack
    removed = run_cli("feeds", "remove", feed, data_dir=data)
    assert removed.returncode == 0 and f"Unsubscribed this channel from {feed}." in removed.stdout
    assert run_cli("feeds", "list", data_dir=data).stdout.startswith("no feeds for terminal:local")
    bad = run_cli("feeds", "add", feed, "--channel", "nochannel", data_dir=data)
    assert bad.returncode == 2 and "invalid PLATFORM:ID value: 'nochannel'" in bad.stderr
