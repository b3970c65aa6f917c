"""/help and /newsdigest help: the commands a platform offers, written from the declaration, so
that a command's help cannot drift from what the platforms register."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from ..app import Newsdigest
from ..replies import Reply, Section, usage
from .declaration import Call, Command, Declaration, Form, usage_line

SUGGEST = 60.0  # a known name this close to the typed one (rapidfuzz ratio) is offered as "did you mean"


def did_you_mean(word: str, names: Iterable[str]) -> str | None:
    """The known name closest to a mistyped `word` ("/dgest" → "/digest", "subscibe" → "subscribe")."""
    found = process.extractOne(word.lower(), list(names), scorer=fuzz.ratio, score_cutoff=SUGGEST)
    return found[0] if found is not None else None


def command_line(command: Command, form: Form, platform: str | None) -> str:
    """ "/who-said "a few words of a quote" [--share] — who said it…"; a group: its subcommands' names."""
    if command.subcommands:
        names = "|".join(s.name for s in command.subcommands if s.offered(platform))
        return f"{command.name} {names} … — {command.help}"
    return f"{usage_line(command.name, command, form)} — {command.help}"


def subcommand_lines(group: Command, platform: str | None) -> str:
    """A group's subcommands, one a line, with the placeholders of their text form ("<feed URL>"),
    which read the same whichever way the options are given."""
    return "\n".join(f"{usage_line(f'{group.name} {s.name}', s, 'text')} — {s.help}"
                     for s in group.subcommands if s.offered(platform))


def help_reply(declaration: Declaration, platform: str | None = None, form: Form = "text") -> Reply:
    """Every command `platform` offers (None: all), each as the person writes it in `form`, then each
    group's subcommands."""
    offered = declaration.offered(platform)
    sections = [Section(title="Commands", text="\n".join(command_line(c, form, platform) for c in offered))]
    sections += [Section(title=f"{g.name}: {g.help}", text=subcommand_lines(g, platform))
                 for g in offered if g.subcommands]
    return Reply(kind="usage", title="newsdigest commands",
                 summary="Commands: " + ", ".join(c.name for c in offered), sections=sections, visibility="private")


def help_text(declaration: Declaration, platform: str | None = None, form: Form = "text") -> str:
    """The help as one text: for answers that teach the right form after a mistake."""
    return "\n".join(s.text or "" for s in help_reply(declaration, platform, form).sections)


def unknown_command(declaration: Declaration, name: str, platform: str | None = None) -> Reply:
    offered = [c.name for c in declaration.offered(platform)]
    guess = did_you_mean(name, offered)
    meant = f"Did you mean {guess}? " if guess else ""
    return usage(f"Unknown command {name}",
                 f"There is no {name} command. {meant}Try one of: {', '.join(offered)}.\n" + help_text(declaration, platform))


def unknown_subcommand(group: Command, word: str, platform: str | None = None) -> Reply:
    offered = [s.name for s in group.subcommands if s.offered(platform)]
    guess = did_you_mean(word, offered)
    meant = f" Did you mean {group.name} {guess}?" if guess else ""
    return usage(f"Unknown subcommand {word}",
                 f"{group.name} has no {word!r}.{meant} Try:\n{subcommand_lines(group, platform)}")


def _run(app: Newsdigest, call: Call) -> Reply:
    return help_reply(call.declaration, call.channel.platform, call.invocation.form)


# Typed at the terminal's prompt: Slack keeps /help for itself, and on Discord /newsdigest help is it.
COMMAND = Command("/help", "The newsdigest commands", "this list", _run, visibility="private",
                  platforms=frozenset({"terminal"}))
SUBCOMMAND = Command("help", "The newsdigest commands", "this list", _run, visibility="private")
