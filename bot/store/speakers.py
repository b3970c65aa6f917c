"""Speakers' quotes over time (/quotes): the keys stored, and one speaker's quotes newest first.

Keys are bot.speakers.speaker_key, written with each quote by `bot.store.articles.save_digest`. The
speakers table holds every tenant's keys, never shown as such: a key is only the way to the quotes
under it, and those are filtered by tenant (`visible_to`) before their LIMIT, like every look-up.
"""

from __future__ import annotations

from sqlalchemy import Subquery, and_, func, or_, select

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
    the caller's fuzzy match, read through the (letter, length) indexes."""
    if not key:
        return []
    # Letters compared with substr (keys are folded, so as LIKE 'f%' / '_i%' did) to use the
    # indexes (letter, length) of migration 0013 on both databases, not a scan of the table.
    length = func.length(SpeakerRow.key)
    # A typo changes a key's length by one at most; two leaves room for a doubled or dropped pair.
    near_length = length.between(len(key) - 2, len(key) + 2)
    first = and_(func.substr(SpeakerRow.key, 1, 1) == key[0], near_length)
    second = and_(func.substr(SpeakerRow.key, 2, 1) == key[1], near_length) if len(key) > 1 else first
    query = select(SpeakerRow.name, SpeakerRow.key).where(or_(first, second)).limit(limit)
    with store.session() as s:
        return [(n, k) for n, k in s.execute(query)]


def _newest_ids(key: str, tenant: str, limit: int) -> Subquery:
    """The ids of the newest `limit` quotes under `key` that `tenant` may see, read from the index
    (speaker_key, said_on, id, article_id) alone: the rows passed over (another workspace's) are
    never read; the caller reads the rows of the kept ids."""
    return (select(QuoteRow.id, QuoteRow.said_on)
            .where(QuoteRow.speaker_key == key, visible_to(tenant, QuoteRow.article_id))
            .order_by(QuoteRow.said_on.desc(), QuoteRow.id.desc()).limit(limit).subquery("newest"))


def quotes_of(store: Store, key: str, *, tenant: str, limit: int = 50) -> list[StoredQuote]:
    """The quotes under speaker `key` in the articles `tenant` may see, newest first (by the
    article's date, then as stored)."""
    newest = _newest_ids(key, tenant, limit)
    query = (select(QuoteRow, ArticleRow).join(newest, newest.c.id == QuoteRow.id)
             .join(ArticleRow, ArticleRow.id == QuoteRow.article_id)
             .order_by(newest.c.said_on.desc(), newest.c.id.desc()))
    with store.session() as s:
        return [stored_quote(q, a) for q, a in s.execute(query).all()]


def recent_texts(store: Store, key: str, *, tenant: str, limit: int) -> list[tuple[int, str]]:
    """(id, text) of the newest `limit` quotes under `key` that `tenant` may see: the cheap read a
    caller filters by words itself (no article rows, no models)."""
    newest = _newest_ids(key, tenant, limit)
    query = (select(QuoteRow.id, QuoteRow.text).join(newest, newest.c.id == QuoteRow.id)
             .order_by(newest.c.said_on.desc(), newest.c.id.desc()))
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
