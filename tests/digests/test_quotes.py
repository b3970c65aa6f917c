"""Quote finding and speaker attribution, one pattern per test, on sentences written for the tests."""

from __future__ import annotations

import pytest

from digests import DigestEngine
from digests.models import Quote


def quotes_of(engine: DigestEngine, text: str) -> list[Quote]:
    quotes = engine.quotes(text)
    for q in quotes:
        assert q.text == text[q.start:q.end], "a quote must be verbatim in its source"
    return quotes


def only(quotes: list[Quote], fragment: str) -> Quote:
    found = [q for q in quotes if fragment in q.text]
    assert len(found) == 1, f"expected one quote containing {fragment!r}, got {[q.text for q in quotes]}"
    return found[0]


def test_speaker_after_quote_with_curly_marks(engine):
    text = "The company lost the case on Monday.\n\n“We will appeal this decision,” Maria Lopez said."
    q = only(quotes_of(engine, text), "We will appeal")
    assert q.text == "We will appeal this decision"  # the attribution comma is the writer's
    assert q.speaker is not None and q.speaker.name == "Maria Lopez"
    assert q.kind == "direct"
    assert q.confidence >= 0.8


def test_inverted_said_with_appositive_role_and_org(engine):
    text = ("The merger was blocked by regulators.\n\n"
            "\"The ruling ignores the facts,\" said Daniel Brooks, a lawyer for Microsoft.")
    q = only(quotes_of(engine, text), "ruling ignores")
    assert q.speaker is not None
    assert q.speaker.name == "Daniel Brooks"
    assert q.speaker.role == "lawyer"
    assert q.speaker.org == "Microsoft"


def test_title_and_organisation_before_the_name_are_split(engine):
    text = ("Shares fell sharply after the announcement.\n\n"
            "“The numbers speak for themselves,” Microsoft spokesperson Karen Hill told Reuters.")
    q = only(quotes_of(engine, text), "numbers speak")
    assert q.speaker is not None
    assert (q.speaker.name, q.speaker.role, q.speaker.org) == ("Karen Hill", "spokesperson", "Microsoft")
    assert q.cue == "told Reuters"


def test_speaker_before_the_quote_with_a_colon(engine):
    text = "The senator was blunt about the bill.\n\nSenator Robert Hale said: “This bill will not pass the Senate this year.”"
    q = only(quotes_of(engine, text), "This bill")
    assert q.speaker is not None and q.speaker.name == "Robert Hale"


def test_according_to(engine):
    text = ("The plan had little support in the chamber.\n\n"
            "The proposal was “dead on arrival,” according to Thomas Reed, who chairs the committee.")
    q = only(quotes_of(engine, text), "dead on arrival")
    assert q.speaker is not None and q.speaker.name == "Thomas Reed"
    assert q.kind == "partial"


def test_surname_resolves_to_the_full_name_with_its_role(engine):
    text = ("“We saw a clear breach of the contract,” Google spokesperson Alan Porter told Wired.\n\n"
            "Later, Google's Porter clarified that some access for \"research and testing\" remained allowed.")
    quotes = quotes_of(engine, text)
    q = only(quotes, "research and testing")
    assert q.speaker is not None
    assert q.speaker.name == "Alan Porter"
    assert q.speaker.role == "spokesperson" and q.speaker.org == "Google"
    assert q.kind == "partial"


def test_pronoun_resolves_to_the_compatible_person(engine):
    text = ("Emily Carter met Robert Evans at the summit in Geneva on Tuesday.\n\n"
            "“We agreed on nothing at all,” she said after the meeting.")
    q = only(quotes_of(engine, text), "agreed on nothing")
    assert q.speaker is not None and q.speaker.name == "Emily Carter"
    assert q.confidence < 0.8  # a resolved pronoun is less certain than a name


