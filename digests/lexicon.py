"""The cue lexicon speaker attribution reads, kept as data (digests/data/speech_cues.json and
first_names.json) so it can grow without touching the code that uses it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


def _load(name: str) -> dict:
    return json.loads(resources.files("digests").joinpath(f"data/{name}").read_text("utf-8"))


_CUES = _load("speech_cues.json")
# Lemmas of verbs that report speech ("say", "tell", "insist").
SPEECH_VERBS = frozenset(_CUES["speech_verbs"])
# Verbs of communication, characterisation and judgment outside the speech list ("dubbed", "decried",
# "portrayed"): they report words, less surely than "said", so they are read at lower confidence.
COMMUNICATION_VERBS = frozenset(_CUES["communication_verbs"])
# Nouns that report what someone said ("his pledge to be “neutral”", "her claim that …").
CUE_NOUNS = frozenset(_CUES["cue_nouns"])
# Nouns for documents that speak for their owner ("the company's terms").
DOCUMENT_NOUNS = frozenset(_CUES["document_nouns"])
# Nouns that introduce a quote ("that quote from …").
QUOTE_NOUNS = frozenset(_CUES["quote_nouns"])
HONORIFICS = frozenset(_CUES["honorifics"])
# Words of a title or job, folded out of a name ("Officer Hannah Wong").
ROLE_WORDS = frozenset(_CUES["role_words"])
# Pronoun → "m", "f", "p" (plural), "n" (neuter) or "s" (first person singular).
PRONOUNS: dict[str, str] = dict(_CUES["pronoun_gender"])
HONORIFIC_GENDER: dict[str, str] = dict(_CUES["honorific_gender"])
GENDER_NOUNS: dict[str, str] = dict(_CUES["gender_nouns"])
# Words whose period ends no sentence ("Sen.", "Calif.", "Sept."), lower case without the period.
ABBREVIATIONS = frozenset(_CUES["abbreviations"])


# Peoples, nationalities and groups ("Africans", "Māori"): never a person's name (data/group_words.json).
GROUP_WORDS = frozenset(_load("group_words.json")["groups"])


@lru_cache(maxsize=1)
def _first_names() -> dict[str, str]:
    data = _load("first_names.json")
    return {name.lower(): gender for gender, names in data.items() if gender in {"m", "f"} for name in names}


def first_name_gender(name: str) -> str | None:
    """Gender a common English first name suggests; pronouns and honorifics in the text win."""
    words = name.split()
    return _first_names().get(words[0].lower()) if words else None
