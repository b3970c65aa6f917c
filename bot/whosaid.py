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


def fragment_words(fragment: str) -> list[str]:
    return [w for w in _WORD.findall(fragment.lower())][:40]


def content_words(words: list[str]) -> list[str]:
    """The words that say something (not stop words), longest (rarest, as a rule) first."""
    content = {w for w in words if w not in _STOPWORDS and len(w) > 1}
    return sorted(content, key=lambda w: (-len(w), w))[:6]


def word_pairs(words: list[str]) -> list[list[str]]:
    """Neighbouring words of the fragment, each pair holding at least one content word: a typo or
    a dropped word breaks one or two pairs and leaves the rest to find the quote."""
    pairs = [[a, b] for a, b in zip(words, words[1:]) if a not in _STOPWORDS or b not in _STOPWORDS]
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
    word in a different way, and all are intersections, never a scan of a common word's quotes:

    1. neighbouring words side by side (a typo or a dropped word breaks only the pairs it touches);
    2. all the content words but one, for each one (one of them misspelt anywhere);
    3. the other content words and the first three letters of each in turn (a typo usually keeps
       the start of a word);
    4. the first three letters of every content word (each of them misspelt: "industy standrd").
    A fragment of stop words only ("it is what it is") is looked up as one phrase."""
    words = fragment_words(fragment)
    content = content_words(words)
    if not content:
        return [dict(groups=[words[:12]], phrase=True)] if words else []
    queries = [dict(groups=word_pairs(words), phrase=True)]
    if len(content) >= 3:
        queries.append(dict(groups=[[w for w in content if w != left_out] for left_out in content]))
    if len(content) == 1:
        # One content word: beside its neighbours, by its first three letters.
        word = content[0]
        at = words.index(word)
        near = [[words[at - 1], word[:3] + "*"]] if at > 0 else []
        near += [[word[:3] + "*", words[at + 1]]] if at + 1 < len(words) else []
        queries.append(dict(groups=near or [[word[:3] + "*"]], phrase=bool(near)))
    else:
        queries.append(dict(groups=[[*(o for o in content if o != w), w[:3] + "*"] for w in content if len(w) >= 4]))
        queries.append(dict(groups=[[w[:3] + "*" for w in content]]))
    return [q for q in queries if q["groups"]]


def who_said(store: Store, fragment: str) -> WhoSaid:
    """Answers (quotes the fragment comes from, best first) and, failing those, the nearest quotes.
    The fragment must already be checked for length (see `MAX_FRAGMENT`). The look-ups of
    `candidate_queries` run in order until one yields an answer."""
    fragment = normalise(fragment)
    candidates: list[StoredQuote] = []
    ranked: list[Match] = []
    for query in candidate_queries(fragment):
        candidates += store.quote_candidates(**query)
        ranked = _rank(fragment, candidates)
        if ranked and ranked[0].score >= MATCH:
            break
    best = ranked[0].score if ranked else 0.0
    matches = [m for m in ranked if m.score >= max(MATCH, best - TIE)][:MAX_ANSWERS]
    near = [m for m in ranked if m.score >= NEAR][:3] if not matches else []
    return WhoSaid(fragment=fragment, matches=matches, near=near)
