"""The application object: settings, the store, the digest service, the platforms' posters and the
digest scheduler, built once per process. Every collaborator is found through it, none through a
module global."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .config import Settings, get_settings
from .platforms import Posters
from .store import Store

if TYPE_CHECKING:
    from .metrics import Metrics
    from .queue import QueueClient
    from .scheduler import DigestScheduler
    from .service import DigestService


class Newsdigest:
    """What every command and platform adapter is handed. The store opens (and migrates) on first
    use, and the spaCy model loads only when something is digested."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None,
                 service: DigestService | None = None, *, migrate: bool = True) -> None:
        self.settings = settings or get_settings()
        # False for the commands that only read: they say when an upgrade is needed instead of migrating.
        self.migrate = migrate
        self.posters = Posters()
        # The task queue of the split roles (`run --role chat|worker|scheduler`), set while it is open;
        # None in the single process, which digests, polls and posts in its own threads.
        self.queue: QueueClient | None = None
        if store is not None:
            self.__dict__["store"] = store
        if service is not None:
            self.__dict__["service"] = self._instrumented(service)

    @cached_property
    def store(self) -> Store:
        return Store.open(self.settings, migrate=self.migrate)

    @cached_property
    def service(self) -> DigestService:
        # Imported here: reading sources pulls in trafilatura and httpx, which /who-said never needs.
        from .service import DigestService

        return self._instrumented(DigestService(self.settings))

    def _instrumented(self, service: DigestService) -> DigestService:
        service.on_digest_seconds = lambda seconds: self.metrics.digest_seconds.observe(seconds)
        service.on_model_event = self.metrics.model_event
        return service

    @cached_property
    def metrics(self) -> Metrics:
        from .metrics import Metrics

        metrics = Metrics()
        # Read lazily: the queue exists only once something is digested, and the scrape must not load spaCy.
        metrics.watch_digest_pool(
            lambda: self.service.pool.waiting if "service" in self.__dict__ else 0,
            lambda: self.service.pool.running if "service" in self.__dict__ else 0)
        return metrics

    @cached_property
    def scheduler(self) -> DigestScheduler:
        # Imported here: APScheduler and the delivery code are only for a running bot.
        from .scheduler import DigestScheduler

        return DigestScheduler(self)

    def stop_digests(self) -> None:
        """Release everyone waiting for a digest, so that a stopping process need not wait for one."""
        if "service" in self.__dict__:
            self.service.stop()

    def digests_idle(self, timeout: float) -> bool:
        """True when no digest is running any more (waiting at most `timeout` seconds for the ones
        given up by stop_digests to reach their next checkpoint)."""
        return "service" not in self.__dict__ or self.service.pool.wait_idle(timeout)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
