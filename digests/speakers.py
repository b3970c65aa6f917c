"""Put a speaker on each quotation the way an editor reads the article: the order of the paths.

This module's job is the decision for each quote of which path gives its speaker; finding a cue
and its subject in the quote's sentence is `cues`' job, reading the layout `layout_cues`', and
turning a mention into a person or organisation `mentions`'.

For every quote, look at the words around it in its own sentence (outside any quote marks): a
speech verb there ("said", "told Wired", "according to") and that verb's grammatical subject give the
speaker mention, which `mentions` turns into a person or organisation. Where no speech verb frames
the quote, a cue outside the speech list (a verb of communication or judgment, a reporting noun,
"as X puts it"), a verb of another kind with a person for subject, the name right after the quote, or the
layout (`layout_cues`: labels, dash sign-offs, a paragraph ending in a colon, a sentence reporting
what someone did right before a standalone quote) gives it, at lower confidence.

A quote with no frame of its own inherits the speaker of the quote it continues (same paragraph, or
a paragraph that opens with a quote after one left open, in the low band). Where nothing in the
text supports a speaker, the quote stays unattributed. Each attribution records the rule that made it
(`Quote.path`), so that `newsdigest eval quotes` measures every rule's accuracy on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spacy.tokens import Doc, Token

from . import cues, layout_cues
from .lexicon import SPEECH_VERBS, first_name_gender
from .mentions import Person, Registry, Resolver, looks_like_surname
from .models import Quote, Speaker
from .parsed import ParsedArticle
from .quote_spans import QuoteSpan, looks_like_scare_quote, looks_like_title
from .tokens import tokens_in


@dataclass
class Attribution:
    person: Person | None
    cue: str | None
    confidence: float
    # Found through a verb outside the speech list: not enough to keep a scare quote or a title.
    weak: bool = False
    # Which rule found it, measured on its own by `newsdigest eval quotes`.
    path: str | None = None


def _from_verbs(resolver: Resolver, span: QuoteSpan, frame: cues.Frame,
                candidates: list[tuple[Token, bool]]) -> tuple[Attribution | None, Attribution | None]:
    """The speaker the first of the candidate verbs with a named subject gives, and the first bare
    description ("a spokeswoman") found on the way, to fall back on."""
    allowed = frame.allowed
    fallback: Attribution | None = None
    for verb, may_invert in candidates:
        subject = cues.subject(verb, allowed)
        if may_invert and (subject is None or subject.idx < span.open):
            # "“…?” asked Doe": the name right after a verb that follows the quote beats a subject
            # the parser found before the quote.
            subject = cues.inverted_subject(verb, frame.after) or subject
        if subject is None:
            subject = cues.name_just_before(verb, allowed)
        if subject is None and verb.idx < span.open and frame.before and frame.before[0].i <= verb.i \
                and all(t.is_punct or t.is_space for t in frame.before if t.i < verb.i):
            # "“The risk,” said Jane Doe, an economist, “is that …”": a quote the attribution
            # interrupts; the name right after the verb opening the gap speaks the second part too.
            named = cues.inverted_subject(verb, [t for t in frame.before if t.i > verb.i])
            subject = named if named is not None and named.ent_type_ == "PERSON" \
                and named.dep_ not in {"dobj", "dative", "iobj", "pobj"} else None  # not "thanked Doe"
        if subject is None:
            continue
        if subject.ent_type_ in cues.NOT_SPEAKERS:
            subject = cues.name_before(verb, subject, frame.sentence) or subject
        person, confidence = resolver.resolve(subject, allowed)
        if person is None:
            continue
        if person.kind == "person" and person.org is None:
            person.org = cues.clause_org(verb)
        attribution = Attribution(person, cues.cue_text(verb, allowed), confidence, path="speech verb")
        if person.kind != "nominal":
            return _reported_by(resolver, frame, verb) or attribution, fallback
        fallback = fallback or attribution
    return None, fallback


def _find(resolver: Resolver, parsed: ParsedArticle, span: QuoteSpan, frame: cues.Frame) -> Attribution | None:
    allowed = frame.allowed
    candidates: list[tuple[Token, bool]] = []  # (verb, may take an inverted subject)
    governing = cues.governing_verbs(parsed.doc, span, allowed)
    candidates += [(v, False) for v in governing]
    after_verbs = [t for t in frame.after if cues.is_speech_verb(t)]
    # "“…,” says Doe" and "“…” but to lead, says Doe, a consultant": the first verb after the quote
    # takes the name right after it when it sits by the quote or is followed by a name.
    candidates += [(v, n == 0 and (v.idx - span.close <= 4 or cues.name_follows(v, allowed)))
                   for n, v in enumerate(after_verbs)]
    colon = cues.verb_before_colon(frame.before, span)
    if colon is not None:
        candidates.append((colon, False))
    candidates += [(v, False) for v in reversed([t for t in frame.before if cues.is_speech_verb(t)])]
    issued = cues.verb_of_statement(frame.before, span)
    if issued is not None and all(issued != v for v, _ in candidates):
        candidates.append((issued, False))
    # "After Roe asked …, Doe replied: “…”": a speech verb in a clause that only sets the scene
    # speaks the quote only when nothing else in the sentence does. A verb that governs the quote
    # is in such a clause only when the clause opens after the quote ("“…,” Doe said, after Roe
    # said …", parsed with "after Roe said" as the main clause).
    scene = {v.i for v, _ in candidates if (opener := cues.subordinate(v)) is not None
             and (v not in governing or opener.idx > span.close)}
    found, fallback = _from_verbs(resolver, span, frame, [c for c in candidates if c[0].i not in scene])
    if found is not None:
        return found
    if fallback is None:
        found = (_name_after_quote(resolver, parsed, span, frame) or _communication_cue(resolver, parsed, span, frame)
                 or _any_verb(resolver, parsed, span, frame))
        if found is not None:
            return found
        found, fallback = _from_verbs(resolver, span, frame, [c for c in candidates if c[0].i in scene])
        if found is not None:
            return found
    for finder, cue in ((cues.according_to, "according to"), (cues.quote_from, None)):
        target = finder(frame.sentence)
        if target is not None:
            person, confidence = resolver.resolve(target, allowed)
            if person is not None and (fallback is None or person.kind != "nominal"):
                return Attribution(person, cue, min(confidence, 0.85), path=cue or "quote noun")
    return fallback


def _reported_by(resolver: Resolver, frame: cues.Frame, verb: Token) -> Attribution | None:
    """ "“…,” said Jane Doe, reports the Daily Planet": a news organisation that reports the
    quote's sentence is its source, as the article presents it (the outer attribution). The whole
    sentence counts, past other quotes in it."""
    for t in verb.sent:
        if t.i == verb.i or t.i not in frame.allowed:
            continue
        target = None
        if t.lemma_.lower() == "report" and t.pos_ in {"VERB", "AUX"} and t.dep_ not in {"relcl", "acl", "pcomp"}:
            # Not "the email, which was first reported by …": that reports a thing, not the sentence.
            later = [x for x in verb.sent if x.i > t.i and x.i in frame.allowed]
            target = cues.subject(t, frame.allowed) or cues.inverted_subject(t, later)
        elif t.lower_ == "according" and t.i + 1 < len(t.doc) and t.doc[t.i + 1].lower_ == "to":
            target = next((c for c in t.doc[t.i + 1].children if c.dep_ == "pobj"), None)
        if target is None:
            continue
        if target.ent_type_ == "ORG":
            person, confidence = resolver.resolve(target, frame.allowed)
            if person is not None and person.kind == "organisation":
                return Attribution(person, t.text, min(confidence, 0.7))
        elif _untagged_title(target, frame.allowed, resolver):
            # "…, Right Wing Watch first reported": a capitalised title of several words that names
            # no person is the outlet's.
            words = [c for c in target.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"] + [target]
            outlet = Person(name=" ".join(w.text for w in words), gender="n", kind="organisation")
            return Attribution(outlet, t.text, 0.6)
    return None


def _untagged_title(token: Token, allowed: set[int], resolver: Resolver) -> bool:
    """Several capitalised words the tagger left untagged, none of them a person's name."""
    words = [c for c in token.lefts if c.dep_ == "compound" and c.pos_ == "PROPN" and c.i in allowed] + [token]
    return len(words) >= 2 and all(w.pos_ == "PROPN" and w.text[:1].isupper() and w.ent_type_ == "" for w in words) \
        and resolver.registry.full_name(token.text) is None and first_name_gender(words[0].text) is None


