"""The one way a command runs, whatever the platform: a typed `Invocation` → the declared command →
may this caller change the channel? → `run_safely` (timed in the metrics) → a `Reply`.

Slack and the terminal read their text into an invocation first (`handle_text`, `bot.commands.text`);
Discord builds it from its typed options. Neither raises: every failure is a reply for the person,
and what the operator needs goes to the log.
"""

from __future__ import annotations

import logging

from ..app import Newsdigest
from ..replies import Reply, Section, usage
from ..store.channels import ChannelRef
from .caller import OPERATOR, TERMINAL, Caller
from .declaration import Call, Declaration, Invocation
from .prefix import with_prefix
from .registry import DECLARATION
from .safely import run_safely
from .text import parse_command, parse_text

log = logging.getLogger("bot.commands")

NOT_ALLOWED = ("Only the people who manage this channel can change its feeds, its schedule or who may manage it, "
               "or post its digest now: on Slack, the workspace's admins and owners and the people they named with "
               "/newsdigest admins add; on Discord, members with the Manage Channels permission. Ask one of them; "
               "/newsdigest feeds shows the current settings and /digest preview the next digest.")


def not_allowed() -> Reply:
    """The private answer to someone who may not change the channel."""
    return Reply(kind="usage", title="Ask an admin", summary="Only the people who manage this channel can change it: ask one of them.",
                 sections=[Section(text=NOT_ALLOWED)], visibility="private")


def changes_channel(invocation: Invocation, declaration: Declaration = DECLARATION) -> bool:
    """Whether `invocation` would change its channel (so the platform must say whether the person
    may: `Caller.can_manage`). Platforms ask before they look the person's rights up."""
    leaf = declaration.leaf(invocation)
    return leaf is not None and leaf.changes_channel(declaration.normalized(invocation))


def permitted(invocation: Invocation, caller: Caller, declaration: Declaration = DECLARATION) -> Reply | None:
    """None when `caller` may run `invocation`; otherwise the private "ask an admin" answer."""
    if changes_channel(invocation, declaration) and not caller.can_manage:
        # Once per refusal, for the operator who is asked why a member "could not change anything".
        log.info("%s refused to user %s: changing the channel needs an admin", invocation.path, caller.user_id or "?",
                 extra={"command": invocation.path.lstrip("/"), "outcome": "refused"})
        return not_allowed()
    return None


def dispatch(app: Newsdigest, invocation: Invocation, channel: ChannelRef = TERMINAL, caller: Caller = OPERATOR,
             declaration: Declaration = DECLARATION) -> Reply:
    """Run `invocation` in `channel` for `caller`. Never raises. The answer names the commands as the
    platforms register them (with the operator's prefix, if any)."""
    reply = _dispatch(app, invocation, channel, caller, declaration)
    return with_prefix(reply, app.settings.command_prefix, declaration)


def _dispatch(app: Newsdigest, invocation: Invocation, channel: ChannelRef, caller: Caller,
              declaration: Declaration) -> Reply:
    leaf = declaration.leaf(invocation)
    if leaf is None or leaf.run is None:
        log.warning("no command %s in the declaration", invocation.path)
        return usage(f"Unknown command {invocation.path}", f"There is no {invocation.path} command. "
                     "Try: " + ", ".join(c.name for c in declaration.offered(channel.platform)))
    invocation = declaration.normalized(invocation)
    refused = permitted(invocation, caller, declaration)
    if refused is not None:
        return refused
    run, call = leaf.run, Call(invocation=invocation, channel=channel, caller=caller, declaration=declaration)
    return run_safely(lambda: run(app, call), invocation.path, app=app, platform=channel.platform)


def read_text(text: str, platform: str | None = None, declaration: Declaration = DECLARATION) -> Invocation | Reply:
    """The invocation typed as `text` (a whole line: "/who-said x --share"), or the usage answer."""
    return parse_text(declaration, text, platform)


def read_command(name: str, args: str, platform: str | None = None,
                 declaration: Declaration = DECLARATION) -> Invocation | Reply:
    """The invocation of `name` typed with `args` (Slack sends them apart), or the usage answer."""
    return parse_command(declaration, name, args, platform)


def handle_text(app: Newsdigest, text: str, channel: ChannelRef = TERMINAL, caller: Caller = OPERATOR) -> Reply:
    """Run a command typed as text in `channel` by `caller` (chat adapters pass the person's; the
    default is the terminal's operator). Never raises."""
    read = read_text(text, channel.platform)
    if isinstance(read, Reply):
        return with_prefix(read, app.settings.command_prefix, DECLARATION)
    return dispatch(app, read, channel, caller)
