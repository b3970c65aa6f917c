"""A huge feed is read only as far as its newest `feed_parse_entries` entries: the same entries as
a full parse would give first, in bounded memory, polled from the real local HTTP server."""

from __future__ import annotations

from bot.feeds.parse import newest_entries, parse_feed
from bot.store import feeds as feed_store
from tests.fakes.feedkit import atom, rss
from tests.helpers.polling import FEED_XML, make_app, poll_with_peak, subscribe


def rss_items(count: int) -> list[dict]:
    return [{"title": f"Harbour notice {n}", "link": f"http://gazette.example/notice/{n}", "guid": f"urn:notice:{n}"}
            for n in range(count)]


def test_parse_reads_only_the_newest_entries_of_rss_and_atom() -> None:
    document = rss(rss_items(50)).encode()
    full = parse_feed(document, url="http://gazette.example/feed.xml")
    cut = parse_feed(document, url="http://gazette.example/feed.xml", max_entries=7)
    assert [i.key for i in cut.items] == [i.key for i in full.items][:7]
    assert cut.title == full.title == "Test Gazette news"
    entries = [{"id": f"urn:e:{n}", "title": f"Tide table {n}", "link": f"http://gazette.example/t/{n}"} for n in range(30)]
    feed = atom(entries).encode()
    assert [i.key for i in parse_feed(feed, url="http://gazette.example/a.xml", max_entries=4).items] == \
        [f"id:urn:e:{n}" for n in range(4)]
    assert newest_entries(document, 50) == document and newest_entries(document, 80) == document
    assert newest_entries(document, 10).endswith(b"</item></channel></rss>")


def test_a_feed_of_30000_entries_is_polled_as_its_newest_hundred(store, engine, local_http, tmp_path):
    app = make_app(store, engine, tmp_path, feed_parse_entries=100, max_fetch_bytes=16 * 1024 * 1024)
    document = rss(rss_items(30_000)).encode()
    assert len(document) > 4 * 1024 * 1024
    url = local_http.route("/huge.xml", document, content_type=FEED_XML)
    feed = subscribe(app, url)
    [outcome], peak = poll_with_peak(app)
    assert (outcome.status, outcome.backlog) == ("ok", 100)
    titles = [e.title for e in feed_store.entries(store, feed.id)]
    assert sorted(titles) == sorted(f"Harbour notice {n}" for n in range(100))
    # the document itself (about 5 MB) and a few copies of it; never the 30,000 parsed entries
    assert peak < 40 * 1024 * 1024, f"{peak / 1e6:.1f} MB held while polling"
