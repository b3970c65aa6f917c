"""The delivery tests' channel, clock and platform: a small Poster that answers as a test sets it and
keeps what it was asked to post, and the feed entries a channel's digest is built from, written straight
into the store with the times a test chooses."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from bot.platforms import DigestPost, PostResult
from bot.store import Store
from bot.store import articles as article_store
from bot.store import channels as channel_store
from bot.store import feeds as feed_store
from bot.store.channels import ChannelRef
from bot.store.schema import FeedEntryRow, FeedRow, SubscriptionRow

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
CHANNEL = ChannelRef(platform="recorder", external_id="C1", name="news")


class RecordingPoster:
    """Answers like a platform would, as the test sets it, and keeps what it was asked to post."""

    platform = "recorder"

    def __init__(self) -> None:
        self.posts: list[tuple[str, DigestPost]] = []
        self.notices: list[tuple[str, str]] = []
        self.answers: list[PostResult] = []

    async def post_digest(self, channel_id: str, post: DigestPost, record=None) -> PostResult:  # noqa: ANN001
        answer = self.answers.pop(0) if self.answers else PostResult(status="posted", message_ref=f"m{len(self.posts)}")
        if answer.status == "posted":
            self.posts.append((channel_id, post))
            if record is not None:
                await record(0, answer.message_ref or "m")
        return answer

    async def post_notice(self, channel_id: str, text: str) -> PostResult:
        self.notices.append((channel_id, text))
        return PostResult(status="posted")


@pytest.fixture
def poster() -> RecordingPoster:
    """A recorder, for a test to register with its application (`app.posters.register(poster)`)."""
    return RecordingPoster()


def subscribe(store: Store, feed_url: str, at: datetime, channel: ChannelRef = CHANNEL) -> int:
    """`channel` subscribed to `feed_url` since `at`; its id."""
    feed_store.subscribe(store, channel, feed_url, interval_seconds=900, now=at)
    channel_id = channel_store.find_channel(store, channel)
    with store.session() as s:
        s.execute(update(SubscriptionRow).where(SubscriptionRow.channel_id == channel_id).values(created_at=at))
    return channel_id


def add_entry(store: Store, feed_url: str, digest, seen: datetime, backlog: bool = False) -> str:
    saved = article_store.save_digest(store, digest)
    with store.session() as s:
        feed = s.query(FeedRow).filter_by(url=feed_url).one()
        s.add(FeedEntryRow(feed_id=feed.id, entry_key=f"{saved.article_id}", article_id=saved.article_id,
                           backlog=backlog, first_seen_at=seen))
    return saved.article_id


def story(digest_factory, title: str, quotes=(), dispute=None, url=None):
    return digest_factory(list(quotes), title=title, url=url or f"https://news.example/{abs(hash(title))}",
                          dispute=dispute)
