"""`newsdigest run slack`: the Slack platform, in Socket Mode or HTTP mode.

- Socket Mode when an app-level token is set (NEWSDIGEST_SLACK_APP_TOKEN, xapp-…), with the bot
  token: no public URL needed, good behind a firewall.
- HTTP mode otherwise, on NEWSDIGEST_SLACK_HOST (127.0.0.1 unless set: behind a reverse proxy) and
  NEWSDIGEST_SLACK_PORT (path /slack/events), every request checked against
  NEWSDIGEST_SLACK_SIGNING_SECRET before slack-bolt parses it (adapters/slack/http.py). With one workspace, NEWSDIGEST_SLACK_BOT_TOKEN; for installing into
  many, NEWSDIGEST_SLACK_CLIENT_ID and NEWSDIGEST_SLACK_CLIENT_SECRET, with the install page at
  /slack/install and the OAuth redirect at /slack/oauth_redirect, installations kept in the bot's
  database.

`run(app)` returns the exit status: 0 after a clean stop (Ctrl-C, SIGTERM), 1 with one line on
stderr when the settings are incomplete, the token is refused or the port is taken.

For `newsdigest run` (every configured platform with the scheduler, adapters/runner.py):
`configured(settings)` says whether Slack is set up at all, and `serve(app)` runs until cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot.app import Newsdigest
from bot.config import Settings
from bot.platforms import register_poster, unregister_poster

from .app import EVENTS_PATH, SlackBot
from .http import GuardedServer, SlackRequestGate

log = logging.getLogger(__name__)

SEE = 'see "Connecting Slack" in the README'


class SlackStartError(Exception):
    """Slack cannot start; the message is one line for the operator."""


def configured(settings: Settings) -> bool:
    """Whether any Slack setting is given (incomplete ones make `serve` fail with the missing names)."""
    return any((settings.slack_bot_token, settings.slack_app_token, settings.slack_client_id,
                settings.slack_client_secret))


def missing_settings(settings: Settings) -> str | None:
    """What is missing for `run slack`, as one line; None when the settings are complete."""
    if settings.slack_app_token:
        if not settings.slack_bot_token:
            return ("Socket Mode (NEWSDIGEST_SLACK_APP_TOKEN is set) needs NEWSDIGEST_SLACK_BOT_TOKEN, the xoxb-… bot "
                    f"token; installing into several workspaces needs HTTP mode instead; {SEE}")
        return None
    missing = []
    oauth = settings.slack_client_id or settings.slack_client_secret
    if oauth:
        missing += [name for name, value in (("NEWSDIGEST_SLACK_CLIENT_ID", settings.slack_client_id),
                                             ("NEWSDIGEST_SLACK_CLIENT_SECRET", settings.slack_client_secret)) if not value]
    elif not settings.slack_bot_token:
        missing.append("NEWSDIGEST_SLACK_BOT_TOKEN (or NEWSDIGEST_SLACK_CLIENT_ID and NEWSDIGEST_SLACK_CLIENT_SECRET)")
    if not settings.slack_signing_secret:
        missing.append("NEWSDIGEST_SLACK_SIGNING_SECRET")
    if not missing:
        return None
    return (f"Slack is not configured: missing {' and '.join(missing)} "
            f"(or set NEWSDIGEST_SLACK_APP_TOKEN and NEWSDIGEST_SLACK_BOT_TOKEN for Socket Mode); {SEE}")


async def check_token(bot: SlackBot) -> str:
    """auth.test with the bot token: "workspace Acme as @newsdigest". Refused → SlackStartError."""
    try:
        response = await bot.client.auth_test()
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = data.get("error") or f"HTTP {exc.response.status_code}"
        raise SlackStartError(f"Slack refused the bot token ({code}): check NEWSDIGEST_SLACK_BOT_TOKEN") from None
    except Exception as exc:
        raise SlackStartError(f"cannot reach the Slack API at {bot.client.base_url}: {exc or type(exc).__name__}") from None
    return f"workspace {response.get('team') or response.get('team_id')} as @{response.get('user')}"


async def serve(app: Newsdigest, stop: asyncio.Event | None = None, ready=None) -> None:  # noqa: ANN001 - ready: str -> None
    """Run Slack until `stop` is set (or the task is cancelled). `ready(line)` is called once
    requests can arrive. Incomplete settings, a refused token or a taken port raise SlackStartError."""
    settings = app.settings
    problem = missing_settings(settings)
    if problem:
        raise SlackStartError(problem)
    stop = stop or asyncio.Event()
    bot = SlackBot(app)
    say = ready or (lambda line: print(line, flush=True))
    register_poster(bot.poster)
    warm_up = asyncio.create_task(_warm_up(app))
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            who = await check_token(bot)
            try:
                # The Socket Mode client retries a refused connection for ever: ask for a URL once
                # first, so that a wrong app-level token stops here with its reason.
                await bot.client.apps_connections_open(app_token=settings.slack_app_token)
            except SlackApiError as exc:
                data = exc.response.data if isinstance(exc.response.data, dict) else {}
                raise SlackStartError(f"Slack refused the app-level token ({data.get('error') or exc.response.status_code}): "
                                      "check NEWSDIGEST_SLACK_APP_TOKEN (xapp-…, scope connections:write)") from None
            handler = AsyncSocketModeHandler(bot.app, settings.slack_app_token)
            try:
                await handler.connect_async()
                say(f"newsdigest: Slack in Socket Mode, {who}")
                await stop.wait()
            finally:
                await handler.close_async()
            return
        who = "installs through OAuth at /slack/install" if bot.oauth else await check_token(bot)
        gate = SlackRequestGate(settings.slack_signing_secret or "", app.store)
        server = GuardedServer(bot.app, gate, path=EVENTS_PATH, port=settings.slack_port, host=settings.slack_host)
        runner = web.AppRunner(server.web_app, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.slack_host, settings.slack_port)
            try:
                await site.start()
            except OSError as exc:
                raise SlackStartError(f"cannot listen on port {settings.slack_port} of {settings.slack_host} "
                                      f"({exc.strerror or exc}): set NEWSDIGEST_SLACK_PORT to a free port, or "
                                      "NEWSDIGEST_SLACK_HOST to an address of this machine") from None
            say(f"newsdigest: Slack in HTTP mode on port {settings.slack_port} of {settings.slack_host} "
                f"(requests at {EVENTS_PATH}), {who}")
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        warm_up.cancel()
        unregister_poster(bot.poster.platform)


async def _warm_up(app: Newsdigest) -> None:
    """Load the language model in a worker thread while the first commands arrive, so that the first
    /digest of a new article does not wait for it (and two of them never load it twice)."""
    try:
        await asyncio.to_thread(lambda: app.service.engine)
    except Exception as exc:  # the commands that need it will say so; the operator reads it here
        log.warning("slack: the language model could not be loaded: %s", exc)


def run(app: Newsdigest) -> int:
    """The entry point of `newsdigest run slack`."""
    problem = missing_settings(app.settings)
    if problem:
        print(f"newsdigest: {problem}", file=sys.stderr)
        return 1
    # Open (and migrate) the store before serving: a database that cannot be used stops here with
    # its one-line reason (StoreError, reported by the command line) rather than at the first command.
    app.store

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - not on every platform
                pass
        await serve(app, stop)

    try:
        asyncio.run(main())
    except SlackStartError as exc:
        print(f"newsdigest: {exc}", file=sys.stderr)
        return 1
    return 0
