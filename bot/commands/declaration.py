"""The one declaration of the chat commands: what each is called, its typed options, who sees its
answer, whether it changes the channel and whether it may be slow.

Every platform is built from it: Slack registers a listener for each command and its manifest is
checked against it, Discord's application commands take their names, options, descriptions and
permissions from it, `/help` and the usage lines are written from it, and the text form people type
(Slack, the terminal) is read with it (`bot.commands.text`). Whatever the platform, a command arrives
as one typed `Invocation`, which `bot.commands.dispatch` checks and runs: there is one dispatch path.

A new command is one module with its functions and a `Command` built from them, added to
`bot.commands.registry.DECLARATION`; a new subcommand is one more entry in its group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from ..replies import Reply, Visibility

if TYPE_CHECKING:
    from ..app import Newsdigest
    from ..store.channels import ChannelRef
    from .caller import Caller

OptionKind = Literal["text", "url", "flag"]
# What an option's value can be completed from while it is typed (platforms that offer it: Discord).
Completion = Literal["article", "timezone"]
# How a person gave the options: typed as one line of text (Slack, the terminal), or as the
# platform's typed options (Discord). Usage lines are written the way the person used the command.
Form = Literal["text", "options"]
Value = Union[str, bool]


class Invocation(BaseModel):
    """One command as a person gave it, whatever the platform: `/newsdigest schedule` with
    {"when": "weekdays 08:00", "timezone": "Europe/Paris"}."""

    model_config = ConfigDict(frozen=True)

    command: str  # "/newsdigest"
    subcommand: str | None = None  # "schedule"
    options: dict[str, Value] = Field(default_factory=dict)
    form: Form = "text"

    @classmethod
    def of(cls, command: str, subcommand: str | None = None, /, form: Form = "text", **options: Value) -> Invocation:
        return cls(command=command, subcommand=subcommand, options=options, form=form)

    @property
    def path(self) -> str:
        """ "/newsdigest schedule": the name logs and metrics use."""
        return f"{self.command} {self.subcommand}" if self.subcommand else self.command

    def text(self, name: str) -> str:
        value = self.options.get(name)
        return value if isinstance(value, str) else ""

    def flag(self, name: str) -> bool:
        return self.options.get(name) is True


@dataclass(frozen=True)
class Call:
    """What a command's `run` gets besides the app: the invocation, where and by whom."""

    invocation: Invocation
    channel: ChannelRef
    caller: Caller
    declaration: Declaration  # the whole declaration: /help writes itself from it


Run = Callable[["Newsdigest", Call], Reply]
# A property of a command that may depend on its options (`/digest now` changes the channel,
# `/digest preview` does not): a constant, or a test of the invocation.
Rule = Union[bool, Callable[[Invocation], bool]]


@dataclass(frozen=True)
class Option:
    name: str  # Discord's option name; in text, the placeholder when no hint is given
    description: str  # one line, at most 100 characters (Discord's limit)
    kind: OptionKind = "text"  # "url": brackets chat apps put around links are removed (<url|label> → url)
    required: bool = False  # for typed options (Discord asks for it); in text a missing value reaches the
    #                         command, whose own usage answer says what to give
    hint: str = ""  # the text form's placeholder: "<feed URL>"
    max_length: int | None = None
    choices: tuple[str, ...] = ()  # the only values allowed (one word in text)
    autocomplete: Completion | None = None
    words: tuple[str, ...] = ()  # a flag: the trailing words that set it in text; default ("--<name>",)
    # An optional last word of the text recognised by this test (the time zone after a schedule).
    trailing: Callable[[str], bool] | None = None
    default: Value | None = None

    def __post_init__(self) -> None:
        _check_description(self.name, self.description)

    @property
    def flag_words(self) -> tuple[str, ...]:
        return self.words or (f"--{self.name}",)

    def usage(self, form: Form) -> str:
        if form == "options":
            shown = self.name
        elif self.kind == "flag":
            shown = self.flag_words[0]
        elif self.choices:
            shown = "|".join(self.choices)
        else:
            shown = self.hint or f"<{self.name}>"
        return shown if self.required else f"[{shown}]"


