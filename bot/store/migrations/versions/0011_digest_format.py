"""A channel's digest format, and its schedule as the person typed it

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01

`/newsdigest format full|compact|headlines` sets how a channel's digests are laid out (NULL: full,
as before). `/newsdigest settings` shows the schedule as it was typed ("weekdays 08:00"), not only
its cron line: schedules set before this migration have none and show their cron line.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place, as 0004: a batch copy would drop the old table on SQLite, and the channel's
    # subscriptions, schedule and deliveries with it through their ON DELETE CASCADE.
    op.add_column("channels", sa.Column("digest_format", sa.String(20)))
    op.add_column("schedules", sa.Column("typed", sa.String(100)))


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place; PostgreSQL the same way.
    op.execute("ALTER TABLE schedules DROP COLUMN typed")
    op.execute("ALTER TABLE channels DROP COLUMN digest_format")
