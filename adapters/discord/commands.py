"""The application commands, from the command declaration (`bot.commands.DECLARATION`).

/digest, /dispute, /who-said and /quotes are top-level commands; /newsdigest is a class-based group
(`NewsdigestGroup`, an `app_commands.Group` subclass with one method per subcommand). Each command's
name, description, option descriptions, autocomplete and permission checks come from its declared
`Command` (`declared`); the method only names its typed options, so that discord.py can read their
types from the signature, and hands them on as the declaration's typed `Invocation`. The client runs
every invocation through `bot.commands.dispatch`, the one path of every platform.
tests/test_discord.py checks the synced payloads against the declaration.
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bot.commands import DECLARATION, Command, Invocation
from bot.commands.declaration import Completion, Value, prefixed
from bot.store import articles as article_store

from . import render
from .options import Flag, Text, channel_ref

if TYPE_CHECKING:
    from .client import NewsdigestClient

log = logging.getLogger(__name__)

PLATFORM = "discord"

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, None]])


def leaf(path: str) -> Command:
    """The declared command or subcommand at `path` ("/newsdigest schedule")."""
    found = DECLARATION.at(path)
    assert found is not None and found.offered(PLATFORM), f"{path} is not declared for Discord"
    return found


def text(path: str, option: str) -> Text:
    """The transformer of a declared text option: its longest value is the declaration's."""
    return Text(option, leaf(path).option(option).max_length)


def flag(path: str, option: str) -> Flag:
    assert leaf(path).option(option).kind == "flag"
    return Flag(option)


# Autocomplete: what each declared kind of completion offers

async def article_choices(interaction: discord.Interaction, current: Any) -> list[app_commands.Choice[str]]:
    prefix = current if isinstance(current, str) else ""
    tenant = channel_ref(interaction).tenant  # the server's own articles only
    client = cast("NewsdigestClient", interaction.client)
    try:
        articles = await asyncio.to_thread(article_store.recent_articles, client.app.store, render.CHOICES, prefix,
                                           tenant=tenant)
    except Exception:
        log.exception("article autocomplete failed")
        return []
    return render.article_choices(articles)


async def timezone_choices(interaction: discord.Interaction, current: Any) -> list[app_commands.Choice[str]]:
    typed = (current if isinstance(current, str) else "").strip().lower().replace(" ", "_")
    names = sorted(zoneinfo.available_timezones())
    found = ([n for n in names if n.lower().startswith(typed)]
             + [n for n in names if typed in n.lower() and not n.lower().startswith(typed)])
    return [app_commands.Choice(name=n, value=n) for n in (found if typed else ["UTC", *names])[:render.CHOICES]]


COMPLETIONS: dict[Completion, Callable[[discord.Interaction, Any], Coroutine[Any, Any, list[app_commands.Choice[str]]]]] = {
    "article": article_choices,
    "timezone": timezone_choices,
}


# Checks

def _in_a_server(interaction: discord.Interaction) -> bool:
    # Discord shows /newsdigest only in servers (guild_only); a payload from a DM is refused here too.
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return True


in_a_server = app_commands.check(_in_a_server)
manage_channels = app_commands.checks.has_permissions(manage_channels=True)


def declared(path: str, prefix: str = "") -> Callable[[F], app_commands.Command[Any, ..., None]]:
    """Make `func` the application command declared at `path`: its name and description, its options'
    descriptions, choices and autocomplete, and the checks its declaration asks for (a command that
    always changes the channel needs Manage Channels; one about a channel's own settings, a server)."""
    command = leaf(path)

    def decorate(func: F) -> app_commands.Command[Any, ..., None]:
        described: Any = app_commands.describe(**{o.name: o.description for o in command.options})(func)
        choices = {o.name: [app_commands.Choice(name=c, value=c) for c in o.choices] for o in command.options if o.choices}
        if choices:
            described = app_commands.choices(**choices)(described)
        completions = {o.name: COMPLETIONS[o.autocomplete] for o in command.options if o.autocomplete}
        if completions:
            described = app_commands.autocomplete(**completions)(described)
        # Checks run in the order they are added: first where, then who.
        if command.per_channel:
            described = in_a_server(described)
        if command.changes is True:
            described = manage_channels(described)
        # A top-level command takes the operator's prefix (NEWSDIGEST_COMMAND_PREFIX); a subcommand keeps its name.
        name = prefixed(command.name, prefix) if command.name.startswith("/") else command.name
        return app_commands.command(name=name.lstrip("/"), description=command.description)(described)

    return decorate


async def invoke(interaction: discord.Interaction, command: str, subcommand: str | None = None,
                 **options: Value | None) -> None:
    """Hand the typed options on as the declaration's invocation (options not given are left out)."""
    given = {name: value for name, value in options.items() if value is not None}
    client = cast("NewsdigestClient", interaction.client)
    await client.run_invocation(interaction, Invocation.of(command, subcommand, form="options", **given))


# The commands

