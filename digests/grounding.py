"""Grounding a language model's answer in the article: pure text logic, no network.

A model-assisted engine (bot/llm.py) runs the offline engine first, numbers the article's body
sentences and its quotes (`numbered`, `prompt`), asks the model for an `Answer` (the JSON schema
sent is `Answer.model_json_schema()`), then `ground` checks every item against the article before
anything is shown:

- quotes only ever come from the offline digest: the answer can only refer to them by id;
- a cited sentence or quote id that does not exist drops the item;
- every name, number and date of a sentence in the model's words, and anything it puts in quote
  marks, must occur in the sentences it cites, else the first cited sentence replaces it;
- a suggested speaker must be a person or organisation the article names, near the quote;
- a dispute party must be an actor named in the article, and its position is the article's own
  sentence it cites (every renderer shows a position in quote marks).

What survives is recorded in `Digest.grounding` (extractive or abstractive, and what it cites).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from .entities import same_name
from .models import (
    Claim,
    Digest,
    Dispute,
    Entity,
    Grounding,
    Implication,
    Party,
    Quote,
    Span,
    Speaker,
    SuggestedSpeaker,
)
from .parsed import ParsedArticle

# The confidence of a model's speaker suggestion: below LOW_CONFIDENCE, so every renderer labels it
# "low confidence" (the rules did not find the speaker; a model guessed one the article names).
SUGGESTED_CONFIDENCE = 0.5
SUGGESTED_PATH = "model suggestion"
# A suggested speaker must be named within this many characters of the quote.
NEAR = 300
# Longest sentence in the model's words that is shown (a TL;DR sentence is short).
MAX_WORDS = 60
MAX_TLDR = 3
MAX_IMPLICATIONS = 5
# Quote and entity labels of spaCy's English model that are actors.
_ACTOR_LABELS = {"PERSON": "person", "ORG": "organisation", "NORP": "organisation", "GPE": "organisation"}


class Ungrounded(Exception):
    """Nothing of the model's answer survived the checks: the offline digest is shown."""


# The answer's schema -------------------------------------------------------------------------------

class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cited(_Answer):
    text: str = Field(description="One sentence in your words, or a numbered sentence copied")
    sentences: list[int] = Field(description="Ids of the numbered sentences it rests on")


class SpeakerAnswer(_Answer):
    quote: int = Field(description="Id of an unattributed quote")
    speaker: str = Field(description="The person or organisation the article says spoke it, as the article names them")
    sentences: list[int] = Field(description="Ids of the sentences that name the speaker")


class PartyAnswer(_Answer):
    name: str = Field(description="A person or organisation named in the article")
    position: Cited | None
    quotes: list[int] = Field(description="Ids of this party's quotes")


class DisputeAnswer(_Answer):
    headline: Cited
    allegation: Cited | None
    actions: list[Cited]
    parties: list[PartyAnswer]


class Answer(_Answer):
    """What the model must answer, and nothing else."""

    tldr: list[Cited] = Field(description=f"1 to {MAX_TLDR} sentences summing up the article")
    implications: list[Cited] = Field(description=f"At most {MAX_IMPLICATIONS} consequences the article states")
    dispute: DisputeAnswer | None = Field(description="The dispute the article reports, or null")
    speakers: list[SpeakerAnswer] = Field(description="Speakers for unattributed quotes, only where the article names them")


# The numbered article -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Numbered:
    """The article as the model sees it: sentence ids and quote ids start at 1."""

    article_id: str  # what answers are cached by (with the model)
    title: str | None
    sentences: list[Span]
    quotes: list[Quote]
    actors: dict[str, str]  # name as written → "person" | "organisation"

    def sentence(self, sid: int) -> Span | None:
        return self.sentences[sid - 1] if 1 <= sid <= len(self.sentences) else None

    def quote(self, qid: int) -> Quote | None:
        return self.quotes[qid - 1] if 1 <= qid <= len(self.quotes) else None


