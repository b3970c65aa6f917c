"""One layout for every platform: what a reply, a digest, a scheduled post or a notice shows, in order.

`reply_view`, `digest_view`, `post_view` and `notice_view` turn the application's answers into a
`View`: a list of typed blocks (a heading with its link, a meta line, a paragraph, a quote with its
speaker and confidence band, a bullet list, a dispute party, links, a divider, "…and N more"),
grouped into `Part`s that a platform never splits (a quote and its speaker, an article's title and
TL;DR). Every decision about *what* is shown and *in which words* is taken here, once: which quotes
appear, how a speaker is written, the confidence labels, the meta line, the dispute's labels.

An adapter (`adapters/<platform>/render.py`) only translates blocks into its payload (Block Kit, an
embed, terminal text or Markdown) and keeps what is the platform's own: escaping, limits, splitting
a long view over several messages. Text here is the article's words as they are, never escaped.
Nothing here knows a platform (`bot/` never imports one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

from digests.models import Claim, ConfidenceBand, Digest, Dispute, Speaker
from digests.models import Quote as QuoteModel

from .platforms import DigestPost, SimilarStory
from .replies import Reply, Section, Visibility

if TYPE_CHECKING:  # the store (SQLAlchemy) is not needed to lay anything out
    from .store import ArticleSummary

# The words every platform uses. Commands that build a Reply by hand (bot.commands.dispute_reply)
# use the same ones, so a /dispute answer and a digest's dispute read alike.
UNTITLED = "Untitled article"
UNATTRIBUTED = "unattributed"
TLDR = "TL;DR"
KEY_QUOTES = "Key quotes"
IMPLICATIONS = "Implications"
DISPUTE = "Dispute"
ALLEGATION = "Allegation"
ACTIONS = "What was done"
STILL_OPEN = "Still open"
QUOTED = "Quoted"
NO_POSITION = "No stated position in the article."
READ_THE_ARTICLE = "Read the article"
SOURCE = "Source"
OFFLINE_FALLBACK = "Offline digest: the language model's answer could not be used for this article."
QUOTED_SPEAKERS = 3  # a party's quoted speakers shown at most
SHORT_ID = 8  # characters of an article's id shown in chat: what /dispute and /newsdigest articles take

# One label per confidence band (digests.models.confidence_band): a sure attribution needs none.
CONFIDENCE_LABELS: dict[ConfidenceBand, str | None] = {"high": None, "medium": "likely", "low": "low confidence"}


def speaker_text(speaker: Speaker | None) -> str:
    """The one way a speaker is written: "Christopher Nulty, spokesperson, Anthropic", or
    "unattributed". A role or organisation that repeats the name is left out."""
    if speaker is None:
        return UNATTRIBUTED
    details = [part for part in (speaker.role, speaker.org) if part and part != speaker.name]
    return ", ".join([speaker.name.strip(), *details])


def confidence_label(quote: QuoteModel) -> str | None:
    """ "likely" or "low confidence" for an attributed quote the engine is less sure of; None for a
    sure one and for an unattributed one (whose label, "unattributed", says it all)."""
    if quote.speaker is None:
        return None
    return CONFIDENCE_LABELS[quote.confidence_band]


def article_line(article: ArticleSummary) -> str:
    """ "Title · 2025-08-03 · Source": a stored article named in one line."""
    return " · ".join(x for x in (article.title or UNTITLED, article.published, article.source) if x)


def in_quote_marks(text: str) -> str:
    """The article's own words as shown everywhere (after the platform escaped them)."""
    return f"“{text}”"


# Blocks ------------------------------------------------------------------------------------------

HeadingLevel = Literal["title", "article", "section", "subsection"]


@dataclass(frozen=True)
class Heading:
    """`title`: a reply's or a post's title; `article`: an article's title (linked to it when it has a
    URL); `section` and `subsection`: headings inside ("Key quotes (3)", "What was done")."""

    text: str
    level: HeadingLevel = "section"
    url: str | None = None


