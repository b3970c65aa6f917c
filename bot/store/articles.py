"""Articles with their digests and quotes, searchable, on SQLite or PostgreSQL.

Functions of the store (`bot.store.store.Store`, passed first), like every other module of
`bot.store`: they take and return pydantic models, never ORM rows, so a caller cannot hold a row
past its session by mistake.

Tenants: every look-up takes the `tenant` (bot.store.channels.tenant_key) it answers for, and sees
only the articles visible to it (`visible_to`); an article another tenant holds answers as if
it did not exist. The filter is part of each query, before its LIMIT, so a large tenant never
crowds another's articles out of the results.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    BindParameter,
    ColumnClause,
    ColumnElement,
    SQLColumnExpression,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digests.models import Digest, Speaker

from ..speakers import folded_name, speaker_key
from ..urls import canonical_url
from .db import StoreError, explain
from .fields import check_lookup, model_json  # importing bot.store.fields also installs its flush hooks
from .schema import (
    ArticleRow,
    ArticleTenantRow,
    ChannelRow,
    DigestRow,
    FeedEntryRow,
    FeedRow,
    QuoteRow,
    SpeakerRow,
    SubscriptionRow,
)
from .store import Store

_WORD = re.compile(r"\w+", re.UNICODE)
RANK_POOL = 2000
_TERM = re.compile(r"\w+\*?", re.UNICODE)  # a word, or a word prefix ending in *


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

def _pg_term(phrase: list[str]) -> str:
    """One tsquery term for a word or a phrase. A phrase is looked up by its neighbouring-word pair
    terms ("go_to", see the migration), which the GIN index answers without reading rows; the
    lexemes are quoted and the query is cast, not parsed, since the text parser would split a pair
    term at its underscore (words are \\w+, so they never hold a quote)."""
    def lexeme(word: str) -> str:
        return f"'{word[:-1]}':*" if word.endswith("*") else f"'{word}'"

    if len(phrase) == 1:
        return lexeme(phrase[0])
    parts = []
    for first, second in zip(phrase, phrase[1:]):
        # A prefix can only end a pair term ("the_dan:*"); after one, fall back to both words.
        parts += [lexeme(first), lexeme(second)] if first.endswith("*") else [lexeme(f"{first}_{second}")]
    return "(" + " & ".join(parts) + ")"


def _fts5_term(phrase: list[str]) -> str:
    return " + ".join(f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in phrase)


class ArticleSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str | None
    published: str | None
    url: str | None
    source: str | None


class StoredQuote(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    text: str
    speaker: Speaker | None
    cue: str | None
    kind: str
    confidence: float
    article: ArticleSummary


SaveStatus = Literal["created", "updated", "unchanged"]


class SaveResult(BaseModel):
    article_id: str
    status: SaveStatus


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # a lone surrogate hashes too


def _now() -> datetime:
    return datetime.now(timezone.utc)


def visible_to(tenant: str, article_id: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """True for the rows whose `article_id` names an article `tenant` may see: one it brought itself
    (article_tenants), or one brought by an entry of a feed that one of its channels subscribes to.

    A feed's articles are shared with a workspace for as long as one of its channels subscribes,
    all of them, those the feed brought before the workspace subscribed included: they are what the
    feed published, which the workspace can read from the feed itself (the channel's digests still
    post only what arrives after it subscribed, see bot.delivery). A workspace that unsubscribes
    keeps only the articles it brought itself.

    Correlated EXISTS rather than IN (the tenant's articles), which built the set of all the
    tenant's articles for every query: a candidate row costs an index probe (SQLite always;
    PostgreSQL when it expects few candidates, else it hashes the tenant's articles). Measured on
    200,000 quotes (bench/bench_whosaid.py), /who-said as a workspace of 20,000 articles on
    PostgreSQL: ~10 ms a query against ~13 ms with IN."""
    direct = (select(ArticleTenantRow.article_id)
              .where(ArticleTenantRow.tenant == tenant, ArticleTenantRow.article_id == article_id))
    via_feeds = (select(FeedEntryRow.id)
                 .join(FeedRow, FeedRow.id == FeedEntryRow.feed_id)
                 .join(SubscriptionRow, SubscriptionRow.feed_url == FeedRow.url)
                 .join(ChannelRow, ChannelRow.id == SubscriptionRow.channel_id)
                 .where(FeedEntryRow.article_id == article_id, ChannelRow.tenant == tenant))
    return or_(direct.exists(), via_feeds.exists())


def _visible(tenant: str) -> ColumnElement[bool]:
    return visible_to(tenant, ArticleRow.id)


TITLE_CHARS = 90  # a title taken from an untitled article's first sentence is cut to this length
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")
SHORT_ID_MIN = 6  # the fewest leading characters of an id that find an article (chat shows 8)
_HEX = re.compile(r"[0-9a-f]{%d,32}" % SHORT_ID_MIN)


def title_from_text(text: str) -> str | None:
    """An untitled article's title: its first sentence, in its own words, cut at a word to at most
    TITLE_CHARS characters ("…" when cut). Plain pasted text has no title, and "Untitled article"
    told a list of them apart by nothing."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0].strip()
    if not sentence:
        return None
    if len(sentence) <= TITLE_CHARS:
        return sentence
    cut = sentence[:TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return cut + "…"


def _summary(row: ArticleRow) -> ArticleSummary:
    return ArticleSummary(id=row.id, title=row.title, published=row.published, url=row.canonical_url, source=row.source)


# Articles and digests

def save_digest(store: Store, digest: Digest, *, tenant: str | None = None) -> SaveResult:
    """Store an article's digest. The same article (same canonical URL, or the same cleaned text)
    is updated in place, never stored twice. `tenant` is the workspace that brought it (a pasted
    text or URL); None for a feed's entry, whose article is shared through the feed's
    subscriptions (see `visible_to`) and with no one else."""
    try:
        return _save(store, digest, tenant)
    except IntegrityError:
        # Another process stored the same article (or gave it to the same tenant) between our
        # look-up and insert: update it.
        try:
            return _save(store, digest, tenant)
        except IntegrityError as exc:
            raise StoreError(explain(exc, store.url)) from None


def _grant(s: Session, article_id: str, tenant: str | None) -> None:
    if tenant and s.get(ArticleTenantRow, (tenant, article_id)) is None:
        s.add(ArticleTenantRow(tenant=tenant, article_id=article_id))
        s.flush()


def _save(store: Store, digest: Digest, tenant: str | None) -> SaveResult:
    article = digest.article
    if not (article.title or "").strip():
        article = article.model_copy(update={"title": title_from_text(article.text)})
        digest = digest.model_copy(update={"article": article})
    url = canonical_url(article.url) if article.url else None
    digest_hash = content_hash(article.text)
    with store.session() as s:
        row = s.scalar(select(ArticleRow).where(ArticleRow.canonical_url == url)) if url else None
        same_text = s.scalar(select(ArticleRow).where(ArticleRow.content_hash == digest_hash))
        if same_text is not None and same_text is not row:
            # The text is stored already, under another address or none: one text, one article,
            # which keeps its address (or takes this one if it had none and no article holds it).
            url = same_text.canonical_url or (url if row is None else None)
            row = same_text
        stored = digest.model_copy(update={"article": article.model_copy(update={"url": url or (row.canonical_url if row else None)})})
        if row is not None:
            old = s.get(DigestRow, row.id)
            if row.content_hash == digest_hash and old is not None and old.engine == digest.engine:
                _grant(s, row.id, tenant)
                return SaveResult(article_id=row.id, status="unchanged")
            status: SaveStatus = "updated"
        else:
            # The id is a hash of the text, but an article keeps its id when its text changes: that
            # text's own hash may already name it.
            new_id = article.id if s.get(ArticleRow, article.id) is None else uuid.uuid4().hex[:16]
            row = ArticleRow(id=new_id, content_hash=digest_hash, text=article.text, word_count=article.word_count)
            s.add(row)
            status = "created"
        stored = stored.model_copy(update={"article": stored.article.model_copy(update={"id": row.id})})
        row.canonical_url = url or row.canonical_url
        row.content_hash = digest_hash
        row.title = article.title
        row.published = article.published
        row.source = article.source
        row.author = article.author
        row.text = article.text
        row.word_count = article.word_count
        row.has_dispute = digest.dispute is not None
        row.updated_at = _now()
        s.flush()
        s.execute(delete(QuoteRow).where(QuoteRow.article_id == row.id))
        s.merge(DigestRow(article_id=row.id, engine=digest.engine, body=model_json(stored)))
        # The day the quotes were said, for /quotes' newest-first order: the article's date when it is one
        # (a page's date can be anything), else the day it was stored.
        said_on = article.published if article.published and _ISO_DAY.fullmatch(article.published) else _now().date().isoformat()
        keys = [speaker_key(q.speaker.name, q.speaker.kind) or None if q.speaker else None for q in digest.quotes]
        _register_speakers(s, {folded_name(q.speaker.name): key for q, key in zip(digest.quotes, keys) if q.speaker and key})
        s.add_all(QuoteRow(
            article_id=row.id, position=n, text=q.text, start=q.start, end=q.end,
            speaker_name=q.speaker.name if q.speaker else None, speaker_role=q.speaker.role if q.speaker else None,
            speaker_org=q.speaker.org if q.speaker else None, speaker_kind=q.speaker.kind if q.speaker else None,
            cue=q.cue, kind=q.kind, confidence=q.confidence, speaker_key=keys[n], said_on=said_on,
        ) for n, q in enumerate(digest.quotes))
        _grant(s, row.id, tenant)
        return SaveResult(article_id=row.id, status=status)


def _register_speakers(s: Session, names: dict[str, str]) -> None:
    """Add the speaker names (folded name → key) the store does not hold yet (a race with another
    process storing the same new name ends in the IntegrityError `save_digest` retries on)."""
    if names:
        known = set(s.scalars(select(SpeakerRow.name).where(SpeakerRow.name.in_(list(names)))))
        s.add_all(SpeakerRow(name=n, key=k) for n, k in sorted(names.items()) if n not in known)


def get_digest(store: Store, article_id: str) -> Digest | None:
    """The stored digest of an article, whoever holds it: give it an id a look-up of the tenant
    returned (find_article, recent_articles…), never one a person typed."""
    with store.session() as s:
        row = s.get(DigestRow, article_id)
        return Digest.model_validate_json(row.body) if row is not None else None


def get_digests(store: Store, article_ids: list[str]) -> dict[str, Digest]:
    """article id → stored digest, of those of `article_ids` that are stored (same caveat as
    `get_digest`: ids the bot found, never ones a person typed)."""
    if not article_ids:
        return {}
    with store.session() as s:
        bodies = s.execute(select(DigestRow.article_id, DigestRow.body).where(DigestRow.article_id.in_(article_ids))).all()
    return {article_id: Digest.model_validate_json(body) for article_id, body in bodies}


def find_article(store: Store, ref: str, *, tenant: str) -> ArticleSummary | None:
    """An article `tenant` may see, by id (or its first characters, as chat shows it), by URL, or by
    words of its title (the most recent match)."""
    ref = check_lookup(ref.strip())
    if not ref:
        return None
    with store.session() as s:
        row = s.scalar(select(ArticleRow).where(ArticleRow.id == ref, _visible(tenant)))
        if row is None and _HEX.fullmatch(ref.lower()):
            row = s.scalar(select(ArticleRow).where(ArticleRow.id.startswith(ref.lower(), autoescape=True), _visible(tenant))
                           .order_by(ArticleRow.updated_at.desc()).limit(1))
        if row is None and re.match(r"https?://", ref):
            row = s.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canonical_url(ref), _visible(tenant)))
        if row is None:
            words = _WORD.findall(ref.lower())
            if words:
                query = select(ArticleRow).where(_visible(tenant))
                for word in words[:8]:
                    query = query.where(func.lower(ArticleRow.title).contains(word, autoescape=True))
                row = s.scalar(query.order_by(ArticleRow.updated_at.desc()).limit(1))
        return _summary(row) if row is not None else None


