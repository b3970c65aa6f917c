"""Find who said a fragment a person half remembers.

Candidates come from the database's full-text index (any of the fragment's words), then rapidfuzz
re-ranks them against the whole fragment, which forgives case, quote styles, a typo or a missing
word. If nothing matches well, a second pass looks for words starting like the fragment's (a typo
usually keeps the start of a word).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from .store import Store, StoredQuote
from .store import articles as article_store

MAX_FRAGMENT = 300
MATCH = 80.0  # a score at or above this is an answer
NEAR = 55.0  # below MATCH but at least this is offered as a "closest quote"
# Quotes scoring within this many points of the best answer are answers too: two people who said
# much the same thing are both shown.
TIE = 6.0
MAX_ANSWERS = 5


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    text = resources.files("bot").joinpath("data/common_words.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


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


def fragment_words(fragment: str) -> list[str]:
    return [w for w in _WORD.findall(fragment.lower())][:40]


def content_words(words: list[str]) -> list[str]:
    """The words that say something (not stop words), longest (rarest, as a rule) first."""
    content = {w for w in words if w not in _common_words() and len(w) > 1}
    return sorted(content, key=lambda w: (-len(w), w))[:6]


def word_pairs(words: list[str]) -> list[list[str]]:
    """Neighbouring words of the fragment, each pair holding at least one content word: a typo or
    a dropped word breaks one or two pairs and leaves the rest to find the quote."""
    pairs = [[a, b] for a, b in zip(words, words[1:]) if a not in _common_words() or b not in _common_words()]
    return pairs[:16]


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


def candidate_queries(fragment: str) -> list[dict]:
    """Full-text look-ups for a fragment, most selective first; each tolerates a typo or a missing
    word in its own way, and none has to go through the thousands of quotes a common word is in:

    1. neighbouring words side by side, each pair holding a content word (a typo or a dropped word
       breaks only the pairs it touches);
    2. all the content words but one, for each one (one of them misspelt anywhere);
    3. each content word by its first three letters after the word before it, with the other
       content words (a typo usually keeps the start of a word);
    4. every content word by its first letters ("industy standrd").
    A fragment of common words only ("it is what it is") is looked up as one phrase."""
    words = fragment_words(fragment)
    content = content_words(words)
    if not content:
        return [dict(groups=[words[:12]], phrase=True)] if words else []
    queries = [dict(groups=word_pairs(words), phrase=True)]
    if len(content) >= 3:
        queries.append(dict(groups=[[w for w in content if w != left_out] for left_out in content]))
    starts = []
    for i, word in enumerate(words):
        if word not in content or len(word) < 4:
            continue
        start = f"{words[i - 1]} {word[:3]}*" if i > 0 else (f"{word[:3]}* {words[1]}" if len(words) > 1 else f"{word[:3]}*")
        starts.append([start, *(w for w in content if w != word)][:3])
    queries.append(dict(groups=starts))
    if len(content) >= 2:
        queries.append(dict(groups=[[w[:4 if len(w) > 4 else 3] + "*" for w in content]]))
    return [q for q in queries if q["groups"]]


def who_said(store: Store, fragment: str, *, tenant: str) -> WhoSaid:
    """Answers (quotes the fragment comes from, best first) and, failing those, the nearest quotes,
    among the quotes of the articles `tenant` may see (each look-up filters in the database).
    The fragment must already be checked for length (see `MAX_FRAGMENT`). The look-ups of
    `candidate_queries` run in order until one yields an answer."""
    fragment = normalise(fragment)
    candidates: list[StoredQuote] = []
    ranked: list[Match] = []
    for query in candidate_queries(fragment):
        candidates += article_store.quote_candidates(store, **query, tenant=tenant)
        ranked = _rank(fragment, candidates)
        if ranked and ranked[0].score >= MATCH:
            break
    best = ranked[0].score if ranked else 0.0
    matches = [m for m in ranked if m.score >= max(MATCH, best - TIE)][:MAX_ANSWERS]
    near = [m for m in ranked if m.score >= NEAR][:3] if not matches else []
    return WhoSaid(fragment=fragment, matches=matches, near=near)
