"""The slack-bolt AsyncApp: slash commands in, `bot.commands` replies out as Block Kit.

Each command is acknowledged at once (Slack allows 3 seconds); the work runs afterwards in a lazy
listener, in a worker thread (a digest is ~100 ms of CPU, a fetch can take seconds), and the answer
goes back through the command's response_url with `respond()`: ephemeral when the reply is private
(/who-said by default, usage and errors), in the channel otherwise.

The channel of a command is ChannelRef("slack", "<team_id>:<channel_id>", channel_name, workspace=
team_id): the team part lets the scheduled-digest poster pick the right workspace's token when the
app is installed in several, and the workspace keeps each team's articles to itself.

The listeners are registered from the command declaration (`bot.commands.DECLARATION`: every
command offered on Slack; manifest.yml is checked against it), and each command's text is read into
the declaration's typed invocation (`bot.commands.read_command`) and run by `bot.commands.dispatch`, the
path every platform's commands take. A command that would change its channel
(`bot.commands.changes_channel`) is run only for a workspace admin or owner, or someone they named
(`permissions.SlackPermissions`); everyone else gets a private "ask an admin" answer from `bot.commands`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Newsdigest
from bot.commands import DECLARATION, Caller, Invocation, changes_channel, dispatch, read_command
from bot.commands.actions import action_invocation
from bot.commands.declaration import prefixed, unprefixed
from bot.commands.prefix import with_prefix
from bot.commands.shortcuts import digest_link
from bot.replies import Reply, error

from . import render
from .installations import ThreadedInstallationStore, open_stores
from .permissions import SlackPermissions
from .poster import SlackPoster, channel_ref, web_client
from .settings import SlackSettings

log = logging.getLogger(__name__)

PLATFORM = "slack"
# The slash commands, in the manifest's order: those the declaration offers on Slack.
COMMANDS = tuple(c.name for c in DECLARATION.offered(PLATFORM))
SLOW_ICON = ":hourglass_flowing_sand: "
# channels:history lets the poster see whether a digest reached a channel before a crash; users:read
# and usergroups:read tell who may change a channel (admins and owners, members of named groups).
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "channels:history", "users:read", "usergroups:read")
EVENTS_PATH = "/slack/events"
SHORTCUT_ID = "digest_this_link"  # the message shortcut's callback_id (manifest.yml)

AUTHORIZE_ERROR = ("newsdigest is not installed in this workspace any more. Ask an admin to install it "
                   "again from the app's install page.")


class SlackBot:
    """The pieces `newsdigest run slack` needs: the bolt app, its Web API client, the poster."""

    def __init__(self, app: Newsdigest, settings: SlackSettings | None = None,
                 client: AsyncWebClient | None = None) -> None:
        settings = settings if settings is not None else SlackSettings.load()
        self.newsdigest = app
        self.installations: ThreadedInstallationStore | None = None
        # OAuth installs need the HTTP endpoints (install page, redirect): Socket Mode uses the bot token.
        self.oauth = bool(settings.client_id and settings.client_secret and not settings.app_token)
        if self.oauth:
            self.client = client or web_client(settings.api_url)
            self.installations, states = open_stores(settings.client_id or "", app.store.engine)
            oauth_settings = AsyncOAuthSettings(
                client_id=settings.client_id, client_secret=settings.client_secret,
                scopes=list(BOT_SCOPES), user_scopes=[], installation_store=self.installations,
                installation_store_bot_only=True, state_store=states)
            self.app = AsyncApp(name="newsdigest", signing_secret=settings.signing_secret or "",
                                client=self.client, oauth_settings=oauth_settings, installation_store_bot_only=True,
                                user_facing_authorize_error_message=AUTHORIZE_ERROR)
            self.poster = SlackPoster(self.client, token_for_team=self._bot_token)
        else:
            self.client = client or web_client(settings.api_url, token=settings.bot_token)
            self.app = AsyncApp(name="newsdigest", signing_secret=settings.signing_secret or "",
                                client=self.client)
            self.poster = SlackPoster(self.client)
        self.permissions = SlackPermissions(app)
        register_commands(self.app, app, self.poster, self.permissions)

    async def _bot_token(self, team_id: str) -> str | None:
        assert self.installations is not None
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None


def register_commands(slack_app: AsyncApp, app: Newsdigest, poster: SlackPoster,
                      permissions: SlackPermissions) -> None:
    """Wire the slash commands (ack at once, answer lazily) and the link buttons' clicks."""

    prefix = app.settings.command_prefix  # NEWSDIGEST_COMMAND_PREFIX: "/nd-digest" arrives as /digest

    async def acknowledge(ack: Any, command: dict) -> None:
        invocation = _invocation(command, prefix)
        notice = _slow_notice(invocation) if isinstance(invocation, Invocation) else None
        # Work that takes seconds (fetching and digesting a page): say so, only to the person who asked.
        await (ack(text=SLOW_ICON + notice) if notice else ack())

    async def answer(command: dict, respond: Any, client: AsyncWebClient) -> None:
        name = command.get("command") or ""
        team_id, user_id = command.get("team_id") or "", command.get("user_id") or ""
        channel = channel_ref(team_id, command.get("channel_id") or "", command.get("channel_name"))
        invocation = _invocation(command, prefix)
        try:
            if isinstance(invocation, Invocation):
                # Slack is asked only when the command would change the channel: reading costs no API call.
                caller = (await permissions.caller(client, team_id, user_id) if changes_channel(invocation)
                          else Caller(can_manage=False, user_id=user_id or None))
                # dispatch never raises: a failure becomes an error reply, the details go to the log.
                reply = await asyncio.to_thread(dispatch, app, invocation, channel, caller)
            else:
                reply = with_prefix(invocation, prefix, DECLARATION)  # the text was not a command: its usage answer
        except Exception:  # dispatch catches everything; the permission check may not (its database read)
            log.exception("slack %s failed", name)
            reply = error("Something went wrong on the bot's side. The operator has been told.")
        await deliver(reply, command, respond, poster)

    for name in COMMANDS:
        slack_app.command(prefixed(name, prefix))(ack=acknowledge, lazy=[answer])

    async def acknowledge_click(ack: Any) -> None:
        await ack()  # at once: Slack waits 3 s for it; the command's answer follows through response_url

    async def run_clicked(body: dict, respond: Any, client: AsyncWebClient) -> None:
        team_id = (body.get("team") or {}).get("id") or ""
        user_id = (body.get("user") or {}).get("id") or ""
        channel_id = (body.get("channel") or {}).get("id") or ""
        actions = body.get("actions") or [{}]
        invocation = action_invocation(actions[0].get("value"))
        place = {"command": invocation.path if invocation else "button", "team_id": team_id, "channel_id": channel_id}
        try:
            if invocation is None:
                log.warning("slack: a command button's value is not one the bot wrote: %.200r", actions[0].get("value"))
                reply = error("That button does not work any more: type the command instead.", title="Not a button of this bot")
            else:
                caller = (await permissions.caller(client, team_id, user_id) if changes_channel(invocation)
                          else Caller(can_manage=False, user_id=user_id or None))
                reply = await asyncio.to_thread(dispatch, app, invocation, channel_ref(team_id, channel_id), caller)
        except Exception:
            log.exception("slack button %s failed", place["command"])
            reply = error("Something went wrong on the bot's side. The operator has been told.")
        await deliver(reply, place, respond, poster)

    # A command button (bot.views.Action): its click runs the command it names through dispatch.
    slack_app.action(re.compile(f"^{render.RUN_ACTION_PREFIX}_"))(ack=acknowledge_click, lazy=[run_clicked])

    async def acknowledge_shortcut(ack: Any) -> None:
        await ack()  # at once, like a command: fetching and digesting the page takes seconds

    async def digest_shared_link(body: dict, respond: Any, client: AsyncWebClient) -> None:
        team_id = (body.get("team") or {}).get("id") or ""
        user_id = (body.get("user") or {}).get("id") or ""
        channel_id = (body.get("channel") or {}).get("id") or ""
        text = (body.get("message") or {}).get("text") or ""
        place = {"command": SHORTCUT_ID, "team_id": team_id, "channel_id": channel_id}
        try:
            # /digest of a URL never changes the channel: no permission look-up.
            reply = await asyncio.to_thread(digest_link, app, text, channel_ref(team_id, channel_id),
                                            Caller(can_manage=False, user_id=user_id or None))
            reply = with_prefix(reply, prefix, DECLARATION)
        except Exception:
            log.exception("slack shortcut %s failed", SHORTCUT_ID)
            reply = error("Something went wrong on the bot's side. The operator has been told.")
        await deliver(reply, place, respond, poster)

    # The message shortcut "Digest this link" (manifest.yml, features.shortcuts): answered privately
    # through the payload's response_url.
    slack_app.shortcut(SHORTCUT_ID)(ack=acknowledge_shortcut, lazy=[digest_shared_link])

    @slack_app.action(re.compile(f"^{render.LINK_ACTION_PREFIX}"))
    async def link_clicked(ack: Any) -> None:
        # URL buttons open in the browser; Slack still reports the click, which only needs an ack.
        await ack()

    @slack_app.error
    async def on_error(error: Exception, body: dict) -> None:
        log.error("slack: %s while handling %s", error, (body or {}).get("command") or (body or {}).get("type"),
                  exc_info=error)


