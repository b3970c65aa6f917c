"""TL;DR: one to three of the article's own sentences, verbatim and in article order.

The lead sentence (the first one that states something specific by itself) always comes first; up
to two more come from the next few, ranked by position and by how much of the news they carry (the
title's words, the main actors, the article's most used nouns), within a word budget.

Only well-formed prose is taken (`sentences.is_prose`): no question, caption, dateline, byline,
fragment that leans on a sentence left out ("In addition to …"), nor the headline said again; nor a
piece of a quotation left open, the tail of a sentence cut at a line break, a sentence that breaks off
on an ellipsis or has no main clause of its own. The writer's first-person aside is left out and a
sentence that says the chosen ones again is dropped. A page with no prose at all (a box score, a
listing) gets NO_PROSE, which says so, instead of a stat line.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Span

from .clean import is_chrome
from .parsed import ParsedArticle
from .sentences import (  # noqa: F401  (re-exported: the names other modules and tests import from here)
    _CLOSERS,
    Sentence,
    body_sentences,
    content_start,
    entities_in,
    has_main_clause,
    is_prose,
    quoted_regions,
    quoted_share,
    span_of,
)

MAX_SENTENCES = 3
WORD_BUDGET = 75  # Lead-3 of news runs to about 75 words: a TL;DR should not be longer
POOL = 6  # candidates (in article order) that compete for the TL;DR
CONTENT_WEIGHT = 2.0
POSITION_DECAY = 1.0
MIN_WORDS = 6  # shorter pieces are datelines, captions or chrome, not summary sentences

# Filler that opens a feature without saying anything the reader can use.
_GENERIC = re.compile(
    r"just got (?:a (?:lot|little|bit) |much |even |far )?(?:more|less|better|worse|bigger|hotter|messier)"
    r"|in today[’']s\b|it[’']s no secret|now more than ever|make no mistake|buckle up|let[’']s face it"
    r"|it goes without saying|\blet[’']s (?:say|be (?:honest|clear)|start|begin|look)\b|in (?:a|an|the) (?:world|era|age) (?:where|of)\b|(?:the )?stakes have never been",
    re.IGNORECASE,
)
# Entity labels that make a sentence specific: someone, somewhere, some number or date.
_SPECIFIC = {"PERSON", "ORG", "PRODUCT", "GPE", "NORP", "EVENT", "LAW", "FAC", "LOC", "WORK_OF_ART",
             "MONEY", "PERCENT", "CARDINAL", "DATE", "QUANTITY", "TIME"}
_WORD = re.compile(r"[\w’'-]+")


def is_generic(text: str, ents: list[Span]) -> bool:
    """A sentence (with its entities) that names no one and states no fact, or opens with stock filler."""
    if _GENERIC.search(text):
        return True
    return not any(ent.label_ in _SPECIFIC for ent in ents) and not any(ch.isdigit() for ch in text)


def _norm(word: str) -> str:
    """A crude stem so that "Cuts" in a title meets "cut" in the body."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _keywords(parsed: ParsedArticle, sentences: list[Sentence], ents: list[Span]
              ) -> tuple[set[str], set[str], set[str]]:
    """Title words, the most mentioned names and the most used nouns of the body."""
    title = {_norm(w) for w in _WORD.findall(parsed.layout.title or "") if w.lower() not in STOP_WORDS}
    names: Counter[str] = Counter()
    nouns: Counter[str] = Counter()
    for sentence in sentences:
        span = span_of(parsed, sentence)
        names.update(ent.text for ent in entities_in(ents, sentence.start, sentence.end)
                     if ent.label_ in {"PERSON", "ORG", "PRODUCT", "GPE", "NORP"})
        nouns.update(_norm(t.lemma_) for t in span if t.pos_ in {"NOUN", "PROPN"} and not t.is_stop)
    top_names = {_norm(w) for name, count in names.most_common(5) if count >= 2 for w in _WORD.findall(name)}
    top_nouns = {noun for noun, count in nouns.most_common(10) if count >= 2}
    return title, top_names, top_nouns


def _content(span: Span, keys: tuple[set[str], set[str], set[str]]) -> float:
    """How much of the news a sentence carries: the title's words, the main actors' names and the
    article's most used nouns in it (longer sentences share more words by chance)."""
    title, names, nouns = keys
    words = {_norm(t.text) for t in span if not t.is_punct and not t.is_stop}
    overlap = 2.0 * len(words & title) + 1.5 * len(words & names) + 0.5 * len(words & nouns)
    return overlap / math.sqrt(max(len(span), 1))


def _words(text: str) -> int:
    return len(text.split())