def latest_with_dispute(store: Store, *, tenant: str) -> ArticleSummary | None:
    with store.session() as s:
        row = s.scalar(select(ArticleRow).where(ArticleRow.has_dispute.is_(True), _visible(tenant))
                       .order_by(ArticleRow.updated_at.desc()).limit(1))
        return _summary(row) if row is not None else None


def recent_articles(store: Store, limit: int = 25, prefix: str = "", *, tenant: str) -> list[ArticleSummary]:
    """Recent titles `tenant` may see, optionally those containing `prefix` (for autocomplete)."""
    with store.session() as s:
        query = select(ArticleRow).where(_visible(tenant)).order_by(ArticleRow.updated_at.desc()).limit(limit)
        if prefix.strip():
            query = query.where(func.lower(ArticleRow.title).contains(prefix.strip().lower(), autoescape=True))
        return [_summary(r) for r in s.scalars(query)]


class ArticleText(BaseModel):
    """An article with its text: what the archive search (bot.archive) scores."""

    model_config = ConfigDict(frozen=True)

    summary: ArticleSummary
    text: str


def recent_texts(store: Store, limit: int, *, tenant: str) -> list[ArticleText]:
    """The `limit` most recent articles `tenant` may see, with their text, newest first."""
    with store.session() as s:
        rows = s.scalars(select(ArticleRow).where(_visible(tenant)).order_by(ArticleRow.updated_at.desc()).limit(limit))
        return [ArticleText(summary=_summary(r), text=r.text) for r in rows]


