"""newsdigest's engine: article text in, a typed `Digest` out. Pure: no network, database or clock.

The engine's names load on first use, so that code needing only the models (`digests.models`) does
not pay for importing spaCy: `/who-said` answers from the store without any NLP.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import ArticleError, ModelError
from .models import ArticleMeta, Digest, Quote, Speaker

if TYPE_CHECKING:
    from .engine import DigestEngine

_LAZY = {"DigestEngine": ".engine"}

__all__ = ["ArticleError", "ArticleMeta", "Digest", "DigestEngine", "ModelError", "Quote", "Speaker"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
