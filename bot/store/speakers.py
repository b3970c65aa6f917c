"""Speakers' quotes over time (/quotes): the keys stored, and one speaker's quotes newest first.

Keys are bot.speakers.speaker_key, written with each quote by `bot.store.articles.save_digest`. The
speakers table holds every tenant's keys, never shown as such: a key is only the way to the quotes
under it, and those are filtered by tenant (`visible_to`) before their LIMIT, like every look-up.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from .articles import StoredQuote, stored_quote, visible_to
from .schema import ArticleRow, QuoteRow, SpeakerRow
from .store import Store


def known_keys(store: Store, keys: list[str]) -> list[str]:
    """Those of `keys` some stored quote has (in the order given)."""
    if not keys:
        return []
    with store.session() as s:
        found = set(s.scalars(select(SpeakerRow.key).where(SpeakerRow.key.in_(keys)).distinct()))
    return [k for k in keys if k in found]


def names_like(store: Store, key: str, limit: int = 20_000) -> list[tuple[str, str]]:
    """(folded name, key) of the stored speakers a misspelt `key` may stand for: those whose key
    shares its first letter or its second one (a typo rarely hits both) and is about as long, for
    the caller's fuzzy match; a scan of a table with one short row a name."""
    if not key:
        return []
    first = SpeakerRow.key.startswith(key[0], autoescape=True)
    second = SpeakerRow.key.like("_" + key[1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                                 escape="\\") if len(key) > 1 else first
    # A typo changes a key's length by one at most; two leaves room for a doubled or dropped pair.
    near_length = func.length(SpeakerRow.key).between(len(key) - 2, len(key) + 2)
    query = select(SpeakerRow.name, SpeakerRow.key).where(or_(first, second), near_length).limit(limit)
    with store.session() as s:
        return [(n, k) for n, k in s.execute(query)]


def quotes_of(store: Store, key: str, *, tenant: str, limit: int = 50) -> list[StoredQuote]:
    """The quotes under speaker `key` in the articles `tenant` may see, newest first (by the
    article's date, then as stored), read from the index (speaker_key, said_on, id)."""
    query = (select(QuoteRow, ArticleRow).join(ArticleRow, ArticleRow.id == QuoteRow.article_id)
             .where(QuoteRow.speaker_key == key, visible_to(tenant, QuoteRow.article_id))
             .order_by(QuoteRow.said_on.desc(), QuoteRow.id.desc()).limit(limit))
    with store.session() as s:
        return [stored_quote(q, a) for q, a in s.execute(query).all()]


def recent_texts(store: Store, key: str, *, tenant: str, limit: int) -> list[tuple[int, str]]:
    """(id, text) of the newest `limit` quotes under `key` that `tenant` may see: the cheap read a
    caller filters by words itself (no article rows, no models)."""
    query = (select(QuoteRow.id, QuoteRow.text)
             .where(QuoteRow.speaker_key == key, visible_to(tenant, QuoteRow.article_id))
             .order_by(QuoteRow.said_on.desc(), QuoteRow.id.desc()).limit(limit))
    with store.session() as s:
        return [(i, t) for i, t in s.execute(query).all()]


def quotes_with_ids(store: Store, ids: list[int]) -> list[StoredQuote]:
    """The quotes of `ids` (ids this module returned for a tenant, never typed ones), with their articles."""
    if not ids:
        return []
    with store.session() as s:
        rows = s.execute(select(QuoteRow, ArticleRow).join(ArticleRow, ArticleRow.id == QuoteRow.article_id)
                         .where(QuoteRow.id.in_(ids))).all()
    return [stored_quote(q, a) for q, a in rows]