def counts(store: Store) -> dict[str, int]:
    """Articles and quotes in the whole store, every tenant's: for the operator."""
    with store.session() as s:
        return {"articles": s.scalar(select(func.count()).select_from(ArticleRow)) or 0,
                "quotes": s.scalar(select(func.count()).select_from(QuoteRow)) or 0}


# Quote search

def quote_candidates(store: Store, groups: list[list[str]], phrase: bool = False, limit: int = 50, *,
                     tenant: str, speaker_keys: list[str] | None = None) -> list[StoredQuote]:
    """Attributed quotes of the articles `tenant` may see that hold any one of the `groups`, best first by the database's
    full-text rank. A group matches when a quote holds all its terms. A term is a word, a word
    ending in `*` (any word starting with it), or words separated by spaces (a phrase: side by
    side, in that order); `phrase=True` takes each whole group as one phrase. Words are plain
    `\\w+` tokens, so no query syntax gets through. `speaker_keys` (bot.speakers.speaker_key) keeps
    only the quotes of those speakers (/quotes with words)."""
    parsed: list[tuple[tuple[str, ...], ...]] = []
    for group in groups:
        terms = [" ".join(group)] if phrase and group else group
        words_of = [tuple(w.lower() for w in term.split()) for term in terms]
        if words_of and all(ws and all(_TERM.fullmatch(w) for w in ws) for ws in words_of):
            parsed.append(tuple(words_of))
    parsed = list(dict.fromkeys(parsed))
    if not parsed:
        return []
    # The tenant's filter sits inside the full-text query, before its LIMIT (and, on PostgreSQL,
    # before the RANK_POOL cut): another tenant's matches never take the places of this one's.
    own = visible_to(tenant, QuoteRow.article_id)
    if speaker_keys is not None:
        own = and_(QuoteRow.speaker_key.in_(speaker_keys), own)
    if store.dialect == "sqlite":
        match = " OR ".join("(" + " AND ".join(_fts5_term(list(t)) for t in g) + ")" for g in parsed)
        fts = table("quotes_fts")
        rowid: ColumnClause[Any] = literal_column("quotes_fts.rowid")
        rank: ColumnClause[Any] = literal_column("quotes_fts.rank")
        ids_sql = (select(rowid).select_from(fts).join(QuoteRow, QuoteRow.id == rowid)
                   .where(text("quotes_fts MATCH :m").bindparams(m=match), QuoteRow.speaker_name.is_not(None), own)
                   .order_by(rank).limit(limit * 4))
    else:
        query: BindParameter[str] = bindparam("q", " | ".join("(" + " & ".join(_pg_term(list(t)) for t in g) + ")"
                                                             for g in parsed))
        tsquery = cast(query, TSQUERY)
        search: ColumnClause[Any] = literal_column("quotes.search")
        # GIN cannot rank: every match is fetched and ranked. Ranking at most RANK_POOL of them
        # bounds a query of common words; a selective one has fewer matches than that anyway.
        hits = (select(QuoteRow.id, search.label("search")).where(search.op("@@")(tsquery),
                                                                  QuoteRow.speaker_name.is_not(None), own)
                .limit(RANK_POOL).subquery("hits"))
        ids_sql = (select(hits.c.id).order_by(func.ts_rank_cd(hits.c.search, tsquery).desc()).limit(limit * 4))
    with store.session() as s:
        ids = [r[0] for r in s.execute(ids_sql)]
        if not ids:
            return []
        rows = s.execute(select(QuoteRow, ArticleRow).join(ArticleRow, ArticleRow.id == QuoteRow.article_id)
                         .where(QuoteRow.id.in_(ids), QuoteRow.speaker_name.is_not(None))).all()
    order = {quote_id: n for n, quote_id in enumerate(ids)}
    found = sorted(rows, key=lambda pair: order[pair[0].id])[:limit]
    return [stored_quote(q, a) for q, a in found]


def stored_quote(q: QuoteRow, a: ArticleRow) -> StoredQuote:
    """A quote row and its article's row as the model callers get."""
    return StoredQuote(
        id=q.id, text=q.text, cue=q.cue, kind=q.kind, confidence=q.confidence,
        speaker=Speaker.model_validate({"name": q.speaker_name, "role": q.speaker_role, "org": q.speaker_org,
                                        "kind": q.speaker_kind or "person"}) if q.speaker_name else None,
        article=_summary(a))


def tenant_digest_bodies(store: Store, *, tenant: str, batch: int = 200) -> Iterator[str]:
    """The stored digests (as their JSON) of every article `tenant` may see, oldest first, read in
    batches so that exporting a large workspace holds one batch in memory at a time."""
    last = ""
    while True:
        with store.session() as s:
            rows = s.execute(select(ArticleRow.id, DigestRow.body).join(DigestRow, DigestRow.article_id == ArticleRow.id)
                             .where(_visible(tenant), ArticleRow.id > last).order_by(ArticleRow.id).limit(batch)).all()
        if not rows:
            return
        for _, body in rows:
            yield body
        last = rows[-1][0]
