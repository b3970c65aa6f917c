"""`newsdigest run`: one process, one event loop, hosting the configured platforms, the feed poller
and the digest scheduler. With no chat platform configured, digests are posted to the terminal.

`--role` splits that process in parts that share one PostgreSQL through the task queue (bot/queue.py):
`chat` serves the platforms and posts the queued deliveries (it has the posters) and hands digests to
workers; `worker` polls feeds and digests; `scheduler` fires the slots and the feed polls as tasks,
one leader at a time (bot/leader.py). `all` (the default) is the single process as it always was: its
own threads, no queue, SQLite or PostgreSQL.

What every platform needs is done here once: the store opened, the signal handlers, the language
model warmed up, each platform's poster registered with the application while it serves, and the
scheduler. A platform (adapters/platform.py) only connects and serves.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from bot.app import Newsdigest
from bot.store import StoreError

from .health import HealthServer
from .platform import CHAT_PLATFORMS, FALLBACK, Platform, platform

log = logging.getLogger(__name__)

Role = Literal["all", "chat", "worker", "scheduler"]  # the choices of `run --role` (adapters/terminal/cli.py)
CHAT_DELIVERY_CONCURRENCY = 4  # deliveries a chat process posts at once (they wait on the platforms, not the CPU)


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


async def start_health(app: Newsdigest, platforms: Sequence[Platform], role: Role = "all") -> HealthServer | None:
    """The operator's /healthz, /readyz and /metrics when NEWSDIGEST_HEALTH_PORT is set: ready when
    the database answers, the scheduler runs (in the single process) and every platform served is
    connected."""
    if app.settings.health_port is None:
        return None
    scheduler = {"scheduler": lambda: app.scheduler.running} if role == "all" else {}
    checks = {"database": app.store.ping, **scheduler, **{chosen.name: chosen.connected for chosen in platforms}}
    server = HealthServer(app, checks, host=app.settings.health_host, port=app.settings.health_port)
    await server.start()
    return server


def role_work(app: Newsdigest, role: Role, stop: asyncio.Event) -> dict[str, Coroutine[Any, Any, None]]:
    """What a split role runs beside its platforms, by name: the queue's worker for its queues, or
    the scheduler's leader election (app.queue is open)."""
    from bot.queue import CHAT_QUEUES, WORKER_QUEUES

    client = app.queue
    if role == "all" or client is None:  # the single process: its own threads, no queue
        return {}
    if role == "chat":
        return {"deliveries": until_stopped(client.run_worker(CHAT_QUEUES, CHAT_DELIVERY_CONCURRENCY), stop)}
    if role == "worker":
        return {"worker": until_stopped(client.run_worker(WORKER_QUEUES, app.settings.digest_workers), stop)}
    if role == "scheduler":
        from bot.leader import SchedulerLeader

        return {"scheduler": SchedulerLeader(app).run(stop)}
    return {}


async def until_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """Run `work` until it ends or `stop` is set; then it is cancelled (a queue worker finishes or gives
    back its jobs within its graceful timeout), so SIGTERM stops the role at once."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]


async def open_queue(app: Newsdigest, role: Role) -> str | None:
    """Open the task queue for a split role; the one-line reason when it cannot be."""
    if role == "all":
        return None
    from bot.queue import QueueClient

    try:
        await QueueClient(app).open()
    except StoreError as exc:
        return str(exc)
    except Exception as exc:  # procrastinate's connection errors: the database is not reachable
        return f"the task queue cannot be opened: {type(exc).__name__}: {exc}"
    return None


def _running_line(role: Role, names: list[str]) -> str:
    shown = ", ".join(names) if names != [FALLBACK] else "for the terminal (no chat platform configured)"
    if role == "all":
        return f"newsdigest: running {shown}, with the feed poller and the digest scheduler; Ctrl-C stops"
    if role == "chat":
        return f"newsdigest: running {shown} (role chat: digests go to the workers, deliveries posted here); Ctrl-C stops"
    return f"newsdigest: running the {role} role on the task queue; Ctrl-C stops"


async def serve(app: Newsdigest, platforms: Sequence[Platform], role: Role = "all") -> int:
    """Run until SIGINT/SIGTERM: the scheduler and poller, and each platform's connection (for a
    split `role`, that role's part only: see the module's docstring). A platform that cannot start
    stops the whole process with its one-line reason: the exit status."""
    app.store  # open and migrate the store before anything is scheduled  # noqa: B018
    if role in ("worker", "scheduler"):
        platforms = []
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
    problem = await open_queue(app, role)
    if problem:
        print(f"newsdigest: {problem}", file=sys.stderr, flush=True)
        return 1
    try:
        health = await start_health(app, platforms, role)
    except OSError as exc:  # the port is taken or not ours to open
        print(f"newsdigest: the health server cannot listen on {app.settings.health_host}:{app.settings.health_port} "
              f"({exc.strerror or exc}): set NEWSDIGEST_HEALTH_PORT to a free port", file=sys.stderr, flush=True)
        await close_queue(app)
        return 1
    if role == "all":
        app.scheduler.start()
    # Only the roles that digest load the language model.
    warming = asyncio.create_task(warm_up(app) if role in ("all", "worker") else asyncio.sleep(0), name="warm-up")
    tasks = [asyncio.create_task(serve_platform(app, chosen, stop), name=chosen.name) for chosen in platforms]
    tasks += [asyncio.create_task(work, name=name) for name, work in role_work(app, role, stop).items()]
    names = [chosen.name for chosen in platforms]
    print(_running_line(role, names), flush=True)
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
        if role == "all":
            app.scheduler.stop()
        await close_queue(app)
        for sig in handled:
            loop.remove_signal_handler(sig)
        if status == 0:
            for name in names:
                if name != FALLBACK:
                    print(f"newsdigest: {name}: stopped", file=sys.stderr, flush=True)
    return status


async def close_queue(app: Newsdigest) -> None:
    if app.queue is not None:
        try:
            await app.queue.close()
        except Exception as exc:  # the process is ending anyway; the operator sees why
            log.warning("closing the task queue failed: %s", exc)
