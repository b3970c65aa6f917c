"""Replies and digests as Discord embeds, within Discord's limits. Pure functions: nothing here sends.
What is shown, in which words and order, is `bot.views`'s: this module translates its blocks.

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

from bot import views
from bot.commands.actions import action_value
from bot.platforms import DigestPost
from bot.replies import Reply, ReplyKind
from digests.models import Digest

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


# Views: bot.views's blocks as embeds. Running text of a part is joined into one description block;
# a quote with a speaker, a dispute party and named values become fields; a divider starts a new
# embed, and a heading that opens an empty embed becomes its title.

def _link(label: str, url: str) -> str:
    text = escape(label).replace("[", "(").replace("]", ")") or url
    return f"[{shorten(text, 200)}]({url})"


def _links_text(links: Iterable[views.Link]) -> str:
    return "\n".join(_link(link.label, url) if (url := valid_url(link.url)) else escape(link.label) for link in links)


def quote_name(quote: views.Quote) -> str:
    """A quote's field name: "Christopher Nulty, spokesperson, Anthropic · likely", or "unattributed"."""
    return escape(quote.speaker or "") + (f" · {escape(quote.label)}" if quote.label else "")


def _item_line(item: views.Item) -> str:
    return f"• **{escape(item.label)}**: {escape(item.text)}" if item.label else f"• {escape(item.text)}"


@dataclass
class _ViewBuilder:
    builder: _Builder
    linked: str | None = None  # the URL the current embed's title links to
    fresh: bool = False  # a divider asked for a new embed, not made yet
    running: list[str] = field(default_factory=list)
    # Command buttons, with the index of the embed they follow: a message carries the buttons of
    # the stories whose embeds it holds.
    actions: list[tuple[int, views.Actions]] = field(default_factory=list)

    def flush(self) -> None:
        if self.running:
            if self.fresh:
                self.builder.new()
                self.fresh = False
            self.builder.text("\n".join(self.running))
            self.running.clear()

    def new(self, title: str, url: str | None = None) -> None:
        self.flush()
        self.builder.new(title=escape(title), url=url)
        self.linked, self.fresh = valid_url(url), False

    def add_field(self, name: str, value: str, inline: bool = True) -> None:
        self.flush()
        if self.fresh:
            self.builder.new()
            self.fresh = False
        self.builder.field(name, value, inline)

    def block(self, block: views.Block) -> None:
        if isinstance(block, views.Heading):
            current = self.builder.embeds[-1] if self.builder.embeds else None
            if block.level in {"title", "article"}:
                self.new(block.text, block.url)
            elif self.fresh or current is None:  # the heading of a new embed: its title ("Dispute: …")
                self.new(block.text, block.url)
            else:
                self.running.append(f"**{escape(block.text)}**")
        elif isinstance(block, views.Meta):
            self.flush()
            self.builder.footer(" · ".join(block.items))
        elif isinstance(block, views.Note):
            self.running.append(f"*{escape(block.text)}*")
        elif isinstance(block, views.More):
            self.running.append(escape(block.text))
        elif isinstance(block, views.Paragraph):
            self.running.append((f"**{escape(block.label)}**: " if block.label else "") + escape(block.text))
        elif isinstance(block, views.Quote):
            if block.speaker is None:
                self.running.append(_blockquote(escape(block.text)))
            else:
                self.add_field(quote_name(block), views.in_quote_marks(escape(block.text)), inline=False)
        elif isinstance(block, views.Bullets):
            self.running.append("\n".join(_item_line(item) for item in block.items))
        elif isinstance(block, views.Fields):
            for f in block.fields:
                if f.value.strip():
                    self.add_field(escape(f.name), escape(f.value), f.inline)
        elif isinstance(block, views.DisputeParty):
            value = views.in_quote_marks(escape(block.position)) if block.position else escape(views.NO_POSITION)
            if block.quoted:
                value += f"\n{views.QUOTED}: " + "; ".join(escape(s) for s in block.quoted)
            self.add_field(escape(block.name), value, inline=False)
        elif isinstance(block, views.Links):
            if block.title:  # a titled list ("+2 similar") reads on with the text around it
                self.running.append(f"**{escape(block.title)}**\n" + _links_text(block.links))
                return
            links = [link for link in block.links if valid_url(link.url)]
            if links and not (len(links) == 1 and links[0].url == self.linked):  # not just where the title leads
                self.add_field("Links", _links_text(links), inline=False)
        elif isinstance(block, views.Actions):
            self.flush()  # buttons are components under the message, not embed content
            self.actions.append((len(self.builder.embeds) - 1, block))
        elif isinstance(block, views.Divider):
            self.flush()
            self.fresh = True
        else:
            raise TypeError(f"no Discord layout for {type(block).__name__}")


