"""Tenants: which workspaces may see each article.

Each channel records its workspace (`channels.tenant`, see bot.store.channels.tenant_key), and
`article_tenants` lists the articles a workspace brought itself. An article is visible to those
workspaces and to the workspaces of the channels subscribed to a feed that brought it.

Today's rows: a Slack channel's id is "<team id>:<channel id>", so its workspace is known; a Discord
channel's id is the bare channel id (the guild was never stored), so it is a workspace of its own
until the first command typed in it tells the bot its guild; the terminal's is "terminal". The
articles a subscribed feed brought are then shared with its subscribers' workspaces by those
subscriptions alone. Every other article (pasted, fetched by URL or ingested: who brought it was
never recorded) goes to the terminal, the operator's own tenant, and never to every workspace,
which would show each workspace what the others pasted.

The tenant keys are written out here rather than imported from bot.store.channels: a migration
keeps doing what it did on the day it was written.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (no batch copy of the table: on SQLite the copy would drop the old table, and
    # its subscriptions, schedules and deliveries with it through their ON DELETE CASCADE).
    op.add_column("channels", sa.Column("tenant", sa.String(150)))
    op.create_index("ix_channels_tenant", "channels", ["tenant"])
    op.create_table(
        "article_tenants",
        sa.Column("tenant", sa.String(150), primary_key=True),
        sa.Column("article_id", sa.String(32), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_article_tenants_article_id", "article_tenants", ["article_id"])

    # A Slack channel's team is its id up to the colon (SQLite names the position function instr,
    # PostgreSQL strpos); a Slack id without a team stays a workspace of its own, like Discord's.
    position = "instr(external_id, ':')" if op.get_bind().dialect.name == "sqlite" else "strpos(external_id, ':')"
    op.execute(f"""UPDATE channels SET tenant = CASE
        WHEN platform = 'terminal' THEN 'terminal'
        WHEN platform = 'slack' AND {position} > 1 THEN 'slack:' || substr(external_id, 1, {position} - 1)
        ELSE platform || ':channel:' || external_id END""")
    op.execute("""INSERT INTO article_tenants (tenant, article_id)
        SELECT 'terminal', articles.id FROM articles
        WHERE articles.id NOT IN (
            SELECT feed_entries.article_id FROM feed_entries
            JOIN feeds ON feeds.id = feed_entries.feed_id
            JOIN subscriptions ON subscriptions.feed_url = feeds.url
            WHERE feed_entries.article_id IS NOT NULL)""")


def downgrade() -> None:
    op.drop_index("ix_article_tenants_article_id", table_name="article_tenants")
    op.drop_table("article_tenants")
    op.drop_index("ix_channels_tenant", table_name="channels")
    # SQLite (3.35+) drops a column in place; a batch copy would cascade-delete (see upgrade).
    op.execute("ALTER TABLE channels DROP COLUMN tenant")
