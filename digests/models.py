"""The typed surface of the engine: what a digest of one article contains.

Every character offset in a `Digest` refers to `Digest.article.text`, the cleaned article text, so a
consumer can always show where a quote or an implication comes from. Other tools (the store, the
slash commands, the evaluation batch interface) rely on these field names.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

_WORDS = re.compile(r"\w+")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Model):
    """A stretch of the article text: `text == article.text[start:end]`."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class ArticleMeta(_Model):
    """Facts about the article that a caller knows before the engine reads it."""

    title: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    published: str | None = Field(default=None, description="ISO date (YYYY-MM-DD) when known")


class Truncation(_Model):
    """The article was longer than the engine reads (`digests.nlp.MAX_CHARS`): only its opening was
    digested, and `Article.text` is that opening. Every consumer should say so next to the digest."""

    analysed_words: int = Field(ge=0, description="Words of the opening that was digested")
    total_words: int = Field(ge=0, description="Words of the whole text given")

    @property
    def note(self) -> str:
        """What every renderer shows next to such a digest."""
        return (f"Only the first {self.analysed_words:,} of {self.total_words:,} words were digested: "
                "the article is longer than newsdigest reads.")


class Article(_Model):
    id: str = Field(description="Stable id: a hash of the cleaned text")
    title: str | None
    published: str | None = Field(description="ISO date (YYYY-MM-DD) or null")
    url: str | None
    source: str | None
    author: str | None = None
    word_count: int
    text: str = Field(description="The cleaned article text every offset in the digest refers to")
    sections: list[Span] = Field(default_factory=list, description="Section headings")
    truncated: Truncation | None = Field(default=None, description="Set when only the opening was digested")
    language: str | None = Field(default=None, description=(
        'ISO 639-1 code of the language detected in the text ("en", "de", …); when it is not "en" the '
        "digest has only the title, date and a TL;DR of the lead, and no quotes, implications, dispute "
        "or entities"))

    @property
    def notes(self) -> list[str]:
        """The lines every renderer shows next to the digest: the article is not in English, or only
        its opening was digested."""
        from .language import language_note  # py3langid loads only where a note is wanted

        lines = [language_note(self.language)] if self.language is not None else []
        if self.truncated is not None:
            lines.append(self.truncated.note)
        return [line for line in lines if line]


# Academic and medical degrees written after a name ("Jane Doe, Ph.D.,"): what the person holds,
# neither a role nor an organisation.
_DEGREE = re.compile(r"^(?:ph\.?\s?d|m\.?d|m\.?a|m\.?s|m\.?sc|m\.?b\.?a|m\.?p\.?h|r\.?n|d\.?o|d\.?d\.?s|j\.?d)\.?$",
                     re.IGNORECASE)
# A reference mark a wiki page glues to a word ("Netscape Communicator.[6][7]").
_CITATION = re.compile(r"[.,;:]?\s*\[\d+\].*$")


def is_degree(text: str) -> bool:
    return bool(_DEGREE.match(text.strip()))


class Speaker(_Model):
    name: str
    role: str | None = None
    org: str | None = None
    kind: Literal["person", "organisation", "document", "nominal"] = "person"

    @model_validator(mode="before")
    @classmethod
    def _not_the_name_again(cls, data: object) -> object:
        """A role or organisation made only of words of the speaker's own name ("Hori Parata" with
        organisation "Parata") came from a repeat of the name, not from what the text says of them."""
        # (An office keeps its country: "French foreign ministry" with organisation "French".)
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data.get("kind", "person") == "person":
            words = set(_WORDS.findall(data["name"].lower()))
            for part in ("role", "org"):
                value = data.get(part)
                if isinstance(value, str) and _CITATION.search(value):  # "Netscape.[6][7]": a reference mark
                    value = _CITATION.sub("", value).strip() or None
                    data = {**data, part: value}
                if isinstance(value, str) and _DEGREE.match(value):  # "Jane Doe, PhD,": a degree, no role
                    data = {**data, part: None}
                    continue
                found = set(_WORDS.findall(value.lower())) if isinstance(value, str) else set()
                if found and found <= words:
                    data = {**data, part: None}
        return data


# What an attribution's confidence means, for everyone who shows or measures it: at HIGH and above
# the speaker is right almost always (measured: 99%); below LOW it is shown as low confidence.
HIGH_CONFIDENCE = 0.8
LOW_CONFIDENCE = 0.6
ConfidenceBand = Literal["high", "medium", "low"]


def confidence_band(confidence: float) -> ConfidenceBand:
    if confidence >= HIGH_CONFIDENCE:
        return "high"
    return "medium" if confidence >= LOW_CONFIDENCE else "low"


class Quote(_Model):
    text: str = Field(description="Exactly article.text[start:end], quote marks excluded")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    speaker: Speaker | None = Field(description="Null when the text does not support a speaker")
    cue: str | None = Field(default=None, description='The attribution words, e.g. "told Wired"')
    kind: Literal["direct", "partial"]
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the engine is of the speaker")
    # Which attribution rule gave the speaker ("speech verb", "label or sign-off", …): for measuring
    # each rule's accuracy on its own; not part of the digest a user sees, so never serialised.
    path: SkipJsonSchema[str | None] = Field(default=None, exclude=True, repr=False)

    @property
    def confidence_band(self) -> ConfidenceBand:
        return confidence_band(self.confidence)


