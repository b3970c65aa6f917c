"""The application's digesting service: a source in, a `Digest` out.

It owns the one engine of the process (the spaCy model loads once, on first use) and turns every
failure into an error whose message can be shown to a person as it is.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, BinaryIO, TextIO

from digests.errors import ArticleError, ModelError
from digests.models import ArticleMeta, Digest, Quote

from .config import Settings, get_settings
from .errors import SourceError
from .sources import read_source

if TYPE_CHECKING:
    from digests.engine import DigestEngine

log = logging.getLogger(__name__)

# Errors whose message is written for the person who asked; anything else is a bug in the bot.
UserFacingError = (SourceError, ArticleError, ModelError)


class DigestService:
    def __init__(self, settings: Settings | None = None, engine: DigestEngine | None = None) -> None:
        self.settings = settings or get_settings()
        self._engine = engine

    @property
    def engine(self) -> DigestEngine:
        if self._engine is None:
            from digests.engine import DigestEngine  # loads spaCy: only when a digest is needed

            self._engine = DigestEngine()
        return self._engine

    def digest_text(self, text: str, meta: ArticleMeta | None = None) -> Digest:
        return self.engine.digest(text, meta)

    def digest_source(self, source: str, stdin: BinaryIO | TextIO | None = None) -> Digest:
        """Read `source` (a path, `-` or an http(s) URL) and digest it."""
        article = read_source(source, self.settings, stdin=stdin)
        try:
            return self.engine.digest(article.text, article.meta)
        except ArticleError as exc:
            raise ArticleError(f"cannot digest {source}: {exc}") from None

    def quotes(self, text: str) -> list[Quote]:
        """Quotes of text taken as it is, offsets into `text` (the evaluation's batch interface)."""
        return self.engine.quotes(text)