def _invocation(command: dict, prefix: str = "") -> Invocation | Reply:
    """The slash command's text read into the declaration's typed invocation (or its usage answer)."""
    return read_command(unprefixed(command.get("command") or "", prefix), command.get("text") or "", PLATFORM)


def _slow_notice(invocation: Invocation) -> str | None:
    leaf = DECLARATION.leaf(invocation)
    return leaf.slow_notice if leaf is not None and leaf.may_be_slow(invocation) else None


async def deliver(reply: Reply, command: dict, respond: Any, poster: SlackPoster) -> None:
    """Send a reply to where the command was typed. A digest too long for one message is posted with
    the bot token so that the rest can go into its thread; if that fails (a private channel the bot is
    not in), the first message alone goes back through response_url, cut with "…and N more"."""
    in_channel = reply.visibility == "channel"
    response_type = "in_channel" if in_channel else "ephemeral"
    messages = render.reply_messages(reply, thread=in_channel)
    if len(messages) > 1:
        target = channel_ref(command.get("team_id"), command.get("channel_id") or "").external_id
        result = await poster.post_messages(target, messages)
        if result.status == "posted":
            return
        messages = render.reply_messages(reply, thread=False)
    message = messages[0]
    try:
        response = await respond(response_type=response_type, unfurl_links=False, unfurl_media=False,
                                 **message.payload())
        if response.status_code == 200:
            return
        log.error("slack: response_url refused the reply to %s (HTTP %s: %s)", command.get("command"),
                  response.status_code, (response.body or "")[:200])
    except Exception as exc:
        log.error("slack: cannot answer %s through response_url: %s", command.get("command"), exc)
        return
    # The layout was refused (it should not be): say so in plain words rather than stay silent.
    try:
        await respond(response_type="ephemeral",
                      text="The answer could not be shown in Slack. The operator has been told; try again, "
                           "or ask in fewer words.")
    except Exception as exc:
        log.error("slack: cannot answer %s through response_url: %s", command.get("command"), exc)
