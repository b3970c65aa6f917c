"""Channels remember the last feed entry their digest considered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entry ids grow in the order entries are written, unlike first_seen_at (the start of the poll
    # that found them): a digest built during a poll must not make that poll's entries look old.
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("last_entry_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("last_entry_id")
