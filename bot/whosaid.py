"""Find who said a fragment a person half remembers.

Candidates come from the database's full-text index (any of the fragment's words), then rapidfuzz
re-ranks them against the whole fragment, which forgives case, quote styles, a typo or a missing
word. If nothing matches well, a second pass looks for words starting like the fragment's (a typo
usually keeps the start of a word).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from .store import Store, StoredQuote

MAX_FRAGMENT = 300
MATCH = 80.0  # a score at or above this is an answer
NEAR = 55.0  # below MATCH but at least this is offered as a "closest quote"
# Quotes scoring within this many points of the best answer are answers too: two people who said
# much the same thing are both shown.
TIE = 6.0
MAX_ANSWERS = 5
_STOPWORDS = frozenset("""a an the and or but of to in on at for with by from as is are was were be been it its it's
this that these those i we you he she they our your their his her my me us them not no so do does did has have
had will would can could should there here what who which than then""".split())
_WORD = re.compile(r"\w+")


class Match(BaseModel):
    model_config = ConfigDict(frozen=True)

    quote: StoredQuote
    score: float  # 0-100, how well the fragment matches the quote


class WhoSaid(BaseModel):
    fragment: str
    matches: list[Match]
    near: list[Match]


def normalise(fragment: str) -> str:
    """The fragment without surrounding quote marks of any style, on one line."""
    fragment = " ".join(fragment.split())
    return fragment.strip(" \"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e`")


def query_words(fragment: str) -> list[str]:
    words = [w for w in _WORD.findall(fragment.lower()) if len(w) > 1]
    content = [w for w in words if w not in _STOPWORDS]
    chosen = content or words
    # The rarest words are the longest as a rule; a dozen is plenty to find candidates.
    return sorted(set(chosen), key=lambda w: (-len(w), w))[:12]


def score(fragment: str, quote: str) -> float:
    a, b = default_process(fragment), default_process(quote)
    if not a or not b:
        return 0.0
    if len(a) <= len(b):
        return fuzz.partial_ratio(a, b)
    return fuzz.ratio(a, b)


def _rank(fragment: str, candidates: list[StoredQuote]) -> list[Match]:
    seen: set[int] = set()
    ranked = []
    for quote in candidates:
        if quote.id in seen:
            continue
        seen.add(quote.id)
        ranked.append(Match(quote=quote, score=round(score(fragment, quote.text), 1)))
    return sorted(ranked, key=lambda m: (-m.score, -m.quote.confidence, m.quote.id))


def who_said(store: Store, fragment: str) -> WhoSaid:
    """Answers (quotes the fragment comes from, best first) and, failing those, the nearest quotes.
    The fragment must already be checked for length (see `MAX_FRAGMENT`)."""
    fragment = normalise(fragment)
    words = query_words(fragment)
    ranked = _rank(fragment, store.quote_candidates(words))
    if not ranked or ranked[0].score < MATCH:
        prefixes = sorted({w[:4] for w in words if len(w) >= 4} | {w for w in words if len(w) < 4})
        ranked = _rank(fragment, [m.quote for m in ranked] + store.quote_candidates(prefixes, prefix=True))
    best = ranked[0].score if ranked else 0.0
    matches = [m for m in ranked if m.score >= max(MATCH, best - TIE)][:MAX_ANSWERS]
    near = [m for m in ranked if m not in matches and m.score >= NEAR][:3] if not matches else []
    return WhoSaid(fragment=fragment, matches=matches, near=near)
