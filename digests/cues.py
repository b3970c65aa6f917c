"""Find, in the sentence around one quotation, the cue that reports it and that cue's subject.

This module's one job is reading the parse near a quote; it decides nothing about who speaks. It
gives the quote's sentence frame (`Frame`: the words of its sentence outside any quote marks), the
speech verbs ("said", "told Wired", "as X puts it"), the verbs of communication or judgment and the
reporting nouns outside the speech list (`is_cue_word`), the verbs the quoted words hang from
(`governing_verbs`), a cue's grammatical subject (`subject`, `noun_owner`, `inverted_subject`,
`name_just_before`) and the other frames ("according to", "a statement from", "X issued a
statement:"). `speakers` puts these together, in order, into an attribution.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc, Token

from .lexicon import COMMUNICATION_VERBS, CUE_NOUNS, DOCUMENT_NOUNS, QUOTE_NOUNS, SPEECH_VERBS
from .mentions import in_title_case
from .parsed import ParsedArticle
from .quote_spans import QuoteSpan, inside_quote
from .sentence_ends import sentence_ends as _sentence_ends
from .tokens import ent_of, strip_possessive, tokens_in

RELATIVE_PRONOUNS = frozenset({"who", "that", "which"})


# How far from its marks a quote's attribution is looked for: several long sentences.
FRAME_CHARS = 1500


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
    ends = _sentence_ends(segment)
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
        match = next(iter(_sentence_ends(tail)), None)
        if match:
            after_end = after_start + match.end()
    return (before_start, span.open), (after_start, after_end)


def is_speech_verb(token: Token) -> bool:
    """A verb of the speech list ("said", "told"), or "as X puts it"."""
    if so_called(token):
        return False  # "so-called “metadata”": the writer's distance from a word, nobody speaking
    # The tagger sometimes calls "said" an adjective or noun; its form is enough.
    return (token.pos_ in {"VERB", "AUX"} and token.lemma_.lower() in SPEECH_VERBS) or \
        token.lower_ in {"said", "says", "told", "added", "wrote", "asked"} or as_put(token)


def so_called(token: Token) -> bool:
    """ "so-called": the writer keeps a word at a distance; the word after it is nobody's quote."""
    doc = token.doc
    return token.lower_ == "called" and token.i >= 2 and doc[token.i - 1].text in {"-", "\u2010"} \
        and doc[token.i - 2].lower_ == "so"


def as_put(token: Token) -> bool:
    """ "as Doe puts it", "as Doe put it": a frame that reports words without a speech verb."""
    return token.lemma_.lower() == "put" and any(c.dep_ == "dobj" and c.lower_ == "it" for c in token.children) \
        and any(c.dep_ in {"mark", "advmod", "prep"} and c.lower_ == "as" for c in token.children)