def test_second_quote_in_a_paragraph_inherits_the_speaker(engine):
    text = ("“The launch went well,” Daniel Brooks told reporters. “We expect more customers next year.”\n\n"
            "The shares rose five percent.")
    q = only(quotes_of(engine, text), "We expect more")
    assert q.speaker is not None and q.speaker.name == "Daniel Brooks"


def test_quote_running_over_paragraphs_keeps_its_speaker(engine):
    text = ("Mayor Linda Park said the flood was the worst in decades: “The water came up faster than anyone expected. "
            "We had families on rooftops within an hour.\n\n"
            "“We will rebuild every one of those homes, and we will do it this year.”\n\n"
            "The city council meets on Friday.")
    quotes = quotes_of(engine, text)
    q = only(quotes, "rebuild every one")
    assert q.speaker is not None and q.speaker.name == "Linda Park"
    first = only(quotes, "water came up")
    assert first.speaker is not None and first.speaker.name == "Linda Park"


def test_document_speaks_for_its_owner(engine):
    text = ("The dispute is about how the model was used.\n\n"
            "Google's commercial terms prohibit customers from using the service to \"build a competing product\".")
    q = only(quotes_of(engine, text), "build a competing product")
    assert q.speaker is not None
    assert q.speaker.name == "Google"
    assert q.speaker.kind == "document"


def test_nominal_speaker_is_kept_as_written_with_low_confidence(engine):
    text = "The airline cancelled two hundred flights.\n\n“We apologise to every passenger affected,” a spokeswoman said."
    q = only(quotes_of(engine, text), "We apologise")
    assert q.speaker is not None
    assert q.speaker.kind == "nominal"
    assert "spokeswoman" in q.speaker.name
    assert q.confidence < 0.5


@pytest.mark.parametrize("text", [
    "Critics said the so-called “experts” had never visited the region, and the report was withdrawn.",
    "She starred in “The Long Winter” and in two other films before she turned twenty years old.",
    "The campaign posted the video at 9 a.m. with the id “681365594273267717” and deleted it an hour later.",
])
def test_scare_quotes_titles_and_identifiers_are_not_quotes(engine, text):
    assert quotes_of(engine, text) == []


def test_unsupported_quote_is_left_unattributed(engine):
    text = ("The storm hit the coast overnight and many roads were closed.\n\n"
            "“Nobody could have predicted how quickly the river would rise.”")
    q = only(quotes_of(engine, text), "Nobody could")
    assert q.speaker is None
    assert q.confidence == 0.0


def test_communication_verb_outside_the_speech_list_attributes_at_medium_confidence(engine):
    text = "Maria Lopez dubbed the proposal a “tax on ambition” during a town hall on Friday."
    q = only(quotes_of(engine, text), "tax on ambition")
    assert q.speaker is not None and q.speaker.name == "Maria Lopez"
    assert 0.6 <= q.confidence < 0.8


def test_reporting_noun_gives_its_owner(engine):
    text = "Tom Becker’s pledge to stay “strictly neutral” in the talks drew criticism from both parties."
    q = only(quotes_of(engine, text), "strictly neutral")
    assert q.speaker is not None and q.speaker.name == "Tom Becker"
    assert q.confidence < 0.8


@pytest.mark.parametrize("text", [
    "Prices rose again in March. As Anna Kowalski put it, “a family budget here simply does not stretch "
    "to the end of the month any more.”",
    "“A family budget here simply does not stretch to the end of the month,” as Anna Kowalski puts it.",
])
def test_as_someone_puts_it(engine, text):
    q = only(quotes_of(engine, text), "amily budget")
    assert q.speaker is not None and q.speaker.name == "Anna Kowalski"
    # "as X puts it" names the words as X's as surely as "said" (digests/cues.py, as_put).
    assert q.path == "speech verb" and q.confidence >= 0.8


