"""/quotes: bot.quotes.quotes_by over a real store (SQLite and PostgreSQL), and the command's reply.

The sentences are written here; the articles are stored through `save_digest` and the quotes found
through the calls the platforms make (the command through `handle_text`, as Slack and the terminal).
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from bot import commands
from bot.app import Newsdigest
from bot.commands import TERMINAL
from bot.config import Settings
from bot.quotes import quotes_by, split_typed
from bot.speakers import keys_for_query, same_person, speaker_key
from bot.store import Store
from bot.store import articles as article_store
from bot.store.channels import TERMINAL_TENANT
from bot.store.db import alembic_config
from digests.models import Speaker

SPOKESPERSON = Speaker(name="Christopher Nulty", role="spokesperson", org="Anthropic")
DIRECTOR = Speaker(name="Christopher Nulty", role="communications director", org="Anthropic")
SURNAME = Speaker(name="Nulty")
OTHER_NULTY = Speaker(name="Ann Nulty", role="mayor")
ORG = Speaker(name="Harbour Transit Authority", kind="organisation")

EARLY = "Our tools write code that reviewers can trust"
LATER = "We never promised the tools would replace reviewers"
LATEST = "The code tools are a helper, not a replacement"
MAYOR = "The bridge will reopen before the winter market"
AGENCY = "Night buses return on the harbour line from Monday"
OTHER_WORKSPACE = "A quote only the other workspace may read"


@pytest.fixture
def said(store, digest_factory) -> Store:
    """One spokesman over three articles and two roles, named in full and by surname; a namesake;
    an organisation; and an article of another workspace."""
    article_store.save_digest(store, digest_factory([(EARLY, SPOKESPERSON)], title="Code review bots", url="https://a.example/1",
                                                    published="2024-02-01"), tenant=TERMINAL_TENANT)
    article_store.save_digest(store, digest_factory([(LATER, SURNAME), (MAYOR, OTHER_NULTY)], title="City and code",
                                                    url="https://a.example/2", published="2025-06-10"), tenant=TERMINAL_TENANT)
    article_store.save_digest(store, digest_factory([(LATEST, DIRECTOR), (AGENCY, ORG)], title="Tools and buses",
                                                    url="https://a.example/3", published="2026-01-20"), tenant=TERMINAL_TENANT)
    article_store.save_digest(store, digest_factory([(OTHER_WORKSPACE, SPOKESPERSON)], title="Elsewhere",
                                                    url="https://b.example/1", published="2026-11-30"), tenant="slack:T0OTHER")
    return store


@pytest.fixture
def app(said, tmp_path) -> Newsdigest:
    return Newsdigest(Settings(_env_file=None, data_dir=tmp_path / "data"), store=said)


def texts(result) -> list[str]:  # noqa: ANN001 - a SpeakerQuotes
    return [q.text for q in result.quotes]


# Names

@pytest.mark.parametrize(("name", "kind", "key"), [
    ("Christopher Nulty", "person", "nulty"), ("Mr. Nulty", "person", "nulty"), ("NULTY", "person", "nulty"),
    ("Dr. José Álvarez Jr.", "person", "alvarez"), ("The Harbour Transit Authority", "organisation", "harbour transit authority"),
    ("!!", "person", "")])
def test_the_speaker_key(name, kind, key):
    assert speaker_key(name, kind) == key


def test_a_typed_name_stands_for_a_surname_or_an_organisation():
    assert keys_for_query("Harbour Transit Authority") == ["authority", "harbour transit authority"]
    assert keys_for_query("Nulty") == ["nulty"]


@pytest.mark.parametrize(("typed", "stored", "same"), [
    ("Nulty", "Christopher Nulty", True), ("Christopher Nulty", "Nulty", True), ("Chris Nulty", "Christopher Nulty", True),
    ("C. Nulty", "Christopher Nulty", True), ("Cristopher Nulty", "Christopher Nulty", True),
    ("Christopher Nulty", "Ann Nulty", False)])
def test_given_names(typed, stored, same):
    assert same_person(typed, stored) is same


# Finding what someone said

def test_full_name_and_surname_are_one_speaker_newest_first(said):
    for name in ("Christopher Nulty", "Chris Nulty"):
        result = quotes_by(said, name, tenant=TERMINAL_TENANT)
        assert texts(result) == [LATEST, LATER, EARLY]
        assert result.names == ["Christopher Nulty", "Nulty"]
        assert not result.corrected and not result.more


def test_the_role_is_the_one_held_at_the_time(said):
    result = quotes_by(said, "Christopher Nulty", tenant=TERMINAL_TENANT)
    assert [(q.speaker.role, q.article.published) for q in result.quotes] == [
        ("communications director", "2026-01-20"), (None, "2025-06-10"), ("spokesperson", "2024-02-01")]


def test_a_surname_alone_finds_every_namesake(said):
    assert set(texts(quotes_by(said, "Nulty", tenant=TERMINAL_TENANT))) == {LATEST, LATER, EARLY, MAYOR}
    # "Nulty" may be her too; of one article, the later quote first (newest first as stored)
    assert texts(quotes_by(said, "Ann Nulty", tenant=TERMINAL_TENANT)) == [MAYOR, LATER]


@pytest.mark.parametrize("name", ["Christopher Nutly", "christopher nultey", "Cristopher Nulty"])
def test_a_typo_in_the_name(said, name):
    result = quotes_by(said, name, tenant=TERMINAL_TENANT)
    assert texts(result) == [LATEST, LATER, EARLY]


def test_a_typo_in_the_first_letter_of_a_name_in_another_script(store, digest_factory):
    """The near names are found by the key's second letter when the first is the typo, counted in
    characters (not bytes) on both databases."""
    words = "Οι γέφυρες της πόλης θα ανοίξουν ξανά την άνοιξη"
    article_store.save_digest(store, digest_factory([(words, Speaker(name="Ελένη Παπαδοπούλου", role="δήμαρχος"))],
                                                    title="Γέφυρες", url="https://gr.example/1", published="2026-03-02"),
                              tenant=TERMINAL_TENANT)
    result = quotes_by(store, "Ελένη Ταπαδοπούλου", tenant=TERMINAL_TENANT)
    assert texts(result) == [words]
    assert result.corrected


def test_an_organisation(said):
    for name in ("Harbour Transit Authority", "the harbour transit authority", "Harbor Transit Authority"):
        assert texts(quotes_by(said, name, tenant=TERMINAL_TENANT)) == [AGENCY]


def test_words_narrow_the_quotes_with_a_typo_forgiven(said):
    assert texts(quotes_by(said, "Nulty", "reviewers", tenant=TERMINAL_TENANT)) == [LATER, EARLY]
    assert texts(quotes_by(said, "Christopher Nulty", "reviewrs", tenant=TERMINAL_TENANT)) == [LATER, EARLY]
    assert texts(quotes_by(said, "Nulty", "bridge winter", tenant=TERMINAL_TENANT)) == [MAYOR]
    assert texts(quotes_by(said, "Nulty", "submarine", tenant=TERMINAL_TENANT)) == []


def test_each_workspace_sees_only_its_own_articles(said):
    assert OTHER_WORKSPACE not in texts(quotes_by(said, "Christopher Nulty", tenant=TERMINAL_TENANT))
    assert texts(quotes_by(said, "Christopher Nulty", tenant="slack:T0OTHER")) == [OTHER_WORKSPACE]
    assert texts(quotes_by(said, "Harbour Transit Authority", tenant="slack:T0OTHER")) == []
    assert texts(quotes_by(said, "Nulty", "reviewers", tenant="slack:T0NONE")) == []


def test_an_unknown_name(said):
    assert texts(quotes_by(said, "Zebedee Quark", tenant=TERMINAL_TENANT)) == []


def test_a_restored_article_keeps_one_copy_of_its_quotes(said, digest_factory):
    article_store.save_digest(said, digest_factory([(EARLY, SPOKESPERSON)], title="Code review bots, updated",
                                                   url="https://a.example/1", published="2024-02-01"), tenant=TERMINAL_TENANT)
    assert texts(quotes_by(said, "Christopher Nulty", tenant=TERMINAL_TENANT)) == [LATEST, LATER, EARLY]


# Reading the typed line

@pytest.mark.parametrize(("line", "person", "words"), [
    ("Christopher Nulty reviewers", "Christopher Nulty", "reviewers"),
    ("Nulty about code tools", "Nulty", "code tools"),
    ('"Christopher Nulty" tools', "Christopher Nulty", "tools"),
    ("Harbour Transit Authority night buses", "Harbour Transit Authority", "night buses"),
    ("Cristopher Nutly", "Cristopher Nutly", ""),
    ("Nulty: bridge", "Nulty", "bridge")])
def test_splitting_the_typed_line(said, line, person, words):
    assert split_typed(said, line) == (person, words)


# The command

def test_the_reply(app):
    reply = commands.handle_text(app, "/quotes Christopher Nulty")
    assert reply.kind == "answer" and reply.visibility == "private"
    assert reply.title == "What Christopher Nulty said"
    assert reply.summary == "3 quotes of Christopher Nulty (also written “Nulty”), newest first"
    assert [s.quote for s in reply.sections] == [LATEST, LATER, EARLY]
    assert [f.value for f in reply.sections[0].fields] == ["Christopher Nulty, communications director, Anthropic",
                                                           "Tools and buses · 2026-01-20 · Test Wire"]
    assert [link.url for link in reply.links] == ["https://a.example/3", "https://a.example/2", "https://a.example/1"]


def test_the_reply_with_words_shared_and_corrected(app):
    reply = commands.handle_text(app, "/quotes Cristopher Nutly about reviewers --share")
    assert reply.visibility == "channel"
    assert reply.title == "What Christopher Nulty said about “reviewers”"
    assert "nearest name" in reply.summary
    assert [s.quote for s in reply.sections] == [LATER, EARLY]


def test_discord_options_are_taken_as_given(app):
    invocation = commands.Invocation.of("/quotes", form="options", person="Nulty", words="bridge")
    assert [s.quote for s in commands.dispatch(app, invocation, TERMINAL).sections] == [MAYOR]


@pytest.mark.parametrize("line", ["/quotes", "/quotes  ", '/quotes ""', "/quotes " + "x" * 400])
def test_no_name_or_a_huge_one_gets_a_usage_reply(app, line):
    reply = commands.handle_text(app, line)
    assert reply.kind == "usage" and reply.visibility == "private"
    assert "/quotes Christopher Nulty about code tools" in reply.sections[0].text


def test_nothing_found(app):
    reply = commands.handle_text(app, "/quotes Zebedee Quark")
    assert reply.kind == "not_found"
    assert reply.summary == "No stored quote of Zebedee Quark. Ingest more articles, or check the name."


def test_the_migration_fills_the_keys_of_quotes_stored_before_it(empty_database_url):
    """A database at 0009 with quotes written as the code of then wrote them, upgraded: /quotes finds
    them by surname, newest first; and back to 0009."""
    store = Store(empty_database_url)
    try:
        with store.engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0009")
            for n, (published, said, name, kind) in enumerate([("2024-05-01", EARLY, "Christopher Nulty", "person"),
                                                               ("2025-05-01", LATER, "Nulty", "person"),
                                                               (None, AGENCY, "The Harbour Transit Authority", "organisation")]):
                connection.execute(text(
                    "INSERT INTO articles (id, content_hash, title, published, text, word_count, has_dispute, updated_at) "
                    "VALUES (:id, :h, :t, :p, :x, 3, false, :u)"),
                    dict(id=f"old{n}", h=f"hash{n}", t=f"Old story {n}", p=published, x=said, u="2026-11-30 10:00:00"))
                connection.execute(text(
                    "INSERT INTO quotes (article_id, position, text, start, \"end\", speaker_name, speaker_kind, kind, confidence) "
                    "VALUES (:a, 0, :x, 0, 1, :s, :k, 'direct', 0.9)"), dict(a=f"old{n}", x=said, s=name, k=kind))
                connection.execute(text("INSERT INTO article_tenants (tenant, article_id) VALUES ('terminal', :a)"),
                                   dict(a=f"old{n}"))
        store.migrate()
        assert texts(quotes_by(store, "Chris Nulty", tenant=TERMINAL_TENANT)) == [LATER, EARLY]
        assert texts(quotes_by(store, "Harbour Transit Authority", tenant=TERMINAL_TENANT)) == [AGENCY]
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT said_on FROM quotes WHERE article_id = 'old2'")).scalar() == "2026-11-30"
        with store.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0009")
            assert "speaker_key" not in {c["name"] for c in inspect(connection).get_columns("quotes")}
            assert connection.execute(text("SELECT count(*) FROM quotes")).scalar() == 3
    finally:
        store.close()


def test_words_reach_back_past_a_much_quoted_speakers_newest_quotes(store, digest_factory):
    """More quotes than bot.quotes.SCAN by one person: an old one is still found by its words (exact
    words: the full-text look-up), and a recent one with a typo forgiven."""
    for n in range(9):
        article_store.save_digest(store, digest_factory(
            [(f"Routine statement {n}-{k} on the quarterly figures", SPOKESPERSON) for k in range(50)],
            title=f"Briefing {n}", url=f"https://a.example/briefing/{n}", published=f"2026-0{n + 1}-01"), tenant=TERMINAL_TENANT)
    article_store.save_digest(store, digest_factory([("The old lighthouse will stay lit", SURNAME)], title="Old times",
                                                    url="https://a.example/old", published="2019-05-05"), tenant=TERMINAL_TENANT)
    assert texts(quotes_by(store, "Christopher Nulty", "lighthouse", tenant=TERMINAL_TENANT)) == ["The old lighthouse will stay lit"]
    recent = quotes_by(store, "Christopher Nulty", "statement 8-49 quartrly", tenant=TERMINAL_TENANT)
    assert texts(recent)[0] == "Routine statement 8-49 on the quarterly figures"
    newest = quotes_by(store, "Nulty", tenant=TERMINAL_TENANT)
    assert newest.more and len(newest.quotes) == 10 and newest.quotes[0].article.published == "2026-09-01"
