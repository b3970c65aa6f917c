"""Reading an article from where a person points: a file, `-` for standard input, or an http(s) URL.

The result is text for the engine plus what is known about it (`ArticleMeta`). HTML goes through
main-content extraction; plain text is passed as it is, since the engine does its own cleaning. Every
failure is a one-line SourceError that names the source and the reason.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from pathlib import Path
from typing import BinaryIO, TextIO
from urllib.parse import urlsplit

from charset_normalizer import from_bytes
from pydantic import BaseModel, ConfigDict

from digests.models import ArticleMeta

from .config import Settings
from .errors import SourceError, format_size
from .fetch import fetch_url
from .html import extract_html, looks_like_html

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BARE_DOMAIN = re.compile(r"^(?:www\.[\w.-]+|[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/)", re.IGNORECASE)
# Opening bytes of common binary formats, so the refusal can say what the file is.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/EPUB document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32 LE first: it starts like UTF-16 LE
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1b")
MAX_CONTROL_SHARE = 0.01  # text has almost no control characters; binary data decoded as text has many


class ArticleInput(BaseModel):
    """An article as read from its source, before the engine sees it."""

    model_config = ConfigDict(frozen=True)

    text: str
    meta: ArticleMeta


def _decode_text(data: bytes) -> str:
    """Bytes to text, or a reason (as ValueError) why they are not text."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise ValueError(f"it is {kind}, not text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise ValueError("it is not valid text (broken Unicode after a byte-order mark)") from None
    if b"\x00" in data:
        raise ValueError("it looks like a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Older files are often Windows-1252 or Latin-1; accept them when the guess is clean.
        best = from_bytes(data, threshold=0.1).best()
        if best is None:
            raise ValueError("it is not UTF-8 text and no other text encoding fits") from None
        text = str(best)
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS)
    if controls > MAX_CONTROL_SHARE * len(text):
        raise ValueError("it looks like a binary file, not text")
    return text


def _check_nonempty(text: str, data: bytes) -> None:
    if not data:
        raise ValueError("it is empty")
    if not text.strip():
        raise ValueError("it contains only blank space")


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        if path.is_dir():
            raise ValueError("it is a directory")
        size = path.stat().st_size
        if size > limit:
            raise ValueError(f"the file is {format_size(size)}; the limit is {format_size(limit)}")
        # Read one byte past the limit: a pipe or a growing file has no trustworthy size up front.
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        # "example.com/story" was most likely meant as a web page, not a file.
        hint = " (to fetch a web page, give its URL with https://)" if _BARE_DOMAIN.match(str(path)) else ""
        raise ValueError(f"no such file{hint}") from None
    except PermissionError:
        raise ValueError("permission denied") from None
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise ValueError(f"the file is larger than the {format_size(limit)} limit")
    return data


def _read_stdin(stdin: BinaryIO | TextIO | None, limit: int) -> bytes:
    stream = stdin if stdin is not None else sys.stdin
    stream = getattr(stream, "buffer", stream)  # prefer bytes: the encoding is decided below, once
    data = stream.read(limit + 1)
    data = data.encode("utf-8") if isinstance(data, str) else data
    if len(data) > limit:
        raise ValueError(f"the input is larger than the {format_size(limit)} limit")
    return data


def _article(text: str, *, html: bool, url: str | None, source: str | None) -> ArticleInput:
    if html or looks_like_html(text):
        body, meta = extract_html(text, url)
        return ArticleInput(text=body, meta=meta.model_copy(update={"source": source, "url": url or meta.url}))
    return ArticleInput(text=text, meta=ArticleMeta(url=url, source=source))


def _site(url: str) -> str | None:
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def read_source(source: str, settings: Settings, stdin: BinaryIO | TextIO | None = None) -> ArticleInput:
    """Read the article at `source`: a file path, `-` for standard input (`stdin`, default sys.stdin),
    or an http(s) URL. meta.source is the file name or the site's host; meta.url the final URL."""
    if _SCHEME.match(source.strip()):
        page = fetch_url(source.strip(), settings)
        try:
            if not page.text.strip():
                raise SourceError("the page is empty")
            return _article(page.text, html=page.is_html, url=page.url, source=_site(page.url))
        except SourceError as exc:
            raise exc.about(source.strip(), "fetch") from None

    label = "standard input" if source == "-" else source
    try:
        if source == "-":
            data = _read_stdin(stdin, settings.max_file_bytes)
            name, html = None, False
        else:
            path = Path(source).expanduser()
            data = _read_bytes(path, settings.max_file_bytes)
            name, html = path.name, path.suffix.lower() in HTML_SUFFIXES
        text = _decode_text(data) if data else ""
        _check_nonempty(text, data)
        return _article(text, html=html, url=None, source=name)
    except SourceError as exc:
        raise exc.about(label, "read") from None
    except ValueError as exc:
        raise SourceError(str(exc), source=label, action="read") from None
