"""What the Slack request gate costs: signed slash commands through the real HTTP mode's server.

    .venv/bin/python bench/bench_slack_gate.py [--requests N] [--database-url URL]

Starts the GuardedServer (adapters/slack/http.py) in front of the real slack-bolt AsyncApp on
127.0.0.1, and prints, for N requests each:

- refused: a malformed timestamp (the cheapest refusal: the headers alone);
- replayed: one signed request sent again and again (HMAC, then the replay guard's insert is refused);
- admitted: new signed requests for a command the app does not handle (HMAC, the replay guard's
  insert, then slack-bolt's dispatch, which answers 404): the whole gate plus bolt's own routing.

with the median and 95th-percentile latency per request and the requests per second, on a SQLite
file by default or on the database named by --database-url (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/x;
it is migrated). Slack's Web API (auth.test, which slack-bolt calls once for the bot token) is the
tests' local server (tests/fakes/slack_server.py).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.slack.app import EVENTS_PATH  # noqa: E402
from bot.app import Newsdigest  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fakes.slack_server import FakeSlack, serving, signed_headers  # noqa: E402

SECRET = "bench-signing-secret"


def run_requests(port: int, requests: list[tuple[str, dict[str, str]]]) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    try:
        for body, headers in requests:
            started = time.perf_counter()
            connection.request("POST", EVENTS_PATH, body=body.encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            times.append(time.perf_counter() - started)
    finally:
        connection.close()
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{name:9} {len(times):5} requests  median {statistics.median(times) * 1000:6.2f} ms  "
          f"p95 {p95 * 1000:6.2f} ms  {len(times) / sum(times):7.0f} requests/s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    # Each refusal and each unhandled command is a warning line: timed here is the gate, not the log.
    logging.disable(logging.WARNING)
    slack = FakeSlack().start()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(_env_file=None, data_dir=Path(data), database_url=args.database_url)
        app = Newsdigest(settings)
        app.store.migrate()
        try:
            async with serving(app, SECRET, slack.api_url) as (port, _):
                now = int(time.time())
                base = {"team_id": "T0BENCH", "channel_id": "C0BENCH", "user_id": "U0BENCH", "command": "/not-ours",
                        "response_url": "http://127.0.0.1:9/response"}
                body = urlencode({**base, "text": "x"})
                refused = [(body, {**signed_headers(body, SECRET, now), "x-slack-request-timestamp": "abc"})] * args.requests
                replayed = [(body, signed_headers(body, SECRET, now))] * args.requests
                admitted = [(b, signed_headers(b, SECRET, now))
                            for b in (urlencode({**base, "text": f"request {i}"}) for i in range(args.requests))]
                print(f"database: {app.store.engine.url.render_as_string(hide_password=True)}")
                for name, requests in (("refused", refused), ("replayed", replayed), ("admitted", admitted)):
                    report(name, await asyncio.to_thread(run_requests, port, requests))
        finally:
            app.close()
            slack.stop()


if __name__ == "__main__":
    asyncio.run(main())
