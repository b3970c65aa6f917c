"""Errors the bot shows to people as they are, so their text must read well on its own."""

from __future__ import annotations


class SourceError(Exception):
    """An article source (file, stdin, URL) cannot be read.

    The message is one line for a person, e.g. "cannot read seeds/x.txt: no such file"; line breaks in
    the text given are folded so that a chat reply or a terminal line never shows a traceback-like block.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def format_size(n: int) -> str:
    """A byte count as people read it in a message: "812 bytes", "12.3 KB", "5.0 MB"."""
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"
