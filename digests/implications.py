"""Implications: what the article itself says follows from the news. Precision first: none rather
than filler.

Two sources, in order of trust: a section the author headed as implications ("Why it matters",
"What's next", "Takeaways"...), whose "Label: text" bullets keep their label; and sentences anywhere
that state a consequence of the main event in so many words ("will lead to", "could force",
"means that", "paves the way", "raises questions about", "is likely to", an analyst's "expects …
to"). A modal verb alone ("could") is not enough; a sentence is rejected when it is a counterfactual
that the next sentence answers ("X could have … . Instead, …"), a measurement or specification, a
link, a question, a dangling "This means …", someone's quoted claim, or about something other than
the article's news (it shares no word with the title or the main actors). Every implication is a
verbatim stretch of the article with its offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Implication
from .parsed import ParsedArticle
from .segment import _BULLET_MARK, Block
from .sentences import Sentence, content_start, is_prose, quoted_share, span_of
from .tldr import _WORD, _keywords, _norm

MAX_IMPLICATIONS = 8

_SECTION = re.compile(
    r"\b(?:implications?|what (?:it|this|that) means|why (?:it|this|that) matters|what[’']?s next"
    r"|what comes next|takeaways?|the bigger picture|looking ahead|what to watch|consequences|impact)\b",
    re.IGNORECASE,
)
# A consequence in so many words: a modal and a verb of effect. Strong effects follow any modal;
# a change of amount ("would reduce revenue") only a conditional or a likelihood, since "will
# raise prices" is usually a plan, not a consequence. "may" alone is advice in how-to pages.
_STRONG_EFFECT = (r"(?:lead to|result in|mean|signal|spell|mark the (?:end|start|beginning)|force|pave the way|open the (?:door|way)|make it (?:harder|easier|possible"
                  r"|impossible)|hurt|boost|threaten|affect|reshape|transform|determine|undermine|strengthen|weaken"
                  r"|spur|trigger|prompt|derail|jeopardi[sz]e|put [\w\s]{1,20}? at risk|have (?:implications|consequences"
                  r"|an impact|a (?:big|major|significant|lasting) (?:impact|effect)))")
_WEAK_EFFECT = r"(?:raise|lower|cut|increase|reduce|delay|cost|save|end|change|shape|influence|decide|push|slow|hit)"
_ADVERB = r"(?:\w+ly\s+)?(?:also\s+|further\s+|eventually\s+|soon\s+|ultimately\s+)?"
_CONSEQUENCE = re.compile(
    rf"\b(?:will|would|could|might|(?:is|are) likely to|threatens? to)\s+{_ADVERB}{_STRONG_EFFECT}\b"
    rf"|\b(?:would|could|(?:is|are) likely to)\s+{_ADVERB}{_WEAK_EFFECT}\b"
    r"|(?<!not )\b(?:means|meaning|will mean|would mean) that\b|\bpav(?:es|ed|ing) the way\b|\bopens? the door\b"
    r"|\bsets? a precedent\b|\braises? (?:new |fresh |serious )?(?:questions|concerns|doubts|the (?:question|prospect))\b"
    r"|\b(?:highlights|underscores|signals)\b|\b(?:is|was|are|were|be|as) (?:a|another|the) (?:clear |strong )?sign that\b|\bimplications? for\b|\bconsequences? for\b"
    r"|\b(?:analysts?|experts?|economists?|observers?) (?:say|said|expect|warn|warned|believe)\b[^.]{0,80}"
    r"\b(?:will|would|could|likely)\b",
    re.IGNORECASE,
)
# "highlights", "underscores", "signals": a consequence only as the verb ("The move signals …").
_VERB_ONLY = {"highlights", "underscores", "signals"}
_FIRST_PERSON = {"i", "we"}
# A road not taken ("could have gone", "would have been"), and a hypothesis the next sentence answers.
_COUNTERFACTUAL = re.compile(r"\b(?:could|would|might|should)(?: not|n[’']t)? have (?:been|had|\w+ed|\w+en)\b", re.IGNORECASE)
_HYPOTHETICAL = re.compile(r"\b(?:could|would|might|may)\b", re.IGNORECASE)
_ANSWER = re.compile(r"^(?:Instead|But|However|Yet|In fact|In reality|Rather)\b")
# "This means …", "That would reduce …": the reader shown it alone does not know what "this" is.
_DANGLING = re.compile(r"^(?:This|That|It) (?:means|would|could|will|might|may)\b")
# "means that" states a consequence only when what follows looks ahead ("means that fares will
# rise"); "which means that the project has committed to …" defines a term.
_AHEAD = re.compile(r"\b(?:will|would|could|can|may|might|likely|should|must|going to|ha(?:ve|s) to|no longer|soon)\b",
                    re.IGNORECASE)
# A consequence asked about ("whether it would …") or supposed ("even if it did …") is not stated.
_ASKED = re.compile(r"\b(?:whether|wonder(?:s|ed|ing)?)\b", re.IGNORECASE)
_SUPPOSED = re.compile(r"\beven if\b|\bif (?:\w+ ){1,4}(?:were|had|did|wanted|wished|chose)\b", re.IGNORECASE)
# "would cost around £8million": a price, not a consequence.
_PRICE = re.compile(r"\b(?:cost|save|raise|cut)s?\s+(?:(?:around|about|roughly|nearly|almost|up to|an estimated)\s+)?[£$€¥]\s?\d",
                    re.IGNORECASE)
# An illustration of a general point, and a scene from an earlier year, are not the news's consequences.
_ILLUSTRATION = re.compile(r"^(?:For (?:example|instance)|Say|Suppose|Imagine)\b")
_PAST_YEAR = re.compile(r"^(?:In|By|Back in) (?:the )?(?:1[5-9]\d\d|20[0-2]\d)s?\b")
_DENIED = re.compile(r"\b(?:is|are|was|were)(?: not|n[’']t) likely\b|\bunlikely\b", re.IGNORECASE)
_SIGNPOST = re.compile(r"^(?:Here[’']s|Here is|Here are|Below|In this (?:post|article))\b")
# Specifications and measurements: a number with a unit of size, weight, speed, storage or power.
_MEASURE = re.compile(
    r"\b\d[\d,.]*\s?(?:mm|cm|km|m|in(?:ch(?:es)?)?|ft|feet|GB|MB|TB|KB|GHz|MHz|Hz|mAh|W|kW|kWh|V|kg|g|lbs?|pounds"
    r"|ounces|oz|mph|km/h|fps|MP|megapixels|pixels|nits|ms|px|bits?|cores?|K)\b|\bx\d+\b|\b\d+x\b|\d+\s?x\s?\d+",
)
_LINK = re.compile(r"https?://|www\.|\.com\b|\bclick\b|\bread more\b|\bsee also\b", re.IGNORECASE)
# Priorities when there are more candidates than room: section bullets, then signalled
# consequences, then the rest of an implications section.
_BULLET, _SIGNALLED, _SECTION_TEXT = 0, 1, 2


@dataclass(frozen=True)
class _Candidate:
    priority: int
    start: int
    end: int
    label: str | None


def _section_blocks(parsed: ParsedArticle) -> list[Block]:
    """Body blocks under a heading that announces implications, up to the next heading."""
    text = parsed.text
    inside = False
    out = []
    for block in parsed.layout.blocks:
        if block.kind == "heading":
            inside = bool(_SECTION.search(text[block.start:block.end]))
        elif inside:
            out.append(block)
    return out


def _label(text: str, block: Block) -> str | None:
    if block.label_end is None:
        return None
    mark = _BULLET_MARK.match(text[block.start:block.end])
    return text[block.start + (mark.end() if mark else 0):block.label_end].strip() or None


def _about_the_news(parsed: ParsedArticle, sentence: Sentence, topic: set[str]) -> bool:
    """Shares a word with the title or the article's main actors and nouns."""
    return bool(topic & {_norm(w) for w in _WORD.findall(sentence.text)})