def subject(verb: Token, allowed: set[int], depth: int = 0) -> Token | None:
    """Who a cue verb's words are, among the `allowed` tokens (the frame's, outside quote marks)."""
    # "X was told by Jane Doe": the passive's agent speaks, not its subject.
    for child in verb.children:
        # "Called a “…” by its makers": a participle without "was" still has its agent after "by".
        if (child.dep_ == "agent" or (verb.tag_ == "VBN" and child.dep_ == "prep" and child.lower_ == "by")) \
                and child.i in allowed:
            agent = next((c for c in child.children if c.dep_ == "pobj" and c.i in allowed), None)
            if agent is not None:
                return agent
    # "His final assessment: “…,” he said": of two subjects the parser gives, the nearer speaks.
    subjects = sorted((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"} and c.i in allowed
                       and not _sentence_between(c, verb)), key=lambda c: abs(c.i - verb.i))
    if subjects:
        child = subjects[0]
        # "X, who called it …": the relative pronoun stands for the clause's head.
        if child.lower_ in RELATIVE_PRONOUNS and verb.dep_ == "relcl" and verb.head.i in allowed:
            return verb.head
        return child
    if depth >= 3 or verb.head.i == verb.i or verb.head.i not in allowed:
        return None
    head = verb.head
    # "X, who said": the relative clause's head speaks.
    if verb.dep_ == "relcl" and head.pos_ in {"PROPN", "NOUN"}:
        return head
    # "a statement saying", "a video of X saying": the document's speaker, or the one it shows.
    if verb.dep_ == "acl" and head.pos_ in {"NOUN", "PROPN"}:
        shown = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        target = next((c for c in shown.children if c.dep_ == "pobj" and c.i in allowed), None) if shown else None
        if target is not None and (target.pos_ == "PROPN" or target.ent_type_ == "PERSON"):
            return target
        if head.lemma_.lower() in DOCUMENT_NOUNS and head.head.i != head.i and head.head.i in allowed:
            return subject(head.head, allowed, depth + 1)
        return None
    # "after adding", "while insisting": the clause the preposition hangs from.
    if verb.dep_ == "pcomp" and head.pos_ == "ADP" and head.head.i != head.i and head.head.i in allowed:
        return subject(head.head, allowed, depth + 1)
    # "Doe said that Roe is wrong, adding that …": a participle the parser hung on the reported
    # clause belongs to the reporting one.
    if verb.dep_ == "advcl" and verb.tag_ == "VBG" and head.dep_ == "ccomp" and head.head.i in allowed \
            and is_speech_verb(head.head) and not is_speech_verb(head):
        return subject(head.head, allowed, depth + 1)
    # "X smiled and said", "X bristled, saying", "with X stating": the governing clause's subject.
    if verb.dep_ in {"conj", "advcl", "xcomp", "pcomp"}:
        return subject(head, allowed, depth + 1)
    return None


def _sentence_between(a: Token, b: Token) -> bool:
    """A sentence ends between the two words ("… met in VR? Chaos, for sure. Called a …"): the
    parser sometimes runs two sentences together and takes a word of one for the other's subject."""
    doc = a.doc
    low, high = min(a.i, b.i), max(a.i, b.i)
    for t in doc[low + 1:high]:
        if t.text in {".", "?", "!"}:
            following = next((n for n in doc[t.i + 1:high + 1] if not (n.is_punct or n.is_space)), None)
            if following is not None and following.text[:1].isupper():
                return True
    return False


# Words that open a clause setting the scene for another ("after", "when"), not "as" ("as Doe said").
SUBORDINATORS = frozenset("after before when while because since although though if once until unless whereas".split())


def subordinate(verb: Token) -> Token | None:
    """The subordinating word that opens the verb's clause ("after Roe said …"), even where the
    parser made it the main clause; None for a clause of its own."""
    mark = next((c for c in verb.children if c.dep_ == "mark" and c.lower_ in SUBORDINATORS), None)
    if mark is not None:
        return mark
    if verb.dep_ == "advcl":
        first = min(verb.subtree, key=lambda t: t.i)
        return first if first.lower_ in SUBORDINATORS else None
    return None


def name_just_before(verb: Token, allowed: set[int]) -> Token | None:
    """ "Doe said that …" where the parser hung "Doe" elsewhere and left the verb without a
    subject: the capitalised name standing right before the verb."""
    if verb.i == 0 or verb.dep_ in {"acl", "relcl", "amod"}:
        return None  # "a group called Acme": the participle names, nobody speaks
    before = verb.doc[verb.i - 1]
    if before.i in allowed and before.pos_ == "PROPN" and before.text[:1].isupper() \
            and before.ent_type_ not in NOT_SPEAKERS and not in_title_case(before):
        return before
    return None


