"""Replies and digests as Slack messages: Block Kit blocks plus a plain `text` for notifications.

Pure functions, no Slack client: a `Reply` (or a whole `Digest`, or a scheduled `DigestPost`) in, a
list of `Message`s out. The first message is what the channel sees; when a digest is too long for one
message, it ends cleanly with "…and N more" and the later messages are meant for its thread.

Slack's limits are kept here, counted the way Slack counts (UTF-16 code units, which is never fewer
than Python's characters): at most 50 blocks a message, 3,000 characters in a section's text, 2,000
in a section field and at most 10 fields, 150 in a header, 75 in a button's label, 3,000 in a URL.

Everything that comes from an article (titles, quotes, names, the dispute) is escaped before it goes
into mrkdwn: `&`, `<` and `>` become entities, so nothing an article says can turn into
`<!channel>`, a user mention or a link; the formatting characters `*`, `~`, backtick and, at a word's
edge, `_` become look-alike characters, so an article cannot bold, strike or code-format anything,
nor pair with the bot's own formatting; a line starting with `>` cannot start a block quote. Text
objects are `verbatim`, so Slack does not turn bare URLs or #channel names into links either.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.platforms import DigestPost, SimilarStory
from bot.replies import Reply, Section
from digests.models import Digest, Quote, Speaker

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTONS = 5  # Slack allows 25 elements in an actions block; more than a few links is noise
MAX_URL = 3000
MAX_FALLBACK_TEXT = 3000  # the notification text; Slack's own cap is far higher, nobody reads more

LINK_ACTION_PREFIX = "newsdigest_link"
ELLIPSIS = "…"

Block = dict[str, Any]

_LOOKALIKE = {"*": "\u2217", "~": "\u223c", "`": "\u02cb", "_": "\u02cd"}
_FORMATTING = re.compile(r"[*~_`]")
_LEADING_QUOTE = re.compile(r"(?m)^&gt;")
_HTTP_URL = re.compile(r"https?://[^\s<>|]+\Z")


def slack_len(text: str) -> int:
    """Length as Slack counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _neutralise(match: re.Match[str]) -> str:
    """A formatting character as a look-alike where it could open or close formatting. Backticks
    always; `*`, `~`, `_` not between two spaces ("0 8 * * mon-fri" keeps its stars), and `_` not
    inside a word (snake_case names and most URLs keep theirs)."""
    char, text, at = match.group(), match.string, match.start()
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    if char != "`" and before.isspace() and after.isspace():
        return char
    if char == "_" and before.isalnum() and after.isalnum():
        return char
    return _LOOKALIKE[char]


