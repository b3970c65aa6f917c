"""Delivery: each message of a digest in the ledger, stories left for the next digest.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # What a delivery posts, fixed when first built, so that a takeover renders the same messages.
    op.create_table(
        "delivery_posts",
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # Each message of a delivery that reached the platform, under its own idempotency key.
    op.create_table(
        "delivery_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("message_ref", sa.String(200), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("delivery_id", "position"),
    )
    op.create_index("ix_delivery_messages_delivery_id", "delivery_messages", ["delivery_id"])
    # The stories a channel's digests are done with. Channels keep their last_entry_id: every entry
    # up to it was considered by an earlier digest, so today's rows need nothing more.
    op.create_table(
        "channel_stories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=False),
        sa.Column("article_id", sa.String(32), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("channel_id", "article_id"),
    )
    op.create_index("ix_channel_stories_channel_id", "channel_stories", ["channel_id"])


def downgrade() -> None:
    op.drop_index("ix_channel_stories_channel_id", table_name="channel_stories")
    op.drop_table("channel_stories")
    op.drop_index("ix_delivery_messages_delivery_id", table_name="delivery_messages")
    op.drop_table("delivery_messages")
    op.drop_table("delivery_posts")