def cue_text(verb: Token, allowed: set[int]) -> str:
    """The cue as the digest shows it: the verb and the object it takes ("told reporters")."""
    words = [verb]
    for child in verb.children:
        if child.i in allowed and child.dep_ in {"dative", "dobj", "prt", "iobj"} and child.i > verb.i \
                and child.pos_ in {"PROPN", "PRON", "NOUN", "ADP"}:
            words.extend(t for t in child.subtree if t.i in allowed)
            break
    words.sort(key=lambda t: t.i)
    return " ".join(t.text for t in words)


def according_to(tokens: list[Token]) -> Token | None:
    """ "according to Doe": the object of the phrase."""
    for t in tokens:
        if t.lower_ == "according" and t.i + 1 < len(t.doc) and t.doc[t.i + 1].lower_ == "to":
            for child in t.doc[t.i + 1].children:
                if child.dep_ == "pobj":
                    return child
    return None


def quote_from(tokens: list[Token]) -> Token | None:
    """ "That quote from Alabama's commissioner Jane Doe", "remarks by the senator"."""
    for t in tokens:
        if t.lemma_.lower() in QUOTE_NOUNS:
            for prep in t.children:
                if prep.dep_ == "prep" and prep.lower_ in {"from", "by"}:
                    target = next((c for c in prep.children if c.dep_ == "pobj"), None)
                    if target is not None:
                        return target
    return None


def governing_verbs(doc: Doc, span: QuoteSpan, allowed: set[int],
                     accept: Callable[[Token], bool] = is_speech_verb) -> list[Token]:
    """Speech verbs outside quotes that the quoted words hang from in the parse ("X told reporters
    that Y “may have violated the law”" → told). The walk may pass through another quote
    ("prohibit customers from using it to “build …” or “duplicate” it"), never stop on one."""
    inside = {t.i for t in tokens_in(doc, span.start, span.end)}
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


def clause_org(verb: Token) -> str | None:
    """ "Acme has defended itself, with its chief Jane Doe stating …": the organisation whose
    clause the speech hangs from."""
    head = verb
    for _ in range(4):
        for child in head.children:
            if child.dep_ in {"nsubj", "nsubjpass"} and child.ent_type_ == "ORG":
                ent = ent_of(child)
                return strip_possessive(ent.text) if ent is not None else child.text
        if head.head.i == head.i:
            break
        head = head.head
    return None


def verb_before_colon(tokens: list[Token], span: QuoteSpan) -> Token | None:
    """ "…, he demurred: “…”": any verb that introduces the quote with a colon speaks it."""
    if len(tokens) < 2 or tokens[-1].text != ":" or tokens[-1].idx + 3 < span.open:
        return None
    # "Doe delivered a blunt message to Roe: “…”": up from the last word to its verb.
    verb = tokens[-2]
    for _ in range(3):
        if verb.pos_ in {"VERB", "AUX"} or verb.head.i == verb.i:
            break
        verb = verb.head
    return verb if verb.pos_ in {"VERB", "AUX"} and verb.i in {t.i for t in tokens} else None


def name_follows(verb: Token, allowed: set[int]) -> bool:
    """A person's name starts right after the verb ("says Jane Doe")."""
    nxt = verb.doc[verb.i + 1] if verb.i + 1 < len(verb.doc) else None
    return nxt is not None and nxt.i in allowed and nxt.ent_type_ == "PERSON" and nxt.ent_iob_ == "B"


def verb_of_statement(tokens: list[Token], span: QuoteSpan) -> Token | None:
    """ "Doe issued a statement, “…”", "Doe posted a message: “…”": the verb whose object, right
    before the comma or colon that opens the quote, is a statement or a document speaks through it."""
    words = [t for t in tokens if not t.is_space]
    if len(words) < 2 or words[-1].text not in {",", ":"} or words[-1].idx + 3 < span.open:
        return None
    t = words[-2]
    if t.dep_ == "dobj" and (t.lemma_.lower() in QUOTE_NOUNS or t.lemma_.lower() in DOCUMENT_NOUNS) \
            and t.head.pos_ == "VERB" and t.head.i < t.i:
        return t.head
    return None


