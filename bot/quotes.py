"""What a person or an organisation said over time, across a workspace's stored articles (/quotes).

The typed name becomes speaker keys (bot.speakers: "Nulty" and "Christopher Nulty" are one key); a
key no quote has is matched with rapidfuzz against the stored keys sharing a first or second letter,
which forgives a typo. Each key's quotes are read newest first from the store's index, then the
speakers whose given name contradicts the typed one are left out ("Ann Nulty" for "Christopher
Nulty"). Words, when given, must each be in the quote (rapidfuzz, as /who-said, so a typo is
forgiven) among the speaker's newest `SCAN` quotes; older ones of a much-quoted speaker are found
through the full-text index by the exact words.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from .speakers import folded_name, keys_for_query, same_person
from .store import Store, StoredQuote
from .store import articles as article_store
from .store import speakers as speaker_store
from .whosaid import content_words, fragment_words

MAX_NAME = 150
MAX_WORDS = 200
KEY_MATCH = 80.0  # a stored key this close to the typed one is the same name misspelt
WORD_MATCH = 80.0  # a word of the asker's this close to a part of the quote is in it
MAX_KEYS = 2  # misspelt names: at most this many nearest stored keys are looked up
NEAR_TIE = 5.0  # …those scoring within this many points of the nearest
SHOWN = 10
SCAN = 400  # a speaker's newest quotes searched for words with typos forgiven
PER_KEY = 30  # quotes read for a key without words: the page shown, and room for left-out namesakes


class SpeakerQuotes(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # as typed, tidied
    words: str
    quotes: list[StoredQuote]  # newest first, at most SHOWN
    more: bool  # more quotes match than those shown
    names: list[str]  # the spellings of the speaker in the quotes shown, the fullest first
    corrected: bool  # the typed name was not stored as such; a near one was used


def tidy(text: str) -> str:
    return " ".join(text.split()).strip(" \"'\u201c\u201d\u2018\u2019")


def speaker_keys(store: Store, name: str) -> tuple[list[str], bool]:
    """The stored keys `name` stands for, and whether they are near ones (a typo) rather than its own."""
    wanted = keys_for_query(name)
    known = speaker_store.known_keys(store, wanted)
    if known:
        return known, False
    # A whole typed name is matched against whole stored names (the given name tells namesakes
    # apart); a surname alone against the keys.
    typed = folded_name(name)
    whole = " " in typed
    near: dict[str, float] = {}
    for key in wanted:
        stored = speaker_store.names_like(store, key)
        choices = [n if whole else k for n, k in stored]
        for _, score, at in process.extract(typed if whole else key, choices, scorer=fuzz.ratio,
                                            score_cutoff=KEY_MATCH, limit=20):
            found = stored[at][1]
            near[found] = max(score, near.get(found, 0.0))
    best = max(near.values(), default=0.0)
    return sorted((k for k in near if near[k] >= best - NEAR_TIE), key=lambda k: -near[k])[:MAX_KEYS], True


def _has_words(words: list[str], text: str) -> bool:
    processed = default_process(text)
    return all(fuzz.partial_ratio(w, processed) >= WORD_MATCH for w in words)


def _newest_first(quotes: list[StoredQuote]) -> list[StoredQuote]:
    return sorted(quotes, key=lambda q: (q.article.published or "", q.id), reverse=True)


def quotes_by(store: Store, name: str, words: str = "", *, tenant: str) -> SpeakerQuotes:
    """What `name` said in the articles `tenant` may see, newest first, optionally only the quotes
    holding `words`. Lengths must be checked already (`MAX_NAME`, `MAX_WORDS`)."""
    name, words = tidy(name), tidy(words)
    keys, corrected = speaker_keys(store, name)
    found: list[StoredQuote] = []
    if keys and words:
        wanted = fragment_words(words)
        needed = content_words(wanted) or wanted
        # Each speaker's newest quotes, filtered here with every typo forgiven; a speaker with more
        # than SCAN of them is searched further back through the full-text index, exact words only
        # (a prefix or one-word look-up there matches too many of a much-quoted speaker's quotes).
        ids: list[int] = []
        deeper: list[str] = []
        for key in keys:
            recent = speaker_store.recent_texts(store, key, tenant=tenant, limit=SCAN)
            ids += [i for i, body in recent if _has_words(needed, body)]
            if len(recent) == SCAN:
                deeper.append(key)
        found = speaker_store.quotes_with_ids(store, ids)
        if deeper:
            found += [q for q in article_store.quote_candidates(store, [needed], limit=50, tenant=tenant, speaker_keys=deeper)
                      if _has_words(needed, q.text)]
    elif keys:
        for key in keys:
            found += speaker_store.quotes_of(store, key, tenant=tenant, limit=PER_KEY)
    # A near key is someone else's surname as often as a typo: the given name typed must fit too.
    # (An organisation's key is its whole name already.)
    found = [q for q in found if q.speaker is not None
             and (q.speaker.kind != "person" or same_person(name, q.speaker.name))]
    ordered = _newest_first(list({q.id: q for q in found}.values()))
    shown = ordered[:SHOWN]
    names = sorted({q.speaker.name for q in shown if q.speaker}, key=lambda n: (-len(n), n))
    return SpeakerQuotes(name=name, words=words, quotes=shown, more=len(ordered) > SHOWN, names=names,
                         corrected=corrected)


_SEPARATORS = (" about ", " on ", ": ", " -- ")


def split_typed(store: Store, text: str) -> tuple[str, str]:
    """The person and the words of one typed line ("Christopher Nulty climate funding"): a quoted
    name ("\\"Christopher Nulty\\" climate"), a name before "about", "on", ":" or "--", else the
    longest first words (up to four) that name a stored speaker; failing all, the whole line is the
    name (which may be misspelt)."""
    text = " ".join(text.split())
    for mark, end in (('"', '"'), ("\u201c", "\u201d")):
        if text.startswith(mark) and end in text[1:]:
            name, _, rest = text[1:].partition(end)
            return tidy(name), tidy(rest)
    lowered = text.lower()
    for separator in _SEPARATORS:
        at = lowered.find(separator)
        if at > 0:
            return tidy(text[:at]), tidy(text[at + len(separator):])
    words = text.split()
    for n in range(min(4, len(words) - 1), 0, -1):
        if speaker_store.known_keys(store, keys_for_query(" ".join(words[:n]))):
            return tidy(" ".join(words[:n])), tidy(" ".join(words[n:]))
    return tidy(text), ""
