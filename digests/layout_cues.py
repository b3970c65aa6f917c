"""Where the layout, not a speech verb, says who speaks a quote.

Transcripts and round-ups name the speaker with a label ("Jane Doe: “…”", "HEADLINE - Jane Doe,
Acme: “…”"), pull quotes sign off with a dash and a name on the next line ("“…” / — Jane Doe,
Ohio"), and long quotes are introduced by a paragraph ending in a colon ("Doe went on:"). These
finders only point at the words that name the speaker; `speakers` resolves them like any other
mention, so a label by surname still finds the full name given earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Token

from .lexicon import HONORIFICS
from .parsed import ParsedArticle
from .quote_spans import QuoteSpan, looks_like_title
from .segment import Block
from .sentence_ends import sentence_ends
from .tokens import strip_possessive, tokens_in

# A label: capitalised words (a name, maybe an affiliation after a comma or in parentheses), a colon,
# nothing else, at the start of the paragraph or after a dash that ends a heading-like lead.
_LABEL = re.compile(r"(?:^|\s[-\u2013\u2014]\s?|^[-\u2013\u2014]\s?)"
                    r"((?:More from |From )?[A-Z][\w.'\u2019-]*(?:[ ,]+(?:and |of |for |the )?[A-Z(][\w.'\u2019()-]*){0,7})"
                    r"\s?:\s*$")
# A sign-off: a dash, then a capitalised name.
_DASH_NAME = re.compile(r"\s*[-\u2013\u2014]{1,2}\s?(?=[A-Z])")
LABEL_CHARS = 200  # a label is short; never read a long paragraph for one


@dataclass
class Mention:
    """The tokens that name a speaker and the token to resolve among them."""

    head: Token
    tokens: list[Token]

    @property
    def allowed(self) -> set[int]:
        return {t.i for t in self.tokens}


def _name_in(tokens: list[Token]) -> Mention | None:
    """The first person or organisation the words name (its last token is the head to resolve)."""
    for t in tokens:
        if t.ent_type_ in {"PERSON", "ORG"} and t.ent_iob_ == "B":
            end = t.i
            while end + 1 < len(t.doc) and t.doc[end + 1].ent_iob_ == "I" and t.doc[end + 1] in tokens:
                end += 1
            return Mention(t.doc[end], tokens)
    names = [t for t in tokens if t.pos_ == "PROPN" and t.text[:1].isupper()]
    if not names:
        return None
    # The last word of the first run of proper nouns: "Jane Doe of Acme" → Doe.
    head = names[0]
    while head.i + 1 < len(head.doc) and head.doc[head.i + 1] in names:
        head = head.doc[head.i + 1]
    return Mention(head, tokens)


def label_before(parsed: ParsedArticle, span: QuoteSpan, block: Block) -> Mention | None:
    """ "Jane Doe: “…”", "HEADLINE IN CAPITALS - Jane Doe and John Roe: “…”", "Rep. Jane Doe (D-Ohio):“…”"."""
    text = parsed.text
    lead = text[max(block.start, span.open - LABEL_CHARS):span.open]
    match = _LABEL.search(lead)
    if match is None:
        return None
    start = span.open - len(lead) + match.start(1)
    if match.start() > 0 and not match.group(0)[:1].isspace() and start > block.start:
        return None
    if match.start() == 0 and span.open - len(lead) > block.start:
        return None  # the lead was cut off in the middle of a long paragraph
    return _name_in(tokens_in(parsed.doc, start, start + len(match.group(1))))


def label_inside(parsed: ParsedArticle, span: QuoteSpan) -> Mention | None:
    """ "“Jane Doe: We will not …”": a transcript line quoted whole, its label inside the marks."""
    inner = parsed.text[span.start:min(span.end, span.start + 60)]
    match = re.match(r"([A-Z][\w.'\u2019-]*(?: [A-Z][\w.'\u2019-]*){0,3}):\s", inner)
    if match is None:
        return None
    # "“Story: Shellfish”", "“Paradise Lost: Contemporary Pacific Art”": a title and its subtitle,
    # as reference lists quote them; a transcript's line after the label reads as a sentence.
    if looks_like_title(parsed.text[span.start + match.end():span.end]):
        return None
    mention = _name_in(tokens_in(parsed.doc, span.start, span.start + len(match.group(1))))
    # The label is a name the model knows for a person or organisation, not any capitalised words.
    return mention if mention is not None and mention.head.ent_type_ in {"PERSON", "ORG"} else None


def dash_after(parsed: ParsedArticle, span: QuoteSpan, block: Block, next_block: Block | None) -> Mention | None:
    """ "“…” — Jane Doe, Ohio" in the same paragraph, or a pull quote followed by a paragraph that
    opens with a dash and a name."""
    text = parsed.text
    tail = text[span.close + 1:block.end]
    where = span.close + 1
    if not tail.strip() and next_block is not None:
        where, tail = next_block.start, text[next_block.start:next_block.end]
    match = _DASH_NAME.match(tail)
    if match is None:
        return None
    start = where + match.end()
    # The name runs to the first comma or the end of the line.
    end = start + len(re.split(r"[,.;(]|\s[-\u2013\u2014]", text[start:start + 80])[0])
    return _name_in(tokens_in(parsed.doc, start, end))


def colon_lead(parsed: ParsedArticle, span: QuoteSpan, blocks: list[Block], spans: list[QuoteSpan]) -> list[Token]:
    """The last sentence of the paragraph before, when it ends with a colon and the quote opens its
    own paragraph ("Doe went on:" / "“…”"): outside any quote marks, the words that introduce it."""
    block = blocks[span.block]
    if span.open != block.start or span.block == 0:
        return []
    before = blocks[span.block - 1]
    if before.kind == "heading":
        return []
    lead = parsed.text[before.start:before.end].rstrip()
    if not lead.endswith(":"):
        return []
    start = before.start
    ends = sentence_ends(lead[:-1])  # "Sen. Doe went on:" is one sentence
    if ends:
        start = before.start + ends[-1].end()
    inside = [(s.open, s.close) for s in spans if s.block == span.block - 1]
    return [t for t in tokens_in(parsed.doc, start, before.start + len(lead))
            if not any(o <= t.idx <= c for o, c in inside)]


def reporting_sentence(parsed: ParsedArticle, span: QuoteSpan, block: Block, previous: QuoteSpan | None) -> list[Token]:
    """The sentence right before a quote that stands alone in its paragraph ("Doe defended the
    plan. “It works.”"): the writer's report of who speaks next."""
    start = block.start if previous is None else previous.close + 1
    if span.open <= start:
        return []
    tokens = tokens_in(parsed.doc, start, span.open)
    words = [t for t in tokens if not t.is_space]
    if not words or words[-1].text not in {".", ":"}:
        return []
    # The sentence's own start, by the sentence ends that skip abbreviations ("Sen. Doe spoke."):
    # the parser's sentences break at them.
    lead = parsed.text[start:words[-1].idx]
    ends = sentence_ends(lead)
    sentence_start = start + ends[-1].end() if ends else start
    if previous is not None and not re.search(r"[.!?]", parsed.text[previous.close + 1:max(start, sentence_start)]):
        return []  # the sentence is the previous quote's own attribution: that quote's speaker carries on
    return [t for t in words if t.idx >= sentence_start]


def headline_speaker(parsed: ParsedArticle, span: QuoteSpan, block: Block, spans: list[QuoteSpan]) -> str | None:
    """Who a headline quotes, as the headline writes the name: the label before its colon ("Doe:
    Plan Is ‘Dead’"), else its opening name ("Doe ‘Glad To Finish’ Fight"), else the first person
    it names outside its quote marks ("Plan Is ‘Dead,’ Jane Doe Says"). Title case fools the
    tagger, so a label is taken as written when it is a few capitalised words."""
    text = parsed.text
    colon = text.find(":", block.start, span.open)
    if colon > block.start:
        label = text[block.start:colon].strip()
        label_words = label.split()
        if 1 <= len(label_words) <= 4 and all(w[:1].isupper() for w in label_words):
            return label
    marks = [(s.open, s.close) for s in spans if s.block == span.block]
    words = [t for t in tokens_in(parsed.doc, block.start, block.end) if not any(o <= t.idx <= c for o, c in marks)]
    if not words:
        return None
    while len(words) > 1 and words[0].lower_.rstrip(".") in HONORIFICS:
        words = words[1:]
    first = words[0]
    # A place opening a headline is where the news is ("Nevada a ‘Newcomer’"), not who speaks.
    if first.ent_type_ == "PERSON" or (first.pos_ == "PROPN" and first.ent_type_ in {"", "ORG"}):
        return _entity_text(first) if first.ent_iob_ == "B" else strip_possessive(first.text)
    person = next((t for t in words if t.ent_type_ == "PERSON" and t.ent_iob_ == "B"), None)
    return _entity_text(person) if person is not None else None


def _entity_text(token: Token) -> str:
    """The words of the entity a token opens, without a possessive."""
    end = token.i + 1
    while end < len(token.doc) and token.doc[end].ent_iob_ == "I":
        end += 1
    return strip_possessive(token.doc[token.i:end].text)


def report_before_paragraph(parsed: ParsedArticle, span: QuoteSpan, blocks: list[Block],
                            spans: list[QuoteSpan]) -> list[Token]:
    """A quote that is a paragraph of its own after a paragraph ending in the writer's sentence
    about someone ("Doe is upbeat about the race." / "“…”"): that last sentence, with no quote
    marks in it, is the report of who speaks next."""
    block = blocks[span.block]
    if span.open != block.start or span.block == 0 or parsed.text[span.close + 1:block.end].strip():
        return []
    before = blocks[span.block - 1]
    if before.kind == "heading" or any(s.block == span.block - 1 and s.close >= before.end - 2 for s in spans):
        return []
    lead = parsed.text[before.start:before.end].rstrip()
    if not lead.endswith("."):
        return []
    start = before.start
    ends = list(re.finditer(r"[.!?][\"'\u201d\u2019]?\s", lead[:-1]))
    if ends:
        start = before.start + ends[-1].end()
    if any(start <= s.open < before.end for s in spans):
        return []
    return [t for t in tokens_in(parsed.doc, start, before.start + len(lead)) if not t.is_space]
