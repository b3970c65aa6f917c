"""The chat commands, independent of any platform: a typed invocation in, a `Reply` out.

- `declaration`: what each command is (name, typed options, visibility, whether it changes the channel
  or may be slow); `registry.DECLARATION` holds them all, and every platform is built from it.
- one module per command or group: `digest`, `dispute`, `who_said`, `channel` (/newsdigest), `admins`,
  `help`, `story` (what a digest story's buttons run); each holds its functions and its declared `Command`.
- `actions`: a button's carried value ↔ its invocation; `shortcuts`: "Digest this link" on a message.
- `text`: the text form people type (Slack, the terminal) read into the typed invocation.
- `dispatch`: the one path every invocation takes: permission check, `safely.run_safely`, the reply.
"""

from __future__ import annotations

from .admins import parse_members
from .caller import OPERATOR, TERMINAL, Caller, tenant_of
from .channel import feeds, resume, set_schedule, subscribe, unsubscribe
from .declaration import Call, Command, Declaration, Invocation, Option
from .digest import MIN_PASTED_WORDS, channel_digest, digest, digest_reply
from .dispatch import changes_channel, dispatch, handle_text, not_allowed, permitted, read_command, read_text
from .dispute import dispute, dispute_reply
from .help import help_reply
from .registry import DECLARATION
from .safely import run_safely, source_error
from .who_said import who_said

__all__ = [
    "DECLARATION", "MIN_PASTED_WORDS", "OPERATOR", "TERMINAL", "Call", "Caller", "Command", "Declaration",
    "Invocation", "Option", "changes_channel", "channel_digest", "digest", "digest_reply", "dispatch", "dispute",
    "dispute_reply", "feeds", "handle_text", "help_reply", "not_allowed", "parse_members", "permitted",
    "read_command", "read_text", "resume", "run_safely", "set_schedule", "source_error", "subscribe", "tenant_of",
    "unsubscribe", "who_said",
]
