"""`newsdigest run discord`: the bot on Discord until it is stopped (Ctrl-C or SIGTERM).

`DiscordPlatform` is Discord as the runner (adapters/runner.py) sees it. Start-up: the token from
`NEWSDIGEST_DISCORD_TOKEN` (adapters/discord/settings.py; without one the runner stops with one
line), the store opened (a broken database stops here, not at the first command), login, the
commands synced to `NEWSDIGEST_DISCORD_GUILD_ID` (instant) or globally, then the gateway. Every
start-up failure a person can fix raises StartupError with one line naming the fix.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import Newsdigest
from bot.platforms import Poster

from .client import NewsdigestClient, StartupError
from .poster import DiscordPoster
from .settings import DiscordSettings

NO_TOKEN = ("no Discord bot token: set NEWSDIGEST_DISCORD_TOKEN (the Bot page of your application in the "
            "Discord Developer Portal; see the README, Connecting Discord)")


def announce(line: str) -> None:
    print(f"newsdigest: discord: {line}", file=sys.stderr, flush=True)


def use_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at the configured REST base and gateway (process-wide in discord.py)."""
    discord.http.Route.BASE = settings.api_url.rstrip("/")
    if settings.gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def configured(settings: DiscordSettings) -> bool:
    """Whether Discord is set up (a bot token), for `newsdigest run` with every configured platform."""
    return bool((settings.token or "").strip())


class DiscordPlatform:
    """Discord for the runner: one discord.py client, its command tree and its poster."""

    name = "discord"

    def __init__(self, settings: DiscordSettings | None = None, client: NewsdigestClient | None = None) -> None:
        self.settings = settings if settings is not None else DiscordSettings.load()
        self._client = client
        self._poster: DiscordPoster | None = None

    def configured(self) -> bool:
        return configured(self.settings)

    def settings_problem(self) -> str | None:
        return None if self.configured() else NO_TOKEN

    def connected(self) -> bool:
        return self._client is not None and self._client.is_ready() and not self._client.is_closed()

    def client(self, app: Newsdigest) -> NewsdigestClient:
        if self._client is None:
            self._client = NewsdigestClient(app, guild_id=self.settings.guild_id, announce=announce,
                                            shard_count=self.settings.shard_count, shard_ids=self.settings.shard_ids)
        return self._client

    def poster(self, app: Newsdigest) -> Poster:
        if self._poster is None:
            self._poster = DiscordPoster(self.client(app))
        return self._poster

    async def serve(self, app: Newsdigest, stop: asyncio.Event) -> None:
        """The bot on Discord in the running event loop, until `stop` is set, the client is closed
        or this task is cancelled. A start that cannot succeed raises StartupError, its message one
        line for the operator."""
        settings = self.settings
        if not self.configured():
            raise StartupError(NO_TOKEN)
        token = (settings.token or "").strip()
        # Open the store now: a database that cannot be opened stops the start, with its reason.
        from bot.store import StoreError

        try:
            await asyncio.to_thread(lambda: app.store)
        except StoreError as exc:
            raise StartupError(str(exc)) from None
        use_endpoints(settings)
        client = self.client(app)
        try:
            async with client:
                running = asyncio.create_task(client.start(token), name="discord client")
                stopping = asyncio.create_task(stop.wait())
                try:
                    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopping.cancel()
                    if not running.done():
                        await client.close()
                    await asyncio.gather(running, return_exceptions=True)
                running.result()  # its start-up failure, if any
        except discord.LoginFailure:
            raise StartupError("Discord refused the bot token (401 Unauthorized): check NEWSDIGEST_DISCORD_TOKEN "
                               "(Developer Portal → your application → Bot → Reset Token)") from None
        except discord.PrivilegedIntentsRequired:
            raise StartupError("Discord refused the gateway connection: the bot asked for a privileged intent that is "
                               "switched off in the Developer Portal (newsdigest's commands need none)") from None
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise StartupError(f"cannot reach Discord at {settings.api_url}: {exc or type(exc).__name__}") from None
        except discord.HTTPException as exc:
            raise StartupError(f"Discord answered {exc.status} while starting: {exc.text or exc}") from None
