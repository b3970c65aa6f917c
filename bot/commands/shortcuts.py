""""Digest this link": the message shortcut (Slack) and context-menu command (Discord) on someone's
message. Its first http(s) link is digested as `/digest <URL>` through the one dispatch path, and
the answer is for the person who asked only (the message was someone else's)."""

from __future__ import annotations

import html
import re

from ..app import Newsdigest
from ..replies import Reply, usage
from ..store.channels import ChannelRef
from .caller import Caller
from .declaration import Invocation
from .dispatch import dispatch

NAME = "Digest this link"
# A link as chat text carries it: bare, in Slack's <url|label> or <url>, or Discord's <url>.
_LINK = re.compile(r"https?://[^\s<>|\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}*_~"  # punctuation after a link in a sentence, or Markdown around it


def first_link(text: str) -> str | None:
    """The message's first http(s) address, without the punctuation that ends the sentence around it."""
    found = _LINK.search(text or "")
    if found is None:
        return None
    link = html.unescape(found.group(0)).rstrip(_TRAILING)  # Slack writes & in a message's text as &amp;
    return link if len(link) > len("https://") else None


def digest_invocation(text: str) -> Invocation | None:
    """`/digest <the first link>`; None when the message has no link."""
    link = first_link(text)
    return Invocation.of("/digest", article=link) if link else None


def digest_link(app: Newsdigest, text: str, channel: ChannelRef, caller: Caller) -> Reply:
    """The digest of the message's first link, privately; a message without one gets a usage answer."""
    invocation = digest_invocation(text)
    if invocation is None:
        return usage("No link in that message", f"{NAME} digests the first http(s) link of a message, and this "
                     "one has none. Digest an article with /digest <URL> or /digest <title words>.")
    return dispatch(app, invocation, channel, caller).model_copy(update={"visibility": "private"})