def _name_after_quote(resolver: Resolver, parsed: ParsedArticle, span: QuoteSpan, frame: cues.Frame) -> Attribution | None:
    """ "“…,” Jane Doe, wearing a red hat, said" or "“…,” Doe notes" where the parser found no verb
    for the name (it took "notes" for a noun): a person named right after a quote that hands over
    with a comma, or followed by the form of a speech verb, speaks it."""
    words = [t for t in frame.after if not t.is_space]
    if not words or words[0].idx - span.close > 3:
        return None
    head = words[0]
    # "“…,” Bozell answers", with "Bozell" parsed as a compound of "answers": climb through nouns only.
    while head.dep_ == "compound" and head.head.i in frame.allowed and head.head.i > head.i \
            and head.head.pos_ in {"PROPN", "NOUN"}:
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
    return Attribution(person, None, min(confidence, LAYOUT_CONFIDENCE), weak=True, path="name after the quote")


# Cues outside the speech-verb list ("beamed", "groused", "is labeling") speak for a person only.
OTHER_VERB_CONFIDENCE = 0.6


def _any_verb(resolver: Resolver, parsed: ParsedArticle, span: QuoteSpan, frame: cues.Frame) -> Attribution | None:
    """A verb outside the speech list that governs the quote or stands right after it ("“…!”
    beamed Jane Doe", "Doe groused that the rules “make no sense”"), when its subject is a person
    the text names or a personal pronoun: lower confidence, as the verb may not report speech."""
    allowed = frame.allowed
    verbs = cues.governing_verbs(parsed.doc, span, allowed, cues.is_verb)
    # "Doe shot back, “I suppose …”", parsed the other way round: the verb just before the quote
    # hangs from the quote's own words.
    last = next((t for t in reversed(frame.before) if not t.is_punct and not t.is_space), None)
    if last is not None:
        verb = last if last.pos_ == "VERB" else last.head
        if verb.pos_ == "VERB" and verb.i in allowed and verb.dep_ in {"ccomp", "parataxis"} \
                and span.start <= verb.head.idx < span.end and verb not in verbs:
            verbs.append(verb)
    after = next((t for t in frame.after if t.pos_ == "VERB"), None)
    if after is not None and after.idx - span.close <= 40:
        verbs.append(after)
    for verb in verbs:
        subject = cues.subject(verb, allowed)
        if subject is None and verb is after:
            subject = cues.inverted_subject(verb, frame.after)
        if subject is None:
            continue
        personal = subject.lower_ in {"he", "she"} or subject.ent_type_ == "PERSON" or (
            subject.pos_ == "PROPN" and resolver.registry.full_name(subject.text) is not None) \
            or looks_like_surname(subject, resolver.registry)
        if not personal:
            continue
        person, confidence = resolver.resolve(subject, allowed)
        if person is None or person.kind != "person":
            continue
        return Attribution(person, cues.cue_text(verb, allowed), min(confidence, OTHER_VERB_CONFIDENCE), weak=True,
                           path="other verb")
    return None


