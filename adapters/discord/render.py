"""Replies and digests as Discord embeds, within Discord's limits. Pure functions: nothing here sends.

Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits):
title 256 characters, description 4,096, 25 fields of name 256 and value 1,024, footer 2,048, author
name 256; 6,000 characters over all the embeds of one message, 10 embeds a message; message content
2,000. A long reply or digest is split into more embeds, then into more messages, at paragraph,
line, sentence or word boundaries; a cut inside a word (a single "word" longer than the limit) ends
with an ellipsis.

Article text is escaped (mentions first, then Markdown) before it is measured, so no article can
ping @everyone, a role or a user, or forge formatting and links; the escaped text is what must fit.
Footers and author names are not Markdown on Discord, so only their mentions are escaped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.utils import escape_markdown, escape_mentions

from bot.commands import article_line, speaker_text
from bot.platforms import DigestPost
from bot.replies import Reply, ReplyKind
from digests.models import Digest, Quote

if TYPE_CHECKING:
    from bot.store import ArticleSummary

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
MESSAGE_EMBED_CHARS = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
CONTENT = 2000
CHOICE_NAME = 100
CHOICE_VALUE = 100
CHOICES = 25
NONCE = 25  # characters of a message nonce
URL = 2048

ELLIPSIS = "…"
CONTINUED = " (continued)"
BLANK = "\u200b"  # a zero-width space: a field needs a non-empty name

COLOURS: dict[ReplyKind, int] = {
    "answer": 0x5865F2,  # blurple
    "not_found": 0xFEE75C,  # yellow
    "usage": 0x57F287,  # green
    "error": 0xED4245,  # red
}

_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+\Z")
_SPACE = re.compile(r"\s")


# Text

def escape(text: str) -> str:
    """Article (or any outside) text made inert: no mentions, no Markdown."""
    return escape_markdown(escape_mentions(text))


def plain(text: str) -> str:
    """For the places Discord does not render Markdown (footers, author names, choices)."""
    return escape_mentions(text)


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut at a word boundary with an ellipsis (inside a word
    only when the word alone is longer than half the limit)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    spaces = [m.start() for m in _SPACE.finditer(head)]
    if spaces and spaces[-1] >= limit // 2:
        head = head[: spaces[-1]]
    return head.rstrip() + ELLIPSIS


def _break_at(window: str, limit: int) -> int:
    """Where to end a piece of at most `limit` characters taken from the start of `window` (which is
    longer): the last paragraph break, line break or sentence end in its second half, else the last
    space; -1 when the window has no whitespace at all."""
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator, 0, limit + 1)
        if at >= limit // 2:
            return at
    sentence = max((m.end() - 1 for m in re.finditer(r"[.!?][\"'”’)]*\s", window[: limit + 1])), default=-1)
    if sentence >= limit // 2:
        return sentence
    spaces = [m.start() for m in _SPACE.finditer(window, 0, limit + 1)]
    return spaces[-1] if spaces and spaces[-1] > 0 else -1


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, broken at whitespace (preferring paragraphs,
    lines and sentences). A single word longer than `limit` is cut, and its first part ends with an
    ellipsis."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        at = _break_at(rest[: limit + 1], limit)
        if at <= 0:
            pieces.append(rest[: limit - 1] + ELLIPSIS)
            rest = rest[limit - 1 :].lstrip()
            continue
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _blockquote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


def valid_url(url: str | None) -> str | None:
    """The URL when Discord accepts it as an embed or link URL (http(s), no spaces), else None."""
    if url and len(url) <= URL and _URL.match(url):
        return url
    return None


# Building embeds under the limits

@dataclass
class _Builder:
    colour: int
    embeds: list[discord.Embed] = field(default_factory=list)

    def new(self, title: str | None = None, url: str | None = None) -> discord.Embed:
        embed = discord.Embed(colour=self.colour, title=shorten(title, TITLE) if title else None,
                              url=valid_url(url) if title else None)
        self.embeds.append(embed)
        return embed

    def _current(self) -> discord.Embed:
        return self.embeds[-1] if self.embeds else self.new()

    def text(self, block: str) -> None:
        """Append a block (already escaped and formatted) after what is there. An embed's fields show
        below its description, so text after fields starts a new embed; so does text that does not fit."""
        block = block.strip()
        if not block:
            return
        embed = self._current()
        description = embed.description or ""
        joined = f"{description}\n\n{block}" if description else block
        if not embed.fields and len(joined) <= DESCRIPTION and len(embed) - len(description) + len(joined) <= MESSAGE_EMBED_CHARS:
            embed.description = joined
            return
        for piece in split_text(block, DESCRIPTION):
            embed = self._current()
            if embed.fields or embed.description or len(embed) + len(piece) > MESSAGE_EMBED_CHARS:
                embed = self.new()
            embed.description = piece

    def field(self, name: str, value: str, inline: bool = True) -> None:
        """A field; a value longer than a field takes several, the later ones named "… (continued)"."""
        name = shorten(name, FIELD_NAME) or BLANK
        for number, piece in enumerate(split_text(value, FIELD_VALUE)):
            label = name if number == 0 else shorten(name, FIELD_NAME - len(CONTINUED)) + CONTINUED
            embed = self._current()
            if len(embed.fields) >= FIELDS or len(embed) + len(label) + len(piece) > MESSAGE_EMBED_CHARS:
                embed = self.new()
            embed.add_field(name=label, value=piece, inline=inline and len(piece) <= 200)

    def footer(self, text: str) -> None:
        embed = self._current()
        text = shorten(plain(text), FOOTER)
        if text and len(embed) + len(text) <= MESSAGE_EMBED_CHARS:
            embed.set_footer(text=text)


# Replies and digests

def reply_embeds(reply: Reply) -> list[discord.Embed]:
    """A command's reply. A digest answer (`reply.digest`) is laid out as a whole digest."""
    if reply.digest is not None and reply.kind == "answer":
        return digest_embeds(reply.digest)
    builder = _Builder(COLOURS[reply.kind])
    links = [link for link in reply.links if valid_url(link.url)]
    builder.new(title=escape(reply.title), url=links[0].url if links else None)
    shown = False
    for section in reply.sections:
        parts = []
        if section.title:
            parts.append(f"**{escape(section.title)}**")
        if section.quote:
            parts.append(_blockquote(escape(section.quote)))
        if section.text:
            parts.append(escape(section.text))
        if parts:
            builder.text("\n".join(parts))
            shown = True
        for f in section.fields:
            if f.value.strip():
                builder.field(escape(f.name), escape(f.value), f.inline)
                shown = True
    if not shown:
        builder.text(escape(reply.summary))
    if len(links) > 1:
        builder.field("Links", "\n".join(_link(link.label, link.url) for link in links), inline=False)
    return builder.embeds


