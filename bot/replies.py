"""Platform-neutral replies: what a command answers, before any platform renders it.

`bot.views.reply_view` lays a `Reply` out as typed blocks, and each adapter translates those into
Block Kit, embeds or terminal text; nothing here knows which. Text fields hold the article's words as
they are: escaping is the renderer's job, since each platform escapes differently.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from digests.models import Digest

Visibility = Literal["private", "channel"]
ReplyKind = Literal["answer", "not_found", "usage", "error"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReplyField(_Model):
    name: str
    value: str
    inline: bool = True


class Link(_Model):
    label: str
    url: str


class Action(_Model):
    """A button under the answer that runs a command through the one dispatch path when clicked:
    "Share in channel" runs the same command again with share set. The options are the typed ones
    (as Discord sends them), so that nothing typed has to be read again."""

    label: str
    command: str  # "/quotes"
    subcommand: str | None = None
    options: dict[str, str | bool] = Field(default_factory=dict)


class Section(_Model):
    title: str | None = None
    text: str | None = None
    quote: str | None = Field(default=None, description="A quotation, shown as the platform shows quotes")
    fields: list[ReplyField] = Field(default_factory=list)


class Reply(_Model):
    kind: ReplyKind = "answer"
    title: str
    summary: str = Field(description="One plain line: the notification text and the fallback for rich layouts")
    sections: list[Section] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    visibility: Visibility = "channel"
    digest: Digest | None = Field(default=None, description=(
        "The whole digest: a reply that carries one is laid out as that digest (bot.views.digest_view)"))


def usage(title: str, text: str) -> Reply:
    """A reply that teaches the right form of a command; only the asker sees it."""
    return Reply(kind="usage", title=title, summary=text.splitlines()[0], sections=[Section(text=text)],
                 visibility="private")


def error(text: str, title: str = "Something went wrong") -> Reply:
    """A private error reply. The default title is for the bot's own failures; a person's input or a
    busy bot gets a title that says so (see bot.commands.run_safely)."""
    return Reply(kind="error", title=title, summary=text, sections=[Section(text=text)], visibility="private")