def test_short_phrase_a_cue_reports_is_kept_without_a_speaker(engine):
    # "Critics" names nobody, but "decried" reports the words: a quotation, not a scare quote.
    text = "At the packed meeting, critics decried the “reckless spending” that had emptied the reserve fund."
    q = only(quotes_of(engine, text), "reckless spending")
    assert q.speaker is None or q.speaker.kind == "nominal"


@pytest.mark.parametrize("text", [
    "Many readers wrote in to complain about the word “Nevertheless” in the opening line of the column.",
    "She was best known as a regular guest on NBC’s “Evening Roundup” for much of the decade.",
    "Her teammates gave her a nickname, “Birdie,” after her first season with the club.",
    "Outside the hall a man held up a sign reading “Save Our Park” for most of the afternoon.",
])
def test_words_titles_nicknames_and_signs_are_not_quotations(engine, text):
    assert quotes_of(engine, text) == []


def test_title_in_an_attributed_sentence_gets_no_speaker(engine):
    text = "“We were wrong about the timing,” Paul Adeyemi said in an interview with “Sunday Morning Report.”"
    quotes = quotes_of(engine, text)
    assert [q.text for q in quotes] == ["We were wrong about the timing"]
    assert quotes[0].speaker is not None and quotes[0].speaker.name == "Paul Adeyemi"


def test_abbreviations_do_not_end_the_sentence_that_holds_the_cue(engine):
    text = ("The vote was close. Gov. Linda Marsh of Ore. told reporters on Tuesday the measure was "
            "“a very bad idea for the state and for every county in it.”")
    q = only(quotes_of(engine, text), "very bad idea")
    assert q.speaker is not None and q.speaker.name == "Linda Marsh"


def test_each_quote_says_which_rule_attributed_it(engine):
    text = ("“We will appeal this decision,” Maria Lopez said on Monday. “The ruling ignores the evidence.”\n\n"
            "“It cannot stand.”")
    quotes = quotes_of(engine, text)
    assert [q.path for q in quotes] == ["speech verb", "inherited in the paragraph", "inherited across paragraphs"]
    assert quotes[2].confidence < 0.6  # across a paragraph break: the low band
    assert "path" not in quotes[0].model_dump()  # measured, never shown


def test_colon_lead_sentence_runs_past_an_abbreviation(engine):
    text = ("The hearing ran late. Afterwards Sen. Paula Ortiz of N.M. went on:\n\n"
            "“Nobody in this room believes the schedule can hold past the spring.”")
    q = only(quotes_of(engine, text), "Nobody in this room")
    assert q.speaker is not None and q.speaker.name == "Paula Ortiz"


def test_show_named_after_said_on_is_not_a_quotation(engine):
    text = "“We have the votes,” Ortiz said on “Morning Brief” as the session opened."
    assert [q.text for q in quotes_of(engine, text)] == ["We have the votes"]


def test_single_capitalised_word_is_a_name_not_a_quotation(engine):
    assert quotes_of(engine, "Ortiz said she watches “Horizon” every week with her two children.") == []


def test_one_word_utterance_is_still_a_quotation(engine):
    text = "Asked on Friday whether the bill would pass, Paula Ortiz said, “Probably.”"
    q = only(quotes_of(engine, text), "Probably")
    assert q.speaker is not None and q.speaker.name == "Paula Ortiz"


def test_a_letter_or_the_words_still_introduce_quotations(engine):
    text = ("In a letter to members, the union’s president, Dana Whitfield, wrote, “We will not accept this offer.” "
            "She closed with the words “see you on the picket line.”")
    quotes = quotes_of(engine, text)
    assert {q.text for q in quotes} == {"We will not accept this offer.", "see you on the picket line."}


def test_title_abbreviations_do_not_end_the_sentence(engine):
    # "Det." ends no sentence: the name after it is still the subject of "told".
    text = "The deal collapsed on Friday. “Nobody saw this coming,” Det. Sgt. Ann Cole told reporters outside."
    q = only(quotes_of(engine, text), "Nobody saw")
    assert q.speaker is not None and q.speaker.name == "Ann Cole"