def numbered(parsed: ParsedArticle, quotes: Sequence[Quote], entities: Sequence[Entity], article_id: str,
             title: str | None = None, max_chars: int | None = None) -> Numbered:
    """The body sentences (the first ones within `max_chars` of text, when given) and the offline
    quotes, numbered; the actors are the people and organisations the article names."""
    sentences: list[Span] = []
    used = 0
    for s in parsed.sentences:
        used += len(s.text) + 8
        if max_chars is not None and used > max_chars and sentences:
            break
        sentences.append(Span(text=s.text, start=s.start, end=s.end))
    # The offline engine's entities and speakers first: their kind is its considered choice.
    actors: dict[str, str] = {}
    for entity in entities:
        if entity.kind in ("person", "organisation"):
            actors.setdefault(entity.name, entity.kind)
    for q in quotes:
        if q.speaker is not None and q.speaker.kind in ("person", "organisation"):
            actors.setdefault(q.speaker.name, q.speaker.kind)
    for ent in parsed.ents:
        if ent.label_ in _ACTOR_LABELS:
            actors.setdefault(ent.text.strip(), _ACTOR_LABELS[ent.label_])
    return Numbered(article_id=article_id, title=title, sentences=sentences, quotes=list(quotes), actors=actors)


def numbered_digest(parsed: ParsedArticle, digest: Digest, max_chars: int | None = None) -> Numbered:
    """`numbered` for a digest the offline engine made of `parsed`."""
    return numbered(parsed, digest.quotes, digest.entities, digest.article.id, digest.article.title, max_chars)


def _speaker_line(quote: Quote) -> str:
    return quote.speaker.name if quote.speaker is not None else "unattributed"


def prompt(article: Numbered) -> str:
    """The user message: the numbered sentences, then the numbered quotes with their speakers."""
    lines = [f"Title: {article.title}" if article.title else "Title: (none)", "", "Sentences:"]
    lines += [f"[{i}] {s.text}" for i, s in enumerate(article.sentences, 1)]
    lines += ["", "Quotes (found by rules; you cannot add any):"]
    lines += [f"[{i}] \u201c{q.text}\u201d \u2014 {_speaker_line(q)}" for i, q in enumerate(article.quotes, 1)]
    if not article.quotes:
        lines.append("(none)")
    return "\n".join(lines)


INSTRUCTIONS = (
    "You summarise one news article. Use only what the numbered sentences say. Every item cites the ids "
    "of the sentences it rests on; every name, number and date you write must appear in the sentences "
    "you cite. Do not quote: quotes are referred to by their id only. Suggest a speaker only for a quote "
    "marked unattributed, and only a person or organisation the sentences near it name. Give a dispute "
    "only when the article reports one between named parties. Answer with one JSON object that matches "
    "the schema, and nothing else.")


# Checks -------------------------------------------------------------------------------------------

# Words, with hyphenated parts apart ("Wellington-based" is two); numbers with their separators.
_TOKEN = re.compile(r"\d(?:[\d,.:/]*\d)?|[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_QUOTED = re.compile(r"\"([^\"\n]+)\"|\u201c([^\u201d\n]+)\u201d")
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000", "million": "1000000",
    "billion": "1000000000", "dozen": "12", "half": "0.5", "third": "3", "quarter": "4", "double": "2",
    "twice": "2", "triple": "3", "first": "1", "second": "2"}
# Words that may open a sentence capitalised without being a name.
_OPENERS = {"a", "an", "the", "in", "on", "at", "it", "its", "this", "that", "these", "those", "he", "she", "they",
            "we", "i", "but", "and", "after", "before", "while", "as", "for", "with", "their", "his", "her", "both",
            "some", "many", "if", "when", "there", "so", "by", "from", "to", "of", "under", "despite", "meanwhile"}


def _norm_number(token: str) -> str:
    return token.replace(",", "")


def _possessive(token: str) -> str:
    return re.sub(r"['\u2019]s$", "", token)