@dataclass(frozen=True)
class Meta:
    """Facts about an article on one line: date · source · by author · N words."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """A line said about what it stands next to: the article is not in English, only its opening was
    digested, stories were left out by the channel's keywords."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """Running text; `label` is shown in front of it on its line ("Allegation: …")."""

    text: str
    label: str | None = None


@dataclass(frozen=True)
class Quote:
    """A quotation. `speaker` is the one speaker line ("unattributed" when the engine could not tell;
    None when the quote is shown without one, e.g. a /who-said match that names it in a field);
    `band` and `label` say how sure the attribution is."""

    text: str
    speaker: str | None = None
    attributed: bool = True
    band: ConfidenceBand | None = None
    label: str | None = None


@dataclass(frozen=True)
class Item:
    text: str
    label: str | None = None  # shown bold in front ("Protecting IP: …")


@dataclass(frozen=True)
class Bullets:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Fields:
    """Named values ("Said by", "In", "Match"), side by side where the platform can."""

    fields: tuple[Field, ...]


@dataclass(frozen=True)
class DisputeParty:
    """One side of a dispute: its position in the article's words (or NO_POSITION), and who of it is
    quoted (speaker lines, at most QUOTED_SPEAKERS)."""

    name: str
    position: str | None
    quoted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    label: str
    url: str | None  # None: shown as a label only (a similar story without an address)


@dataclass(frozen=True)
class Links:
    """Links. Without a `title` they are the view's actions (buttons where the platform has them);
    with one, a titled list ("+2 similar"). `key` is unique within the view, for platforms whose
    actions need an id."""

    links: tuple[Link, ...]
    title: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Action:
    """A button that runs `command` with `options` when clicked (bot.replies.Action): platforms with
    buttons send the click back through the command dispatch; the others leave it out."""

    label: str
    command: str
    subcommand: str | None = None
    options: tuple[tuple[str, str | bool], ...] = ()
    # The story the button is about, for platforms that show buttons apart from it (Discord puts a
    # message's buttons under all its embeds): its title.
    story: str | None = None


@dataclass(frozen=True)
class Actions:
    actions: tuple[Action, ...]
    key: str | None = None  # unique within the view, like Links.key (a post has one per story)


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class More:
    """ "…and N more <what>": things the view counts but does not show."""

    count: int
    what: str = ""

    @property
    def text(self) -> str:
        return f"…and {self.count} more {self.what}".rstrip()


Block = Union[Heading, Meta, Note, Paragraph, Quote, Bullets, Fields, DisputeParty, Links, Actions, Divider, More]

# What a part shows, for the platforms that count what they had to leave out ("…and 3 more quotes"):
# `title` and `note` are never counted.
PartKind = Literal["title", "article", "quote", "implication", "dispute", "item", "note"]


@dataclass(frozen=True)
class Part:
    """Blocks that belong together and are never split across messages. `count` is how many things
    of `kind` it shows (a list of implications shows several)."""

    kind: PartKind
    blocks: tuple[Block, ...]
    count: int = 1


ViewKind = Literal["answer", "not_found", "usage", "error", "notice", "post"]


@dataclass(frozen=True)
class View:
    kind: ViewKind
    title: str  # plain, for "… (continued)" messages
    summary: str  # one plain line: the notification text and the fallback for rich layouts
    parts: tuple[Part, ...]
    visibility: Visibility = "channel"

    @property
    def blocks(self) -> list[Block]:
        return [block for part in self.parts for block in part.blocks]


# Digests -----------------------------------------------------------------------------------------

def short_id(article_id: str) -> str:
    """The article's id as people type it: its first SHORT_ID characters (bot.store finds it by them)."""
    return article_id[:SHORT_ID]


def meta_items(digest: Digest) -> tuple[str, ...]:
    """The one meta line: date · source · by author · N words · id."""
    a = digest.article
    items = [a.published, a.source, a.author and f"by {a.author}", f"{a.word_count:,} words" if a.word_count else None,
             f"id {short_id(a.id)}" if a.id else None]
    return tuple(x for x in items if x)


