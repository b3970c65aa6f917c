"""Replies and digests as Slack messages: Block Kit blocks plus a plain `text` for notifications.

Pure functions, no Slack client: a `Reply` (or a whole `Digest`, a scheduled `DigestPost`, a notice)
in, a list of `Message`s out. What is shown, in which words and order, is `bot.views`'s: this module
only translates its blocks to Block Kit. The first message is what the channel sees; when a digest is
too long for one message, it ends cleanly with "…and N more" and the later messages are meant for its
thread.

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

from bot import views
from bot.commands.actions import action_value
from bot.platforms import DigestPost
from bot.replies import Reply
from digests.models import Digest

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
RUN_ACTION_PREFIX = "newsdigest_run"  # a button that runs a command (bot.views.Action); its value says which
MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value
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
    return url is not None and url != "" and slack_len(url) <= MAX_URL and bool(_HTTP_URL.match(url))


def link_buttons(links: Iterable[tuple[str, str]], prefix: str = LINK_ACTION_PREFIX) -> Block | None:
    """An actions block of URL buttons (label, url); None when no URL can be linked."""
    elements: list[Block] = []
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



# Views -------------------------------------------------------------------------------------------
#
# A view (bot.views) becomes Block Kit block by block. Running text (headings, paragraphs, quotes,
# bullets) is joined into as few sections as fit, so that a part takes few of a message's 50 blocks;
# each part becomes one or more `Unit`s, which `paginate` never splits.

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
_KIND_MARK = {"not_found": ":mag: ", "usage": ":information_source: ", "error": ":warning: "}
ARTICLE_HAS_REST = "(too long for one message: the article has the rest)"


def attribution_mrkdwn(quote: views.Quote) -> str:
    """ "— *Christopher Nulty, spokesperson, Anthropic* · _likely_" (escaped), "— _unattributed_", or
    nothing for a quote shown without a speaker."""
    if quote.speaker is None:
        return ""
    who = f"*{escape(quote.speaker)}*" if quote.attributed else f"_{escape(quote.speaker)}_"
    return f"— {who}" + (f" · _{escape(quote.label)}_" if quote.label else "")


def _quote_text(q: views.Quote) -> str:
    attribution = attribution_mrkdwn(q)
    # Room for the words: the section limit less the attribution, the marks and a newline.
    room = MAX_SECTION_TEXT - slack_len(attribution) - 8 if attribution else MAX_SECTION_TEXT - 400
    quoted = quote_lines(views.in_quote_marks(clip(escape(q.text), max(room, 200))))
    return clip(quoted + ("\n" + attribution if attribution else ""), MAX_SECTION_TEXT)


def _item_line(item: views.Item) -> str:
    text = f"*{escape(item.label)}:* {escape(item.text)}" if item.label else escape(item.text)
    return "• " + clip(text, MAX_SECTION_TEXT - 200)


def _links_line(links: views.Links) -> str:
    """A titled list of links on one line: "+2 similar: <url|title> · title"."""
    shown = []
    for link in links.links:
        label = clip(escape(link.label), 200).replace("|", "∣")
        shown.append(f"<{link.url}|{label}>" if is_linkable(link.url) else label)
    return clip(f"{escape(links.title or '')}: " + " · ".join(shown), MAX_SECTION_TEXT)


# What one view block becomes: ("text", mrkdwn) joins the running text next to it; ("bullets",
# lines) too, and may continue in further units; ("fields", …) goes into the section of the text
# before it; ("block", …) stands alone.
Piece = tuple[str, Any]


def _pieces(block: views.Block, kind: str) -> list[Piece]:
    if isinstance(block, views.Heading):
        if block.level == "article" or (block.level == "title" and kind in {"answer", "post"}):
            return [("block", header(block.text))]
        if block.level == "title":
            return [("text", clip(f"{_KIND_MARK.get(kind, '')}*{escape(block.text)}*", MAX_SECTION_TEXT))]
        return [("text", f"*{clip(escape(block.text), 300)}*")]
    if isinstance(block, views.Meta):
        return [("block", context(clip(" · ".join(escape(x) for x in block.items), MAX_SECTION_TEXT)))]
    if isinstance(block, (views.Note, views.More)):
        return [("block", context(clip(escape(block.text), MAX_SECTION_TEXT)))]
    if isinstance(block, views.Paragraph):
        label = f"*{escape(block.label)}:* " if block.label else ""
        return [("text", clip(label + escape(block.text), MAX_SECTION_TEXT - 20))]
    if isinstance(block, views.Quote):
        return [("text", _quote_text(block))]
    if isinstance(block, views.Bullets):
        return [("bullets", [_item_line(item) for item in block.items])]
    if isinstance(block, views.Fields):
        return [("fields", [mrkdwn(clip(f"*{escape(f.name.strip())}*\n{escape(f.value)}", MAX_FIELD_TEXT))
                            for f in block.fields[:MAX_FIELDS]])]
    if isinstance(block, views.DisputeParty):
        name = clip(escape(block.name.strip()), 200)
        body = (quote_lines(views.in_quote_marks(clip(escape(block.position), MAX_SECTION_TEXT - 260)))
                if block.position else f"_{escape(views.NO_POSITION)}_")
        pieces: list[Piece] = [("block", section(f"*{name}*\n{body}"))]
        if block.quoted:
            quoted = "; ".join(escape(s) for s in block.quoted)
            pieces.append(("block", context(clip(f"{views.QUOTED}: {quoted}", MAX_SECTION_TEXT))))
        return pieces
    if isinstance(block, views.Links):
        if block.title:
            return [("block", context(_links_line(block)))]
        prefix = f"{LINK_ACTION_PREFIX}_{block.key}" if block.key else LINK_ACTION_PREFIX
        buttons = link_buttons(((link.label, link.url or "") for link in block.links), prefix=prefix)
        return [("block", buttons)] if buttons else []
    if isinstance(block, views.Actions):
        buttons = run_buttons(block)
        return [("block", buttons)] if buttons else []
    if isinstance(block, views.Divider):
        return [("block", {"type": "divider"})]
    raise TypeError(f"no Slack layout for {type(block).__name__}")


def run_buttons(block: views.Actions) -> Block | None:
    """An actions block of command buttons; a button whose value would be over Slack's limit is left
    out (the person can still type the command)."""
    elements: list[Block] = []
    prefix = f"{RUN_ACTION_PREFIX}_{block.key}" if block.key else RUN_ACTION_PREFIX  # unique in the message
    for action in block.actions[:MAX_BUTTONS]:
        value = action_value(action)
        if len(value) <= MAX_BUTTON_VALUE:
            elements.append({"type": "button", "text": plain(action.label, MAX_BUTTON_TEXT), "value": value,
                             "action_id": f"{prefix}_{len(elements)}"})
    return {"type": "actions", "elements": elements} if elements else None


def _units_of(part: views.Part, kind: str) -> list[Unit]:
    """One part as units: usually one; a bullet list longer than a section continues in further
    units, each counted for the items it shows when the part counts items (implications)."""
    noun = "item" if part.kind == "title" else part.kind
    per_item = part.count > 0 and part.count == sum(len(b.items) for b in part.blocks if isinstance(b, views.Bullets))
    units: list[Unit] = []
    blocks: list[Block] = []
    running: list[str] = []
    heading = ""
    items = 0  # bullets in the current unit

    def flush() -> None:
        if running:
            blocks.append(section(clip("\n".join(running), MAX_SECTION_TEXT)))
            running.clear()

    def fits(text: str) -> bool:
        return not running or slack_len("\n".join(running)) + 1 + slack_len(text) <= MAX_SECTION_TEXT

    def close_unit() -> None:
        nonlocal items
        flush()
        if blocks:
            units.append(Unit(noun, list(blocks), items if per_item else (0 if units else part.count)))
            blocks.clear()
        items = 0

    for block in part.blocks:
        if isinstance(block, views.Heading) and block.level in {"section", "subsection"}:
            heading = f"*{clip(escape(block.text), 300)}*"
        for what, value in _pieces(block, kind):
            if what == "text":
                if not fits(value):
                    flush()
                running.append(value)
            elif what == "block":
                flush()
                if value.get("type") == "actions" and blocks and blocks[-1].get("type") == "actions":
                    # A story's command buttons beside its "Read the article": one block, not two
                    # (a message holds 50).
                    blocks[-1] = {**blocks[-1], "elements": [*blocks[-1]["elements"], *value["elements"]]}
                else:
                    blocks.append(value)
            elif what == "fields":
                if running:
                    blocks.append({**section(clip("\n".join(running), MAX_SECTION_TEXT)), "fields": value})
                    running.clear()
                else:
                    blocks.append({"type": "section", "fields": value})
            else:  # bullets
                for line in value:
                    if not fits(line):
                        close_unit()
                        if heading:
                            running.append(f"{heading} (continued)")
                    running.append(line)
                    items += 1
    close_unit()
    return units


def view_units(view: views.View) -> list[Unit]:
    return [unit for part in view.parts for unit in _units_of(part, view.kind)]


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


def view_messages(view: views.View, *, thread: bool = True) -> list[Message]:
    """Any view as messages; see `paginate` for a view too long for one message. A reply's links
    stay in its first message whatever else is cut: they go right after its title."""
    units = view_units(view)
    has_article = any(part.kind == "article" for part in view.parts)
    if not has_article:
        actions = [u for u in units[1:] if u.blocks and u.blocks[0].get("type") == "actions"]
        units = [*units[:1], *actions, *[u for u in units[1:] if u not in actions]]
    return paginate(units, fallback(view.summary), thread=thread,
                    continued_text=fallback(f"{view.title} (continued)") if has_article else None,
                    left_out=ARTICLE_HAS_REST if has_article and view.kind != "post" else "(not shown)")


def digest_messages(digest: Digest, *, thread: bool = True) -> list[Message]:
    """One digest, laid out in full (bot.views.digest_view)."""
    return view_messages(views.digest_view(digest), thread=thread)


def post_messages(post: DigestPost) -> list[Message]:
    """A scheduled post of several digests (bot.views.post_view); what does not fit in the first
    message continues in its thread."""
    return view_messages(views.post_view(post), thread=True)


def reply_messages(reply: Reply, *, thread: bool = False) -> list[Message]:
    """A command's reply (bot.views.reply_view): a reply that carries a digest is laid out as that
    digest; any other fits one message (what is beyond the limit is counted in "…and N more")."""
    return view_messages(views.reply_view(reply), thread=thread)


def notice_message(text: str) -> Message:
    """A short notice from the bot (a schedule paused, a feed failing)."""
    return view_messages(views.notice_view(text), thread=False)[0]
