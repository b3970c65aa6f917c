"""Issue 10, failures 4 and 5: every story is delivered or accounted for, near-duplicates only are
grouped (shown as "+N similar"), `/digest now` goes through the ledger, and a multi-message digest
resumes message by message. The real delivery code on SQLite and PostgreSQL; the platform is the
recording poster of test_delivery or Slack's own poster against the local Slack server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.app import Newsdigest
from bot.commands import handle_text
from bot.config import Settings
from bot.delivery import PENDING_DAYS, deliver, near_duplicates, pending_digests, select_items
from bot.platforms import PostResult
from bot.schedules import parse_schedule
from bot.store import channels as channel_store
from bot.store import deliveries as ledger
from bot.store.channels import ChannelRef
from tests.fakes.slack_server import slack_api  # noqa: F401 - a fixture
from tests.helpers.delivery import CHANNEL, T0, add_entry, poster, subscribe  # noqa: F401 - poster is a fixture

FEED = "https://feeds.example/city.xml"
PLACES = ["harbour", "library", "bridge", "school", "market", "museum", "station", "park", "hospital", "stadium",
          "airport", "theatre", "river", "tower"]


def news(digest_factory, title: str, lead: str, url: str | None = None, quotes=()):
    return digest_factory(list(quotes), title=title, intro=lead, url=url or f"https://city.example/{abs(hash(title + lead))}")


def fourteen(digest_factory):
    return [news(digest_factory, f"The {place} gets a new opening time",
                 f"From next week the {place} opens at {7 + n % 3} in the morning, the council said on Tuesday. "
                 f"Residents near the {place} had asked for the change for {n + 2} years.")
            for n, place in enumerate(PLACES)]


def app_for(store, tmp_path) -> Newsdigest:
    return Newsdigest(Settings(data_dir=tmp_path), store=store)


# The cap: leftovers wait, and the post says so

def test_fourteen_new_stories_with_a_cap_of_eight_are_all_shown_over_two_digests(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0)
    ids = [add_entry(store, FEED, d, T0 + timedelta(minutes=n + 1)) for n, d in enumerate(fourteen(digest_factory))]
    first = asyncio.run(deliver(app, channel_id, "slot-1", T0 + timedelta(hours=1)))
    assert (first.status, first.items, first.waiting) == ("posted", 8, 6)
    post = poster.posts[-1][1]
    assert post.waiting == 6 and "6 more stories wait for the next digest" in post.note
    assert "8 stories, 6 more waiting" in post.title
    # Stories arriving later still come after the ones already waiting (best ranked first: recent).
    second = asyncio.run(deliver(app, channel_id, "slot-2", T0 + timedelta(hours=2)))
    assert (second.status, second.items, second.waiting) == ("posted", 6, 0)
    assert poster.posts[-1][1].note is None
    shown = [d.article.id for _, p in poster.posts for d in p.digests]
    assert sorted(shown) == sorted(ids) and len(shown) == 14
    assert ledger.stories(store, channel_id) == {a: "posted" for a in ids}
    assert asyncio.run(deliver(app, channel_id, "slot-3", T0 + timedelta(hours=3))).status == "empty"


def test_a_story_arriving_between_two_digests_joins_the_waiting_ones(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0)
    channel_store.set_digest_settings(store, CHANNEL, max_items=2)
    stories = fourteen(digest_factory)[:4]
    for n, d in enumerate(stories[:3]):
        add_entry(store, FEED, d, T0 + timedelta(minutes=n + 1))
    asyncio.run(deliver(app, channel_id, "slot-1", T0 + timedelta(hours=1)))
    late = add_entry(store, FEED, stories[3], T0 + timedelta(hours=1, minutes=5))
    asyncio.run(deliver(app, channel_id, "slot-2", T0 + timedelta(hours=2)))
    second = [d.article.id for d in poster.posts[-1][1].digests]
    assert len(second) == 2 and late in second  # the newest first, and the one left over
    assert len(ledger.stories(store, channel_id)) == 4


def test_the_pending_window_is_bounded_by_age(store, digest_factory, poster, tmp_path):  # noqa: F811
    """A story waits at most PENDING_DAYS: an entry seen before that is dropped from the window, and
    the channel's watermark moves past it (the window cannot grow for ever)."""
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    now = T0 + timedelta(days=PENDING_DAYS + 2)
    channel_id = subscribe(store, FEED, T0)
    old, fresh = fourteen(digest_factory)[:2]
    old_id = add_entry(store, FEED, old, T0 + timedelta(hours=1))
    fresh_id = add_entry(store, FEED, fresh, now - timedelta(hours=1))
    pending = pending_digests(store, channel_id, now)
    assert [d.article.id for d in pending.digests] == [fresh_id] and pending.expired == 1
    assert asyncio.run(deliver(app, channel_id, "slot", now)).status == "posted"
    watermark = ledger.pending_entries(store, channel_id, 1).watermark
    assert watermark is not None and old_id not in ledger.stories(store, channel_id)
    assert pending_digests(store, channel_id, now).digests == []


