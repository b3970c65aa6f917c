"""People, organisations and products the article mentions, merged by name and counted.

`mentions` and `SpeakerIndex` are shared with the dispute stage: `mentions` gives every named
mention its canonical name, so that "Nulty" two paragraphs down counts for "Christopher Nulty".
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from .lexicon import GROUP_WORDS, HONORIFICS, ROLE_WORDS, first_name_gender
from .models import Entity, Quote, Speaker
from .parsed import ParsedArticle

EntityKind = Literal["person", "organisation", "product"]
_KINDS: dict[str, EntityKind] = {"PERSON": "person", "ORG": "organisation", "PRODUCT": "product"}
_POSSESSIVE = re.compile(r"[’']s?$")
_WORD_CHAR = re.compile(r"\w")
_WORD_RUN = re.compile(r"\w+")


@dataclass(frozen=True)
class Mention:
    name: str  # canonical: the full name when the article gives one
    kind: EntityKind
    start: int
    end: int


# "Netanyahu’s Likud party", "Verizon’s Yahoo": the owner's name is not part of the name.
_INNER_POSSESSIVE = re.compile(r"^.+?[’']s\s+(?=[A-Z])")
# "Kroger-owned", "London-based": the name with a modifier suffix.
_NAME_SUFFIX = re.compile(r"-(?:owned|based|backed|led|run|funded|born|made)$", re.IGNORECASE)
# "Hihiaua Cultural Centre in Whangārei": the place after the name is not part of it.
_PLACE_TAIL = re.compile(r"\s+in\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*$")
# "the Bill", "this Bill": a name after a determiner is a thing's.
_DETERMINER_BEFORE = re.compile(r"\b(?:the|this|that|a|an)\s+$", re.IGNORECASE)
# Words that make a name an organisation's, whoever it is named after ("Dana Lee Company").
ORG_WORDS = frozenset("""company co inc ltd llc plc corp corporation group holdings partners bank club council department
    ministry university college school institute foundation trust party association agency board commission
    committee fund centre center society union network studios studio press media news times post""".split())


def _clean_name(text: str, kind: EntityKind) -> str:
    name = _POSSESSIVE.sub("", text.strip()).strip(" ,.;:()[]\"“”")
    if kind == "organisation" and name.lower().startswith("the "):
        name = name[4:]
    if kind == "person":  # "Lawyer Adam Pell": a title the model folded into the name
        words = name.split()
        while len(words) > 2 and (words[0].lower() in ROLE_WORDS or words[0].lower().rstrip(".") in HONORIFICS):
            words = words[1:]
        name = " ".join(words)
    name = _NAME_SUFFIX.sub("", name)
    if "[" in name:
        name = _CITATION.sub("", name)
    if kind == "organisation":
        name = _PLACE_TAIL.sub("", name)
    return name


# A reference mark glued to a name ("Netscape Communicator.[6][7]"): the name ends before it.
_CITATION = re.compile(r"[.,;:]?\s*\[\d*\]?.*$", re.DOTALL)
# What no name holds: a line break (two blocks run together, "Photos\n\nScore"), a list's "+"
# ("Mutton + Villagers"), a caret or a bar of a reference list.
_NOT_IN_A_NAME = re.compile(r"\n|\s\+\s|\^|\s\|\s|^[-–•]\s")


def _fragment(name: str) -> bool:
    """A piece of a phrase rather than a name: an unbalanced quote mark or bracket, a line break or
    a list's plus sign inside, or a run that starts or ends with a small word."""
    if sum(name.count(c) for c in "\"“”") % 2 or name.count("(") != name.count(")") or "'" in name[:1]:
        return True
    if _NOT_IN_A_NAME.search(name) or name.count("[") != name.count("]"):
        return True
    # "React.js, Angular, PHP", "Science, Technology": a list run together, not one name, which a
    # comma joins only with "of" or "and" ("Ministry of Business, Innovation and Employment").
    if "," in name and not {"of", "and", "&"} & set(name.lower().split()):
        return True
    words = name.split()
    return words[0].islower() or words[-1].lower() in {"and", "of", "for", "the", "in", "on", "with", "to"}


