"""Scheduled digests: the ledger, what a channel's digest holds, and exactly-once delivery.

The platform side here is a small Poster written for the tests (tests/helpers/delivery.py; the
adapters' own posters are tested against local Slack and Discord servers); everything else is the
real code on SQLite and PostgreSQL, with time passed in.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.app import Newsdigest
from bot.config import Settings
from bot.delivery import DeliveryOutcome, build_post, deliver, pending_digests, select_items
from bot.platforms import PostResult
from bot.scheduler import latest_slot, slot_key
from bot.schedules import parse_schedule
from bot.store import Store
from bot.store import channels as channel_store
from bot.store import deliveries as ledger
from bot.store.channels import ChannelRef
from bot.store.schema import ChannelRow
from tests.fakes.slack_server import slack_api  # noqa: F401 - a fixture
from tests.helpers.delivery import CHANNEL, T0, add_entry, poster, story, subscribe  # noqa: F401 - poster is a fixture

# The ledger

def test_a_slot_is_claimed_once_and_done_once_completed(store):
    channel_id = channel_store.ensure_channel(store, CHANNEL)
    first = ledger.claim(store, channel_id, "2026-11-23T08:00Z", T0, timedelta(minutes=10))
    assert first is not None and not first.taken_over
    assert ledger.claim(store, channel_id, "2026-11-23T08:00Z", T0, timedelta(minutes=10)) is None
    ledger.complete(store, first, ledger.POSTED, T0)
    assert ledger.claim(store, channel_id, "2026-11-23T08:00Z", T0 + timedelta(days=1), timedelta(minutes=10)) is None
    assert ledger.deliveries(store, channel_id) == [("2026-11-23T08:00Z", "posted")]


def test_a_claim_left_by_a_dead_process_expires_after_its_lease(store):
    channel_id = channel_store.ensure_channel(store, CHANNEL)
    assert ledger.claim(store, channel_id, "s", T0, timedelta(minutes=10)) is not None
    assert ledger.claim(store, channel_id, "s", T0 + timedelta(minutes=5), timedelta(minutes=10)) is None
    taken = ledger.claim(store, channel_id, "s", T0 + timedelta(minutes=11), timedelta(minutes=10))
    assert taken is not None and taken.taken_over
    assert taken.idempotency_key == f"{channel_id}:s"
    # Whoever takes it over holds it now: a third process does not.
    assert ledger.claim(store, channel_id, "s", T0 + timedelta(minutes=12), timedelta(minutes=10)) is None


def test_a_slot_to_retry_can_be_claimed_again_at_once(store):
    channel_id = channel_store.ensure_channel(store, CHANNEL)
    first = ledger.claim(store, channel_id, "s", T0, timedelta(minutes=10))
    ledger.complete(store, first, ledger.RETRY, T0, "rate_limited")
    assert ledger.claim(store, channel_id, "s", T0 + timedelta(seconds=1), timedelta(minutes=10)) is not None


def test_many_processes_racing_for_one_slot_get_it_once(store):
    channel_id = channel_store.ensure_channel(store, CHANNEL)
    stores = [Store(store.url) for _ in range(6)]  # each its own engine and connections, like processes
    won: list[object] = []
    barrier = threading.Barrier(len(stores))

    def race(s: Store) -> None:
        barrier.wait()
        result = ledger.claim(s, channel_id, "2026-11-23T08:00Z", T0, timedelta(minutes=10))
        if result is not None:
            won.append(result)

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert len(won) == 1


# What a digest holds

def test_only_news_after_subscribing_and_after_the_last_digest(store, digest_factory):
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    add_entry(store, feed, story(digest_factory, "Old story from the backlog"), T0 + timedelta(minutes=1), backlog=True)
    add_entry(store, feed, story(digest_factory, "Story from before subscribing"), T0 - timedelta(minutes=1))
    new = add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    later = add_entry(store, feed, story(digest_factory, "Council votes on budget"), T0 + timedelta(hours=3))
    found = pending_digests(store, channel_id, until=T0 + timedelta(hours=1))
    assert [d.article.id for d in found.digests] == [new]
    with store.session() as s:
        s.get(ChannelRow, channel_id).last_entry_id = found.watermark([])  # as a posted digest leaves it
    assert [d.article.id for d in pending_digests(store, channel_id, until=T0 + timedelta(hours=4)).digests] == [later]


def test_an_entry_written_after_a_digest_but_seen_before_it_is_in_the_next(store, digest_factory, poster, tmp_path):
    """A poll that started before a digest ran writes its entries after it: those entries are
    older than the digest by first_seen_at, and still news for the next one."""
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    assert asyncio.run(deliver(app, channel_id, "slot-1", T0 + timedelta(hours=1))).status == "posted"
    late = add_entry(store, feed, story(digest_factory, "Council votes on budget"), T0 + timedelta(minutes=59))
    outcome = asyncio.run(deliver(app, channel_id, "slot-2", T0 + timedelta(hours=2)))
    assert outcome.status == "posted"
    assert [d.article.id for d in poster.posts[-1][1].digests] == [late]


def test_items_are_filtered_ranked_grouped_and_capped(digest_factory):
    from digests.models import Dispute, Party

    plain = story(digest_factory, "Weather turns cold in the north")
    quoted = story(digest_factory, "Mayor opens new bridge", quotes=[("A great day for the city", "Ana Silva")])
    disputed = story(digest_factory, "Acme sues Globex over patents",
                     dispute=Dispute(headline="Acme vs Globex", parties=[Party(name="Acme", position=None),
                                                                            Party(name="Globex", position=None)],
                                     allegation="patent theft"))
    same_event = story(digest_factory, "Acme sues Globex over patents, filing shows")
    sport = story(digest_factory, "Local team wins football final")
    chosen = select_items([plain, same_event, quoted, disputed, sport], include=[], exclude=["football"], limit=8)
    assert [d.article.title for d in chosen.items] == ["Acme sues Globex over patents", "Mayor opens new bridge",
                                                       "Weather turns cold in the north"]
    # The same event is not dropped: it is grouped under the story that stands for it.
    assert [d.article.title for d in chosen.similar[disputed.article.id]] == ["Acme sues Globex over patents, filing shows"]
    assert [d.article.title for d in chosen.filtered] == ["Local team wins football final"]
    assert [d.article.title for d in select_items([plain, quoted, disputed], include=["bridge"], exclude=[], limit=8).items] \
        == ["Mayor opens new bridge"]
    capped = select_items([plain, quoted, disputed, sport], include=[], exclude=[], limit=2)
    assert len(capped.items) == 2 and len(capped.waiting) == 2


def test_an_empty_digest_is_not_built(store):
    channel_id = subscribe(store, "https://feeds.example/quiet.xml", T0)
    assert build_post(store, channel_id, T0 + timedelta(hours=1), "k") == (None, None)


# Delivery

def test_deliver_posts_once_and_moves_the_channel_on(store, digest_factory, poster, tmp_path):
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    now = T0 + timedelta(hours=1)
    outcome = asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", now))
    assert (outcome.status, outcome.items) == ("posted", 1)
    assert asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", now)).status == "skipped"
    (channel_id_posted, post), = poster.posts
    assert channel_id_posted == "C1"
    assert post.idempotency_key == f"{channel_id}:2026-11-23T08:00Z"
    assert [d.article.title for d in post.digests] == ["Harbour reopens after storm"]
    # The next slot has nothing new: nothing is posted.
    assert asyncio.run(deliver(app, channel_id, "2026-11-24T08:00Z", now + timedelta(days=1))).status == "empty"
    assert len(poster.posts) == 1


def test_a_busy_platform_is_retried_and_a_gone_channel_is_not(store, digest_factory, poster, tmp_path):
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    now = T0 + timedelta(hours=1)
    poster.answers = [PostResult(status="rate_limited", retry_after=30), PostResult(status="posted")]
    first = asyncio.run(deliver(app, channel_id, "slot-1", now))
    assert (first.status, first.retry_after) == ("retry", 30)
    assert asyncio.run(deliver(app, channel_id, "slot-1", now + timedelta(seconds=30))).status == "posted"
    assert len(poster.posts) == 1
    add_entry(store, feed, story(digest_factory, "Council votes on budget"), now + timedelta(minutes=5))
    poster.answers = [PostResult(status="channel_not_found", detail="channel_not_found")]
    gone = asyncio.run(deliver(app, channel_id, "slot-2", now + timedelta(hours=1)))
    assert gone.status == "failed"
    assert asyncio.run(deliver(app, channel_id, "slot-2", now + timedelta(hours=2))).status == "skipped"
    assert ledger.deliveries(store, channel_id)[-1] == ("slot-2", "failed")


def test_no_running_platform_keeps_the_slot_for_later(store, digest_factory, tmp_path):
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    outcome = asyncio.run(deliver(app, channel_id, "slot", T0 + timedelta(hours=1)))
    assert outcome.status == "retry" and "recorder" in outcome.detail


# Slots from schedules

def test_the_slot_is_the_latest_fire_time_within_the_grace_time():
    schedule = parse_schedule("weekdays 08:00", "Europe/Paris")
    monday_0805_paris = datetime(2026, 11, 23, 7, 5, tzinfo=timezone.utc)
    assert slot_key(latest_slot(schedule, monday_0805_paris)) == "2026-11-23T07:00Z"
    # Down from 07:55 to 08:30 Paris time: the 08:00 digest is still due once it is back.
    assert slot_key(latest_slot(schedule, monday_0805_paris + timedelta(minutes=25))) == "2026-11-23T07:00Z"
    assert latest_slot(schedule, monday_0805_paris + timedelta(hours=2)) is None  # past the grace time
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
    assert latest_slot(schedule, saturday) is None


def test_a_scheduled_run_posts_the_slot_once_however_often_it_fires(store, digest_factory, poster, tmp_path):
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0 - timedelta(days=1))
    channel_store.set_schedule(store, CHANNEL, parse_schedule("daily 08:00", "UTC"))
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0)
    at_0801 = datetime(2026, 11, 23, 8, 1, tzinfo=timezone.utc)
    outcomes = [asyncio.run(app.scheduler.run_digest(channel_id, now=at_0801 + timedelta(minutes=n))) for n in range(3)]
    assert [o.status for o in outcomes] == ["posted", "skipped", "skipped"]
    assert [o.slot for o in outcomes] == ["2026-11-23T08:00Z"] * 3
    assert len(poster.posts) == 1


def test_the_running_scheduler_builds_its_jobs_from_the_schedules_and_catches_up_a_missed_slot(tmp_path, digest_factory, poster):
    """The real AsyncIOScheduler, its jobs built from the schedules table (nothing of its own stored:
    the ledger and the catch-up at start make a restart safe)."""
    from sqlalchemy import inspect

    settings = Settings(data_dir=tmp_path)
    app = Newsdigest(settings)
    app.posters.register(poster)
    store = app.store
    feed = "https://feeds.example/a.xml"
    now = datetime.now(timezone.utc)
    channel_id = subscribe(store, feed, now - timedelta(days=1))
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), now - timedelta(minutes=20))
    # Due ten minutes ago, while "the bot was down": within the grace time, so it is posted at start.
    due = now - timedelta(minutes=10)
    channel_store.set_schedule(store, CHANNEL, parse_schedule(f"daily {due:%H:%M}", "UTC"))

    async def run_briefly() -> list[str]:
        app.scheduler.start()
        try:
            for _ in range(300):  # up to 15 s on a busy machine; done once the ledger row is complete
                if ledger.deliveries(store, channel_id) and ledger.deliveries(store, channel_id)[0][1] != "claimed":
                    break
                await asyncio.sleep(0.05)
            return sorted(job.id for job in app.scheduler.jobs.get_jobs() if job.id.startswith("digest:"))
        finally:
            app.scheduler.stop()

    jobs = asyncio.run(run_briefly())
    assert jobs == [f"digest:{channel_id}"]
    assert len(poster.posts) == 1
    assert ledger.deliveries(store, channel_id) == [(slot_key(due.replace(second=0, microsecond=0)), "posted")]
    assert "apscheduler_jobs" not in inspect(store.engine).get_table_names()  # one source of truth
    # A second start (a restart) posts nothing more for that slot: its catch-up run of the channel
    # has ended, and found the slot done.
    app2 = Newsdigest(settings)
    app2.posters.register(poster)
    outcome = asyncio.run(_catch_up(app2, channel_id))
    assert outcome is not None and outcome.status == "skipped"
    assert len(poster.posts) == 1
    app.close()
    app2.close()


async def _catch_up(app: Newsdigest, channel_id: int) -> DeliveryOutcome | None:
    """Start the scheduler and wait for its catch-up run of the channel to end (APScheduler's event
    for that job); what the run returned."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[DeliveryOutcome | None] = loop.create_future()

    def job_ended(event: JobExecutionEvent) -> None:  # called on the loop or a worker thread
        if event.job_id == f"catch-up:{channel_id}":
            loop.call_soon_threadsafe(_settle, ended, event)

    app.scheduler.jobs.add_listener(job_ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    app.scheduler.start()
    try:
        return await asyncio.wait_for(ended, timeout=60)
    finally:
        app.scheduler.stop()


def _settle(ended: asyncio.Future, event: JobExecutionEvent) -> None:
    if ended.done():
        return
    if event.exception is not None:
        ended.set_exception(event.exception)
    else:
        ended.set_result(event.retval)


def test_a_scheduled_digest_reaches_the_local_slack_server_exactly_once(store, digest_factory, tmp_path, slack_api):
    """The whole path with Slack's own poster: ledger → digest post → chat.postMessage on the
    local Slack Web API server, and nothing more when the slot runs again."""
    from adapters.slack.poster import SlackPoster, web_client

    slack = ChannelRef(platform="slack", external_id="T0TEAM:C0NEWS", name="news")
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(SlackPoster(web_client(slack_api.api_url, token="xoxb-test")))
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0, channel=slack)
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm",
                                 quotes=[("We will reopen on Monday", "Ana Silva")]), T0 + timedelta(minutes=30))
    now = T0 + timedelta(hours=1)
    assert asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", now)).status == "posted"
    assert asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", now)).status == "skipped"
    [call] = slack_api.calls("chat.postMessage")
    assert call.data["channel"] == "C0NEWS"
    assert call.data["metadata"]["event_payload"]["idempotency_key"] == f"{channel_id}:2026-11-23T08:00Z"
    assert "Harbour reopens after storm" in call.body.decode()
    assert "Ana Silva" in call.body.decode()