def quote_block(quote: QuoteModel) -> Quote:
    return Quote(text=quote.text, speaker=speaker_text(quote.speaker), attributed=quote.speaker is not None,
                 band=quote.confidence_band, label=confidence_label(quote))


def shown_quotes(digest: Digest) -> list[QuoteModel]:
    """Every quote, attributed or not, in the article's order: an unattributed one is shown labelled
    "unattributed" rather than hidden (the engine never guesses a speaker, so hiding them would hide
    what the article quotes)."""
    return list(digest.quotes)


def party_block(name: str, position: str | None, quotes: Iterable[QuoteModel]) -> DisputeParty:
    speakers = sorted({speaker_text(q.speaker) for q in quotes if q.speaker is not None})
    return DisputeParty(name=name, position=position, quoted=tuple(speakers[:QUOTED_SPEAKERS]))


def dispute_parts(dispute: Dispute) -> list[Part]:
    """A dispute: its headline and allegation, what was done, each party, what is still open."""
    opening: list[Block] = [Divider(), Heading(f"{DISPUTE}: {dispute.headline}")]
    if dispute.allegation:
        opening.append(Paragraph(dispute.allegation, label=ALLEGATION))
    parts = [Part("dispute", tuple(opening))]
    if dispute.actions:
        parts.append(Part("dispute", (Heading(ACTIONS, "subsection"), Bullets(tuple(Item(x) for x in dispute.actions)))))
    parts += [Part("dispute", (party_block(p.name, p.position, p.quotes),)) for p in dispute.parties]
    if dispute.open_questions:
        parts.append(Part("dispute", (Heading(STILL_OPEN, "subsection"),
                                      Bullets(tuple(Item(x) for x in dispute.open_questions)))))
    return parts


def source_note(claim: Claim) -> Note:
    """The article sentences an item of a model-assisted digest cites, shown on demand."""
    return Note(f"{SOURCE}: " + " … ".join(in_quote_marks(s.text) for s in claim.sources))


def digest_parts(digest: Digest, *, key: str | None = None,
                 similar: Sequence[SimilarStory] = (), sources: bool = False) -> list[Part]:
    """One digest: the article (title, meta line, notes, TL;DR, a link to it, its similar stories),
    each quote, the implications, the dispute. With `sources`, each item a language model helped
    write is followed by the article sentences it cites."""
    a = digest.article
    grounding = digest.grounding
    intro: list[Block] = [Heading((a.title or "").strip() or UNTITLED, "article", url=a.url)]
    meta = meta_items(digest)
    if meta:
        intro.append(Meta(meta))
    intro += [Note(note) for note in a.notes]
    if grounding is not None and grounding.fallback is not None:
        intro.append(Note(OFFLINE_FALLBACK))
    intro += [Heading(TLDR), Paragraph(" ".join(digest.tldr))]
    if sources and grounding is not None:
        intro += [source_note(c) for c in grounding.tldr]
    if a.url:
        intro.append(Links((Link(READ_THE_ARTICLE, a.url),), key=key or a.id[:16]))
    if similar:
        intro.append(Links(tuple(Link(s.title or s.source or UNTITLED, s.url) for s in similar),
                           title=f"+{len(similar)} similar"))
    parts = [Part("article", tuple(intro))]

    quotes = shown_quotes(digest)
    for i, q in enumerate(quotes):
        blocks: tuple[Block, ...] = (quote_block(q),)
        if i == 0:
            blocks = (Heading(f"{KEY_QUOTES} ({len(quotes)})"), *blocks)
        parts.append(Part("quote", blocks))

    claims = grounding.implications if grounding is not None else []
    if claims:  # the model's wording of each implication; the Implication is the sentence it cites
        listed: list[Block] = [Heading(IMPLICATIONS), Bullets(tuple(Item(c.text) for c in claims))]
        if sources:
            listed += [source_note(c) for c in claims]
        parts.append(Part("implication", tuple(listed), count=len(claims)))
    elif digest.implications:
        items = tuple(Item(i.text, label=i.label) for i in digest.implications)
        parts.append(Part("implication", (Heading(IMPLICATIONS), Bullets(items)), count=len(items)))

    if digest.dispute is not None:
        parts += dispute_parts(digest.dispute)
        if sources and grounding is not None and grounding.dispute:
            parts.append(Part("dispute", tuple(source_note(c) for c in grounding.dispute)))
    return parts