def _link(label: str, url: str) -> str:
    text = escape(label).replace("[", "(").replace("]", ")") or url
    return f"[{shorten(text, 200)}]({url})"


def _quote_value(q: Quote) -> str:
    return f"“{escape(q.text)}”"


def digest_embeds(digest: Digest, colour: int = COLOURS["answer"]) -> list[discord.Embed]:
    """A whole digest: title (linked to the article), TL;DR, key quotes with their speakers,
    implications, and the dispute when the article reports one."""
    a = digest.article
    builder = _Builder(colour)
    builder.new(title=escape(a.title or "Untitled article"), url=a.url)
    meta = " · ".join(x for x in (a.source, a.author and f"by {a.author}", a.published, f"{a.word_count:,} words") if x)
    builder.footer(meta)
    for note in a.notes:
        builder.text(f"*{escape(note)}*")
    builder.text("**TL;DR**\n" + escape(" ".join(digest.tldr)))
    quotes = [q for q in digest.quotes if q.speaker is not None]
    if quotes:
        builder.text("**Key quotes**")
        for q in quotes:
            who = speaker_text(q.speaker) + (" (low confidence)" if q.confidence_band == "low" else "")
            builder.field(escape(who), _quote_value(q), inline=False)
    if digest.implications:
        builder.text("**Implications**\n" + "\n".join(
            f"• **{escape(i.label)}**: {escape(i.text)}" if i.label else f"• {escape(i.text)}" for i in digest.implications))
    d = digest.dispute
    if d is not None:
        builder.new(title=escape(f"Dispute: {d.headline}"))
        parts = []
        if d.allegation:
            parts.append(f"**Allegation**: {escape(d.allegation)}")
        if d.actions:
            parts.append("**What was done**\n" + "\n".join(f"• {escape(x)}" for x in d.actions))
        if d.open_questions:
            parts.append("**Still open**\n" + "\n".join(f"• {escape(x)}" for x in d.open_questions))
        builder.text("\n\n".join(parts) or escape(d.headline))
        for party in d.parties:
            builder.field(escape(party.name), f"“{escape(party.position)}”" if party.position
                          else "No stated position in the article.", inline=False)
    return builder.embeds


