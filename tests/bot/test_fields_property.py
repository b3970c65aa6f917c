"""Property test of the store's boundary (bot/store/fields.py): long, empty, NUL-bearing and odd-Unicode
values (lone surrogates, combining marks, right-to-left marks, emoji sequences, U+FFFF, C0 and C1
controls) thrown at every stored string field through the store's public API, on SQLite and PostgreSQL.

Nothing may raise but BadInput, and only for a field whose value cannot be cut (an address, a cron
expression, an identifier); what is read back is the value stored, or its documented form:

- names, sources, cues (CUT): one line (control characters → spaces, blank runs → one space, ends
  trimmed), lone surrogates → U+FFFD, then at most the column's length, ending in "…" when cut;
- text columns: NUL and lone surrogates → U+FFFD, one for one;
- HTTP validators (DROP): as given, or None when they do not fit;
- feed entry keys (KEY): as given, or at most 1,024 characters when longer, different keys kept apart.

The expected forms are written out here from that documentation, not computed by the code under test.
Examples are kept few (the store round trips on PostgreSQL take milliseconds each) so the file runs
in seconds.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.schedules import Schedule
from bot.store import articles as article_store
from bot.store import channels as channel_store
from bot.store import feeds as feed_store
from bot.store.channels import TERMINAL_TENANT, ChannelRef
from digests.models import Article, Digest, Quote, Speaker

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
FEEDS_CHANNEL = ChannelRef(platform="slack", external_id="C0FEEDS", name="feeds")
ODD = ["\x00", "\ud800", "\udfff", "\u0301", "\u200d", "\u200f", "\u202e", "\ufeff", "\uffff", "\ufffd",
       "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F1EB\U0001F1F7", "\x7f", "\x85", "\x9f", "\t", "\n",
       "\r", "\x0b", "\x1b", " ", "\u00a0", "\u2028", "é", "e\u0301", "ש", "ا", "中", "a"]
pieces = st.one_of(st.sampled_from(ODD), st.characters(exclude_categories=()))  # () lets surrogates in
short = st.lists(pieces, max_size=20).map("".join)
long = st.builds(lambda piece, n: (piece or "x") * n, st.lists(pieces, min_size=1, max_size=5).map("".join),
                 st.integers(min_value=40, max_value=700))
values = st.one_of(st.just(""), short, long)
PROFILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_ids = itertools.count()

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
SURROGATES = re.compile("[\ud800-\udfff]")


def one_line(value: str, limit: int) -> str:
    """The documented form of a CUT field."""
    folded = " ".join(CONTROLS.sub(" ", SURROGATES.sub("\ufffd", value)).split())
    return folded


def assert_cut(stored: str | None, given_value: str, limit: int) -> None:
    expected = one_line(given_value, limit)
    assert stored is not None
    assert len(stored) <= limit and not CONTROLS.search(stored) and not SURROGATES.search(stored)
    if len(expected) <= limit:
        assert stored == expected
    else:
        assert stored.endswith("…") and expected.startswith(stored[:-1]) and len(stored) >= limit - 40


def as_text(value: str) -> str:
    """The documented form of a Text column's value."""
    return re.sub("[\x00\ud800-\udfff]", "\ufffd", value)


def has_controls(value: str) -> bool:
    return bool(CONTROLS.search(value) or SURROGATES.search(value))


@PROFILE
@given(title=values, source=values, author=values, name=values, role=values, org=values, cue=values,
       quote=values, body=values, published=values)
def test_every_article_and_quote_field(store, title, source, author, name, role, org, cue, quote, body, published):
    n = next(_ids)
    marker = f"zqmarker{n}"  # a plain word the quote search can find, whatever else the quote holds
    quote_text = f"{marker} {quote}"
    text = f"{body}\n{quote_text}"
    start = len(body) + 1
    article = Article(id=f"prop{n:012d}", title=title, published=published, url=None, source=source,
                      author=author, word_count=len(text.split()), text=text)
    said = Quote(text=quote_text, start=start, end=start + len(quote_text), speaker=Speaker(name=name or "x", role=role,
                 org=org), cue=cue, kind="direct", confidence=0.9)
    digest = Digest(article=article, tldr=["A sentence."], quotes=[said], engine="prop/1")
    saved = article_store.save_digest(store, digest, tenant=TERMINAL_TENANT)  # nothing here may fail: every field is CUT, DROP or Text

    summary = article_store.find_article(store, saved.article_id, tenant=TERMINAL_TENANT)
    # A blank title is the text's first sentence (bot.store.articles.title_from_text), or none.
    derived = article_store.title_from_text(text)
    assert summary.title == (as_text(title) if title.strip() else (as_text(derived) if derived else None))
    assert_cut(summary.source, source, 300)
    assert summary.published == (published if len(published) <= 10 and not has_controls(published) else None)
    [found] = article_store.quote_candidates(store, [[marker]], tenant=TERMINAL_TENANT)
    assert found.text == as_text(quote_text)
    speaker_name = one_line(name or "x", 300)
    if speaker_name:
        assert_cut(found.speaker.name, name or "x", 300)
        # The model itself drops a role or organisation made only of the name's words (digests.models.Speaker).
        for stored, given in ((found.speaker.role, said.speaker.role), (found.speaker.org, said.speaker.org)):
            if given is None:
                assert stored is None
            else:
                assert_cut(stored, given, 300)
    else:
        assert found.speaker is None  # a name that is nothing but control characters names nobody
    assert_cut(found.cue, cue, 300)
    with store.session() as s:
        from bot.store.schema import ArticleRow

        row = s.get(ArticleRow, saved.article_id)
        assert_cut(row.author, author, 300)
        assert row.text == as_text(text) and len(row.text) == len(text)  # quote offsets still hold
    back = article_store.get_digest(store, saved.article_id)
    # The digest as JSON: only surrogates change (a blank title is the derived one there too).
    shown = title if title.strip() else derived
    assert back.article.title == (SURROGATES.sub("\ufffd", shown) if shown is not None else None)