def states_consequence(parsed: ParsedArticle, sentence: Sentence, following: Sentence | None) -> bool:
    """A narrated sentence that says what follows from the news, in so many words."""
    text = sentence.text
    regions = parsed.quoted
    span = span_of(parsed, sentence)

    def counts(match: re.Match[str]) -> bool:
        start = sentence.start + match.start()
        if quoted_share(regions, start, sentence.start + match.end()) > 0:
            return False  # someone's quoted claim, not the article's reading
        if _ASKED.search(text, 0, match.start()):
            return False  # "whether … would increase": a question, not a consequence
        if match.group().lower().split()[0] in {"means", "meaning"} and not _AHEAD.search(text, match.end()):
            return False
        if match.group().lower() in _VERB_ONLY:
            token = next((t for t in span if t.idx == start), None)
            return token is not None and token.pos_ == "VERB"
        return True

    if not any(counts(m) for m in _CONSEQUENCE.finditer(text)):
        return False
    if not is_prose(parsed, sentence) or text.rstrip().endswith("?") or _SIGNPOST.match(text):
        return False
    # Mostly someone's words, or the opening of a quotation that runs on past this sentence.
    if quoted_share(regions, sentence.start, sentence.end) >= 0.5 or text[:1] in "\"“‘'":
        return False
    if _DENIED.search(text):
        return False
    # The writer's own musing ("I mean that", "we expect") is not a consequence of the news.
    if any(t.lower_ in _FIRST_PERSON and t.dep_ in {"nsubj", "nsubjpass"} for t in span
           if quoted_share(regions, t.idx, t.idx + 1) == 0):
        return False
    if _DANGLING.match(text) or _MEASURE.search(text) or _LINK.search(text):
        return False
    if _COUNTERFACTUAL.search(text) or _SUPPOSED.search(text) or _ILLUSTRATION.match(text) or _PRICE.search(text):
        return False
    if _PAST_YEAR.match(text) and any(t.dep_ == "ROOT" and t.tag_ == "VBD" for t in span):
        return False  # "In 1961, he found that … could lead to …": history, not this news
    answered = following is not None and bool(_ANSWER.match(following.text))
    return not (answered and _HYPOTHETICAL.search(text))


