"""Disputes only where two actors oppose each other: both parties are people or organisations that
act or speak in the article. Articles written here."""

from __future__ import annotations

from spacy.language import Language

from digests.conflict import is_actor_name
from digests.dispute import find_dispute
from digests.models import Quote, Speaker
from digests.parsed import ParsedArticle
from tests.conftest import parse_article as parse


def quote(parsed: ParsedArticle, text: str, name: str, org: str | None) -> Quote:
    start = parsed.text.index(text)
    return Quote(text=text, start=start, end=start + len(text), speaker=Speaker(name=name, org=org),
                 kind="direct", confidence=0.9)


def names(parsed: ParsedArticle, quotes: list[Quote]) -> list[str] | None:
    dispute = find_dispute(parsed, quotes)
    return None if dispute is None else [party.name for party in dispute.parties]


def test_an_accusation_and_a_denial_make_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Microsoft Accuses Google of Copying Search Code
Microsoft accused Google on Thursday of copying code from its Bing search engine.
Google denied the accusation in a statement on Friday.
Both companies sell advertising on their search pages.""")
    dispute = find_dispute(parsed, [])
    assert dispute is not None
    assert [party.name for party in dispute.parties] == ["Microsoft", "Google"]
    assert dispute.headline.startswith("Microsoft vs Google")


def test_a_demand_and_a_refusal_make_a_dispute(nlp: Language) -> None:
    parsed = parse(nlp, """Teachers Demand Pay Rise
The National Education Union demanded a pay rise from the Department for Education on Monday.
The Department for Education refused the demand and said the budget was fixed until April.""")
    assert names(parsed, []) == ["National Education Union", "Department for Education"]


def test_a_party_that_never_acts_or_speaks_is_not_a_party(nlp: Language) -> None:
    # Samsung is only talked about: it never answers, acts or is quoted.
    parsed = parse(nlp, """Regulators Look at Samsung Phones
Apple spokesperson Tara Venn said the lawsuit against Samsung was filed on Monday.
Venn said the patents covered the way phones unlock with a face.
The case will be heard in California next year.""")
    said = quote(parsed, "the patents covered the way phones unlock with a face", "Tara Venn", "Apple")
    assert names(parsed, [said]) is None


def test_a_silent_party_with_a_quote_of_its_own_is_heard(nlp: Language) -> None:
    parsed = parse(nlp, """Apple Sues Samsung Over Face Unlock
Apple sued Samsung on Monday over the way its phones unlock with a face.
"We invented this and we will protect it," said Apple spokesperson Tara Venn.
"The claims have no basis," Samsung spokesperson Min Park said.""")
    apple = quote(parsed, "We invented this and we will protect it,", "Tara Venn", "Apple")
    samsung = quote(parsed, "The claims have no basis,", "Min Park", "Samsung")
    assert names(parsed, [apple, samsung]) == ["Apple", "Samsung"]


def test_a_thing_is_never_a_party(nlp: Language) -> None:
    assert not is_actor_name("IPO")
    assert not is_actor_name("Ocean Monument + Added Banners")
    assert is_actor_name("Salesforce") and is_actor_name("Jane Rivera")
    parsed = parse(nlp, """Startup Delays Its IPO
Investors criticised the IPO after the shares fell 20 percent on the first day.
The IPO defended its price in a filing, the company's lawyers said.
Brightline Robotics said it would list again next year.""")
    dispute = find_dispute(parsed, [])
    assert dispute is None or "IPO" not in {party.name for party in dispute.parties}


def test_praise_is_not_a_conflict(nlp: Language) -> None:
    parsed = parse(nlp, """Author Talks to the BBC
Author Mira Sand told the BBC on Tuesday that the interviewer had been generous and fair.
The BBC said the interview would air on Sunday evening.""")
    assert find_dispute(parsed, []) is None


def test_a_lawsuit_filed_against_and_a_relative_clause_accuser(nlp: Language) -> None:
    parsed = parse(nlp, """Harbor Games Takes Vexel to Court
Harbor Games filed a lawsuit against Vexel Studios on Monday over the rights to its racing engine.
Vexel Studios rejected the claims and said the engine was its own work.""")
    assert names(parsed, []) == ["Harbor Games", "Vexel Studios"]
    parsed = parse(nlp, """Testimony in the Engine Case
Mark Pell testified on Tuesday in a lawsuit brought by Harbor Games, which accuses Vexel Studios of copying code.
Vexel Studios denied copying any code.""")
    assert names(parsed, []) == ["Harbor Games", "Vexel Studios"]


def test_hitting_out_at_a_rival_who_answers(nlp: Language) -> None:
    parsed = parse(nlp, """Singer Hits Out at Rival
Pop star Lena Voss hit out at singer Mara Quist on Sunday over a song she says was copied.
Mara Quist rejected the claim and said she had written the song in 2019.""")
    assert names(parsed, []) == ["Lena Voss", "Mara Quist"]
    parsed = parse(nlp, """Record Sales
Singer Lena Voss hit a record of ten million sales on Sunday with her new album.
Mara Quist said she had written a song for the album in 2019.""")
    assert find_dispute(parsed, []) is None
