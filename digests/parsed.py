"""The parsed article every stage after parsing reads, with the analysis the stages share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from spacy.tokens import Doc, Span

from .segment import Block, Layout
from .sentences import Sentence, quoted_regions, split_body

if TYPE_CHECKING:
    from .entities import Mention


@dataclass
class ParsedArticle:
    """The layout (title, date, blocks) and one Doc over `layout.text`, so token offsets are
    article offsets. The cached properties are computed on first use and read by every stage."""

    layout: Layout
    doc: Doc
    complete: bool = True  # False when the text was longer than the engine reads: this is its opening

    @property
    def text(self) -> str:
        return self.layout.text

    @cached_property
    def sentences(self) -> list[Sentence]:
        """The body's sentences, clipped to their blocks, without datelines or bylines."""
        return split_body(self.text, self.layout.blocks, self.doc)

    @cached_property
    def quoted(self) -> list[tuple[int, int]]:
        """Stretches inside quote marks, merged and sorted (see `sentences.quoted_share`)."""
        return quoted_regions(self.text)

    @cached_property
    def ents(self) -> list[Span]:
        """The doc's entities in order (`doc.ents` builds a new tuple on every access)."""
        return list(self.doc.ents)

    @cached_property
    def mentions(self) -> list[Mention]:
        """Named people, organisations and products with canonical names (see `entities.mentions`)."""
        from .entities import mentions  # entities reads ParsedArticle: imported when first asked

        return mentions(self)


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
