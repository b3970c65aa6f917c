"""digests.language and the engine's language gate: a page not in English is said to be so and gets
only its title, date and lead, never the English model's quotes, entities, implications or dispute."""

from __future__ import annotations

import pytest

from bot.html import extract_html
from digests.language import detect_language, language_note
from digests.leadtldr import lead_tldr
from digests.models import ArticleMeta
from digests.segment import segment

GERMAN = """Hafenrat beschließt Neubau der Nordmole

Der Hafenrat hat am Montag beschlossen, die Nordmole nach den schweren Winterstürmen neu zu bauen. Die Stürme hatten das Deck an drei Stellen aufgerissen. „Wir haben keine Wahl mehr", sagte die Vorsitzende Dr. Anna Keller nach der Sitzung.

Die Arbeiten beginnen im April und sollen elf Monate dauern. In dieser Zeit legen die Fähren am Südkai an, teilte der Rat mit.

Die Fischer begrüßten die Entscheidung, forderten aber einen provisorischen Anleger in der Nähe des Fischmarkts.
"""
KOREAN = """항만 위원회, 북쪽 부두 재건 결정

항만 위원회는 월요일 겨울 폭풍으로 갑판 세 곳이 갈라진 북쪽 부두를 다시 짓기로 결정했다. 공사는 4월에 시작해 11개월 동안 진행될 예정이다. "더 이상 선택의 여지가 없다"고 위원장은 회의 뒤 말했다.

공사 기간 동안 여객선은 남쪽 부두에 정박한다고 위원회는 밝혔다. 어민들은 결정을 환영하면서도 수산시장 근처에 임시 선착장을 요구했다.
"""
FRENCH = """Le conseil du port a décidé lundi de reconstruire la jetée nord après que les tempêtes d'hiver ont fissuré son tablier à trois endroits. « Nous n'avons plus le choix », a déclaré la présidente Anne Keller après la réunion. Les travaux commenceront en avril et dureront onze mois, pendant lesquels les ferries accosteront au quai sud. Les pêcheurs ont salué la décision mais ont demandé un ponton provisoire près du marché aux poissons."""
ENGLISH = """The harbour board agreed on Monday to rebuild the north pier after winter storms cracked its deck in three places. "We have no choice left," said the board's chair, Anna Keller, after the meeting. Work starts in April and should take eleven months, during which ferries will dock at the south quay instead."""


@pytest.mark.parametrize(("text", "code"), [(GERMAN, "de"), (KOREAN, "ko"), (FRENCH, "fr"), (ENGLISH, "en")])
def test_detect_language(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_unsure_or_empty_text_counts_as_english() -> None:
    assert detect_language("") == "en"
    assert detect_language("OK 42") == "en"


def test_language_note_names_the_language_only_for_other_languages() -> None:
    note = language_note("de")
    assert note is not None and "German" in note and "\n" not in note
    assert language_note("en") is None and language_note(None) is None


def test_lead_tldr_is_whole_sentences_of_the_first_paragraph() -> None:
    layout = segment(GERMAN)
    tldr = lead_tldr(layout)
    assert tldr == ["Der Hafenrat hat am Montag beschlossen, die Nordmole nach den schweren Winterstürmen neu zu bauen.",
                    "Die Stürme hatten das Deck an drei Stellen aufgerissen."]
    assert all(item in layout.text for item in tldr)


def test_lead_tldr_does_not_cut_at_an_abbreviation() -> None:
    layout = segment("Überschrift\n\nDr. Anna Keller vom Hafenrat sagte am Montag, die Mole werde neu gebaut. Die Fähren legen am Südkai an.\n\nMehr folgt.")
    assert lead_tldr(layout)[0].startswith("Dr. Anna Keller vom Hafenrat sagte")


@pytest.mark.parametrize("text", [GERMAN, KOREAN, FRENCH])
def test_digest_of_a_page_in_another_language_says_so_and_keeps_only_title_date_and_lead(engine, text: str) -> None:
    digest = engine.digest(text, ArticleMeta(title="Nordmole", published="2025-03-10"))
    assert digest.article.language in ("de", "ko", "fr")
    assert digest.article.title == "Nordmole" and digest.article.published == "2025-03-10"
    assert digest.quotes == [] and digest.entities == [] and digest.implications == [] and digest.dispute is None
    assert 1 <= len(digest.tldr) <= 2
    for item in digest.tldr:
        assert item in digest.article.text and item.rstrip("\"'\u201d\u00bb").endswith((".", "!", "?"))


def test_digest_of_an_english_article_is_marked_english_and_has_quotes(engine) -> None:
    digest = engine.digest(ENGLISH)
    assert digest.article.language == "en"
    assert any("no choice left" in q.text for q in digest.quotes)


def test_html_page_in_another_language_keeps_its_title(engine) -> None:
    body = "".join(f"<p>{p}</p>" for p in GERMAN.split("\n\n")[1:])
    html = (f"<html lang='de'><head><title>Hafenrat beschließt Neubau der Nordmole | Küstenbote</title>"
            f"<meta property='og:site_name' content='Küstenbote'></head><body><article>{body}</article></body></html>")
    text, meta = extract_html(html)
    digest = engine.digest(text, meta)
    assert digest.article.language == "de"
    assert digest.article.title == "Hafenrat beschließt Neubau der Nordmole"
    assert digest.tldr[0].startswith("Der Hafenrat hat am Montag beschlossen")


def test_every_renderer_says_an_article_is_not_in_english(engine) -> None:
    from adapters.discord import render as discord_render
    from adapters.slack import render as slack_render
    from adapters.terminal.render import to_markdown
    from tests.fakes.slack_server import texts

    digest = engine.digest(GERMAN)
    [note] = digest.article.notes
    assert note.startswith("This article is in German")
    assert note in to_markdown(digest)
    assert note in "\n".join(texts(slack_render.digest_messages(digest)[0].payload()))
    embeds = discord_render.digest_embeds(digest)
    assert any(note in (embed.description or "") for embed in embeds)
    assert engine.digest(ENGLISH).article.notes == []
