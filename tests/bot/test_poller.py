"""Polling feeds: backlog on the first poll, new entries fetched, digested and stored, conditional
GET, timeouts, size caps and gzip bombs, Retry-After, backoff, pausing with notices, the same story
from two feeds, and each feed's own slot.

Time is what the tests pass as `now`; nothing waits for minutes. Feeds and article pages are written
here (tests/fakes/feedkit.py) and served by the real local HTTP server; digests come from the real engine
(the session's `engine`, loaded once).
"""

from __future__ import annotations

import gzip
import time
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from bot.app import Newsdigest
from bot.commands import handle_text
from bot.feeds.poller import due_feeds, poll_due, poll_feed
from bot.feeds.timing import next_slot
from bot.store import Store
from bot.store import articles as article_store
from bot.store import feeds as feed_store
from tests.fakes.feedkit import atom, http_date, rss, story
from tests.helpers.polling import DISCORD, FEED_XML, NOW, SLACK, make_app, poll_with_peak, serve_story, subscribe


@pytest.fixture
def app(store, engine, tmp_path) -> Newsdigest:
    return make_app(store, engine, tmp_path)


@pytest.fixture
def sqlite_store(tmp_path):
    """SQLite only, for the tests whose subject is fetching rather than the database."""
    store = Store(f"sqlite:///{tmp_path / 'feeds.db'}")
    store.migrate()
    try:
        yield store
    finally:
        store.close()


def check_verbatim(app: Newsdigest, article_id: str) -> None:
    digest = article_store.get_digest(app.store, article_id)
    assert digest is not None
    for quote in digest.quotes:
        assert digest.article.text[quote.start:quote.end] == quote.text


def story_requests(local_http) -> list[str]:  # noqa: ANN001
    return [p for p in local_http.paths() if p.startswith("/story/")]


# The first poll, and new entries after it

def test_first_poll_is_backlog_and_a_later_entry_is_digested_and_stored(app, local_http, store):
    stories = [serve_story(local_http, n) for n in range(3)]
    items = [{"title": t, "link": f"{u}?utm_source=rss&utm_medium=feed", "guid": f"urn:story:{n}",
              "date": datetime(2026, 3, 1, 7, n, tzinfo=timezone.utc)} for n, (t, u) in enumerate(stories)]
    url = local_http.route("/feed.xml", rss(items[:2][::-1]), content_type=FEED_XML)
    feed = subscribe(app, url)

    [first] = poll_due(app, NOW)
    assert (first.status, first.first_poll, first.backlog, first.new_entries) == ("ok", True, 2, 0)
    assert first.summary() == "first poll: 2 entries already in the feed kept as backlog (not posted)"
    assert article_store.counts(store)["articles"] == 0 and story_requests(local_http) == []  # backlog is never fetched
    backlog = feed_store.entries(store, feed.id)
    assert [(e.entry_key, e.backlog, e.first_seen_at, e.article_id) for e in backlog] == [
        ("id:urn:story:1", True, NOW, None), ("id:urn:story:0", True, NOW, None)]
    assert backlog[0].link == stories[1][1]  # canonical: the tracking parameters are gone
    assert first.next_poll_at == next_slot(url, 900, NOW) == feed_store.get_feed(store, feed.id).next_poll_at

    later = NOW + timedelta(hours=1)
    local_http.route("/feed.xml", rss(items[::-1]), content_type=FEED_XML)
    [second] = poll_due(app, later)
    assert (second.status, second.first_poll, second.new_entries, second.digested) == ("ok", False, 1, 1)
    assert second.summary() == "1 new entry (1 digested)"
    assert story_requests(local_http) == ["/story/2?utm_source=rss&utm_medium=feed"]
    entry = feed_store.entries(store, feed.id)[-1]
    assert (entry.entry_key, entry.backlog, entry.first_seen_at, entry.error) == ("id:urn:story:2", False, later, None)
    assert second.article_ids == [entry.article_id] and entry.article_id is not None
    digest = article_store.get_digest(store, entry.article_id)
    assert digest.article.title == stories[2][0]
    assert digest.article.url == stories[2][1]  # canonical URL
    assert digest.article.source == "127.0.0.1"
    assert digest.article.published == "2026-03-01"  # the entry's date, not the page's
    assert any(q.speaker is not None and q.speaker.name in {"Aisha Khan", "Peter Novak", "Grace Obi", "Maria Lopez", "Tom Becker"}
               for q in digest.quotes)
    check_verbatim(app, entry.article_id)
    # Nothing new: a poll stores nothing more.
    [third] = poll_due(app, second.next_poll_at)
    assert (third.status, third.new_entries, third.summary()) == ("ok", 0, "no new entries")
    assert len(feed_store.entries(store, feed.id)) == 3 and article_store.counts(store)["articles"] == 1