def find_implications(parsed: ParsedArticle) -> list[Implication]:
    text = parsed.text
    section = _section_blocks(parsed)
    in_section = set(section)
    candidates: list[_Candidate] = []
    for block in section:
        if block.kind == "bullet":
            start = content_start(text, block)
            if start < block.end:
                candidates.append(_Candidate(_BULLET, start, block.end, _label(text, block)))

    sentences = parsed.sentences
    title, names, nouns = _keywords(parsed, sentences, parsed.ents)
    topic = title | names | nouns
    for index, sentence in enumerate(sentences):
        if sentence.block.kind == "bullet" and sentence.block in in_section:
            continue  # already taken whole, with its label
        following = sentences[index + 1] if index + 1 < len(sentences) else None
        if sentence.block in in_section:
            if is_prose(parsed, sentence) and not _DANGLING.match(sentence.text):
                candidates.append(_Candidate(_SECTION_TEXT, sentence.start, sentence.end, None))
        elif states_consequence(parsed, sentence, following) and _about_the_news(parsed, sentence, topic):
            candidates.append(_Candidate(_SIGNALLED, sentence.start, sentence.end, None))

    kept: list[_Candidate] = []
    seen: set[str] = set()
    for cand in sorted(candidates, key=lambda c: (c.priority, c.start)):
        key = " ".join(text[cand.start:cand.end].casefold().split())
        overlaps = any(cand.start < k.end and k.start < cand.end for k in kept)
        if key in seen or overlaps:
            continue
        seen.add(key)
        kept.append(cand)
        if len(kept) == MAX_IMPLICATIONS:
            break
    return [Implication(text=text[c.start:c.end], start=c.start, end=c.end, label=c.label)
            for c in sorted(kept, key=lambda c: c.start)]
