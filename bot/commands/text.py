"""The text form of the commands, as people type them on Slack and in the terminal: one line read
into the same typed `Invocation` that Discord builds from its options, by the declaration.

    /newsdigest schedule weekdays 08:00 Europe/Paris
      → Invocation("/newsdigest", "schedule", {"when": "weekdays 08:00", "timezone": "Europe/Paris"})

How a line is read, for the (sub)command it names:
- a group's first word picks the subcommand (its `default` when there is none);
- flags are trailing words ("--share", or a flag's own `words`);
- an option with a `trailing` test takes the last word when it passes and more than one word is left
  (the time zone after a schedule);
- options with `choices` take one word from the front;
- the remaining text option takes the rest as typed (pasted article text keeps its lines).
A missing value or a word that is not one of the choices is left to the command, whose own usage
answer says what to give (Discord's client enforces both before a command is sent).
"""

from __future__ import annotations

import re

from ..replies import Reply
from .declaration import Command, Declaration, Invocation, Value
from .help import unknown_command, unknown_subcommand

_LAST_WORD = re.compile(r"(?s)(?P<head>.*?)\s*(?P<word>\S+)\s*\Z")
_FIRST_WORD = re.compile(r"(?s)\s*(?P<word>\S+)\s*(?P<rest>.*)\Z")


def split_name(text: str) -> tuple[str, str]:
    """ "/Who-Said  \"x\"" → ("/who-said", "\"x\""). The name is lower-cased; the rest is kept."""
    text = text.strip()
    name, _, args = text.partition(" ")
    name = name.lower()
    if not name.startswith("/"):
        name = "/" + name
    return name, args.strip()


def parse_text(declaration: Declaration, text: str, platform: str | None = None) -> Invocation | Reply:
    """The invocation typed as `text` (a whole line), or the usage answer saying why it is not one."""
    return parse_command(declaration, *split_name(text), platform)


def parse_command(declaration: Declaration, name: str, args: str, platform: str | None = None) -> Invocation | Reply:
    """The invocation of the command `name` ("/newsdigest") typed with `args`, for platforms that
    deliver the name apart from the text (Slack's slash commands)."""
    name = name.strip().lower()
    command = declaration.get(name)
    if command is None:
        return unknown_command(declaration, name, platform)
    if not command.subcommands:
        return _read(command, name, None, args)
    first = _FIRST_WORD.match(args)
    word, rest = (first["word"].lower(), first["rest"]) if first else (command.default or "", "")
    sub = command.subcommand(word)
    if sub is None or not sub.offered(platform):
        return unknown_subcommand(command, word, platform)
    return _read(sub, name, sub.name, rest)


def _read(leaf: Command, name: str, subcommand: str | None, args: str) -> Invocation | Reply:
    values: dict[str, Value] = {}
    rest = args.strip()
    flags = [o for o in leaf.options if o.kind == "flag"]
    while flags and rest:
        last = _LAST_WORD.match(rest)
        assert last is not None  # rest is not empty
        flag = next((o for o in flags if last["word"].lower() in o.flag_words and o.name not in values), None)
        if flag is None:
            break
        values[flag.name] = True
        rest = last["head"]
    for option in leaf.options:
        if option.trailing is not None and len(rest.split()) > 1:
            last = _LAST_WORD.match(rest)
            assert last is not None
            if option.trailing(last["word"]):
                values[option.name], rest = last["word"], last["head"]
    texts = [o for o in leaf.options if o.kind != "flag" and o.name not in values]
    for option in texts:
        if option.choices:
            first = _FIRST_WORD.match(rest)
            if first is None:
                continue
            # Checked by the command, whose usage answer names the choices in its own words.
            values[option.name], rest = first["word"].lower(), first["rest"]
    remaining = [o for o in texts if not o.choices]
    if remaining and rest:
        values[remaining[0].name] = rest
    return Invocation(command=name, subcommand=subcommand, options=values, form="text")

