"""Workspaces installed through Slack's OAuth flow, kept in the bot's own database.

slack_sdk ships the tables and queries (`SQLAlchemyInstallationStore`, `SQLAlchemyOAuthStateStore`);
they are synchronous, while the bot runs slack-bolt's AsyncApp, so the two small classes below hand
each call to a worker thread. The engine is the store's (`app.store.engine`), so installations live
beside the articles and channels: in the SQLite file by default, or in PostgreSQL.

The tables (`slack_installations`, `slack_bots`, `slack_oauth_states`, slack_sdk's schema) come from
the store's migrations (bot/store/migrations, 0007) like every other table: the adapter only uses
them, and never creates tables in the store's engine.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

log = logging.getLogger(__name__)

STATE_EXPIRATION_SECONDS = 600


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store, each call in a worker thread."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        return await asyncio.to_thread(self.store.find_bot, enterprise_id=enterprise_id, team_id=team_id,
                                       is_enterprise_install=is_enterprise_install)

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        return await asyncio.to_thread(self.store.find_installation, enterprise_id=enterprise_id, team_id=team_id,
                                       user_id=user_id, is_enterprise_install=is_enterprise_install)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        await asyncio.to_thread(self.store.delete_installation, enterprise_id=enterprise_id, team_id=team_id,
                                user_id=user_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_all, enterprise_id=enterprise_id, team_id=team_id)


class ThreadedStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store (the `state` of each install link), in a thread."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


def open_stores(client_id: str, engine: Any) -> tuple[ThreadedInstallationStore, ThreadedStateStore]:
    """The installation and OAuth-state stores on `engine` (the bot's database, migrated: the tables
    are the store's). `engine` is a SQLAlchemy Engine, passed through from the bot's store."""
    installations = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine)
    return ThreadedInstallationStore(installations), ThreadedStateStore(states)
