"""Tenants (issue 10, part 2): an article belongs to the workspaces that brought it (a Slack team, a
Discord server, the terminal) and to the workspaces subscribed to a feed that brought it; every
look-up sees only its own workspace's articles, and another workspace's article answers exactly as
an unknown one.

On SQLite and PostgreSQL: the store's look-ups one by one, a feed shared by one workspace, the
migration's assignment of the rows a database had before tenants, and two Slack workspaces (the
real slack-bolt App, signed payloads) and two Discord servers (the real discord.py client, raw
INTERACTION_CREATE payloads, autocomplete included) on one database. The sentences are made up here.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from adapters.slack.app import SlackBot
from adapters.slack.poster import channel_ref
from adapters.slack.settings import SlackSettings
from bot import commands
from bot.app import Newsdigest
from bot.config import Settings
from bot.service import DigestService
from bot.store import Store
from bot.store import articles as article_store
from bot.store import channels as channel_store
from bot.store import feeds as feed_store
from bot.store.channels import TERMINAL_TENANT, ChannelRef
from bot.store.db import alembic_config
from bot.store.feeds import NewEntry
from bot.whosaid import candidate_queries, who_said
from digests.models import Digest
from tests.adapters.discord.test_discord import callbacks, is_ephemeral, running, sent, text_of
from tests.adapters.slack.test_slack_commands import SECRET, ask, body_text
from tests.fakes.discord_server import (
    fake,  # noqa: F401 - the module's local Discord
    interaction,
    option,
)
from tests.fakes.slack_server import slack_api  # noqa: F401 - a fixture

A, B = "slack:T0AAA", "slack:T0BBB"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

BRIDGE = ("The river council in Eastbrook approved a plan on Monday to rebuild the old stone footbridge before "
          "the spring floods. \"We will have people walking across it again by June,\" said Ilse Marten, the "
          "council's chief engineer. Residents had crossed the river by ferry since the bridge closed last "
          "winter, and local shops said trade fell by a third.")
BAKERY = ("Harlow Bakeries accused the grain supplier Fenmoor Mills of breaching its contract after three late "
          "deliveries this autumn. \"Fenmoor broke every promise it made to us about delivery dates,\" said "
          "Tomas Reyl, the bakery chain's owner. Fenmoor Mills denied the claim and said the delays were caused "
          "by a strike at the port, and the dispute may go to court next year.")


def feed_article(store: Store, digest, feed_url: str, *channels: ChannelRef, key: str = "entry-1") -> str:  # noqa: ANN001
    """A digest stored as a feed's entry (as the poller stores one: no tenant of its own), the feed
    subscribed to by `channels`."""
    for channel in channels:
        feed_store.subscribe(store, channel, feed_url, interval_seconds=900, now=NOW)
    feed = feed_store.feed_by_url(store, feed_url)
    assert feed is not None, "a feed exists while a channel subscribes to it"
    article_id = article_store.save_digest(store, digest, tenant=None).article_id
    feed_store.add_entries(store, feed.id, [NewEntry(key=key, link=digest.article.url, article_id=article_id)],
                           backlog=False, now=NOW)
    return article_id


# The store's look-ups

def test_find_article_by_id_url_or_title_sees_only_the_workspace_s_own(store, digest_factory):
    mine = article_store.save_digest(store, digest_factory(title="Tram line opens downtown", url="https://a.example/tram"), tenant=A)
    theirs = article_store.save_digest(store, digest_factory(title="Tram fares frozen", url="https://b.example/fares"), tenant=B)
    assert article_store.find_article(store, mine.article_id, tenant=A).title == "Tram line opens downtown"
    assert article_store.find_article(store, theirs.article_id, tenant=A) is None  # exactly as an unknown id
    assert article_store.find_article(store, "0123456789abcdef", tenant=A) is None
    assert article_store.find_article(store, "https://b.example/fares", tenant=A) is None
    assert article_store.find_article(store, "https://b.example/fares", tenant=B).id == theirs.article_id
    # "tram" is in both titles, and B's is the more recent: A still gets its own
    assert article_store.find_article(store, "tram", tenant=A).id == mine.article_id
    assert article_store.find_article(store, "fares frozen", tenant=A) is None
    assert article_store.find_article(store, "tram", tenant=TERMINAL_TENANT) is None


def test_latest_dispute_and_recent_articles_are_per_workspace(store, digest_factory):
    quotes = [("they broke the deal", "Ann Holt"), ("we kept every term", "Rob Sand")]
    disputed = article_store.save_digest(store, digest_factory(quotes, title="Port strike dispute", url="https://a.example/1",
                                                dispute=True), tenant=A)
    article_store.save_digest(store, digest_factory(title="Quiet week at the port", url="https://a.example/2"), tenant=A)
    other = article_store.save_digest(store, digest_factory(quotes, title="Port deal dispute", url="https://b.example/3",
                                             dispute=True), tenant=B)
    assert article_store.latest_with_dispute(store, tenant=A).id == disputed.article_id
    assert article_store.latest_with_dispute(store, tenant=B).id == other.article_id
    assert article_store.latest_with_dispute(store, tenant="slack:T0CCC") is None
    assert [a.title for a in article_store.recent_articles(store, tenant=A)] == ["Quiet week at the port", "Port strike dispute"]
    assert [a.title for a in article_store.recent_articles(store, tenant=B)] == ["Port deal dispute"]
    assert [a.title for a in article_store.recent_articles(store, prefix="port d", tenant=A)] == []  # B's title, not A's
    assert [a.title for a in article_store.recent_articles(store, limit=1, prefix="PORT", tenant=B)] == ["Port deal dispute"]


def test_every_who_said_look_up_stage_sees_only_the_workspace_s_quotes(store, digest_factory):
    said = "the lighthouse keepers will return to the northern island next summer"
    article_store.save_digest(store, digest_factory([(said, "Maren Holt")], title="Lighthouse", url="https://a.example/l"), tenant=A)
    fragment = "lighthouse keepers will retunr to the northern island"  # a typo: every stage has a look-up
    stages = candidate_queries(fragment)
    assert len(stages) == 4
    for stage in stages:
        found = article_store.quote_candidates(store, **stage, tenant=A)
        assert [q.text for q in found] == [said], stage
        assert article_store.quote_candidates(store, **stage, tenant=B) == [], stage
    assert [m.quote.speaker.name for m in who_said(store, fragment, tenant=A).matches] == ["Maren Holt"]
    nothing = who_said(store, fragment, tenant=B)
    assert nothing.matches == [] and nothing.near == []


def test_a_large_workspace_cannot_crowd_another_s_quotes_out_of_the_search(store, digest_factory):
    # More matches in B than the search keeps before ranking (200 on SQLite, RANK_POOL on
    # PostgreSQL), each ranking above A's one quote; B's are stored first, so a filter applied
    # after the cut would leave A with nothing.
    article_store.save_digest(store, digest_factory([("harbour harbour harbour", f"Speaker {n}") for n in range(2100)],
                                     title="Harbour chorus", url="https://b.example/chorus"), tenant=B)
    mine = "the harbour will reopen in spring once the long repairs to the outer wall are finished"
    article_store.save_digest(store, digest_factory([(mine, "Ines Duarte")], title="Harbour works", url="https://a.example/h"), tenant=A)
    assert [q.text for q in article_store.quote_candidates(store, [["harbour"]], tenant=A)] == [mine]
    assert len(article_store.quote_candidates(store, [["harbour"]], limit=10, tenant=B)) == 10
    assert [m.quote.speaker.name for m in who_said(store, "the harbour will reopen in spring", tenant=A).matches] == \
        ["Ines Duarte"]


def test_the_same_article_brought_by_two_workspaces_is_stored_once_and_seen_by_both(store, digest_factory):
    digest = digest_factory([("the ferry runs again from Friday", "Port Office")], title="Ferry back",
                            url="https://news.example/ferry")
    first = article_store.save_digest(store, digest, tenant=A)
    again = article_store.save_digest(store, digest, tenant=B)
    assert (again.article_id, again.status) == (first.article_id, "unchanged")
    assert article_store.counts(store) == {"articles": 1, "quotes": 1}
    for tenant in (A, B):
        assert article_store.find_article(store, "https://news.example/ferry?utm_source=x", tenant=tenant).id == first.article_id
        assert [q.speaker.name for q in article_store.quote_candidates(store, [["ferry"]], tenant=tenant)] == ["Port Office"]
    assert article_store.find_article(store, first.article_id, tenant="slack:T0CCC") is None
    article_store.save_digest(store, digest, tenant=A)  # a workspace bringing it twice is one grant, no error
    assert article_store.counts(store)["articles"] == 1


def test_a_feed_s_articles_are_shared_only_with_the_workspaces_subscribed_to_it(store, digest_factory):
    digest = digest_factory([("the new market hall opens its doors in April", "Lea Brun")], title="Market hall",
                            url="https://feed.example/market")
    article_id = feed_article(store, digest, "https://feed.example/rss", channel_ref("T0AAA", "C0NEWS"))
    assert article_store.find_article(store, article_id, tenant=A).title == "Market hall"
    assert [q.speaker.name for q in article_store.quote_candidates(store, [["market"]], tenant=A)] == ["Lea Brun"]
    for other in (B, TERMINAL_TENANT, "discord:42"):
        assert article_store.find_article(store, article_id, tenant=other) is None
        assert article_store.recent_articles(store, tenant=other) == []
        assert article_store.quote_candidates(store, [["market"]], tenant=other) == []
    # B subscribes (another channel of it): the feed's articles, those from before included, are B's to see
    feed_store.subscribe(store, channel_ref("T0BBB", "C0TOWN"), "https://feed.example/rss", interval_seconds=900,
                         now=NOW)
    assert article_store.find_article(store, article_id, tenant=B).id == article_id
    # and once it unsubscribes, no longer; A still does
    assert feed_store.unsubscribe(store, channel_ref("T0BBB", "C0TOWN"), "https://feed.example/rss")
    assert article_store.find_article(store, article_id, tenant=B) is None
    assert article_store.find_article(store, article_id, tenant=A).id == article_id


def test_a_channel_stored_without_its_server_learns_it_from_the_first_command(store, digest_factory, tmp_path):
    # As after the migration: a Discord channel known by its bare id, its server unknown.
    bare = ChannelRef(platform="discord", external_id="777")
    digest = digest_factory([("the orchard harvest was the best in ten years", "Pia Lund")], title="Orchard",
                            url="https://feed.example/orchard")
    article_id = feed_article(store, digest, "https://feed.example/farm.xml", bare)
    assert article_store.find_article(store, article_id, tenant="discord:555") is None
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path / "data"), store=store)
    in_server = ChannelRef(platform="discord", external_id="777", name="farm", workspace="555")
    reply = commands.who_said(app, "the orchard harvest was the best", channel=in_server)
    assert reply.kind == "answer" and "Pia Lund" in reply.summary
    assert article_store.find_article(store, article_id, tenant="discord:555").id == article_id
    # another server's channel claiming the same id later changes nothing (a channel never moves)
    channel_store.learn_workspace(store, ChannelRef(platform="discord", external_id="777", workspace="999"))
    assert article_store.find_article(store, article_id, tenant="discord:999") is None
    assert article_store.find_article(store, article_id, tenant="discord:555").id == article_id


def test_tenant_keys_of_channels():
    assert channel_ref("T0AAA", "C0NEWS").tenant == "slack:T0AAA"
    assert ChannelRef(platform="discord", external_id="1", workspace="2").tenant == "discord:2"
    assert ChannelRef(platform="discord", external_id="1").tenant == "discord:channel:1"  # a DM: its own
    assert commands.TERMINAL.tenant == TERMINAL_TENANT == "terminal"


# The migration: a database at revision 0003, with rows, upgraded

def _store_as_of_0003(connection: Connection, digest: Digest) -> str:
    a = digest.article
    connection.execute(text("INSERT INTO articles (id, canonical_url, content_hash, title, published, source, text, "
                            "word_count, has_dispute) VALUES (:i, :u, :h, :t, :p, :s, :x, :w, false)"),
                       dict(i=a.id, u=a.url, h=article_store.content_hash(a.text), t=a.title, p=a.published, s=a.source,
                            x=a.text, w=a.word_count))
    connection.execute(text("INSERT INTO digests (article_id, engine, body) VALUES (:i, :e, :b)"),
                       dict(i=a.id, e=digest.engine, b=digest.model_dump_json()))
    for n, q in enumerate(digest.quotes):
        connection.execute(text('INSERT INTO quotes (article_id, position, text, start, "end", speaker_name, speaker_kind, '
                                "cue, kind, confidence) VALUES (:i, :n, :x, :s, :e, :sp, 'person', :c, :k, :f)"),
                           dict(i=a.id, n=n, x=q.text, s=q.start, e=q.end, sp=q.speaker.name if q.speaker else None,
                                c=q.cue, k=q.kind, f=q.confidence))
    return a.id


def test_the_migration_shares_feed_articles_with_subscribers_and_gives_the_rest_to_the_terminal(
        empty_database_url, digest_factory):
    store = Store(empty_database_url)
    try:
        with store.engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "0003")
        made = {name: digest_factory([(f"the {name} quote was said here", f"Person {name.title()}")], title=f"Story {name}",
                                     url=f"https://old.example/{name}")
                for name in ("pasted", "slackfeed", "discordfeed", "orphan", "terminalfeed")}
        # Stored as the code of 0003 stored them (no tenant; the quotes without the columns of 0012).
        with store.engine.begin() as connection:
            ids = {name: _store_as_of_0003(connection, d) for name, d in made.items()}
        with store.engine.begin() as connection:
            def insert(sql: str, **values) -> int | None:
                result = connection.execute(text(sql), values)
                return result.scalar() if "RETURNING" in sql else None

            def channel(platform: str, external_id: str) -> int:
                return insert("INSERT INTO channels (platform, external_id, max_items) VALUES (:p, :e, 8) RETURNING id",
                              p=platform, e=external_id)

            def feed(url: str, article: str, *subscribers: int) -> None:
                feed_id = insert("INSERT INTO feeds (url, interval_seconds, failures, paused) VALUES (:u, 900, 0, :f) "
                                 "RETURNING id", u=url, f=False)
                insert("INSERT INTO feed_entries (feed_id, entry_key, article_id, backlog) VALUES (:f, 'e1', :a, :b)",
                       f=feed_id, a=ids[article], b=False)
                for channel_id in subscribers:
                    insert("INSERT INTO subscriptions (channel_id, feed_url) VALUES (:c, :u)", c=channel_id, u=url)

            slack, discord_channel, terminal = channel("slack", "T0OLD:C0NEWS"), channel("discord", "4242"), \
                channel("terminal", "local")
            insert("INSERT INTO schedules (channel_id, cron, timezone) VALUES (:c, '0 8 * * *', 'UTC')", c=slack)
            feed("https://old.example/slack.xml", "slackfeed", slack)
            feed("https://old.example/discord.xml", "discordfeed", discord_channel)
            feed("https://old.example/gone.xml", "orphan")  # a feed nobody subscribes to any more
            feed("https://old.example/terminal.xml", "terminalfeed", terminal)

        store.migrate()  # 0003 → head

        def sees(tenant: str) -> set[str]:
            return {name for name, article_id in ids.items() if article_store.find_article(store, article_id, tenant=tenant)}

        assert sees(TERMINAL_TENANT) == {"pasted", "orphan", "terminalfeed"}
        assert sees("slack:T0OLD") == {"slackfeed"}
        assert sees("slack:T0NEW") == set()  # never to every workspace
        assert sees("discord:channel:4242") == {"discordfeed"}
        assert sees("discord:8080") == set()  # the server is not known yet…
        channel_store.learn_workspace(store, ChannelRef(platform="discord", external_id="4242", workspace="8080"))
        assert sees("discord:8080") == {"discordfeed"}  # …until a command in the channel tells it
        assert [q.speaker.name for q in article_store.quote_candidates(store, [["slackfeed"]], tenant="slack:T0OLD")] == \
            ["Person Slackfeed"]
        with store.engine.connect() as connection:
            tenants = dict(connection.execute(text("SELECT external_id, tenant FROM channels")).all())
            kept = connection.execute(text("SELECT count(*) FROM subscriptions")).scalar(), \
                connection.execute(text("SELECT count(*) FROM schedules")).scalar()
        assert tenants == {"T0OLD:C0NEWS": "slack:T0OLD", "4242": "discord:8080", "local": "terminal"}
        assert kept == (3, 1)  # nothing cascaded away with the new column
        assert article_store.counts(store) == {"articles": 5, "quotes": 5}

        with store.engine.begin() as connection:  # and back to 0003, keeping every row
            config = alembic_config(connection)
            command.downgrade(config, "0003")
            columns = {c["name"] for c in inspect(connection).get_columns("channels")}
            assert "tenant" not in columns and not inspect(connection).has_table("article_tenants")
            assert connection.execute(text("SELECT count(*) FROM subscriptions")).scalar() == 3
            assert connection.execute(text("SELECT count(*) FROM channels")).scalar() == 3
    finally:
        store.close()


# Two Slack workspaces on one database, through the real slack-bolt App

@pytest.fixture
def make_app(store_url, engine, tmp_path):
    """A Newsdigest on the test's database (SQLite or PostgreSQL); settings may be added."""
    apps = []

    def make(**settings) -> Newsdigest:
        config = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=store_url, **settings)
        apps.append(Newsdigest(config, service=DigestService(config, engine=engine)))
        return apps[-1]

    yield make
    for app in apps:
        app.close()