def test_digest_now_posts_the_next_digest_here_and_preview_only_shows_it(store, digest_factory, tmp_path, poster):
    """Issue 10: /digest now posts through the channel's poster and the ledger (its own slot), and
    answers the asker privately; on a channel without a schedule the stories then count as delivered."""
    from bot.commands import handle_text

    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, datetime.now(timezone.utc) - timedelta(days=1))
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm",
                                 quotes=[("We will reopen on Monday", "Ana Silva")]),
              datetime.now(timezone.utc) - timedelta(minutes=5))
    preview = handle_text(app, "/digest preview", CHANNEL)
    assert preview.visibility == "private" and preview.title.startswith("Preview:")
    assert [s.title for s in preview.sections] == ["Harbour reopens after storm"]
    assert preview.sections[0].quote == "We will reopen on Monday"
    assert ledger.deliveries(store, channel_id) == []  # a preview changes nothing
    now = handle_text(app, "/digest now", CHANNEL)
    assert now.visibility == "private" and "Posted the digest here: 1 story" in now.summary
    [(where, post)] = poster.posts
    assert where == "C1" and [d.article.title for d in post.digests] == ["Harbour reopens after storm"]
    [(slot, status)] = ledger.deliveries(store, channel_id)
    assert slot.startswith("now:") and status == "posted"
    assert post.idempotency_key == f"{channel_id}:{slot}"
    again = handle_text(app, "/digest now", CHANNEL)
    assert again.kind == "not_found" and "Nothing new" in again.summary
    assert len(poster.posts) == 1


