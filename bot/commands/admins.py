"""/newsdigest admins: the people besides the platform's admins who may change a workspace's
channels (Slack's: on Discord, the Manage Channels permission says who may)."""

from __future__ import annotations

import re

from ..app import Newsdigest
from ..replies import Reply, Section, usage
from ..store.admins import Kind as MemberKind
from ..store.channels import ChannelRef
from .caller import Caller
from .declaration import Command, Invocation, Option

CHANGING_ADMINS = frozenset({"add", "remove"})

# Slack's ids: a letter, then capitals and digits (at least one digit, so that a word such as "SALES"
# is not taken for one); at most 20 long, well within the column.
_ID = r"(?=[A-Z]*[0-9])[A-Z0-9]{2,20}"
_MEMBER = re.compile(rf"<@(?P<user>[UW]{_ID})(?:\|[^>]*)?>|<!subteam\^(?P<group>S{_ID})(?:\|[^>]*)?>"
                     rf"|(?P<bare_user>[UW]{_ID})|(?P<bare_group>S{_ID})")
ADMINS_USAGE = ("Name users or user groups: /newsdigest admins add @someone @some-group; "
                "/newsdigest admins remove @someone; /newsdigest admins list")


def parse_members(text: str) -> list[tuple[MemberKind, str]] | None:
    """ "<@U01|ada> <!subteam^S02|@eds>" → [("user", "U01"), ("group", "S02")]; None when a word is
    not a user or user group (or there is none)."""
    found: list[tuple[MemberKind, str]] = []
    for word in text.split():
        m = _MEMBER.fullmatch(word)
        if m is None:
            return None
        if m["user"] or m["bare_user"]:
            found.append(("user", m["user"] or m["bare_user"]))
        else:
            found.append(("group", m["group"] or m["bare_group"]))
    return found or None


def _member_text(kind: str, member_id: str) -> str:
    return f"user group {member_id}" if kind == "group" else f"user {member_id}"


def admins(app: Newsdigest, action: str, members_text: str, channel: ChannelRef, caller: Caller) -> Reply:
    """Named admins are kept per workspace: the one of the channel the command was typed in."""
    from ..store import admins as admin_store

    platform, workspace = channel.platform, channel.workspace
    action = action.lower() or "list"
    if action == "help":  # as people type it after any subcommand
        action = "list"
    if workspace is None:
        return usage("No workspace here", "Named admins are kept per chat workspace: use /newsdigest admins in Slack.")
    if action == "list":
        named = admin_store.named(app.store, platform, workspace)
        lines = [f"• {_member_text(a.kind, a.member_id)}" for a in named]
        text = ("Besides the workspace's admins and owners, these may change its channels:\n" + "\n".join(lines)
                if named else "Only the workspace's admins and owners may change its channels. " + ADMINS_USAGE)
        return Reply(title="Who may change this workspace's channels", summary=text.splitlines()[0],
                     sections=[Section(text=text)], visibility="private")
    if action not in CHANGING_ADMINS:
        return usage(f"Unknown admins action {action}", f"/newsdigest admins has no {action!r}. {ADMINS_USAGE}")
    members = parse_members(members_text)
    if members is None:
        return usage("Name users or user groups", f"Mention each one (@name), or give its id. {ADMINS_USAGE}")
    done: list[str] = []
    already: list[str] = []
    for kind, member_id in members:
        if action == "add":
            changed = admin_store.add(app.store, platform, workspace,
                                      admin_store.NamedAdmin(kind=kind, member_id=member_id, added_by=caller.user_id))
        else:
            changed = admin_store.remove(app.store, platform, workspace, member_id)
        (done if changed else already).append(_member_text(kind, member_id))
    verb = "may now change" if action == "add" else "may no longer change"
    lines = [f"{', '.join(done)} {verb} this workspace's channels." if done else ""]
    if already:
        lines.append(f"{', '.join(already)}: " + ("already named." if action == "add" else "was not named."))
    text = " ".join(line for line in lines if line)
    return Reply(title="Admins updated" if done else "Nothing changed", summary=text, sections=[Section(text=text)],
                 visibility="private")


def _changes(invocation: Invocation) -> bool:
    return (invocation.text("action") or "list").lower() in CHANGING_ADMINS


SUBCOMMAND = Command(
    "admins", "Who besides the workspace's admins may change its channels",
    "who besides the workspace's admins and owners may change its channels; list shows them",
    lambda app, call: admins(app, call.invocation.text("action"), call.invocation.text("members"), call.channel,
                             call.caller),
    options=(Option("action", "add, remove, or list who may", required=True, choices=("add", "remove", "list"),
                    default="list"),
             Option("members", "Users or user groups, each mentioned (@name) or by id", hint="@user|@user-group …")),
    changes=_changes, visibility="private", platforms=frozenset({"slack", "terminal"}))