def _unknown_id_answer(text_with_id: str, article_id: str, unknown: str) -> str:
    return text_with_id.replace(article_id, unknown)


async def test_two_slack_workspaces_see_only_their_own_articles(make_app, slack_api):  # noqa: F811
    app = make_app()
    bot = SlackBot(app, SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=slack_api.api_url))

    async def command(team: str, name: str, words: str = "") -> dict:
        slack_api.clear()
        return await ask(bot, slack_api, name, words, team_id=team)

    pasted = await command("T0AAA", "/digest", BRIDGE)
    assert pasted["response_type"] == "in_channel" and "Ilse Marten" in body_text(pasted)
    (bridge,) = article_store.recent_articles(app.store, tenant=A)

    # B sees nothing of A's: the bare /digest, /who-said, /dispute, A's id, the "pick a recent one" list
    bare = await command("T0BBB", "/digest")
    assert bare["response_type"] == "ephemeral" and "Nothing stored yet" in body_text(bare)
    said = await command("T0BBB", "/who-said", "people walking across it again by June")
    assert said["response_type"] == "ephemeral" and "Ilse" not in json.dumps(said)
    assert "No stored quote matches" in body_text(said)
    by_id = await command("T0BBB", "/digest", bridge.id)
    unknown = await command("T0BBB", "/digest", "0123456789abcdef")
    assert body_text(by_id) == _unknown_id_answer(body_text(unknown), "0123456789abcdef", bridge.id)
    assert by_id["response_type"] == unknown["response_type"] == "ephemeral"
    dispute_by_id = await command("T0BBB", "/dispute", bridge.id)
    dispute_unknown = await command("T0BBB", "/dispute", "0123456789abcdef")
    assert "No stored article matches" in body_text(dispute_by_id)
    assert body_text(dispute_by_id) == _unknown_id_answer(body_text(dispute_unknown), "0123456789abcdef", bridge.id)

    # B brings its own disputed article; A does not see it
    await command("T0BBB", "/digest", BAKERY)
    (bakery,) = article_store.recent_articles(app.store, tenant=B)
    disputed = await command("T0BBB", "/dispute")
    assert disputed["response_type"] == "in_channel" and "Fenmoor" in body_text(disputed)
    none_for_a = await command("T0AAA", "/dispute")
    assert "No stored article reports a dispute yet" in body_text(none_for_a)
    assert "Tomas Reyl" in body_text(await command("T0BBB", "/who-said", "every promise it made to us"))
    assert "Tomas" not in json.dumps(await command("T0AAA", "/who-said", "every promise it made to us"))
    assert "Ilse Marten" in body_text(await command("T0AAA", "/who-said", "people walking across it again by June"))
    listing = await command("T0BBB", "/digest", "words that match no title")
    assert bakery.id[:8] in body_text(listing) and bridge.id[:8] not in json.dumps(listing)  # short ids
    assert "Fenmoor" not in json.dumps(await command("T0AAA", "/digest"))

    # B pastes A's text too: one article, now both workspaces'
    assert "Ilse Marten" in body_text(await command("T0BBB", "/digest", BRIDGE))
    assert article_store.counts(app.store)["articles"] == 2
    assert "Ilse Marten" in body_text(await command("T0BBB", "/who-said", "people walking across it again by June"))
    assert {a.id for a in article_store.recent_articles(app.store, tenant=B)} >= {bridge.id}


