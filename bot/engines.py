"""What the bot needs of a digest engine, and which engines there are.

`DigestService` depends on the `Engine` protocol only, so another engine (an LLM, a remote service)
is one class and one entry in ENGINES, chosen with NEWSDIGEST_ENGINE. Nothing outside an engine
touches its models: the warm-up at start goes through `warm_up()`, the evaluation through `quotes()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from .errors import ConfigError

if TYPE_CHECKING:
    from digests.models import ArticleMeta, Digest, Quote

    from .config import Settings

Checkpoint = Callable[[], None]


@runtime_checkable
class QuoteFinder(Protocol):
    """Quotes of a text taken as it is, offsets into that text: what the evaluation scores (an
    engine, or the service in front of it)."""

    def quotes(self, text: str) -> list[Quote]: ...


@runtime_checkable
class Engine(QuoteFinder, Protocol):
    name: str  # the NEWSDIGEST_ENGINE value that selects it

    def quotes(self, text: str, checkpoint: Checkpoint | None = None) -> list[Quote]: ...

    def digest(self, raw_text: str, meta: ArticleMeta | None = None, checkpoint: Checkpoint | None = None) -> Digest:
        """The digest of one article. `checkpoint`, when given, is called between the steps: the
        caller may raise there to stop a digest it no longer waits for."""
        ...

    def warm_up(self) -> None:
        """Load whatever the first digest would otherwise wait for."""
        ...


@dataclass(frozen=True)
class ModelEvent:
    """What an engine that calls a model reports, for /metrics: a `call` (outcome ok, invalid,
    rate_limited, timeout, error; its tokens) or a `digest` (outcome grounded, cached or offline)."""

    kind: Literal["call", "digest"]
    outcome: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@runtime_checkable
class ReportsModelEvents(Protocol):
    on_model_event: Callable[[ModelEvent], None] | None


def _offline(settings: Settings) -> Engine:
    from digests.engine import DigestEngine  # loads spaCy: only when a digest is needed

    return DigestEngine()


def _llm(settings: Settings) -> Engine:
    from .llm import LLMEngine  # the openai SDK: only when this engine is chosen

    return LLMEngine(settings)


# Name → how to build it from the settings (built on first use, in a worker thread).
ENGINES: Mapping[str, Callable[[Settings], Engine]] = MappingProxyType({"offline": _offline, "llm": _llm})


def make_engine(name: str, settings: Settings | None = None) -> Engine:
    """The engine NEWSDIGEST_ENGINE names; an unknown name is the operator's ConfigError."""
    try:
        build = ENGINES[name]
    except KeyError:
        raise ConfigError(f"bad setting (NEWSDIGEST_ENGINE: unknown engine {name!r}; choose from "
                          f"{', '.join(ENGINES)}): fix it in the environment or in .env") from None
    if settings is None:
        from .config import get_settings

        settings = get_settings()
    return build(settings)
