"""The terminal as a platform for `newsdigest run`: when no chat platform is configured, scheduled
digests are printed where the bot runs. It has no settings and nothing to connect."""

from __future__ import annotations

import asyncio

from bot.app import Newsdigest
from bot.platforms import Poster

from .poster import TerminalPoster


class TerminalPlatform:
    name = "terminal"

    def __init__(self) -> None:
        self._poster = TerminalPoster()

    def configured(self) -> bool:
        return False  # never started for being configured: it is the fallback (adapters/platform.py)

    def settings_problem(self) -> str | None:
        return None

    def connected(self) -> bool:
        return True  # the terminal is this process's own output

    def poster(self, app: Newsdigest) -> Poster:
        return self._poster

    async def serve(self, app: Newsdigest, stop: asyncio.Event) -> None:
        await stop.wait()