# Two Discord servers on one database, through the real discord.py client

GUILD_A, GUILD_B = "1100000000000000010", "1100000000000000099"


async def test_two_discord_servers_see_only_their_own_articles(make_app, fake):  # noqa: F811
    app = make_app()
    async with running(fake, app) as bot:
        async def ask_in(server: str, name: str, options=(), **kwargs) -> list:  # noqa: ANN001
            return await bot.send(interaction(name, list(options), guild_id=server, **kwargs))

        def choices(requests: list) -> list[str]:
            (body,) = callbacks(requests)
            assert body["type"] == 8
            return [c["value"] for c in body["data"]["choices"]]

        pasted = sent(await ask_in(GUILD_A, "digest", [option("article", BRIDGE)]))
        assert "Ilse Marten" in text_of(pasted[-1]) and not is_ephemeral(pasted[-1])
        (bridge,) = article_store.recent_articles(app.store, tenant=f"discord:{GUILD_A}")

        # autocomplete of /digest and /dispute lists each server's own articles only
        assert choices(await ask_in(GUILD_A, "digest", [option("article", "", focused=True)], type=4)) == [bridge.id]
        assert choices(await ask_in(GUILD_B, "digest", [option("article", "", focused=True)], type=4)) == []
        assert choices(await ask_in(GUILD_B, "dispute", [option("article", "", focused=True)], type=4)) == []

        bare = sent(await ask_in(GUILD_B, "digest"))[-1]
        assert is_ephemeral(bare) and "Nothing stored yet" in text_of(bare)
        said = sent(await ask_in(GUILD_B, "who-said", [option("fragment", "people walking across it again by June")]))[-1]
        assert "Ilse" not in text_of(said) and "No stored quote matches" in text_of(said)
        by_id = sent(await ask_in(GUILD_B, "digest", [option("article", bridge.id)]))[-1]
        unknown = sent(await ask_in(GUILD_B, "digest", [option("article", "0123456789abcdef")]))[-1]
        assert text_of(by_id) == _unknown_id_answer(text_of(unknown), "0123456789abcdef", bridge.id)
        assert is_ephemeral(by_id) and is_ephemeral(unknown)
        dispute = sent(await ask_in(GUILD_B, "dispute", [option("article", bridge.id)]))[-1]
        dispute_unknown = sent(await ask_in(GUILD_B, "dispute", [option("article", "0123456789abcdef")]))[-1]
        assert is_ephemeral(dispute) and "No stored article matches" in text_of(dispute)
        assert text_of(dispute) == _unknown_id_answer(text_of(dispute_unknown), "0123456789abcdef", bridge.id)

        # B's own article: its autocomplete lists it, A's does not
        sent(await ask_in(GUILD_B, "digest", [option("article", BAKERY)]))
        (bakery,) = article_store.recent_articles(app.store, tenant=f"discord:{GUILD_B}")
        assert choices(await ask_in(GUILD_B, "dispute", [option("article", "", focused=True)], type=4)) == [bakery.id]
        assert choices(await ask_in(GUILD_A, "digest", [option("article", "", focused=True)], type=4)) == [bridge.id]
        mine = sent(await ask_in(GUILD_A, "who-said", [option("fragment", "people walking across it again by June")]))[-1]
        assert "Ilse Marten" in text_of(mine)
        # a direct message is a workspace of its own: it sees neither server's articles
        dm = sent(await ask_in(GUILD_A, "digest", guild=False, channel_id="1100000000000000777"))[-1]
        assert "Nothing stored yet" in text_of(dm)

