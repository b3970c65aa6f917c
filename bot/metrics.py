"""The bot's Prometheus metrics, held by the application object (`Newsdigest.metrics`), not by the
prometheus-client's process-wide default registry: two applications in one process (the tests) each
count their own, and nothing is a module-level mutable registry.

Call sites count what they did with `app.metrics.<metric>`; `exposition()` is what `/metrics` serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from .engines import ModelEvent

# Digests take from tens of milliseconds (a short text) to the deadline (120 s by default).
DIGEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
# Commands answer in milliseconds (/who-said) or wait for a digest (/digest <URL>).
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)


class Metrics:
    """Counters, histograms and gauges of one application."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.feed_polls = Counter("newsdigest_feed_polls", "Feed polls, by outcome (ok, unchanged, failed, paused)",
                                  ["outcome"], registry=r)
        self.entries_digested = Counter("newsdigest_feed_entries_digested", "Feed entries digested and stored",
                                        registry=r)
        self.digest_seconds = Histogram("newsdigest_digest_duration_seconds", "Time one article took to digest",
                                        buckets=DIGEST_BUCKETS, registry=r)
        self.deliveries = Counter("newsdigest_deliveries", "Scheduled digests, by platform and outcome "
                                  "(posted, empty, failed, retry, paused)", ["platform", "outcome"], registry=r)
        self.command_seconds = Histogram("newsdigest_command_duration_seconds", "Time a chat command took to answer",
                                         ["command", "platform"], buckets=COMMAND_BUCKETS, registry=r)
        self.digest_queue = Gauge("newsdigest_digest_queue_depth", "Digests waiting for a worker", registry=r)
        self.digests_running = Gauge("newsdigest_digests_running", "Digests a worker is on", registry=r)
        # The llm engine (bot/llm.py): its cost in tokens and how its answers fared.
        self.llm_tokens = Counter("newsdigest_llm_tokens", "Tokens the language model was sent (prompt) and answered "
                                  "(completion)", ["kind"], registry=r)
        self.llm_calls = Counter("newsdigest_llm_calls", "Language model calls, by outcome (ok, invalid, "
                                 "rate_limited, timeout, error)", ["outcome"], registry=r)
        self.llm_digests = Counter("newsdigest_llm_digests", "Digests of the llm engine, by outcome (grounded, "
                                   "cached, offline)", ["outcome"], registry=r)

    def model_event(self, event: ModelEvent) -> None:
        """Count what the llm engine reports (DigestService.on_model_event)."""
        if event.kind == "call":
            self.llm_calls.labels(event.outcome).inc()
            self.llm_tokens.labels("prompt").inc(event.prompt_tokens)
            self.llm_tokens.labels("completion").inc(event.completion_tokens)
        else:
            self.llm_digests.labels(event.outcome).inc()

    def watch_digest_pool(self, waiting: Callable[[], float], running: Callable[[], float]) -> None:
        """Read the digest workers' queue at each scrape instead of counting it at every change."""
        self.digest_queue.set_function(waiting)
        self.digests_running.set_function(running)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format, for `/metrics`."""
        return generate_latest(self.registry)
