"""The polling tests' application and feeds: an app on a test's store with private addresses allowed
(the local server is on 127.0.0.1), a channel subscribed, story pages served, and one poll with the
memory it held."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

from bot.app import Newsdigest
from bot.config import Settings
from bot.feeds.poller import PollOutcome, poll_due
from bot.service import DigestService
from bot.store import Store
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from tests.fakes.feedkit import article_html, story

SLACK = ChannelRef(platform="slack", external_id="C1", name="news")
DISCORD = ChannelRef(platform="discord", external_id="42", name="general")
FEED_XML = "application/rss+xml; charset=utf-8"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def make_app(store: Store, engine, tmp_path: Path, **overrides: object) -> Newsdigest:  # noqa: ANN001 - DigestEngine
    values: dict[str, object] = {"allow_private_urls": True, "data_dir": tmp_path, "fetch_timeout": 5.0}
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    return Newsdigest(settings, store=store, service=DigestService(settings, engine=engine))


def subscribe(app: Newsdigest, url: str, *channels: ChannelRef, now: datetime = NOW) -> feed_store.FeedInfo:
    for channel in channels or (SLACK,):
        _, feed = feed_store.subscribe(app.store, channel, url, interval_seconds=app.settings.feed_interval, now=now)
    return feed


def poll_with_peak(app: Newsdigest) -> tuple[list[PollOutcome], int]:
    """One `poll_due` pass at NOW, and the most Python memory (tracemalloc, bytes) it held at once."""
    tracemalloc.start()
    try:
        outcomes = poll_due(app, NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcomes, peak


def serve_story(local_http, n: int, path: str | None = None) -> tuple[str, str]:  # noqa: ANN001 - LocalHTTP
    title, paragraphs = story(n)
    url = local_http.route(path or f"/story/{n}", article_html(title, paragraphs), content_type="text/html; charset=utf-8")
    return title, url
