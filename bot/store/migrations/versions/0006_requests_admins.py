"""Requests and admins: Slack request replay guard, who may change a channel

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A signed request (or an event) seen once: several processes sharing the database all refuse
    # its replay. Rows are pruned once expired; the index on expires_at makes that one range delete.
    op.create_table(
        "seen_requests",
        sa.Column("key", sa.String(64), primary_key=True),  # sha256 hex of what identifies the request
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_requests_expires_at", "seen_requests", ["expires_at"])
    # The users and user groups a workspace's admins named as allowed to change its channels.
    op.create_table(
        "workspace_admins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("workspace", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),  # "user" or "group"
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "member_id"),
    )


def downgrade() -> None:
    op.drop_table("workspace_admins")
    op.drop_index("ix_seen_requests_expires_at", table_name="seen_requests")
    op.drop_table("seen_requests")
