"""`newsdigest run discord`: the bot on Discord until it is stopped (Ctrl-C or SIGTERM).

For `newsdigest run` (every configured platform with the scheduler, adapters/runner.py):
`configured(settings)` says whether Discord is set up, and `serve(app)` runs until cancelled.

Start-up: the token from `NEWSDIGEST_DISCORD_TOKEN` (without one: exit 1 and one line), the store
opened (a broken database stops here, not at the first command), login, the commands synced to
`NEWSDIGEST_DISCORD_GUILD_ID` (instant) or globally, the poster registered for the scheduler, then
the gateway. Every start-up failure a person can fix ends with exit status 1 and one line naming
the fix.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.app import Newsdigest
from bot.config import Settings
from bot.platforms import poster_for, register_poster, unregister_poster

from .client import NewsdigestClient, StartupError
from .poster import DiscordPoster

EXIT_OK, EXIT_USER_ERROR = 0, 1
NO_TOKEN = ("no Discord bot token: set NEWSDIGEST_DISCORD_TOKEN (the Bot page of your application in the "
            "Discord Developer Portal; see the README, Connecting Discord)")


def announce(line: str) -> None:
    print(f"newsdigest: discord: {line}", file=sys.stderr, flush=True)


def _fail(line: str) -> int:
    print(f"newsdigest: {line}", file=sys.stderr, flush=True)
    return EXIT_USER_ERROR


def use_endpoints(settings: Settings) -> None:
    """Point discord.py at the configured REST base and gateway (process-wide in discord.py)."""
    discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def configured(settings: Settings) -> bool:
    """Whether Discord is set up (a bot token), for `newsdigest run` with every configured platform."""
    return bool((settings.discord_token or "").strip())


def run(app: Newsdigest) -> int:
    """`newsdigest run discord`: serve Discord until Ctrl-C or SIGTERM; the exit status."""
    if not configured(app.settings):
        return _fail(NO_TOKEN)
    try:
        asyncio.run(_serve_until_signal(app))
    except StartupError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        pass
    return EXIT_OK


async def _serve_until_signal(app: Newsdigest) -> None:
    loop = asyncio.get_running_loop()
    serving = asyncio.create_task(serve(app), name="discord")

    def stop() -> None:
        if not serving.done():
            announce("stopping")
            serving.cancel()

    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    try:
        await serving
    except asyncio.CancelledError:
        if not serving.cancelled():
            raise
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    announce("stopped")


async def serve(app: Newsdigest, *, client: NewsdigestClient | None = None) -> None:
    """The bot on Discord in the running event loop, until the client is closed or this task is
    cancelled (`newsdigest run` hosts it beside Slack and the scheduler). Registers the digest poster
    while it runs. A start that cannot succeed raises StartupError, its message one line for the operator."""
    settings = app.settings
    if not configured(settings):
        raise StartupError(NO_TOKEN)
    token = (settings.discord_token or "").strip()
    # Open the store now: a database that cannot be opened stops the start, with its reason.
    from bot.store import StoreError

    try:
        await asyncio.to_thread(lambda: app.store)
    except StoreError as exc:
        raise StartupError(str(exc)) from None
    use_endpoints(settings)
    client = client or NewsdigestClient(app, guild_id=settings.discord_guild_id, announce=announce)
    poster = DiscordPoster(client)
    register_poster(poster)
    warm_up = asyncio.create_task(_warm_up(app))
    try:
        async with client:
            await client.start(token)
    except discord.LoginFailure:
        raise StartupError("Discord refused the bot token (401 Unauthorized): check NEWSDIGEST_DISCORD_TOKEN "
                           "(Developer Portal → your application → Bot → Reset Token)") from None
    except discord.PrivilegedIntentsRequired:
        raise StartupError("Discord refused the gateway connection: the bot asked for a privileged intent that is "
                           "switched off in the Developer Portal (newsdigest's commands need none)") from None
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        raise StartupError(f"cannot reach Discord at {settings.discord_api_url}: {exc or type(exc).__name__}") from None
    except discord.HTTPException as exc:
        raise StartupError(f"Discord answered {exc.status} while starting: {exc.text or exc}") from None
    finally:
        warm_up.cancel()
        if poster_for("discord") is poster:
            unregister_poster("discord")


async def _warm_up(app: Newsdigest) -> None:
    """Load the language model in the background, so that the first /digest is not the one to wait."""
    try:
        await asyncio.to_thread(lambda: app.service.engine.nlp)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # /who-said and /dispute still work without it
        announce(f"warning: cannot digest new articles: {exc}")
