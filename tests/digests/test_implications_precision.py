"""Implications, precision first: only sentences that state a consequence of the news in so many
words (or items of an implications section). Articles written here."""

from __future__ import annotations

from spacy.language import Language

from digests.dispute import find_dispute
from digests.implications import find_implications
from tests.conftest import parse_article as parse

HEAD = """Dunmore Rail Strike Halts Trains Across the North
Train drivers at Dunmore Rail walked out on Monday, halting every Dunmore Rail service in the north for 48 hours.
"""
GOOD = "The Dunmore Rail strike could force the government to reopen talks on drivers' pay before the winter."


def texts(nlp: Language, body: str) -> list[str]:
    parsed = parse(nlp, HEAD + body)
    found = find_implications(parsed)
    for item in found:
        assert item.text == parsed.text[item.start:item.end]
    return [item.text for item in found]


def test_a_stated_consequence_of_the_news_is_kept(nlp: Language) -> None:
    assert texts(nlp, GOOD + "\nThe drivers' union has 4,000 members.") == [GOOD]


def test_a_counterfactual_answered_by_instead_is_not_an_implication(nlp: Language) -> None:
    body = ("The Dunmore Rail drivers could have accepted the offer of a 4 percent rise in March.\n"
            "Instead, the Dunmore Rail union called the strike after a vote of its members.\n"
            "Dunmore Rail managers could reshape the timetable around the strike days. "
            "But the company said on Monday it would run no trains at all.")
    assert texts(nlp, body) == []


def test_a_specification_is_not_an_implication(nlp: Language) -> None:
    body = ("The new Dunmore Rail trains will affect travel with 12 carriages of 20 m and a top speed of 125 mph.\n"
            "Each Dunmore Rail carriage could boost capacity with 80 seats and a 5 kW heater.")
    assert texts(nlp, body) == []


def test_a_dangling_this_means_and_a_link_are_not_implications(nlp: Language) -> None:
    body = ("This means that Dunmore Rail passengers should check before they travel.\n"
            "Dunmore Rail strike dates could affect you: see www.dunmore-rail.example/strike for the list.")
    assert texts(nlp, body) == []


def test_a_bare_could_and_a_noun_signal_are_not_implications(nlp: Language) -> None:
    body = ("Passengers could see the picket lines from the Dunmore Rail platforms on Monday.\n"
            "Dunmore Rail signals at the main junction were switched off at noon.")
    assert texts(nlp, body) == []


def test_a_consequence_about_something_else_is_not_an_implication(nlp: Language) -> None:
    body = GOOD + "\nThe heatwave could lead to water shortages in southern orchards this summer."
    assert texts(nlp, body) == [GOOD]


def test_a_consequence_in_quotes_is_a_claim_not_the_articles_reading(nlp: Language) -> None:
    body = '"This strike will hurt every family in the north," said Dunmore Rail chief executive Rhys Amble.'
    assert texts(nlp, body) == []


def test_an_implication_is_never_also_a_dispute_open_question(nlp: Language) -> None:
    parsed = parse(nlp, """Dunmore Rail Sues Drivers' Union Over Strike
Northline Rail Ltd sued the National Union of Train Drivers on Monday, accusing it of breaching a no-strike deal.
The National Union of Train Drivers denied the claims and said the deal had expired in May.
The lawsuit could force the union to call off the strike, raising questions about whether talks will resume.""")
    implications = find_implications(parsed)
    assert any(i.text.startswith("The lawsuit could force the union") for i in implications)
    # Without the implications the same sentence reads as an open question of the dispute.
    alone = find_dispute(parsed, [])
    assert alone is not None and any(q.startswith("The lawsuit could force") for q in alone.open_questions)
    dispute = find_dispute(parsed, [], implications)
    assert dispute is not None
    shown = {i.text for i in implications}
    assert not shown & set(dispute.open_questions)


def test_a_consequence_the_article_calls_unlikely_is_not_kept(nlp: Language) -> None:
    body = "Some experts say the Dunmore Rail strike would force fare rises, but that is not likely this year."
    assert texts(nlp, body) == []


def test_a_consequence_asked_about_or_supposed_is_not_stated(nlp: Language) -> None:
    body = ("Dunmore Rail managers discussed whether the strike would force a change to the timetable.\n"
            "Even if the union did win, the Dunmore Rail strike would hurt the company's finances for years.")
    assert texts(nlp, body) == []


def test_an_illustration_and_history_are_not_implications(nlp: Language) -> None:
    body = ("For example, a Dunmore Rail strike in one depot could lead to delays across the north.\n"
            "In 1984, Dunmore Rail managers found that a long strike could lead to lost passengers.")
    assert texts(nlp, body) == []


def test_means_that_must_look_ahead(nlp: Language) -> None:
    defined = "The Dunmore Rail walkout is an official strike, which means that the union has balloted its members."
    ahead = "The Dunmore Rail strike means that commuters will need buses for two days."
    assert texts(nlp, defined + "\n" + ahead) == [ahead]


def test_a_sentence_that_opens_with_that_would_is_dangling(nlp: Language) -> None:
    assert texts(nlp, "That would force Dunmore Rail to cancel the strike days' trains.") == []


def test_a_price_a_sign_on_a_wall_and_a_hinted_choice_are_not_implications(nlp: Language) -> None:
    body = ("A new Dunmore Rail train for the northern line would cost around £8million.\n"
            "Dunmore Rail passengers at the north station are greeted by a sign that says welcome.\n"
            "The Dunmore Rail union leader hinted that if he wanted to, he could push the strike into May.")
    assert texts(nlp, body) == []


def test_a_sign_that_as_a_reading_of_the_news_is_kept(nlp: Language) -> None:
    sign = "The Dunmore Rail strike is a sign that the drivers' union will push for a national deal."
    assert texts(nlp, sign) == [sign]
