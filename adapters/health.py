"""The operator's HTTP routes: `/healthz` (the process answers), `/readyz` (the database is reachable,
the scheduler runs, each platform is connected) and `/metrics` (Prometheus' text format).

Served by `newsdigest run` on `NEWSDIGEST_HEALTH_PORT` when it is set (the container sets 8080). It
reads no request body and takes no parameters, so an open port costs nothing but the answers; each
check runs off the event loop with a time limit, so a hung database makes `/readyz` say so within
`CHECK_TIMEOUT` seconds rather than hang the probe.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.app import Newsdigest

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0

# A readiness check: True when that part of the bot can do its job now. Runs in a thread.
Check = Callable[[], bool]


def routes(app: Newsdigest, checks: Mapping[str, Check], *, check_timeout: float = CHECK_TIMEOUT) -> list[web.RouteDef]:
    """The three routes, for a server of their own or for one a platform already runs (Slack's HTTP mode)."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        results = await run_checks(checks, check_timeout)
        ready = all(results.values())
        body = {"status": "ready" if ready else "unready", "checks": {k: "ok" if v else "failing" for k, v in results.items()}}
        return web.Response(status=200 if ready else 503, text=json.dumps(body), content_type="application/json")

    async def metrics(_: web.Request) -> web.Response:
        body = await asyncio.get_running_loop().run_in_executor(None, app.metrics.exposition)
        # aiohttp wants the charset apart from the content type.
        return web.Response(body=body, headers={"Content-Type": app.metrics.content_type})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]


async def run_checks(checks: Mapping[str, Check], timeout: float = CHECK_TIMEOUT) -> dict[str, bool]:
    """Every check at once, each bounded by `timeout` seconds; a check that raises or times out is failing."""
    loop = asyncio.get_running_loop()

    async def one(name: str, check: Check) -> bool:
        try:
            return bool(await asyncio.wait_for(loop.run_in_executor(None, check), timeout))
        except Exception as exc:  # a check's failure is the answer, never an error page
            log.warning("readiness check %s failed: %s", name, type(exc).__name__)
            return False

    names = list(checks)
    values = await asyncio.gather(*(one(n, checks[n]) for n in names))
    return dict(zip(names, values))


class HealthServer:
    """The routes on their own port: `await start()`, then `await stop()`."""

    def __init__(self, app: Newsdigest, checks: Mapping[str, Check], *, host: str, port: int,
                 check_timeout: float = CHECK_TIMEOUT) -> None:
        self.host, self.port = host, port
        self._web = web.Application()
        self._web.add_routes(routes(app, checks, check_timeout=check_timeout))
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self._web, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("health server on http://%s:%s (/healthz, /readyz, /metrics)", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
