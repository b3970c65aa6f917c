"""A channel digest over a full pending window: how long building one takes, and what it holds.

    .venv/bin/python bench/bench_pending.py [--stories 1000] [--cap 8] [--database-url URL]

One channel subscribed to one feed with `--stories` new stories (generated digests, titles and
leads of their own, some near-duplicates among them), more than the pending window holds when
`--stories` exceeds bot.delivery.PENDING_ENTRIES. Printed: the time to plan the digest (the pending
query, the keyword filter, the ranking and the near-duplicate grouping), the time of a whole
delivery through the ledger to a poster that keeps the post, and how the stories were accounted
for (shown, similar, waiting) — then the digests that follow until nothing waits.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLACES = ["harbour", "library", "bridge", "school", "market", "museum", "station", "park", "hospital", "stadium",
          "airport", "theatre", "river", "tower", "tram depot", "town hall", "bakery", "pool", "zoo", "castle"]
EVENTS = ["reopens after repairs", "gets new opening hours", "closes for the winter", "wins a design prize",
          "faces a budget cut", "hires a new director", "opens an extension", "hosts a night market"]


class KeepingPoster:
    platform = "bench"

    def __init__(self) -> None:
        self.posts = []

    async def post_digest(self, channel_id, post, record=None):  # noqa: ANN001 - the Poster protocol
        from bot.platforms import PostResult

        self.posts.append(post)
        if record is not None:
            await record(0, f"m{len(self.posts)}")
        return PostResult(status="posted", message_ref=f"m{len(self.posts)}")

    async def post_notice(self, channel_id, text):  # noqa: ANN001
        from bot.platforms import PostResult

        return PostResult(status="posted")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--cap", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from bot.app import Newsdigest
    from bot.config import Settings
    from bot.delivery import PENDING_ENTRIES, deliver, plan_digest
    from bot.store import Store
    from bot.store import articles as article_store
    from bot.store import channels as channel_store
    from bot.store import feeds as feed_store
    from bot.store.channels import ChannelRef
    from bot.store.schema import FeedEntryRow, FeedRow, SubscriptionRow
    from tests.conftest import make_digest

    tmp = tempfile.mkdtemp(prefix="bench-pending-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    store = Store(url)
    store.migrate()
    channel = ChannelRef(platform="bench", external_id="C1", name="bench")
    feed = "https://feeds.example/bench.xml"
    t0 = datetime.now(timezone.utc) - timedelta(days=1)
    feed_store.subscribe(store, channel, feed, interval_seconds=900, now=t0 + timedelta(days=30))  # never polled
    channel_store.set_digest_settings(store, channel, max_items=args.cap)
    channel_id = channel_store.find_channel(store, channel)
    rng = random.Random(7)
    with store.session() as s:
        s.query(SubscriptionRow).update({"created_at": t0})
    start = time.perf_counter()
    for n in range(args.stories):
        place, event = PLACES[n % len(PLACES)], EVENTS[(n // len(PLACES)) % len(EVENTS)]
        copy = n % 10 == 9  # every tenth story is a syndicated copy of the one before
        base = n - 1 if copy else n
        title = f"The {PLACES[base % len(PLACES)]} {EVENTS[(base // len(PLACES)) % len(EVENTS)]}, edition {base}"
        lead = f"Story {base}: the {place} {event}, and {rng.randint(2, 90)} people came to see it on day {base}."
        digest = make_digest([(f"We are glad about story {n}", f"Person {n % 13}")] if n % 3 == 0 else [],
                             title=title + (", officials say" if copy else ""),
                             intro=lead + (" Officials confirmed it." if copy else ""), url=f"https://news.example/{n}")
        saved = article_store.save_digest(store, digest)
        with store.session() as s:
            feed_id = s.query(FeedRow).filter_by(url=feed).one().id
            s.add(FeedEntryRow(feed_id=feed_id, entry_key=str(n), article_id=saved.article_id,
                               first_seen_at=t0 + timedelta(seconds=n + 1)))
    print(f"stored {args.stories} stories in {time.perf_counter() - start:.1f} s ({url.split(':')[0]})")

    now = datetime.now(timezone.utc)
    start = time.perf_counter()
    plan, _ = plan_digest(store, channel_id, now)
    planned = time.perf_counter() - start
    print(f"plan one digest: {planned * 1000:.0f} ms for a window of {min(args.stories, PENDING_ENTRIES)} entries "
          f"(PENDING_ENTRIES={PENDING_ENTRIES}): {len(plan.items)} shown, "
          f"{sum(len(i.similar) for i in plan.items)} similar, {len(plan.waiting)} waiting")

    poster = KeepingPoster()
    app = Newsdigest(Settings(data_dir=tmp), store=store)
    app.posters.register(poster)
    times, slot = [], 0
    while True:
        slot += 1
        start = time.perf_counter()
        outcome = asyncio.run(deliver(app, channel_id, f"slot-{slot}", now + timedelta(minutes=slot)))
        times.append(time.perf_counter() - start)
        if outcome.status != "posted":
            break
    shown = sum(len(p.digests) for p in poster.posts)
    similar = sum(len(v) for p in poster.posts for v in p.similar.values())
    print(f"deliveries until nothing waits: {len(poster.posts)} posts, {shown} stories shown + {similar} similar "
          f"= {shown + similar} of {min(args.stories, PENDING_ENTRIES)} in the window")
    print(f"one delivery: first {times[0] * 1000:.0f} ms, median {sorted(times)[len(times) // 2] * 1000:.0f} ms, "
          f"last (empty) {times[-1] * 1000:.0f} ms")
    app.close()


if __name__ == "__main__":
    main()