COLOURS_OF_VIEWS: dict[views.ViewKind, int] = {"answer": COLOURS["answer"], "not_found": COLOURS["not_found"],
                                              "usage": COLOURS["usage"], "error": COLOURS["error"],
                                              "notice": COLOURS["answer"], "post": COLOURS["answer"]}


def view_embeds(view: views.View) -> list[discord.Embed]:
    """A view's blocks as embeds (a post's title is not among them: it is its first message's text)."""
    return _built(view).builder.embeds


def _built(view: views.View) -> _ViewBuilder:
    out = _ViewBuilder(_Builder(COLOURS_OF_VIEWS[view.kind]))
    for part in view.parts:
        for block in part.blocks:
            if view.kind == "post" and isinstance(block, views.Heading) and block.level == "title":
                continue
            if view.kind == "post" and part.kind == "note":
                continue
            out.block(block)
        out.flush()
    return out


def reply_embeds(reply: Reply) -> list[discord.Embed]:
    """A command's reply (bot.views.reply_view). A digest answer is laid out as a whole digest."""
    return view_embeds(views.reply_view(reply))


def digest_embeds(digest: Digest) -> list[discord.Embed]:
    """A whole digest (bot.views.digest_view): title (linked to the article), TL;DR, key quotes with
    their speakers, implications, and the dispute when the article reports one."""
    return view_embeds(views.digest_view(digest))


# Messages

@dataclass(frozen=True)
class Message:
    """One Discord message: optional content and up to 10 embeds within 6,000 characters."""

    content: str | None
    embeds: list[discord.Embed]
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, custom_id) of command buttons

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


BUTTON_PREFIX = "nd_run:"  # a command button's custom_id: this, then bot.commands.actions.action_value
CUSTOM_ID = 100  # Discord's limit on a custom_id
BUTTON_LABEL = 80
BUTTONS_PER_MESSAGE = 25  # five rows of five


def button(action: views.Action) -> tuple[str, str] | None:
    """(label, custom_id) of a command button; None when its custom_id would be over Discord's limit
    (the person can still use the command). A story's button names the story: a message's buttons
    are under all its embeds."""
    custom_id = BUTTON_PREFIX + action_value(action)
    if len(custom_id) > CUSTOM_ID:
        return None
    label = f"{action.label} · {action.story}" if action.story else action.label
    return shorten(label, BUTTON_LABEL), custom_id


def reply_messages(reply: Reply) -> list[Message]:
    """A reply's embeds, and its command buttons under the last message (a button whose custom_id
    would be over Discord's limit is left out: the person can still use the command's option)."""
    messages = pack(reply_embeds(reply))
    for block in views.reply_view(reply).blocks:
        if isinstance(block, views.Actions):
            for action in block.actions[:5]:
                made = button(action)
                if made is not None:
                    messages[-1].buttons.append(made)
    return messages


def post_messages(post: DigestPost) -> list[Message]:
    """A scheduled post (bot.views.post_view): its title and closing lines (how many stories wait,
    how many were left out) as the first message's text, then each digest's embeds."""
    view = views.post_view(post)
    closing = [b.text for p in view.parts if p.kind == "note" for b in p.blocks if isinstance(b, (views.More, views.Note))]
    content = "\n".join(escape(line) for line in [post.title, *closing])
    built = _built(view)
    messages = pack(built.builder.embeds, content=shorten(content, CONTENT) or None)
    # Each story's buttons go on the message that holds its embeds.
    ends = [sum(len(m.embeds) for m in messages[:i + 1]) for i in range(len(messages))]
    for embed, block in built.actions:
        message = messages[next((i for i, end in enumerate(ends) if embed < end), len(messages) - 1)]
        for action in block.actions:
            made = button(action)
            if made is not None and len(message.buttons) < BUTTONS_PER_MESSAGE:
                message.buttons.append(made)
    return messages


def notice_message(text: str) -> Message:
    """A notice (bot.views.notice_view) as a plain message: its text, no embed."""
    view = views.notice_view(text)
    body = "\n\n".join(b.text for b in view.blocks if isinstance(b, views.Paragraph))
    return Message(content=shorten(escape(body), CONTENT), embeds=[])


def nonce(idempotency_key: str, index: int = 0) -> str:
    """The nonce of message `index` of a post: the same on every retry of the same post, different
    for each message and post, 25 characters (Discord's maximum)."""
    return hashlib.sha256(f"{idempotency_key}\x00{index}".encode("utf-8")).hexdigest()[:NONCE]


def article_choices(articles: Sequence[ArticleSummary]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: a readable line (title · date · source) whose value is the article id."""
    choices = []
    for a in articles[:CHOICES]:
        name = shorten(plain(views.article_line(a)), CHOICE_NAME) or a.id
        choices.append(app_commands.Choice(name=name, value=a.id[:CHOICE_VALUE]))
    return choices
