"""Slack installations: the tables of slack_sdk's SQLAlchemy installation and OAuth-state stores

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The Slack adapter keeps the workspaces installed through Slack's OAuth flow with slack_sdk's
`SQLAlchemyInstallationStore` and `SQLAlchemyOAuthStateStore`, on the store's engine. Their tables
come from here, like every other table, rather than from slack_sdk's `create_tables()` at start-up:
the schema is then the one this migration wrote down (slack_sdk 3.x's, names, columns and indexes
as it defines them), and a slack_sdk that changes it needs a migration, not a silent create.
A database where an earlier version of the bot let slack_sdk create them keeps its tables as they
are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    # Times are naive UTC, as slack_sdk writes them (slack_sdk.oauth.sqlalchemy_utils).
    if _missing("slack_installations"):
        op.create_table(
            "slack_installations",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("client_id", sa.String(32), nullable=False),
            sa.Column("app_id", sa.String(32), nullable=False),
            sa.Column("enterprise_id", sa.String(32)),
            sa.Column("enterprise_name", sa.String(200)),
            sa.Column("enterprise_url", sa.String(200)),
            sa.Column("team_id", sa.String(32)),
            sa.Column("team_name", sa.String(200)),
            sa.Column("bot_token", sa.String(200)),
            sa.Column("bot_id", sa.String(32)),
            sa.Column("bot_user_id", sa.String(32)),
            sa.Column("bot_scopes", sa.String(1000)),
            sa.Column("bot_refresh_token", sa.String(200)),
            sa.Column("bot_token_expires_at", sa.DateTime),
            sa.Column("user_id", sa.String(32), nullable=False),
            sa.Column("user_token", sa.String(200)),
            sa.Column("user_scopes", sa.String(1000)),
            sa.Column("user_refresh_token", sa.String(200)),
            sa.Column("user_token_expires_at", sa.DateTime),
            sa.Column("incoming_webhook_url", sa.String(200)),
            sa.Column("incoming_webhook_channel", sa.String(200)),
            sa.Column("incoming_webhook_channel_id", sa.String(200)),
            sa.Column("incoming_webhook_configuration_url", sa.String(200)),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("token_type", sa.String(32)),
            sa.Column("installed_at", sa.DateTime, nullable=False),
        )
        op.create_index("slack_installations_idx", "slack_installations",
                        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"])
    if _missing("slack_bots"):
        op.create_table(
            "slack_bots",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("client_id", sa.String(32), nullable=False),
            sa.Column("app_id", sa.String(32), nullable=False),
            sa.Column("enterprise_id", sa.String(32)),
            sa.Column("enterprise_name", sa.String(200)),
            sa.Column("team_id", sa.String(32)),
            sa.Column("team_name", sa.String(200)),
            sa.Column("bot_token", sa.String(200)),
            sa.Column("bot_id", sa.String(32)),
            sa.Column("bot_user_id", sa.String(32)),
            sa.Column("bot_scopes", sa.String(1000)),
            sa.Column("bot_refresh_token", sa.String(200)),
            sa.Column("bot_token_expires_at", sa.DateTime),
            sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
            sa.Column("installed_at", sa.DateTime, nullable=False),
        )
        op.create_index("slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"])
    if _missing("slack_oauth_states"):
        # The `state` of each install link, consumed once by the OAuth redirect.
        op.create_table(
            "slack_oauth_states",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("state", sa.String(200), nullable=False),
            sa.Column("expire_at", sa.DateTime, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
