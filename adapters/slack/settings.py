"""Slack's settings: `NEWSDIGEST_SLACK_*` variables (or `.env`), owned by the Slack adapter."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bot.config import SettingsBase, load_settings


class SlackSettings(SettingsBase):
    """Slack: a bot token and signing secret; an app-level token switches to Socket Mode (see the README)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDIGEST_SLACK_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    bot_token: str | None = Field(default=None, description="xoxb-… bot token (single workspace)")
    signing_secret: str | None = Field(default=None, description="Signing secret that verifies Slack's requests")
    app_token: str | None = Field(default=None, description="xapp-… app-level token: Socket Mode instead of HTTP")
    client_id: str | None = Field(default=None, description="OAuth client id, for installing into many workspaces")
    client_secret: str | None = Field(default=None, description="OAuth client secret, with client_id")
    port: int = Field(default=3000, description="Port of the HTTP mode's server")
    # Loopback by default: HTTP mode needs a public HTTPS address, which the README puts on a reverse
    # proxy in front of this port (TLS is the proxy's job), so nothing else should reach the port
    # directly. 0.0.0.0 (or an interface's address) when Slack or a proxy on another host must.
    host: str = Field(default="127.0.0.1", description="Address the HTTP mode's server listens on "
                      "(127.0.0.1 behind a reverse proxy on this host; 0.0.0.0 for every interface)")
    api_url: str = Field(default="https://slack.com/api/", description="Slack Web API base (tests point it at a local server)")

    @classmethod
    def load(cls) -> SlackSettings:
        """From the environment and `.env`; a mistake is a ConfigError naming the variable."""
        return load_settings(cls)
