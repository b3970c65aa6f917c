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
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("digest_format", sa.String(20)))
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("typed", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("typed")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("digest_format")
