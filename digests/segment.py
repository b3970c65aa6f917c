"""Find the parts of a cleaned article: title, publication date, section headings and paragraphs.

The body text that comes out of `segment` is what every later stage and every offset refers to:
its blocks are separated by a blank line so that paragraph boundaries survive in the text itself.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

BlockKind = Literal["heading", "paragraph", "bullet"]

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_DATE_PATTERNS = [
    # "Aug 3, 2025", "August 3, 2025"
    (re.compile(rf"\b((?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})\b", re.I), "mdy"),
    # "3 August 2025"
    (re.compile(rf"\b(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})[a-z]*\.?,?\s+\d{{4}})\b", re.I), "dmy"),
    # "2025-08-03"
    (re.compile(r"\b(\d{4}-\d{2}-\d{2})\b"), "iso"),
]
# A dateline holds a date and little else: a byline, separators, a time.
_DATELINE_MAX_WORDS = 12
_TERMINAL = tuple(".!?\u2026")
_CLOSERS = "\"'\u201d\u2019)]"
_BULLET_MARK = re.compile(r"^(?:[-*\u2022\u25aa\u25cf\u2013]|\d{1,2}[.)])\s+")
_LABEL = re.compile(r"^([A-Z][\w'\u2019&/.-]*(?:\s+(?:[A-Za-z][\w'\u2019&/.-]*|vs\.?|of|and|the|in|for|to)){0,5}):\s+(?=\S)")


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: BlockKind
    label_end: int | None = None  # for "Label: text" bullets, where the label stops


@dataclass
class Layout:
    text: str
    title: str | None = None
    published: str | None = None
    blocks: list[Block] = field(default_factory=list)

    def block_at(self, offset: int) -> Block | None:
        # Blocks are in text order and do not overlap: only the last one starting at or before
        # `offset` can hold it (asked once per quote, so no scan of every block).
        n = bisect.bisect_right(self.blocks, offset, key=lambda b: b.start) - 1
        if n >= 0 and offset < self.blocks[n].end:
            return self.blocks[n]
        return None


def parse_date(line: str) -> str | None:
    """The ISO date written in a line, if it holds one in a common news format."""
    for pattern, kind in _DATE_PATTERNS:
        match = pattern.search(line)
        if not match:
            continue
        raw = re.sub(r"(\d)(st|nd|rd|th)", r"\1", match.group(1), flags=re.I).replace(",", "").replace(".", "")
        raw = re.sub(r"\s+", " ", raw).strip()
        formats = {"mdy": ["%b %d %Y", "%B %d %Y"], "dmy": ["%d %b %Y", "%d %B %Y"], "iso": ["%Y-%m-%d"]}[kind]
        for fmt in formats:
            try:
                return datetime.strptime(raw.replace("Sept ", "Sep "), fmt).date().isoformat()
            except ValueError:
                continue
    return None


def _is_dateline(line: str) -> bool:
    return len(line.split()) <= _DATELINE_MAX_WORDS and parse_date(line) is not None and not line.rstrip().endswith(".")


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip().rstrip(_CLOSERS)
    return stripped.endswith(_TERMINAL)


def _is_heading(line: str, next_line: str | None) -> bool:
    """Headings are short, unpunctuated lines followed by body text. A short question in title case
    ("The Allegations: Beyond Standard Benchmarking?") is a heading too."""
    words = line.split()
    if not words or len(words) > 14 or next_line is None:
        return False
    if line.rstrip().endswith((":", ",", ";")) or _BULLET_MARK.match(line):
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha()) / len(words)
    if _ends_sentence(line):
        return line.rstrip().endswith("?") and capitalised >= 0.6 and len(words) <= 10
    return capitalised >= 0.5 or len(words) <= 6


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 30 and not line.rstrip().endswith((".", ":", ",")) and not _BULLET_MARK.match(line)


# A paragraph this long that comes twice is a repeated standfirst or card, not the writer's emphasis.
_REPEAT_MIN_WORDS = 8


def _key(line: str) -> str:
    return " ".join(re.findall(r"\w+", line.casefold()))


def _drop_repeats(lines: list[str], title: str | None) -> list[str]:
    """`lines` without the headline repeated as a paragraph and without the second copy of a prose
    paragraph printed exactly twice (a standfirst shown above and inside the article, a card placed
    twice). Text a page repeats many times (a template, a refrain, code) is its own and stays."""
    title_key = _key(title) if title else None
    keys = [_key(line) for line in lines]
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    seen: set[str] = set()
    kept = []
    for line, key in zip(lines, keys):
        if title_key and key == title_key:
            continue
        if counts[key] == 2 and len(line.split()) >= _REPEAT_MIN_WORDS and _ends_sentence(line):
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    return kept


def segment(text: str, title: str | None = None, published: str | None = None) -> Layout:
    """Split cleaned text into title, date and body blocks.

    `title` and `published`, when the caller already knows them (HTML metadata), win over what the
    text suggests; a first line equal to the known title is dropped from the body either way.
    """
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    head = 0
    if lines and title and lines[0].casefold() == title.strip().casefold():
        head = 1
    elif lines and title is None and len(lines) > 2 and _looks_like_title(lines[0]) and not _ends_sentence(lines[0]):
        title, head = lines[0], 1
    # A dateline sits right under the title (or opens the text).
    for index in range(head, min(head + 3, len(lines))):
        if _is_dateline(lines[index]):
            published = published or parse_date(lines[index])
            del lines[index]
            break

    body = _drop_repeats(lines[head:], title)
    blocks: list[Block] = []
    parts: list[str] = []
    offset = 0
    for index, line in enumerate(body):
        next_line = body[index + 1] if index + 1 < len(body) else None
        if _is_heading(line, next_line):
            kind: BlockKind = "heading"
            label_end = None
        else:
            label = _LABEL.match(line)
            bullet = _BULLET_MARK.match(line)
            kind = "bullet" if (label or bullet) else "paragraph"
            label_end = offset + label.end(1) if label else None
        blocks.append(Block(offset, offset + len(line), kind, label_end))
        parts.append(line)
        offset += len(line) + 2
    return Layout(text="\n\n".join(parts), title=title, published=published, blocks=blocks)


def iso_date(value: date | datetime | str | None) -> str | None:
    """Normalise a date from metadata to YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return parse_date(value) or (value[:10] if re.match(r"\d{4}-\d{2}-\d{2}", value) else None)
