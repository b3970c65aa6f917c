"""Who a speaker mention is: names split into name, role and organisation, and the registry of
people the article names, which resolves surnames, pronouns and descriptions.

- a name with its title and organisation ("Anthropic spokesperson Christopher Nulty", "Jane Doe, a
  spokeswoman for Acme") is split into name, role and org; compound titles stay whole ("Secretary
  of State"), an age is never a role;
- a surname or "Mr. Doe" is resolved to the full name used earlier in the article, and takes the
  role and organisation that first mention gave;
- a pronoun is resolved to the compatible person fewest sentences back, subjects and speakers
  counting nearer, with he/she subjects resolved in text order so that a chain of them keeps its
  person; a name tagged as a place more often than as a person is none (`Resolver`);
- a name the small model tags as an organisation is a person when it is the surname of one named
  in full or has a person's role in apposition;
- a document ("the company's terms") speaks for its owner;
- a nominal ("a spokeswoman") stays as the text gives it, with low confidence.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .lexicon import (
    DOCUMENT_NOUNS,
    GENDER_NOUNS,
    HONORIFIC_GENDER,
    HONORIFICS,
    PRONOUNS,
    ROLE_WORDS,
    SPEECH_VERBS,
    first_name_gender,
)
from .models import Speaker, is_degree
from .parsed import ParsedArticle
from .quote_spans import QuoteSpan, inside_quote
from .tokens import ent_of, strip_possessive

# Offices that speak for a country's government ("the French foreign ministry").
OFFICE_NOUNS = frozenset("ministry department office embassy government administration agency".split())
# Last words that make a name an organisation's, whatever the tagger says.
ORGANISATION_HEADS = frozenset("foundation institute center centre committee association council university college "
                               "campaign fund trust corporation company inc llc group party network agency".split())
# How many earlier mentions a pronoun may look back over when nothing near it fits.
PRONOUN_LOOKBACK = 500
# How many sentences nearer a grammatical subject or a speaker counts than any other mention when a
# pronoun's referent is chosen ("Doe met Roe on Friday. … she said" is Doe).
SUBJECT_BONUS = 1.5


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
            self.by_surname.setdefault(_surname(person.name), []).append(person)
            return person
        known.role = known.role or person.role
        known.org = known.org or person.org
        known.gender = known.gender or person.gender
        return known

    def full_name(self, name: str) -> Person | None:
        """The person earlier named in full whose surname (or full name) this is."""
        matches = [p for p in self.by_surname.get(_surname(name), []) if p.kind == "person"
                   and len(p.name.split()) > len(name.split())]
        return matches[-1] if matches else None


# Generational suffixes, which follow the surname ("Jane Doe Jr.", "John Roe III").
NAME_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())


def _surname(name: str) -> str:
    words = [w for w in name.lower().rstrip(",").split() if w.rstrip(",") not in NAME_SUFFIXES]
    return (words or name.lower().split())[-1].rstrip(",")


def gender_near(ent: Span) -> str | None:
    """Gender the text states next to a name: an honorific, or a noun in apposition ("One local
    woman, Karen Doe", "Jane Doe, the actress")."""
    doc = ent.doc
    if ent.start > 0 and doc[ent.start - 1].lower_ in HONORIFIC_GENDER:
        return HONORIFIC_GENDER[doc[ent.start - 1].lower_]
    if ent[0].lower_ in HONORIFIC_GENDER:
        return HONORIFIC_GENDER[ent[0].lower_]
    # Only a noun the parse ties to the name: "his wife, Jane Doe" must not make her husband's
    # neighbour a woman, nor "the man who shot Jane Doe" make her a man.
    root = ent.root
    tied = [c for c in root.children if c.dep_ == "appos"]
    if root.dep_ == "appos":
        tied.append(root.head)
    tied += [c for c in root.children if c.dep_ == "compound" and c.i < ent.start]
    for t in tied:
        if t.lower_ in GENDER_NOUNS:
            return GENDER_NOUNS[t.lower_]
    return None


def _person_from_proper(head: Token, allowed: set[int]) -> Person:
    """Split "Anthropic's Chief Science Officer Jared Kaplan" into name, role and org."""
    doc = head.doc
    ent = ent_of(head)
    if head.lower_ in ROLE_WORDS and (ent is None or ent.label_ != "PERSON"):
        titled = _name_after_title(head, allowed)
        if titled is not None:
            return titled
    owner: str | None = None
    if ent is not None and ent.label_ in {"PERSON", "ORG", "NORP", "GPE"}:
        name_tokens = [t for t in ent if t.lower_.rstrip(".") not in HONORIFICS and t.tag_ != "POS"]
        inner = [t for t in ent if t.tag_ == "POS" and ent.start < t.i < head.i]
        if ent.label_ == "PERSON" and inner:
            # "RedMonk’s Stephens" taken as one name: the owner is the organisation, the name follows.
            owner = doc[ent.start:inner[-1].i].text
            name_tokens = [t for t in name_tokens if t.i > inner[-1].i]
        # NER sometimes folds a title into the name ("Officer Hannah Wong").
        while len(name_tokens) > 1 and name_tokens[0].lower_ in ROLE_WORDS:
            name_tokens = name_tokens[1:]
        name = strip_possessive(doc[name_tokens[0].i:name_tokens[-1].i + 1].text) if name_tokens else ent.text
        kind = "person" if ent.label_ == "PERSON" else "organisation"
        first = name_tokens[0].i if owner is not None and name_tokens else ent.start
    else:
        chain = [c for c in head.lefts if c.dep_ == "compound" and c.pos_ == "PROPN" and c.i in allowed
                 and c.lower_ not in ROLE_WORDS and c.lower_.rstrip(".") not in HONORIFICS]
        chain = chain[-2:] + [head]
        name = strip_possessive(" ".join(t.text for t in chain))
        first = chain[0].i
        kind = "person"
    gender = None
    role_words: list[str] = []
    org: str | None = owner
    for t in sorted(head.subtree, key=lambda t: t.i):
        if t.i >= first or t.i not in allowed or (owner is not None and ent is not None and t.i >= ent.start):
            continue
        t_ent = ent_of(t)
        if t_ent is not None and t_ent.label_ in {"ORG", "GPE", "NORP"} and t_ent.end <= first:
            org = org or strip_possessive(t_ent.text)
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
            owner = strip_possessive(t.doc[words[0].i:t.i].text)
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


def _named_in_apposition(head: Token, allowed: set[int]) -> Person | None:
    """ "The leader of Ennahda, Rachid Ghannouchi, said": the parser hangs the person's name on
    the organisation's; the person speaks, with the role and organisation the phrase gives, and
    the organisation's name is no person's role. None when `head` is itself a person's name."""
    if head.ent_type_ == "PERSON":
        return None
    named = next((c for c in head.children if c.dep_ == "appos" and c.ent_type_ == "PERSON" and c.i in allowed), None)
    if named is None:
        return None
    person = _person_from_proper(named, allowed)
    if person.kind != "person":
        return None
    if head.lower_ in ROLE_WORDS:  # "Acme's CTO, Jane Doe": a title, and its owner the organisation
        person.role = person.role or head.text
        owner = next((c for c in head.children if c.dep_ == "poss" and c.i in allowed), None)
        if owner is not None and person.org is None:
            owner_ent = ent_of(owner)
            person.org = strip_possessive(owner_ent.text if owner_ent is not None else owner.text)
        return person
    ent = ent_of(head)
    person.org = person.org or strip_possessive(ent.text if ent is not None else head.text)
    prep = head.head if head.dep_ == "pobj" else None
    if prep is not None and prep.lower_ in {"of", "at", "for"} and prep.head.pos_ == "NOUN" and prep.head.i in allowed:
        person.role = person.role or prep.head.text
    return person


def _appositive(head: Token, allowed: set[int]) -> tuple[str | None, str | None]:
    """ "Jane Doe, a spokeswoman for Acme," → ("spokeswoman", "Acme"); "Jane Doe, president and chief
    operating officer of Acme," → ("president and chief operating officer", "Acme"). An age or
    a number ("Jane Doe, 52,") is no role."""
    appositives = [c for c in head.children if c.dep_ == "appos" and c.i in allowed]
    for child in appositives:
        if _numeric(child):
            # "Jane Doe, 52, a farmer from Iowa": the age is no role; the parser may hang the next
            # appositive on it.
            appositives.extend(c for c in child.children if c.dep_ == "appos" and c.i in allowed)
            continue
        # "co-founder" parsed as three appositives ("co", "-", "founder"): one word.
        prefix = ""
        doc = child.doc
        while child.i + 2 < len(doc) and not child.whitespace_ and doc[child.i + 1].text == "-" \
                and not doc[child.i + 1].whitespace_ and doc[child.i + 2].head.i == head.i \
                and doc[child.i + 2].dep_ == "appos" and doc[child.i + 2].i in allowed:
            prefix += child.text + "-"
            child = doc[child.i + 2]
        title = _appositive_title(child, allowed)
        if title is not None:
            return prefix + title, None
        org = None
        after_prep = False
        words: list[Token] = []
        for t in sorted(child.subtree, key=lambda t: t.i):
            # "co-founder": a hyphen inside a word is part of the role.
            hyphen = t.text == "-" and bool(words) and not words[-1].whitespace_ and not t.whitespace_
            if t.i not in allowed or t.dep_ in {"relcl", "acl"} or (t.is_punct and words and not hyphen) \
                    or t.lower_ == "from":
                break  # "a farmer from Iowa": where one comes from is no organisation
            if is_degree(t.text) or (t.is_punct and not hyphen):
                continue  # "Jane Doe, Ph.D., of Acme": a degree is no role; Acme may follow
            t_ent = ent_of(t)
            if t_ent is not None and t_ent.label_ in {"ORG", "GPE", "NORP"}:
                org = strip_possessive(t_ent.text)
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
        # The text's own spacing between words next to each other ("co-founder"), a space across a gap.
        joined = words[0].text + "".join((prev.whitespace_ if t.i == prev.i + 1 else " ") + t.text
                                         for prev, t in zip(words, words[1:]))
        return prefix + joined, org
    return None, None


NUMBER_TYPES = frozenset({"DATE", "CARDINAL", "PERCENT", "QUANTITY", "MONEY"})


def _numeric(token: Token) -> bool:
    return token.like_num or token.pos_ == "NUM" or token.ent_type_ in NUMBER_TYPES


def _appositive_title(child: Token, allowed: set[int]) -> str | None:
    """ "Omar Farouk, the United Nations High Commissioner for Human Rights,": a capitalised title
    joined by "of" or "for" stays whole, unless an organisation follows the "of" ("Director of
    Acme" is a role at an organisation)."""
    words = []
    for t in sorted(child.subtree, key=lambda t: t.i):
        if t.i not in allowed or t.dep_ in {"relcl", "acl"} or (t.is_punct and t.text != "."):
            break
        words.append(t)
    role, _ = _compound_title(words)
    if role is None:
        return None
    joint = next(n for n, t in enumerate(words) if t.lower_ in {"of", "for"} and n > 0)
    if any(t.ent_type_ in {"ORG", "GPE"} for t in words[joint + 1:]):
        return None
    return role


def _description(head: Token, allowed: set[int]) -> list[Token]:
    """The words of a description as the text writes them, up to its head and its modifiers: a
    relative clause or a participle phrase ("a man who …", "a company that has …") and everything
    after a comma or a gap left by quote marks is cut, so that the words shown are the text's own."""
    cut = {t.i for c in head.subtree if c.i != head.i and c.dep_ in {"relcl", "acl", "appos"} for t in c.subtree}
    words: list[Token] = []
    for t in sorted(head.subtree, key=lambda t: t.i):
        gap = bool(words) and t.i != words[-1].i + 1
        # A hyphen inside a word ("top-tier") is part of the phrase; other marks end it.
        joined = (t.text in {"-", "\u2013"} and not t.doc[t.i - 1].whitespace_ and not t.whitespace_) or t.tag_ == "POS"
        if t.i in cut or t.i not in allowed or (t.is_punct and not joined) or t.is_space or gap:
            if t.i > head.i:
                break
            words = []  # before the head: only the run of words next to it
            if t.i < head.i:
                continue
        words.append(t)
    words = words[:8]
    # "the list of priorities for technical teams and": no phrase ends on a joining word.
    while len(words) > 1 and words[-1].i > head.i and (words[-1].dep_ in {"cc", "prep", "det", "mark", "aux"}
                                                       or words[-1].pos_ in {"ADP", "CCONJ", "DET", "PART"}):
        words.pop()
    return words or [head]


def _nominal(head: Token, allowed: set[int]) -> Person:
    words = _description(head, allowed)
    phrase = head.doc[words[0].i:words[-1].i + 1].text.strip()
    org = None
    for t in words:
        t_ent = ent_of(t)
        if t_ent is not None and t_ent.label_ in {"ORG", "GPE", "NORP"}:
            org = strip_possessive(t_ent.text)
            break
    return Person(name=phrase, role=head.text, org=org, kind="nominal")


def _looks_like_person(tokens: list[Token]) -> bool:
    """ "Brent Foxhall" tagged as an organisation: two or three capitalised words opening with a
    common first name are a person's name."""
    return 2 <= len(tokens) <= 3 and all(t.pos_ == "PROPN" and t.text[:1].isupper() for t in tokens) \
        and first_name_gender(tokens[0].text) is not None


def _has_role_appositive(ent: Span) -> bool:
    """ "Priebus, the party chairman," tagged as an organisation: a name with a person's role in
    apposition is a person's."""
    return any(c.dep_ == "appos" and (c.lower_ in ROLE_WORDS or c.lower_ in GENDER_NOUNS) for c in ent.root.children)


def _speaks_next(ent: Span) -> bool:
    """ "Humphrey, for example, said he …", where the parser left "said" without a subject and hung
    the name elsewhere: a name followed within a few words by a speech verb with no subject."""
    doc = ent.doc
    for t in doc[ent.end:min(len(doc), ent.end + 6)]:
        if t.pos_ in {"VERB", "AUX"}:
            # A finite verb: "John Kasich claiming the nomination" is no report of speech.
            return t.tag_ in {"VBD", "VBZ", "VBP"} and t.lemma_.lower() in SPEECH_VERBS \
                and not any(c.dep_ in {"nsubj", "nsubjpass"} for c in t.children)
    return False


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


class Resolver:
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
        # He/she subjects outside quotes are resolved in text order as they are passed, so that a
        # chain of pronoun subjects ("Doe … He got a car. He found …") keeps pointing at the same
        # person. One pass over the tokens finds both kinds of subject.
        untagged: list[Span] = []
        self._pronoun_subjects: list[Token] = []
        for t in self.doc:
            if t.dep_ not in {"nsubj", "nsubjpass"}:
                continue
            if t.lower_ in {"he", "she"}:
                self._pronoun_subjects.append(t)
            elif t.ent_iob_ == "O" and t.text[:1].isupper() and _word_like(t.text) and t.pos_ not in {"PRON", "DET"}:
                untagged.append(Span(self.doc, t.i, t.i + 1, label="SUBJECT"))
        if untagged:
            self._people = sorted(self._people + untagged, key=lambda ent: ent.start)
        self._next_person = 0  # people before this index are registered (offsets only grow)
        self._block_starts = [b.start for b in self.blocks]
        # Sentence starts, for ranking a pronoun's candidates by how many sentences back they are.
        self._sent_starts = [s.start_char for s in self.doc.sents]
        # A one-word name the model tags as a place or an organisation more often than as a person
        # ("Dayton became his home") is never a pronoun's person.
        self._places = _mostly_places(self.doc)
        self._next_pronoun = 0
        self._resolved_pronouns: set[int] = set()

    def note_entities_before(self, offset: int) -> None:
        """Register every person named before `offset`, and every he/she subject, outside quotes, in
        text order."""
        people, pronouns = self._people, self._pronoun_subjects
        while True:
            ent_at = people[self._next_person].start_char if self._next_person < len(people) else offset
            pron_at = pronouns[self._next_pronoun].idx if self._next_pronoun < len(pronouns) else offset
            if min(ent_at, pron_at) >= offset:
                return
            if pron_at < ent_at:
                self._next_pronoun += 1
                self._chain_pronoun(pronouns[self._next_pronoun - 1])
            else:
                self._next_person += 1
                self._note_entity(people[self._next_person - 1])

    def _chain_pronoun(self, token: Token) -> None:
        """A he/she subject the writer uses: the person it refers to is mentioned again there."""
        if token.i in self._resolved_pronouns or inside_quote(token.idx, self.spans):
            return
        self._resolved_pronouns.add(token.i)
        if not _main_subject(token):
            return  # "Doe told Roe that she …": a pronoun in a subordinate clause is too ambiguous to pass on
        person, _ = self._pick_pronoun(token, learn_gender=False)
        if person is not None:
            self.history.append((token.idx, person, True))

    def _note_entity(self, ent: Span) -> None:
        if inside_quote(ent.start_char, self.spans):
            return
        tokens = [t for t in ent if t.lower_.rstrip(".") not in HONORIFICS and t.tag_ != "POS"]
        inner = [t for t in ent if t.tag_ == "POS" and t.i < ent.end - 1]
        if ent.label_ == "PERSON" and inner:  # "RedMonk’s Stevens": the name after the owner
            tokens = [t for t in tokens if t.i > inner[-1].i]
        if not tokens:
            return
        name = strip_possessive(self.doc[tokens[0].i:tokens[-1].i + 1].text)
        if not name.strip():  # an entity made only of a possessive or marks ("’s"): nobody to note
            return
        if ent.label_ == "PERSON" and len(tokens) == 1 and name in self._places and not _has_role_appositive(ent):
            return
        if ent.label_ == "PERSON" and tokens[-1].lower_ in ORGANISATION_HEADS:
            # "the Donald J. Trump Foundation" tagged as a person: an organisation, never a he or she.
            organisation = self.registry.add(Person(name=name, gender="n", kind="organisation"))
            self.history.append((ent.end_char, organisation, False))
            return
        if ent.label_ != "PERSON" and not _looks_like_person(tokens) and not _has_role_appositive(ent):
            known = self.registry.full_name(name) if len(name.split()) == 1 else None
            if known is None:
                return
            person = known
        else:
            role, org = self._first_mention_role(ent)
            person = self._canonical(Person(name=name, role=role, org=org, gender=gender_near(ent)))
        self.history.append((ent.end_char, person, _main_subject(ent.root) or _speaks_next(ent)))

    def _first_mention_role(self, ent: Span) -> tuple[str | None, str | None]:
        """The role and organisation a mention gives ("Jane Doe, president and chief operating
        officer of Acme, …", "Acme chief Jane Doe"), so a later quote by surname or pronoun has them."""
        if len(ent) < 2:
            return None, None  # a bare surname gives none, and costs nothing to skip
        sentence = ent.sent
        allowed = {t.i for t in sentence if not inside_quote(t.idx, self.spans)}
        found = _person_from_proper(ent.root, allowed)
        return found.role, found.org

    def spoke(self, offset: int, person: Person) -> None:
        self.history.append((offset, person, True))

    def named(self, name: str) -> Person:
        """The person a name written out of any parse stands for (a headline's "Doe:")."""
        words = [w for w in name.split() if w.lower().rstrip(".") not in HONORIFICS]
        return self._canonical(Person(name=" ".join(words) or name))

    def _canonical(self, person: Person) -> Person:
        if person.kind in {"person", "organisation"} and len(person.name.split()) == 1:
            # A surname the model tagged as an organisation ("Bozell answers") is still the person.
            full = self.registry.full_name(person.name)
            if full is not None:
                if person.kind == "person":
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
        # A lower-case word the tagger called a proper noun ("the French foreign ministry") is a noun.
        proper = head.pos_ == "PROPN" and (head.text[:1].isupper() or head.ent_type_ != "")
        if proper or head.ent_type_ in {"PERSON", "ORG"} or looks_like_surname(head, self.registry):
            person = _named_in_apposition(head, allowed) or _person_from_proper(head, allowed)
            was_short = len(person.name.split()) == 1
            person = self._canonical(person)
            self.history.append((head.idx, person, True))
            return person, (0.85 if was_short and len(person.name.split()) > 1 else 0.9)
        # A noun phrase: an appositive name ("the spokesman, John Smith"), a document, or a nominal.
        # "The leader of Acme, Jane Doe," with the name hung on the organisation's: Jane Doe.
        for prep in head.children:
            if prep.dep_ == "prep" and prep.lower_ in {"of", "at", "for"} and prep.i in allowed:
                for pobj in prep.children:
                    named = _named_in_apposition(pobj, allowed) if pobj.dep_ == "pobj" and pobj.pos_ == "PROPN" else None
                    if named is not None:
                        named = self._canonical(named)
                        self.history.append((head.idx, named, True))
                        return named, 0.85
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
            ent = ent_of(owner)
            name = strip_possessive(ent.text if ent is not None else owner.text)
            modifiers = [t.text for t in head.lefts if t.dep_ in {"amod", "compound"} and t.i != owner.i and t.i in allowed]
            person = Person(name=name, role=" ".join(modifiers + [head.text]), kind="document", gender="n")
            return person, 0.7
        country = next((c for c in head.children if c.dep_ in {"amod", "compound", "poss"} and c.ent_type_ in {"NORP", "GPE"}), None)
        if lower in OFFICE_NOUNS and country is not None:
            owner = country
            # "the French foreign ministry": an office speaks as an organisation and keeps its country.
            words = [t for t in sorted(head.subtree, key=lambda t: t.i) if t.i in allowed and t.i <= head.i and t.dep_ != "det"]
            ent = ent_of(owner)
            return Person(name=" ".join(t.text for t in words), org=strip_possessive(ent.text if ent else owner.text),
                          kind="organisation", gender="n"), 0.7
        described = self._described(head, allowed)
        if described is not None:
            return described, 0.55
        if any(c.dep_ == "det" and c.lower_ == "no" for c in head.children):
            return None, 0.0  # "no one", "no guesswork": nobody
        return _nominal(head, allowed), 0.3

    def _described(self, head: Token, allowed: set[int]) -> Person | None:
        """ "the 56-year-old", "the spokeswoman": the person named nearby whose first mention gave
        that role (or, for an age, the last main subject), when the description is definite."""
        if not any(c.dep_ == "det" and c.lower_ == "the" for c in head.children):
            return None
        self.note_entities_before(head.idx)
        block = max(0, bisect.bisect_right(self._block_starts, head.idx) - 1)
        window_start = self.blocks[max(0, block - 2)].start if self.blocks else 0
        earlier = [(o, p, sal) for o, p, sal in self.history[-PRONOUN_LOOKBACK:] if window_start <= o <= head.idx
                   and p.kind == "person"]
        age = head.lower_.endswith("-old") or head.lower_ == "old"
        for _, person, salient in reversed(earlier):
            if age and salient:
                return person
            if not age and person.role and head.lower_ in person.role.lower().split():
                return person
        return None

    def _pronoun(self, head: Token) -> tuple[Person | None, float]:
        if PRONOUNS.get(head.lower_) in {"s", None}:
            return None, 0.0
        self.note_entities_before(head.idx)
        person, confidence = self._pick_pronoun(head)
        self._resolved_pronouns.add(head.i)
        if person is not None:
            self.history.append((head.idx, person, True))
        return person, confidence

    def _sentence_of(self, offset: int) -> int:
        return bisect.bisect_right(self._sent_starts, offset) - 1

    def _pick_pronoun(self, head: Token, learn_gender: bool = True) -> tuple[Person | None, float]:
        """The person a pronoun refers to: among the compatible people mentioned in this paragraph
        and the two before it, the fewest sentences back, a subject or speaker counting as
        SUBJECT_BONUS sentences nearer; the latest on a tie. Beyond that window, the latest
        compatible mention, at low confidence."""
        gender = PRONOUNS.get(head.lower_)
        if gender in {"s", None}:
            return None, 0.0
        block = max(0, bisect.bisect_right(self._block_starts, head.idx) - 1)
        window_start = self.blocks[max(0, block - 2)].start if self.blocks else 0

        def fits(person: Person) -> bool:
            if gender in {"m", "f"}:
                return person.kind == "person" and person.gender in {None, gender}
            return person.kind in {"organisation", "document"}

        here = self._sentence_of(head.idx)
        best: tuple[float, int] | None = None
        chosen: tuple[Person, bool] | None = None
        latest: Person | None = None
        # Newest first; the history is in text order but for a speaker noted at its quote after the
        # words that named it, so the walk stops a few entries past the window, not at the first.
        outside = 0
        for offset, person, salient in reversed(self.history[-PRONOUN_LOOKBACK:]):
            if offset > head.idx:
                continue
            if offset < window_start:
                if latest is None and fits(person):
                    latest = person
                outside += 1
                if outside > 8 and (latest is not None or chosen is not None):
                    break
                continue
            if not fits(person):
                continue
            key = (here - self._sentence_of(offset) - (SUBJECT_BONUS if salient else 0.0), -offset)
            if best is None or key < best:
                best, chosen = key, (person, salient)
        if chosen is not None:
            person, salient = chosen
            if learn_gender and gender in {"m", "f"} and person.gender is None:
                person.gender = gender
            return person, 0.65 if salient else 0.55
        if latest is not None:
            return latest, 0.4
        return None, 0.0


def _word_like(text: str) -> bool:
    """Letters, with an apostrophe or hyphen inside a name ("D’Souza", "Mark-Viverito")."""
    return text[:1].isalpha() and text.replace("\u2019", "").replace("'", "").replace("-", "").isalpha()


def looks_like_surname(token: Token, registry: Registry) -> bool:
    """A capitalised word the tagger took for a common noun, a verb or an adjective ("D’Souza
    replied"): the surname of someone the article named in full, or a singular subject standing
    alone in mid-sentence, as only names do."""
    if token.pos_ not in {"NOUN", "VERB", "ADJ"} or not token.text[:1].isupper() or not _word_like(token.text):
        return False
    if registry.full_name(token.text) is not None:
        return True
    if token.dep_ != "nsubj" or token.tag_ not in {"NN", "NNP"} or token.is_sent_start or token.ent_iob_ != "O" \
            or any(c.dep_ in {"det", "amod", "compound", "poss"} for c in token.children):
        return False
    return not in_title_case(token)


def in_title_case(token: Token) -> bool:
    """Whether the token's sentence is a headline, most of its words capitalised ("“Hit Show” Star
    Asked Actors …"): a capital there says nothing about a name."""
    words = [t for t in token.sent if t.is_alpha and len(t) > 3]
    return sum(t.text[:1].isupper() for t in words) * 2 >= len(words) > 0


def _mostly_places(doc: Doc) -> frozenset[str]:
    """One-word names the model tags as a place (or an organisation) more often than as a person,
    and never as the surname of a person named in full."""
    votes: dict[str, int] = {}
    for ent in doc.ents:
        if ent.label_ == "PERSON":
            # "Emily Quellmark" makes a later "Quellmark" her, whatever its tag.
            last = next((t.text for t in reversed(ent) if t.lower_ not in NAME_SUFFIXES), ent[-1].text)
            votes[last] = votes.get(last, 0) - (1 if len(ent) == 1 else len(doc))
        elif len(ent) == 1 and ent.label_ in {"GPE", "LOC", "ORG", "FAC"}:
            votes[ent.text] = votes.get(ent.text, 0) + 1
    return frozenset(name for name, vote in votes.items() if vote > 0)