# Said when no sentence of the page is prose: better than a stat line or a menu item as "the news".
NO_PROSE = "This page has no article prose to summarise (it reads as a table, a listing or a list of links)."
# An opener that leans on a sentence before it: out of its place it says nothing.
_DEPENDENT = re.compile(
    r"^(?:In addition(?: to)?|Additionally|Also|Moreover|Furthermore|However|But|And|Meanwhile|Still|Instead"
    r"|Yet|Besides|Likewise|Similarly|Nonetheless|Nevertheless|Even so|As a result|Despite this|Otherwise)\b",
)
_DEMONSTRATIVE = {"this", "that", "these", "those", "such"}


def repeats_title(title: str | None, sentence: str) -> bool:
    """The headline (or standfirst) said again as a sentence: nearly all its words are the title's."""
    if not title:
        return False
    title_words = {_norm(w) for w in _WORD.findall(title) if w.lower() not in STOP_WORDS}
    words = [_norm(w) for w in _WORD.findall(sentence) if w.lower() not in STOP_WORDS]
    if not words or not title_words:
        return False
    shared = sum(w in title_words for w in words) / len(words)
    return shared >= 0.8 and len(words) <= len(title_words) + 3


def is_dependent(span: Span) -> bool:
    """Opens on a connective ("In addition to …", "However") or on "This"/"That" standing for
    something said before."""
    if _DEPENDENT.match(span.text):
        return True
    first = span[0]
    return first.lower_ in _DEMONSTRATIVE and first.dep_ in {"nsubj", "nsubjpass"}


def writer_speaks(span: Span, regions: list[tuple[int, int]] | None = None) -> bool:
    """The writer speaking ("I was on the board"): a first-person "I" as subject outside any
    quotation (inside one it is the speaker's, which is news)."""
    return any(t.lower_ == "i" and t.tag_ == "PRP" and t.dep_ in {"nsubj", "nsubjpass"}
               and not (regions and quoted_share(regions, t.idx, t.idx + len(t)) > 0) for t in span)


def _quote_open(text: str) -> bool:
    """Whether `text` leaves a quotation open: a curly opening mark not closed after it, or an odd
    number of straight double quotes."""
    depth = 0
    for ch in text:
        if ch == "“":
            depth += 1
        elif ch == "”":
            depth = max(0, depth - 1)
    return depth > 0 or text.count('"') % 2 == 1


def in_open_quote(text: str, sentence: Sentence) -> bool:
    """A sentence that opens or closes a quotation it does not hold whole ("“As the waters rose, the
    crews did all they could." of a quote that runs on), or sits inside one opened before it in its
    paragraph: a broken piece of someone's words, not the writer's statement."""
    before = text[sentence.block.start:sentence.start]
    return _quote_open(before) or _quote_open(before + sentence.text)


# A paragraph that stops on a lower-case word with no punctuation has been cut mid-sentence (a page
# whose source lines were kept as paragraphs): the paragraph after it carries the sentence on.
_CUT_END = re.compile(r"(?:^|\s)[a-z][\w’'-]*$")


def is_continuation(parsed: ParsedArticle, sentence: Sentence) -> bool:
    """The opening of a paragraph that goes on with a sentence cut off at the end of the paragraph
    before it ("… sometime between" / "8 AM and 9 PM Wednesday … while she was gone.")."""
    text = parsed.text
    if sentence.start != content_start(text, sentence.block):
        return False
    blocks = parsed.layout.blocks
    index = next((i for i, b in enumerate(blocks) if b.start == sentence.block.start), 0)
    if index == 0:
        return False
    cut = _CUT_END.search(text[blocks[index - 1].start:blocks[index - 1].end].rstrip())
    if not cut:
        return False
    # A byline or a heading may end on a lower-case word ("Posted by the city desk", "How the deal
    # was made"): after one, a paragraph that opens like a sentence starts afresh. After a word no
    # sentence ends on ("between", "the", "could"), or when it opens with a number, "--" or a
    # lower-case word, it goes on with the cut sentence.
    opens = sentence.text.lstrip("\"'“‘([")[:1]
    return cut.group().strip().lower() in STOP_WORDS or not opens.isupper()


def trails_off(text: str) -> bool:
    """Ends on an ellipsis: the sentence breaks off (or was split inside itself) instead of ending."""
    return text.rstrip().rstrip(_CLOSERS).endswith(("...", "…"))


def _content_words(text: str) -> set[str]:
    return {_norm(w) for w in _WORD.findall(text) if w.lower() not in STOP_WORDS}


NEAR_DUPLICATE = 0.6  # share of a sentence's content words already said by the TL;DR's others


def repeats_chosen(sentence: str, chosen: list[str]) -> bool:
    """A sentence that says again what a chosen one already says: most of its content words are there."""
    words = _content_words(sentence)
    if not words:
        return False
    said = set().union(*(_content_words(c) for c in chosen)) if chosen else set()
    return len(words & said) / len(words) >= NEAR_DUPLICATE


# A byline or timestamp line: on a news page it closes the header (headline, standfirst, byline).
_BYLINE_LINE = re.compile(r"^(?:posted|published|updated|last updated|by)\b(?=.{0,80}$)", re.IGNORECASE)
HEADER_BLOCKS = 3


