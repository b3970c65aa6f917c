"""Storage: SQLAlchemy models, Alembic migrations and the `Store` the commands use."""

from .db import StoreError
from .store import ArticleSummary, SaveResult, Store, StoredQuote

__all__ = ["ArticleSummary", "SaveResult", "Store", "StoreError", "StoredQuote"]
