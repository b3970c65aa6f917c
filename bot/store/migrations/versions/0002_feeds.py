"""Feeds, their entries, and per-channel digest settings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(2048), nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("etag", sa.String(500)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("interval_seconds", sa.Integer, nullable=False, server_default="900"),
        sa.Column("next_poll_at", sa.DateTime(timezone=True)),
        sa.Column("last_polled_at", sa.DateTime(timezone=True)),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_feeds_next_poll_at", "feeds", ["next_poll_at"])
    op.create_table(
        "feed_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entry_key", sa.String(1024), nullable=False),
        sa.Column("article_id", sa.String(32), sa.ForeignKey("articles.id", ondelete="SET NULL")),
        sa.Column("title", sa.Text),
        sa.Column("link", sa.String(2048)),
        # Entries a feed already had when it was first read: kept, never posted as news.
        sa.Column("backlog", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("feed_id", "entry_key"),
    )
    op.create_index("ix_feed_entries_article_id", "feed_entries", ["article_id"])
    op.create_index("ix_feed_entries_first_seen_at", "feed_entries", ["first_seen_at"])
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("include_keywords", sa.Text))
        batch.add_column(sa.Column("exclude_keywords", sa.Text))
        batch.add_column(sa.Column("max_items", sa.Integer, nullable=False, server_default="8"))
        batch.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        for column in ("last_digest_at", "max_items", "exclude_keywords", "include_keywords"):
            batch.drop_column(column)
    op.drop_table("feed_entries")
    op.drop_table("feeds")