def _header_end(parsed: ParsedArticle) -> int:
    """Where the page's header ends when a byline or timestamp line sits among its first blocks:
    the standfirst above it restates the story and is not its prose."""
    text = parsed.text
    for block in parsed.layout.blocks[:HEADER_BLOCKS]:
        line = text[block.start:block.end]
        match = _BYLINE_LINE.match(line)
        # "By Tuesday the council had voted." is prose: a byline has no sentence end.
        if match and (match.group().lower() != "by" or not line.rstrip().endswith((".", "!", "?"))):
            return block.end
    return 0


def _prose(parsed: ParsedArticle, sentences: list[Sentence], title: str | None) -> list[Sentence]:
    """The well-formed prose among `sentences`; when none starts like a sentence, those that open
    their paragraph in lower case (text written all in lower case)."""
    return [s for s in sentences if is_prose(parsed, s) and not repeats_title(title, s.text)] or \
        [s for s in sentences if is_prose(parsed, s, lower_start=True) and not repeats_title(title, s.text)]


def make_tldr(parsed: ParsedArticle) -> list[str]:
    header = _header_end(parsed)
    sentences = [s for s in parsed.sentences if s.start >= header] or parsed.sentences
    regions = parsed.quoted
    ents = parsed.ents
    title = parsed.layout.title
    # A sentence shown alone must be whole: not a piece of a quote left open, not the tail of a
    # sentence cut at a paragraph break, and with a main clause of its own.
    usable = [s for s in sentences if _words(s.text) >= MIN_WORDS and not is_chrome(s.text)]
    whole = [s for s in usable if not in_open_quote(parsed.text, s) and not is_continuation(parsed, s)
             and not trails_off(s.text) and has_main_clause(span_of(parsed, s))]
    # A page whose every line was cut (source line breaks kept as paragraphs) still gets its best
    # pieces rather than "no prose", which would not be true of it.
    prose = _prose(parsed, whole, title) or _prose(parsed, usable, title)
    if not prose:
        return [NO_PROSE]
    candidates = [s for s in prose if not is_generic(s.text, entities_in(ents, s.start, s.end))
                  and quoted_share(regions, s.start, s.end) < 0.5]
    # The writer's own aside ("I was on the board") is not the news, unless the page opens so (an
    # essay told in the first person).
    if candidates and not writer_speaks(span_of(parsed, candidates[0]), regions):
        candidates = [s for s in candidates if not writer_speaks(span_of(parsed, s), regions)]
    if not candidates:
        # Nothing specific to say: the first real sentence rather than nothing.
        return [prose[0].text]

    # News writing puts the news first: only the opening candidates compete, by position first
    # and then by how much of the news each carries. (Measured on news with reference summaries:
    # ranking the whole article by centrality alone lost to the plain lead.)
    pool = candidates[:POOL]
    spans = {s.start: span_of(parsed, s) for s in pool}
    # The lead states the news by itself: not a sentence that leans on one before it.
    lead = next((s for s in pool if not is_dependent(spans[s.start])), pool[0])
    keys = _keywords(parsed, sentences, ents)
    content = {s.start: _content(spans[s.start], keys) for s in pool}
    top = max(content.values()) or 1.0

    def score(index: int, sentence: Sentence) -> float:
        value = (1.0 + CONTENT_WEIGHT * content[sentence.start] / top) / (1.0 + POSITION_DECAY * index)
        value *= 1.0 - 0.6 * quoted_share(regions, sentence.start, sentence.end)
        if sentence.block.kind == "bullet":
            value *= 0.6  # bullets are detail
        if is_dependent(spans[sentence.start]) and sentence.start < lead.start:
            value = 0.0  # it leans on something the page lost: never before the lead
        if writer_speaks(spans[sentence.start], regions):
            value *= 0.5  # the writer’s own aside, not the news
        return value

    ranked = sorted(((score(i, s), s) for i, s in enumerate(pool) if s is not lead), key=lambda pair: -pair[0])
    # A sentence that leans on the one before it ("Instead, …", "However, …") reads right only
    # after that sentence: it is taken only when its predecessor in the article already was.
    before = {b.start: a.start for a, b in zip(parsed.sentences, parsed.sentences[1:])}
    chosen = [lead]
    budget = WORD_BUDGET - _words(lead.text)
    for value, sentence in ranked:
        if len(chosen) == MAX_SENTENCES or value <= 0:
            break
        if is_dependent(spans[sentence.start]) and before.get(sentence.start) not in {c.start for c in chosen}:
            continue
        if repeats_chosen(sentence.text, [c.text for c in chosen]):
            continue  # says again what the TL;DR already says
        if _words(sentence.text) <= budget:
            chosen.append(sentence)
            budget -= _words(sentence.text)
    return [s.text for s in sorted(chosen, key=lambda s: s.start)]
