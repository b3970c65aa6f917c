"""Ingest: read many sources (files, folders, URLs, `-`), digest each and keep it in the store.

One bad source never stops the others: it is reported as a failed item with the one-line reason a
person can act on, and the rest are stored. A database that cannot be used stops the run (StoreError
is raised), since every later item would fail the same way; so does a missing language model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Literal, TextIO

from pydantic import BaseModel, ConfigDict, computed_field

from digests.errors import ArticleError

from .app import Newsdigest
from .errors import SourceArticleError, SourceError, one_line
from .store import articles as article_store
from .store.channels import TERMINAL_TENANT

ARTICLE_SUFFIXES = frozenset({".txt", ".html", ".htm", ".md"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

IngestStatus = Literal["created", "updated", "unchanged", "failed"]


class IngestItem(BaseModel):
    """What happened to one source."""

    model_config = ConfigDict(frozen=True)

    source: str
    status: IngestStatus
    article_id: str | None = None
    title: str | None = None
    error: str | None = None  # one line, for failed items
    reason: str | None = None  # the same without the source's name when the error is about it


class IngestReport(BaseModel):
    items: list[IngestItem]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """Items per status, every status present: {"created": 3, "updated": 1, "unchanged": 0, "failed": 1}."""
        counts = {status: 0 for status in ("created", "updated", "unchanged", "failed")}
        for item in self.items:
            counts[item.status] += 1
        return counts

    @property
    def failed(self) -> list[IngestItem]:
        return [item for item in self.items if item.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when at least one source is in the store now (stored, updated or already there)."""
        return any(item.status != "failed" for item in self.items)


def _article_files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.rglob("*") if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file()),
                  key=lambda p: p.relative_to(folder).parts)


def expand_sources(sources: list[str]) -> list[str]:
    """The sources one by one: each folder replaced by its article files (*.txt, *.html, *.htm,
    *.md, searched recursively, in sorted order); files, URLs and `-` kept as given. A folder with no
    article files stays in the list, so that ingesting it reports why nothing was read."""
    expanded: list[str] = []
    for source in sources:
        if source != "-" and not _SCHEME.match(source.strip()):
            path = Path(source).expanduser()
            if path.is_dir():
                files = _article_files(path)
                if files:
                    expanded += [str(f) for f in files]
                    continue
        expanded.append(source)
    return expanded


def _failed(exc: SourceError | ArticleError, source: str) -> IngestItem:
    """A failed item: ingesting is the operator's, so they read a SourceError's detail; `reason` is
    what went wrong without naming the source again when the error is about it."""
    if isinstance(exc, SourceError):
        about_it = exc.source in (source, source.strip())
        return IngestItem(source=source, status="failed", error=exc.detail,
                          reason=exc.private_reason if about_it else exc.detail)
    reason = exc.reason if isinstance(exc, SourceArticleError) and exc.source == source else one_line(exc)
    return IngestItem(source=source, status="failed", error=one_line(exc), reason=reason)


def ingest_one(app: Newsdigest, source: str, stdin: BinaryIO | TextIO | None = None,
               tenant: str = TERMINAL_TENANT) -> IngestItem:
    """Digest and store one source (already expanded). SourceError and ArticleError become a failed
    item; StoreError, ModelError and bugs are raised."""
    if source != "-" and not _SCHEME.match(source.strip()) and Path(source).expanduser().is_dir():
        suffixes = ", ".join(sorted(ARTICLE_SUFFIXES))
        return _failed(SourceError(f"the folder has no article files ({suffixes})", source=source, action="read"), source)
    try:
        digest = app.service.digest_source(source, stdin=stdin)
    except (SourceError, ArticleError) as exc:
        return _failed(exc, source)
    try:
        # Ingested articles are the terminal's (the operator's own tenant, shared with no chat
        # workspace) unless the operator names the workspace they are for.
        saved = article_store.save_digest(app.store, digest, tenant=tenant)
    except SourceError as exc:  # BadInput: a value of this article cannot be stored (an address too long)
        return _failed(exc, source)
    return IngestItem(source=source, status=saved.status, article_id=saved.article_id,
                      title=digest.article.title)


def ingest(app: Newsdigest, sources: list[str], on_item: Callable[[IngestItem], None] | None = None,
           stdin: BinaryIO | TextIO | None = None, tenant: str = TERMINAL_TENANT) -> IngestReport:
    """Ingest every source (folders expanded, see `expand_sources`) for `tenant` (the terminal's own
    unless a workspace is named). `on_item` is called after each source, e.g. to move a progress bar.
    Raises StoreError when the database cannot be used."""
    app.store  # noqa: B018 - open (and migrate) first: a database that cannot be used fails before any digesting
    items: list[IngestItem] = []
    for source in expand_sources(sources):
        item = ingest_one(app, source, stdin=stdin, tenant=tenant)
        items.append(item)
        if on_item is not None:
            on_item(item)
    return IngestReport(items=items)