def unsupported(text: str, sources: Sequence[Span]) -> list[str]:
    """The names, numbers, dates and quoted words of `text` that its sources do not contain."""
    source = " ".join(s.text for s in sources)
    words = {_possessive(t) for t in _TOKEN.findall(source)}
    lower = {w.casefold() for w in words}
    numbers = {_norm_number(t) for t in words if t[0].isdigit()}
    numbers |= {_NUMBER_WORDS[w] for w in lower if w in _NUMBER_WORDS}
    missing: list[str] = []
    for match in _QUOTED.finditer(text):
        quoted = (match.group(1) or match.group(2)).strip()
        if quoted not in source:
            missing.append(f"\u201c{quoted}\u201d")
    for i, token in enumerate(_TOKEN.findall(text)):
        token = _possessive(token)
        folded = token.casefold()
        if token[0].isdigit():
            if _norm_number(token) not in numbers:
                missing.append(token)
        elif folded in _NUMBER_WORDS:
            if folded not in lower and _NUMBER_WORDS[folded] not in numbers:
                missing.append(token)
        elif token[0].isupper():
            if token in words or folded in _OPENERS and i == 0:
                continue
            if i == 0 and folded in lower:  # "Officials said" where the source has "officials"
                continue
            missing.append(token)
    return missing


@dataclass
class _Tally:
    replaced: int = 0
    dropped: int = 0


def _claim(item: Cited, article: Numbered, tally: _Tally, role: str | None = None) -> Claim | None:
    """The item as a checked claim: None (dropped) when it cites nothing or an id that does not
    exist; the first cited sentence when its own words are not supported by what it cites."""
    sources = [article.sentence(sid) for sid in dict.fromkeys(item.sentences)]
    if not sources or any(s is None for s in sources):
        tally.dropped += 1
        return None
    cited = [s for s in sources if s is not None]
    text = " ".join(item.text.split())
    for s in cited:
        if text == " ".join(s.text.split()):
            return Claim(text=s.text, kind="extractive", sources=cited, role=role)
    if not text or len(text.split()) > MAX_WORDS or unsupported(text, cited):
        tally.replaced += 1
        return Claim(text=cited[0].text, kind="extractive", sources=cited, role=role)
    return Claim(text=text, kind="abstractive", sources=cited, role=role)


def _claims(items: Iterable[Cited], article: Numbered, tally: _Tally, limit: int) -> list[Claim]:
    out: list[Claim] = []
    for item in items:
        claim = _claim(item, article, tally)
        if claim is not None and all(claim.text != c.text for c in out):
            out.append(claim)
    return out[:limit]