class Implication(_Model):
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    label: str | None = Field(default=None, description='The bullet label, e.g. "Protecting IP"')


class Party(_Model):
    name: str
    position: str | None = Field(description="What this party says, in the article's words")
    quotes: list[Quote] = Field(default_factory=list)


class Dispute(_Model):
    headline: str
    parties: list[Party]
    allegation: str | None
    actions: list[str] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)


class Entity(_Model):
    name: str
    kind: Literal["person", "organisation", "product"]
    role: str | None = None
    org: str | None = None
    mentions: int = 1


class Claim(_Model):
    """One thing a model-assisted digest says (a TL;DR sentence, an implication, a line of the
    dispute) and the article sentences it rests on. `extractive`: the text is the article's own
    sentence; `abstractive`: the model's wording, every name, number and date of which occurs in
    `sources`."""

    text: str
    kind: Literal["extractive", "abstractive"]
    sources: list[Span] = Field(min_length=1, description="The cited article sentences")
    role: str | None = Field(default=None, description='Where a dispute line goes: "headline", "allegation", '
                             '"action" or "position: <party>"; None for TL;DR and implications')


class SuggestedSpeaker(_Model):
    """A speaker the model suggested for a quote the rules left unattributed, after the checks: a
    person or organisation the article names near the quote."""

    quote: int = Field(ge=0, description="Index into Digest.quotes")
    name: str
    sources: list[Span] = Field(min_length=1, description="The sentences that name the speaker")


class Grounding(_Model):
    """How a model-assisted engine made this digest: what each item cites, and whether the model's
    answer was used at all (`fallback` says why not: the digest is then the offline one)."""

    model: str
    fallback: str | None = Field(default=None, description="Why the offline digest is shown instead; None "
                                 "when the model's checked answer was used")
    tldr: list[Claim] = Field(default_factory=list, description="One per Digest.tldr sentence, same order")
    implications: list[Claim] = Field(default_factory=list, description="One per Digest.implications item, same "
                                      "order: the implication is the cited sentence, the claim its wording")
    dispute: list[Claim] = Field(default_factory=list)
    speakers: list[SuggestedSpeaker] = Field(default_factory=list)
    replaced: int = Field(default=0, ge=0, description="Abstractive sentences replaced by their extractive one")
    dropped: int = Field(default=0, ge=0, description="Items dropped by the checks (a cited id that does not exist…)")


class Digest(_Model):
    article: Article
    tldr: list[str] = Field(min_length=1, max_length=3, description="1-3 sentences of the article")
    quotes: list[Quote] = Field(default_factory=list)
    implications: list[Implication] = Field(default_factory=list)
    dispute: Dispute | None = None
    entities: list[Entity] = Field(default_factory=list)
    engine: str = Field(description="Engine name and version that made this digest")
    grounding: Grounding | None = Field(default=None, description="Set by a model-assisted engine only")

    @model_validator(mode="after")
    def _verbatim(self) -> Digest:
        """Every quote, party quote and implication is the article's own text at its offsets: a
        digest never shows words the article does not have there."""
        text = self.article.text
        parties = self.dispute.parties if self.dispute is not None else []
        spans: list[tuple[str, Span | Quote | Implication]] = [
            *(("quote", q) for q in self.quotes), *(("implication", i) for i in self.implications),
            *(("party quote", q) for p in parties for q in p.quotes)]
        g = self.grounding
        if g is not None:  # what a model-assisted digest cites is the article's text too
            claims = [*g.tldr, *g.implications, *g.dispute]
            spans += [("cited sentence", s) for c in claims for s in c.sources]
            spans += [("speaker source", s) for sp in g.speakers for s in sp.sources]
        for kind, span in spans:
            if span.end < span.start or text[span.start:span.end] != span.text:
                raise ValueError(f"{kind} {span.text[:40]!r} is not article.text[{span.start}:{span.end}]")
        if g is not None:
            self._grounding_matches(g)
        return self

    def _grounding_matches(self, g: Grounding) -> None:
        """The claims are the digest's own items, and an extractive one is the article's words."""
        if g.tldr and [c.text for c in g.tldr] != self.tldr:
            raise ValueError("grounding.tldr does not match the TL;DR")
        if g.implications and len(g.implications) != len(self.implications):
            raise ValueError("grounding.implications does not match the implications")
        for claim, implication in zip(g.implications, self.implications):
            if claim.sources[0].text != implication.text:
                raise ValueError(f"implication {implication.text[:40]!r} is not its claim's first source")
        for claim in [*g.tldr, *g.implications, *g.dispute]:
            if claim.kind == "extractive" and all(claim.text != s.text for s in claim.sources):
                raise ValueError(f"extractive claim {claim.text[:40]!r} is none of its sources")
        for suggestion in g.speakers:
            if suggestion.quote >= len(self.quotes):
                raise ValueError(f"suggested speaker {suggestion.name!r} names quote {suggestion.quote}, "
                                 f"which does not exist")