def escape(text: str) -> str:
    """Any text for mrkdwn: entities for & < >, look-alikes for formatting characters."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _FORMATTING.sub(_neutralise, text)
    return _LEADING_QUOTE.sub("\u00ad&gt;", text)  # a soft hyphen: invisible, and no block quote


def escape_plain(text: str) -> str:
    """Text for a plain_text object: entities only (plain text is not formatted)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` (already escaped) cut to `limit` UTF-16 units with an ellipsis, never inside an entity
    nor a surrogate pair, and at a word boundary when one is near the end."""
    if slack_len(text) <= limit:
        return text
    budget = limit - 1
    cut = text[:budget]
    while slack_len(cut) > budget:
        cut = cut[:-1]
    amp = cut.rfind("&", max(0, len(cut) - 6))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(escape_plain(text), limit), "emoji": False}


def section(text: str) -> Block:
    """A section block; `text` is finished mrkdwn (escaped and clipped by the caller)."""
    return {"type": "section", "text": mrkdwn(text)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain((text or "").strip() or "Untitled article", MAX_HEADER_TEXT)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def quote_lines(text: str) -> str:
    """Escaped text as a mrkdwn block quote (every line starts with `>`)."""
    return "\n".join(">" + line for line in text.split("\n"))


def is_linkable(url: str | None) -> bool:
    return bool(url) and slack_len(url) <= MAX_URL and bool(_HTTP_URL.match(url or ""))


def link_buttons(links: Iterable[tuple[str, str]], prefix: str = LINK_ACTION_PREFIX) -> Block | None:
    """An actions block of URL buttons (label, url); None when no URL can be linked."""
    elements = []
    for label, url in links:
        if not is_linkable(url) or len(elements) == MAX_BUTTONS:
            continue
        elements.append({"type": "button", "text": plain(label, MAX_BUTTON_TEXT), "url": url,
                         "action_id": f"{prefix}_{len(elements)}"})
    return {"type": "actions", "elements": elements} if elements else None


@dataclass(frozen=True)
class Message:
    """One Slack message: `text` is the notification and fallback, `blocks` the layout."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def fallback(*parts: str | None) -> str:
    return clip(escape(" — ".join(p.strip() for p in parts if p and p.strip())), MAX_FALLBACK_TEXT)


# Digests -------------------------------------------------------------------------------------------

def speaker_mrkdwn(speaker: Speaker | None) -> str:
    """ "*Christopher Nulty*, spokesperson, Anthropic" (escaped), or "_unattributed_"."""
    if speaker is None:
        return "_unattributed_"
    details = [p for p in (speaker.role, speaker.org) if p and p != speaker.name]
    return ", ".join([f"*{escape(speaker.name.strip())}*", *(escape(d) for d in details)])


@dataclass(frozen=True)
class Unit:
    """Blocks that belong together and are never split across messages (a quote and its speaker,
    an article's header and TL;DR). `kind` names what "…and N more" counts."""

    kind: str
    blocks: list[Block]
    count: int = 1  # how many things of `kind` it shows (a section of bullets shows several)


_NOUNS = {"article": ("article", "articles"), "quote": ("quote", "quotes"),
          "implication": ("implication", "implications"), "dispute": ("part of the dispute", "parts of the dispute"),
          "item": ("item", "items")}


def _items_to_sections(title: str, items: Sequence[str], kind: str) -> list[Unit]:
    """Bullet lines (escaped) under a bold title, packed into as few sections as the limit allows;
    each section is its own unit so a long list can continue in the thread."""
    units: list[Unit] = []
    current = f"*{title}*"
    count = 0
    for item in items:
        line = "• " + clip(item, MAX_SECTION_TEXT - 200)
        if slack_len(current) + 1 + slack_len(line) > MAX_SECTION_TEXT and count:
            units.append(Unit(kind, [section(current)], count))
            current, count = f"*{title}* (continued)", 0
        current += "\n" + line
        count += 1
    if count:
        units.append(Unit(kind, [section(current)], count))
    return units


def _quote_block(q: Quote) -> Block:
    note = " · _low confidence_" if q.confidence_band == "low" else ""
    attribution = f"— {speaker_mrkdwn(q.speaker)}{note}"
    # Room for the quote: the section limit less the attribution, the marks and a newline.
    room = MAX_SECTION_TEXT - slack_len(attribution) - 8
    words = clip(escape(q.text), max(room, 200))
    return section(clip(quote_lines(f"“{words}”") + "\n" + attribution, MAX_SECTION_TEXT))


def digest_units(digest: Digest, *, article_id: str | None = None) -> list[Unit]:
    """Every block of one digest, as units: the article (header, details, TL;DR, a button to the
    article), then each attributed quote, the implications and the dispute."""
    a = digest.article
    details = [escape(x) for x in (a.published, a.source, a.author) if x]
    if a.word_count:
        details.append(f"{a.word_count:,} words")
    intro: list[Block] = [header(a.title or "Untitled article")]
    if details:
        intro.append(context(clip(" · ".join(details), MAX_SECTION_TEXT)))
    for note in a.notes:
        intro.append(context(escape(note)))
    tldr = clip(escape(" ".join(digest.tldr)), MAX_SECTION_TEXT - 20)
    intro.append(section(f"*TL;DR*\n{tldr}"))
    buttons = link_buttons([("Read the article", a.url or "")], prefix=f"{LINK_ACTION_PREFIX}_{(article_id or a.id)[:16]}")
    if buttons:
        intro.append(buttons)
    units = [Unit("article", intro)]

    quotes = [q for q in digest.quotes if q.speaker is not None]
    for i, q in enumerate(quotes):
        blocks = [_quote_block(q)]
        if i == 0:
            blocks.insert(0, section(f"*Key quotes* ({len(quotes)})"))
        units.append(Unit("quote", blocks))

    if digest.implications:
        lines = [f"*{escape(i.label)}:* {escape(i.text)}" if i.label else escape(i.text) for i in digest.implications]
        units += _items_to_sections("Implications", lines, "implication")

    d = digest.dispute
    if d is not None:
        text = f"*Dispute: {escape(d.headline)}*"
        if d.allegation:
            text += f"\n*Allegation:* {escape(d.allegation)}"
        units.append(Unit("dispute", [{"type": "divider"}, section(clip(text, MAX_SECTION_TEXT))]))
        if d.actions:
            units += [Unit("dispute", u.blocks) for u in _items_to_sections("What was done", [escape(x) for x in d.actions], "dispute")]
        for party in d.parties:
            name = clip(escape(party.name.strip()), 200)
            if party.position:
                body = quote_lines(f"“{clip(escape(party.position), MAX_SECTION_TEXT - 260)}”")
            else:
                body = "_No stated position in the article._"
            blocks = [section(f"*{name}*\n{body}")]
            speakers = sorted({speaker_mrkdwn(q.speaker) for q in party.quotes if q.speaker})
            if speakers:
                blocks.append(context(clip("Quoted: " + "; ".join(speakers[:3]), MAX_SECTION_TEXT)))
            units.append(Unit("dispute", blocks))
        if d.open_questions:
            units += [Unit("dispute", u.blocks) for u in _items_to_sections("Still open", [escape(x) for x in d.open_questions], "dispute")]
    return units


def more_note(rest: Sequence[Unit], where: str) -> str:
    """ "…and 37 more quotes, 2 more articles (continued in the thread)"."""
    counts: Counter[str] = Counter()
    for unit in rest:
        counts[unit.kind] += unit.count
    parts = []
    for kind in ("article", "quote", "implication", "dispute", "item"):
        n = counts.get(kind)
        if n:
            one, many = _NOUNS[kind]
            parts.append(f"{n} more {one if n == 1 else many}")
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else f"{len(rest)} more"
    return f"{ELLIPSIS}and {listed} {where}"


def paginate(units: Sequence[Unit], text: str, *, thread: bool = True, continued_text: str | None = None,
             left_out: str = "(not shown)", max_blocks: int = MAX_BLOCKS) -> list[Message]:
    """Pack units into messages of at most `max_blocks` blocks, never splitting a unit.

    When everything fits, one message. Otherwise the first message ends with a context line
    "…and N more …" and, with `thread`, the rest follows in further messages (for the thread of the
    first); without it, the rest is left out and the note ends with `left_out`."""
    total = sum(len(u.blocks) for u in units)
    if total <= max_blocks:
        return [Message(text, [b for u in units for b in u.blocks])]
    first: list[Block] = []
    taken = 0
    for unit in units:
        if len(first) + len(unit.blocks) > max_blocks - 1:  # one block kept for the note
            break
        first += unit.blocks
        taken += 1
    if taken == 0:  # a unit bigger than a message cannot happen with the renderers here; cut it
        first, taken = list(units[0].blocks[: max_blocks - 1]), 1
    rest = list(units[taken:])
    first.append(context(more_note(rest, "(continued in the thread)" if thread else left_out)))
    messages = [Message(text, first)]
    if thread:
        current: list[Block] = []
        for unit in rest:
            if current and len(current) + len(unit.blocks) > max_blocks:
                messages.append(Message(continued_text or text, current))
                current = []
            current += unit.blocks[:max_blocks]
        if current:
            messages.append(Message(continued_text or text, current))
    return messages


def digest_messages(digest: Digest, *, thread: bool = True, article_id: str | None = None) -> list[Message]:
    """One digest, laid out in full; see `paginate` for what happens when it is too long."""
    title = digest.article.title or "Untitled article"
    return paginate(digest_units(digest, article_id=article_id), fallback(title, " ".join(digest.tldr)),
                    thread=thread, continued_text=fallback(f"{title} (continued)"),
                    left_out="(too long for one message: the article has the rest)")


def similar_block(stories: Sequence[SimilarStory]) -> Block:
    """ "+2 similar: <link|title> · <link|title>": near-duplicates grouped under a story."""
    links = []
    for story in stories:
        title = clip(escape(story.title or story.source or "Untitled article"), 200).replace("|", "∣")
        links.append(f"<{story.url}|{title}>" if is_linkable(story.url) else title)
    return context(clip(f"+{len(stories)} similar: " + " · ".join(links), MAX_SECTION_TEXT))


def post_messages(post: DigestPost) -> list[Message]:
    """A scheduled post of several digests: a header with the post's title, each digest after a
    divider (with its "+N similar" line), the post's closing note (how many stories wait); what does
    not fit in the first message continues in its thread."""
    units = [Unit("item", [header(post.title)])]
    for i, digest in enumerate(post.digests):
        parts = digest_units(digest, article_id=f"{i}")
        if i:
            parts[0] = Unit(parts[0].kind, [{"type": "divider"}, *parts[0].blocks])
        similar = post.similar_to(digest)
        if similar:
            parts[0] = Unit(parts[0].kind, [*parts[0].blocks, similar_block(similar)])
        units += parts
    if post.note:
        units.append(Unit("item", [context(clip(escape(post.note), MAX_SECTION_TEXT))], count=0))  # not an item of "…and N more"
    titles = "; ".join(d.article.title or "Untitled article" for d in post.digests)
    return paginate(units, fallback(post.title, titles), thread=True, continued_text=fallback(f"{post.title} (continued)"))


# Replies -------------------------------------------------------------------------------------------

_KIND_MARK = {"answer": "", "not_found": ":mag: ", "usage": ":information_source: ", "error": ":warning: "}


def _section_blocks(s: Section, reply_title: str) -> list[Block]:
    lines = []
    if s.title and s.title.strip() and s.title != reply_title:
        lines.append(f"*{clip(escape(s.title.strip()), 300)}*")
    if s.quote and s.quote.strip():
        lines.append(quote_lines(f"“{clip(escape(s.quote), MAX_SECTION_TEXT - 400)}”"))
    if s.text and s.text.strip():
        lines.append(escape(s.text))
    block: Block = {"type": "section"}
    if lines:
        block["text"] = mrkdwn(clip("\n".join(lines), MAX_SECTION_TEXT))
    fields = [mrkdwn(clip(f"*{escape(f.name.strip())}*\n{escape(f.value)}", MAX_FIELD_TEXT))
              for f in s.fields[:MAX_FIELDS] if f.name.strip() or f.value.strip()]
    if fields:
        block["fields"] = fields
    return [block] if len(block) > 1 else []


def reply_messages(reply: Reply, *, thread: bool = False) -> list[Message]:
    """A command's reply. A reply that carries a digest is laid out as the digest; any other reply
    fits one message (sections beyond the limit are counted in "…and N more")."""
    if reply.digest is not None:
        return digest_messages(reply.digest, thread=thread)
    mark = _KIND_MARK.get(reply.kind, "")
    if reply.kind == "answer":
        units = [Unit("item", [header(reply.title)])]
    else:
        units = [Unit("item", [section(clip(f"{mark}*{escape(reply.title)}*", MAX_SECTION_TEXT))])]
    for s in reply.sections:
        blocks = _section_blocks(s, reply.title)
        if blocks:
            units.append(Unit("item", blocks))
    buttons = link_buttons((link.label, link.url) for link in reply.links)
    if buttons:
        # The links stay in the first message whatever else is cut: put them right after the title.
        units.insert(1, Unit("item", [buttons]))
    text = fallback(reply.summary if reply.kind == "answer" else f"{reply.title}: {reply.summary}")
    return paginate(units, text, thread=thread)


def notice_message(text: str) -> Message:
    """A short notice from the bot (a schedule paused, a feed failing)."""
    body = clip(escape(text), MAX_SECTION_TEXT)
    return Message(fallback(text), [section(body)])
