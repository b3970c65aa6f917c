"""Reading an interaction: its option values (discord.py passes them through as Discord sent them;
`Text` and `Flag` refuse values of the wrong type), its channel and who runs it."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.commands import Caller
from bot.store.channels import ChannelRef

MAX_OPTION_TEXT = 6000  # Discord's longest string option


class OptionError(app_commands.AppCommandError):
    """An option value of the wrong type; the message is for the person."""


def describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


class Text(app_commands.Transformer):
    """A string option, at most `max_length` characters long (Discord's client enforces it too)."""

    def __init__(self, option: str, max_length: int | None = None) -> None:
        self.option, self._max_length = option, max_length or MAX_OPTION_TEXT

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def max_value(self) -> int:  # for a string option: max_length
        return self._max_length

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        if not isinstance(value, str):
            raise OptionError(f"The option “{self.option}” must be text, not {describe_value(value)}.")
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
            raise OptionError(f"The option “{self.option}” must be true or false, not {describe_value(value)}.")
        return value


def channel_ref(interaction: discord.Interaction) -> ChannelRef:
    """The interaction's channel and its server (guild), whose articles the command sees; a direct
    message has no guild and is a workspace of its own."""
    channel = interaction.channel
    return ChannelRef(platform="discord", external_id=str(interaction.channel_id),
                      name=getattr(channel, "name", None) or None,
                      workspace=str(interaction.guild_id) if interaction.guild_id else None)


def caller_of(interaction: discord.Interaction) -> Caller:
    """Who runs the command: on Discord, whoever has Manage Channels in this channel may change it
    (the permission /newsdigest's configuration commands check), and anyone in their own DM with the bot."""
    can_manage = isinstance(interaction.channel, discord.DMChannel) or interaction.permissions.manage_channels
    return Caller(can_manage=can_manage, user_id=str(interaction.user.id))