def digest_view(digest: Digest, *, kind: ViewKind = "answer", visibility: Visibility = "channel",
                sources: bool = False) -> View:
    title = (digest.article.title or "").strip() or UNTITLED
    return View(kind=kind, title=title, summary=f"{title} — {' '.join(digest.tldr)}",
                parts=tuple(digest_parts(digest, sources=sources)), visibility=visibility)


def _read_link(digest: Digest, key: str) -> list[Block]:
    # A platform whose title cannot be a link (Slack's header) shows this button; the others skip it.
    url = digest.article.url
    return [Links((Link(READ_THE_ARTICLE, url),), key=key)] if url else []


def compact_parts(digest: Digest, similar: Sequence[SimilarStory] = (), key: str = "0") -> list[Part]:
    """One story of a compact digest: its linked title, meta line, TL;DR, first quote, a link to it."""
    a = digest.article
    blocks: list[Block] = [Heading((a.title or "").strip() or UNTITLED, "article", url=a.url)]
    meta = meta_items(digest)
    if meta:
        blocks.append(Meta(meta))
    blocks.append(Paragraph(" ".join(digest.tldr)))
    quotes = shown_quotes(digest)
    if quotes:
        blocks.append(quote_block(quotes[0]))
    blocks += _read_link(digest, key)
    if similar:
        blocks.append(Links(tuple(Link(s.title or s.source or UNTITLED, s.url) for s in similar),
                            title=f"+{len(similar)} similar"))
    return [Part("article", tuple(blocks))]


def headline_parts(digest: Digest, similar: Sequence[SimilarStory] = (), key: str = "0") -> list[Part]:
    """One story of a headlines digest: its linked title and meta line (with "+N similar")."""
    a = digest.article
    meta = meta_items(digest) + ((f"+{len(similar)} similar",) if similar else ())
    return [Part("article", (Heading((a.title or "").strip() or UNTITLED, "article", url=a.url), Meta(meta),
                             *_read_link(digest, key)))]


MORE_QUOTES = "More quotes"
FULL_DIGEST = "Full digest"


def story_actions(digest: Digest, key: str | None = None) -> Actions:
    """The buttons under a story of a channel digest: its quotes and its whole digest, shown to the
    person who clicks (bot.commands.story). The article's full id, so that no other article matches."""
    title = (digest.article.title or "").strip() or UNTITLED
    article = (("article", digest.article.id),)
    return Actions((Action(MORE_QUOTES, "/story", options=(*article, ("show", "quotes")), story=title),
                    Action(FULL_DIGEST, "/story", options=(*article, ("show", "digest")), story=title)), key=key)


def _with_actions(part: Part, digest: Digest, key: str) -> Part:
    """The story's opening part with its buttons beside its "Read the article" (at its end without one)."""
    if not digest.article.id:
        return part
    blocks = list(part.blocks)
    at = next((i + 1 for i in range(len(blocks) - 1, -1, -1)
               if isinstance(b := blocks[i], Links) and b.title is None), len(blocks))
    blocks.insert(at, story_actions(digest, key))
    return Part(part.kind, tuple(blocks), part.count)