# Messages

@dataclass(frozen=True)
class Message:
    """One Discord message: optional content and up to 10 embeds within 6,000 characters."""

    content: str | None
    embeds: list[discord.Embed]

    @property
    def embed_chars(self) -> int:
        return sum(len(e) for e in self.embeds)


def pack(embeds: Iterable[discord.Embed], content: str | None = None) -> list[Message]:
    """Embeds in order, as few messages as the limits allow; `content` goes with the first."""
    messages: list[list[discord.Embed]] = [[]]
    total = 0
    for embed in embeds:
        size = len(embed)
        if messages[-1] and (len(messages[-1]) >= EMBEDS_PER_MESSAGE or total + size > MESSAGE_EMBED_CHARS):
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += size
    return [Message(content=content if number == 0 else None, embeds=group) for number, group in enumerate(messages)]


def reply_messages(reply: Reply) -> list[Message]:
    return pack(reply_embeds(reply))


def post_messages(post: DigestPost) -> list[Message]:
    """A scheduled post: its title (and closing note: how many stories wait) as the first message's
    text, then each digest's embeds, a "+N similar" field with their links on the story's first embed."""
    embeds = []
    for d in post.digests:
        parts = digest_embeds(d)
        similar = post.similar_to(d)
        if similar:
            lines = [_link(s.title or s.source or "Untitled article", url) if (url := valid_url(s.url))
                     else escape(s.title or "Untitled article") for s in similar]
            value = shorten("\n".join(lines), FIELD_VALUE)
            room = len(parts[0].fields) < FIELDS and len(parts[0]) + len(value) + 20 <= MESSAGE_EMBED_CHARS
            target = parts[0] if room else discord.Embed(colour=parts[0].colour)
            target.add_field(name=f"+{len(similar)} similar", value=value, inline=False)
            if not room:
                parts.append(target)
        embeds += parts
    content = escape(post.title) + (f"\n{escape(post.note)}" if post.note else "")
    return pack(embeds, content=shorten(content, CONTENT) or None)


def notice_message(text: str) -> Message:
    return Message(content=shorten(escape(text), CONTENT), embeds=[])


def nonce(idempotency_key: str, index: int = 0) -> str:
    """The nonce of message `index` of a post: the same on every retry of the same post, different
    for each message and post, 25 characters (Discord's maximum)."""
    return hashlib.sha256(f"{idempotency_key}\x00{index}".encode("utf-8")).hexdigest()[:NONCE]


def article_choices(articles: Sequence[ArticleSummary]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: a readable line (title · date · source) whose value is the article id."""
    choices = []
    for a in articles[:CHOICES]:
        name = shorten(plain(article_line(a)), CHOICE_NAME) or a.id
        choices.append(app_commands.Choice(name=name, value=a.id[:CHOICE_VALUE]))
    return choices