def test_full_content_in_the_feed_is_digested_without_fetching_the_page(sqlite_store, engine, local_http, tmp_path):
    app = make_app(sqlite_store, engine, tmp_path)
    title, paragraphs = story(7, words=300)
    content = "".join(f"<p>{p}</p>" for p in paragraphs)
    short_title, short_url = serve_story(local_http, 8)
    entries = [{"id": "urn:7", "title": title, "link": local_http.url("/story/7-not-served"), "content": content},
               {"id": "urn:8", "title": short_title, "link": short_url, "content": "<p>Only a teaser.</p>"}]
    url = local_http.route("/atom.xml", atom([]), content_type="application/atom+xml")
    feed = subscribe(app, url)
    poll_due(app, NOW)
    local_http.route("/atom.xml", atom(entries), content_type="application/atom+xml")
    [outcome] = poll_due(app, NOW + timedelta(hours=1))
    assert (outcome.new_entries, outcome.digested, outcome.entry_errors) == (2, 2, 0)
    assert story_requests(local_http) == ["/story/8"]  # the teaser's page was fetched, the full one's not
    articles = {e.entry_key: e.article_id for e in feed_store.entries(sqlite_store, feed.id)}
    full = article_store.get_digest(sqlite_store, articles["id:urn:7"])
    assert full.article.title == title and "report number 7" in full.article.text
    assert full.article.url == local_http.url("/story/7-not-served")
    assert "report number 8" in article_store.get_digest(sqlite_store, articles["id:urn:8"]).article.text
    check_verbatim(app, articles["id:urn:7"])


# Conditional GET

def test_etag_and_last_modified_make_the_next_poll_conditional(app, local_http, store):
    modified = http_date(NOW - timedelta(days=1))
    url = local_http.route("/feed.xml", rss([{"title": "Old", "link": "http://gazette.example/old", "guid": "old"}]),
                           content_type=FEED_XML, headers={"ETag": '"v1"', "Last-Modified": modified})
    feed = subscribe(app, url)
    [first] = poll_due(app, NOW)
    assert first.status == "ok" and "if-none-match" not in local_http.requests[-1].headers
    stored = feed_store.get_feed(store, feed.id)
    assert (stored.etag, stored.last_modified) == ('"v1"', modified)

    local_http.route("/feed.xml", b"", status=304, headers={"ETag": '"v1"'})
    later = first.next_poll_at
    [second] = poll_due(app, later)
    sent = local_http.requests[-1].headers
    assert (sent.get("if-none-match"), sent.get("if-modified-since")) == ('"v1"', modified)
    assert (second.status, second.new_entries, second.summary()) == ("not_modified", 0, "not modified")
    assert len(feed_store.entries(store, feed.id)) == 1
    after = feed_store.get_feed(store, feed.id)
    assert (after.last_polled_at, after.failures, after.etag) == (later, 0, '"v1"')
    assert after.next_poll_at == next_slot(url, 900, later)


# Failures: each one recorded with its reason, never an exception

def test_slow_feed_times_out_and_backs_off(sqlite_store, engine, local_http, tmp_path, caplog):
    app = make_app(sqlite_store, engine, tmp_path, fetch_timeout=0.5)
    url = local_http.route("/slow.xml", rss([]), content_type=FEED_XML, delay=5.0)
    feed = subscribe(app, url)
    started = time.monotonic()
    [outcome] = poll_due(app, NOW)
    assert time.monotonic() - started < 2.0
    # The channel reads that the address cannot be fetched, not how (issue 10); the log says "timed out".
    assert (outcome.status, outcome.error, outcome.failures) == ("failed", "that address can't be fetched", 1)
    assert any(r.getMessage().endswith(f"{url}: poll failed (1 in a row): timed out") for r in caplog.records)
    assert outcome.next_poll_at == NOW + timedelta(seconds=1800)  # twice the interval
    stored = feed_store.get_feed(sqlite_store, feed.id)
    assert (stored.failures, stored.last_error, stored.next_poll_at) == (1, outcome.error, NOW + timedelta(seconds=1800))
    assert due_feeds(sqlite_store, NOW + timedelta(seconds=1799)) == []
    [again] = poll_due(app, NOW + timedelta(seconds=1800))
    assert (again.failures, again.next_poll_at) == (2, NOW + timedelta(seconds=1800 + 3600))


