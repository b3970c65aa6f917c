"""newsdigest's engine: article text in, a typed `Digest` out. Pure: no network, database or clock."""

from .engine import ArticleError, DigestEngine
from .models import ArticleMeta, Digest, Quote, Speaker
from .nlp import ModelError

__all__ = ["ArticleError", "ArticleMeta", "Digest", "DigestEngine", "ModelError", "Quote", "Speaker"]
