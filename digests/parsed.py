"""The parsed article every stage after parsing reads."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc

from .segment import Block, Layout


@dataclass
class ParsedArticle:
    """The layout (title, date, blocks) and one Doc over `layout.text`, so token offsets are
    article offsets."""

    layout: Layout
    doc: Doc
    complete: bool = True  # False when the text was longer than the engine reads: this is its opening

    @property
    def text(self) -> str:
        return self.layout.text


def blocks_of(text: str) -> list[Block]:
    """Paragraph blocks of text that is already clean: one per non-empty line."""
    blocks = []
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped)
            blocks.append(Block(start, start + len(stripped), "paragraph"))
        offset += len(line) + 1
    return blocks
