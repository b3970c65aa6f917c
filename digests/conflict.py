"""Who acts against whom: the conflict acts and the speakers of an article, read from the parse.

A dispute's parties must each act or speak in the article. `conflict_acts` finds, in every body
sentence, a verb of conflict (accuse, deny, sue, cut off, demand, refuse, protest, criticise,
respond …) with the party that is its subject (the actor) and the party it is aimed at (its
object, or "against"/"with" whom), if the sentence names one. `speakers` are the parties that say
something: their people are quoted, or they are the subject of a verb of saying.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from .collectives import collective_head, group_of, label_rank
from .entities import Mention, same_name
from .lexicon import HONORIFIC_GENDER, PRONOUNS, ROLE_WORDS, first_name_gender
from .parsed import ParsedArticle
from .sentences import Sentence, quoted_share

# Acts aimed at someone: the actor does it to the target.
AGAINST = {"hit", "lash", "accuse", "sue", "cut", "ban", "block", "fire", "suspend", "revoke", "terminate", "attack", "blame",
           "criticise", "criticize", "condemn", "slam", "blast", "threaten", "demand", "urge", "challenge",
           "boycott", "oppose", "punish", "sanction", "restrict", "reject", "dispute", "sack", "investigate",
           "fine", "charge", "expel", "exclude", "warn", "pressure", "target", "retaliate", "resist", "defy",
           "denounce", "rebuke", "lambast", "lambaste", "berate", "ridicule", "mock", "stand", "allege", "order"}
# Acts of answering back: a party that does one acts in the dispute even with no target named.
ANSWER = {"deny", "reject", "dispute", "refute", "dismiss", "defend", "respond", "counter", "protest", "appeal",
          "refuse", "insist", "retaliate", "fight", "contest", "criticise", "criticize", "condemn", "rebut",
          "retort", "hit", "apologise", "apologize", "resist", "defy"}
SPEECH = {"say", "tell", "state", "claim", "argue", "add", "write", "note", "insist", "respond", "explain",
          "deny", "reply", "allege", "accuse", "announce", "warn", "counter", "maintain", "comment"}
_SUBJECTS = {"nsubj", "nsubjpass"}
# What police and prosecutors do as their job: charging a suspect is no dispute with the suspect.
_ENFORCEMENT = {"charge", "investigate", "fine", "order"}
# "the row between Acme and Globex", "a middle-man between Mugabe and the generals": the article
# names the two sides of a conflict in one noun. The act is the conflict's, neither side's: it pairs
# them but shows neither of them acting (BETWEEN is no one's act).
BETWEEN = "between"
# Not "clash", "war" or a bare "battle"/"fight": "the clash between Arsenal and Chelsea", "the battle
# between Federer and Nadal" are games. A legal or court battle is a dispute.
_CONFLICT_NOUNS = {"row", "feud", "dispute", "standoff", "stand-off", "rift", "spat", "quarrel", "mediator",
                   "middleman", "middle-man", "go-between", "mediation"}
_CONTESTS = {"battle", "fight"}
_CONTEST_KINDS = {"legal", "court", "courtroom"}
_RELATIVE = {"which", "who", "that"}
# Verbs that are conflict only with their particle: "cut off", "hit out at", "hit back", "lash out
# at", "stand up to".
_PHRASAL = {"cut": {"off"}, "hit": {"out", "back"}, "lash": {"out"}, "stand": {"up"}}
# "filed a lawsuit against X", "brought a complaint against X": the act is in the noun.
_FILING = {"file", "bring", "launch", "lodge", "press"}
_CASES = {"lawsuit", "suit", "complaint", "case", "action", "petition", "claim", "charge"}
_TARGET_PREPS = {"against", "with", "over", "on", "from", "of", "to", "at"}
# Words the small model sometimes labels as an organisation but that are things, not actors.
NOT_ACTORS = {"ipo", "ceo", "cfo", "cto", "coo", "ai", "api", "gdp", "etf", "nft", "app", "llc", "inc", "ltd", "plc",
              "corp", "co", "faq", "pdf", "url", "html", "css", "tv", "pc"}


@dataclass(frozen=True)
class Act:
    actor: str
    target: str | None
    lemma: str
    sentence: Sentence


def is_actor_name(name: str) -> bool:
    """A name that can be a person or organisation taking part: not a bare acronym of a thing, not a
    run of words joined by symbols (a menu), not a long phrase."""
    words = name.split()
    return (bool(words) and len(words) <= 6 and name.casefold() not in NOT_ACTORS
            and not any(ch in name for ch in "+|•/=@#") and name[:1].isupper())


# Roles whose holder speaks for the organisation named with them ("Acme spokesperson Jo Bell",
# "Acme chief executive Jo Bell"); "NASCAR driver Jo Bell" is a person of her own.
SPEAKS_FOR = (ROLE_WORDS | {"boss", "spokesmen", "lawyers", "attorneys"}) - {
    "analyst", "correspondent", "economist", "professor", "researcher", "candidate", "nominee", "strategist",
    "adviser", "advisor", "science", "technology", "policy", "senior", "lead"}
# "the company denied …", "the ministry refused …": a definite description of an organisation
# named before; "the singer hit back": of a person.
ORG_NOUNS = frozenset("""company firm group ministry government department agency club union council party airline bank
    startup start-up retailer network league team organisation organization regulator authority administration
    corporation giant carrier broadcaster publisher studio label charity university board committee commission
    campaign embassy operator insurer manufacturer maker developer platform website site channel newspaper
    magazine paper broadcaster federation association prosecutors police army military""".split())
PERSON_NOUNS = frozenset(ROLE_WORDS | set("""star singer actor actress player author writer teacher woman man mother father
    coach driver owner businessman businesswoman tycoon billionaire host presenter comedian rapper model
    footballer striker midfielder defender goalkeeper politician lawmaker premier chancellor boss
    entrepreneur blogger journalist reporter doctor nurse pastor priest bishop cleric""".split()))
_PLACE_NOUNS = frozenset({"government", "country", "nation", "state", "administration", "city"})
# How far back (in characters) "he", "it" or "the company" may look for the one it stands for.
REFER_WINDOW = 600


def _without_honorific(name: str) -> str:
    """ "Mr Brasz" → "Brasz": the name without the titles before it."""
    words = name.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in HONORIFIC_GENDER:
        words = words[1:]
    return " ".join(words)


def full_names(mentions: list[Mention]) -> dict[str, str]:
    """ "Mr Brasz" and "Brasz" → "Anton Brasz", the one person of the article with that surname and
    a full name: one party, not three. Two full names with one surname ("Robert Mugabe", "Grace
    Mugabe") leave "Mr Mugabe" as it is."""
    by_surname: dict[str, set[str]] = {}
    for m in mentions:
        if m.kind == "person":
            by_surname.setdefault(m.name.split()[-1], set()).add(m.name)
    out: dict[str, str] = {}
    for names in by_surname.values():
        full = [n for n in names if len(_without_honorific(n).split()) >= 2]
        if len(full) == 1:
            out.update({n: full[0] for n in names if len(_without_honorific(n).split()) == 1})
    return out


class PartyFinder:
    """Maps tokens to the party they name, by the article's mentions (in article order) and `of`,
    which counts a spokesperson for their organisation. A surname the model did not label is still
    the one person of the article with that surname; "he", "it", "the company" after a name are
    that name's party (the nearest earlier mention of the right kind)."""

    def __init__(self, found: list[Mention], of: Callable[[Mention], str], places: list[Mention] | None = None) -> None:
        # Places (countries, cities) act only when named as the actor or target itself: "Russia
        # accused …", never as a modifier ("a Florida woman") nor as what "it" stands for.
        self._places = {(m.start, m.end) for m in places or []}
        self._found = sorted([m for m in found if m.kind in {"person", "organisation"}] + list(places or []),
                             key=lambda m: m.start)
        self._starts = [m.start for m in self._found]
        self._of = of
        self._salient: dict[int, bool] = {}
        by_surname: dict[str, set[str]] = {}
        self._person: dict[str, Mention] = {}
        for m in self._found:
            if m.kind == "person":
                by_surname.setdefault(m.name.split()[-1], set()).add(m.name)
                self._person.setdefault(m.name, m)
        self._surname = {last: next(iter(full)) for last, full in by_surname.items() if len(full) == 1}
        self._gender: dict[str, str | None] = {}
        # Collective actors of the article, filled at the first one met: group → its label ("the army").
        self._groups: dict[str, str] = {}

    @property
    def collectives(self) -> dict[str, str]:
        """label → group of the article's collective actors ("the military" → "military"), once one
        has been asked for."""
        return {label: group for group, label in self._groups.items()}

    def collective(self, head: Token) -> str | None:
        """The collective actor a noun phrase is ("the military said", "protesters demanded"), as the
        article first named that group."""
        found = collective_head(head)
        if found is None:
            return None
        if not self._groups:
            # One label per group for the whole article, chosen once: the first of the best ones ("the
            # army" rather than "the generals" or "troops"), so that every act of the group counts
            # for one party.
            for token in head.doc:
                if (other := collective_head(token)) is not None:
                    group, label = other
                    if group not in self._groups or label_rank(label) > label_rank(self._groups[group]):
                        self._groups[group] = label
        return self._groups.get(found[0], found[1])

    def _mention(self, token: Token) -> Mention | None:
        n = bisect.bisect_right(self._starts, token.idx) - 1
        if n >= 0 and token.idx < self._found[n].end:
            return self._found[n]
        if token.pos_ == "PROPN" and token.text in self._surname:
            return self._person[self._surname[token.text]]
        return None

    def _gender_of(self, mention: Mention, text: str) -> str | None:
        """The gender a person's name or honorific suggests, None when nothing says."""
        if mention.name not in self._gender:
            before = text[max(0, mention.start - 5):mention.start].split()
            honorific = HONORIFIC_GENDER.get(before[-1].lower()) if before else None
            self._gender[mention.name] = honorific or first_name_gender(mention.name)
        return self._gender[mention.name]

    def _referent(self, token: Token) -> Mention | None:
        """The mention a pronoun or a definite description ("the company", "the singer") stands
        for: the nearest one before it, within REFER_WINDOW, of the kind and gender it asks."""
        lower = token.lower_
        gender = PRONOUNS.get(lower) if token.pos_ == "PRON" else None
        kind: str | None
        if gender in {"m", "f"}:
            kind = "person"
        elif gender == "n":
            kind = "organisation"
        elif token.pos_ == "NOUN" and any(c.dep_ == "det" and c.lower_ == "the" for c in token.children) \
                and not any(c.dep_ in {"compound", "amod", "poss"} and c.pos_ == "PROPN" for c in token.children):
            kind = "organisation" if lower in ORG_NOUNS else "person" if lower in PERSON_NOUNS else None
        else:
            kind = None
        if kind is None:
            return None
        doc = token.doc
        if gender in {"m", "f"} and token.dep_ in _SUBJECTS and token.head.dep_ == "conj":
            # "Jo Bell filed suits … and he urged …": the subject of the clause it is joined to.
            first = next((c for c in token.head.head.children if c.dep_ in _SUBJECTS), None)
            mention = self._mention(first) if first is not None else None
            fits = mention is not None and mention.kind == "person" and self._gender_of(mention, doc.text) in {None, gender}
            return mention if fits else None  # joined to a clause whose subject is not a name: unsure
        # A pronoun stands for the one the text was about (a subject); a description may also
        # stand for the nearest name of its kind. Places only for "the government", "the country".
        pronoun = gender is not None
        places_too = lower in _PLACE_NOUNS
        nearest = named = None
        n = bisect.bisect_left(self._starts, token.idx) - 1
        while n >= 0 and self._found[n].start >= token.idx - REFER_WINDOW:
            m = self._found[n]
            n -= 1
            if m.end > token.idx or m.kind != kind or ((m.start, m.end) in self._places and not places_too):
                continue
            if gender in {"m", "f"} and self._gender_of(m, doc.text) not in {None, gender}:
                continue
            if pronoun and self._is_subject(m, doc):
                return m
            if not pronoun and named is None and lower in m.name.lower().split():
                named = m  # "the bank" for "Pellway Bank"
            nearest = nearest or m
        if not pronoun and group_of(lower) is not None:
            # "the police", "the army", "the union": the named one ("Leesburg Police") or, failing
            # that, the group itself, never whichever organisation came last ("Reuters").
            return named or (nearest if places_too and nearest is not None
                             and (nearest.start, nearest.end) in self._places else None)
        return None if pronoun else named or nearest

    def _is_subject(self, mention: Mention, doc: Doc) -> bool:
        """Whether the mention is (in apposition to) the subject of its clause."""
        if mention.start not in self._salient:
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            root = span.root if span is not None and len(span) else None
            if root is not None and root.dep_ in {"appos", "compound"}:
                root = root.head
            self._salient[mention.start] = root is not None and root.dep_ in _SUBJECTS
        return self._salient[mention.start]

    def at(self, token: Token, places: bool = True) -> str | None:
        mention = self._mention(token)
        if mention is None or (not places and (mention.start, mention.end) in self._places):
            return None
        return self._party(mention)

    def _party(self, mention: Mention) -> str | None:
        party = self._of(mention)
        return party if is_actor_name(party) else None

    def refers(self, token: Token) -> str | None:
        """The party a pronoun or definite description stands for, if any."""
        mention = self._referent(token)
        return None if mention is None else self._party(mention)

    def in_phrase(self, head: Token) -> str | None:
        """The party a noun phrase names: its head, or the head's possessor, compound or apposition
        ("OpenAI's API access", "the startup Windsurf"); "Acme spokesperson Jo Bell" is Acme; "he" or
        "the company" is the party named just before."""
        mention = self._mention(head)
        if mention is not None and mention.kind == "person":
            for role in (c for c in head.children if c.dep_ == "compound" and c.pos_ == "NOUN"
                         and c.lower_ in SPEAKS_FOR):
                for inner in [role, *role.children]:
                    org = self._mention(inner)
                    if inner.dep_ in {"compound", "poss"} and org is not None and org.kind == "organisation":
                        return self.at(inner)
        # The name in apposition first: "a Layton teacher, Jo Bell" is Jo Bell, not Layton.
        modifiers = sorted((c for c in head.children if c.dep_ in {"poss", "compound", "appos", "nmod"}),
                           key=lambda c: c.dep_ != "appos")
        for token in [head, *modifiers]:
            party = self.at(token, places=token.i == head.i or token.dep_ in {"poss", "appos"})
            if party is not None:
                return party
        for token in modifiers:  # "the company's lawyers", "Acme's chief executive": one level further
            for inner in token.children:
                if inner.dep_ in {"poss", "compound"} and (party := self.at(inner, places=False)) is not None:
                    return party
        if mention is None:
            # "its lawyers", "the company's lawyers": the owner stands for the party too.
            for token in [head, *(c for c in head.children if c.dep_ == "poss")]:
                party = self.refers(token)
                if party is not None:
                    return party
            # "the army's demand": the group that owns it, as "Acme's demand" is Acme's.
            for token in [head, *(c for c in head.children if c.dep_ == "poss")]:
                party = self.collective(token)
                if party is not None:
                    return party
        return None


def _labels(token: Token) -> bool:
    """Whether the word is a label before a colon ("Lawyers: …")."""
    return token.i + 1 < len(token.doc) and token.nbor(1).text == ":" and token.nbor(1).head.i == token.i


def _subject(verb: Token) -> tuple[Token | None, bool]:
    """The verb's subject (inherited along "and"/participle chains; for "X, which accuses …", X),
    and whether it is passive."""
    token = verb
    for _ in range(4):
        # "Jo Bell, who she says copied …": "she" says, not Jo Bell; the relative pronoun is the
        # subject only when there is no other.
        # A caption's label ("Lawyers: Dershowitz slammed …") is parsed as a second subject: a
        # subject followed by its colon is last.
        subjects = sorted((c for c in token.children if c.dep_ in _SUBJECTS),
                          key=lambda c: (c.lower_ in _RELATIVE, _labels(c)))
        for child in subjects[:1]:
            if child.lower_ in _RELATIVE and token.dep_ == "relcl":
                return token.head, child.dep_ == "nsubjpass"
            return child, child.dep_ == "nsubjpass"
        if token.dep_ in {"conj", "advcl", "xcomp"} and token.head.i != token.i:
            token = token.head
        else:
            break
    return None, False


def _agent(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "agent":
            return next((c for c in child.children if c.dep_ == "pobj"), None)
    return None


def _targets(verb: Token) -> list[Token]:
    """Whom an act is aimed at: its objects, and "against/with/from … whom" on the verb or on its
    object ("demanded a pay rise from the ministry")."""
    objects = [c for c in verb.children if c.dep_ in {"dobj", "dative", "iobj"}]
    out = list(objects)
    # "demanded more staff on every ward from the ministry": "from", "against", "with" whom,
    # anywhere in the object's phrase.
    for obj in objects:
        for token in obj.subtree:
            if token.dep_ == "prep" and token.lower_ in {"from", "against", "with"} and token.head.i != verb.i:
                out.extend(c for c in token.children if c.dep_ == "pobj")
    if verb.lemma_.lower() == "allege":  # "alleges that Globex copied …": whom the claim is about
        out.extend(c for clause in verb.children if clause.dep_ == "ccomp"
                   for c in clause.children if c.dep_ in _SUBJECTS)
    for holder in [verb, *objects]:
        for prep in (c for c in holder.children if c.dep_ == "prep" and c.lower_ in _TARGET_PREPS):
            out.extend(c for c in prep.children if c.dep_ == "pobj")
    return out


def _files_against(verb: Token) -> bool:
    """ "filed a lawsuit against X", "filed a federal lawsuit in August against X": a case as the
    object, and "against" on the case or on the verb."""
    cases = [c for c in verb.children if c.dep_ == "dobj" and c.lemma_.lower() in _CASES]
    return bool(cases) and any(p.dep_ == "prep" and p.lower_ == "against"
                               for holder in [verb, *cases] for p in holder.children)


def _conflict_noun(noun: Token) -> bool:
    doc = noun.doc
    # "middle-man" is three tokens: the word is the noun with what the hyphen joins to it.
    word = f"{doc[noun.i - 2].lower_}-{noun.lower_}" if noun.i >= 2 and doc[noun.i - 1].text == "-" else noun.lemma_.lower()
    if word in _CONFLICT_NOUNS or noun.lemma_.lower() in _CONFLICT_NOUNS:
        return True
    return noun.lemma_.lower() in _CONTESTS and any(c.lower_ in _CONTEST_KINDS for c in noun.children
                                                    if c.dep_ in {"amod", "compound"})


def _sides(noun: Token, finder: PartyFinder) -> tuple[str, str] | None:
    """The two parties of "a row between X and Y" or "X's feud with Y", when both are parties."""
    if noun.pos_ != "NOUN" or not _conflict_noun(noun):
        return None
    pairs: list[tuple[Token, Token]] = []
    for prep in (c for c in noun.children if c.dep_ == "prep"):
        objects = [c for c in prep.children if c.dep_ == "pobj"]
        if prep.lower_ == BETWEEN:
            pairs.extend((first, second) for first in objects for second in first.conjuncts[:1])
        elif prep.lower_ == "with":
            pairs.extend((owner, other) for owner in noun.children if owner.dep_ == "poss" for other in objects)
    for first, second in pairs:
        a, b = finder.in_phrase(first), finder.in_phrase(second)
        if a is not None and b is not None and a != b and not same_name(a, b):
            return a, b
    return None


def conflict_acts(parsed: ParsedArticle, sentences: list[Sentence], finder: PartyFinder) -> list[Act]:
    acts: list[Act] = []
    doc = parsed.doc
    for sentence in sentences:
        span = doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
        if span is None or not sentence.text[:1].isalnum() and sentence.text[:1] not in "\"“‘'":
            continue  # a reference list entry ("^ …") or a list mark, not narration
        for verb in span:
            lemma = verb.lemma_.lower()
            if verb.pos_ == "NOUN" and (sides := _sides(verb, finder)) is not None \
                    and not quoted_share(parsed.quoted, verb.idx, verb.idx + len(verb)):
                acts.append(Act(sides[0], sides[1], BETWEEN, sentence))
                continue
            if verb.pos_ == "VERB" and lemma in _FILING and _files_against(verb):
                lemma = "sue"
            if verb.pos_ != "VERB" or (lemma not in AGAINST and lemma not in ANSWER):
                continue
            if quoted_share(parsed.quoted, verb.idx, verb.idx + len(verb)) > 0:
                continue  # inside a quotation (a headline, a claim): not the article's account
            particles = _PHRASAL.get(lemma)
            if any(c.dep_ == "neg" for c in verb.children):
                continue  # "does not deny", "did not criticise": no act
            if lemma == "attack" and any(c.dep_ == "prep" and c.lower_ == "with" for c in verb.children):
                continue  # "attacked her with a knife": a crime, not a dispute
            if particles is not None and not any(c.dep_ == "prt" and c.lower_ in particles for c in verb.children):
                continue  # "cut prices" is not "cut off", "hit a record" is not "hit out at"
            subject, passive = _subject(verb)
            if passive:
                agent = _agent(verb)
                actor = finder.in_phrase(agent) if agent is not None else None
                target = finder.in_phrase(subject) if subject is not None else None
            else:
                actor = finder.in_phrase(subject) if subject is not None else None
                target = next((p for t in _targets(verb) if (p := finder.in_phrase(t)) is not None), None)
            if actor is None or actor == target or (target is not None and same_name(actor, target)):
                continue
            if lemma in _ENFORCEMENT and finder.collectives.get(actor, "").split()[-1:] in (["police"], ["prosecutors"]):
                continue  # "police charged a man": their work, not a side in a dispute
            if target is None and lemma not in ANSWER:
                continue
            acts.append(Act(actor, target, lemma, sentence))
            if not passive:
                # "slammed the lawyers, Brad Edwards and Paul Cassell": the act is aimed at each of them.
                acts.extend(Act(actor, other, lemma, sentence) for other in _joined(verb, finder)
                            if other not in {actor, target} and not same_name(actor, other))
    return acts


def _joined(verb: Token, finder: PartyFinder) -> list[str]:
    """The parties joined by "and" to an act's target ("accused Acme and Globex"): the target's
    conjuncts, and those of the name in apposition to it."""
    out: list[str] = []
    for target in _targets(verb):
        for holder in [target, *(c for c in target.children if c.dep_ == "appos")]:
            out.extend(p for c in holder.conjuncts if c.i > holder.i and (p := finder.in_phrase(c)) is not None)
    return out


def speakers(parsed: ParsedArticle, sentences: list[Sentence], finder: PartyFinder) -> dict[str, list[Sentence]]:
    """Parties that are the subject of a verb of saying somewhere in the body, with the sentences
    where they say something, in article order."""
    out: dict[str, list[Sentence]] = {}
    doc = parsed.doc
    for sentence in sentences:
        span = doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
        if span is None:
            continue
        for verb in span:
            if verb.pos_ == "VERB" and verb.lemma_.lower() in SPEECH:
                subject, passive = _subject(verb)
                if subject is not None and not passive and (party := finder.in_phrase(subject)) is not None:
                    said = out.setdefault(party, [])
                    if not said or said[-1] is not sentence:
                        said.append(sentence)
    return out