# A verb of communication or judgment outside the speech list ("dubbed", "decried") or a noun that
# reports words ("his pledge to be “neutral”") report someone's words less surely than "said".
COMMUNICATION_CONFIDENCE = 0.7


def _communication_cue(resolver: Resolver, parsed: ParsedArticle, span: QuoteSpan, frame: cues.Frame) -> Attribution | None:
    """A cue outside the speech list that governs the quote, with a person or organisation the text
    names for its subject or owner: not "said", but the words are still reported as someone's."""
    allowed = frame.allowed
    # ("as Doe puts it" is a speech cue of its own: see cues.as_put.)
    cue_words = cues.governing_verbs(parsed.doc, span, allowed, cues.is_cue_word)
    for cue in cue_words:
        subject = cues.noun_owner(cue, allowed) if cue.pos_ == "NOUN" else cues.subject(cue, allowed)
        if subject is None or subject.ent_type_ in cues.NOT_SPEAKERS:
            continue
        person, confidence = resolver.resolve(subject, allowed)
        if person is None or person.kind == "nominal":
            continue
        return Attribution(person, cues.cue_text(cue, allowed), min(confidence, COMMUNICATION_CONFIDENCE),
                           path="communication cue")
    return None


# Inherited speakers: within a paragraph as sure as most verbs; across a paragraph break right about
# four times in five on the 300 training articles, so in the low band.
INHERIT_IN_PARAGRAPH = 0.8