def test_a_slack_post_that_went_out_just_before_a_crash_is_not_posted_again(store, digest_factory, tmp_path, slack_api):
    """A process claims the slot, its post reaches Slack, and it dies before completing the ledger
    row. The bot that takes the claim over finds the post by its idempotency key and stops there."""
    from adapters.slack.poster import SlackPoster, web_client

    slack = ChannelRef(platform="slack", external_id="T0TEAM:C0NEWS", name="news")
    poster = SlackPoster(web_client(slack_api.api_url, token="xoxb-test"))
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0, channel=slack)
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    now = T0 + timedelta(hours=1)
    dead = ledger.claim(store, channel_id, "slot", now, timedelta(minutes=10))
    post, _ = build_post(store, channel_id, now, dead.idempotency_key)
    assert asyncio.run(poster.post_digest("T0TEAM:C0NEWS", post)).status == "posted"
    # ...and the process dies here. Ten minutes later another takes over:
    outcome = asyncio.run(deliver(app, channel_id, "slot", now + timedelta(minutes=11)))
    assert outcome.status == "posted"
    assert len(slack_api.calls("chat.postMessage")) == 1
    assert ledger.deliveries(store, channel_id) == [("slot", "posted")]


def test_the_settings_typed_in_chat_shape_the_next_post(store, digest_factory, poster, tmp_path):
    from bot.commands import Caller, handle_text

    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    for n, title in enumerate(["Harbour reopens after storm", "Harbour fees rise", "Harbour crane sold",
                               "Council votes on harbour budget", "Football final tonight"]):
        add_entry(store, feed, story(digest_factory, title), T0 + timedelta(minutes=10 + n))
    admin = Caller(can_manage=True, user_id="U1")
    for line in ("/newsdigest filter include harbour", "/newsdigest filter exclude council",
                 "/newsdigest length 2", "/newsdigest format headlines"):
        assert handle_text(app, line, CHANNEL, admin).kind == "answer", line
    member = Caller(can_manage=False, user_id="U2")
    assert handle_text(app, "/newsdigest length 9", CHANNEL, member).title == "Ask an admin"  # the channel permission
    shown = " ".join(s.text or "" for s in handle_text(app, "/newsdigest settings", CHANNEL, member).sections)
    assert "only stories with “harbour”; none with “council”" in shown and "at most 2 stories" in shown
    outcome = asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", T0 + timedelta(hours=1)))
    assert (outcome.status, outcome.items, outcome.waiting) == ("posted", 2, 1)
    (_, post), = poster.posts
    assert post.format == "headlines" and post.filtered == 2  # the football story and the council's
    assert all("Harbour" in d.article.title for d in post.digests)


def test_nothing_new_is_said_for_what_the_channel_is(store, digest_factory, poster, tmp_path):
    from bot.commands import handle_text

    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    app.posters.register(poster)
    assert "follows no feeds yet" in handle_text(app, "/digest preview", CHANNEL).summary
    feed = "https://feeds.example/a.xml"
    channel_id = subscribe(store, feed, T0)
    first = handle_text(app, "/digest preview", CHANNEL).summary
    assert "first digest" in first and "since its last digest" not in first  # there never was one
    add_entry(store, feed, story(digest_factory, "Harbour reopens after storm"), T0 + timedelta(minutes=30))
    assert asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", T0 + timedelta(hours=1))).status == "posted"
    assert "Nothing new for this channel since its last digest (" in handle_text(app, "/digest preview", CHANNEL).summary
