"""Dispute: when the article reports a conflict, who is against whom, over what, and what each says.

A dispute needs two parties that oppose each other in the text: one acts against the other (sues,
accuses, cuts off, demands, criticises …: `conflict.conflict_acts`) and each of them acts or speaks
in the article; a person who speaks for an organisation counts for the organisation, and someone
who is only talked about is not a party. Without that evidence the answer is None: never invent one.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable

from spacy.tokens import Doc, Token

from .collectives import names_group
from .conflict import ANSWER, BETWEEN, Act, PartyFinder, conflict_acts, full_names, speakers
from .entities import Mention, SpeakerIndex, country_mentions, same_person
from .models import Dispute, Implication, Party, Quote
from .parsed import ParsedArticle
from .sentences import Sentence, body_sentences, quoted_regions, quoted_share

_ACTION = re.compile(
    r"\b(?:cut(?:s|ting)? off|revok(?:ed|es|ing)|ban(?:s|ned)|su(?:ed|es|ing)|filed (?:a )?(?:lawsuit|suit|complaint)"
    r"|suspend(?:ed|s|ing)|fired|block(?:ed|s|ing)|terminat(?:ed|es))\b",
    re.IGNORECASE,
)
_ALLEGING = re.compile(r"\b(?:alleg\w*|accus\w*|claims? that)\b", re.IGNORECASE)
_FAULT = re.compile(r"\b(?:violat\w*|breach\w*|infring\w*)\b", re.IGNORECASE)
_OPEN = re.compile(
    r"\b(?:remains? to be seen|(?:is|remains|was) (?:still )?unclear|not (?:yet )?clear|outcomes? of|not yet"
    r"|did not (?:immediately )?respond|has not responded|declined to comment|could not be reached"
    r"|rais(?:e|es|ed|ing) (?:new |fresh |serious )?questions|unanswered)\b",
    re.IGNORECASE,
)
# A "could" or "whether" is open only about the parties; the writer's "could" about anything else is not.
_MAYBE = re.compile(r"\b(?:whether|could)\b", re.IGNORECASE)
# Single quote marks used as quotation marks ("'We will fight,' she said"): someone's words, not an open question.
_SINGLE_QUOTED = re.compile(r"(?:^|\s)['‘][A-Z]|[,.!?]['’](?:\s|$)")
# A party's claim about what will happen is still open; the writer's own "will" is not.
_CLAIMED_FUTURE = re.compile(r"\b(?:maintains?|insists?|claims?|says?|expects?|hopes?|promis\w*)\b.*\bwill\b", re.IGNORECASE)
# An event from before this story is background, not an action in this dispute.
_BACKGROUND = re.compile(r"\b(?:earlier|previously|in the past|last year|years ago)\b", re.IGNORECASE)
_ACCORDING = re.compile(r"^According to [^,]{1,80},\s+")
# A photo caption's label before the sentence ("Lawyers: Dershowitz slammed …"): one word and a colon
# (two would take "Smith said:" off the claim it attributes).
_CAPTION_LABEL = re.compile(r"^[A-Z][\w'’-]*: (?=[A-Z])")
# A "sentence" whose period stands apart ("… that the allegation .") was cut where a line broke, not
# where it ended: no party's position.
_CUT = re.compile(r"\s\.$")
MAX_OPEN_QUESTIONS = 4
MIN_POSITION_WORDS = 3


def _token_at(doc: Doc, offset: int) -> Token | None:
    span = doc.char_span(offset, offset + 1, alignment_mode="expand")
    return span[0] if span is not None and len(span) else None


def _governor(token: Token) -> Token:
    """The verb a conflict word belongs to: the word itself or its nearest verb above. Compared by
    index: spaCy hands out a new Token object on every `.head`, so `is` never finds the root. The
    walk is bounded by the sentence length too, whatever the parse."""
    for _ in range(len(token.sent)):
        if token.pos_ in {"VERB", "AUX"} or token.head.i == token.i:
            break
        token = token.head
    return token


class _Parties:
    """Which party each mention counts for, asked for every mention of many sentences: built on one
    `SpeakerIndex` of the quotes, not a scan of every quote per question."""

    def __init__(self, quotes: list[Quote], mentions: list[Mention]) -> None:
        self._speakers = SpeakerIndex(quotes)
        self._full = full_names(mentions)

    def of(self, mention: Mention) -> str:
        """A person who speaks for an organisation counts for it; "Mr Brasz" is "Anton Brasz"."""
        if mention.kind == "person":
            speaker = self._speakers.speaker_for(mention.name)
            if speaker is not None and speaker.org:
                return speaker.org
            return self._full.get(mention.name, mention.name)
        return mention.name


def _mentions_in(found: list[Mention], sentence: Sentence) -> list[Mention]:
    """People and organisations named in the sentence; `found` is in article order."""
    first = bisect.bisect_left(found, sentence.start, key=lambda m: m.start)
    out = []
    for m in found[first:]:
        if m.start >= sentence.end:
            break
        if m.end <= sentence.end and m.kind in {"person", "organisation"}:
            out.append(m)
    return out


def _names_party(sentence: Sentence, found: list[Mention], party: str, who: _Parties,
                 groups: dict[str, str]) -> bool:
    """Whether the sentence names the party: one of its mentions, or for a collective actor ("the
    army", in `groups`: label → group) a word for that group."""
    if party in groups:
        return names_group(sentence.text, groups[party])
    return any(who.of(m) == party for m in _mentions_in(found, sentence))


def _trim(text: str) -> str:
    """Drop a leading "According to X," attribution or a caption's label: the allegation is what
    follows it."""
    trimmed = _CAPTION_LABEL.sub("", _ACCORDING.sub("", text))
    return trimmed[:1].upper() + trimmed[1:] if trimmed != text else text


def _own_quotes(party: str, is_person: bool, quotes: list[Quote]) -> list[Quote]:
    """The quotes a party said: by its people (speaker.org), by itself, or, for a person, by name."""
    own = []
    for quote in quotes:
        speaker = quote.speaker
        if speaker is None:
            continue
        if (speaker.org or "").casefold() == party.casefold() or speaker.name.casefold() == party.casefold() \
                or (is_person and same_person(speaker.name, party)):
            own.append(quote)
    return sorted(own, key=lambda q: q.start)


def _position(parsed: ParsedArticle, quotes: list[Quote]) -> str | None:
    """The party's stand in its own words: what its people said outright about this story, before
    phrases lifted from documents or remarks from the past ("previously stated")."""
    def current(q: Quote) -> bool:
        block = parsed.layout.block_at(q.start)
        context = parsed.text[block.start:q.start] if block is not None else ""
        return not _BACKGROUND.search(context[-120:])

    said = [q for q in quotes if q.kind == "direct" and q.speaker is not None and q.speaker.kind != "document"]
    chosen = [q for q in said if current(q)] or said or quotes
    parts = [q.text.strip().rstrip(",;:").strip() for q in chosen[:3] if q.text.strip()]
    return " ".join(p if p.endswith((".", "!", "?", "\u2026")) else p + "." for p in parts) or None


def _action_phrase(parsed: ParsedArticle, sentence: Sentence, found: list[Mention],
                   who: _Parties, parties: list[str]) -> tuple[str, str] | None:
    """The acting party and "Acme cut off Globex's access": subject, verb and object of the action,
    when a party is its subject."""
    match = _ACTION.search(sentence.text)
    token = _token_at(parsed.doc, sentence.start + match.start()) if match else None
    if token is None or token.pos_ not in {"VERB", "AUX"}:
        return None
    subject = next((c for c in token.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    obj = next((c for c in token.children if c.dep_ == "dobj"), None)
    if subject is None or obj is None:
        return None
    actor = next((who.of(m) for m in _mentions_in(found, sentence)
                  if m.start <= subject.idx < m.end), None)
    if actor not in parties:
        return None
    particles = " ".join(c.text for c in token.children if c.dep_ == "prt")
    words = parsed.doc[obj.left_edge.i:obj.i + 1].text.split()[:10]
    return actor, " ".join(w for w in [actor, token.text, particles, " ".join(words)] if w)


def _parties(parsed: ParsedArticle, sentences: list[Sentence], found: list[Mention], who: _Parties,
             quotes: list[Quote], places: list[Mention]
             ) -> tuple[list[str], list[Act], dict[str, list[Sentence]], dict[str, str]] | None:
    """The two parties of the article's conflict, the one that acted first named first; None unless
    one acts against the other and each of them acts or speaks in the article (someone who is only
    talked about is not a party)."""
    finder = PartyFinder(parsed.mentions, who.of, places=places)
    acts = conflict_acts(parsed, sentences, finder)
    if not acts:
        return None
    people = {m.name for m in found if m.kind == "person"}
    said = speakers(parsed, sentences, finder)
    engaged = {act.actor for act in acts if act.lemma != BETWEEN} | set(said)

    def speaks(party: str) -> bool:
        return party in engaged or bool(_own_quotes(party, party in people, quotes))

    scores: Counter[frozenset[str]] = Counter()
    first: dict[frozenset[str], Act] = {}
    for act in acts:
        if act.target is None:
            continue
        pair = frozenset((act.actor, act.target))
        scores[pair] += 2
        first.setdefault(pair, act)
    for act in acts:  # an answer by either party strengthens their pair
        for pair in scores:
            if act.actor in pair and (act.target is None or act.target in pair):
                scores[pair] += 1
    # The conflict the headline names is the article's: a party in the title weighs one act more.
    title = set(re.findall(r"\w+", (parsed.layout.title or "").casefold()))
    for pair in scores:
        scores[pair] += sum(bool(title & set(re.findall(r"\w+", party.casefold()))) for party in pair)
    valid = [pair for pair in scores if all(speaks(party) for party in pair)]
    if not valid:
        return None
    best = max(valid, key=lambda pair: (scores[pair], -first[pair].sentence.start))
    act = first[best]
    return [act.actor, act.target or ""], acts, said, finder.collectives


def _held(party: str, acts: list[Act], said: list[Sentence], narrated: set[int], allegation: Sentence | None) -> str | None:
    """What the article says a party that is not quoted holds: the narrated sentence where it
    answers (denies, refuses, rejects …), else where it says something, else where it acts;
    never the allegation itself nor a sentence of quoted words."""
    def usable(s: Sentence) -> bool:
        return s.start in narrated and (allegation is None or s.start != allegation.start) \
            and not _SINGLE_QUOTED.search(s.text) and not _CUT.search(s.text.rstrip())

    answers = [a.sentence for a in acts if a.actor == party and a.lemma in ANSWER and usable(a.sentence)]
    others = [a.sentence for a in acts if a.actor == party and a.lemma not in ANSWER | {BETWEEN} and usable(a.sentence)]
    chosen = next(iter(answers + [s for s in said if usable(s)] + others), None)
    return _trim(chosen.text) if chosen else None


def find_dispute(parsed: ParsedArticle, quotes: list[Quote], implications: Iterable[Implication] = ()) -> Dispute | None:
    """The dispute the article reports, or None. A sentence already shown as an implication is not
    repeated as an open question."""
    sentences = body_sentences(parsed)
    # Countries act too ("Russia accused Ukraine …"): they take part as the organisations they are.
    places = country_mentions(parsed)
    found = sorted(parsed.mentions + places, key=lambda m: m.start)
    who = _Parties(quotes, parsed.mentions)
    found_parties = _parties(parsed, sentences, found, who, quotes, places)
    if found_parties is None:
        return None
    ranked, acts, said, groups = found_parties

    regions = quoted_regions(parsed.text, ((q.start, q.end) for q in quotes))
    narrated = [s for s in sentences if quoted_share(regions, s.start, s.end) < 0.5]

    def involvement(s: Sentence) -> int:
        return sum(_names_party(s, found, p, who, groups) for p in ranked)

    # The allegation is a claim one party makes against the other: it names both of them.
    alleging = [s for s in narrated if (_ALLEGING.search(s.text) or _FAULT.search(s.text)) and involvement(s) == 2]
    actions = [s for s in narrated if _ACTION.search(s.text) and involvement(s) and not _BACKGROUND.search(s.text)]

    action_starts = {s.start for s in actions}

    # The allegation says who did what to whom; a sentence that is already the action says less.
    def weight(s: Sentence) -> tuple[int, int]:
        score = 2 * involvement(s) + 2 * bool(_ALLEGING.search(s.text)) + bool(_FAULT.search(s.text))
        return score - (s.start in action_starts), -s.start

    allegation = max(alleging, key=weight, default=None)
    # An action against a third party is another story: keep those between these parties only.
    actions = [s for s in actions if involvement(s) == 2
               or not {who.of(m) for m in _mentions_in(found, s)} - set(ranked)]

    taken = {s.start for s in actions} | ({allegation.start} if allegation else set())
    shown = [(i.start, i.end) for i in implications]
    taken |= {s.start for s in narrated if any(start < s.end and s.start < end for start, end in shown)}
    open_questions = [s for s in narrated if s.start not in taken and not _SINGLE_QUOTED.search(s.text)
                      and (_OPEN.search(s.text) or ((_MAYBE.search(s.text) or _CLAIMED_FUTURE.search(s.text))
                                                    and involvement(s)))][:MAX_OPEN_QUESTIONS]

    acted = next((a for s in actions if (a := _action_phrase(parsed, s, found, who, ranked))), None)
    if acted is not None and acted[0] != ranked[0]:
        ranked.reverse()  # the party that acted is named first: "Acme vs Globex: Acme sued Globex"
    summary = acted[1] if acted else parsed.layout.title
    headline = f"{ranked[0][:1].upper()}{ranked[0][1:]} vs {ranked[1]}" + (f": {summary}" if summary else "")

    people = {m.name for m in found if m.kind == "person"}
    narrated_starts = {s.start for s in narrated}
    parties = []
    for name in ranked:
        own = _own_quotes(name, name in people, quotes)
        # A quoted name or a scare-quoted word ("Blue House") is no stand: a party's position is
        # words it said, else what the article says it holds.
        stated = [q for q in own if len(q.text.split()) >= MIN_POSITION_WORDS]
        position = _position(parsed, stated) if stated else _held(name, acts, said.get(name, []), narrated_starts, allegation)
        parties.append(Party(name=name, position=position, quotes=own))
    return Dispute(
        headline=headline,
        parties=parties,
        allegation=_trim(allegation.text) if allegation else None,
        actions=[s.text for s in actions],
        open_questions=[s.text for s in open_questions],
    )
