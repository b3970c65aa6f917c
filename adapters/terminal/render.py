"""Digests and replies for people at a terminal: coloured text (rich), Markdown, or JSON.

Article text is never put into rich markup: it goes into `Text` objects, so that "[bold]" or
"[/]" in an article or a quote is printed as it is.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from bot.platforms import SimilarStory
from bot.replies import Reply, Section
from digests.models import Digest, Quote, Speaker

# How each kind of reply looks: the title's style and the marker before it.
_KIND_STYLE = {"answer": ("bold cyan", ""), "not_found": ("bold yellow", "? "),
               "usage": ("bold magenta", ""), "error": ("bold red", "✗ ")}


def speaker_label(speaker: Speaker | None) -> str:
    """ "Christopher Nulty (spokesperson, Anthropic)", or "unattributed"."""
    if speaker is None:
        return "unattributed"
    details = ", ".join(part for part in (speaker.role, speaker.org) if part and part != speaker.name)
    return f"{speaker.name} ({details})" if details else speaker.name


def _confidence_note(quote: Quote) -> str:
    if quote.speaker is None:
        return ""
    return {"high": "", "medium": " [likely]", "low": " [low confidence]"}[quote.confidence_band]


def attributed(digest: Digest) -> list[Quote]:
    return [q for q in digest.quotes if q.speaker is not None]


def to_markdown(digest: Digest) -> str:
    a = digest.article
    lines = [f"# {a.title or 'Untitled article'}", ""]
    meta = " · ".join(x for x in (a.published, a.source, a.url) if x)
    if meta:
        lines += [f"_{meta}_", ""]
    for note in a.notes:
        lines += [f"> {note}", ""]
    lines += ["## TL;DR", "", " ".join(digest.tldr), ""]
    if digest.quotes:
        lines += ["## Key quotes", ""]
        for q in digest.quotes:
            lines.append(f"- “{q.text}” — {speaker_label(q.speaker)}{_confidence_note(q)}")
        lines.append("")
    if digest.implications:
        lines += ["## Implications", ""]
        for imp in digest.implications:
            lines.append(f"- **{imp.label}:** {imp.text}" if imp.label else f"- {imp.text}")
        lines.append("")
    if digest.dispute:
        d = digest.dispute
        lines += ["## Dispute", "", f"**{d.headline}**", ""]
        if d.allegation:
            lines.append(f"- **Allegation:** {d.allegation}")
        for action in d.actions:
            lines.append(f"- **Action:** {action}")
        for party in d.parties:
            lines.append(f"- **{party.name}:** {party.position or 'no stated position'}")
        for question in d.open_questions:
            lines.append(f"- **Open:** {question}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def print_digest(digest: Digest, console: Console) -> None:
    a = digest.article
    parts: list = []
    meta = " · ".join(x for x in (a.published, a.source, a.url) if x)
    if meta:
        parts.append(Text(meta, style="dim"))
    for note in a.notes:
        parts.append(Text(note, style="yellow"))
    parts += [Text("\nTL;DR", style="bold cyan"), Text(" ".join(digest.tldr))]
    if digest.quotes:
        parts.append(Text("\nKey quotes", style="bold cyan"))
        for q in digest.quotes:
            line = Text("• “", style="default")
            line.append(q.text, style="italic")
            line.append("” — ")
            line.append(speaker_label(q.speaker), style="bold" if q.speaker else "dim")
            line.append(_confidence_note(q), style="yellow")
            parts.append(line)
    if digest.implications:
        parts.append(Text("\nImplications", style="bold cyan"))
        for imp in digest.implications:
            line = Text("• ")
            if imp.label:
                line.append(f"{imp.label}: ", style="bold")
            line.append(imp.text)
            parts.append(line)
    if digest.dispute:
        d = digest.dispute
        parts.append(Text.assemble(("\nDispute: ", "bold red"), (d.headline, "bold")))
        if d.allegation:
            parts.append(Text.assemble(("Allegation: ", "bold"), d.allegation))
        for action in d.actions:
            parts.append(Text.assemble(("Action: ", "bold"), action))
        for party in d.parties:
            parts.append(Text.assemble((f"{party.name}: ", "bold"), (party.position or "no stated position", "" if party.position else "dim")))
        for question in d.open_questions:
            parts.append(Text.assemble(("Open: ", "bold"), question))
    console.print(Panel(Group(*parts), title=escape(a.title or "Untitled article"), title_align="left", expand=True))


def _section_parts(section: Section, reply_title: str) -> list[Text]:
    parts: list[Text] = []
    if section.title and section.title != reply_title:  # a dispute's headline is also the reply's title
        parts.append(Text(section.title, style="bold"))
    if section.quote:
        parts.append(Text(f"“{section.quote}”", style="italic"))
    for field in section.fields:
        parts.append(Text.assemble((f"{field.name}: ", "bold"), field.value))
    if section.text:
        parts.append(Text(section.text))
    return parts


def reply_text(reply: Reply) -> Group:
    """A reply (without a digest) as rich renderables: title, sections, links."""
    title_style, marker = _KIND_STYLE.get(reply.kind, _KIND_STYLE["answer"])
    parts: list = [Text(marker + reply.title, style=title_style)]
    for section in reply.sections:
        lines = _section_parts(section, reply.title)
        if lines:
            parts.append(Text(""))
            parts += lines
    if reply.links:
        parts.append(Text(""))
        for link in reply.links:
            parts.append(Text.assemble(("→ ", "dim"), link.label, (f" <{link.url}>", "blue")))
    return Group(*parts)


def print_reply(reply: Reply, console: Console) -> None:
    """A command's reply at the terminal. A reply carrying a whole digest is laid out as a digest."""
    if reply.digest is not None:
        print_digest(reply.digest, console)
        return
    console.print(reply_text(reply))


def print_similar(stories: list[SimilarStory], console: Console) -> None:
    """The near-duplicates grouped under a digest in a scheduled post: "+N similar" with their links."""
    if stories:
        console.print(f"+{len(stories)} similar:", style="bold cyan")
        for story in stories:
            console.print(f"  • {story.title or 'Untitled article'}" + (f" — {story.url}" if story.url else ""),
                          markup=False, highlight=False)
