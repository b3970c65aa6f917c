"""/who-said: bot.whosaid.who_said over a real store, and the command's reply (bot.commands).

Every test that takes `store` runs on a SQLite file and on the PostgreSQL at 127.0.0.1:5432. The
quotes are written here, stored through `bot.store.articles.save_digest`, and found through the same calls the
platforms make.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot import commands
from bot.app import Newsdigest
from bot.commands import TERMINAL
from bot.config import Settings
from bot.store import Store
from bot.store import articles as article_store
from bot.store.channels import TERMINAL_TENANT
from bot.whosaid import who_said
from digests.models import Speaker

NULTY = Speaker(name="Christopher Nulty", role="spokesperson", org="Anthropic")
GO_TO = "Claude Code has become the go-to choice for coders everywhere"
STANDARD = "It's an industry standard practice to benchmark against competitors"
APOLOGY = "We\u2019re not going to apologise for winning"  # stored with a curly apostrophe
HARBOUR = 'The so-called "safe harbour" rule is dead, and nobody will miss it'  # straight inner quotes
SOLAR = "we will double our investment in solar power next year"
FUTURE = "Renewables are the future of this region"
FUTURE_TOO = "Renewables are the future of this region, no doubt about it"
SCARE = "a total disaster"

AI_URL = "https://news.example.com/2025/03/ai-code-tools"
ENERGY_URL = "https://news.example.com/2025/04/energy-plan"
SOUTH_URL = "https://south.example.org/region/renewables"


@pytest.fixture
def quotes(store, digest_factory) -> Store:
    """Three articles: two people saying much the same thing in two of them, and unattributed
    scare quotes that must never be answers."""
    article_store.save_digest(store, digest_factory(
        [(GO_TO, NULTY), (STANDARD, "Hannah Wong"), (APOLOGY, "Sam Reyes"), ("game-changer", None)],
        title="AI code tools race ahead", url=AI_URL, published="2025-03-14", source="Tech Wire"), tenant=TERMINAL_TENANT)
    article_store.save_digest(store, digest_factory(
        [(SOLAR, "Maria Lopez"), (FUTURE, "Tom Berg"), (HARBOUR, "Ines Duarte"), (SCARE, None)],
        title="The energy plan", url=ENERGY_URL, published="2025-04-02", source="City Paper"), tenant=TERMINAL_TENANT)
    article_store.save_digest(store, digest_factory(
        [(FUTURE_TOO, "Ana Silva")], title="Southern renewables", url=SOUTH_URL, published="2025-05-20",
        source="South Daily"), tenant=TERMINAL_TENANT)
    return store


@pytest.fixture
def app(quotes, tmp_path) -> Newsdigest:
    return Newsdigest(Settings(_env_file=None, data_dir=tmp_path / "data"), store=quotes)


def speakers(result) -> list[str]:  # noqa: ANN001 - a WhoSaid
    return [m.quote.speaker.name for m in result.matches]


# Finding the quote

def test_the_exact_fragment(quotes):
    result = who_said(quotes, "the go-to choice for coders", tenant=TERMINAL_TENANT)
    assert speakers(result) == ["Christopher Nulty"]
    assert result.matches[0].quote.text == GO_TO
    assert result.matches[0].score == 100
    assert result.matches[0].quote.article.url == AI_URL
    assert result.near == []


@pytest.mark.parametrize("fragment", ["THE GO-TO CHOICE FOR CODERS", "The Go-To Choice For Coders", "tHe gO-tO cHoIcE"])
def test_any_case(quotes, fragment):
    assert speakers(who_said(quotes, fragment, tenant=TERMINAL_TENANT)) == ["Christopher Nulty"]


@pytest.mark.parametrize(("fragment", "speaker"), [
    ('"go-to choice for coders"', "Christopher Nulty"),
    ("\u201cgo-to choice for coders\u201d", "Christopher Nulty"),
    ("\u2018go-to choice for coders\u2019", "Christopher Nulty"),
    ("'go-to choice for coders'", "Christopher Nulty"),
    ("\u00abgo-to choice for coders\u00bb", "Christopher Nulty"),
    ("it's an industry standard", "Hannah Wong"),  # stored with a straight apostrophe
    ("it\u2019s an industry standard", "Hannah Wong"),
    ("\u201cit\u2019s an industry standard\u201d", "Hannah Wong"),
    ("we're not going to apologise", "Sam Reyes"),  # stored with a curly one
    ("we\u2019re not going to apologise", "Sam Reyes"),
    ('the so-called "safe harbour" rule', "Ines Duarte"),  # inner quotes as stored
    ("the so-called \u201csafe harbour\u201d rule", "Ines Duarte"),
    ("the so-called \u2018safe harbour\u2019 rule", "Ines Duarte"),
    ("\u201cthe so-called \u2018safe harbour\u2019 rule\u201d", "Ines Duarte"),
])
def test_straight_and_curly_quotes_and_apostrophes(quotes, fragment, speaker):
    result = who_said(quotes, fragment, tenant=TERMINAL_TENANT)
    assert speakers(result) == [speaker]
    assert result.matches[0].score >= 95


@pytest.mark.parametrize(("fragment", "speaker"), [
    ("industy standrd", "Hannah Wong"),
    ("an industry standrd practice", "Hannah Wong"),
    ("the go-to choise for coders", "Christopher Nulty"),
    ("double our invesment in solar", "Maria Lopez"),
])
def test_a_typo(quotes, fragment, speaker):
    assert speakers(who_said(quotes, fragment, tenant=TERMINAL_TENANT)) == [speaker]


@pytest.mark.parametrize(("fragment", "speaker"), [
    ("Claude Code has become go-to choice for coders", "Christopher Nulty"),
    ("the go-to choice coders", "Christopher Nulty"),
    ("we will double investment in solar power", "Maria Lopez"),
])
def test_a_missing_word(quotes, fragment, speaker):
    assert speakers(who_said(quotes, fragment, tenant=TERMINAL_TENANT)) == [speaker]


def test_two_people_with_matching_quotes_are_both_answers(quotes, app):
    assert sorted(speakers(who_said(quotes, "renewables are the future of this region", tenant=TERMINAL_TENANT))) == ["Ana Silva", "Tom Berg"]
    reply = commands.who_said(app, "renewables are the future of this region", channel=TERMINAL)
    assert reply.kind == "answer"
    assert len(reply.sections) == 2
    said_by = sorted(f.value for s in reply.sections for f in s.fields if f.name == "Said by")
    assert said_by == ["Ana Silva", "Tom Berg"]
    assert sorted(s.quote for s in reply.sections) == sorted([FUTURE, FUTURE_TOO])
    assert "2 people" in reply.summary
    assert "Ana Silva" in reply.summary and "Tom Berg" in reply.summary
    assert sorted(link.url for link in reply.links) == sorted([ENERGY_URL, SOUTH_URL])


def test_no_match_offers_the_closest_quotes(quotes, app):
    fragment = "double our investment in wind turbines and coal plants"
    result = who_said(quotes, fragment, tenant=TERMINAL_TENANT)
    assert result.matches == []
    assert [m.quote.text for m in result.near] == [SOLAR]
    reply = commands.who_said(app, fragment, channel=TERMINAL)
    assert reply.kind == "not_found"
    assert "closest" in reply.summary
    assert [s.quote for s in reply.sections if s.quote] == [SOLAR]
    assert any(f.value == "Maria Lopez" for s in reply.sections for f in s.fields)


def test_no_match_and_nothing_near(quotes, app):
    result = who_said(quotes, "purple elephants dance on the moon", tenant=TERMINAL_TENANT)
    assert (result.matches, result.near) == ([], [])
    reply = commands.who_said(app, "purple elephants dance on the moon", channel=TERMINAL)
    assert reply.kind == "not_found"
    assert [s.quote for s in reply.sections if s.quote] == []
    assert "purple elephants dance on the moon" in reply.summary


@pytest.mark.parametrize("fragment", [SCARE, "total disaster", "game-changer", "game changer"])
def test_an_unattributed_quote_is_never_an_answer(quotes, app, fragment):
    result = who_said(quotes, fragment, tenant=TERMINAL_TENANT)
    assert result.matches == []
    assert all(m.quote.speaker is not None for m in result.near)
    assert all(m.quote.text not in {SCARE, "game-changer"} for m in result.near)
    reply = commands.who_said(app, fragment, channel=TERMINAL)
    assert reply.kind == "not_found"
    assert all(s.quote not in {SCARE, "game-changer"} for s in reply.sections)
    assert "unattributed" not in str(reply.model_dump())


# The command's reply

def test_the_reply_names_the_speaker_article_title_date_and_link(app):
    reply = commands.who_said(app, "go-to choice for coders", channel=TERMINAL)
    assert reply.kind == "answer"
    assert reply.title == "Who said “go-to choice for coders”"
    assert GO_TO in reply.summary and "Christopher Nulty" in reply.summary
    (section,) = reply.sections
    assert section.quote == GO_TO
    fields = {f.name: f.value for f in section.fields}
    assert fields["Said by"] == "Christopher Nulty, spokesperson, Anthropic"
    assert "AI code tools race ahead" in fields["In"]
    assert "2025-03-14" in fields["In"]
    assert "Tech Wire" in fields["In"]
    assert [(link.label, link.url) for link in reply.links] == [("AI code tools race ahead", AI_URL)]


def test_the_reply_is_private_unless_shared(app):
    assert commands.who_said(app, "go-to choice for coders", channel=TERMINAL).visibility == "private"
    assert commands.who_said(app, "go-to choice for coders", share=True, channel=TERMINAL).visibility == "channel"
    assert commands.who_said(app, "purple elephants", share=True, channel=TERMINAL).visibility == "channel"
    assert commands.who_said(app, "purple elephants", channel=TERMINAL).visibility == "private"
    shared = commands.handle_text(app, '/who-said "go-to choice for coders" --share')
    assert (shared.kind, shared.visibility) == ("answer", "channel")
    typed = commands.handle_text(app, '/Who-Said "go-to choice for coders"')
    assert (typed.kind, typed.visibility) == ("answer", "private")
    assert typed.sections[0].quote == GO_TO


@pytest.mark.parametrize("fragment", ["", "   ", '""', "\u201c\u201d", "''", "x" * 10_000, "go-to choice " * 800])
def test_an_empty_or_huge_fragment_gets_a_usage_reply(app, fragment):
    reply = commands.who_said(app, fragment, channel=TERMINAL)
    assert reply.kind == "usage"
    assert reply.visibility == "private"
    assert reply.sections and reply.sections[0].text
    assert commands.handle_text(app, f"/who-said {fragment}").kind == "usage"


@pytest.mark.parametrize("fragment", [
    '"', "*", "NEAR", "'", "%", "AND OR NOT", "(", ")", ":", "^", "-", "_", "\\", "NEAR(go-to choice)",
    "go-to choice AND OR NOT", "coders*", "choice:*", "^go-to", "-choice", "choice & coders | !x", "100%",
    "%choice%", "go_to", "it's", "''go-to'' choice", '"go-to" "choice"', "(go-to) (choice)",
    "{go-to}[choice]", "go-to\nchoice\tfor\rcoders", "go-to choice\x00 for coders", "\u200bgo-to choice",
])
def test_query_syntax_in_a_fragment_is_plain_text(quotes, app, fragment):
    result = who_said(quotes, fragment, tenant=TERMINAL_TENANT)
    assert all(m.quote.speaker is not None for m in result.matches + result.near)
    reply = commands.who_said(app, fragment, channel=TERMINAL)
    assert reply.kind in {"answer", "not_found", "usage"}
    if reply.kind == "usage":  # only a fragment that is nothing but quote marks
        assert not fragment.strip(" \"'")
    assert commands.handle_text(app, f"/who-said {fragment}").kind == reply.kind


@pytest.mark.parametrize("fragment", [
    'go-to "choice" for coders', "go-to choice* for coders", "NEAR the go-to choice for coders",
    "(go-to choice) for: coders", "^go-to choice for -coders",
    "go-to % choice _ for coders",
])
def test_query_syntax_around_the_words_still_finds_the_quote(quotes, app, fragment):
    assert speakers(who_said(quotes, fragment, tenant=TERMINAL_TENANT)) == ["Christopher Nulty"]
    assert commands.who_said(app, fragment, channel=TERMINAL).kind == "answer"


# A store that cannot be used

@pytest.fixture(params=["damaged-sqlite", "closed-postgresql-port"])
def broken_store(request, tmp_path) -> Iterator[Store]:
    if request.param == "damaged-sqlite":
        path = tmp_path / "newsdigest.db"
        path.write_bytes(b"this is not a database " * 400)
        store = Store(f"sqlite:///{path}")
    else:
        store = Store("postgresql://postgres:secret@127.0.0.1:1/x")
    yield store
    store.close()


@pytest.mark.parametrize("text", ["/who-said x", '/who-said "go-to choice for coders"', "/who-said renewables --share"])
def test_a_broken_store_gives_an_error_reply_not_an_exception(broken_store, tmp_path, caplog, text):
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path / "data"), store=broken_store)
    with caplog.at_level(logging.ERROR):
        reply = commands.handle_text(app, text)
    assert reply.kind == "error"
    assert reply.visibility == "private"
    assert "database" in reply.summary
    assert "store unavailable" in caplog.text  # the operator is told why
    assert "secret" not in caplog.text and "secret" not in str(reply.model_dump())
