"""The discord.py client: its application commands (`commands`, from the command declaration) and
how their answers are sent.

Each command's options are parsed by discord.py (`options.Text` and `options.Flag` refuse values of
the wrong type) into the declaration's typed invocation, which `bot.commands.dispatch` runs in a
worker thread (`asyncio.to_thread`, so that the gateway's heartbeat never waits on a digest); the
`Reply` is rendered (`render`) and sent:

- an answer ready within `ack_budget` seconds (ACK_BUDGET, 1.5 s) of the interaction's creation (its
  snowflake time, so that time spent reaching the bot counts) is the interaction's response; Discord
  allows 3 s for the first response, and the other 1.5 s are the margin for a loaded host and the network;
- otherwise, and at once for work the declaration says may be slow (a /digest of a URL or of pasted
  text, /dispute, /newsdigest subscribe), the bot defers (response type 5, "thinking…") and then edits that response;
- a reply meant for the asker only (`Reply.visibility == "private"`) is ephemeral (flag 64); a
  deferral takes the visibility the declaration gives the command. When a
  public deferral turns out to need a private answer (the URL could not be fetched, nothing
  matched), the public "thinking…" message is deleted and the answer sent privately.

Every failure ends in a reply the person can read (`NewsdigestTree.on_error`), never a silently
failed interaction. Nothing the bot sends can mention anyone: `AllowedMentions.none()` on the client
and on every send, and article text is escaped by `render`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import discord
from discord import app_commands

from bot.app import Newsdigest
from bot.commands import DECLARATION, Invocation, dispatch
from bot.commands.actions import action_invocation
from bot.commands.declaration import unprefixed
from bot.commands.prefix import with_prefix
from bot.commands.shortcuts import NAME as SHORTCUT_NAME
from bot.commands.shortcuts import digest_link
from bot.replies import Reply, Section, error, usage

from ..platform import PlatformError
from . import render
from .commands import add_commands
from .options import OptionError, caller_of, channel_ref, describe_value

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Seconds after an interaction's creation within which an answer is sent directly, else the bot defers.
# Discord wants the first response within 3 s: this keeps 1.5 s for the deferral itself to get there.
ACK_BUDGET = 1.5

# Privileged gateway intents and the application flags saying the Developer Portal allows them.
PRIVILEGED_INTENTS = {
    "members": ("gateway_guild_members", "gateway_guild_members_limited"),
    "presences": ("gateway_presence", "gateway_presence_limited"),
    "message_content": ("gateway_message_content", "gateway_message_content_limited"),
}


class StartupError(PlatformError):
    """The bot cannot start; the message is one line for the operator."""


def default_intents() -> discord.Intents:
    """What the commands need: guild events only (channel names), no privileged intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


def missing_privileged_intents(intents: discord.Intents, flags: discord.ApplicationFlags) -> list[str]:
    """The privileged intents `intents` asks for that the application is not allowed (the Developer
    Portal's "Privileged Gateway Intents" switches)."""
    return [name for name, allowed in PRIVILEGED_INTENTS.items()
            if getattr(intents, name) and not any(getattr(flags, flag) for flag in allowed)]


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    if command is not None:
        return "/" + command.qualified_name
    data: Mapping[str, object] = interaction.data or {}
    return "/" + str(data.get("name", "command"))


class NewsdigestTree(app_commands.CommandTree):
    """The command tree; its error handler answers every failure."""

    client: NewsdigestClient

    async def on_error(self, interaction: discord.Interaction, exc: app_commands.AppCommandError) -> None:
        reply = reply_for_error(interaction, exc)
        try:
            await self.client.send_reply(interaction, reply)
        except Exception:
            log.exception("%s: could not send the error reply", _command_name(interaction))


def reply_for_error(interaction: discord.Interaction, exc: Exception) -> Reply:
    app = getattr(interaction.client, "app", None)
    prefix = app.settings.command_prefix if isinstance(app, Newsdigest) else ""
    return with_prefix(_reply_for_error(interaction, exc, prefix), prefix, DECLARATION)


