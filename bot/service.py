"""The application's digesting service: a source in, a `Digest` out.

It owns the one engine of the process (bot/engines.py, chosen by NEWSDIGEST_ENGINE; built once, on
first use) and the one digest
worker pool (bot/workers.py) every caller goes through: the terminal, the chat commands and the
feed poller. It turns every failure into an error whose message can be shown to a person as it is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import BinaryIO, TextIO

from digests.errors import ArticleError, ModelError
from digests.models import ArticleMeta, Digest, Quote

from .config import Settings, get_settings
from .engines import Engine, ModelEvent, ReportsModelEvents, make_engine
from .errors import DigestBusy, DigestTimeout, SourceArticleError, SourceError
from .sources import read_source
from .workers import Checkpoint, DigestPool

log = logging.getLogger(__name__)

# Errors whose message is written for the person who asked; anything else is a bug in the bot.
# (DigestTimeout and DigestBusy are ArticleErrors.)
UserFacingError = (SourceError, ArticleError, ModelError)


class DigestService:
    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        self.settings = settings or get_settings()
        # Told of each model call and model-assisted digest (the llm engine's cost and outcomes).
        self.on_model_event: Callable[[ModelEvent], None] | None = None
        self._engine = self._listen(engine) if engine is not None else None
        self._engine_lock = threading.Lock()  # two workers must not load the model twice
        self.pool = DigestPool(self.settings.digest_workers, self.settings.digest_queue, self.settings.digest_deadline)
        # Told how long each finished digest took (the application's metrics); nothing when unset.
        self.on_digest_seconds: Callable[[float], None] | None = None

    @property
    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._listen(make_engine(self.settings.engine, self.settings))
            return self._engine

    def _listen(self, engine: Engine) -> Engine:
        """An engine that calls a model tells `on_model_event`, read at each event (so it may be set later)."""
        if isinstance(engine, ReportsModelEvents):
            def report(event: ModelEvent) -> None:
                if self.on_model_event is not None:
                    self.on_model_event(event)
            engine.on_model_event = report
        return engine

    def warm_up(self) -> None:
        """Build the engine and let it load its models, so that the first digest does not wait."""
        self.engine.warm_up()

    def digest_text(self, text: str, meta: ArticleMeta | None = None, *, background: bool = False) -> Digest:
        """The digest, made on a worker of the pool. `background` callers (the feed poller) wait
        for room in a full queue, within the deadline; people are told "busy" at once."""
        def work(checkpoint: Checkpoint) -> Digest:
            started = time.perf_counter()
            digest = self.engine.digest(text, meta, checkpoint)
            if self.on_digest_seconds is not None:
                self.on_digest_seconds(time.perf_counter() - started)
            return digest

        return self.pool.run(work, wait_for_room=background)

    def digest_source(self, source: str, stdin: BinaryIO | TextIO | None = None) -> Digest:
        """Read `source` (a path, `-` or an http(s) URL) and digest it."""
        article = read_source(source, self.settings, stdin=stdin)
        try:
            return self.digest_text(article.text, article.meta)
        except (DigestTimeout, DigestBusy):
            raise
        except ArticleError as exc:
            raise SourceArticleError(source, str(exc)) from None

    def quotes(self, text: str) -> list[Quote]:
        """Quotes of text taken as it is, offsets into `text` (the evaluation's batch interface)."""
        return self.pool.run(lambda checkpoint: self.engine.quotes(text, checkpoint), wait_for_room=True)

    def stop(self) -> None:
        """Give up running and waiting digests (their callers get BotStopping): the process is ending."""
        self.pool.stop()
