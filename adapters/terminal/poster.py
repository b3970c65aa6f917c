"""The terminal as a place digests are posted: the embedded default when no chat platform is set up."""

from __future__ import annotations

from rich.console import Console

from bot.platforms import DigestPost, MessageRecorder, PostResult

from .render import print_notice, print_post


class TerminalPoster:
    """Prints scheduled digests (and notices) to the terminal the bot runs in."""

    platform = "terminal"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def post_digest(self, channel_id: str, post: DigestPost, record: MessageRecorder | None = None) -> PostResult:
        """The whole post as one message (position 0), not printed again once the ledger has it."""
        if 0 not in post.posted:
            print_post(post, self.console)
            if record is not None:
                await record(0, post.idempotency_key)
        return PostResult(status="posted", message_ref=post.idempotency_key)

    async def post_notice(self, channel_id: str, text: str) -> PostResult:
        print_notice(text, self.console)
        return PostResult(status="posted")
