"""The grounding checks of a model's answer (digests/grounding.py), pure text logic: sentences the
tests write, one pattern each; and the Digest model's own check of what a grounded digest cites."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from digests.grounding import Answer, unsupported
from digests.models import Claim, Digest, Grounding, Span
from tests.conftest import make_digest


def spans(*texts: str) -> list[Span]:
    out, at = [], 0
    for text in texts:
        out.append(Span(text=text, start=at, end=at + len(text)))
        at += len(text) + 1
    return out


SOURCE = spans("The new bridge over the Waikato was opened by Kiri Moana on Sunday, three years late.",
               "It cost 1,200 million dollars, 12% more than planned, the council said in March.")


@pytest.mark.parametrize("sentence", [
    "Kiri Moana opened the Waikato bridge on Sunday.",
    "Kiri Moana's bridge opened three years late.",  # a possessive is the name
    "The bridge cost 1200 million dollars, 12 percent over plan.",  # separators of numbers do not matter
    "The bridge opened 3 years late.",  # a number word of the source as a digit
    "Bridge costs rose, the council said in March.",  # a capitalised opening word the source has in lower case
    'The council said the cost rose by "12% more than planned".',  # quoted words the source has
])
def test_a_sentence_whose_names_numbers_and_dates_are_in_its_sources_is_supported(sentence):
    assert unsupported(sentence, SOURCE) == []


@pytest.mark.parametrize(("sentence", "missing"), [
    ("Tama Hale opened the Waikato bridge.", ["Tama", "Hale"]),  # a name the sources do not have
    ("The bridge cost 1,300 million dollars.", ["1,300"]),  # a number
    ("The bridge opened five years late.", ["five"]),  # a number word
    ("Kiri Moana opened the bridge on Monday.", ["Monday"]),  # a day
    ("The council said in April that costs rose.", ["April"]),  # a month
    ('Kiri Moana called it "a triumph for the region".', ["\u201ca triumph for the region\u201d"]),  # an invented quote
    ("Moana said the bridge opened in 2024.", ["2024"]),  # a year
])
def test_a_name_number_date_or_quote_not_in_the_sources_is_reported(sentence, missing):
    assert unsupported(sentence, SOURCE) == missing


def test_the_answer_schema_admits_no_quote_text_and_no_extra_field():
    schema = Answer.model_json_schema()
    assert set(schema["properties"]) == {"tldr", "implications", "dispute", "speakers"}
    assert schema["additionalProperties"] is False
    with pytest.raises(ValidationError):
        Answer.model_validate({"tldr": [], "implications": [], "dispute": None, "speakers": [],
                               "quotes": [{"text": "new words"}]})


def _grounded(**grounding: object) -> dict:
    digest = make_digest([("we will reopen the bridge", "Ana Silva")], intro="The bridge reopens in May. Ana Silva runs it.")
    source = Span(text="The bridge reopens in May.", start=0, end=26)
    claim = Claim(text="The bridge opens again in May.", kind="abstractive", sources=[source])
    fields = {"model": "m", "tldr": [claim], **grounding}
    return {**digest.model_dump(), "tldr": [claim.text], "grounding": fields}


def test_a_grounded_digest_holds_when_it_cites_the_article_text():
    digest = Digest.model_validate(_grounded())
    assert digest.grounding is not None and digest.grounding.tldr[0].sources[0].text == "The bridge reopens in May."


def test_a_grounded_digest_citing_words_not_at_their_offsets_is_refused():
    bad = Claim(text="The bridge reopens in June.", kind="abstractive",
                sources=[Span(text="The bridge reopens in June.", start=0, end=27)])
    with pytest.raises(ValidationError, match="cited sentence 'The bridge reopens in June.' is not article.text"):
        Digest.model_validate({**_grounded(tldr=[bad]), "tldr": [bad.text]})


def test_an_extractive_claim_must_be_one_of_its_sources_and_the_tldr_must_be_the_claims():
    source = Span(text="The bridge reopens in May.", start=0, end=26)
    reworded = Claim(text="The bridge reopens soon.", kind="extractive", sources=[source])
    with pytest.raises(ValidationError, match="extractive claim"):
        Digest.model_validate({**_grounded(tldr=[reworded]), "tldr": [reworded.text]})
    with pytest.raises(ValidationError, match="grounding.tldr does not match the TL;DR"):
        Digest.model_validate({**_grounded(), "tldr": ["Something else entirely."]})


def test_a_fallback_digest_is_the_offline_one_with_its_reason():
    digest = make_digest([("we will reopen the bridge", "Ana Silva")])
    marked = Digest.model_validate({**digest.model_dump(), "grounding": Grounding(model="m", fallback="timeout").model_dump()})
    assert marked.grounding is not None and marked.grounding.fallback == "timeout" and marked.tldr == digest.tldr
