"""Who may change a channel on Slack: the workspace's admins and owners, and the users and user
groups they named (`/newsdigest admins add`, kept in the bot's database per workspace).

Slack is asked, with the bot token of the workspace the command came from: `users.info` says whether
a user is an admin or owner (scope users:read), `usergroups.users.list` who is in a named group
(scope usergroups:read). Both answers are kept for `CACHE_SECONDS`, so that a person running several
commands in a row costs one call; a change in Slack (someone demoted) takes effect within that time.
The named admins are read from the database on every check: adding or removing one takes effect at
once, in every process. When Slack cannot answer, the person is not allowed (the log says why):
a change to a channel is never let through on a guess.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Newsdigest
from bot.commands import Caller
from bot.store import admins as admin_store

log = logging.getLogger(__name__)

PLATFORM = "slack"
CACHE_SECONDS = 60.0
CACHE_SIZE = 2000
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A small in-process cache whose entries expire; the oldest go first when it is full."""

    def __init__(self, seconds: float, size: int = CACHE_SIZE) -> None:
        self.seconds, self.size = seconds, size
        self._items: OrderedDict[tuple[str, str], tuple[float, V]] = OrderedDict()

    def get(self, key: tuple[str, str]) -> V | None:
        found = self._items.get(key)
        if found is None or found[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return found[1]

    def put(self, key: tuple[str, str], value: V) -> None:
        self._items[key] = (time.monotonic() + self.seconds, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


class SlackPermissions:
    """`await permissions.caller(client, team_id, user_id)`: the Caller, with `can_manage` decided."""

    def __init__(self, app: Newsdigest, cache_seconds: float = CACHE_SECONDS) -> None:
        self.app = app
        self.admins: TTLCache[bool] = TTLCache(cache_seconds)
        self.groups: TTLCache[frozenset[str]] = TTLCache(cache_seconds)

    async def caller(self, client: AsyncWebClient, team_id: str, user_id: str) -> Caller:
        return Caller(can_manage=await self.can_manage(client, team_id, user_id), user_id=user_id)

    async def can_manage(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        if not team_id or not user_id:
            return False
        if await self.is_workspace_admin(client, team_id, user_id):
            return True
        named = await asyncio.to_thread(admin_store.named, self.app.store, PLATFORM, team_id)
        if any(a.kind == "user" and a.member_id == user_id for a in named):
            return True
        for group in (a.member_id for a in named if a.kind == "group"):
            if user_id in await self.group_members(client, team_id, group):
                return True
        return False

    async def is_workspace_admin(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        async def ask() -> bool:
            user = (await client.users_info(user=user_id)).get("user") or {}
            # Asked with the bot token of `team_id`'s installation: the flags are that workspace's.
            return any(user.get(flag) is True for flag in ADMIN_FLAGS)

        return await _remembered(self.admins, team_id, user_id, ask, False,
                                 "users.info", "not allowing a channel change")

    async def group_members(self, client: AsyncWebClient, team_id: str, group_id: str) -> frozenset[str]:
        async def ask() -> frozenset[str]:
            users = (await client.usergroups_users_list(usergroup=group_id)).get("users") or []
            return frozenset(u for u in users if isinstance(u, str))

        return await _remembered(self.groups, team_id, group_id, ask, frozenset(),
                                 "usergroups.users.list", "its members are not allowed until it answers")


async def _remembered(cache: TTLCache[V], team_id: str, subject: str, ask: Callable[[], Awaitable[V]], unknown: V,
                      api_method: str, consequence: str) -> V:
    """Slack's answer about `subject` in `team_id`: from `cache`, else `ask()`ed and kept. When Slack
    cannot answer, `unknown`, not kept (the next command asks again), and the log says why."""
    cached = cache.get((team_id, subject))
    if cached is not None:
        return cached
    try:
        answer = await ask()
    except (SlackApiError, SlackClientError, OSError, asyncio.TimeoutError) as exc:
        log.warning("slack: %s for %s in %s failed (%s); %s", api_method, subject, team_id, _reason(exc), consequence)
        return unknown
    cache.put((team_id, subject), answer)
    return answer


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = data.get("error") or f"HTTP {exc.response.status_code}"
        needed = data.get("needed")
        return f"{code}, needs the scope {needed}" if needed else str(code)
    return str(exc) or type(exc).__name__
