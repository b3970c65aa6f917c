"""bot.store and bot.urls: migrations, saving and deduplicating digests, look-ups and quote search.

Every test that takes `store` runs twice: on a real SQLite file and on the PostgreSQL at
127.0.0.1:5432 (see tests/conftest.py). Digests are built by `digest_factory`, without spaCy.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, inspect

from bot.store import Store, StoreError
from bot.store import articles as article_store
from bot.store.db import current_revision, head_revision
from bot.urls import canonical_url

TABLES = {"articles", "digests", "quotes", "channels", "subscriptions", "schedules", "deliveries", "article_tenants",
          "alembic_version"}
TENANT = "terminal"  # the workspace these tests store and look up as (tests/bot/test_tenants.py: several)


# Migrations

def test_migrations_create_the_schema_and_running_them_twice_is_harmless(empty_database_url, digest_factory):
    store = Store(empty_database_url)
    try:
        assert current_revision(store.engine) is None
        with store.engine.connect() as connection:
            assert not TABLES & set(inspect(connection).get_table_names())

        store.migrate()
        with store.engine.connect() as connection:
            assert TABLES <= set(inspect(connection).get_table_names())
        assert current_revision(store.engine) == head_revision()
        saved = article_store.save_digest(store, digest_factory([("the harbour will reopen in spring", "Ines Duarte")]), tenant=TENANT)

        store.migrate()  # again, on the same engine
        again = Store(empty_database_url)  # and as a new process would, on an up-to-date database
        try:
            again.migrate()
            assert current_revision(again.engine) == head_revision()
            assert article_store.counts(again) == {"articles": 1, "quotes": 1}
            assert [q.text for q in article_store.quote_candidates(again, [["harbour"]], tenant=TENANT)] == ["the harbour will reopen in spring"]
            assert article_store.get_digest(again, saved.article_id) is not None
        finally:
            again.close()
    finally:
        store.close()


# Saving and deduplicating

def test_save_digest_creates_the_article_its_digest_and_quotes(store, digest_factory):
    digest = digest_factory([("we will build it", "Ada Byron"), ("a bold plan", None)], url="https://news.example.com/a")
    result = article_store.save_digest(store, digest, tenant=TENANT)
    assert result.status == "created"
    assert result.article_id == digest.article.id
    assert article_store.counts(store) == {"articles": 1, "quotes": 2}


def test_the_same_digest_again_is_unchanged(store, digest_factory):
    digest = digest_factory([("we will build it", "Ada Byron")], url="https://news.example.com/a")
    first = article_store.save_digest(store, digest, tenant=TENANT)
    second = article_store.save_digest(store, digest, tenant=TENANT)
    assert second.status == "unchanged"
    assert second.article_id == first.article_id
    assert article_store.counts(store) == {"articles": 1, "quotes": 1}


def test_changed_text_at_the_same_url_updates_the_article_and_replaces_its_quotes(store, digest_factory):
    url = "https://news.example.com/2025/03/harbour"
    old = digest_factory([("the zebra crossing stays", "Old Speaker"), ("the quay is closed", "Port Office")],
                         url=url, intro="First version of the harbour story.")
    new = digest_factory([("the quay reopens on Monday", "Port Office")], url=url + "?utm_source=feed",
                         intro="Second version of the harbour story, corrected.", title="Harbour story, corrected")
    created = article_store.save_digest(store, old, tenant=TENANT)
    updated = article_store.save_digest(store, new, tenant=TENANT)

    assert updated.status == "updated"
    assert updated.article_id == created.article_id
    assert article_store.counts(store) == {"articles": 1, "quotes": 1}
    assert article_store.quote_candidates(store, [["zebra"]], tenant=TENANT) == []  # no stale quote of the first version is found
    assert [q.text for q in article_store.quote_candidates(store, [["quay"]], tenant=TENANT)] == ["the quay reopens on Monday"]
    stored = article_store.get_digest(store, created.article_id)
    assert stored.article.text == new.article.text
    assert stored.article.id == created.article_id
    assert article_store.find_article(store, created.article_id, tenant=TENANT).title == "Harbour story, corrected"


def test_the_same_text_from_another_url_is_not_stored_twice(store, digest_factory):
    quotes = [("we will build it", "Ada Byron")]
    first = article_store.save_digest(store, digest_factory(quotes, url="https://news.example.com/a"), tenant=TENANT)
    again = article_store.save_digest(store, digest_factory(quotes, url="https://syndication.example.org/copy/77"), tenant=TENANT)
    assert again.article_id == first.article_id
    assert again.status == "unchanged"
    assert article_store.counts(store) == {"articles": 1, "quotes": 1}
    assert article_store.find_article(store, first.article_id, tenant=TENANT).url == "https://news.example.com/a"


def test_tracking_parameters_and_fragments_do_not_make_duplicates(store, digest_factory):
    quotes = [("we will build it", "Ada Byron")]
    first = article_store.save_digest(store, digest_factory(
        quotes, url="https://News.Example.com/story/1?utm_source=rss&utm_medium=feed#comments"), tenant=TENANT)
    same = article_store.save_digest(store, digest_factory(quotes, url="https://news.example.com/story/1?fbclid=IwAR0abc"), tenant=TENANT)
    edited = article_store.save_digest(store, digest_factory(quotes, url="https://news.example.com:443/story/1/#top",
                                              intro="The story, edited after publication."), tenant=TENANT)
    assert (same.status, edited.status) == ("unchanged", "updated")
    assert first.article_id == same.article_id == edited.article_id
    assert article_store.counts(store)["articles"] == 1
    assert article_store.find_article(store, first.article_id, tenant=TENANT).url == "https://news.example.com/story/1"
    assert article_store.get_digest(store, first.article_id).article.url == "https://news.example.com/story/1"


def test_an_articles_old_text_at_a_new_url_after_the_article_changed_is_a_new_article(store, digest_factory):
    """The first text is no longer stored once its article was updated, so the same text coming back
    from elsewhere is a new article; its id (a hash of the text) must not collide with the first's."""
    original = digest_factory([("the bridge opens in May", "City Hall")], url="https://a.example/bridge",
                              intro="The bridge story.")
    article_store.save_digest(store, original, tenant=TENANT)
    article_store.save_digest(store, digest_factory([("the bridge opens in June", "City Hall")], url="https://a.example/bridge",
                                     intro="The bridge story, updated."), tenant=TENANT)
    copy = article_store.save_digest(store, original.model_copy(update={"article": original.article.model_copy(
        update={"url": "https://b.example/copied-bridge"})}), tenant=TENANT)
    assert copy.status == "created"
    assert article_store.counts(store) == {"articles": 2, "quotes": 2}
    assert article_store.get_digest(store, copy.article_id).article.text == original.article.text
    assert article_store.find_article(store, "https://b.example/copied-bridge", tenant=TENANT).id == copy.article_id