# Grouping: near-duplicates only

def test_four_different_story_n_update_stories_are_kept_apart(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0)
    leads = ["The ferry timetable changes on Monday and the first boat leaves at six.",
             "A water main burst on Elm Street and the road is closed until Thursday.",
             "The city choir won a regional prize for its winter concert.",
             "Two new cycle lanes open along the canal after a year of works."]
    ids = [add_entry(store, FEED, news(digest_factory, f"Story {n} update", lead), T0 + timedelta(minutes=n))
           for n, lead in zip(range(9, 13), leads)]
    asyncio.run(deliver(app, channel_id, "slot", T0 + timedelta(hours=1)))
    post = poster.posts[-1][1]
    assert sorted(d.article.id for d in post.digests) == sorted(ids)
    assert post.similar == {}
    # The same title over different news is not the same story either.
    a, b = (news(digest_factory, "Council meeting", lead) for lead in leads[:2])
    assert not near_duplicates(a, b)


def test_near_duplicates_are_grouped_as_similar_with_their_links_and_not_shown_again(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0)
    lead = "The harbour reopened on Monday after the storm, and the first ferries left at dawn with forty passengers."
    main = news(digest_factory, "Harbour reopens after the storm", lead, url="https://wire.example/harbour",
                quotes=[("We are open again", "Ana Silva")])
    syndicated = news(digest_factory, "Harbour reopens after the storm, officials say", lead + " Officials confirmed it.",
                      url="https://other.example/harbour-reopens")
    other = news(digest_factory, "Library extends its hours", "The library now stays open until nine on weekdays.")
    ids = {name: add_entry(store, FEED, d, T0 + timedelta(minutes=n + 1))
           for n, (name, d) in enumerate([("syndicated", syndicated), ("main", main), ("other", other)])}
    asyncio.run(deliver(app, channel_id, "slot-1", T0 + timedelta(hours=1)))
    post = poster.posts[-1][1]
    assert [d.article.id for d in post.digests] == [ids["main"], ids["other"]]  # the quoted story stands for the event
    assert [(s.title, s.url) for s in post.similar_to(post.digests[0])] == [
        ("Harbour reopens after the storm, officials say", "https://other.example/harbour-reopens")]
    assert post.similar_to(post.digests[1]) == []
    assert ledger.stories(store, channel_id) == {ids["main"]: "posted", ids["other"]: "posted", ids["syndicated"]: "similar"}
    assert asyncio.run(deliver(app, channel_id, "slot-2", T0 + timedelta(hours=2))).status == "empty"


def test_the_same_canonical_url_is_the_same_story_whatever_the_text(digest_factory):
    a = news(digest_factory, "Harbour reopens after the storm", "The harbour reopened on Monday.",
             url="https://wire.example/harbour")
    b = news(digest_factory, "Ferries are back", "An entirely different text.", url="https://WIRE.example/harbour/?utm_source=feed")
    c = news(digest_factory, "Harbour reopens after the storm", "The council met to discuss the budget for next year.")
    assert near_duplicates(a, b)
    assert not near_duplicates(a, c)  # the same title, another text: not the same story


def test_similar_stories_appear_in_every_platforms_rendering(digest_factory):
    from adapters.discord.render import post_messages as discord_messages
    from adapters.slack.render import post_messages as slack_messages
    from bot.platforms import DigestPost, SimilarStory
    from tests.fakes.slack_server import assert_within_slack_limits

    d = news(digest_factory, "Harbour reopens after the storm", "The harbour reopened on Monday.")
    post = DigestPost(title="News digest", digests=[d], idempotency_key="k", waiting=3, filtered=1,
                      similar={d.article.id: [SimilarStory(title="Ferries back <!here>", url="https://other.example/ferries")]})
    [slack] = slack_messages(post)
    assert_within_slack_limits(slack.payload())
    blocks = str(slack.blocks)
    assert "+1 similar: <https://other.example/ferries|Ferries back &lt;!here&gt;>" in blocks
    assert "3 more stories wait for the next digest" in blocks and "1 story was left out" in blocks
    [discord] = discord_messages(post)
    # under the story's TL;DR, as on Slack: "+1 similar" and the link
    assert "\n**+1 similar**\n[Ferries back <!here>](https://other.example/ferries)" in discord.embeds[0].description
    assert "3 more stories wait" in discord.content

    from rich.console import Console

    from adapters.terminal.poster import TerminalPoster

    console = Console(record=True, width=120, color_system=None)
    recorded: list[tuple[int, str]] = []

    async def record(position: int, ref: str) -> None:
        recorded.append((position, ref))

    assert asyncio.run(TerminalPoster(console).post_digest("local", post, record=record)).status == "posted"
    printed = console.export_text()
    assert "+1 similar:" in printed and "Ferries back <!here> — https://other.example/ferries" in printed
    assert "3 more stories wait for the next digest" in printed and recorded == [(0, "k")]
    # Resumed with its one message already posted: nothing printed again.
    again = Console(record=True, width=120, color_system=None)
    asyncio.run(TerminalPoster(again).post_digest("local", post.model_copy(update={"posted": {0: "k"}})))
    assert again.export_text() == ""


