"""The archive of a workspace's articles: the recent ones, and a search of their titles and text that
forgives a typo, as /who-said does (rapidfuzz).

Each word of the search is matched against the words of an article's title and text, with
rapidfuzz's ratio, so "flodd barier" finds "flood barrier"; an article matches when every content
word of the search does (stop words are left out, as /who-said leaves them out), and its title
counts more than its text. The search scores the workspace's `SCANNED` most recent articles in
Python: an archive grows by tens of articles a day, and a full-text index would not forgive the typo.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process

from .store import ArticleSummary, Store
from .store import articles as article_store
from .whosaid import MATCH, content_words, fragment_words

SCANNED = 1000  # recent articles a search looks through
LISTED = 15  # articles one answer lists
MAX_WORDS = 200  # characters of a search
TITLE_BONUS = 10.0  # a word found in the title ranks the article above one found only in the text
_WORD = re.compile(r"\w+")


class Found(BaseModel):
    model_config = ConfigDict(frozen=True)

    article: ArticleSummary
    score: float  # 0-100: how well the worst-matched search word matched
    in_title: bool


def search_words(words: str) -> list[str]:
    """The words that say something, as /who-said picks them; all of them when they are all common."""
    typed = fragment_words(words)
    return content_words(typed) or typed[:6]


def _best(word: str, choices: set[str]) -> float:
    if word in choices:
        return 100.0
    found = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=MATCH)
    return float(found[1]) if found is not None else 0.0


def score(words: list[str], title: str, text: str) -> tuple[float, bool]:
    """(the worst of the words' best matches, whether they are all in the title)."""
    title_words = set(_WORD.findall(title.lower()))
    in_title = [_best(w, title_words) for w in words]
    if min(in_title, default=0.0) >= MATCH:
        return min(in_title), True
    all_words = title_words | set(_WORD.findall(text.lower()))
    return min((_best(w, all_words) for w in words), default=0.0), False


def search(store: Store, words: str, *, tenant: str, limit: int = LISTED) -> list[Found]:
    """The articles `tenant` may see whose title or text holds every search word (or a word a typo
    away), those with the words in their title first, then the best matched, then the newest."""
    wanted = search_words(words)
    if not wanted:
        return []
    found = []
    for n, candidate in enumerate(article_store.recent_texts(store, SCANNED, tenant=tenant)):
        matched, in_title = score(wanted, candidate.summary.title or "", candidate.text)
        if matched >= MATCH:
            found.append((-(matched + (TITLE_BONUS if in_title else 0.0)), n,
                          Found(article=candidate.summary, score=round(matched, 1), in_title=in_title)))
    return [f for *_, f in sorted(found, key=lambda x: (x[0], x[1]))][:limit]


def find_article(store: Store, ref: str, *, tenant: str) -> ArticleSummary | None:
    """The article named by id, short id, URL or title words (bot.store.articles.find_article); failing
    those, the best article whose title holds the words with a typo."""
    exact = article_store.find_article(store, ref, tenant=tenant)
    if exact is not None or re.match(r"https?://", ref.strip()):
        return exact
    titled = [f for f in search(store, ref, tenant=tenant, limit=5) if f.in_title]
    return titled[0].article if titled else None
