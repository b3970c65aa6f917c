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
import sys
from concurrent.futures import ThreadPoolExecutor

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


def settings_problem(name: str, app: Newsdigest) -> str | None:
    """What keeps a platform from starting, known before connecting (missing settings), as one line."""
    module = importlib.import_module(f"adapters.{name}.main")
    if hasattr(module, "missing_settings"):
        return module.missing_settings(app.settings)
    if not module.configured(app.settings):
        return getattr(module, "NO_TOKEN", f"{name} is not configured: see the README")
    return None


async def serve(app: Newsdigest, platforms: list[str]) -> int:
    """Run until SIGINT/SIGTERM: the scheduler and poller, and each platform's connection. A
    platform that cannot start stops the whole process with its one-line reason: the exit status."""
    app.store  # open and migrate the store before anything is scheduled  # noqa: B018
    for name in platforms:
        problem = settings_problem(name, app)
        if problem:
            print(f"newsdigest: {problem}", file=sys.stderr, flush=True)
            return 1
    if not platforms:
        from .terminal.poster import TerminalPoster

        register_poster(TerminalPoster())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Commands run in the loop's default executor and wait there for their digest: give it room for
    # every digest that may run or wait (bot/workers.py) and as many threads again for the rest of
    # the bot (/who-said, the feed poller), whatever the number of cores.
    settings = app.settings
    loop.set_default_executor(ThreadPoolExecutor(max_workers=settings.digest_workers + settings.digest_queue + 8,
                                                 thread_name_prefix="newsdigest"))
    scheduler.start(app)
    tasks = [asyncio.create_task(importlib.import_module(f"adapters.{name}.main").serve(app), name=name)
             for name in platforms]
    print(f"newsdigest: running {', '.join(platforms) or 'for the terminal (no chat platform configured)'}, "
          "with the feed poller and the digest scheduler; Ctrl-C stops", flush=True)
    waiter = asyncio.create_task(stop.wait())
    status = 0
    try:
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiter and not task.cancelled() and task.exception() is not None:
                print(f"newsdigest: {task.exception()}", file=sys.stderr, flush=True)
                status = 1
    finally:
        # Release the threads waiting for digests first: leaving the loop waits for its threads.
        app.stop_digests()
        for task in [waiter, *tasks]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        scheduler.stop()
        if status == 0:
            for name in platforms:
                print(f"newsdigest: {name}: stopped", file=sys.stderr, flush=True)
    return status