# Keyword filters: accounted, and counted in the post

def test_stories_left_out_by_keywords_are_accounted_as_filtered(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0)
    channel_store.set_digest_settings(store, CHANNEL, exclude=["football"])
    kept = add_entry(store, FEED, news(digest_factory, "Library extends its hours", "Open until nine."), T0 + timedelta(minutes=1))
    sport = add_entry(store, FEED, news(digest_factory, "Football final tonight", "The final starts at eight."),
                      T0 + timedelta(minutes=2))
    asyncio.run(deliver(app, channel_id, "slot-1", T0 + timedelta(hours=1)))
    post = poster.posts[-1][1]
    assert [d.article.id for d in post.digests] == [kept] and post.filtered == 1
    assert "1 story was left out by this channel's keywords" in post.note
    assert ledger.stories(store, channel_id) == {kept: "posted", sport: "filtered"}
    assert asyncio.run(deliver(app, channel_id, "slot-2", T0 + timedelta(hours=2))).status == "empty"


def test_select_items_sends_the_rest_over_the_cap_to_wait_not_to_be_dropped(digest_factory):
    stories = fourteen(digest_factory)
    chosen = select_items(stories, include=[], exclude=[], limit=8)
    assert len(chosen.items) == 8 and len(chosen.waiting) == 6 and not chosen.similar and not chosen.filtered


# /digest now and /digest preview through the ledger

def _fresh_story(store, digest_factory, title: str = "Harbour reopens after the storm") -> str:
    return add_entry(store, FEED, news(digest_factory, title, f"{title}: the first ferries left at dawn."),
                     datetime.now(timezone.utc) - timedelta(minutes=5))


def test_digest_now_on_a_scheduled_channel_leaves_the_scheduled_digest_its_stories(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, datetime.now(timezone.utc) - timedelta(days=1))
    channel_store.set_schedule(store, CHANNEL, parse_schedule("daily 08:00", "UTC"))
    article = _fresh_story(store, digest_factory)
    reply = handle_text(app, "/digest now", CHANNEL)
    assert reply.visibility == "private" and "still be in the scheduled digest" in reply.summary
    assert len(poster.posts) == 1 and ledger.stories(store, channel_id) == {}
    # The scheduled digest still has it.
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert asyncio.run(deliver(app, channel_id, "2099-01-01T08:00Z", later)).status == "posted"
    assert [d.article.id for d in poster.posts[-1][1].digests] == [article]
    # --consume: what it posts counts as delivered.
    other = _fresh_story(store, digest_factory, "Library extends its hours")
    reply = handle_text(app, "/digest now --consume", CHANNEL)
    assert "count as delivered" in reply.summary
    assert ledger.stories(store, channel_id)[other] == "posted"
    assert all(status == "posted" for _, status in ledger.deliveries(store, channel_id))


def test_a_failed_digest_now_loses_nothing(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, datetime.now(timezone.utc) - timedelta(days=1))
    article = _fresh_story(store, digest_factory)
    poster.answers = [PostResult(status="unavailable", detail="Slack is down")]
    reply = handle_text(app, "/digest now", CHANNEL)
    assert reply.kind == "error" and "Nothing was marked as delivered" in reply.summary
    assert "Traceback" not in reply.summary and "Slack is down" not in reply.summary
    assert poster.posts == [] and ledger.stories(store, channel_id) == {}
    assert [d.article.id for d in pending_digests(store, channel_id, datetime.now(timezone.utc)).digests] == [article]
    poster.answers = [PostResult(status="forbidden", detail="not_in_channel")]
    refused = handle_text(app, "/digest now", CHANNEL)
    assert refused.kind == "error" and "invite it here" in refused.summary and ledger.stories(store, channel_id) == {}
    assert handle_text(app, "/digest now", CHANNEL).title == "Digest posted"
    assert [d.article.id for d in poster.posts[0][1].digests] == [article]


