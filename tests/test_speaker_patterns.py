"""Speaker patterns beyond a speech verb and its subject (issue 12), on sentences written for the tests."""

from __future__ import annotations

from digests import DigestEngine
from digests.models import Quote


def quotes_of(engine: DigestEngine, text: str) -> list[Quote]:
    quotes = engine.quotes(text)
    for q in quotes:
        assert q.text == text[q.start:q.end], "a quote must be verbatim in its source"
    return quotes


def speaker_of(engine: DigestEngine, text: str, fragment: str) -> Quote:
    found = [q for q in quotes_of(engine, text) if fragment in q.text]
    assert len(found) == 1, f"expected one quote containing {fragment!r}, got {[q.text for q in quotes_of(engine, text)]}"
    return found[0]


def name(quote: Quote) -> str | None:
    return quote.speaker.name if quote.speaker else None


def test_a_no_break_space_between_quotes_still_continues_the_speaker(engine):
    text = "“We lost the vote,” Maria Lopez said at the meeting.\u00a0“We will try again next year.”"
    assert name(speaker_of(engine, text, "try again")) == "Maria Lopez"


def test_pronoun_prefers_the_main_clause_subject_over_a_subordinate_one(engine):
    text = ("Tom Baker said the delay helped the council, which does not need the money to the extent that Peter Olson did.\n\n"
            "“It was the wrong call,” he said.")
    assert name(speaker_of(engine, text, "wrong call")) == "Tom Baker"


def test_a_surname_tagged_as_a_place_still_counts_as_the_person(engine):
    # The small model tags the second "Quellmark" as a place; it is still the person a "she" follows.
    text = ("Emily Quellmark met the union on Friday. Rita Sloan, the governor, arrived later. "
            "Quellmark, who leads the committee, left early.\n\n“We are not done,” she said.")
    assert name(speaker_of(engine, text, "not done")) == "Emily Quellmark"