def _structural(parsed: ParsedArticle) -> list[tuple[int, int]]:
    """Headings and bullet labels name topics, not actors: mentions there are not counted. In text
    order, not overlapping (see `_in_structural`)."""
    out = []
    for block in parsed.layout.blocks:
        if block.kind == "heading":
            out.append((block.start, block.end))
        elif block.label_end is not None:
            out.append((block.start, block.label_end))
    return out


def _in_structural(skip: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one of `skip`'s stretches: only the last one starting at or
    before `start` can hold it, so this is a search, not a scan of every heading."""
    n = bisect.bisect_right(skip, (start, float("inf"))) - 1
    return n >= 0 and end <= skip[n][1]


class SpeakerIndex:
    """The quotes' speakers who are people, by lower-cased surname, for `speaker_for` questions
    asked once per entity or mention: a scan of every quote each time is quadratic in a long article."""

    def __init__(self, quotes: list[Quote]) -> None:
        self._by_surname: dict[str, list[Speaker]] = {}
        for quote in quotes:
            speaker = quote.speaker
            if speaker is not None and speaker.kind == "person" and speaker.name.split():
                self._by_surname.setdefault(speaker.name.casefold().split()[-1], []).append(speaker)
        self._answers: dict[str, Speaker | None] = {}

    def speaker_for(self, name: str) -> Speaker | None:
        """The speaker who is this person, preferring one with a role or organisation."""
        if name not in self._answers:
            parts = name.casefold().split()
            found = [s for s in self._by_surname.get(parts[-1], []) if same_person(s.name, name)] if parts else []
            found.sort(key=lambda s: (s.role is None and s.org is None))
            self._answers[name] = found[0] if found else None
        return self._answers[name]


def _is_junk(name: str) -> bool:
    return len(name) < 2 or name.islower() or not any(ch.isalpha() for ch in name) or _fragment(name)


def _not_a_person(name: str) -> bool:
    """A name the model took for a person that a person's name cannot be: with a digit ("G40")
    or an acronym in it ("Zanu-PF"), or an organisation's word ("Dana Lee Company")."""
    words = re.split(r"[\s-]+", name)
    return any(ch.isdigit() for ch in name) or any(len(w) >= 2 and w.isupper() and "." not in w for w in words) \
        or any(w.lower() in ORG_WORDS for w in words[1:])


def _looks_like_person(name: str) -> bool:
    """ "Brent Foxhall" tagged as an organisation: two or three capitalised words opening with a
    common first name, and no organisation's word, are a person's name."""
    words = name.split()
    return 2 <= len(words) <= 3 and all(w[:1].isupper() for w in words) and first_name_gender(words[0]) is not None \
        and not _not_a_person(name)


def mentions(parsed: ParsedArticle) -> list[Mention]:
    """Named PERSON/ORG/PRODUCT mentions in article order, with surnames resolved to full names."""
    skip = _structural(parsed)
    raw: list[Mention] = []
    # Names the model also calls a nationality or a place ("Africans", "Tunisia") are not people.
    groups = {_clean_name(ent.text, "person") for ent in parsed.ents if ent.label_ in {"NORP", "GPE"}}
    # So are the peoples and nationalities of the list kept as data ("Māori" tagged as a person in
    # every sentence), and a one-word name in the plural ("Africans", "Islanders").
    groups |= GROUP_WORDS
    groups |= {_clean_name(ent.text, "person") for ent in parsed.ents
               if ent.label_ == "PERSON" and len(ent) == 1 and ent.root.tag_ == "NNPS"}
    text = parsed.text
    after_the: Counter[str] = Counter()
    places: list[Mention] = []
    # "Netanyahu’s Likud party": the owner is not part of the name when the article names the owner
    # on its own; "Sam’s Club" keeps its "Sam’s".
    known = {_clean_name(ent.text, "person") for ent in parsed.ents}
    # A country the model once calls an organisation ("New Zealand") is still a place: the label it
    # gives the name most often wins over one odd sentence.
    place_votes: Counter[str] = Counter()
    for ent in parsed.ents:
        if ent.label_ in {"GPE", "LOC", "NORP"}:
            place_votes[_clean_name(ent.text, "organisation")] += 1
        elif ent.label_ == "ORG":
            place_votes[_clean_name(ent.text, "organisation")] -= 1
    for ent in parsed.ents:
        kind = _KINDS.get(ent.label_)
        if ent.label_ == "GPE" and not _in_structural(skip, ent.start_char, ent.end_char):
            places.append(Mention(_clean_name(ent.text, "person"), "person", ent.start_char, ent.end_char))
        if kind is None or _in_structural(skip, ent.start_char, ent.end_char):
            continue
        name = _clean_name(ent.text, kind)
        owner = _INNER_POSSESSIVE.match(name)
        # A person's name never holds an owner ("RedMonk’s Stevens" is Stevens at RedMonk).
        if owner and (kind == "person" or _POSSESSIVE.sub("", owner.group().strip()) in known):
            name = name[owner.end():]
        if _is_junk(name) or name in GROUP_WORDS or (kind == "organisation" and place_votes[name] > 0):
            continue
        if kind == "person" and (name in groups or _not_a_person(name)):
            if name in groups:
                continue
            kind = "organisation"
        elif kind == "organisation" and _looks_like_person(name):
            kind = "person"
        if kind == "person" and _DETERMINER_BEFORE.search(text, max(0, ent.start_char - 6), ent.start_char):
            after_the[name] += 1  # "the Bill", "this Bill": a thing, not a person
        raw.append(Mention(name, kind, ent.start_char, ent.end_char))

    # The small model labels one name differently in different sentences: the majority wins.
    votes: dict[str, Counter[EntityKind]] = {}
    for m in raw:
        votes.setdefault(m.name, Counter())[m.kind] += 1
    kind_of = {name: counter.most_common(1)[0][0] for name, counter in votes.items()}
    raw = [m for m in raw if not (kind_of[m.name] == "person" and after_the[m.name] == votes[m.name]["person"]
                                  and len(m.name.split()) == 1 and after_the[m.name])]

    # A one-word name that is the surname of exactly one full person name in the article is that
    # person, whatever the model labelled it ("Forte" tagged as an organisation after "Tom Forte").
    full_by_surname: dict[str, set[str]] = {}
    for name, kind in kind_of.items():
        parts = name.split()
        if kind == "person" and len(parts) >= 2:
            full_by_surname.setdefault(parts[-1], set()).add(name)
    # The model takes some surnames for places ("Rushton said"): the surname of one person named
    # in full is that person.
    raw = sorted(raw + [m for m in places if len(full_by_surname.get(m.name, ())) == 1 and m.name not in kind_of],
                 key=lambda m: m.start)
    # Blogs and profiles call people by their first name ("Marco" after "Marco Arment"): a one-word
    # name that begins exactly one full person name, and is nobody's surname, is that person; taken
    # for an organisation, only when it is a common first name ("Samantha’s post").
    full_by_first: dict[str, set[str]] = {}
    for name, kind in kind_of.items():
        parts = name.split()
        if kind == "person" and len(parts) >= 2 and not parts[0].endswith("."):
            full_by_first.setdefault(parts[0], set()).add(name)
    out = []
    written: dict[str, str] = {}  # each name as written -> the canonical name it counts for
    for m in raw:
        name = m.name
        fulls = full_by_surname.get(name, set())
        one_word = len(name.split()) == 1
        if kind_of.get(name, "person") in {"person", "organisation"} and one_word and len(fulls) == 1:
            name = next(iter(fulls))
        elif one_word and not fulls and len(firsts := full_by_first.get(name, set())) == 1 and (
                kind_of.get(name) == "person" or (kind_of.get(name) == "organisation" and first_name_gender(name))):
            name = next(iter(firsts))
        written.setdefault(m.name, name)
        out.append(Mention(name, kind_of.get(name, "person"), m.start, m.end))
    return _with_repeats(parsed, _merge_org_variants(out), written, skip)


# Words that may follow an organisation's name without making it another one ("Acme Inc." is Acme).
_LEGAL_SUFFIXES = {"inc", "ltd", "llc", "plc", "corp", "co", "corporation", "company", "group", "limited", "ag", "sa"}


def _merge_org_variants(found: list[Mention]) -> list[Mention]:
    """ "Brookfield Stores Inc." and "Brookfield Stores" are one organisation: the name without its
    legal suffix is the one kept."""
    names = {m.name for m in found if m.kind == "organisation"}
    short: dict[str, str] = {}
    for name in names:
        words = name.split()
        while len(words) > 1 and words[-1].lower().rstrip(".") in _LEGAL_SUFFIXES:
            words = words[:-1]
            if " ".join(words) in names:
                short[name] = " ".join(words)
                break
    return [Mention(short[m.name], m.kind, m.start, m.end) if m.name in short else m for m in found]


def _with_repeats(parsed: ParsedArticle, found: list[Mention], written: dict[str, str],
                  skip: list[tuple[int, int]]) -> list[Mention]:
    """The small model labels a name in one sentence and not in the next: every other place the
    article writes a name it labelled (as whole words, outside headings) is a mention of it too,
    of the name it counts for ("Dershowitz" for "Alan Dershowitz")."""
    kinds = {m.name: m.kind for m in found}
    canonical = {surface: name for surface, name in written.items() if name in kinds}
    canonical.update({name: name for name in kinds})
    # A one-word person name ("Bill", "Grace") is also a word: only a surname of a full name repeats.
    canonical = {surface: name for surface, name in canonical.items()
                 if len(surface.split()) > 1 or kinds[name] != "person" or len(name.split()) > 1}
    covered = sorted((m.start, m.end) for m in found)
    starts = [c[0] for c in covered]
    extra = []
    for surface, hits in _occurrences(parsed.text, set(canonical), skip).items():
        name = canonical[surface]
        for start in hits:
            end = start + len(surface)
            n = bisect.bisect_right(starts, start) - 1
            if (n >= 0 and start < covered[n][1]) or (n + 1 < len(covered) and covered[n + 1][0] < end):
                continue  # inside or across a mention already found
            extra.append(Mention(name, kinds[name], start, end))
    return sorted(found + extra, key=lambda m: m.start) if extra else found


def country_mentions(parsed: ParsedArticle) -> list[Mention]:
    """Countries, states and cities named in the body, as organisations: "Russia accused Ukraine of
    …" is a government acting. Not entities of the digest; the dispute stage alone reads them."""
    skip = _structural(parsed)
    people = {m.start for m in parsed.mentions}
    out = []
    for ent in parsed.ents:
        if ent.label_ == "GPE" and ent.start_char not in people and not _in_structural(skip, ent.start_char, ent.end_char):
            name = _clean_name(ent.text, "organisation")
            if not _is_junk(name):
                out.append(Mention(name, "organisation", ent.start_char, ent.end_char))
    return out


def same_name(a: str, b: str) -> bool:
    """Two spellings of one person: `same_person`, or a first name alone ("Marco" for "Marco
    Arment"), as blogs and profiles write it."""
    if same_person(a, b):
        return True
    a_parts, b_parts = a.casefold().split(), b.casefold().split()
    return bool(a_parts and b_parts) and (len(a_parts) == 1 or len(b_parts) == 1) and a_parts[0] == b_parts[0]


def same_person(a: str, b: str) -> bool:
    """Two spellings of one person: equal, or one is the other's surname."""
    a_parts, b_parts = a.casefold().split(), b.casefold().split()
    if not a_parts or not b_parts:
        return False
    if a_parts == b_parts:
        return True
    return (len(a_parts) == 1 or len(b_parts) == 1) and a_parts[-1] == b_parts[-1]


def _occurrences(text: str, names: set[str], skip: list[tuple[int, int]]) -> dict[str, list[int]]:
    """Where each name occurs in `text` as whole words, outside `skip`: one pass over the words of
    the text for all names (a search of the whole text per name is quadratic in a long article)."""
    found: dict[str, list[int]] = {name: [] for name in names}
    by_first: dict[str, list[str]] = {}
    for name in names:
        first = _WORD_RUN.match(name)
        if first is not None and _WORD_CHAR.match(name[-1]):
            by_first.setdefault(first.group(), []).append(name)
        else:  # a name that starts or ends with punctuation: rare enough to search for alone
            found[name] = [m.start() for m in re.finditer(rf"\b{re.escape(name)}\b", text)
                           if not _in_structural(skip, m.start(), m.start() + 1)]
    if not by_first:
        return found
    for match in _WORD_RUN.finditer(text):
        for name in by_first.get(match.group(), ()):
            start, end = match.start(), match.start() + len(name)
            if text.startswith(name, start) and not (end < len(text) and _WORD_CHAR.match(text[end])) \
                    and not _in_structural(skip, start, start + 1):
                found[name].append(start)
    return found


def find_entities(parsed: ParsedArticle, quotes: list[Quote]) -> list[Entity]:
    found = parsed.mentions  # computed once per article, shared with the dispute stage
    counts = Counter(m.name for m in found)
    first: dict[str, int] = {}
    kinds: dict[str, EntityKind] = {}
    for m in found:
        first.setdefault(m.name, m.start)
        kinds.setdefault(m.name, m.kind)

    # A quoted person the model missed is still someone the article names.
    by_surname: dict[str, list[str]] = {}
    for name in counts:
        if name.split():
            by_surname.setdefault(name.casefold().split()[-1], []).append(name)

    by_first: dict[str, set[str]] = {}
    for name in counts:
        if kinds[name] == "person" and len(name.split()) >= 2:
            by_first.setdefault(name.casefold().split()[0], set()).add(name)

    def known(name: str) -> bool:
        # "Fiona" quoted after "Fiona Parry" was named: the one full name with that first name.
        words = name.casefold().split()
        return any(same_person(name, n) for n in by_surname.get(words[-1], [])) or (
            len(words) == 1 and len(by_first.get(words[0], ())) == 1)

    said = [q.speaker.name for q in quotes if q.speaker is not None and q.speaker.kind == "person"
            and q.speaker.name.split()]
    # Every name's hits first, in one pass; then the quotes in order, as a name found counts as known.
    hits_of = _occurrences(parsed.text, {name for name in said if not known(name)}, _structural(parsed))
    for name in said:
        if known(name):
            continue
        hits = hits_of[name]
        if hits:
            counts[name] = len(hits)
            first[name] = hits[0]
            kinds[name] = "person"
            by_surname.setdefault(name.casefold().split()[-1], []).append(name)

    speakers = SpeakerIndex(quotes)
    entities = []
    for name in sorted(counts, key=lambda n: (-counts[n], first[n])):
        if kinds[name] == "organisation" and len(name.split()) >= 2:
            # A full name the model called an organisation that a quote's speaker bears as a person's
            # ("Hori Parata" said, with a role): the speaker work has read it as a person.
            spoken = speakers.speaker_for(name)
            if spoken is not None and spoken.name == name:
                kinds[name] = "person"
        speaker = speakers.speaker_for(name) if kinds[name] == "person" else None
        entities.append(Entity(name=name, kind=kinds[name], mentions=counts[name],
                               role=speaker.role if speaker else None, org=speaker.org if speaker else None))
    return entities