def post_view(post: DigestPost) -> View:
    """A scheduled (or requested) post: its title, each digest in the post's format (after a divider,
    with its "+N similar" stories), then how many stories wait and how many the channel's keywords
    left out. Full: every part of each digest; compact: title, TL;DR, first quote; headlines: titles.
    Each story ends its opening part with its "More quotes" and "Full digest" buttons."""
    parts = [Part("title", (Heading(post.title, "title"),), count=0)]
    for i, digest in enumerate(post.digests):
        similar = post.similar_to(digest)
        if post.format == "headlines":
            story = headline_parts(digest, similar, key=str(i))
        else:
            story = (compact_parts(digest, similar, key=str(i)) if post.format == "compact"
                     else digest_parts(digest, key=str(i), similar=similar))
            if i:
                first = story[0]
                story[0] = Part(first.kind, (Divider(), *first.blocks), first.count)
        # The story's buttons go with its opening part, so that they are never cut from it.
        story[0] = _with_actions(story[0], digest, str(i))
        parts += story
    closing: list[Block] = []
    if post.waiting:
        closing.append(More(post.waiting, ("story waits" if post.waiting == 1 else "stories wait")
                            + " for the next digest (/digest preview lists them)."))
    if post.filtered:
        closing.append(Note(f"{post.filtered} {'story was' if post.filtered == 1 else 'stories were'} "
                            "left out by this channel's keywords."))
    if closing:
        parts.append(Part("note", tuple(closing), count=0))
    titles = "; ".join((d.article.title or "").strip() or UNTITLED for d in post.digests)
    return View(kind="post", title=post.title, summary=f"{post.title} — {titles}", parts=tuple(parts))


# Replies and notices -----------------------------------------------------------------------------

def _bullet_lines(text: str) -> Bullets | None:
    """A section's text written as "• a\n• b" is a bullet list; anything else is a paragraph."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and all(line.startswith("• ") for line in lines):
        return Bullets(tuple(Item(line[2:].strip()) for line in lines))
    return None


def section_blocks(section: Section, reply_title: str) -> list[Block]:
    blocks: list[Block] = []
    if section.title and section.title.strip() and section.title != reply_title:  # a dispute's headline is also its title
        blocks.append(Heading(section.title.strip()))
    if section.quote and section.quote.strip():
        blocks.append(Quote(section.quote))
    if section.text and section.text.strip():
        blocks.append(_bullet_lines(section.text) or Paragraph(section.text))
    fields = tuple(Field(f.name, f.value, f.inline) for f in section.fields if f.name.strip() or f.value.strip())
    if fields:
        blocks.append(Fields(fields))
    return blocks


def reply_view(reply: Reply) -> View:
    """A command's reply. One that carries a digest is laid out as that digest; any other is its
    title, each section, then its links."""
    if reply.digest is not None:
        return digest_view(reply.digest, kind=reply.kind, visibility=reply.visibility)
    links = [link for link in reply.links if link.url]
    parts = [Part("title", (Heading(reply.title, "title", url=links[0].url if links else None),), count=0)]
    for section in reply.sections:
        blocks = section_blocks(section, reply.title)
        if blocks:
            parts.append(Part("item", tuple(blocks)))
    if len(parts) == 1 and reply.summary.strip():  # never an empty answer
        parts.append(Part("item", (Paragraph(reply.summary),)))
    if links:
        parts.append(Part("item", (Links(tuple(Link(link.label, link.url) for link in links)),), count=0))
    if reply.actions:
        parts.append(Part("item", (Actions(tuple(Action(a.label, a.command, a.subcommand, tuple(a.options.items()))
                                                 for a in reply.actions)),), count=0))
    summary = reply.summary if reply.kind == "answer" else f"{reply.title}: {reply.summary}"
    return View(kind=reply.kind, title=reply.title, summary=summary, parts=tuple(parts), visibility=reply.visibility)


def notice_view(text: str) -> View:
    """A short notice from the bot to a channel (a feed paused, a schedule failing)."""
    return View(kind="notice", title="newsdigest", summary=text, parts=(Part("note", (Paragraph(text),), count=0),))
