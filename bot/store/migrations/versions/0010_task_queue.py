"""The task queue: procrastinate's tables on PostgreSQL, and the digest requests of chat processes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

`newsdigest run --role chat|worker|scheduler` runs feed polls, digests and deliveries as tasks of
procrastinate (bot/queue.py), whose jobs live in the bot's own PostgreSQL. Its schema is applied here,
like every other table, from the procrastinate version the project pins (pyproject.toml): a later
procrastinate that changes its schema comes with a migration of ours applying its own SQL migration
files. SQLite has no queue (the single process runs today's threads), so only `digest_requests` is
created there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_requests",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("article_id", sa.String(32)),
        sa.Column("error", sa.Text()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_index("ix_digest_requests_created_at", "digest_requests", ["created_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # On the driver's own cursor, with no parameters: the schema is one script of many statements,
        # with `%` and `:` in it that SQLAlchemy's and psycopg's placeholders would both misread.
        with bind.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.drop_index("ix_digest_requests_created_at", "digest_requests")
    op.drop_table("digest_requests")