def test_digest_now_without_a_running_platform_says_so_and_keeps_the_stories(store, digest_factory, tmp_path):
    app = app_for(store, tmp_path)
    channel_id = subscribe(store, FEED, datetime.now(timezone.utc) - timedelta(days=1))
    _fresh_story(store, digest_factory)
    reply = handle_text(app, "/digest now", CHANNEL)  # no "recorder" poster is registered
    assert reply.kind == "error" and ledger.stories(store, channel_id) == {}


def test_preview_lists_the_stories_waiting_after_the_next_digest(store, digest_factory, tmp_path):
    app = app_for(store, tmp_path)
    channel_id = subscribe(store, FEED, datetime.now(timezone.utc) - timedelta(days=1))
    channel_store.set_digest_settings(store, CHANNEL, max_items=8)
    for n, d in enumerate(fourteen(digest_factory)):
        add_entry(store, FEED, d, datetime.now(timezone.utc) - timedelta(minutes=30 - n))
    preview = handle_text(app, "/digest preview", CHANNEL)
    assert preview.visibility == "private"
    waiting = next(s for s in preview.sections if (s.title or "").startswith("Waiting for the next digest"))
    assert waiting.title == "Waiting for the next digest (6)" and waiting.text.count("•") == 6
    assert len([s for s in preview.sections if s.quote is not None or s.title and not s.title.startswith("Waiting")]) == 8
    assert ledger.deliveries(store, channel_id) == [] and ledger.stories(store, channel_id) == {}


# Multi-message digests resume message by message

def test_a_retried_slack_digest_posts_only_the_messages_that_are_missing(store, digest_factory, tmp_path, slack_api):  # noqa: F811
    from adapters.slack.poster import SlackPoster, web_client

    slack = ChannelRef(platform="slack", external_id="T0TEAM:C0NEWS", name="news")
    app = app_for(store, tmp_path)
    app.posters.register(SlackPoster(web_client(slack_api.api_url, token="xoxb-test")))
    channel_id = subscribe(store, FEED, T0, channel=slack)
    channel_store.set_digest_settings(store, slack, max_items=12)
    for n, place in enumerate(PLACES[:12]):
        add_entry(store, FEED, news(digest_factory, f"The {place} reopens", f"The {place} reopened on day {n}.",
                                    quotes=[(f"Quote {k} about the {place}", f"Person {k}") for k in range(8)]),
                  T0 + timedelta(minutes=n + 1))
    slack_api.fail("chat.postMessage", error="fatal_error", nth=3)  # the second thread reply
    now = T0 + timedelta(hours=1)
    first = asyncio.run(deliver(app, channel_id, "slot", now))
    assert first.status == "retry"
    delivery = ledger.delivery_id(store, channel_id, "slot")
    assert sorted(ledger.posted_messages(store, delivery)) == [0, 1]
    assert ledger.stories(store, channel_id) == {}  # not done until every message is out
    second = asyncio.run(deliver(app, channel_id, "slot", now + timedelta(minutes=1)))
    assert second.status == "posted"
    posted = [m for m in slack_api.posted]
    parts = sorted(((m.get("metadata") or {}).get("event_payload") or {}).get("part", 0) for m in posted)
    assert parts == list(range(len(parts))) and len(parts) >= 3  # each message once, none missing
    assert sorted(ledger.posted_messages(store, delivery)) == parts
    assert len(ledger.stories(store, channel_id)) == 12


def test_a_slot_held_by_a_process_that_may_have_died_is_looked_at_again_when_its_claim_expires(store, digest_factory, poster, tmp_path):  # noqa: F811
    """Before: a run that found the slot claimed by another process skipped it for good, so a bot
    restarted within the dead one's lease never posted that slot."""
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0 - timedelta(days=1))
    channel_store.set_schedule(store, CHANNEL, parse_schedule("daily 08:00", "UTC"))
    add_entry(store, FEED, fourteen(digest_factory)[0], T0)
    at_0801 = datetime(2026, 11, 23, 8, 1, tzinfo=timezone.utc)
    assert ledger.claim(store, channel_id, "2026-11-23T08:00Z", at_0801, timedelta(minutes=10)) is not None  # then dies
    scheduler = app.scheduler  # not started: the run is called directly, its follow-up job looked at
    outcome = asyncio.run(scheduler.run_digest(channel_id, now=at_0801 + timedelta(seconds=30)))
    assert outcome.status == "skipped" and outcome.retry_after == pytest.approx(9.5 * 60 + 1)
    [job] = [j for j in scheduler.jobs.get_jobs() if j.id.startswith("retry:")]
    assert job.id == f"retry:{channel_id}:2026-11-23T08:00Z" and job.args == (channel_id, "2026-11-23T08:00Z")
    assert job.trigger.run_date == at_0801 + timedelta(seconds=30 + 9.5 * 60 + 1)
    # When it runs, the claim has expired: the slot is taken over and posted.
    late = at_0801 + timedelta(minutes=11)
    assert asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", late, timedelta(minutes=10))).status == "posted"
    # A slot that is done is not looked at again.
    done = asyncio.run(deliver(app, channel_id, "2026-11-23T08:00Z", late, timedelta(minutes=10)))
    assert (done.status, done.retry_after) == ("skipped", None)


