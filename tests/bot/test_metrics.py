"""/metrics after a real feed poll and a real delivery: the counters say what happened, and each
delivery is one JSON log line with its channel, slot and outcome (issue 15, items 3 and 4)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from datetime import timedelta

import httpx

from adapters.health import HealthServer
from adapters.terminal.logs import JsonFormatter
from bot.delivery import deliver
from bot.feeds.poller import poll_due
from tests.fakes.feedkit import rss
from tests.helpers.delivery import poster, subscribe  # noqa: F401 - poster is a fixture
from tests.helpers.polling import FEED_XML, NOW, make_app, serve_story


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def scrape(app) -> str:  # noqa: ANN001 - a bot.app.Newsdigest
    port = free_port()
    server = HealthServer(app, {"database": app.store.ping}, host="127.0.0.1", port=port)
    await server.start()
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await server.stop()
    assert answer.status_code == 200
    return answer.text


def test_a_poll_and_a_delivery_are_counted_and_the_delivery_logged_as_json(store, engine, local_http, poster, tmp_path):  # noqa: F811
    app = make_app(store, engine, tmp_path)
    app.posters.register(poster)
    stories = [serve_story(local_http, n) for n in range(2)]
    items = [{"title": t, "link": u, "guid": f"urn:story:{n}", "date": NOW - timedelta(hours=2 - n)}
             for n, (t, u) in enumerate(stories)]
    url = local_http.route("/feed.xml", rss(items[:1]), content_type=FEED_XML)
    channel_id = subscribe(store, url, NOW - timedelta(days=1))
    [first] = poll_due(app, NOW)  # the backlog
    local_http.route("/feed.xml", rss(items[::-1]), content_type=FEED_XML)
    [second] = poll_due(app, NOW + timedelta(hours=1))
    assert (first.status, second.status, len(second.article_ids)) == ("ok", "ok", 1)

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    delivery_log = logging.getLogger("bot.delivery")
    delivery_log.addHandler(handler)
    saved_level = delivery_log.level
    delivery_log.setLevel(logging.INFO)
    try:
        outcome = asyncio.run(deliver(app, channel_id, "2026-03-02T10:00Z", NOW + timedelta(hours=2)))
        again = asyncio.run(deliver(app, channel_id, "2026-03-02T10:00Z", NOW + timedelta(hours=2)))
    finally:
        delivery_log.removeHandler(handler)
        delivery_log.setLevel(saved_level)
    assert (outcome.status, outcome.items, again.status) == ("posted", 1, "skipped")

    [line] = [json.loads(line) for line in stream.getvalue().splitlines()]  # the repeat is no delivery
    assert line["level"] == "INFO" and line["logger"] == "bot.delivery"
    assert (line["channel"], line["platform"], line["slot"], line["outcome"]) == (
        "recorder:C1", "recorder", "2026-03-02T10:00Z", "posted")

    text = asyncio.run(scrape(app))
    assert 'newsdigest_feed_polls_total{outcome="ok"} 2.0' in text
    assert "newsdigest_feed_entries_digested_total 1.0" in text
    assert 'newsdigest_deliveries_total{outcome="posted",platform="recorder"} 1.0' in text
    assert "newsdigest_digest_queue_depth 0.0" in text
    # The one entry digested was timed: one observation in the duration histogram.
    assert "newsdigest_digest_duration_seconds_count 1.0" in text
