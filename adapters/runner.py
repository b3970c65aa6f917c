"""`newsdigest run`: one process, one event loop, hosting the configured platforms, the feed poller
and the digest scheduler. With no chat platform configured, digests are posted to the terminal.

What every platform needs is done here once: the store opened, the signal handlers, the language
model warmed up, each platform's poster registered with the application while it serves, and the
scheduler. A platform (adapters/platform.py) only connects and serves.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from bot.app import Newsdigest

from .health import HealthServer
from .platform import CHAT_PLATFORMS, FALLBACK, Platform, platform

log = logging.getLogger(__name__)


def configured_platforms() -> list[Platform]:
    """The chat platforms whose settings are given; the terminal when none is."""
    found = [p for p in map(platform, CHAT_PLATFORMS) if p.configured()]
    return found or [platform(FALLBACK)]


async def serve_platform(app: Newsdigest, chosen: Platform, stop: asyncio.Event) -> None:
    """Serve one platform until `stop`, its poster registered with the application meanwhile."""
    poster = chosen.poster(app)
    app.posters.register(poster)
    try:
        await chosen.serve(app, stop)
    finally:
        app.posters.unregister(poster)


async def warm_up(app: Newsdigest) -> None:
    """Load the digest engine in a worker thread while the first commands arrive, so that the first
    /digest of a new article does not wait for it (and two of them never load it twice)."""
    try:
        await asyncio.to_thread(app.service.warm_up)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # /who-said and /dispute still work without it; the operator reads it here
        print(f"newsdigest: warning: cannot digest new articles: {exc}", file=sys.stderr, flush=True)


def _handle_signals(stop: asyncio.Event) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - not the main thread, or Windows
            pass
    return handled


async def start_health(app: Newsdigest, platforms: Sequence[Platform]) -> HealthServer | None:
    """The operator's /healthz, /readyz and /metrics when NEWSDIGEST_HEALTH_PORT is set: ready when
    the database answers, the scheduler runs and every platform served is connected."""
    if app.settings.health_port is None:
        return None
    checks = {"database": app.store.ping, "scheduler": lambda: app.scheduler.running,
              **{chosen.name: chosen.connected for chosen in platforms}}
    server = HealthServer(app, checks, host=app.settings.health_host, port=app.settings.health_port)
    await server.start()
    return server


async def serve(app: Newsdigest, platforms: Sequence[Platform]) -> int:
    """Run until SIGINT/SIGTERM: the scheduler and poller, and each platform's connection. A
    platform that cannot start stops the whole process with its one-line reason: the exit status."""
    app.store  # open and migrate the store before anything is scheduled  # noqa: B018
    for chosen in platforms:
        problem = chosen.settings_problem()
        if problem:
            print(f"newsdigest: {problem}", file=sys.stderr, flush=True)
            return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = _handle_signals(stop)
    # Commands run in the loop's default executor and wait there for their digest: give it room for
    # every digest that may run or wait (bot/workers.py) and as many threads again for the rest of
    # the bot (/who-said, the feed poller), whatever the number of cores.
    settings = app.settings
    loop.set_default_executor(ThreadPoolExecutor(max_workers=settings.digest_workers + settings.digest_queue + 8,
                                                 thread_name_prefix="newsdigest"))
    try:
        health = await start_health(app, platforms)
    except OSError as exc:  # the port is taken or not ours to open
        print(f"newsdigest: the health server cannot listen on {app.settings.health_host}:{app.settings.health_port} "
              f"({exc.strerror or exc}): set NEWSDIGEST_HEALTH_PORT to a free port", file=sys.stderr, flush=True)
        return 1
    app.scheduler.start()
    warming = asyncio.create_task(warm_up(app), name="warm-up")
    tasks = [asyncio.create_task(serve_platform(app, chosen, stop), name=chosen.name) for chosen in platforms]
    names = [chosen.name for chosen in platforms]
    shown = ", ".join(names) if names != [FALLBACK] else "for the terminal (no chat platform configured)"
    print(f"newsdigest: running {shown}, with the feed poller and the digest scheduler; Ctrl-C stops", flush=True)
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
        stop.set()  # every platform leaves its serve() ...
        warming.cancel()
        try:
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=5)
        except asyncio.TimeoutError:  # ... or is cancelled when it does not in time
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        waiter.cancel()
        if health is not None:
            await health.stop()
        app.scheduler.stop()
        for sig in handled:
            loop.remove_signal_handler(sig)
        if status == 0:
            for name in names:
                if name != FALLBACK:
                    print(f"newsdigest: {name}: stopped", file=sys.stderr, flush=True)
    return status
