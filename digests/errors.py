"""Errors the engine raises; their messages are written for the person who gave the article."""

from __future__ import annotations


class ArticleError(ValueError):
    """The text cannot be digested; the message says why in words a reader understands."""


class ModelError(RuntimeError):
    """The pinned spaCy model is missing or is not the file we expect."""
