"""Put a speaker on each quotation the way an editor reads the article.

For every quote, look at the words around it in its own sentence (outside any quote marks): a
speech verb there ("said", "told Wired", "according to") and that verb's grammatical subject give the
speaker mention. A mention is then turned into a person or organisation:

- a name with its title and organisation ("Anthropic spokesperson Christopher Nulty", "Jane Doe, a
  spokeswoman for Acme") is split into name, role and org;
- a surname or "Mr. Doe" is resolved to the full name used earlier in the article;
- a pronoun is resolved to the most recent compatible named speaker or person;
- a documents ("the company's terms") speaks for its owner;
- a nominal ("a spokeswoman") stays as the text gives it, with low confidence.

A quote with no frame of its own inherits the speaker of the quote it continues (same paragraph, or
a paragraph that opens with a quote after one left open). Where nothing in the text supports a
speaker, the quote stays unattributed.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from spacy.tokens import Doc, Span, Token

from . import layout_cues
from .models import Quote, Speaker
from .parsed import ParsedArticle
from .quotes import QuoteSpan, looks_like_scare_quote, looks_like_title

SPEECH_VERBS = frozenset("""
say tell add state write explain ask note argue claim insist declare warn accuse reply respond answer
continue recall predict suggest clarify announce acknowledge admit complain conclude confirm contend
counter describe emphasize emphasise estimate joke maintain observe promise remark report stress testify
tweet post vow call caution concede deny assert allege charge boast brag lament quip muse recount reveal
scoff shout yell whisper mutter agree disagree demand urge plead pledge proclaim retort snap tout
concur criticize criticise praise thank blast slam rip chide mock lash dismiss characterize
prohibit forbid require stipulate read wonder question comment
""".split())
DOCUMENT_NOUNS = frozenset("""
terms policy policies statement report letter filing lawsuit complaint document memo email e-mail
release announcement study survey poll guidelines rules agreement contract law bill order ruling
website post tweet message note notice
""".split())
PRONOUNS = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f",
            "they": "p", "them": "p", "it": "n", "we": "p", "i": "s"}
HONORIFIC_GENDER = {"mr": "m", "mr.": "m", "mrs": "f", "mrs.": "f", "ms": "f", "ms.": "f", "miss": "f"}
HONORIFICS = frozenset("""
mr mr. mrs mrs. ms ms. miss dr dr. sen sen. senator rep rep. representative gov gov. governor
president prof prof. professor gen gen. general secretary rev rev. judge justice mayor lt. col. sgt.
""".split())
ROLE_WORDS = frozenset("""
chief officer spokesperson spokesman spokeswoman president vice director executive ceo cto cfo coo
founder co-founder cofounder chairman chairwoman chair secretary senator representative governor mayor
minister manager head lead leader analyst researcher professor attorney lawyer counsel general
communications science technology policy press deputy senior adviser advisor strategist aide
spokespeople candidate nominee commissioner ambassador editor correspondent economist official
""".split())
QUOTE_NOUNS = frozenset("quote remark comment statement word message line".split())
# Words that end the sentence a quote sits in, outside quote marks.
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
# How far from its marks a quote's attribution is looked for: several long sentences.
FRAME_CHARS = 1500
# How many earlier mentions a pronoun may look back over when nothing near it fits.
PRONOUN_LOOKBACK = 500


@dataclass
class Person:
    name: str
    role: str | None = None
    org: str | None = None
    gender: str | None = None  # "m", "f", "n" (organisation) or None
    kind: str = "person"

    def speaker(self) -> Speaker:
        return Speaker(name=self.name, role=self.role, org=self.org, kind=self.kind)  # type: ignore[arg-type]


@dataclass
class Attribution:
    person: Person | None
    cue: str | None
    confidence: float
    # Found through a verb outside the speech list: not enough to keep a scare quote or a title.
    weak: bool = False


@dataclass
class Registry:
    """People and organisations named so far in the article, for surnames and pronouns."""

    people: dict[str, Person] = field(default_factory=dict)
    # People by lower-cased surname, in the order they were added: `full_name` is asked for every
    # one-word name, and a scan of everyone named so far would make a long article quadratic.
    by_surname: dict[str, list[Person]] = field(default_factory=dict)

    def add(self, person: Person) -> Person:
        known = self.people.get(person.name)
        if known is None:
            self.people[person.name] = person
            self.by_surname.setdefault(person.name.split()[-1].lower(), []).append(person)
            return person
        known.role = known.role or person.role
        known.org = known.org or person.org
        known.gender = known.gender or person.gender
        return known

    def full_name(self, name: str) -> Person | None:
        """The person earlier named in full whose surname (or full name) this is."""
        last = name.split()[-1].lower()
        matches = [p for p in self.by_surname.get(last, []) if p.kind == "person"
                   and len(p.name.split()) > len(name.split())]
        return matches[-1] if matches else None


_GENDER_NOUNS = {"woman": "f", "women": "f", "actress": "f", "mother": "f", "wife": "f", "daughter": "f",
                 "sister": "f", "girl": "f", "chairwoman": "f", "spokeswoman": "f", "congresswoman": "f",
                 "man": "m", "actor": "m", "father": "m", "husband": "m", "son": "m", "brother": "m",
                 "boy": "m", "chairman": "m", "spokesman": "m", "congressman": "m"}


@lru_cache(maxsize=1)
def _first_names() -> dict[str, str]:
    data = json.loads(resources.files("digests").joinpath("data/first_names.json").read_text("utf-8"))
    return {name.lower(): gender for gender, names in data.items() if gender in {"m", "f"} for name in names}


def first_name_gender(name: str) -> str | None:
    """Gender a common English first name suggests; pronouns and honorifics in the text win."""
    first = name.split()[0].lower()
    return _first_names().get(first)


def _gender_near(ent: Span) -> str | None:
    """Gender the text states next to a name: an honorific, or a noun in apposition ("One local
    woman, Karen Doe", "Jane Doe, the actress")."""
    doc = ent.doc
    if ent.start > 0 and doc[ent.start - 1].lower_ in HONORIFIC_GENDER:
        return HONORIFIC_GENDER[doc[ent.start - 1].lower_]
    if ent[0].lower_ in HONORIFIC_GENDER:
        return HONORIFIC_GENDER[ent[0].lower_]
    window = list(doc[max(0, ent.start - 4):ent.start]) + list(doc[ent.end:min(len(doc), ent.end + 4)])
    for t in window:
        if t.lower_ in _GENDER_NOUNS:
            return _GENDER_NOUNS[t.lower_]
    return None


def _inside_quote(idx: int, spans: list[QuoteSpan]) -> bool:
    """Whether `idx` lies within a quote's marks; `spans` are in text order and do not overlap, so
    only the last one opening at or before `idx` can hold it."""
    n = bisect.bisect_right(spans, idx, key=lambda s: s.open) - 1
    return n >= 0 and idx < spans[n].close + 1


def _frame(text: str, span: QuoteSpan, previous: QuoteSpan | None, following: QuoteSpan | None,
           block_start: int, block_end: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The character ranges before and after the quote that belong to its sentence and lie outside
    any quote marks (`previous` and `following` are the paragraph's quotes around it). Neither
    reaches further than FRAME_CHARS from the quote: a paragraph with no sentence end in it (a
    pasted wall of text) must not make every quote read the whole of it."""
    before_start = max(block_start, span.open - FRAME_CHARS)
    if previous is not None:
        before_start = max(before_start, previous.close + 1)
    segment = text[before_start:span.open]
    ends = list(_SENTENCE_END.finditer(segment))
    if ends:
        before_start = before_start + ends[-1].end()
    after_end = min(block_end, span.close + 1 + FRAME_CHARS)
    if following is not None:
        after_end = min(after_end, following.open)
    inner = text[span.start:span.end].rstrip()
    after_start = min(span.close + 1, block_end)
    tail = text[after_start:after_end]
    if inner.endswith(".") and not re.match(r"\s*[a-z]", tail):
        after_end = after_start  # the quote closed its own sentence
    else:
        match = _SENTENCE_END.search(tail)
        if match:
            after_end = after_start + match.end()
    return (before_start, span.open), (after_start, after_end)


def _tokens_in(doc: Doc, start: int, end: int) -> list[Token]:
    if end <= start:
        return []
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return []
    return [t for t in span if start <= t.idx < end]


def _is_speech_verb(token: Token) -> bool:
    # The tagger sometimes calls "said" an adjective or noun; its form is enough.
    return (token.pos_ in {"VERB", "AUX"} and token.lemma_.lower() in SPEECH_VERBS) or \
        token.lower_ in {"said", "says", "told", "added", "wrote", "asked"}


def _subject(verb: Token, allowed: set[int], depth: int = 0) -> Token | None:
    for child in verb.children:
        if child.dep_ in {"nsubj", "nsubjpass"} and child.i in allowed:
            return child
    if depth >= 3 or verb.head.i == verb.i or verb.head.i not in allowed:
        return None
    # "X, who said": the relative clause's head speaks.
    if verb.dep_ == "relcl" and verb.head.pos_ in {"PROPN", "NOUN"}:
        return verb.head
    # "X smiled and said", "X bristled, saying", "with X stating": the governing clause's subject.
    if verb.dep_ in {"conj", "advcl", "xcomp", "pcomp"}:
        return _subject(verb.head, allowed, depth + 1)
    return None


def _cue(verb: Token, allowed: set[int]) -> str:
    words = [verb]
    for child in verb.children:
        if child.i in allowed and child.dep_ in {"dative", "dobj", "prt", "iobj"} and child.i > verb.i \
                and child.pos_ in {"PROPN", "PRON", "NOUN", "ADP"}:
            words.extend(t for t in child.subtree if t.i in allowed)
            break
    words.sort(key=lambda t: t.i)
    return " ".join(t.text for t in words)


def _ent_of(token: Token) -> Span | None:
    """The entity the token is part of, from the tokens' IOB marks: `doc.ents` rebuilds the list of
    every entity in the article on each access, far too slow to ask per token."""
    if token.ent_iob_ not in {"B", "I"}:
        return None
    doc = token.doc
    start = token.i
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    end = token.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return Span(doc, start, end, label=token.ent_type_)


def _strip_possessive(text: str) -> str:
    return re.sub(r"(?:'s|\u2019s|'|\u2019)$", "", text).strip()


def _person_from_proper(head: Token, allowed: set[int]) -> Person:
    """Split "Anthropic's Chief Science Officer Jared Kaplan" into name, role and org."""
    doc = head.doc
    ent = _ent_of(head)
    if head.lower_ in ROLE_WORDS and (ent is None or ent.label_ != "PERSON"):
        titled = _name_after_title(head, allowed)
        if titled is not None:
            return titled
    if ent is not None and ent.label_ in {"PERSON", "ORG", "NORP", "GPE"}:
        name_tokens = [t for t in ent if t.lower_.rstrip(".") not in HONORIFICS and t.tag_ != "POS"]
        # NER sometimes folds a title into the name ("Officer Hannah Wong").
        while len(name_tokens) > 1 and name_tokens[0].lower_ in ROLE_WORDS:
            name_tokens = name_tokens[1:]
        name = _strip_possessive(doc[name_tokens[0].i:name_tokens[-1].i + 1].text) if name_tokens else ent.text
        kind = "person" if ent.label_ == "PERSON" else "organisation"
        first = ent.start
    else:
        chain = [c for c in head.lefts if c.dep_ == "compound" and c.pos_ == "PROPN" and c.i in allowed
                 and c.lower_ not in ROLE_WORDS and c.lower_.rstrip(".") not in HONORIFICS]
        chain = chain[-2:] + [head]
        name = _strip_possessive(" ".join(t.text for t in chain))
        first = chain[0].i
        kind = "person"
    gender = None
    role_words: list[str] = []
    org: str | None = None
    for t in sorted(head.subtree, key=lambda t: t.i):
        if t.i >= first or t.i not in allowed:
            continue
        t_ent = _ent_of(t)
        if t_ent is not None and t_ent.label_ in {"ORG", "GPE", "NORP"} and t_ent.end <= first:
            org = org or _strip_possessive(t_ent.text)
            continue
        if t.lower_.rstrip(".") in HONORIFICS:
            gender = HONORIFIC_GENDER.get(t.lower_.rstrip(".") + ".", HONORIFIC_GENDER.get(t.lower_))
            if t.lower_.rstrip(".") in {"senator", "sen", "gov", "governor", "rep", "president", "secretary", "judge", "mayor"}:
                role_words.append(t.text)
            continue
        if t.pos_ in {"NOUN", "PROPN", "ADJ"} and t.tag_ != "POS" and t.dep_ != "det":
            role_words.append(t.text)
    for t in doc[first:head.i]:
        if t.lower_.rstrip(".") in HONORIFICS:
            gender = gender or HONORIFIC_GENDER.get(t.lower_.rstrip(".") + ".")
    role = " ".join(role_words) or None
    title_role, title_org = _compound_title([t for t in sorted(head.subtree, key=lambda t: t.i)
                                             if t.i < first and t.i in allowed])
    if title_role is not None:
        role, org = title_role, title_org
    appos_role, appos_org = _appositive(head, allowed)
    return Person(name=name, role=role or appos_role, org=org or appos_org, gender=gender if kind == "person" else "n",
                  kind=kind)


def _name_after_title(head: Token, allowed: set[int]) -> Person | None:
    """ "High Commissioner for Human Rights Omar Farouk": the parser made the title the subject and
    hung the name on its last word; the name is the last two words, or from a first name on."""
    prep = next((c for c in head.children if c.dep_ == "prep" and c.lower_ in {"for", "of"} and c.i in allowed), None)
    pobj = next((c for c in prep.children if c.dep_ == "pobj" and c.pos_ == "PROPN"), None) if prep else None
    if pobj is None:
        return None
    chain = [c for c in pobj.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"] + [pobj]
    start = next((n for n, t in enumerate(chain) if first_name_gender(t.text) is not None), max(0, len(chain) - 2))
    if start == 0:
        return None  # no title words left before the name: "Secretary of State", not a name
    name = chain[start:]
    first = min(t.i for t in head.subtree if t.i in allowed and t.dep_ != "det")
    role = head.doc[first:name[0].i].text
    gender = first_name_gender(name[0].text)
    return Person(name=" ".join(t.text for t in name), role=role, gender=gender)


def _compound_title(before: list[Token]) -> tuple[str | None, str | None]:
    """A title before the name that reads as one: "Secretary of State", "U.S. Attorney", "United
    Nations High Commissioner for Human Rights". Only the owner in the possessive ("Acme's
    Secretary of …") stays an organisation; (None, None) when the words are no such title."""
    words = [t for t in before if t.dep_ != "det" and not t.is_punct or t.text == "."]
    while words and words[0].dep_ == "det":
        words = words[1:]
    owner = None
    for n, t in enumerate(words):
        if t.tag_ == "POS":
            owner = _strip_possessive(t.doc[words[0].i:t.i].text)
            words = words[n + 1:]
            break
    if len(words) < 2 or any(t.pos_ == "NUM" for t in words):
        return None, None
    joined = any(t.lower_ in {"of", "for"} for t in words[1:-1])
    national = words[0].ent_type_ == "GPE" and words[-1].text[:1].isupper() and (
        words[-1].lower_ in ROLE_WORDS or words[-1].lower_.rstrip(".") in HONORIFICS)
    if not (joined and all(t.text[:1].isupper() or t.lower_ in {"of", "for", "and", "the"} for t in words)) and not national:
        return None, None
    return words[0].doc[words[0].i:words[-1].i + 1].text, owner


def _appositive(head: Token, allowed: set[int]) -> tuple[str | None, str | None]:
    """ "Jane Doe, a spokeswoman for Acme," → ("spokeswoman", "Acme"); "Jane Doe, president and chief
    operating officer of Acme," → ("president and chief operating officer", "Acme"). An age or
    a number ("Jane Doe, 52,") is no role."""
    for child in head.children:
        if child.dep_ != "appos" or child.i not in allowed:
            continue
        org = None
        after_prep = False
        words: list[Token] = []
        for t in sorted(child.subtree, key=lambda t: t.i):
            if t.i not in allowed or t.dep_ in {"relcl", "acl"} or (t.is_punct and words):
                break
            t_ent = _ent_of(t)
            if t_ent is not None and t_ent.label_ in {"ORG", "GPE", "NORP"}:
                org = _strip_possessive(t_ent.text)
                break
            if t.lower_ in {"of", "for", "at", "with", "in"}:
                after_prep = True  # the role ends here; an organisation may follow
            if after_prep or t.tag_ == "POS" or (not words and t.dep_ == "det"):
                continue
            words.append(t)
        while words and (words[-1].pos_ not in {"NOUN", "PROPN"} or words[-1].lower_ in {"of", "for", "at", "with", "in"}):
            words.pop()
        if not words or any(t.pos_ == "NUM" or t.like_num for t in words):
            return None, org
        return " ".join(t.text for t in words), org
    return None, None
def _nominal(head: Token, allowed: set[int]) -> Person:
    words = [t for t in sorted(head.subtree, key=lambda t: t.i) if t.i in allowed and t.dep_ not in {"relcl", "punct"}]
    # Stop the phrase at a relative clause or a comma.
    phrase = " ".join(t.text for t in words[:8])
    org = None
    for t in words:
        t_ent = _ent_of(t)
        if t_ent is not None and t_ent.label_ in {"ORG", "GPE", "NORP"}:
            org = _strip_possessive(t_ent.text)
            break
    return Person(name=phrase, role=head.text, org=org, kind="nominal")


def _looks_like_person(tokens: list[Token]) -> bool:
    """ "Brent Foxhall" tagged as an organisation: two or three capitalised words opening with a
    common first name are a person's name."""
    return 2 <= len(tokens) <= 3 and all(t.pos_ == "PROPN" and t.text[:1].isupper() for t in tokens) \
        and first_name_gender(tokens[0].text) is not None


def _main_subject(token: Token) -> bool:
    """Whether the token is (in apposition to) the subject of its sentence's main clause, or of a
    clause joined to it: "Axelrod said the attention helped Clinton, who needs it less than Obama
    did" makes Axelrod, not Obama, the one a following "he" refers to."""
    if token.dep_ == "appos":
        token = token.head
    if token.dep_ not in {"nsubj", "nsubjpass"}:
        return False
    verb = token.head
    for _ in range(3):
        if verb.dep_ == "ROOT":
            return True
        if verb.dep_ != "conj" or verb.head.i == verb.i:
            return False
        verb = verb.head
    return False


class _Resolver:
    """Turns a speaker mention into a Person, using what the article said before it."""

    def __init__(self, parsed: ParsedArticle, spans: list[QuoteSpan]) -> None:
        self.doc = parsed.doc
        self.blocks = parsed.layout.blocks
        self.spans = spans
        self.registry = Registry()
        # (offset, person, salient) of people mentioned so far, outside quotes; salient mentions are
        # grammatical subjects and speakers, which pronouns refer back to first.
        self.history: list[tuple[int, Person, bool]] = []
        # People, and the names the small model sometimes tags as an organisation or a place ("Bozell
        # says" tagged ORG): those count only when they are the surname of someone already named.
        self._people = [ent for ent in self.doc.ents if ent.label_ in {"PERSON", "ORG", "GPE", "NORP"}]
        # And a surname the model left untagged where it is a subject ("Humphrey, for example, said"),
        # whatever part of speech it guessed (a sentence-initial surname is sometimes a "verb").
        untagged = [Span(self.doc, t.i, t.i + 1, label="SUBJECT") for t in self.doc
                    if t.ent_iob_ == "O" and t.dep_ in {"nsubj", "nsubjpass"} and t.text[:1].isupper()
                    and t.is_alpha and t.pos_ not in {"PRON", "DET"}]
        if untagged:
            self._people = sorted(self._people + untagged, key=lambda ent: ent.start)
        self._next_person = 0  # people before this index are registered (offsets only grow)
        self._block_starts = [b.start for b in self.blocks]

    def note_entities_before(self, offset: int) -> None:
        """Register every person named before `offset`, outside quotes, in order."""
        while self._next_person < len(self._people) and self._people[self._next_person].start_char < offset:
            ent = self._people[self._next_person]
            self._next_person += 1
            if _inside_quote(ent.start_char, self.spans):
                continue
            tokens = [t for t in ent if t.lower_.rstrip(".") not in HONORIFICS and t.tag_ != "POS"]
            if not tokens:
                continue
            name = _strip_possessive(self.doc[tokens[0].i:tokens[-1].i + 1].text)
            if ent.label_ != "PERSON" and not _looks_like_person(tokens):
                known = self.registry.full_name(name) if len(name.split()) == 1 else None
                if known is None:
                    continue
                person = known
            else:
                role, org = self._first_mention_role(ent)
                person = self._canonical(Person(name=name, role=role, org=org, gender=_gender_near(ent)))
            self.history.append((ent.end_char, person, _main_subject(ent.root)))

    def _first_mention_role(self, ent: Span) -> tuple[str | None, str | None]:
        """The role and organisation a mention gives ("Jane Doe, president and chief operating
        officer of Acme, …", "Acme chief Jane Doe"), so a later quote by surname or pronoun has them."""
        if len(ent) < 2:
            return None, None  # a bare surname gives none, and costs nothing to skip
        sentence = ent.sent
        allowed = {t.i for t in sentence if not _inside_quote(t.idx, self.spans)}
        found = _person_from_proper(ent.root, allowed)
        return found.role, found.org

    def spoke(self, offset: int, person: Person) -> None:
        self.history.append((offset, person, True))

    def _canonical(self, person: Person) -> Person:
        if person.kind == "person" and len(person.name.split()) == 1:
            full = self.registry.full_name(person.name)
            if full is not None:
                full.role = full.role or person.role
                full.org = full.org or person.org
                full.gender = full.gender or person.gender
                return full
        if person.kind == "person" and person.gender is None:
            person.gender = first_name_gender(person.name)
        return self.registry.add(person)

    def resolve(self, head: Token, allowed: set[int]) -> tuple[Person | None, float]:
        lower = head.lower_
        if head.pos_ == "PRON" or lower in PRONOUNS:
            return self._pronoun(head)
        if head.pos_ == "PROPN" or (head.ent_type_ in {"PERSON", "ORG"}):
            person = _person_from_proper(head, allowed)
            was_short = len(person.name.split()) == 1
            person = self._canonical(person)
            self.history.append((head.idx, person, True))
            return person, (0.85 if was_short and len(person.name.split()) > 1 else 0.9)
        # A noun phrase: an appositive name ("the spokesman, John Smith"), a document, or a nominal.
        for child in head.children:
            if child.dep_ == "appos" and child.pos_ == "PROPN" and child.i in allowed:
                person = _person_from_proper(child, allowed)
                person.role = person.role or head.text
                person = self._canonical(person)
                self.history.append((child.idx, person, True))
                return person, 0.85
        compound_names = [c for c in head.children if c.dep_ == "compound" and c.ent_type_ == "PERSON"]
        if compound_names:
            person = self._canonical(_person_from_proper(compound_names[-1], allowed))
            return person, 0.7
        owner = next((c for c in head.children if c.dep_ in {"poss", "compound"} and c.ent_type_ in {"ORG", "GPE", "NORP"}), None)
        if lower in DOCUMENT_NOUNS and owner is not None:
            ent = _ent_of(owner)
            name = _strip_possessive(ent.text if ent is not None else owner.text)
            modifiers = [t.text for t in head.lefts if t.dep_ in {"amod", "compound"} and t.i != owner.i and t.i in allowed]
            person = Person(name=name, role=" ".join(modifiers + [head.text]), kind="document", gender="n")
            return person, 0.7
        return _nominal(head, allowed), 0.3

    def _pronoun(self, head: Token) -> tuple[Person | None, float]:
        gender = PRONOUNS.get(head.lower_)
        if gender in {"s", None}:
            return None, 0.0
        self.note_entities_before(head.idx)
        # Look back over this paragraph and the two before it: a subject or speaker first, then
        # any mention.
        block = max(0, bisect.bisect_right(self._block_starts, head.idx) - 1)
        window_start = self.blocks[max(0, block - 2)].start if self.blocks else 0

        def fits(person: Person) -> bool:
            if gender in {"m", "f"}:
                return person.kind == "person" and person.gender in {None, gender}
            return person.kind in {"organisation", "document"}

        earlier = [(o, p, sal) for o, p, sal in self.history[-PRONOUN_LOOKBACK:] if o <= head.idx]
        for salient_only in (True, False):
            for offset, person, salient in reversed(earlier):
                if offset < window_start:
                    break
                if (salient or not salient_only) and fits(person):
                    if gender in {"m", "f"} and person.gender is None:
                        person.gender = gender
                    self.history.append((head.idx, person, True))
                    return person, 0.65 if salient else 0.55
        for offset, person, _ in reversed(earlier):
            if fits(person):
                return person, 0.4
        return None, 0.0


def _according_to(tokens: list[Token]) -> Token | None:
    for t in tokens:
        if t.lower_ == "according" and t.i + 1 < len(t.doc) and t.doc[t.i + 1].lower_ == "to":
            for child in t.doc[t.i + 1].children:
                if child.dep_ == "pobj":
                    return child
    return None


def _quote_from(tokens: list[Token]) -> Token | None:
    """ "That quote from Alabama's commissioner Jane Doe", "remarks by the senator"."""
    for t in tokens:
        if t.lemma_.lower() in QUOTE_NOUNS:
            for prep in t.children:
                if prep.dep_ == "prep" and prep.lower_ in {"from", "by"}:
                    target = next((c for c in prep.children if c.dep_ == "pobj"), None)
                    if target is not None:
                        return target
    return None


def _governing_verbs(doc: Doc, span: QuoteSpan, allowed: set[int],
                     accept: Callable[[Token], bool] = _is_speech_verb) -> list[Token]:
    """Speech verbs outside quotes that the quoted words hang from in the parse ("X told reporters
    that Y “may have violated the law”" → told). The walk may pass through another quote
    ("prohibit customers from using it to “build …” or “duplicate” it"), never stop on one."""
    inside = {t.i for t in _tokens_in(doc, span.start, span.end)}
    found: list[Token] = []
    for i in sorted(inside):
        token = doc[i]
        if token.head.i in inside:
            continue
        head = token.head
        for _ in range(8):
            if head.i in allowed and accept(head):
                if head not in found:
                    found.append(head)
                break
            if head.head.i == head.i:
                break
            head = head.head
    return found


def _clause_org(verb: Token) -> str | None:
    """ "Acme has defended itself, with its chief Jane Doe stating …": the organisation whose
    clause the speech hangs from."""
    head = verb
    for _ in range(4):
        for child in head.children:
            if child.dep_ in {"nsubj", "nsubjpass"} and child.ent_type_ == "ORG":
                ent = _ent_of(child)
                return _strip_possessive(ent.text) if ent is not None else child.text
        if head.head.i == head.i:
            break
        head = head.head
    return None


def _verb_before_colon(tokens: list[Token], span: QuoteSpan) -> Token | None:
    """ "…, he demurred: “…”": any verb that introduces the quote with a colon speaks it."""
    if len(tokens) < 2 or tokens[-1].text != ":" or tokens[-1].idx + 3 < span.open:
        return None
    verb = tokens[-2] if tokens[-2].pos_ in {"VERB", "AUX"} else tokens[-2].head
    return verb if verb.pos_ in {"VERB", "AUX"} else None


def _inverted_subject(verb: Token, tokens: list[Token]) -> Token | None:
    """ "“…,” said the senator, Jane Doe": the name right after a verb that follows the quote."""
    nxt = next((t for t in tokens if t.i > verb.i), None)
    while nxt is not None and (nxt.dep_ in {"det", "compound", "amod", "poss"} or nxt.tag_ == "POS") \
            and nxt.head.i > nxt.i:
        nxt = nxt.head
    if nxt is None or nxt.pos_ not in {"PROPN", "NOUN"}:
        return None
    ent = _ent_of(nxt)
    return ent.root if ent is not None else nxt


def _blank(words: str) -> bool:
    """Nothing but spaces (no-break ones too) and punctuation."""
    return not words.strip().strip(" ,.;:\u2014\u2013-\u00a0")


class _Frame:
    """Where to look for the speaker of one quote, nearest first."""

    def __init__(self, parsed: ParsedArticle, span: QuoteSpan, block_spans: list[QuoteSpan], n: int) -> None:
        """`block_spans` are the quotes of the span's paragraph, `n` the span's place among them."""
        text, doc = parsed.text, parsed.doc
        block = parsed.layout.blocks[span.block]
        previous = block_spans[n - 1] if n > 0 else None
        following = block_spans[n + 1] if n + 1 < len(block_spans) else None
        (b0, b1), (a0, a1) = _frame(text, span, previous, following, block.start, block.end)
        # The words the attribution may use: the paragraph's, outside quote marks, near the quote.
        low = max(block.start, span.open - FRAME_CHARS)
        high = min(block.end, span.close + 1 + FRAME_CHARS)
        outside = [t for t in _tokens_in(doc, low, high) if not _inside_quote(t.idx, block_spans)]
        self.allowed = {t.i for t in outside}
        self.before = [t for t in outside if b0 <= t.idx < b1]
        self.after = [t for t in outside if a0 <= t.idx < a1]
        self.empty = _blank(text[b0:b1]) and _blank(text[a0:a1])
        self.sentence = [t for t in outside if b0 <= t.idx < max(a1, b1)]


def _find(resolver: "_Resolver", parsed: ParsedArticle, span: QuoteSpan, frame: _Frame) -> Attribution | None:
    allowed = frame.allowed
    candidates: list[tuple[Token, bool]] = []  # (verb, may take an inverted subject)
    candidates += [(v, False) for v in _governing_verbs(parsed.doc, span, allowed)]
    after_verbs = [t for t in frame.after if _is_speech_verb(t)]
    candidates += [(v, n == 0 and v.idx - span.close <= 4) for n, v in enumerate(after_verbs)]
    colon = _verb_before_colon(frame.before, span)
    if colon is not None:
        candidates.append((colon, False))
    candidates += [(v, False) for v in reversed([t for t in frame.before if _is_speech_verb(t)])]
    fallback: Attribution | None = None
    for verb, may_invert in candidates:
        subject = _subject(verb, allowed)
        if may_invert and (subject is None or subject.idx < span.open):
            # "“…?” asked Doe": the name right after a verb that follows the quote beats a subject
            # the parser found before the quote.
            subject = _inverted_subject(verb, frame.after) or subject
        if subject is None:
            continue
        person, confidence = resolver.resolve(subject, allowed)
        if person is None:
            continue
        if person.kind == "person" and person.org is None:
            person.org = _clause_org(verb)
        attribution = Attribution(person, _cue(verb, allowed), confidence)
        if person.kind != "nominal":
            return attribution
        fallback = fallback or attribution
    if fallback is None:
        found = _name_after_quote(resolver, parsed, span, frame) or _any_verb(resolver, parsed, span, frame)
        if found is not None:
            return found
    for finder, cue in ((_according_to, "according to"), (_quote_from, None)):
        target = finder(frame.sentence)
        if target is not None:
            person, confidence = resolver.resolve(target, allowed)
            if person is not None and (fallback is None or person.kind != "nominal"):
                return Attribution(person, cue, min(confidence, 0.85))
    return fallback


def _name_after_quote(resolver: "_Resolver", parsed: ParsedArticle, span: QuoteSpan, frame: _Frame) -> Attribution | None:
    """ "“…,” Jane Doe, wearing a red hat, said" or "“…,” Doe notes" where the parser found no verb
    for the name (it took "notes" for a noun): a person named right after a quote that hands over
    with a comma, or followed by the form of a speech verb, speaks it."""
    words = [t for t in frame.after if not t.is_space]
    if not words or words[0].idx - span.close > 3:
        return None
    head = words[0]
    while head.dep_ == "compound" and head.head.i in frame.allowed and head.head.i > head.i:
        head = head.head
    if not _personal(resolver, head) or head.pos_ == "PRON":
        return None
    hands_over = "," in parsed.text[span.end:span.close]
    speech_form = any(t.lemma_.lower() in SPEECH_VERBS or t.lower_.rstrip("s") in SPEECH_VERBS for t in words[1:16])
    if not (hands_over or speech_form):
        return None
    person, confidence = resolver.resolve(head, frame.allowed)
    if person is None or person.kind != "person":
        return None
    # No verb: like a layout cue, not enough to keep a scare quote.
    return Attribution(person, None, min(confidence, LAYOUT_CONFIDENCE), weak=True)


def _is_verb(token: Token) -> bool:
    return token.pos_ == "VERB"


# Cues outside the speech-verb list ("beamed", "groused", "is labeling") speak for a person only.
OTHER_VERB_CONFIDENCE = 0.6


def _any_verb(resolver: "_Resolver", parsed: ParsedArticle, span: QuoteSpan, frame: _Frame) -> Attribution | None:
    """A verb outside the speech list that governs the quote or stands right after it ("“…!”
    beamed Jane Doe", "Doe groused that the rules “make no sense”"), when its subject is a person
    the text names or a personal pronoun: lower confidence, as the verb may not report speech."""
    allowed = frame.allowed
    verbs = _governing_verbs(parsed.doc, span, allowed, _is_verb)
    after = next((t for t in frame.after if t.pos_ == "VERB"), None)
    if after is not None and after.idx - span.close <= 40:
        verbs.append(after)
    for verb in verbs:
        subject = _subject(verb, allowed)
        if subject is None and verb is after:
            subject = _inverted_subject(verb, frame.after)
        if subject is None:
            continue
        personal = subject.lower_ in {"he", "she"} or subject.ent_type_ == "PERSON" or (
            subject.pos_ == "PROPN" and resolver.registry.full_name(subject.text) is not None)
        if not personal:
            continue
        person, confidence = resolver.resolve(subject, allowed)
        if person is None or person.kind != "person":
            continue
        return Attribution(person, _cue(verb, allowed), min(confidence, OTHER_VERB_CONFIDENCE), weak=True)
    return None


# Inherited speakers: within a paragraph as sure as most verbs; across a paragraph break right about
# four times in five on the 300 training articles, so in the low band.
INHERIT_IN_PARAGRAPH = 0.8
INHERIT_ACROSS_PARAGRAPHS = 0.55
# A label or a sign-off names the speaker as plainly as a verb, but it is read off the layout.
LAYOUT_CONFIDENCE = 0.75


def _personal(resolver: "_Resolver", token: Token) -> bool:
    """A person the text names, or he/she: what a verb outside the speech list needs for a subject."""
    return token.lower_ in {"he", "she"} or token.ent_type_ == "PERSON" or (
        token.pos_ == "PROPN" and resolver.registry.full_name(token.text) is not None)


def _from_sentence(resolver: "_Resolver", tokens: list[Token], any_verb: bool) -> Attribution | None:
    """The speaker a sentence introducing the quote names: the subject of its last speech verb, or
    with `any_verb` of its main verb when that subject is a person."""
    allowed = {t.i for t in tokens}
    verbs = [t for t in reversed(tokens) if _is_speech_verb(t)]
    if any_verb:
        verbs += [t for t in tokens if t.pos_ == "VERB" and (t.dep_ == "ROOT" or t.head.i not in allowed)]
        if tokens and tokens[-1].text == ":":
            head = tokens[-1].head
            verbs += [head] if head.pos_ == "VERB" else []
    for verb in verbs:
        subject = _subject(verb, allowed)
        if subject is None:
            continue
        speech = _is_speech_verb(verb)
        if not speech and not _personal(resolver, subject):
            continue
        person, confidence = resolver.resolve(subject, allowed)
        if person is None or (person.kind == "nominal"):
            continue
        cap = LAYOUT_CONFIDENCE if speech else OTHER_VERB_CONFIDENCE
        return Attribution(person, _cue(verb, allowed), min(confidence, cap), weak=not speech)
    return None


def _by_layout(resolver: "_Resolver", parsed: ParsedArticle, span: QuoteSpan, n: int,
               block_spans: list[QuoteSpan], spans: list[QuoteSpan]) -> Attribution | None:
    """A speaker the layout gives when no verb around the quote does (see `layout_cues`)."""
    blocks = parsed.layout.blocks
    block = blocks[span.block]
    following = blocks[span.block + 1] if span.block + 1 < len(blocks) else None
    last_in_block = n == len(block_spans) - 1
    mentions = [layout_cues.label_before(parsed, span, block) if n == 0 else None,
                layout_cues.label_inside(parsed, span),
                layout_cues.dash_after(parsed, span, block, following if last_in_block else None)]
    for mention in mentions:
        if mention is None:
            continue
        person, confidence = resolver.resolve(mention.head, mention.allowed)
        if person is not None and person.kind != "nominal":
            return Attribution(person, None, min(confidence, LAYOUT_CONFIDENCE))
    if n == 0 and not span.continues:
        lead = layout_cues.colon_lead(parsed, span, blocks, spans)
        if lead:
            found = _from_sentence(resolver, lead, any_verb=True)
            if found is not None:
                return found
    return None


def attribute(parsed: ParsedArticle, spans: list[QuoteSpan]) -> list[Quote]:
    text = parsed.text
    doc = parsed.doc
    resolver = _Resolver(parsed, spans)
    blocks = parsed.layout.blocks
    results: list[Quote] = []
    previous: Attribution | None = None
    previous_block = -1
    by_block: dict[int, list[QuoteSpan]] = {}
    place: list[int] = []
    for span in spans:
        place.append(len(by_block.setdefault(span.block, [])))
        by_block[span.block].append(span)
    for span, n in zip(spans, place):
        block = blocks[span.block]
        resolver.note_entities_before(span.open)
        frame = _Frame(parsed, span, by_block[span.block], n)
        found = _find(resolver, parsed, span, frame)
        if found is None or (found.person is not None and found.person.kind == "nominal"):
            # A label or sign-off beats a bare description the verb gave ("Pollsters agree - Jane Doe: “…”").
            found = _by_layout(resolver, parsed, span, n, by_block[span.block], spans) or found
        if found is None and frame.empty and _opens_utterance(text, span):
            report = layout_cues.reporting_sentence(parsed, span, block, by_block[span.block][n - 1] if n else None)
            if report:
                found = _from_sentence(resolver, report, any_verb=True)
                if found is not None:
                    found = Attribution(found.person, found.cue, min(found.confidence, OTHER_VERB_CONFIDENCE), weak=True)
        if found is None and previous is not None and previous.person is not None and frame.empty:
            if previous_block == span.block:
                found = Attribution(previous.person, previous.cue, min(previous.confidence, INHERIT_IN_PARAGRAPH))
            elif span.continues or (previous_block == span.block - 1 and span.open == block.start):
                found = Attribution(previous.person, previous.cue, min(previous.confidence, INHERIT_ACROSS_PARAGRAPHS))
        quote_text = text[span.start:span.end]
        unsupported = found is None or found.person is None or found.person.kind == "nominal" or found.weak
        before = _word_before(doc, span.open)
        scare = looks_like_scare_quote(quote_text, before, strict=found is not None and not found.weak)
        if unsupported and (looks_like_title(quote_text) or scare):
            continue  # a title or a scare quote: not anyone's words
        kind = "direct" if _is_direct(text, span, block.start) else "partial"
        if found is None or found.person is None:
            results.append(Quote(text=quote_text, start=span.start, end=span.end, speaker=None, cue=None,
                                 kind=kind, confidence=0.0))
            continue
        previous, previous_block = found, span.block
        resolver.spoke(span.open, found.person)
        results.append(Quote(text=quote_text, start=span.start, end=span.end, speaker=found.person.speaker(),
                             cue=found.cue, kind=kind, confidence=round(found.confidence, 2)))
    return _fill_roles(results, resolver.registry)


def _opens_utterance(text: str, span: QuoteSpan) -> bool:
    """A quote that reads as a whole utterance: it opens with a capital (or an ellipsis)."""
    inner = text[span.start:span.end].lstrip(".\u2026 ")
    return inner[:1].isupper() and len(inner.split()) >= 3


def _word_before(doc: Doc, offset: int) -> Token | None:
    tokens = _tokens_in(doc, max(0, offset - 40), offset)
    return tokens[-1] if tokens else None


def _fill_roles(quotes: list[Quote], registry: Registry) -> list[Quote]:
    """A later mention ("Anthropic's Nulty") carries the role and organisation given earlier."""
    out = []
    for quote in quotes:
        speaker = quote.speaker
        if speaker is not None and speaker.kind == "person":
            known = registry.people.get(speaker.name)
            if known is not None and (known.role != speaker.role or known.org != speaker.org):
                speaker = speaker.model_copy(update={"role": speaker.role or known.role, "org": speaker.org or known.org})
                quote = quote.model_copy(update={"speaker": speaker})
        out.append(quote)
    return out


def _is_direct(text: str, span: QuoteSpan, block_start: int) -> bool:
    """A direct quote is a whole utterance: it opens with a capital or stands alone; a partial one is
    a phrase woven into the writer's own sentence."""
    inner = text[span.start:span.end]
    # The last words before the marks are enough (cleaning leaves no long runs of spaces).
    before = text[max(block_start, span.open - 64):span.open].rstrip()
    opens_capital = inner[:1].isupper() or inner[:1].isdigit()
    introduced = before == "" or before.endswith((":", ",")) or span.continues
    return opens_capital and (introduced or len(inner.split()) >= 8)