def inverted_subject(verb: Token, tokens: list[Token]) -> Token | None:
    """ "“…,” said the senator, Jane Doe": the name right after a verb that follows the quote."""
    nxt = next((t for t in tokens if t.i > verb.i), None)
    while nxt is not None and (nxt.dep_ in {"det", "compound", "amod", "poss"} or nxt.tag_ == "POS") \
            and nxt.head.i > nxt.i:
        nxt = nxt.head
    if nxt is None or nxt.pos_ not in {"PROPN", "NOUN"}:
        return None
    if nxt.pos_ == "NOUN":
        # "exhorted her introducer, actress Jane Doe": the name in apposition to the description.
        named = next((c for c in nxt.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"), None)
        if named is not None:
            nxt = named
    ent = ent_of(nxt)
    return ent.root if ent is not None else nxt


def _blank(words: str) -> bool:
    """Nothing but spaces (no-break ones too) and punctuation."""
    return not words.strip().strip(" ,.;:\u2014\u2013-\u00a0")


class Frame:
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
        outside = [t for t in tokens_in(doc, low, high) if not inside_quote(t.idx, block_spans)]
        self.allowed = {t.i for t in outside}
        self.before = [t for t in outside if b0 <= t.idx < b1]
        self.after = [t for t in outside if a0 <= t.idx < a1]
        self.empty = _blank(text[b0:b1]) and _blank(text[a0:a1])
        self.sentence = [t for t in outside if b0 <= t.idx < max(a1, b1)]


# Entity types that never speak: a parser that takes one for the subject misread the sentence.
NOT_SPEAKERS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"})


def name_before(verb: Token, misread: Token, sentence: list[Token]) -> Token | None:
    """ "Saturday at the convention Sen. Jane Doe said": the person named between the misread
    subject and the verb."""
    names = [t for t in sentence if misread.i < t.i < verb.i and t.ent_type_ == "PERSON"]
    if not names:
        return None
    ent = ent_of(names[-1])
    return ent.root if ent is not None else names[-1]


def is_verb(token: Token) -> bool:
    """Any verb: what `governing_verbs` accepts when no cue word governs the quote."""
    return token.pos_ == "VERB"


def is_cue_word(token: Token) -> bool:
    """A verb of communication or judgment, or a reporting noun, outside the speech list."""
    lemma = token.lemma_.lower()
    return (token.pos_ == "VERB" and lemma in COMMUNICATION_VERBS) or (token.pos_ == "NOUN" and lemma in CUE_NOUNS)


def noun_owner(noun: Token, allowed: set[int]) -> Token | None:
    """Who a reporting noun belongs to: "Doe's pledge", "a pledge by Doe", "Doe made a pledge"."""
    for child in noun.children:
        if child.dep_ == "poss" and child.i in allowed:
            return child
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in {"by", "from", "of"}:
            target = next((c for c in child.children if c.dep_ == "pobj" and c.i in allowed), None)
            if target is not None and (target.pos_ == "PROPN" or target.ent_type_ in {"PERSON", "ORG"}):
                return target
    head = noun.head.head if noun.dep_ == "pobj" else noun.head
    if noun.dep_ in {"dobj", "pobj", "attr"} and head.pos_ in {"VERB", "AUX"} and head.i in allowed:
        return subject(head, allowed)
    return None


def reported(parsed: ParsedArticle, span: QuoteSpan, frame: Frame) -> bool:
    """Whether a speech or communication cue governs the quoted words ("promised to be “neutral”",
    "denounced “self-deportation”"): reported words, not the writer's scare quotes, even when the
    text gives no speaker for them."""
    if re.search(r"\bso[- ]called\s*$", parsed.text[max(0, span.open - 12):span.open], re.I):
        return False  # the writer's own distance from the words, whoever governs them
    return bool(governing_verbs(parsed.doc, span, frame.allowed, lambda t: is_speech_verb(t) or is_cue_word(t)))