@PROFILE
@given(url_tail=values, name=values, external_id=values, cron=values, zone=values)
def test_every_channel_and_schedule_field(store, url_tail, name, external_id, cron, zone):
    n = next(_ids)
    channel = ChannelRef(platform="slack", external_id=f"C{n}{external_id}", name=name)
    try:
        channel_store.ensure_channel(store, channel)
    except BadInput:
        assert has_controls(channel.external_id) or len(channel.external_id) > 100  # an id is never cut
        return
    with store.session() as s:
        from bot.store.schema import ChannelRow

        row = s.query(ChannelRow).filter_by(external_id=channel.external_id).one()
        assert row.external_id == channel.external_id
        if name:
            assert_cut(row.name, name, 300)
    url = f"https://news.example/{n}/{url_tail}"
    try:
        added, _ = feed_store.subscribe(store, channel, url, interval_seconds=900, now=NOW)
    except BadInput:
        assert has_controls(url) or len(url) > 2048
    else:
        assert added and [u for u, _ in feed_store.channel_feeds(store, channel)] == [url]
    schedule = Schedule(cron=cron, timezone=zone)  # as the store is given it (parse_schedule checks cron)
    try:
        channel_store.set_schedule(store, channel, schedule)
    except BadInput:
        assert has_controls(cron) or len(cron) > 100 or has_controls(zone) or len(zone) > 64
        assert channel_store.schedule_of(store, channel) is None
    else:
        assert channel_store.schedule_of(store, channel) == schedule


@PROFILE
@given(title=values, etag=values, modified=values, error=values, keys=st.lists(values, min_size=1, max_size=3),
       link_tail=values, entry_title=values)
def test_every_feed_and_entry_field(store, title, etag, modified, error, keys, link_tail, entry_title):
    n = next(_ids)
    _, feed = feed_store.subscribe(store, FEEDS_CHANNEL, f"https://feeds.example/{n}.xml", interval_seconds=900,
                                   now=NOW, title=title or None)
    assert feed.title == (as_text(title) if title else None)
    feed_store.record_success(store, feed.id, now=NOW, next_poll_at=NOW, etag=etag, last_modified=modified)
    stored = feed_store.get_feed(store, feed.id)
    assert stored.etag == (etag if etag and len(etag) <= 500 and not has_controls(etag) else None)
    assert stored.last_modified == (modified if modified and len(modified) <= 100 and not has_controls(modified) else None)
    feed_store.record_failure(store, feed.id, error=error, next_poll_at=NOW, pause_after=5)
    assert feed_store.get_feed(store, feed.id).last_error == as_text(error)

    # Keys that differ only by a NUL against a U+FFFD are one key once stored: given once here.
    unique = list({as_text(k): k for k in (f"{n}:{k}" for k in keys)}.values())
    link = f"https://feeds.example/story/{link_tail}"
    entries = [feed_store.NewEntry(key=k, title=entry_title, link=link if i == 0 else None, error=error)
               for i, k in enumerate(unique)]
    assert feed_store.add_entries(store, feed.id, entries, backlog=False, now=NOW) == len(unique)
    recorded = feed_store.entries(store, feed.id)
    assert len({e.entry_key for e in recorded}) == len(unique)  # long keys stay apart
    for entry, given_entry in zip(recorded, entries):
        key = as_text(given_entry.key)
        assert entry.entry_key == key if len(key) <= 1024 else (len(entry.entry_key) == 1024
                                                                and entry.entry_key.startswith(key[:1000]))
        assert entry.title == as_text(entry_title) and entry.error == as_text(error)
    first = recorded[0]
    assert first.link == (link if len(link) <= 2048 and not has_controls(link) else None)