@dataclass(frozen=True)
class Command:
    """A command, a group of subcommands (`subcommands`, no `run`), or one subcommand of a group."""

    name: str  # "/digest" at the top; "subscribe" for a subcommand
    description: str  # one line, at most 100 characters: Discord's and Slack's command description
    help: str  # what /help says after the usage line
    run: Run | None = None
    options: tuple[Option, ...] = ()
    subcommands: tuple[Command, ...] = ()
    default: str | None = None  # the subcommand run when the text names none
    aliases: tuple[str, ...] = ()  # other words for a subcommand in text ("/newsdigest list")
    visibility: Visibility | Callable[[Invocation], Visibility] = "channel"  # of the answer
    changes: Rule = False  # whether it changes the channel (then only those who manage it may)
    slow: Rule = False  # may take seconds (a fetch, a digest): platforms acknowledge at once
    slow_notice: str | None = None  # what a platform may show the asker meanwhile
    per_channel: bool = False  # reads or changes one channel's own settings (not in a direct message)
    platforms: frozenset[str] | None = None  # where it is offered; None: every platform
    forms: tuple[str, ...] = ()  # further text forms shown in its usage ("now [--consume]")

    def __post_init__(self) -> None:
        _check_description(self.name, self.description)
        if (self.run is None) != bool(self.subcommands):
            raise ValueError(f"{self.name}: declare a run or subcommands, one of the two")

    def subcommand(self, word: str) -> Command | None:
        word = word.lower()
        return next((s for s in self.subcommands if word == s.name or word in s.aliases), None)

    def offered(self, platform: str | None) -> bool:
        return platform is None or self.platforms is None or platform in self.platforms

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    # The rules, for an invocation of this (leaf) command

    def changes_channel(self, invocation: Invocation) -> bool:
        return _holds(self.changes, invocation)

    def may_be_slow(self, invocation: Invocation) -> bool:
        return _holds(self.slow, invocation)

    def visibility_of(self, invocation: Invocation) -> Visibility:
        return self.visibility if isinstance(self.visibility, str) else self.visibility(invocation)


def _check_description(name: str, description: str) -> None:
    # Discord refuses to register a command whose description is empty or longer than 100 characters.
    if not 1 <= len(description) <= 100:
        raise ValueError(f"{name}: a description of 1 to 100 characters, not {len(description)}")


def _holds(rule: Rule, invocation: Invocation) -> bool:
    return rule if isinstance(rule, bool) else rule(invocation)


def prefixed(name: str, prefix: str) -> str:
    """A command's name as a platform registers it with the operator's prefix: ("/digest", "nd-") →
    "/nd-digest". Inside the bot every command keeps its declared name."""
    return f"/{prefix}{name.lstrip('/')}" if prefix else name


def unprefixed(name: str, prefix: str) -> str:
    """The declared name of a command a platform delivered under its prefixed name."""
    return "/" + name.lstrip("/")[len(prefix):] if prefix and name.lstrip("/").startswith(prefix) else name


def unwrap_link(text: str) -> str:
    """A typed address without the brackets chat apps put around links: "<https://x/feed>" and
    Slack's escaped form "<https://x/feed|x/feed>" are both "https://x/feed"."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0]
    return text.strip("<>").strip()


@dataclass(frozen=True)
class Declaration:
    commands: tuple[Command, ...]

    def get(self, name: str) -> Command | None:
        return next((c for c in self.commands if c.name == name), None)

    def offered(self, platform: str | None) -> list[Command]:
        return [c for c in self.commands if c.offered(platform)]

    def at(self, path: str) -> Command | None:
        """The command or subcommand called `path` ("/newsdigest schedule")."""
        name, _, sub = path.partition(" ")
        command = self.get(name)
        return command.subcommand(sub) if command is not None and sub else command

    def leaf(self, invocation: Invocation) -> Command | None:
        """The command or subcommand that runs `invocation`; None when the declaration has none."""
        command = self.get(invocation.command)
        if command is None or bool(command.subcommands) != (invocation.subcommand is not None):
            return None
        return command.subcommand(invocation.subcommand) if invocation.subcommand else command

    def normalized(self, invocation: Invocation) -> Invocation:
        """The invocation with each option's value as its command expects, whoever built it: links
        without their brackets, the defaults filled in."""
        leaf = self.leaf(invocation)
        if leaf is None:
            return invocation
        options: dict[str, Value] = {o.name: o.default for o in leaf.options if o.default is not None}
        options.update(invocation.options)
        for o in leaf.options:
            if o.kind == "url" and isinstance(options.get(o.name), str):
                options[o.name] = unwrap_link(str(options[o.name]))
        return invocation.model_copy(update={"options": options})

    # Usage, written from the options

    def usage(self, path: str, form: Form = "text") -> str:
        """ "/newsdigest schedule <when> [time zone]" (text) or "/newsdigest schedule when [timezone]"
        (options); a group's is its subcommands, one a line."""
        command = self.at(path)
        if command is None:
            return path
        if command.subcommands:
            return "\n".join(usage_line(f"{path} {s.name}", s, form) for s in command.subcommands)
        return usage_line(path, command, form)

    def usage_hint(self, command: Command, platform: str | None = None) -> str:
        """The text after the command's name, as a Slack manifest's usage_hint: "<a> [b]", and for a
        group "sub1 <a> | sub2"."""
        if command.subcommands:
            return " | ".join(usage_line(s.name, s, "text") for s in command.subcommands if s.offered(platform))
        return usage_line("", command, "text").strip()


def usage_line(prefix: str, command: Command, form: Form) -> str:
    """`prefix` followed by the options' placeholders (and in text, the command's further forms)."""
    shown = " ".join(o.usage(form) for o in command.options)
    if form == "text" and command.forms:
        shown = " | ".join([shown, *command.forms]) if shown else " | ".join(command.forms)
    return f"{prefix} {shown}".strip() if shown else prefix
