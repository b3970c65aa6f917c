"""Every subscription has its feed: one row for each subscription made before feeds had rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Subscriptions made before 0002 have no `feeds` row, and the poller polls feeds, not
subscriptions. The poller used to create the missing rows on every poll; they are created here
once instead (due at once: next_poll_at NULL; the interval and counters take their defaults), and
`bot.store.feeds.subscribe` writes a subscription and its feed in one transaction from then on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    subscriptions = sa.table("subscriptions", sa.column("feed_url", sa.String))
    feeds = sa.table("feeds", sa.column("url", sa.String))
    orphans = (sa.select(subscriptions.c.feed_url).distinct()
               .where(~sa.exists().where(feeds.c.url == subscriptions.c.feed_url)))
    op.execute(feeds.insert().from_select(["url"], orphans))


def downgrade() -> None:
    pass  # the rows are the feeds of existing subscriptions: they stay