def _reply_for_error(interaction: discord.Interaction, exc: Exception, prefix: str) -> Reply:
    name = _command_name(interaction)
    if isinstance(exc, app_commands.MissingPermissions):
        return Reply(kind="usage", title="You need the Manage Channels permission",
                     summary="Only members who can manage this channel can change its feeds, schedule and digests.",
                     sections=[Section(text="Only members who can manage this channel can change its feeds, schedule "
                                            "and digests. Ask one of them, or see the current settings with /newsdigest settings.")],
                     visibility="private")
    if isinstance(exc, app_commands.NoPrivateMessage):
        return usage("Use this in a server channel", f"{name} sets a server channel's feeds and schedule: use it in that channel.")
    if isinstance(exc, app_commands.CheckFailure):
        return usage("Not allowed here", f"You cannot use {name} here.")
    if isinstance(exc, OptionError):
        return usage("Check the options", f"{exc}\nUsage: {_usage_of(name, prefix)}")
    if isinstance(exc, app_commands.TransformerError):
        return usage("Check the options", f"The bot could not read the value {describe_value(exc.value)}.\nUsage: {_usage_of(name, prefix)}")
    if isinstance(exc, (app_commands.CommandSignatureMismatch, app_commands.CommandNotFound)):
        log.warning("%s: the command Discord sent does not match the bot's (%s); restarting the bot re-syncs them", name, exc)
        return usage("This command is out of date",
                     f"Discord sent {name} with options the bot does not expect (its commands may have changed). "
                     f"Usage: {_usage_of(name, prefix)}\nIf this persists, ask the bot's operator to restart it: it registers "
                     "its commands when it starts.")
    original = getattr(exc, "original", exc)
    log.error("%s failed", name, exc_info=original)
    return error("Something went wrong on the bot's side. The operator has been told.")


def _usage_of(name: str, prefix: str = "") -> str:
    """The usage of the command Discord sent as `name` ("/nd-newsdigest schedule" under the prefix
    "nd-"), written with the names Discord shows."""
    top, _, rest = name.partition(" ")
    declared = unprefixed(top, prefix)
    usage_lines = DECLARATION.usage(f"{declared} {rest}".strip(), "options")
    return usage_lines.replace(declared, top) if prefix else usage_lines


