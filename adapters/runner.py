"""`newsdigest run`: one process, one event loop, hosting the configured platforms, the feed poller
and the digest scheduler. With no platform configured, digests are posted to the terminal.

A platform is a module `adapters.<name>.main` with `configured(settings) -> bool` and
`async serve(app) -> None`, which registers the platform's poster and runs until cancelled.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal

from bot import scheduler
from bot.app import Newsdigest
from bot.platforms import register_poster

log = logging.getLogger(__name__)

PLATFORMS = ("slack", "discord")


def configured_platforms(app: Newsdigest) -> list[str]:
    found = []
    for name in PLATFORMS:
        module = importlib.import_module(f"adapters.{name}.main")
        if module.configured(app.settings):
            found.append(name)
    return found


async def serve(app: Newsdigest, platforms: list[str]) -> None:
    """Run until SIGINT/SIGTERM: the scheduler and poller, and each platform's connection."""
    app.store  # open and migrate the store before anything is scheduled  # noqa: B018
    if not platforms:
        from .terminal.poster import TerminalPoster

        register_poster(TerminalPoster())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler.start(app)
    tasks = [asyncio.create_task(importlib.import_module(f"adapters.{name}.main").serve(app), name=name)
             for name in platforms]
    log.warning("newsdigest is running: %s, with the feed poller and the digest scheduler",
                ", ".join(platforms) or "terminal (no chat platform configured)")
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        if task is not waiter and task.exception() is not None:
            log.error("%s stopped: %s", task.get_name(), task.exception())
    for task in [waiter, *tasks]:
        task.cancel()
    scheduler.stop()
