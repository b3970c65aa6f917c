"""`newsdigest run slack`: the Slack platform, in Socket Mode or HTTP mode.

- Socket Mode when an app-level token is set (NEWSDIGEST_SLACK_APP_TOKEN, xapp-…), with the bot
  token: no public URL needed, good behind a firewall.
- HTTP mode otherwise, on NEWSDIGEST_SLACK_HOST (127.0.0.1 unless set: behind a reverse proxy) and
  NEWSDIGEST_SLACK_PORT (path /slack/events), every request checked against
  NEWSDIGEST_SLACK_SIGNING_SECRET before slack-bolt parses it (adapters/slack/http.py). With one workspace, NEWSDIGEST_SLACK_BOT_TOKEN; for installing into
  many, NEWSDIGEST_SLACK_CLIENT_ID and NEWSDIGEST_SLACK_CLIENT_SECRET, with the install page at
  /slack/install and the OAuth redirect at /slack/oauth_redirect, installations kept in the bot's
  database.

`SlackPlatform` is Slack as the runner (adapters/runner.py) sees it: its settings (adapters/slack/
settings.py) checked in one line, its poster, and `serve(app, stop)`. A refused token or a taken port
raise PlatformError with one line for the operator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot.app import Newsdigest
from bot.platforms import Poster

from ..platform import PlatformError
from .app import EVENTS_PATH, SlackBot
from .http import GuardedServer, SlackRequestGate
from .settings import SlackSettings

log = logging.getLogger(__name__)

SEE = 'see "Connecting Slack" in the README'


class SlackStartError(PlatformError):
    """Slack cannot start; the message is one line for the operator."""


def configured(settings: SlackSettings) -> bool:
    """Whether any Slack setting is given (incomplete ones make `serve` fail with the missing names)."""
    return any((settings.bot_token, settings.app_token, settings.client_id, settings.client_secret))


def missing_settings(settings: SlackSettings) -> str | None:
    """What is missing for `run slack`, as one line; None when the settings are complete."""
    if settings.app_token:
        if not settings.bot_token:
            return ("Socket Mode (NEWSDIGEST_SLACK_APP_TOKEN is set) needs NEWSDIGEST_SLACK_BOT_TOKEN, the xoxb-… bot "
                    f"token; installing into several workspaces needs HTTP mode instead; {SEE}")
        return None
    missing = []
    oauth = settings.client_id or settings.client_secret
    if oauth:
        missing += [name for name, value in (("NEWSDIGEST_SLACK_CLIENT_ID", settings.client_id),
                                             ("NEWSDIGEST_SLACK_CLIENT_SECRET", settings.client_secret)) if not value]
    elif not settings.bot_token:
        missing.append("NEWSDIGEST_SLACK_BOT_TOKEN (or NEWSDIGEST_SLACK_CLIENT_ID and NEWSDIGEST_SLACK_CLIENT_SECRET)")
    if not settings.signing_secret:
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


class SlackPlatform:
    """Slack for the runner: Socket Mode with an app-level token, HTTP mode otherwise."""

    name = "slack"

    def __init__(self, settings: SlackSettings | None = None, say: Callable[[str], None] | None = None) -> None:
        self.settings = settings if settings is not None else SlackSettings.load()
        self.say = say or (lambda line: print(line, flush=True))
        self._bot: SlackBot | None = None
        self._serving = False  # the Socket Mode connection is up, or the HTTP server listens

    def configured(self) -> bool:
        return configured(self.settings)

    def settings_problem(self) -> str | None:
        return missing_settings(self.settings)

    def connected(self) -> bool:
        return self._serving

    def bot(self, app: Newsdigest) -> SlackBot:
        if self._bot is None:
            self._bot = SlackBot(app, self.settings)
        return self._bot

    def poster(self, app: Newsdigest) -> Poster:
        return self.bot(app).poster

    async def serve(self, app: Newsdigest, stop: asyncio.Event) -> None:
        """Run Slack until `stop` is set (or the task is cancelled). `say(line)` is called once
        requests can arrive. Incomplete settings, a refused token or a taken port raise SlackStartError."""
        problem = self.settings_problem()
        if problem:
            raise SlackStartError(problem)
        if self.settings.app_token:
            await self._socket_mode(self.bot(app), self.settings.app_token, stop)
        else:
            await self._http_mode(app, self.bot(app), stop)

    async def _socket_mode(self, bot: SlackBot, app_token: str, stop: asyncio.Event) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        who = await check_token(bot)
        try:
            # The Socket Mode client retries a refused connection for ever: ask for a URL once
            # first, so that a wrong app-level token stops here with its reason.
            await bot.client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            raise SlackStartError(f"Slack refused the app-level token ({data.get('error') or exc.response.status_code}): "
                                  "check NEWSDIGEST_SLACK_APP_TOKEN (xapp-…, scope connections:write)") from None
        handler = AsyncSocketModeHandler(bot.app, app_token)
        try:
            await handler.connect_async()
            self._serving = True
            self.say(f"newsdigest: Slack in Socket Mode, {who}")
            await stop.wait()
        finally:
            self._serving = False
            await handler.close_async()

    async def _http_mode(self, app: Newsdigest, bot: SlackBot, stop: asyncio.Event) -> None:
        settings = self.settings
        who = "installs through OAuth at /slack/install" if bot.oauth else await check_token(bot)
        gate = SlackRequestGate(settings.signing_secret or "", app.store)
        server = GuardedServer(bot.app, gate, path=EVENTS_PATH, port=settings.port, host=settings.host)
        runner = web.AppRunner(server.web_app, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.host, settings.port)
            try:
                await site.start()
            except OSError as exc:
                raise SlackStartError(f"cannot listen on port {settings.port} of {settings.host} "
                                      f"({exc.strerror or exc}): set NEWSDIGEST_SLACK_PORT to a free port, or "
                                      "NEWSDIGEST_SLACK_HOST to an address of this machine") from None
            self._serving = True
            self.say(f"newsdigest: Slack in HTTP mode on port {settings.port} of {settings.host} "
                     f"(requests at {EVENTS_PATH}), {who}")
            await stop.wait()
        finally:
            self._serving = False
            await runner.cleanup()