def _occurs(name: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _actor(name: str, article: Numbered, text: str) -> tuple[str, str] | None:
    """The actor of the article `name` refers to, and its kind: an actor's own name, or a longer
    spelling of it that the article writes ("Ana Reti" for the entity "Reti"), or a shorter one."""
    name = " ".join(name.split())
    if not name:
        return None
    for written, kind in article.actors.items():
        if written == name:
            return written, kind
    for written, kind in article.actors.items():
        if same_name(written, name) and (len(name) <= len(written) or _occurs(name, text)):
            return (written if len(name) <= len(written) else name), kind
    return None


def _named_near(name: str, text: str, quote: Quote) -> bool:
    window = text[max(0, quote.start - NEAR):quote.start] + " " + text[quote.end:quote.end + NEAR]
    return any(_occurs(p, window) for p in (name, name.split()[-1]))


def _speakers(answer: Answer, article: Numbered, text: str, tally: _Tally) -> list[SuggestedSpeaker]:
    out: list[SuggestedSpeaker] = []
    for item in answer.speakers:
        quote = article.quote(item.quote)
        sources = [article.sentence(sid) for sid in item.sentences]
        actor = _actor(item.speaker, article, text)
        cited = [s for s in sources if s is not None]
        if (quote is None or quote.speaker is not None or not sources or len(cited) != len(sources)
                or actor is None or not _named_near(actor[0], text, quote)
                or not any(actor[0].split()[-1] in s.text for s in cited)
                or any(o.quote == item.quote - 1 for o in out)):
            tally.dropped += 1
            continue
        out.append(SuggestedSpeaker(quote=item.quote - 1, name=actor[0], sources=cited))
    return out


def _suggested(quotes: Sequence[Quote], article: Numbered, text: str,
               suggestions: Sequence[SuggestedSpeaker]) -> list[Quote]:
    """The quotes with the checked suggestions as their speakers, at SUGGESTED_CONFIDENCE."""
    out = list(quotes)
    for s in suggestions:
        actor = _actor(s.name, article, text)
        speaker = Speaker(name=s.name, kind="organisation" if actor and actor[1] == "organisation" else "person")
        out[s.quote] = out[s.quote].model_copy(update={
            "speaker": speaker, "confidence": SUGGESTED_CONFIDENCE, "cue": None, "path": SUGGESTED_PATH})
    return out


def suggest_speakers(article: Numbered, answer: Answer, text: str) -> list[Quote]:
    """The article's quotes with the answer's speaker suggestions that pass the checks (the quote
    evaluation's view of the model: `text` is what the quote offsets refer to)."""
    return _suggested(article.quotes, article, text, _speakers(answer, article, text, _Tally()))


def _dispute(answer: DisputeAnswer, article: Numbered, quotes: list[Quote], text: str,
             tally: _Tally) -> tuple[Dispute, list[Claim]] | None:
    """The model's dispute, or None (the offline one stays) when fewer than two parties survive."""
    claims: list[Claim] = []
    parties: list[Party] = []
    for p in answer.parties:
        actor = _actor(p.name, article, text)
        ids = list(dict.fromkeys(p.quotes))
        if actor is None or any(article.quote(qid) is None for qid in ids) or any(x.name == actor[0] for x in parties):
            tally.dropped += 1
            continue
        position = _claim(p.position, article, tally, role=f"position: {actor[0]}") if p.position else None
        if position is not None and position.kind == "abstractive":
            # Every renderer shows a position in quote marks, as the article's words: the sentence it cites.
            position = Claim(text=position.sources[0].text, kind="extractive", sources=position.sources,
                             role=position.role)
        if position is not None:
            claims.append(position)
        parties.append(Party(name=actor[0], position=position.text if position else None,
                             quotes=[quotes[qid - 1] for qid in ids]))
    headline = _claim(answer.headline, article, tally, role="headline")
    if len(parties) < 2 or headline is None:
        return None
    allegation = _claim(answer.allegation, article, tally, role="allegation") if answer.allegation else None
    actions = [c for c in (_claim(a, article, tally, role="action") for a in answer.actions) if c is not None]
    claims = [headline, *([allegation] if allegation else []), *actions, *claims]
    dispute = Dispute(headline=headline.text, parties=parties, allegation=allegation.text if allegation else None,
                      actions=[a.text for a in actions])
    return dispute, claims


def ground(offline: Digest, article: Numbered, answer: Answer, model: str, engine: str) -> Digest:
    """The offline digest with the model's checked items in place: Ungrounded when no TL;DR
    sentence survives."""
    tally = _Tally()
    tldr = _claims(answer.tldr, article, tally, MAX_TLDR)
    if not tldr:
        raise Ungrounded("every TL;DR sentence was dropped by the checks")
    implications = _claims(answer.implications, article, tally, MAX_IMPLICATIONS)
    speakers = _speakers(answer, article, offline.article.text, tally)
    quotes = _suggested(offline.quotes, article, offline.article.text, speakers)
    dispute, dispute_claims = offline.dispute, list[Claim]()
    if answer.dispute is not None:
        found = _dispute(answer.dispute, article, quotes, offline.article.text, tally)
        if found is not None:
            dispute, dispute_claims = found
    grounding = Grounding(model=model, tldr=tldr, implications=implications, dispute=dispute_claims,
                          speakers=speakers, replaced=tally.replaced, dropped=tally.dropped)
    shown = [Implication(text=c.sources[0].text, start=c.sources[0].start, end=c.sources[0].end)
             for c in implications] if implications else list(offline.implications)
    # Built anew, not copied, so that the Digest's own checks (the verbatim rule) run on the result.
    return Digest(article=offline.article, tldr=[c.text for c in tldr], quotes=quotes, implications=shown,
                  dispute=dispute, entities=offline.entities, engine=engine, grounding=grounding)


def offline_marked(offline: Digest, model: str, engine: str, reason: str) -> Digest:
    """The offline digest, saying that the model's answer was not used and why."""
    return Digest(article=offline.article, tldr=offline.tldr, quotes=offline.quotes,
                  implications=offline.implications, dispute=offline.dispute, entities=offline.entities,
                  engine=engine, grounding=Grounding(model=model, fallback=reason))
