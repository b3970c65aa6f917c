"""Tables of the store. One schema for SQLite and PostgreSQL; Alembic migrations create it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    has_dispute: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class DigestRow(Base):
    __tablename__ = "digests"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    engine: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)  # the Digest as JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class QuoteRow(Base):
    __tablename__ = "quotes"
    # /quotes reads a speaker's quotes newest first from this index and stops at its page.
    # With article_id, a speaker's newest quotes are filtered by tenant from the index alone (0013).
    __table_args__ = (Index("ix_quotes_speaker_said_article", "speaker_key", "said_on", "id", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    speaker_name: Mapped[str | None] = mapped_column(String(300))
    speaker_role: Mapped[str | None] = mapped_column(String(300))
    speaker_org: Mapped[str | None] = mapped_column(String(300))
    speaker_kind: Mapped[str | None] = mapped_column(String(20))
    cue: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float] = mapped_column(Float)
    # bot.speakers.speaker_key of the speaker (surname, or an organisation's name); NULL unattributed.
    speaker_key: Mapped[str | None] = mapped_column(String(100))
    # The article's date (or the day it was stored, when it has none): newest first without a join.
    said_on: Mapped[str | None] = mapped_column(String(10))


class SpeakerRow(Base):
    """Every speaker name stored (bot.speakers.folded_name) with its key, every tenant's: what a
    misspelt name is matched against. Never shown: a name only leads to the quotes under its key,
    and those are filtered by tenant."""

    __tablename__ = "speakers"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)


# The near names of a misspelt one share the key's first or second letter, about as long (0013).
Index("ix_speakers_first_length", func.substr(SpeakerRow.key, 1, 1), func.length(SpeakerRow.key))
Index("ix_speakers_second_length", func.substr(SpeakerRow.key, 2, 1), func.length(SpeakerRow.key))


class ChannelRow(Base):
    """A place digests go: a Slack or Discord channel, or the terminal."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    include_keywords: Mapped[str | None] = mapped_column(Text)  # comma-separated
    exclude_keywords: Mapped[str | None] = mapped_column(Text)
    max_items: Mapped[int] = mapped_column(Integer, default=8)
    digest_format: Mapped[str | None] = mapped_column(String(20))  # bot.views.DigestFormat; NULL: "full"
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_entry_id: Mapped[int | None] = mapped_column(Integer)
    # The channel's workspace (bot.store.channels.tenant_key): the feeds it subscribes to are shared
    # with that workspace. Never NULL once written by the bot; NULL would share with no one.
    tenant: Mapped[str | None] = mapped_column(String(150), index=True)


class FeedRow(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    interval_seconds: Mapped[int] = mapped_column(Integer, default=900)
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FeedEntryRow(Base):
    __tablename__ = "feed_entries"
    __table_args__ = (UniqueConstraint("feed_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(1024))
    article_id: Mapped[str | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(2048))
    backlog: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    error: Mapped[str | None] = mapped_column(Text)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel_id", "feed_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    feed_url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ScheduleRow(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), unique=True)
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    typed: Mapped[str | None] = mapped_column(String(100))  # "weekdays 08:00" as the person wrote it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeliveryRow(Base):
    """The ledger: one row per (channel, schedule slot), claimed before posting and completed after."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("channel_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="claimed")
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str | None] = mapped_column(Text)


class SeenRequestRow(Base):
    """A signed chat request (or event) already answered, remembered until its replay window ends."""

    __tablename__ = "seen_requests"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class WorkspaceAdminRow(Base):
    """A user or user group a workspace's admins allowed to change its channels."""

    __tablename__ = "workspace_admins"
    __table_args__ = (UniqueConstraint("platform", "workspace", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    workspace: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    member_id: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeliveryPostRow(Base):
    """What a claimed delivery posts, fixed when it is first built: the stories shown (with the
    near-duplicates grouped under each) and the counts in its closing line. A takeover posts this
    same plan, so the messages it renders are the ones the first process numbered."""

    __tablename__ = "delivery_posts"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(Text)  # bot.delivery.Plan as JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DeliveryMessageRow(Base):
    """One message of a delivery that reached the platform (the Slack top-level message, a thread
    reply, a Discord message), under its own idempotency key."""

    __tablename__ = "delivery_messages"
    __table_args__ = (UniqueConstraint("delivery_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    message_ref: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChannelStoryRow(Base):
    """A story a channel's digests are done with: posted, grouped under a posted story as similar,
    or left out by the channel's keywords. Stories without a row wait for the next digest."""

    __tablename__ = "channel_stories"
    __table_args__ = (UniqueConstraint("channel_id", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(20))  # "posted", "similar", "filtered"
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ArticleTenantRow(Base):
    """An article a workspace brought itself (a pasted text or a URL through /digest, a terminal
    ingest). An article is visible to these workspaces and to those whose channels subscribe to a
    feed that brought it (see bot.store.articles.visible_to); its digest and quotes with it."""

    __tablename__ = "article_tenants"

    tenant: Mapped[str] = mapped_column(String(150), primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DigestRequestRow(Base):
    """A digest a chat process asked a worker for (`bot.queue`): the asker waits for its row to be
    finished, then answers from the stored article, or with the error meant for the person."""

    __tablename__ = "digest_requests"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    article_id: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)  # one line a person may read
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
