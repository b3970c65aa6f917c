"""Discord's settings: `NEWSDIGEST_DISCORD_*` variables (or `.env`), owned by the Discord adapter."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

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

    @classmethod
    def load(cls) -> DiscordSettings:
        """From the environment and `.env`; a mistake is a ConfigError naming the variable."""
        return load_settings(cls)