def top_level_commands(prefix: str = "") -> list[app_commands.Command[Any, ..., None]]:
    """Fresh command objects for one client's tree, named with the operator's prefix."""

    @declared("/digest", prefix)
    async def digest(interaction: discord.Interaction,
                     article: app_commands.Transform[str, text("/digest", "article")] = None) -> None:  # type: ignore[assignment]
        # "now" and "preview" are this channel's next scheduled digest; "now" needs Manage Channels.
        await invoke(interaction, "/digest", article=article or None)

    @declared("/dispute", prefix)
    async def dispute(interaction: discord.Interaction,
                      article: app_commands.Transform[str, text("/dispute", "article")] = None) -> None:  # type: ignore[assignment]
        await invoke(interaction, "/dispute", article=article or None)

    @declared("/who-said", prefix)
    async def who_said(interaction: discord.Interaction,
                       fragment: app_commands.Transform[str, text("/who-said", "fragment")],
                       share: app_commands.Transform[bool, flag("/who-said", "share")] = False) -> None:
        await invoke(interaction, "/who-said", fragment=fragment, share=share)

    @declared("/quotes", prefix)
    async def quotes(interaction: discord.Interaction,
                     person: app_commands.Transform[str, text("/quotes", "person")],
                     words: app_commands.Transform[str, text("/quotes", "words")] = None,  # type: ignore[assignment]
                     share: app_commands.Transform[bool, flag("/quotes", "share")] = False) -> None:
        await invoke(interaction, "/quotes", person=person, words=words or None, share=share)

    return [digest, dispute, who_said, quotes]


class NewsdigestGroup(app_commands.Group):
    """/newsdigest: the declaration's group, one method per subcommand it offers on Discord, in its
    order (Discord lists them so)."""

    def __init__(self, prefix: str = "") -> None:
        group = leaf("/newsdigest")
        # No default permissions: Discord sets them for a whole group, and every member may read the
        # settings and the help; each subcommand that changes the channel checks Manage Channels.
        super().__init__(name=prefixed(group.name, prefix).lstrip("/"), description=group.description, guild_only=True)

    @declared("/newsdigest subscribe")
    async def subscribe(self, interaction: discord.Interaction,
                        feed_url: app_commands.Transform[str, text("/newsdigest subscribe", "feed_url")]) -> None:
        await invoke(interaction, "/newsdigest", "subscribe", feed_url=feed_url)

    @declared("/newsdigest unsubscribe")
    async def unsubscribe(self, interaction: discord.Interaction,
                          feed_url: app_commands.Transform[str, text("/newsdigest unsubscribe", "feed_url")]) -> None:
        await invoke(interaction, "/newsdigest", "unsubscribe", feed_url=feed_url)

    @declared("/newsdigest resume")
    async def resume(self, interaction: discord.Interaction,
                     feed_url: app_commands.Transform[str, text("/newsdigest resume", "feed_url")]) -> None:
        await invoke(interaction, "/newsdigest", "resume", feed_url=feed_url)

    @declared("/newsdigest settings")
    async def settings(self, interaction: discord.Interaction) -> None:
        await invoke(interaction, "/newsdigest", "settings")

    @declared("/newsdigest feeds")
    async def feeds(self, interaction: discord.Interaction) -> None:
        await invoke(interaction, "/newsdigest", "feeds")

    @declared("/newsdigest schedule")
    async def schedule(self, interaction: discord.Interaction,
                       when: app_commands.Transform[str, text("/newsdigest schedule", "when")],
                       timezone: app_commands.Transform[str, text("/newsdigest schedule", "timezone")] = "UTC") -> None:
        await invoke(interaction, "/newsdigest", "schedule", when=when, timezone=timezone or None)

    @declared("/newsdigest filter")
    async def filter(self, interaction: discord.Interaction,
                     action: app_commands.Transform[str, text("/newsdigest filter", "action")],
                     words: app_commands.Transform[str, text("/newsdigest filter", "words")] = None) -> None:  # type: ignore[assignment]
        await invoke(interaction, "/newsdigest", "filter", action=action, words=words or None)

    @declared("/newsdigest length")
    async def length(self, interaction: discord.Interaction,
                     count: app_commands.Transform[str, text("/newsdigest length", "count")]) -> None:
        await invoke(interaction, "/newsdigest", "length", count=count)

    @declared("/newsdigest format")
    async def format(self, interaction: discord.Interaction,
                     layout: app_commands.Transform[str, text("/newsdigest format", "layout")]) -> None:
        await invoke(interaction, "/newsdigest", "format", layout=layout)

    @declared("/newsdigest articles")
    async def articles(self, interaction: discord.Interaction,
                       words: app_commands.Transform[str, text("/newsdigest articles", "words")] = None) -> None:  # type: ignore[assignment]
        await invoke(interaction, "/newsdigest", "articles", words=words or None)

    @declared("/newsdigest help")
    async def help_(self, interaction: discord.Interaction) -> None:
        await invoke(interaction, "/newsdigest", "help")


def add_commands(tree: app_commands.CommandTree, prefix: str = "") -> None:
    for command in top_level_commands(prefix):
        tree.add_command(command)
    tree.add_command(NewsdigestGroup(prefix))
