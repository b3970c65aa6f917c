"""Speaker names as one person or organisation, across the ways articles spell them.

An article names a person in full once ("Christopher Nulty") and by surname after ("Nulty"); another
writes "Mr. Nulty" or "Chris Nulty". They share one key, the surname, under which the store indexes
quotes (bot.store.speakers). An organisation is keyed by its whole name ("world health organization"):
its last word alone ("organization") would merge unrelated ones. Two people sharing a surname share a
key too; `same_person` tells them apart when the asker typed a given name.

Migration 0012 writes the same rule out to fill the key of the quotes stored before it.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Words around a name that are not the name: titles before it, generational suffixes after it.
TITLES = frozenset("mr mrs ms miss mx dr prof sir dame lord lady sen senator rep gov governor pres president "
                   "gen rev fr st".split())
SUFFIXES = frozenset("jr sr ii iii iv phd md".split())
MAX_KEY = 100
MAX_NAME = 300
GIVEN_NAME_MATCH = 80.0  # "Cristopher" for "Christopher": a typo in a given name still matches


def name_tokens(name: str) -> list[str]:
    """The words of a name, case and accents folded, titles and suffixes left out:
    "Dr. José Álvarez Jr." → ["jose", "alvarez"]."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    tokens = _TOKEN.findall(folded)
    while len(tokens) > 1 and tokens[0] in TITLES:
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in SUFFIXES:
        tokens.pop()
    return tokens


def folded_name(name: str) -> str:
    """A name as the speakers table holds it, to match a misspelt one against: "dr jose alvarez"."""
    return " ".join(name_tokens(name))[:MAX_NAME]


def speaker_key(name: str, kind: str | None = "person") -> str:
    """The key quotes are indexed by: a person's surname; the whole name (without a leading "the") of
    anything else (an organisation, a document, "a spokesperson"). Empty for a name with no letters
    or digits."""
    tokens = name_tokens(name)
    if kind not in (None, "person"):
        if len(tokens) > 1 and tokens[0] == "the":
            tokens = tokens[1:]
        return " ".join(tokens)[:MAX_KEY]
    return tokens[-1][:MAX_KEY] if tokens else ""


def keys_for_query(name: str) -> list[str]:
    """The keys a typed name may stand for, without knowing whether it is a person or an
    organisation: its surname and its whole name (one key for a one-word name)."""
    return list(dict.fromkeys(k for k in (speaker_key(name, "person"), speaker_key(name, "organisation")) if k))


def same_person(typed: str, stored: str) -> bool:
    """Whether `stored` (a speaker's name in an article) may be the person `typed` asks for, their
    keys matching already: a name given by surname only matches every given name; given names match
    when one starts the other ("Chris", "C." and "Christopher") or differ by a typo."""
    typed_given, stored_given = name_tokens(typed)[:-1], name_tokens(stored)[:-1]
    if not typed_given or not stored_given:
        return True
    a, b = typed_given[0], stored_given[0]
    return a.startswith(b) or b.startswith(a) or fuzz.ratio(a, b) >= GIVEN_NAME_MATCH