def test_what_a_channel_is_done_with_is_forgotten_once_past_the_window(store, digest_factory, poster, tmp_path):  # noqa: F811
    app = app_for(store, tmp_path)
    app.posters.register(poster)
    channel_id = subscribe(store, FEED, T0)
    first, second = fourteen(digest_factory)[:2]
    old = add_entry(store, FEED, first, T0 + timedelta(minutes=1))
    asyncio.run(deliver(app, channel_id, "slot-1", T0 + timedelta(hours=1)))
    assert ledger.stories(store, channel_id) == {old: "posted"}
    later = T0 + timedelta(days=2 * PENDING_DAYS, hours=2)
    new = add_entry(store, FEED, second, later - timedelta(minutes=5))
    asyncio.run(deliver(app, channel_id, "slot-2", later))
    assert ledger.stories(store, channel_id) == {new: "posted"}  # the record of the old one is gone
    assert [d.article.id for _, p in poster.posts for d in p.digests] == [old, new]  # and it did not come back


def test_numbers_in_titles_must_be_equal_and_only_longer_words_may_differ_by_a_letter(digest_factory):
    lead = "The council voted on the budget for next year after a long debate on Tuesday evening."
    assert not near_duplicates(news(digest_factory, "Budget vote, part 12", lead), news(digest_factory, "Budget vote, part 120", lead))
    assert not near_duplicates(news(digest_factory, "Bus fare up", lead), news(digest_factory, "Bus fare cut", lead))
    assert near_duplicates(news(digest_factory, "Council approves the budget", lead),
                           news(digest_factory, "Council approved the budget", lead + " It was late."))


async def test_digest_now_over_slack_posts_through_the_ledger_and_a_refusal_loses_nothing(store, digest_factory, tmp_path, slack_api):  # noqa: F811
    """The real slack-bolt app: a signed /digest now is acknowledged, the digest goes out with the
    bot token (chat.postMessage, keyed in the ledger), and the asker alone is told how it went."""
    import json

    from adapters.slack.app import SlackBot
    from adapters.slack.poster import channel_ref
    from adapters.slack.settings import SlackSettings
    from tests.adapters.slack.test_slack_commands import send

    secret = "digest-now-secret"
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    channel_id = subscribe(store, FEED, datetime.now(timezone.utc) - timedelta(days=1), channel=channel_ref("T0TEAM", "C0NEWS"))
    article = _fresh_story(store, digest_factory)
    bot = SlackBot(app, SlackSettings(bot_token="xoxb-test", signing_secret=secret, api_url=slack_api.api_url))
    app.posters.register(bot.poster)

    async def digest_now() -> dict:
        before = len(slack_api.responses())
        response = await send(bot, slack_api, "/digest", "now", secret=secret)
        assert response.status == 200
        await slack_api.wait_async(lambda calls: len([c for c in calls if c.path.startswith("/response/")]) > before, 30)
        return json.loads(slack_api.responses()[-1].body)

    slack_api.fail("chat.postMessage", error="not_in_channel")
    refused = await digest_now()
    assert refused["response_type"] == "ephemeral" and "invite it here" in refused["text"]
    assert ledger.stories(store, channel_id) == {}
    answer = await digest_now()
    assert answer["response_type"] == "ephemeral" and "Posted the digest here: 1 story" in answer["text"]
    posted = slack_api.calls("chat.postMessage")[-1].data
    [(slot, status)] = [d for d in ledger.deliveries(store, channel_id) if d[1] == "posted"]
    assert posted["metadata"]["event_payload"]["idempotency_key"] == f"{channel_id}:{slot}" and slot.startswith("now:")
    assert "Harbour reopens after the storm" in json.dumps(posted["blocks"])
    assert ledger.stories(store, channel_id) == {article: "posted"}  # no schedule: this was its digest
