"""Digests and replies for people at a terminal: coloured text (rich), Markdown, or JSON.

What is shown, in which words and order, is `bot.views`'s: this module translates its blocks. A
digest is drawn in a panel titled with the article's title; a reply is its title and sections.

Article text is never put into rich markup: it goes into `Text` objects, so that "[bold]" or
"[/]" in an article or a quote is printed as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from bot import views
from bot.platforms import DigestPost
from bot.replies import Reply
from digests.models import Digest

# How each kind of reply looks: the title's style and the marker before it.
_KIND_STYLE = {"answer": ("bold cyan", ""), "not_found": ("bold yellow", "? "),
               "usage": ("bold magenta", ""), "error": ("bold red", "✗ ")}


# Rich text

def quote_line(quote: views.Quote) -> Text:
    """ "• “words” — Christopher Nulty, spokesperson, Anthropic · likely"; a quote shown without a
    speaker is the words alone."""
    if quote.speaker is None:
        return Text(views.in_quote_marks(quote.text), style="italic")
    line = Text("• “")
    line.append(quote.text, style="italic")
    line.append("” — ")
    line.append(quote.speaker, style="bold" if quote.attributed else "dim")
    if quote.label:
        line.append(f" · {quote.label}", style="yellow")
    return line


def _item(item: views.Item) -> Text:
    line = Text("• ")
    if item.label:
        line.append(f"{item.label}: ", style="bold")
    line.append(item.text)
    return line


def block_lines(block: views.Block, kind: views.ViewKind = "answer", in_panel: bool = False) -> list[RenderableType]:
    """One block as terminal lines (an article's heading is drawn by its panel, not here). In a panel
    a section heading has a blank line before it; elsewhere parts are already a blank line apart."""
    if isinstance(block, views.Heading):
        if block.level == "title":
            style, marker = _KIND_STYLE.get(kind, _KIND_STYLE["answer"])
            return [Rule(Text(block.text))] if kind == "post" else [Text(marker + block.text, style=style)]
        if block.level == "article":
            return [Text(block.text, style="bold")]
        if block.level == "section":
            return [Text(("\n" if in_panel else "") + block.text, style="bold cyan" if in_panel else "bold")]
        return [Text(block.text, style="bold")]
    if isinstance(block, views.Meta):
        return [Text(" · ".join(block.items), style="dim")]
    if isinstance(block, views.Note):
        return [Text(block.text, style="yellow")]
    if isinstance(block, views.More):
        return [Text(block.text, style="italic")]
    if isinstance(block, views.Paragraph):
        return [Text.assemble((f"{block.label}: ", "bold"), block.text) if block.label else Text(block.text)]
    if isinstance(block, views.Quote):
        return [quote_line(block)]
    if isinstance(block, views.Bullets):
        return [_item(item) for item in block.items]
    if isinstance(block, views.Fields):
        return [Text.assemble((f"{f.name}: ", "bold"), f.value) for f in block.fields]
    if isinstance(block, views.DisputeParty):
        position = (views.in_quote_marks(block.position), "") if block.position else (views.NO_POSITION, "dim")
        lines: list[RenderableType] = [Text.assemble((f"{block.name}: ", "bold"), position)]
        if block.quoted:
            lines.append(Text(f"  {views.QUOTED}: " + "; ".join(block.quoted), style="dim"))
        return lines
    if isinstance(block, views.Links):
        if block.title:  # a titled list ("+2 similar:"), one link a line
            return [Text(f"{block.title}:", style="bold cyan"),
                    *[Text(f"  • {link.label}" + (f" — {link.url}" if link.url else "")) for link in block.links]]
        return [Text.assemble(("→ ", "dim"), link.label, (f" <{link.url}>" if link.url else "", "blue"))
                for link in block.links]
    if isinstance(block, views.Actions):
        return []  # buttons: the terminal has none (its commands take --share)
    if isinstance(block, views.Divider):
        return [Rule(style="dim")]
    raise TypeError(f"no terminal layout for {type(block).__name__}")


def view_renderables(view: views.View) -> list[RenderableType]:
    """A view as renderables: each article (its part and the quote, implication and dispute parts
    after it) in a panel titled with its title; everything else as lines, parts apart by a blank line."""
    out: list[RenderableType] = []
    panel: list[RenderableType] | None = None
    title = ""

    def close_panel() -> None:
        nonlocal panel
        if panel is not None:
            while panel and isinstance(panel[-1], Rule):  # a divider before the next story: the panel's edge is one
                panel.pop()
            out.append(Panel(Group(*panel), title=escape(title), title_align="left", expand=True))
            panel = None

    for part in view.parts:
        if part.kind == "article":
            close_panel()
            panel = []
        elif part.kind not in {"quote", "implication", "dispute"}:
            close_panel()
            if out and view.kind != "post":
                out.append(Text(""))
        for block in part.blocks:
            if panel is not None and isinstance(block, views.Heading) and block.level == "article":
                title = block.text
                continue
            if panel is not None and isinstance(block, views.Divider) and part.kind == "article":
                continue  # the divider between stories: their panels part them
            (panel if panel is not None else out).extend(block_lines(block, view.kind, in_panel=panel is not None))
    close_panel()
    return out


def print_view(view: views.View, console: Console) -> None:
    console.print(Group(*view_renderables(view)))


def print_digest(digest: Digest, console: Console, sources: bool = False) -> None:
    print_view(views.digest_view(digest, sources=sources), console)


def print_post(post: DigestPost, console: Console) -> None:
    """A scheduled post: a rule with its title, each digest in its panel, how many stories wait."""
    print_view(views.post_view(post), console)


def reply_text(reply: Reply) -> Group:
    """A reply as rich renderables: title, sections, links (or the digest it carries, in its panel)."""
    return Group(*view_renderables(views.reply_view(reply)))


def print_reply(reply: Reply, console: Console) -> None:
    """A command's reply at the terminal. A reply carrying a whole digest is laid out as a digest."""
    console.print(reply_text(reply))


def print_notice(text: str, console: Console) -> None:
    view = views.notice_view(text)
    for block in view.blocks:
        if isinstance(block, views.Paragraph):
            console.print(Text("notice: " + block.text, style="bold yellow"))


# Markdown

def _markdown_links(links: Iterable[views.Link]) -> str:
    return " · ".join(f"[{link.label}]({link.url})" if link.url else link.label for link in links)


def block_markdown(block: views.Block) -> list[str]:
    if isinstance(block, views.Heading):
        return {"title": [f"# {block.text}"], "article": [f"# {block.text}"], "section": [f"## {block.text}"]}.get(
            block.level, [f"**{block.text}**"])
    if isinstance(block, views.Meta):
        return [f"_{' · '.join(block.items)}_"]
    if isinstance(block, views.Note):
        return [f"> {block.text}"]
    if isinstance(block, views.More):
        return [f"_{block.text}_"]
    if isinstance(block, views.Paragraph):
        return [f"**{block.label}:** {block.text}" if block.label else block.text]
    if isinstance(block, views.Quote):
        if block.speaker is None:
            return [f"> {views.in_quote_marks(block.text)}"]
        label = f" · {block.label}" if block.label else ""
        speaker = block.speaker if block.attributed else f"_{block.speaker}_"
        return [f"- {views.in_quote_marks(block.text)} — {speaker}{label}"]
    if isinstance(block, views.Bullets):
        return [f"- **{i.label}:** {i.text}" if i.label else f"- {i.text}" for i in block.items]
    if isinstance(block, views.Fields):
        return [f"- **{f.name}:** {f.value}" for f in block.fields]
    if isinstance(block, views.DisputeParty):
        position = views.in_quote_marks(block.position) if block.position else f"_{views.NO_POSITION}_"
        lines = [f"- **{block.name}:** {position}"]
        if block.quoted:
            lines.append(f"  - {views.QUOTED}: " + "; ".join(block.quoted))
        return lines
    if isinstance(block, views.Links):
        return [(f"**{block.title}:** " if block.title else "") + _markdown_links(block.links)]
    if isinstance(block, views.Actions):
        return []
    if isinstance(block, views.Divider):
        return ["---"]
    raise TypeError(f"no Markdown layout for {type(block).__name__}")


def view_markdown(view: views.View) -> str:
    """Blocks a blank line apart; a run of quotes is one list."""
    lines: list[str] = []
    previous: views.Block | None = None
    for block in view.blocks:
        if lines and not (isinstance(block, views.Quote) and isinstance(previous, views.Quote)):
            lines.append("")
        lines += block_markdown(block)
        previous = block
    return "\n".join(lines).rstrip() + "\n"


def to_markdown(digest: Digest, sources: bool = False) -> str:
    return view_markdown(views.digest_view(digest, sources=sources))
