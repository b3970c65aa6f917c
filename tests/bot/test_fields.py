"""Bounded fields: values from pages, feeds and commands fit their columns the same way on SQLite and
PostgreSQL (bot/store/fields.py), and one entry that cannot be stored is that entry's failure only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Newsdigest
from bot.commands import handle_text
from bot.config import Settings
from bot.errors import BadInput
from bot.feeds.poller import poll_due
from bot.feeds.timing import next_slot
from bot.schedules import parse_schedule
from bot.service import DigestService
from bot.store import Store
from bot.store import articles as article_store
from bot.store import channels as channel_store
from bot.store import feeds as feed_store
from bot.store.channels import TERMINAL_TENANT, ChannelRef
from bot.store.fields import ELLIPSIS, cut, fit
from bot.store.schema import ArticleRow, FeedEntryRow, FeedRow
from digests.models import Speaker
from tests.fakes.feedkit import article_html, rss, story

SLACK = ChannelRef(platform="slack", external_id="C1", name="news")
FEED_XML = "application/rss+xml; charset=utf-8"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
LONG_AUTHOR = ("Correspondent " + "Ab" * 300)[:599]  # trafilatura keeps this one whole (599 characters)


def make_app(store: Store, engine, tmp_path: Path) -> Newsdigest:  # noqa: ANN001 - DigestEngine
    settings = Settings(_env_file=None, allow_private_urls=True, data_dir=tmp_path, fetch_timeout=5.0)
    return Newsdigest(settings, store=store, service=DigestService(settings, engine=engine))


def page(n: int, author: str | None = None) -> str:
    title, paragraphs = story(n)
    html = article_html(title, paragraphs)
    if author is not None:
        html = html.replace('<meta charset="utf-8">', f'<meta charset="utf-8"><meta name="author" content="{author}">')
    return html


# The cut itself

def test_a_cut_keeps_the_limit_and_never_splits_a_combining_sequence():
    assert cut("short", 10) == "short"
    assert cut("x" * 11, 10) == "x" * 9 + ELLIPSIS and len(cut("x" * 11, 10)) == 10
    accented = "e\u0301" * 6  # "é" as e + combining acute, six times: 12 characters
    out = cut(accented, 10)
    assert out == "e\u0301" * 4 + ELLIPSIS  # not "...e" without its accent
    family = "ab\U0001F468\u200d\U0001F469\u200d\U0001F467xyz"  # a ZWJ emoji sequence
    assert not cut(family, 5).removesuffix(ELLIPSIS).endswith("\u200d")


# The store: the same on both backends

def test_over_long_names_are_cut_and_nul_never_reaches_the_database(store, digest_factory):
    speaker = Speaker(name="N" * 400, role="spokes\x00person\nfor the city", org="O" * 301)
    digest = digest_factory([("we will keep the tram running", speaker)], author=LONG_AUTHOR,
                            source="Wire\x00 Service", title="A title with a \x00 in it")
    saved = article_store.save_digest(store, digest, tenant=TERMINAL_TENANT)
    with store.session() as s:
        row = s.get(ArticleRow, saved.article_id)
        assert len(row.author) == 300 and row.author.endswith(ELLIPSIS) and row.author.startswith("Correspondent Ab")
        assert row.source == "Wire Service"
        assert row.title == "A title with a \ufffd in it"  # Text keeps its length: one character for one
        assert "\x00" not in row.text and len(row.text) == len(digest.article.text)
    [quote] = article_store.quote_candidates(store, [["tram"]], tenant=TERMINAL_TENANT)
    assert len(quote.speaker.name) == 300 and quote.speaker.name.endswith(ELLIPSIS)
    assert quote.speaker.role == "spokes person for the city"  # one line, no control characters
    assert len(quote.speaker.org) == 300
    assert article_store.get_digest(store, saved.article_id).article.author == LONG_AUTHOR  # the digest itself is kept whole


def test_a_quote_with_a_word_too_long_for_a_search_term_is_stored_and_found_by_its_other_words(store, digest_factory):
    # PostgreSQL refuses a tsvector lexeme over 2047 bytes: a normal word beside a ~2,040-byte one
    # made a neighbouring-word pair over it (migration 0009 leaves such pairs out).
    giant = "z" * 2040
    digest = digest_factory([(f"the harbour {giant} reopens on monday", "Ana Silva")], title="Giant word")
    saved = article_store.save_digest(store, digest, tenant=TERMINAL_TENANT)
    assert saved.article_id
    [found] = article_store.quote_candidates(store, [["harbour"]], tenant=TERMINAL_TENANT)
    assert found.text.startswith("the harbour zzz") and found.speaker.name == "Ana Silva"
    [phrase] = article_store.quote_candidates(store, [["reopens", "on", "monday"]], phrase=True, tenant=TERMINAL_TENANT)
    assert phrase.text == found.text


def test_a_url_or_cron_too_long_for_its_column_is_refused_with_a_clear_message(store, digest_factory):
    long_url = "https://news.example/" + "a" * 2100
    with pytest.raises(BadInput, match="article's address is 2,121 characters long; the limit is 2,048"):
        article_store.save_digest(store, digest_factory([("words", "Someone")], url=long_url))
    assert article_store.counts(store) == {"articles": 0, "quotes": 0}
    # A valid cron expression of 177 characters: apscheduler reads it, the column holds 100.
    minutes = ",".join(str(m) for m in range(0, 60, 1))[:150].rstrip(",")
    cron = f"{minutes} 8 * * mon-fri"
    schedule = parse_schedule(cron)
    assert len(schedule.cron) > 100
    with pytest.raises(BadInput, match="cron expression is .* characters long; the limit is 100"):
        channel_store.set_schedule(store, SLACK, schedule)
    assert channel_store.schedule_of(store, SLACK) is None


def test_a_nul_in_pasted_text_is_bad_input_not_a_database_outage(store, engine, tmp_path):
    app = make_app(store, engine, tmp_path)
    text = ("The council met on Tuesday and agreed\x00 to keep the night buses running through the winter, "
            "after a long debate about the cost of fuel and drivers.")
    reply = handle_text(app, f"/digest {text}", SLACK)
    assert reply.kind == "error"
    assert "control characters" in reply.summary and "database" not in reply.summary
    assert article_store.counts(store)["articles"] == 0


def test_feed_etag_too_long_is_dropped_and_a_long_entry_key_stays_unique(store):
    _, feed = feed_store.subscribe(store, SLACK, "https://gazette.example/feed.xml", interval_seconds=900, now=NOW)
    feed_store.record_success(store, feed.id, now=NOW, next_poll_at=NOW, etag='"' + "e" * 600 + '"', last_modified="x")
    assert feed_store.get_feed(store, feed.id).etag is None  # an ETag cut short would never match again
    keys = ["k" * 1100 + "1", "k" * 1100 + "2"]
    added = feed_store.add_entries(store, feed.id, [feed_store.NewEntry(key=k) for k in keys], backlog=True, now=NOW)
    assert added == 2
    stored = [e.entry_key for e in feed_store.entries(store, feed.id)]
    assert [len(k) for k in stored] == [1024, 1024] and stored[0] != stored[1]
    assert stored == [fit(FeedEntryRow.entry_key, k) for k in keys]  # the same key always maps to the same value


# The poller: one bad entry is that entry's failure

@pytest.fixture
def app(store, engine, tmp_path) -> Newsdigest:
    return make_app(store, engine, tmp_path)


def test_a_599_character_author_does_not_stop_the_feed_or_the_pass(app, store, local_http):
    a_url = local_http.route("/a.xml", rss([]), content_type=FEED_XML)
    b_url = local_http.route("/b.xml", rss([]), content_type=FEED_XML)
    feed_store.subscribe(store, SLACK, a_url, interval_seconds=900, now=NOW)
    feed_store.subscribe(store, SLACK, b_url, interval_seconds=900, now=NOW)
    assert [o.status for o in poll_due(app, NOW)] == ["ok", "ok"]  # first polls: empty backlogs

    long_author = local_http.route("/story/1", page(1, LONG_AUTHOR), content_type="text/html; charset=utf-8")
    long_final = "/story/2/" + "x" * 2100  # the entry's link redirects to an address too long to store
    local_http.route(long_final, page(2), content_type="text/html; charset=utf-8")
    redirects = local_http.route("/story/2", b"", status=302, headers={"Location": long_final})
    after = local_http.route("/story/3", page(3), content_type="text/html; charset=utf-8")
    other = local_http.route("/story/4", page(4), content_type="text/html; charset=utf-8")
    # RSS lists the newest first; the poller takes the oldest first: 1, 2, then 3.
    local_http.route("/a.xml", rss([{"title": "Three", "link": after, "guid": "3"},
                                    {"title": "Two", "link": redirects, "guid": "2"},
                                    {"title": "One", "link": long_author, "guid": "1"}]), content_type=FEED_XML)
    local_http.route("/b.xml", rss([{"title": "Four", "link": other, "guid": "4"}]), content_type=FEED_XML)

    later = NOW + timedelta(hours=2)
    outcomes = {o.url: o for o in poll_due(app, later)}
    assert set(outcomes) == {a_url, b_url}  # the second feed was polled in the same pass
    a, b = outcomes[a_url], outcomes[b_url]
    assert (a.status, a.new_entries, a.digested, a.entry_errors) == ("ok", 3, 2, 1)
    assert (b.status, b.new_entries, b.digested) == ("ok", 1, 1)

    entries = {e.entry_key: e for e in feed_store.entries(store, a.feed_id)}
    assert entries["id:1"].error is None and entries["id:1"].article_id is not None
    assert "address is" in entries["id:2"].error and "the limit is 2,048" in entries["id:2"].error
    assert entries["id:2"].article_id is None
    assert entries["id:3"].error is None and entries["id:3"].article_id is not None  # the entry after them
    with store.session() as s:
        author = s.scalar(select(ArticleRow.author).where(ArticleRow.id == entries["id:1"].article_id))
    assert len(author) == 300 and author.endswith(ELLIPSIS)
    with store.session() as s:
        feeds = {f.url: f for f in s.scalars(select(FeedRow))}
        assert (feeds[a_url].failures, feeds[a_url].paused, feeds[a_url].last_error) == (0, False, None)
    # The feed is not fetched again at every lease: its next poll is its own slot, and the failed entry is
    # not retried (it is recorded).
    assert a.next_poll_at == next_slot(a_url, 900, later) == feed_store.get_feed(store, a.feed_id).next_poll_at
    again = {o.url: o for o in poll_due(app, a.next_poll_at)}
    assert again[a_url].new_entries == 0


def test_commands_answer_bad_input_in_one_clear_line_on_both_backends(store, engine, tmp_path):
    app = make_app(store, engine, tmp_path)
    minutes = ",".join(str(m) for m in range(0, 60))[:150].rstrip(",")
    reply = handle_text(app, f"/newsdigest schedule {minutes} 8 * * mon-fri", SLACK)
    assert reply.kind == "error" and "the limit is 100" in reply.summary and "\n" not in reply.summary
    assert channel_store.schedule_of(store, SLACK) is None
    for command in ("/dispute some\x00title", "/digest a\x01b"):
        reply = handle_text(app, command, SLACK)
        assert reply.kind == "error" and "control characters" in reply.summary, command
    reply = handle_text(app, "/who-said go\x00 to choice", SLACK)
    assert reply.kind == "not_found"  # the words are searched; the NUL is no word


def test_a_value_stored_before_the_limits_does_not_block_updates_of_its_row(tmp_path, digest_factory):
    """SQLite took any length before: an old over-long address must not make every later update of its
    article fail (an update checks the values it changes)."""
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    store.migrate()
    try:
        saved = article_store.save_digest(store, digest_factory([("words", "Someone")], url="https://news.example/a"))
        old_url = "https://news.example/" + "b" * 2100
        with store.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE articles SET canonical_url = ? WHERE id = ?", (old_url, saved.article_id))
        with store.session() as s:
            row = s.get(ArticleRow, saved.article_id)
            row.author = "Z" * 400
        with store.session() as s:
            row = s.get(ArticleRow, saved.article_id)
            assert (row.canonical_url, len(row.author)) == (old_url, 300)
    finally:
        store.close()