INHERIT_ACROSS_PARAGRAPHS = 0.55


# A label or a sign-off names the speaker as plainly as a verb, but it is read off the layout.
LAYOUT_CONFIDENCE = 0.75


def _personal(resolver: Resolver, token: Token) -> bool:
    """A person the text names, or he/she: what a verb outside the speech list needs for a subject."""
    return token.lower_ in {"he", "she"} or token.ent_type_ == "PERSON" or (
        token.pos_ == "PROPN" and resolver.registry.full_name(token.text) is not None) \
        or looks_like_surname(token, resolver.registry)


def _from_sentence(resolver: Resolver, tokens: list[Token], any_verb: bool) -> Attribution | None:
    """The speaker a sentence introducing the quote names: the subject of its last speech verb, or
    with `any_verb` of its main verb when that subject is a person."""
    allowed = {t.i for t in tokens}
    verbs = [t for t in reversed(tokens) if cues.is_speech_verb(t)]
    if any_verb:
        verbs += [t for t in tokens if t.pos_ == "VERB" and (t.dep_ == "ROOT" or t.head.i not in allowed)]
        if tokens and tokens[-1].text == ":":
            head = tokens[-1].head
            verbs += [head] if head.pos_ == "VERB" else []
    for verb in verbs:
        subject = cues.subject(verb, allowed)
        if subject is None:
            continue
        speech = cues.is_speech_verb(verb)
        if not speech and not _personal(resolver, subject):
            continue
        person, confidence = resolver.resolve(subject, allowed)
        if person is None or (person.kind == "nominal"):
            continue
        cap = LAYOUT_CONFIDENCE if speech else OTHER_VERB_CONFIDENCE
        return Attribution(person, cues.cue_text(verb, allowed), min(confidence, cap), weak=not speech, path="colon lead")
    return None


