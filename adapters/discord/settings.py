"""Discord's settings: `NEWSDIGEST_DISCORD_*` variables (or `.env`), owned by the Discord adapter."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.config import SettingsBase, load_settings


class DiscordSettings(SettingsBase):
    """Discord: the bot token, and where commands are synced (see the README, Connecting Discord)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDIGEST_DISCORD_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    token: str | None = Field(default=None, description="Bot token")
    guild_id: int | None = Field(default=None, description="Sync commands to this server only (instant), else globally")
    api_url: str = Field(default="https://discord.com/api/v10", description="Discord REST base (tests point it at a local server)")
    gateway_url: str | None = Field(default=None, description="Discord gateway websocket; None means Discord's own "
                                    "(tests point it at a local server)")

    # Sharding (Discord requires it past 2,500 servers). Unset: the one process runs every shard, as many as
    # Discord recommends (GET /gateway/bot). Set both to split the shards among processes: each runs its
    # `shard_ids` of `shard_count`, and every process must be given the same count.
    shard_count: int | None = Field(default=None, ge=1, description="Total shards across every chat process; "
                                    "None: the count Discord recommends, all in this process")
    shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        default=None, description="The shards this process runs, e.g. 0,1 (needs shard_count); None: all of them")

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # An environment variable is "0,1" (or "0-3"); a list passed in code stays as it is.
        if not isinstance(value, str):
            return value
        ids: list[int] = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            first, dash, last = part.partition("-")
            if not (first.strip().isdigit() and (not dash or last.strip().isdigit())):
                raise ValueError("each part must be a shard id or a range like 0-3")
            ids.extend(range(int(first), int(last) + 1) if dash else [int(first)])
        return ids or None

    @model_validator(mode="after")
    def _ids_within_count(self) -> DiscordSettings:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("NEWSDIGEST_DISCORD_SHARD_IDS needs NEWSDIGEST_DISCORD_SHARD_COUNT (the total across "
                             "every process)")
        outside = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if outside:
            raise ValueError(f"shard ids {outside} are outside 0..{self.shard_count - 1} "
                             f"(NEWSDIGEST_DISCORD_SHARD_COUNT is {self.shard_count})")
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("NEWSDIGEST_DISCORD_SHARD_IDS names a shard twice")
        return self

    @classmethod
    def load(cls) -> DiscordSettings:
        """From the environment and `.env`; a mistake is a ConfigError naming the variable."""
        return load_settings(cls)