@pytest.mark.parametrize(("retry_after", "expected"), [
    ("7200", NOW + timedelta(seconds=7200)),
    (http_date(NOW + timedelta(hours=3)), NOW + timedelta(hours=3)),
    ("60", NOW + timedelta(seconds=1800)),  # never sooner than the backoff
])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(sqlite_store, engine, local_http, tmp_path, status, retry_after, expected):
    app = make_app(sqlite_store, engine, tmp_path)
    url = local_http.route("/busy.xml", "slow down", status=status, content_type="text/plain",
                           headers={"Retry-After": retry_after})
    feed = subscribe(app, url)
    [outcome] = poll_due(app, NOW)
    reason = {429: "HTTP 429 Too Many Requests", 503: "HTTP 503 Service Unavailable"}[status]
    assert (outcome.status, outcome.error, outcome.next_poll_at) == ("failed", reason, expected)
    assert feed_store.get_feed(sqlite_store, feed.id).next_poll_at == expected


def bomb(decompressed: int) -> bytes:
    """A gzip body of `decompressed` zero bytes, made a megabyte at a time (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = bytes(1024 * 1024)
    parts = [packer.compress(megabyte) for _ in range(decompressed // len(megabyte))]
    return b"".join(parts) + packer.flush()


FAILURES = {
    "malformed": ("/bad.xml", dict(body="<?xml version='1.0'?><rss version='2.0'><chan<<<>>>", content_type=FEED_XML),
                  "it is a malformed feed (line 1: not well-formed (invalid token))"),
    "html": ("/page.xml", dict(body="<!DOCTYPE html><html><head><title>Oops</title></head><body><p>Home</p></body></html>",
                               content_type=FEED_XML), "it is an HTML page, not an RSS or Atom feed"),
    "redirect loop": ("/loop", dict(status=302, headers={"Location": "/loop"}), "too many redirects (more than 5)"),
    "oversized": ("/big.xml", dict(body=rss([{"title": "x" * 60_000, "link": "http://a.example/1"}]), content_type=FEED_XML),
                  "the page is 58.9 KB; the limit is 48.8 KB"),
    "oversized, streamed": ("/big-stream.xml", dict(body=rss([{"title": "x" * 60_000, "link": "http://a.example/1"}]),
                                                    content_type=FEED_XML, content_length=False),
                            "the page is larger than the 48.8 KB limit"),
    "server error": ("/error.xml", dict(body="oops", status=500, content_type="text/plain"), "HTTP 500 Internal Server Error"),
    "image": ("/logo.png", dict(body=b"\x89PNG\r\n\x1a\n" + bytes(100), content_type="image/png"),
              "it is image/png, not an RSS or Atom feed or a web page"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_broken_feeds_fail_with_a_clear_reason(sqlite_store, engine, local_http, tmp_path, case):
    app = make_app(sqlite_store, engine, tmp_path, max_fetch_bytes=50_000)
    path, route, reason = FAILURES[case]
    url = local_http.route(path, **route)
    feed = subscribe(app, url)
    [outcome] = poll_due(app, NOW)
    assert (outcome.status, outcome.error) == ("failed", reason)
    assert outcome.summary() == f"failed: {reason}"
    stored = feed_store.get_feed(sqlite_store, feed.id)
    assert (stored.failures, stored.last_error, stored.last_polled_at) == (1, reason, None)
    assert feed_store.entries(sqlite_store, feed.id) == []


def test_gzip_bomb_is_refused_without_inflating_it(sqlite_store, engine, local_http, tmp_path):
    app = make_app(sqlite_store, engine, tmp_path, max_fetch_bytes=1024 * 1024)
    body = bomb(256 * 1024 * 1024)  # 256 MB of zeros in about 250 KB
    assert len(body) < 300_000
    url = local_http.route("/bomb.xml", body, content_type=FEED_XML, headers={"Content-Encoding": "gzip"},
                           chunk_size=len(body))  # all in one write: one network read may hold all of it
    feed = subscribe(app, url)
    [outcome], peak = poll_with_peak(app)
    assert (outcome.status, outcome.error) == ("failed", "the page is larger than the 1.0 MB limit")
    assert peak < 8 * 1024 * 1024, f"{peak / 1e6:.1f} MB held while refusing the bomb"
    assert feed_store.get_feed(sqlite_store, feed.id).failures == 1


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw deflate"])
def test_compressed_feeds_are_read(sqlite_store, engine, local_http, tmp_path, encoding):
    app = make_app(sqlite_store, engine, tmp_path)
    document = rss([{"title": f"Entry {n}", "link": f"http://gazette.example/{n}", "guid": str(n)} for n in range(40)]).encode()
    if encoding == "gzip":
        body = gzip.compress(document)
    elif encoding == "deflate":
        body = zlib.compress(document)
    else:
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = packer.compress(document) + packer.flush()
    url = local_http.route("/packed.xml", body, content_type=FEED_XML, chunk_size=100,
                           headers={"Content-Encoding": encoding.split()[-1]})
    feed = subscribe(app, url)
    [outcome] = poll_due(app, NOW)
    assert (outcome.status, outcome.backlog) == ("ok", 40)
    assert local_http.requests[-1].headers["accept-encoding"] == "gzip, deflate"
    assert [e.title for e in feed_store.entries(sqlite_store, feed.id)][:2] == ["Entry 0", "Entry 1"]


# Entries that fail, the per-poll cap

def test_failing_entries_are_recorded_and_the_others_go_on(sqlite_store, engine, local_http, tmp_path):
    app = make_app(sqlite_store, engine, tmp_path)
    title, good = serve_story(local_http, 3)
    wall = local_http.route("/story/wall", "<html><body><nav><a href='/login'>Log in</a></nav></body></html>",
                            content_type="text/html")
    items = [{"title": "Gone", "link": local_http.url("/story/gone"), "guid": "gone"},
             {"title": "Login wall", "link": wall, "guid": "wall"},
             {"title": title, "link": good, "guid": "good"}]
    url = local_http.route("/feed.xml", rss([]), content_type=FEED_XML)
    feed = subscribe(app, url)
    poll_due(app, NOW)
    local_http.route("/feed.xml", rss(items), content_type=FEED_XML)
    [outcome] = poll_due(app, NOW + timedelta(hours=1))
    assert (outcome.status, outcome.new_entries, outcome.digested, outcome.entry_errors) == ("ok", 3, 1, 2)
    assert outcome.summary() == "3 new entries (1 digested, 2 failed)"
    errors = {e.entry_key: e.error for e in feed_store.entries(sqlite_store, feed.id)}
    assert errors == {"id:gone": f"could not fetch {local_http.url('/story/gone')}: HTTP 404 Not Found",
                      "id:wall": f"could not fetch {wall}: no article text found in the page", "id:good": None}
    assert feed_store.get_feed(sqlite_store, feed.id).failures == 0  # the feed itself is fine


def test_a_huge_feed_is_handled_a_few_entries_per_poll(sqlite_store, engine, local_http, tmp_path):
    app = make_app(sqlite_store, engine, tmp_path, feed_max_entries=2)
    url = local_http.route("/feed.xml", rss([]), content_type=FEED_XML, headers={"ETag": '"empty"'})
    feed = subscribe(app, url)
    poll_due(app, NOW)
    # Five new entries whose pages are missing: cheap to handle, and handled all the same.
    items = [{"title": f"Entry {n}", "link": local_http.url(f"/story/missing-{n}"), "guid": f"e{n}"} for n in range(5)]
    local_http.route("/feed.xml", rss(items), content_type=FEED_XML, headers={"ETag": '"full"'})
    later = NOW + timedelta(hours=1)
    [first] = poll_due(app, later)
    assert (first.new_entries, first.remaining, first.next_poll_at) == (2, 3, later + timedelta(seconds=60))
    assert first.summary().endswith("; 3 more next poll")
    assert [e.entry_key for e in feed_store.entries(sqlite_store, feed.id)] == ["id:e4", "id:e3"]  # oldest first
    assert feed_store.get_feed(sqlite_store, feed.id).etag == '"empty"'  # not "full": a 304 would hide the rest
    [second] = poll_due(app, later + timedelta(seconds=60))
    assert local_http.requests[-3].headers["if-none-match"] == '"empty"'
    [third] = poll_due(app, second.next_poll_at)
    assert (second.new_entries, third.new_entries, third.remaining) == (2, 1, 0)
    assert feed_store.get_feed(sqlite_store, feed.id).etag == '"full"'
    assert len(feed_store.entries(sqlite_store, feed.id)) == 5


# The same story from two feeds

def test_the_same_story_in_two_feeds_is_digested_once(app, local_http, store):
    title, link = serve_story(local_http, 5)
    a = local_http.route("/a.xml", rss([]), content_type=FEED_XML)
    b = local_http.route("/b.atom", atom([]), content_type="application/atom+xml")
    feed_a, feed_b = subscribe(app, a), subscribe(app, b, DISCORD)
    poll_due(app, NOW)
    local_http.route("/a.xml", rss([{"title": title, "link": f"{link}?utm_source=a#top", "guid": "a-5"}]), content_type=FEED_XML)
    local_http.route("/b.atom", atom([{"id": "urn:b:5", "title": title, "link": f"{link}?fbclid=b"}]),
                     content_type="application/atom+xml")
    # Which feed is polled first depends on their slots (a hash of the URL, whose port varies).
    first, second = poll_due(app, NOW + timedelta(hours=1))
    assert (first.digested, first.linked, second.digested, second.linked) == (1, 0, 0, 1)
    assert second.summary() == "1 new entry (0 digested, 1 already stored)"
    assert article_store.counts(store)["articles"] == 1 and len(story_requests(local_http)) == 1
    [entry_a] = feed_store.entries(store, feed_a.id)
    [entry_b] = feed_store.entries(store, feed_b.id)
    assert entry_a.article_id == entry_b.article_id == first.article_ids[0] == second.article_ids[0]
    assert article_store.get_digest(store, entry_a.article_id).article.url == link


# Pausing after repeated failures, and resuming

def test_five_failures_pause_the_feed_with_a_notice_per_channel(app, local_http, store):
    url = local_http.route("/down.xml", "oops", status=500, content_type="text/plain")
    feed = subscribe(app, url, SLACK, DISCORD)
    now = NOW
    outcomes = []
    for _ in range(5):
        [outcome] = poll_due(app, now)
        outcomes.append(outcome)
        if outcome.next_poll_at:
            now = outcome.next_poll_at
    assert [o.status for o in outcomes] == ["failed"] * 4 + ["paused"]
    assert all(not o.notices for o in outcomes[:4])
    paused = outcomes[-1]
    assert paused.summary() == "failed and paused after 5 failures in a row: HTTP 500 Internal Server Error"
    assert [n.channel for n in paused.notices] == [SLACK, DISCORD]
    text = paused.notices[0].text
    assert "HTTP 500 Internal Server Error" in text and text.endswith(f"/newsdigest resume {url}")
    stored = feed_store.get_feed(store, feed.id)
    assert (stored.paused, stored.failures, stored.last_error) == (True, 5, "HTTP 500 Internal Server Error")
    assert due_feeds(store, now + timedelta(days=30)) == []
    assert poll_feed(app, feed.id, now).status == "skipped"

    local_http.route("/down.xml", rss([]), content_type=FEED_XML)
    reply = handle_text(app, f"/newsdigest resume {url}", DISCORD)
    assert reply.kind == "answer" and "HTTP 500 Internal Server Error" in reply.summary
    resumed = feed_store.get_feed(store, feed.id)
    assert (resumed.paused, resumed.failures) == (False, 0)
    [back] = poll_due(app, datetime.now(timezone.utc) + timedelta(seconds=1))
    assert (back.status, back.first_poll) == ("ok", True)


# Each feed its own slot; one poll per feed at a time

def test_feeds_with_the_same_interval_poll_at_different_stable_offsets(app, local_http, store):
    a = local_http.route("/one.xml", rss([]), content_type=FEED_XML)
    b = local_http.route("/two.xml", rss([]), content_type=FEED_XML)
    subscribe(app, a)
    subscribe(app, b)
    outcomes = {o.url: o.next_poll_at for o in poll_due(app, NOW)}
    assert outcomes[a] != outcomes[b]
    assert outcomes == {a: next_slot(a, 900, NOW), b: next_slot(b, 900, NOW)}
    for when in outcomes.values():
        assert NOW < when <= NOW + timedelta(seconds=900)
    again = {o.url: o.next_poll_at for o in poll_due(app, max(outcomes.values()))}
    assert again == {u: t + timedelta(seconds=900) for u, t in outcomes.items()}  # the same offsets, one interval on
    assert due_feeds(store, min(outcomes.values())) == []


def test_a_feed_taken_by_another_poller_is_left_alone(app, local_http, store):
    url = local_http.route("/feed.xml", rss([]), content_type=FEED_XML)
    subscribe(app, url)
    [seen_by_a] = due_feeds(store, NOW)
    [seen_by_b] = due_feeds(store, NOW)
    assert poll_feed(app, seen_by_a, NOW).status == "ok"
    late = poll_feed(app, seen_by_b, NOW)
    assert (late.status, late.error) == ("skipped", "another poller is polling it")
    assert local_http.paths().count("/feed.xml") == 1