def _by_layout(resolver: Resolver, parsed: ParsedArticle, span: QuoteSpan, n: int,
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
            return Attribution(person, None, min(confidence, LAYOUT_CONFIDENCE), path="label or sign-off")
    if n == 0 and not span.continues:
        lead = layout_cues.colon_lead(parsed, span, blocks, spans)
        if lead:
            found = _from_sentence(resolver, lead, any_verb=True)
            if found is not None:
                return found
    return None


# A headline's quote is its subject's words by convention, but headlines are terse.
HEADLINE_CONFIDENCE = 0.6


def _headline(resolver: Resolver, parsed: ParsedArticle, span: QuoteSpan, spans: list[QuoteSpan]) -> Attribution | None:
    name = layout_cues.headline_speaker(parsed, span, parsed.layout.blocks[span.block], spans)
    if name is None:
        return None
    return Attribution(resolver.named(name), None, HEADLINE_CONFIDENCE, path="headline")


def attribute(parsed: ParsedArticle, spans: list[QuoteSpan]) -> list[Quote]:
    text = parsed.text
    doc = parsed.doc
    resolver = Resolver(parsed, spans)
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
        frame = cues.Frame(parsed, span, by_block[span.block], n)
        found = _headline(resolver, parsed, span, spans) if span.headline else _find(resolver, parsed, span, frame)
        if found is None or (found.person is not None and found.person.kind == "nominal"):
            # A label or sign-off beats a bare description the verb gave ("Pollsters agree - Jane Doe: “…”").
            found = _by_layout(resolver, parsed, span, n, by_block[span.block], spans) or found
        if found is None and frame.empty and _opens_utterance(text, span):
            report = layout_cues.reporting_sentence(parsed, span, block, by_block[span.block][n - 1] if n else None)
            if report:
                found = _from_sentence(resolver, report, any_verb=True)
                if found is not None:
                    found = Attribution(found.person, found.cue, min(found.confidence, OTHER_VERB_CONFIDENCE), weak=True,
                                        path="reporting sentence")
        if found is None and previous is not None and previous.person is not None and frame.empty:
            if previous_block == span.block:
                found = Attribution(previous.person, previous.cue, min(previous.confidence, INHERIT_IN_PARAGRAPH),
                                    path="inherited in the paragraph")
            elif span.continues or (previous_block == span.block - 1 and span.open == block.start):
                found = Attribution(previous.person, previous.cue, min(previous.confidence, INHERIT_ACROSS_PARAGRAPHS),
                                    path="inherited across paragraphs")
        if found is None and frame.empty and _opens_utterance(text, span):
            # A paragraph that is only a quote, after a paragraph ending with a sentence about someone.
            report = layout_cues.report_before_paragraph(parsed, span, blocks, spans)
            found = _from_sentence(resolver, report, any_verb=True) if report else None
            if found is not None:
                found = Attribution(found.person, found.cue, min(found.confidence, INHERIT_ACROSS_PARAGRAPHS),
                                    weak=True, path="standalone after a report")
        quote_text = text[span.start:span.end]
        unsupported = found is None or found.person is None or found.person.kind == "nominal" or found.weak
        before = _word_before(doc, span.open)
        scare = looks_like_scare_quote(quote_text, before, strict=found is not None and not found.weak)
        if unsupported and (looks_like_title(quote_text) or scare) and not cues.reported(parsed, span, frame):
            continue  # a title or a scare quote: not anyone's words
        if before is not None and cues.so_called(before):
            continue  # so-called “metadata”: the writer's word at a distance, whoever the sentence cites
        if _names_a_thing(doc, span, quote_text):
            continue  # Mugabe's “Blue House” compound: a name, whoever the sentence quotes
        kind: Literal["direct", "partial"] = "direct" if _is_direct(text, span, block.start) else "partial"
        if found is None or found.person is None:
            results.append(Quote(text=quote_text, start=span.start, end=span.end, speaker=None, cue=None,
                                 kind=kind, confidence=0.0))
            continue
        previous, previous_block = found, span.block
        resolver.spoke(span.open, found.person)
        results.append(Quote(text=quote_text, start=span.start, end=span.end, speaker=found.person.speaker(),
                             cue=found.cue, kind=kind, confidence=round(found.confidence, 2), path=found.path))
    return _fill_roles(results, resolver.registry)


def _opens_utterance(text: str, span: QuoteSpan) -> bool:
    """A quote that reads as a whole utterance: it opens with a capital (or an ellipsis)."""
    inner = text[span.start:span.end].lstrip(".\u2026 ")
    return inner[:1].isupper() and len(inner.split()) >= 3


def _names_a_thing(doc: Doc, span: QuoteSpan, quote_text: str) -> bool:
    """A name in quote marks that modifies the noun right after them ("the “Blue House” compound",
    "a “Pier Watch” meeting"): two to four capitalised words naming a place or a thing, not words
    anyone said."""
    if not 2 <= len(quote_text.split()) <= 4 or not looks_like_title(quote_text):
        return False
    after = tokens_in(doc, span.close, span.close + 30)
    inside = tokens_in(doc, span.start, span.end)
    following = next((t for t in after if not (t.is_punct or t.is_space)), None)
    if following is None or not inside or following.idx - span.close > 2:
        return False
    # The noun the quoted words hang from: a common noun in lower case.
    return following.pos_ == "NOUN" and following.text.islower() and inside[-1].head.i == following.i


def _word_before(doc: Doc, offset: int) -> Token | None:
    tokens = tokens_in(doc, max(0, offset - 40), offset)
    return tokens[-1] if tokens else None


def _fill_roles(quotes: list[Quote], registry: Registry) -> list[Quote]:
    """A later mention ("Anthropic's Nulty") carries the role and organisation given earlier."""
    out = []
    for quote in quotes:
        speaker = quote.speaker
        if speaker is not None and speaker.kind == "person":
            known = registry.people.get(speaker.name)
            if known is not None and (known.role != speaker.role or known.org != speaker.org):
                # Validated again (model_copy does not): the carried role must not be the name itself.
                speaker = Speaker.model_validate({**speaker.model_dump(), "role": speaker.role or known.role,
                                                  "org": speaker.org or known.org})
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
