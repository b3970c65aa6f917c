"""People, organisations and products the article mentions, merged by name and counted.

`mentions` is shared with the dispute stage: it gives every named mention its canonical name, so
that "Nulty" two paragraphs down counts for "Christopher Nulty".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from .models import Entity, Quote, Speaker
from .parsed import ParsedArticle

EntityKind = Literal["person", "organisation", "product"]
_KINDS: dict[str, EntityKind] = {"PERSON": "person", "ORG": "organisation", "PRODUCT": "product"}
_POSSESSIVE = re.compile(r"[’']s?$")


@dataclass(frozen=True)
class Mention:
    name: str  # canonical: the full name when the article gives one
    kind: EntityKind
    start: int
    end: int


def _clean_name(text: str, kind: EntityKind) -> str:
    name = _POSSESSIVE.sub("", text.strip()).strip(" ,.;:()[]\"“”")
    if kind == "organisation" and name.lower().startswith("the "):
        name = name[4:]
    return name


def _structural(parsed: ParsedArticle) -> list[tuple[int, int]]:
    """Headings and bullet labels name topics, not actors: mentions there are not counted."""
    out = []
    for block in parsed.layout.blocks:
        if block.kind == "heading":
            out.append((block.start, block.end))
        elif block.label_end is not None:
            out.append((block.start, block.label_end))
    return out


def _is_junk(name: str) -> bool:
    return len(name) < 2 or name.islower() or not any(ch.isalpha() for ch in name)


def mentions(parsed: ParsedArticle) -> list[Mention]:
    """Named PERSON/ORG/PRODUCT mentions in article order, with surnames resolved to full names."""
    skip = _structural(parsed)
    raw: list[Mention] = []
    for ent in parsed.doc.ents:
        kind = _KINDS.get(ent.label_)
        if kind is None or any(lo <= ent.start_char and ent.end_char <= hi for lo, hi in skip):
            continue
        name = _clean_name(ent.text, kind)
        if not _is_junk(name):
            raw.append(Mention(name, kind, ent.start_char, ent.end_char))

    # The small model labels one name differently in different sentences: the majority wins.
    votes: dict[str, Counter[EntityKind]] = {}
    for m in raw:
        votes.setdefault(m.name, Counter())[m.kind] += 1
    kind_of = {name: counter.most_common(1)[0][0] for name, counter in votes.items()}

    # A one-word person name that is the surname of exactly one full name in the article is that person.
    full_by_surname: dict[str, set[str]] = {}
    for name, kind in kind_of.items():
        parts = name.split()
        if kind == "person" and len(parts) >= 2:
            full_by_surname.setdefault(parts[-1], set()).add(name)
    out = []
    for m in raw:
        name = m.name
        fulls = full_by_surname.get(name, set())
        if kind_of[name] == "person" and len(name.split()) == 1 and len(fulls) == 1:
            name = next(iter(fulls))
        out.append(Mention(name, kind_of.get(name, "person"), m.start, m.end))
    return out


def same_person(a: str, b: str) -> bool:
    """Two spellings of one person: equal, or one is the other's surname."""
    a_parts, b_parts = a.casefold().split(), b.casefold().split()
    if not a_parts or not b_parts:
        return False
    if a_parts == b_parts:
        return True
    return (len(a_parts) == 1 or len(b_parts) == 1) and a_parts[-1] == b_parts[-1]


def speaker_for(name: str, quotes: list[Quote]) -> Speaker | None:
    """The quotes' speaker who is this person, preferring one with a role or organisation."""
    found = [q.speaker for q in quotes
             if q.speaker is not None and q.speaker.kind == "person" and same_person(q.speaker.name, name)]
    found.sort(key=lambda s: (s.role is None and s.org is None))
    return found[0] if found else None


def find_entities(parsed: ParsedArticle, quotes: list[Quote]) -> list[Entity]:
    found = mentions(parsed)
    counts = Counter(m.name for m in found)
    first: dict[str, int] = {}
    kinds: dict[str, EntityKind] = {}
    for m in found:
        first.setdefault(m.name, m.start)
        kinds.setdefault(m.name, m.kind)

    # A quoted person the model missed is still someone the article names.
    skip = _structural(parsed)
    for quote in quotes:
        speaker = quote.speaker
        if speaker is None or speaker.kind != "person" or any(same_person(speaker.name, n) for n in counts):
            continue
        hits = [m.start() for m in re.finditer(rf"\b{re.escape(speaker.name)}\b", parsed.text)
                if not any(lo <= m.start() < hi for lo, hi in skip)]
        if hits:
            counts[speaker.name] = len(hits)
            first[speaker.name] = hits[0]
            kinds[speaker.name] = "person"

    entities = []
    for name in sorted(counts, key=lambda n: (-counts[n], first[n])):
        speaker = speaker_for(name, quotes) if kinds[name] == "person" else None
        entities.append(Entity(name=name, kind=kinds[name], mentions=counts[name],
                               role=speaker.role if speaker else None, org=speaker.org if speaker else None))
    return entities
