"""Storage: SQLAlchemy models, Alembic migrations, the `Store` (the connection) and one module of
functions per part of the schema (articles, channels, feeds, deliveries, admins, requests)."""

from .articles import ArticleSummary, SaveResult, StoredQuote
from .db import StoreError
from .store import Store

__all__ = ["ArticleSummary", "SaveResult", "Store", "StoreError", "StoredQuote"]
