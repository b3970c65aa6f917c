"""The operator's routes (adapters/health.py) on a real port: /healthz, /readyz against a real
PostgreSQL that goes away (its connections cut by a TCP proxy) and comes back, and /metrics."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from sqlalchemy.engine import make_url

from adapters.health import HealthServer
from bot.app import Newsdigest
from bot.config import Settings
from bot.store import Store
from tests.fakes.tcp_proxy import TcpProxy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.postgresql
async def test_readyz_follows_the_database_going_away_and_coming_back(postgres_database, tmp_path):
    real = make_url(postgres_database.url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    store = Store(real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    port = free_port()
    server = HealthServer(app, {"database": store.ping, "scheduler": lambda: True}, host="127.0.0.1", port=port)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"status": "ready", "checks": {"database": "ok", "scheduler": "ok"}}

            proxy.cut()
            gone = await client.get("/readyz")
            assert gone.status_code == 503
            assert gone.json() == {"status": "unready", "checks": {"database": "failing", "scheduler": "ok"}}
            alive = await client.get("/healthz")  # the process itself still answers
            assert alive.status_code == 200 and alive.json() == {"status": "ok"}

            proxy.restore()
            back = await client.get("/readyz")
            assert back.status_code == 200 and back.json()["status"] == "ready"
    finally:
        await server.stop()
        store.close()
        proxy.close()


async def test_a_check_that_raises_or_hangs_is_failing_not_an_error_page(tmp_path):
    app = Newsdigest(Settings(data_dir=tmp_path))

    def raises() -> bool:
        raise RuntimeError("no gateway")

    def hangs() -> bool:
        import time
        time.sleep(2)
        return True

    port = free_port()
    server = HealthServer(app, {"discord": raises, "slack": hangs}, host="127.0.0.1", port=port, check_timeout=0.5)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            answer = await client.get("/readyz")
        assert answer.status_code == 503
        assert json.loads(answer.text)["checks"] == {"discord": "failing", "slack": "failing"}
        assert "Traceback" not in answer.text and "no gateway" not in answer.text
    finally:
        await server.stop()
        await asyncio.sleep(0)


async def test_metrics_are_in_the_prometheus_text_format(tmp_path):
    app = Newsdigest(Settings(data_dir=tmp_path))
    app.metrics.deliveries.labels(platform="slack", outcome="posted").inc()
    app.metrics.command_seconds.labels(command="who-said", platform="discord").observe(0.02)
    port = free_port()
    server = HealthServer(app, {}, host="127.0.0.1", port=port)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            answer = await client.get("/metrics")
    finally:
        await server.stop()
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'newsdigest_deliveries_total{outcome="posted",platform="slack"} 1.0' in text
    assert 'newsdigest_command_duration_seconds_count{command="who-said",platform="discord"} 1.0' in text
    assert "newsdigest_digest_queue_depth 0.0" in text


@pytest.mark.slow
def test_newsdigest_run_serves_the_health_routes_with_each_platforms_check(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import stop, wait_for

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_SLACK", "NEWSDIGEST_DISCORD"))}
    env.update({"NEWSDIGEST_DATA_DIR": str(tmp_path), "NEWSDIGEST_HEALTH_PORT": str(port), "NO_COLOR": "1"})
    log = (tmp_path / "run.log").open("wb")
    bot = subprocess.Popen([str(Path(sys.executable).parent / "newsdigest"), "run"], stdout=log, stderr=subprocess.STDOUT,
                           env=env, cwd=tmp_path)
    try:
        def ready() -> dict | None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except httpx.HTTPError:
                return None
            return answer.json() if answer.status_code == 200 else None

        assert wait_for(ready, timeout=120), (tmp_path / "run.log").read_text()
        assert ready() == {"status": "ready", "checks": {"database": "ok", "scheduler": "ok", "terminal": "ok"}}
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200 and "newsdigest_digest_queue_depth" in metrics.text
    finally:
        stop(bot)
        log.close()
    assert bot.returncode == 0, (tmp_path / "run.log").read_text()