class NewsdigestClient(discord.AutoShardedClient):
    """The bot on Discord. `login()` syncs the commands (to `guild_id` when set, else globally).

    Sharded (discord.py's AutoShardedClient): without `shard_count` one process runs as many shards as
    Discord recommends (GET /gateway/bot: 1 below 2,500 servers); with `shard_count` and `shard_ids`
    each chat process runs its share, and Discord sends each server's events to one shard only
    ((guild_id >> 22) % shard_count), so no two processes answer the same interaction. Nothing a command
    needs lives in the client: every process answers from the shared store."""

    def __init__(self, app: Newsdigest, *, guild_id: int | None = None, intents: discord.Intents | None = None,
                 ack_budget: float = ACK_BUDGET, announce: Callable[[str], None] | None = None,
                 shard_count: int | None = None, shard_ids: list[int] | None = None,
                 **options: Any) -> None:
        # The bot never joins voice: no warnings about voice libraries it does not need.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # A rate limit longer than a minute becomes discord.RateLimited (a post is retried later)
        # instead of a wait inside discord.py.
        options.setdefault("max_ratelimit_timeout", 60.0)
        if shard_count is not None:
            options["shard_count"] = shard_count
        if shard_ids is not None:
            options["shard_ids"] = shard_ids
        super().__init__(intents=intents or default_intents(), allowed_mentions=NO_MENTIONS, **options)
        self.app = app
        self.guild_id = guild_id
        self.ack_budget = ack_budget
        self.announce = announce or log.info
        self.synced: list[app_commands.AppCommand] = []
        self._announced_ready = False
        self.tree = NewsdigestTree(self)
        add_commands(self.tree, app.settings.command_prefix)
        # A message's Apps menu: "Digest this link" (bot.commands.shortcuts).
        self.tree.add_command(app_commands.ContextMenu(name=SHORTCUT_NAME, callback=digest_this_link))
        self.add_dynamic_items(RunButton)

    # Start-up

    async def setup_hook(self) -> None:
        missing = missing_privileged_intents(self.intents, self.application_flags)
        if missing:
            raise StartupError(
                f"the bot asks for the privileged intent(s) {', '.join(missing)}, which this application is not "
                "allowed: switch them on under Bot → Privileged Gateway Intents in the Discord Developer Portal "
                "(newsdigest's commands need none)")
        await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        try:
            if self.guild_id:
                guild = discord.Object(id=self.guild_id)
                self.tree.copy_global_to(guild=guild)
                self.synced = await self.tree.sync(guild=guild)
                where = f"to server {self.guild_id} (usable now)"
            else:
                self.synced = await self.tree.sync()
                where = "globally (Discord can take up to an hour to show new commands)"
        except discord.Forbidden as exc:
            target = f"server {self.guild_id}" if self.guild_id else "Discord"
            raise StartupError(
                f"Discord refused to register the commands in {target} ({exc.status} {exc.text or 'Forbidden'}): "
                "invite the bot to that server with the applications.commands scope (see the README, "
                "Connecting Discord)") from None
        slash = [c for c in self.synced if c.type is discord.AppCommandType.chat_input]
        menus = [c for c in self.synced if c.type is not discord.AppCommandType.chat_input]
        self.announce(f"{len(slash)} commands synced {where}: " + ", ".join(f"/{c.name}" for c in slash)
                      + "".join(f"; message menu “{c.name}”" for c in menus))
        return self.synced

    async def on_ready(self) -> None:
        if not self._announced_ready:
            self._announced_ready = True
            self.announce(f"connected as {self.user} in {len(self.guilds)} server(s); no privileged intents needed"
                          + self._shards_line())

    def _shards_line(self) -> str:
        # Only when sharded, so that the one-shard line stays as operators know it.
        count = self.shard_count or 1
        if count == 1:
            return ""
        ids = sorted(self.shards)
        return f"; shards {', '.join(map(str, ids))} of {count}"

    # Answering

    async def run_invocation(self, interaction: discord.Interaction, invocation: Invocation) -> None:
        """Run a command the way every platform does (`bot.commands.dispatch`), deferring as its
        declaration says: at once when it may be slow, with the visibility its answer will have."""
        command = DECLARATION.leaf(invocation)
        channel, caller = channel_ref(interaction), caller_of(interaction)
        await self.answer(interaction, lambda: dispatch(self.app, invocation, channel, caller),
                          defer_now=command is not None and command.may_be_slow(invocation),
                          private=command is not None and command.visibility_of(invocation) == "private")

    async def answer(self, interaction: discord.Interaction, call: Callable[[], Reply], *,
                     defer_now: bool = False, private: bool = False) -> None:
        """Run `call` (the bot's work, which never raises) in a thread and send its reply within
        Discord's time limit. `private` is the visibility to defer with, when the bot must defer
        before it knows the reply."""
        work = asyncio.ensure_future(asyncio.to_thread(call))
        if not defer_now:
            await asyncio.wait({work}, timeout=self.time_left(interaction))
        if not work.done():
            await interaction.response.defer(ephemeral=private, thinking=True)
            interaction.extras["deferred_private"] = private
        await self.send_reply(interaction, await work)

    def time_left(self, interaction: discord.Interaction) -> float:
        """Seconds of the acknowledgement budget left, counted from the interaction's creation time (its
        snowflake). A clock behind Discord's never gives more than the whole budget from now; one ahead
        only makes the bot defer sooner."""
        elapsed = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        return max(0.0, min(self.ack_budget, self.ack_budget - elapsed))

    async def send_reply(self, interaction: discord.Interaction, reply: Reply) -> None:
        """Send `reply` as the interaction's response (or as the edit of its deferred response), with
        follow-ups for what does not fit in one message."""
        messages = render.reply_messages(reply)
        private = reply.visibility == "private"
        try:
            private = await self._send_first(interaction, messages[0], private)
            for message in messages[1:]:
                await interaction.followup.send(**_message_args(message), ephemeral=private,
                                                allowed_mentions=NO_MENTIONS, wait=True)
        except discord.HTTPException as exc:
            log.error("%s: Discord refused the reply (%s %s); sending a short note instead",
                      _command_name(interaction), exc.status, exc.text)
            note = f"The answer could not be shown on Discord ({exc.status}: {exc.text or 'refused'})."
            if interaction.response.is_done():
                await interaction.followup.send(note, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(note, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _send_first(self, interaction: discord.Interaction, message: render.Message, private: bool) -> bool:
        """Send the first message; returns the visibility it (and so its follow-ups) ended with."""
        extras = interaction.extras
        if not interaction.response.is_done():
            await interaction.response.send_message(**_message_args(message), ephemeral=private,
                                                    allowed_mentions=NO_MENTIONS)
        elif "deferred_private" in extras and not extras.get("answered"):
            deferred_private = extras["deferred_private"]
            if private and not deferred_private:
                # Deferred in public, but the answer is for the asker only: remove the public
                # "thinking…" message and answer privately.
                await interaction.delete_original_response()
                await interaction.followup.send(**_message_args(message), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS, wait=True)
            else:
                # The deferred response keeps the visibility it was deferred with.
                await interaction.edit_original_response(**_message_args(message), allowed_mentions=NO_MENTIONS)
                private = deferred_private
        else:
            await interaction.followup.send(**_message_args(message), ephemeral=private,
                                            allowed_mentions=NO_MENTIONS, wait=True)
        extras["answered"] = True
        return private

async def digest_this_link(interaction: discord.Interaction, message: discord.Message) -> None:
    """The message context-menu command: the digest of the message's first link, for the person who
    asked only. Deferred (ephemeral) at once, since fetching the page takes seconds; Discord sends the
    message's text with the interaction, so no privileged intent is needed."""
    client = cast("NewsdigestClient", interaction.client)
    channel, caller = channel_ref(interaction), caller_of(interaction)
    prefix = client.app.settings.command_prefix
    await client.answer(interaction, lambda: with_prefix(digest_link(client.app, message.content, channel, caller),
                                                         prefix, DECLARATION),
                        defer_now=True, private=True)


class RunButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=re.compile(re.escape(render.BUTTON_PREFIX) + r"(?P<value>.+)", re.DOTALL)):
    """A command button (bot.views.Action): clicked, it runs the command its custom_id carries through
    the one dispatch path, answered within Discord's time limit like a typed command. Registered as
    a dynamic item, so buttons of messages sent before a restart still work."""

    def __init__(self, label: str, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary, custom_id=custom_id))
        self.value = custom_id[len(render.BUTTON_PREFIX):]

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> RunButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(label or "Run", render.BUTTON_PREFIX + match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = cast("NewsdigestClient", interaction.client)
        invocation = action_invocation(self.value)
        if invocation is None:
            log.warning("discord: a button's custom_id is not one the bot wrote: %.100r", self.value)
            await interaction.response.send_message("That button does not work any more: use the command instead.",
                                                    ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await client.run_invocation(interaction, invocation)


def buttons_view(message: render.Message) -> discord.ui.View:
    """The message's command buttons as components (each a RunButton, so clicks reach the bot after
    a restart too)."""
    view = discord.ui.View(timeout=None)
    for label, custom_id in message.buttons:
        view.add_item(RunButton(label, custom_id))
    return view


def _message_args(message: render.Message) -> dict[str, Any]:
    args: dict[str, Any] = {"embeds": message.embeds}
    if message.buttons:
        args["view"] = buttons_view(message)
    if message.content:
        args["content"] = message.content
    return args
