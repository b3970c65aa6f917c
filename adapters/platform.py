"""What a chat platform is to the runner and the command line, and the one registry of them.

A platform is an object with a name, a one-line check of its own settings, the poster that posts
scheduled digests to it, and `serve(app, stop)`, which connects and answers commands until `stop` is
set. The runner (adapters/runner.py) does the rest once for every platform: the store, the signal
handlers, the language model's warm-up, registering the poster with the application while the
platform serves, and the scheduler. Adding a platform is one folder in adapters/ and one entry in
PLATFORMS below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.app import Newsdigest
    from bot.config import SettingsBase
    from bot.platforms import Poster


class PlatformError(Exception):
    """A platform cannot start; the message is one line for the operator that names the fix."""


@runtime_checkable
class Platform(Protocol):
    name: str

    def configured(self) -> bool:
        """Whether any of its settings is given: `newsdigest run` with no names starts those that are."""
        ...

    def settings_problem(self) -> str | None:
        """What keeps it from starting that is known before connecting (missing settings), as one
        line; None when it may start."""
        ...

    def connected(self) -> bool:
        """Whether it can answer and post now (connected, or listening): the readiness check's part
        for this platform. Called from a worker thread: it only reads state."""
        ...

    def poster(self, app: Newsdigest) -> Poster:
        """The poster of scheduled digests, on the same client `serve` connects (built once)."""
        ...

    async def serve(self, app: Newsdigest, stop: asyncio.Event) -> None:
        """Connect and serve until `stop` is set (or the task is cancelled); a start that cannot
        succeed raises PlatformError."""
        ...


def _slack() -> Platform:
    from .slack.main import SlackPlatform

    return SlackPlatform()


def _discord() -> Platform:
    from .discord.main import DiscordPlatform

    return DiscordPlatform()


def _terminal() -> Platform:
    from .terminal.platform import TerminalPlatform

    return TerminalPlatform()


# Name → how to build it (imported only when asked for: discord.py and slack-bolt are heavy). The
# chat platforms are started by `newsdigest run` when configured; the terminal when none is.
PLATFORMS: Mapping[str, Callable[[], Platform]] = MappingProxyType({
    "slack": _slack,
    "discord": _discord,
    "terminal": _terminal,
})
CHAT_PLATFORMS = ("slack", "discord")


def settings_classes() -> tuple[type[SettingsBase], ...]:
    """The bot's settings and each platform's (light modules: pydantic only), for checking the
    environment for misspelt names and for `newsdigest config`."""
    from bot.config import Settings

    from .discord.settings import DiscordSettings
    from .slack.settings import SlackSettings

    return (Settings, SlackSettings, DiscordSettings)
FALLBACK = "terminal"


def platform(name: str) -> Platform:
    """The platform called `name` (a KeyError when there is none)."""
    return PLATFORMS[name]()
