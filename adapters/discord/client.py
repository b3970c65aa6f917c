"""The discord.py client and its application commands.

Each command parses its options (discord.py does the parsing; `Text` and `Flag` refuse values of the
wrong type), calls a `bot.commands` function in a worker thread (`asyncio.to_thread`, so that the
gateway's heartbeat never waits on a digest), renders the `Reply` (`render`) and sends it:

- an answer ready within `ack_budget` seconds (ACK_BUDGET, 1.5 s) of the interaction's creation (its
  snowflake time, so that time spent reaching the bot counts) is the interaction's response; Discord
  allows 3 s for the first response, and the other 1.5 s are the margin for a loaded host and the network;
- otherwise, and at once for work that is slow by nature (a /digest of a URL or of pasted text, and
  /dispute), the bot defers (response type 5, "thinking…") and then edits that response;
- a reply meant for the asker only (`Reply.visibility == "private"`) is ephemeral (flag 64). When a
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
from typing import Any

import discord
from discord import app_commands

from bot import commands
from bot.app import Newsdigest
from bot.commands import run_safely
from bot.replies import Reply, Section, error, usage
from bot.store import articles as article_store
from bot.store.channels import ChannelRef
from bot.whosaid import MAX_FRAGMENT

from ..platform import PlatformError
from . import render

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Seconds after an interaction's creation within which an answer is sent directly, else the bot defers.
# Discord wants the first response within 3 s: this keeps 1.5 s for the deferral itself to get there.
ACK_BUDGET = 1.5
MAX_OPTION_TEXT = 6000  # Discord's longest string option
_URL = re.compile(r"\s*https?://\S+\s*\Z")

# The ways a person types these commands on Discord (the help texts come from bot.commands).
DISCORD_USAGE = {
    "/digest": "/digest [article]",
    "/dispute": "/dispute [article]",
    "/who-said": "/who-said fragment [share]",
}

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


# Options: discord.py passes option values through as Discord sent them; these refuse wrong types.

class OptionError(app_commands.AppCommandError):
    """An option value of the wrong type; the message is for the person."""


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


class Text(app_commands.Transformer):
    """A string option, at most `max_length` characters long (Discord's client enforces it too)."""

    def __init__(self, option: str, max_length: int = MAX_OPTION_TEXT) -> None:
        self.option, self._max_length = option, max_length

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def max_value(self) -> int:  # for a string option: max_length
        return self._max_length

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        if not isinstance(value, str):
            raise OptionError(f"The option “{self.option}” must be text, not {_describe(value)}.")
        return value


class Flag(app_commands.Transformer):
    """A true/false option."""

    def __init__(self, option: str) -> None:
        self.option = option

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.boolean

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> bool:
        if not isinstance(value, bool):
            raise OptionError(f"The option “{self.option}” must be true or false, not {_describe(value)}.")
        return value


def channel_ref(interaction: discord.Interaction) -> ChannelRef:
    """The interaction's channel and its server (guild), whose articles the command sees; a direct
    message has no guild and is a workspace of its own."""
    channel = interaction.channel
    return ChannelRef(platform="discord", external_id=str(interaction.channel_id),
                      name=getattr(channel, "name", None) or None,
                      workspace=str(interaction.guild_id) if interaction.guild_id else None)


def caller_of(interaction: discord.Interaction) -> commands.Caller:
    """Who runs the command: on Discord, whoever has Manage Channels in this channel may change it
    (the permission /newsdigest's configuration commands check), and anyone in their own DM with the bot."""
    can_manage = isinstance(interaction.channel, discord.DMChannel) or interaction.permissions.manage_channels
    return commands.Caller(can_manage=can_manage, user_id=str(interaction.user.id))


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
    name = _command_name(interaction)
    if isinstance(exc, app_commands.MissingPermissions):
        return Reply(kind="usage", title="You need the Manage Channels permission",
                     summary="Only members who can manage this channel can change its feeds and schedule.",
                     sections=[Section(text="Only members who can manage this channel can change its feeds and "
                                            "schedule. Ask one of them, or see the current settings with /newsdigest feeds.")],
                     visibility="private")
    if isinstance(exc, app_commands.NoPrivateMessage):
        return usage("Use this in a server channel", f"{name} sets a server channel's feeds and schedule: use it in that channel.")
    if isinstance(exc, app_commands.CheckFailure):
        return usage("Not allowed here", f"You cannot use {name} here.")
    if isinstance(exc, OptionError):
        return usage("Check the options", f"{exc}\nUsage: {_usage_of(name)}")
    if isinstance(exc, app_commands.TransformerError):
        return usage("Check the options", f"The bot could not read the value {_describe(exc.value)}.\nUsage: {_usage_of(name)}")
    if isinstance(exc, (app_commands.CommandSignatureMismatch, app_commands.CommandNotFound)):
        log.warning("%s: the command Discord sent does not match the bot's (%s); restarting the bot re-syncs them", name, exc)
        return usage("This command is out of date",
                     f"Discord sent {name} with options the bot does not expect (its commands may have changed). "
                     f"Usage: {_usage_of(name)}\nIf this persists, ask the bot's operator to restart it: it registers "
                     "its commands when it starts.")
    original = getattr(exc, "original", exc)
    log.error("%s failed", name, exc_info=original)
    return error("Something went wrong on the bot's side. The operator has been told.")


def _usage_of(name: str) -> str:
    if name in DISCORD_USAGE:
        return DISCORD_USAGE[name]
    if name.startswith("/newsdigest"):
        return commands.NEWSDIGEST_USAGE.replace("\n", "; ")
    return name


def help_reply() -> Reply:
    """/newsdigest help: the channel subcommands (from bot.commands) and the other commands."""
    lines = [f"{DISCORD_USAGE[c.name]} — {c.help}" for c in commands.COMMANDS.values() if c.name in DISCORD_USAGE]
    return Reply(kind="usage", title="newsdigest", summary="Commands: /digest, /dispute, /who-said, /newsdigest",
                 sections=[Section(title="Commands", text="\n".join(lines)),
                           Section(title="This channel (Manage Channels permission)", text=commands.NEWSDIGEST_USAGE)],
                 visibility="private")


class NewsdigestClient(discord.Client):
    """The bot on Discord. `login()` syncs the commands (to `guild_id` when set, else globally)."""

    def __init__(self, app: Newsdigest, *, guild_id: int | None = None, intents: discord.Intents | None = None,
                 ack_budget: float = ACK_BUDGET, announce: Callable[[str], None] | None = None,
                 **options: Any) -> None:
        # The bot never joins voice: no warnings about voice libraries it does not need.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # A rate limit longer than a minute becomes discord.RateLimited (a post is retried later)
        # instead of a wait inside discord.py.
        options.setdefault("max_ratelimit_timeout", 60.0)
        super().__init__(intents=intents or default_intents(), allowed_mentions=NO_MENTIONS, **options)
        self.app = app
        self.guild_id = guild_id
        self.ack_budget = ack_budget
        self.announce = announce or log.info
        self.synced: list[app_commands.AppCommand] = []
        self._announced_ready = False
        self.tree = NewsdigestTree(self)
        add_commands(self.tree, self)

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
        self.announce(f"{len(self.synced)} commands synced {where}: " + ", ".join(f"/{c.name}" for c in self.synced))
        return self.synced

    async def on_ready(self) -> None:
        if not self._announced_ready:
            self._announced_ready = True
            self.announce(f"connected as {self.user} in {len(self.guilds)} server(s); no privileged intents needed")

    # Answering

    async def answer(self, interaction: discord.Interaction, call: Callable[[], Reply], *, name: str,
                     defer_now: bool = False, private: bool = False) -> None:
        """Run `call` (the bot's work) in a thread and send its reply within Discord's time limit.
        `private` is the visibility to defer with, when the bot must defer before it knows the reply."""
        work = asyncio.ensure_future(asyncio.to_thread(run_safely, call, name, app=self.app, platform="discord"))
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

    # Autocomplete

    async def article_autocomplete(self, interaction: discord.Interaction, current: Any) -> list[app_commands.Choice[str]]:
        prefix = current if isinstance(current, str) else ""
        tenant = channel_ref(interaction).tenant  # the server's own articles only
        try:
            articles = await asyncio.to_thread(article_store.recent_articles, self.app.store, render.CHOICES, prefix, tenant=tenant)
        except Exception:
            log.exception("article autocomplete failed")
            return []
        return render.article_choices(articles)

    async def timezone_autocomplete(self, interaction: discord.Interaction, current: Any) -> list[app_commands.Choice[str]]:
        import zoneinfo

        typed = (current if isinstance(current, str) else "").strip().lower().replace(" ", "_")
        names = sorted(zoneinfo.available_timezones())
        found = [n for n in names if n.lower().startswith(typed)] + [n for n in names if typed in n.lower() and not n.lower().startswith(typed)]
        return [app_commands.Choice(name=n, value=n) for n in (found if typed else ["UTC", *names])[:render.CHOICES]]


def _message_args(message: render.Message) -> dict[str, Any]:
    args: dict[str, Any] = {"embeds": message.embeds}
    if message.content:
        args["content"] = message.content
    return args


def _may_be_slow(article: str | None) -> bool:
    """A /digest that may fetch a URL or digest pasted text: defer at once."""
    if not article:
        return False
    return bool(_URL.match(article)) or len(article.split()) >= commands.MIN_PASTED_WORDS


ArticleOption = app_commands.Transform[str, Text("article")]


def add_commands(tree: app_commands.CommandTree, client: NewsdigestClient) -> None:
    app = client.app

    @tree.command(name="digest", description="The digest of a stored article, or of a new one: a URL or the article's text")
    @app_commands.describe(article="Title words, an article from the list, a URL, or the whole article's text (latest when empty)")
    @app_commands.autocomplete(article=client.article_autocomplete)
    async def digest(interaction: discord.Interaction, article: ArticleOption = None) -> None:  # type: ignore[assignment]
        # "now" and "preview" are this channel's next scheduled digest; "now" needs Manage Channels.
        caller = caller_of(interaction)
        await client.answer(interaction, lambda: commands.permitted("/digest", article or "", caller)
                            or commands.digest(app, article or None, channel_ref(interaction)), name="/digest",
                            defer_now=_may_be_slow(article))

    @tree.command(name="dispute", description="The dispute of the latest article that reports one, or of the one named")
    @app_commands.describe(article="Title words, an article from the list, a URL or an id (latest dispute when empty)")
    @app_commands.autocomplete(article=client.article_autocomplete)
    async def dispute(interaction: discord.Interaction, article: ArticleOption = None) -> None:  # type: ignore[assignment]
        await client.answer(interaction, lambda: commands.dispute(app, article or None, channel_ref(interaction)),
                            name="/dispute", defer_now=True)

    @tree.command(name="who-said", description="Who said a quote, and in which article (only you see the answer unless you share it)")
    @app_commands.describe(fragment="A few words of the quote", share="Post the answer in the channel (default: only you see it)")
    async def who_said(interaction: discord.Interaction,
                       fragment: app_commands.Transform[str, Text("fragment", MAX_FRAGMENT)],
                       share: app_commands.Transform[bool, Flag("share")] = False) -> None:
        channel = channel_ref(interaction)
        await client.answer(interaction, lambda: commands.who_said(app, fragment, share=share, channel=channel), name="/who-said",
                            private=not share)

    group = app_commands.Group(name="newsdigest", description="This channel's news feeds and digest schedule",
                               guild_only=True, default_permissions=discord.Permissions(manage_channels=True))
    manage_channels = app_commands.checks.has_permissions(manage_channels=True)

    def _in_a_server(interaction: discord.Interaction) -> bool:
        # Discord shows /newsdigest only in servers (guild_only); a payload from a DM is refused here too.
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    in_a_server = app_commands.check(_in_a_server)

    @group.command(name="help", description="The newsdigest commands")
    async def help_(interaction: discord.Interaction) -> None:
        await client.send_reply(interaction, help_reply())

    @group.command(name="feeds", description="This channel's feeds and digest schedule")
    @in_a_server
    async def feeds(interaction: discord.Interaction) -> None:
        channel = channel_ref(interaction)
        await client.answer(interaction, lambda: commands.feeds(app, channel), name="/newsdigest feeds", private=True)

    @group.command(name="subscribe", description="Add a news feed to this channel's digests")
    @app_commands.describe(feed_url="The feed's address (RSS or Atom), or the site's")
    @manage_channels
    @in_a_server
    async def subscribe(interaction: discord.Interaction,
                        feed_url: app_commands.Transform[str, Text("feed_url", 2000)]) -> None:
        channel = channel_ref(interaction)
        # The address is fetched (to check the feed, or find it on the site's page): defer at once.
        await client.answer(interaction, lambda: commands.subscribe(app, channel, feed_url), name="/newsdigest subscribe",
                            defer_now=True)

    @group.command(name="unsubscribe", description="Remove a news feed from this channel")
    @app_commands.describe(feed_url="The feed's address, as /newsdigest feeds lists it")
    @manage_channels
    @in_a_server
    async def unsubscribe(interaction: discord.Interaction,
                          feed_url: app_commands.Transform[str, Text("feed_url", 2000)]) -> None:
        channel = channel_ref(interaction)
        await client.answer(interaction, lambda: commands.unsubscribe(app, channel, feed_url), name="/newsdigest unsubscribe")

    @group.command(name="resume", description="Poll a feed again that was paused after failing too often")
    @app_commands.describe(feed_url="The paused feed's address, as /newsdigest feeds lists it")
    @manage_channels
    @in_a_server
    async def resume(interaction: discord.Interaction, feed_url: app_commands.Transform[str, Text("feed_url", 2000)]) -> None:
        channel = channel_ref(interaction)
        await client.answer(interaction, lambda: commands.resume(app, channel, feed_url), name="/newsdigest resume")

    @group.command(name="schedule", description="When this channel gets its digest, e.g. weekdays 08:00; off to stop")
    @app_commands.describe(when="weekdays 08:00, daily 18:30, mon 09:15, hourly, a cron line, or off",
                           timezone="A time zone such as Europe/Paris (default UTC)")
    @app_commands.autocomplete(timezone=client.timezone_autocomplete)
    @manage_channels
    @in_a_server
    async def schedule(interaction: discord.Interaction, when: app_commands.Transform[str, Text("when", 100)],
                       timezone: app_commands.Transform[str, Text("timezone", 100)] = "UTC") -> None:
        channel = channel_ref(interaction)
        await client.answer(interaction, lambda: commands.set_schedule(app, channel, when, timezone or "UTC"),
                            name="/newsdigest schedule")

    tree.add_command(group)
