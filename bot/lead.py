"""Put back the lead paragraphs that main-content extraction lost.

A page's opening paragraph sometimes sits in its own container (a "standfirst" block, a drop-cap
wrapper) that the extractor scores as chrome, and the digest then opens with a sentence that assumes
it. The page's own markup still has it: JSON-LD `articleBody`, or the `<p>`s of its `<article>`.
When the extracted text starts at a later paragraph of that source, the paragraphs before it are
put back in front.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import ParserError

_PARSER = lxml.html.HTMLParser(encoding="utf-8")
_WORD = re.compile(r"\w+")
# How far into the source the extracted text may start for its opening to count as lost: deeper
# than this, the extractor chose another block on purpose.
MAX_LOST = 3
MIN_LEAD_WORDS = 12


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def article_paragraphs(html: str) -> list[str]:
    """The text of each `<p>` inside the page's first `<article>`, in order."""
    try:
        tree = lxml.html.fromstring(html.encode("utf-8", "replace"), parser=_PARSER)
    except (ParserError, ValueError):
        return []
    articles = tree.xpath("//article")
    if not articles:
        return []
    return [" ".join(p.text_content().split()) for p in articles[0].iter("p")]


def _is_prose(paragraph: str) -> bool:
    return len(paragraph.split()) >= MIN_LEAD_WORDS and paragraph.rstrip("\"'\u201d\u2019)").endswith((".", "!", "?"))


def restore_lead(text: str, sources: list[list[str]]) -> str:
    """`text` (one paragraph a line) with the lead paragraphs it lacks put back from the first of
    `sources` (lists of the page's own paragraphs) that shows where the text starts."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return text
    first = _key(lines[0])
    whole = _key(text)
    for paragraphs in sources:
        paragraphs = [p.strip() for p in paragraphs if p.strip()]
        start = next((i for i, p in enumerate(paragraphs[: MAX_LOST + 1]) if _key(p) and _key(p) in first
                      or (first and first in _key(p))), None)
        if not start:
            continue  # the text opens where the source does (0), or the source does not show it (None)
        lost = [p for p in paragraphs[:start] if _is_prose(p) and _key(p) not in whole]
        if lost:
            return "\n".join(lost + lines)
    return text
