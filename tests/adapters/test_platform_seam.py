"""A platform is what adapters/platform.py says and nothing more: a small one written here (it writes
Markdown files) answers commands and receives a scheduled digest through the real runner and
scheduler, with no change to the bot, the runner or the other platforms."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import update

from adapters import runner
from adapters.platform import PLATFORMS, Platform, platform
from bot.app import Newsdigest
from bot.commands import handle_text
from bot.config import Settings
from bot.platforms import DigestPost, MessageRecorder, Poster, PostResult
from bot.scheduler import slot_key
from bot.schedules import parse_schedule
from bot.store import channels as channel_store
from bot.store import deliveries as ledger
from bot.store.channels import ChannelRef
from bot.store.schema import FeedRow
from tests.helpers.delivery import add_entry, story, subscribe

CHANNEL = ChannelRef(platform="markdown", external_id="news", name="news")


class MarkdownPoster:
    platform = "markdown"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.posted = asyncio.Event()

    async def post_digest(self, channel_id: str, post: DigestPost, record: MessageRecorder | None = None) -> PostResult:
        lines = [f"# {post.title}", ""]
        for digest in post.digests:
            lines += [f"## {digest.article.title}", "", *digest.tldr, ""]
            lines += [f"> {q.text} ({q.speaker.name if q.speaker else 'unattributed'})" for q in digest.quotes]
        (self.folder / f"{channel_id}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if record is not None:
            await record(0, post.idempotency_key)
        self.posted.set()
        return PostResult(status="posted", message_ref=post.idempotency_key)

    async def post_notice(self, channel_id: str, text: str) -> PostResult:
        return PostResult(status="posted")


class MarkdownPlatform:
    """Commands come from `inbox.txt` (one a line), answers go to `replies.md`; it serves until a
    digest has been posted and `done()` says so (then it leaves, and the runner stops)."""

    name = "markdown"

    def __init__(self, folder: Path, done: Callable[[], bool]) -> None:
        self.folder = folder
        self.done = done
        self._poster = MarkdownPoster(folder)

    def configured(self) -> bool:
        return True

    def settings_problem(self) -> str | None:
        return None

    def connected(self) -> bool:
        return True

    def poster(self, app: Newsdigest) -> Poster:
        return self._poster

    async def serve(self, app: Newsdigest, stop: asyncio.Event) -> None:
        replies = []
        for line in (self.folder / "inbox.txt").read_text(encoding="utf-8").splitlines():
            reply = await asyncio.to_thread(handle_text, app, line, CHANNEL)
            replies.append(f"**{reply.title}**: {reply.summary}")
        (self.folder / "replies.md").write_text("\n".join(replies) + "\n", encoding="utf-8")
        await asyncio.wait_for(self._poster.posted.wait(), timeout=60)
        for _ in range(600):  # the post is out; the ledger completes its row right after
            if await asyncio.to_thread(self.done):
                return
            await asyncio.sleep(0.05)


def test_a_platform_written_here_serves_commands_and_gets_its_scheduled_digest(tmp_path, digest_factory):
    assert set(PLATFORMS) == {"slack", "discord", "terminal"}
    assert isinstance(platform("terminal"), Platform)
    folder = tmp_path / "markdown"
    folder.mkdir()
    (folder / "inbox.txt").write_text("/who-said we will reopen on monday\n", encoding="utf-8")
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path / "data"))
    store = app.store
    now = datetime.now(timezone.utc)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, now - timedelta(days=1), channel=CHANNEL)
    with store.session() as s:  # not due: this test is about the digest, not the poller
        s.execute(update(FeedRow).where(FeedRow.url == feed).values(next_poll_at=now + timedelta(days=1)))
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm",
                                 quotes=[("We will reopen on Monday", "Ana Silva")]), now - timedelta(minutes=20))
    due = now - timedelta(minutes=10)  # a slot missed "while the bot was down": the catch-up posts it
    channel_store.set_schedule(store, CHANNEL, parse_schedule(f"daily {due:%H:%M}", "UTC"))
    try:
        markdown = MarkdownPlatform(folder, done=lambda: [s for _, s in ledger.deliveries(store, channel_id)] == ["posted"])
        assert asyncio.run(runner.serve(app, [markdown])) == 0
        assert app.posters.get("markdown") is None  # registered only while it served
    finally:
        app.close()
    posted = (folder / "news.md").read_text(encoding="utf-8")
    assert "## Harbour reopens after storm" in posted and "> We will reopen on Monday (Ana Silva)" in posted
    assert ledger.deliveries(store, channel_id) == [(slot_key(due.replace(second=0, microsecond=0)), "posted")]
    [reply] = (folder / "replies.md").read_text(encoding="utf-8").splitlines()
    assert reply == "**Who said “we will reopen on monday”**: “We will reopen on Monday” — Ana Silva"  # from the store
