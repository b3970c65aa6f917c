"""The terminal as a place digests are posted: the embedded default when no chat platform is set up."""

from __future__ import annotations

from rich.console import Console
from rich.rule import Rule

from bot.platforms import DigestPost, PostResult

from .render import print_digest


class TerminalPoster:
    """Prints scheduled digests (and notices) to the terminal the bot runs in."""

    platform = "terminal"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def post_digest(self, channel_id: str, post: DigestPost) -> PostResult:
        self.console.print(Rule(post.title))
        for digest in post.digests:
            print_digest(digest, self.console)
        return PostResult(status="posted", message_ref=post.idempotency_key)

    async def post_notice(self, channel_id: str, text: str) -> PostResult:
        self.console.print("notice: " + text, style="bold yellow", markup=False)
        return PostResult(status="posted")
