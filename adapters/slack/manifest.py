"""The Slack app manifest (manifest.yml) for the operator's command prefix (NEWSDIGEST_COMMAND_PREFIX):
with "nd-", its slash commands are /nd-digest, /nd-newsdigest…, the names the bot listens for.
A text rewrite of the command lines only, so that the file's comments stay for the operator."""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands.declaration import prefixed

MANIFEST = Path(__file__).with_name("manifest.yml")
_COMMAND_LINE = re.compile(r"^(\s*- command: )(/\S+)\s*$", re.M)


def manifest_text(prefix: str = "") -> str:
    """manifest.yml with each slash command named as the bot registers it under `prefix`."""
    text = MANIFEST.read_text(encoding="utf-8")
    return _COMMAND_LINE.sub(lambda m: m.group(1) + prefixed(m.group(2), prefix), text) if prefix else text