def test_an_update_to_text_another_url_already_holds_is_deduplicated(store, digest_factory):
    """One story at two addresses: when the first address's text becomes the second's, the text is
    stored once, not twice and not as a crash."""
    a = article_store.save_digest(store, digest_factory([("first words", "Ann Lee")], url="https://a.example/s", intro="Draft one."), tenant=TENANT)
    b = article_store.save_digest(store, digest_factory([("final words", "Ann Lee")], url="https://b.example/s", intro="Final text."), tenant=TENANT)
    again = article_store.save_digest(store, digest_factory([("final words", "Ann Lee")], url="https://a.example/s", intro="Final text."), tenant=TENANT)
    assert again.article_id == b.article_id != a.article_id
    assert again.status == "unchanged"
    assert article_store.counts(store) == {"articles": 2, "quotes": 2}
    assert [q.text for q in article_store.quote_candidates(store, [["final"]], tenant=TENANT)] == ["final words"]


def test_a_concurrent_writer_storing_the_same_article_first_does_not_break_the_save(store, digest_factory):
    """Another process stores the article between this save's look-up and its insert: the insert
    hits the unique keys, and the save retries as an update of the row now there."""
    digest = digest_factory([("we were first", "Rita Fast")], url="https://news.example.com/race")
    other = Store(store.url)
    raced = []

    def the_other_process_writes_first(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if not raced and statement.lstrip().upper().startswith("INSERT INTO ARTICLES"):
            raced.append(article_store.save_digest(other, digest, tenant=TENANT))

    event.listen(store.engine, "before_cursor_execute", the_other_process_writes_first)
    try:
        result = article_store.save_digest(store, digest, tenant=TENANT)
    finally:
        event.remove(store.engine, "before_cursor_execute", the_other_process_writes_first)
        other.close()
    assert [r.status for r in raced] == ["created"]
    assert result.article_id == raced[0].article_id
    assert result.status == "unchanged"
    assert article_store.counts(store) == {"articles": 1, "quotes": 1}


# Reading back

def test_get_digest_round_trips_the_digest(store, digest_factory):
    digest = digest_factory([("prices will fall", "Mia Chen"), ("a windfall", None)], url="https://news.example.com/p",
                            title="Prices to fall", author="Sam Writer", dispute=True,
                            implications=["Shoppers may wait before buying."])
    saved = article_store.save_digest(store, digest, tenant=TENANT)
    stored = article_store.get_digest(store, saved.article_id)
    assert stored == digest
    assert stored.article.id == saved.article_id
    assert article_store.get_digest(store, "0000000000000000") is None


def test_get_digest_stores_the_canonical_url(store, digest_factory):
    digest = digest_factory([("prices will fall", "Mia Chen")], url="https://news.example.com/p?utm_campaign=x#top")
    stored = article_store.get_digest(store, article_store.save_digest(store, digest, tenant=TENANT).article_id)
    assert stored.article.url == "https://news.example.com/p"
    assert stored.model_copy(update={"article": stored.article.model_copy(update={"url": digest.article.url})}) == digest


def test_find_article_by_id_and_by_url(store, digest_factory):
    saved = article_store.save_digest(store, digest_factory(title="Council backs bike lanes", url="https://news.example.com/bikes"), tenant=TENANT)
    article_store.save_digest(store, digest_factory(title="Another story", url="https://news.example.com/other"), tenant=TENANT)
    assert article_store.find_article(store, saved.article_id, tenant=TENANT).title == "Council backs bike lanes"
    by_url = article_store.find_article(store, "https://NEWS.example.com/bikes/?utm_source=x#top", tenant=TENANT)
    assert by_url.id == saved.article_id
    assert by_url.url == "https://news.example.com/bikes"
    assert article_store.find_article(store, "https://news.example.com/nothing-here", tenant=TENANT) is None
    assert article_store.find_article(store, "   ", tenant=TENANT) is None


def test_find_article_by_title_words_any_case_most_recent_first(store, digest_factory):
    spain = article_store.save_digest(store, digest_factory(title="Solar farms expand in Spain", url="https://e.example/1"), tenant=TENANT)
    chile = article_store.save_digest(store, digest_factory(title="Solar Farms expand in Chile", url="https://e.example/2"), tenant=TENANT)
    assert article_store.find_article(store, "SOLAR farms", tenant=TENANT).id == chile.article_id  # both match: the most recent
    assert article_store.find_article(store, "farms spain", tenant=TENANT).id == spain.article_id  # every word must be in the title
    assert article_store.find_article(store, "solar farms in Peru", tenant=TENANT) is None
    # Updating Spain's article makes it the most recent.
    article_store.save_digest(store, digest_factory(title="Solar farms expand in Spain", url="https://e.example/1",
                                     intro="Solar farms expand in Spain, updated with new figures."), tenant=TENANT)
    assert article_store.find_article(store, "solar farms", tenant=TENANT).id == spain.article_id


def test_find_article_title_words_are_case_insensitive_beyond_ascii(store, digest_factory):
    saved = article_store.save_digest(store, digest_factory(title="ÉCOLES DE ZÜRICH ROUVRENT"), tenant=TENANT)
    assert article_store.find_article(store, "écoles zürich", tenant=TENANT).id == saved.article_id
    assert article_store.find_article(store, "Écoles Zürich", tenant=TENANT).id == saved.article_id


def test_percent_and_underscore_in_a_title_search_are_literal(store, digest_factory):
    snake = article_store.save_digest(store, digest_factory(title="Why snake_case won", url="https://e.example/1"), tenant=TENANT)
    article_store.save_digest(store, digest_factory(title="Why snakeXcase lost", url="https://e.example/2"), tenant=TENANT)  # more recent
    article_store.save_digest(store, digest_factory(title="Rents rise 50% in a year", url="https://e.example/3"), tenant=TENANT)
    assert article_store.find_article(store, "snake_case", tenant=TENANT).id == snake.article_id  # "_" is not "any one character"
    assert article_store.find_article(store, "_", tenant=TENANT).id == snake.article_id  # the one title with an underscore, not the latest
    assert article_store.find_article(store, "%", tenant=TENANT) is None  # not "anything"
    assert article_store.find_article(store, "%%%%", tenant=TENANT) is None


def test_latest_with_dispute(store, digest_factory):
    assert article_store.latest_with_dispute(store, tenant=TENANT) is None
    quotes = [("they took our code", "Firm A"), ("we did nothing wrong", "Firm B")]
    first = article_store.save_digest(store, digest_factory(quotes, title="First dispute", url="https://e.example/1", dispute=True), tenant=TENANT)
    article_store.save_digest(store, digest_factory(title="No dispute here", url="https://e.example/2"), tenant=TENANT)
    assert article_store.latest_with_dispute(store, tenant=TENANT).id == first.article_id
    second = article_store.save_digest(store, digest_factory(quotes, title="Second dispute", url="https://e.example/3", dispute=True), tenant=TENANT)
    assert article_store.latest_with_dispute(store, tenant=TENANT).id == second.article_id
    # The second article, updated, no longer reports a dispute.
    article_store.save_digest(store, digest_factory(quotes, title="Second dispute, settled", url="https://e.example/3",
                                     intro="The firms settled.", dispute=False), tenant=TENANT)
    assert article_store.latest_with_dispute(store, tenant=TENANT).id == first.article_id


def test_recent_articles_most_recent_first_with_a_prefix_and_a_limit(store, digest_factory):
    titles = ["Budget vote delayed", "Budget passes at last", "Storm hits the coast", "100% renewable by 2030?"]
    ids = [article_store.save_digest(store, digest_factory(title=t, url=f"https://e.example/{n}"), tenant=TENANT).article_id for n, t in enumerate(titles)]
    assert [a.id for a in article_store.recent_articles(store, tenant=TENANT)] == ids[::-1]
    assert [a.title for a in article_store.recent_articles(store, limit=2, tenant=TENANT)] == ["100% renewable by 2030?", "Storm hits the coast"]
    assert [a.title for a in article_store.recent_articles(store, prefix="BUDGET", tenant=TENANT)] == ["Budget passes at last", "Budget vote delayed"]
    assert [a.title for a in article_store.recent_articles(store, prefix="  budget p", tenant=TENANT)] == ["Budget passes at last"]
    assert [a.title for a in article_store.recent_articles(store, prefix="100%", tenant=TENANT)] == ["100% renewable by 2030?"]
    assert article_store.recent_articles(store, prefix="%", tenant=TENANT) == article_store.recent_articles(store, prefix="100%", tenant=TENANT)
    assert article_store.recent_articles(store, prefix="_", tenant=TENANT) == []
    first = article_store.recent_articles(store, limit=1, tenant=TENANT)[0]
    assert (first.url, first.published, first.source) == ("https://e.example/3", "2025-03-14", "Test Wire")


# Quote search

def test_quote_candidates_returns_only_attributed_quotes(store, digest_factory):
    article_store.save_digest(store, digest_factory([("a truly industry standard approach", "Dana Ortiz"),
                                      ("industry standard", None)]), tenant=TENANT)
    found = article_store.quote_candidates(store, [["industry"]], tenant=TENANT)
    assert [(q.text, q.speaker.name) for q in found] == [("a truly industry standard approach", "Dana Ortiz")]
    assert found[0].article.title == "A test article"
    assert found[0].cue == "said" and found[0].kind == "direct" and found[0].confidence == 0.9


def test_quote_candidates_finds_attributed_quotes_behind_many_unattributed_ones(store, digest_factory):
    """Unattributed matches must not use up the candidate list before the attributed ones."""
    article_store.save_digest(store, digest_factory([("widget widget widget", None)] * 250, title="Scare quotes"), tenant=TENANT)
    article_store.save_digest(store, digest_factory([("this widget is the one we are proud of", "Lena Park")], title="Launch"), tenant=TENANT)
    found = article_store.quote_candidates(store, [["widget"]], tenant=TENANT)
    assert [q.speaker.name for q in found] == ["Lena Park"]


def test_quote_candidates_words_prefixes_case_and_limit(store, digest_factory):
    article_store.save_digest(store, digest_factory([(f"the standard number {n} is fine", f"Speaker {n}") for n in range(8)]
                                     + [("Near the river it floods", "Ola Berg")]), tenant=TENANT)
    assert article_store.quote_candidates(store, [["STANDARD"]], limit=3, tenant=TENANT)[2].text.startswith("the standard number")
    assert len(article_store.quote_candidates(store, [["standard"]], limit=3, tenant=TENANT)) == 3
    assert len(article_store.quote_candidates(store, [["standard"]], tenant=TENANT)) == 8
    assert article_store.quote_candidates(store, [["stan"]], tenant=TENANT) == []
    assert len(article_store.quote_candidates(store, [["stan*"]], tenant=TENANT)) == 8  # a word ending in * is a prefix
    assert len(article_store.quote_candidates(store, [["STA*"]], tenant=TENANT)) == 8
    assert [q.speaker.name for q in article_store.quote_candidates(store, [["near"]], tenant=TENANT)] == ["Ola Berg"]
    assert [q.speaker.name for q in article_store.quote_candidates(store, [["standard"], ["river"]], limit=20, tenant=TENANT)].count("Ola Berg") == 1
    assert article_store.quote_candidates(store, [], tenant=TENANT) == []
    assert article_store.quote_candidates(store, [[]], tenant=TENANT) == []


def test_quote_candidates_groups_need_all_their_words_and_phrases_need_them_in_order(store, digest_factory):
    article_store.save_digest(store, digest_factory([("the river floods every spring", "Ola Berg"),
                                      ("every river has its spring flood", "Kai Moe")]), tenant=TENANT)

    def who(groups, **options):
        return sorted(q.speaker.name for q in article_store.quote_candidates(store, groups, **options, tenant=TENANT))

    assert who([["river", "spring"]]) == ["Kai Moe", "Ola Berg"]
    assert who([["river", "floods"]]) == ["Ola Berg"]
    assert who([["river", "floods"]], phrase=True) == ["Ola Berg"]
    assert who([["floods", "river"]], phrase=True) == []
    assert who([["spring", "flo*"]], phrase=True) == ["Kai Moe"]
    assert who([["floods", "river"], ["spring", "flood"]], phrase=True) == ["Kai Moe"]


@pytest.mark.parametrize("words", [
    ['"'], ["*"], ["**"], ["*river"], ["river**"], ["NEAR"], ["near(a b)"], ["AND", "OR", "NOT"], ["a OR b"],
    ["'"], ["%"], ["_"], ["_*"], ["("], [")"], [":"], ["^"], ["-"], ["river:*"], ['"river"'], ["!river"],
    ["river & flood"], ["\\"], [""], ["²"], ["²*"], ["river\x00"],
])
def test_quote_candidates_treat_query_syntax_as_plain_text(store, digest_factory, words):
    article_store.save_digest(store, digest_factory([("Near the river it floods and or not", "Ola Berg")]), tenant=TENANT)
    # A word of query syntax is not a word: it finds nothing, and never raises.
    plain = [w for w in words if w.lower() in {"near", "and", "or", "not"}]
    for groups in ([[w] for w in words], [words]):
        for phrase in (False, True):
            found = article_store.quote_candidates(store, groups, phrase=phrase, tenant=TENANT)
            assert [q.speaker.name for q in found] == (["Ola Berg"] if plain else []), (groups, phrase)


# canonical_url

@pytest.mark.parametrize(("url", "expected"), [
    ("https://news.example.com/a", "https://news.example.com/a"),
    ("HTTPS://News.Example.COM/Story/A", "https://news.example.com/Story/A"),  # the path keeps its case
    ("https://news.example.com:443/a", "https://news.example.com/a"),
    ("http://news.example.com:80/a", "http://news.example.com/a"),
    ("http://news.example.com:8080/a", "http://news.example.com:8080/a"),
    ("https://news.example.com/a#comments", "https://news.example.com/a"),
    ("https://news.example.com/a/", "https://news.example.com/a"),
    ("https://news.example.com", "https://news.example.com/"),
    ("https://news.example.com/", "https://news.example.com/"),
    ("https://news.example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://news.example.com/a"),
    ("https://news.example.com/a?UTM_Source=rss", "https://news.example.com/a"),
    ("https://news.example.com/a?fbclid=IwAR0&gclid=x&mc_cid=1", "https://news.example.com/a"),
    ("https://news.example.com/a?page=2&id=7&utm_source=x", "https://news.example.com/a?id=7&page=2"),
    ("https://news.example.com/a?q=&id=7", "https://news.example.com/a?id=7&q="),
    ("  https://news.example.com/a?id=7#x  ", "https://news.example.com/a?id=7"),
    ("http://[2001:db8::1]:8080/a?utm_source=x", "http://[2001:db8::1]:8080/a"),
    ("https://[2001:DB8::1]/a", "https://[2001:db8::1]/a"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # canonical URLs are fixed points


# Bad storage inputs

def test_a_damaged_sqlite_file_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "newsdigest.db"
    garbage = bytes((n * 97 + 13) % 256 for n in range(8192))
    path.write_bytes(garbage)
    store = Store(f"sqlite:///{path}")
    try:
        with pytest.raises(StoreError) as caught:
            store.migrate()
    finally:
        store.close()
    message = str(caught.value)
    assert str(path) in message
    assert "damaged" in message
    assert path.read_bytes() == garbage


def test_a_sqlite_file_damaged_after_its_header_is_reported(tmp_path, digest_factory):
    path = tmp_path / "newsdigest.db"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    article_store.save_digest(store, digest_factory([("words", "Someone")]), tenant=TENANT)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    data[100:] = bytes(len(data) - 100)  # keep SQLite's header, zero every page after it
    path.write_bytes(bytes(data))
    store = Store(f"sqlite:///{path}")
    try:
        with pytest.raises(StoreError, match="damaged"):
            store.migrate()
            article_store.counts(store)
    finally:
        store.close()
    assert path.read_bytes() == bytes(data)


def test_a_closed_postgresql_port_is_a_quick_store_error_without_the_password():
    store = Store("postgresql://postgres:secret@127.0.0.1:1/x")
    try:
        assert store.engine.dialect.driver == "psycopg"  # plain postgresql:// means the psycopg 3 the project ships
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            store.migrate()
        assert time.monotonic() - started < 10
    finally:
        store.close()
    message = str(caught.value)
    assert message.startswith("cannot connect to the database at postgresql")
    assert "127.0.0.1:1" in message
    assert "secret" not in message
