"""The commands as the platforms see them: the declaration, the text form read into its typed
invocation, and the one dispatch path (permission check, the run, the metrics), on a real store
(SQLite and PostgreSQL). The sentences are made up here."""

from __future__ import annotations

import logging
import re

import pytest

from bot.app import Newsdigest
from bot.commands import (
    DECLARATION,
    Caller,
    Command,
    Declaration,
    Invocation,
    Option,
    changes_channel,
    dispatch,
    handle_text,
    read_command,
    read_text,
)
from bot.commands.help import help_text
from bot.config import Settings
from bot.replies import Reply, Section
from bot.store import articles as article_store
from bot.store import channels
from bot.store.channels import ChannelRef
from digests.models import Speaker
from tests.conftest import make_digest

SLACK = ChannelRef(platform="slack", external_id="T0TEAM:C0NEWS", name="news", workspace="T0TEAM")
DISCORD = ChannelRef(platform="discord", external_id="42", name="general", workspace="7")
MEMBER = Caller(can_manage=False, user_id="U0MEMBER")
ADMIN = Caller(can_manage=True, user_id="U0ADMIN")
QUOTE = "the ferry timetable will double by the spring"
PASTED = ("The harbour board met on Monday evening.\n\nIts chair said the new ferry would run twice an hour "
          "from April, and that the old pier would close for repairs in the summer months.")


@pytest.fixture
def app(store, tmp_path) -> Newsdigest:
    """The application on the real store, with one article whose quote the tests look up."""
    app = Newsdigest(Settings(data_dir=tmp_path), store=store)
    digest = make_digest([(QUOTE, Speaker(name="Ines Moreau", role="chair", org="the harbour board"))],
                         title="Ferries twice an hour", url="https://news.example/ferries")
    for channel in (SLACK, DISCORD):
        article_store.save_digest(store, digest, tenant=channel.tenant)
    return app


def text_of(reply: Reply) -> str:
    return "\n".join([reply.summary, *[s.text or "" for s in reply.sections]])


# The text form, read into the typed invocation

@pytest.mark.parametrize(("typed", "command", "subcommand", "options"), [
    ('/Who-Said  "the ferry timetable" --share', "/who-said", None, {"fragment": '"the ferry timetable"', "share": True}),
    ("/who-said ferry timetable share", "/who-said", None, {"fragment": "ferry timetable", "share": True}),
    ("/who-said ferry timetable", "/who-said", None, {"fragment": "ferry timetable"}),
    ("/newsdigest schedule weekdays 08:00 Europe/Paris", "/newsdigest", "schedule",
     {"when": "weekdays 08:00", "timezone": "Europe/Paris"}),
    ("/newsdigest schedule daily 07:30", "/newsdigest", "schedule", {"when": "daily 07:30"}),
    ("/newsdigest schedule off", "/newsdigest", "schedule", {"when": "off"}),
    ("/newsdigest", "/newsdigest", "help", {}),
    ("/newsdigest LIST", "/newsdigest", "feeds", {}),
    ("/newsdigest admins add <@U0ADA|ada> <!subteam^S0EDS|eds>", "/newsdigest", "admins",
     {"action": "add", "members": "<@U0ADA|ada> <!subteam^S0EDS|eds>"}),
    ("/digest now --consume", "/digest", None, {"article": "now --consume"}),
    ("/dispute", "/dispute", None, {}),
])
def test_typed_text_becomes_the_typed_invocation(typed, command, subcommand, options):
    invocation = read_text(typed, "slack")
    assert invocation == Invocation(command=command, subcommand=subcommand, options=options, form="text")


def test_slack_gives_the_name_apart_and_the_reading_is_the_same():
    assert read_command("/newsdigest", "schedule hourly UTC", "slack") == read_text("/newsdigest schedule hourly UTC", "slack")


def test_pasted_text_keeps_its_lines():
    invocation = read_text(f"/digest {PASTED}")
    assert isinstance(invocation, Invocation) and invocation.text("article") == PASTED


@pytest.mark.parametrize("typed", ["<https://news.example/feed.xml|news.example/feed.xml>", "<https://news.example/feed.xml>",
                                   "https://news.example/feed.xml"])
def test_a_link_loses_its_brackets_whoever_built_the_invocation(typed):
    from_text = read_text(f"/newsdigest subscribe {typed}", "slack")
    assert isinstance(from_text, Invocation)
    from_options = Invocation.of("/newsdigest", "subscribe", form="options", feed_url=typed)
    for invocation in (from_text, from_options):
        assert DECLARATION.normalized(invocation).text("feed_url") == "https://news.example/feed.xml"


# The declared rules

@pytest.mark.parametrize(("typed", "changes"), [
    ("/digest now", True), ("/digest now --consume", True), ("/digest preview", False), ("/digest ferries", False),
    ("/newsdigest subscribe https://news.example/feed.xml", True), ("/newsdigest unsubscribe x", True),
    ("/newsdigest resume x", True), ("/newsdigest schedule hourly", True), ("/newsdigest feeds", False),
    ("/newsdigest help", False), ("/newsdigest admins list", False), ("/newsdigest admins", False),
    ("/newsdigest admins add <@U0ADA>", True), ("/newsdigest admins remove U0ADA", True),
    ('/who-said "the ferry" --share', False), ("/help", False),
])
def test_which_forms_change_the_channel(typed, changes):
    invocation = read_text(typed, "slack")
    assert isinstance(invocation, Invocation)
    assert changes_channel(invocation) is changes


def test_slowness_and_visibility_follow_the_options():
    def leaf(typed: str) -> tuple[Command, Invocation]:
        invocation = read_text(typed, "slack")
        assert isinstance(invocation, Invocation)
        found = DECLARATION.leaf(invocation)
        assert found is not None
        return found, invocation

    for typed, slow in [("/digest https://news.example/a", True), (f"/digest {PASTED}", True),
                        ("/digest ferries", False), ("/dispute", True), ("/newsdigest subscribe https://x.example", True),
                        ("/newsdigest feeds", False)]:
        command, invocation = leaf(typed)
        assert command.may_be_slow(invocation) is slow, typed
    for typed, visibility in [("/who-said ferry", "private"), ("/who-said ferry --share", "channel"),
                              ("/digest", "channel"), ("/newsdigest feeds", "private"), ("/newsdigest help", "private")]:
        command, invocation = leaf(typed)
        assert command.visibility_of(invocation) == visibility, typed


def test_every_declared_name_is_one_discord_and_slack_accept():
    for command in DECLARATION.commands:
        assert re.fullmatch(r"/[a-z][-a-z0-9]{0,31}", command.name)
        for leaf in command.subcommands or (command,):
            assert leaf.run is not None
            assert re.fullmatch(r"[a-z][-_a-z0-9]{0,31}", leaf.name.lstrip("/"))
            names = [o.name for o in leaf.options]
            assert len(names) == len(set(names)) and all(re.fullmatch(r"[a-z][_a-z0-9]{0,31}", n) for n in names)
            # Discord wants required options first.
            required = [o.required for o in leaf.options]
            assert required == sorted(required, reverse=True), leaf.name


# One dispatch path: text and typed options answer alike

def test_text_and_typed_options_give_the_same_answer(app):
    typed = handle_text(app, "/who-said ferry timetable --share", SLACK, MEMBER)
    options = dispatch(app, Invocation.of("/who-said", form="options", fragment="ferry timetable", share=True), SLACK, MEMBER)
    assert typed == options
    assert typed.visibility == "channel" and "Ines Moreau, chair, the harbour board" in typed.summary


def test_a_schedule_set_by_text_is_the_one_typed_options_read(app):
    set_by_text = handle_text(app, "/newsdigest schedule weekdays 08:00 Europe/Paris", SLACK, ADMIN)
    assert set_by_text.kind == "answer"
    set_by_options = dispatch(app, Invocation.of("/newsdigest", "schedule", form="options", when="weekdays 08:00",
                                                 timezone="Europe/Paris"), DISCORD, ADMIN)
    assert set_by_options.summary == set_by_text.summary
    for channel in (SLACK, DISCORD):
        schedule = channels.schedule_of(app.store, channel)
        assert schedule is not None and (schedule.cron, schedule.timezone) == ("0 8 * * mon-fri", "Europe/Paris")
    default = dispatch(app, Invocation.of("/newsdigest", "schedule", form="options", when="daily 18:30"), DISCORD, ADMIN)
    assert "(30 18 * * *, UTC)" in default.summary  # the declared default time zone


def test_every_command_is_timed_under_its_path(app):
    handle_text(app, "/newsdigest feeds", SLACK, MEMBER)
    dispatch(app, Invocation.of("/newsdigest", "feeds", form="options"), DISCORD, MEMBER)
    exposed = app.metrics.exposition().decode()
    for platform in ("slack", "discord"):
        assert f'newsdigest_command_duration_seconds_count{{command="newsdigest feeds",platform="{platform}"}} 1.0' in exposed


# Unknown commands

def test_an_unknown_command_gets_the_list_of_known_ones(app):
    reply = handle_text(app, "/summarise the ferries", SLACK, MEMBER)
    assert (reply.kind, reply.visibility) == ("usage", "private")
    assert "There is no /summarise command. Try one of: /digest, /dispute, /who-said, /quotes, /newsdigest." in text_of(reply)
    assert "/newsdigest subscribe <feed URL>" in text_of(reply)
    assert "/help" in handle_text(app, "/summarise").summary  # the terminal has /help


def test_an_unknown_subcommand_or_one_not_offered_here_gets_usage(app):
    reply = handle_text(app, "/newsdigest frobnicate now", SLACK, ADMIN)
    assert reply.kind == "usage" and "/newsdigest has no 'frobnicate'" in text_of(reply)
    # Named admins are Slack's: on Discord, Manage Channels says who may.
    refused = handle_text(app, "/newsdigest admins add <@U0ADA>", DISCORD, ADMIN)
    assert refused.kind == "usage" and "/newsdigest has no 'admins'" in text_of(refused)


def test_an_invocation_the_declaration_lacks_is_answered_not_raised(app):
    for invocation in (Invocation.of("/summarise"), Invocation.of("/newsdigest"), Invocation.of("/digest", "now"),
                       Invocation.of("/newsdigest", "frobnicate")):
        reply = dispatch(app, invocation, DISCORD, ADMIN)
        assert reply.kind == "usage" and "There is no" in text_of(reply)


# Who may change the channel

@pytest.mark.parametrize("typed", ["/newsdigest subscribe https://news.example/feed.xml", "/newsdigest schedule hourly",
                                   "/newsdigest unsubscribe https://news.example/feed.xml", "/digest now",
                                   "/newsdigest admins add <@U0ADA>"])
def test_a_member_who_may_not_change_the_channel_is_refused_and_nothing_changes(app, local_http, caplog, typed):
    with caplog.at_level(logging.INFO, logger="bot.commands"):
        reply = handle_text(app, typed, SLACK, MEMBER)
    assert (reply.kind, reply.title, reply.visibility) == ("usage", "Ask an admin", "private")
    assert "the workspace's admins and owners" in text_of(reply)
    assert "refused to user U0MEMBER" in caplog.text
    assert channels.find_channel(app.store, SLACK) is None  # nothing stored, nothing fetched
    assert local_http.requests == []


def test_the_same_refusal_for_typed_options(app):
    reply = dispatch(app, Invocation.of("/digest", form="options", article="now"), DISCORD, MEMBER)
    assert reply.title == "Ask an admin"


@pytest.mark.parametrize(("typed", "says"), [
    ("/newsdigest feeds", "No feeds yet"),
    ("/newsdigest admins list", "Only the workspace's admins and owners may change its channels"),
    ("/digest preview", "This channel follows no feeds yet"),
    ("/who-said ferry timetable", "Ines Moreau"),
])
def test_reading_stays_open_to_every_member(app, typed, says):
    reply = handle_text(app, typed, SLACK, MEMBER)
    assert reply.title != "Ask an admin" and says in text_of(reply)


# Help, written from the declaration

def test_help_lists_what_each_platform_offers_in_the_form_it_is_used():
    terminal, slack = help_text(DECLARATION, "terminal"), help_text(DECLARATION, "slack")
    discord = help_text(DECLARATION, "discord", "options")
    for command in DECLARATION.offered("slack"):
        assert command.help in slack
    assert '/who-said "a few words of a quote" [--share]' in slack
    assert "/who-said fragment [share]" in discord and "/digest [article]" in discord
    assert "/newsdigest admins add|remove|list" in slack and "admins" not in discord
    assert "/help — this list" in terminal and "/help" not in slack
    for sub in ("subscribe", "unsubscribe", "resume", "feeds", "schedule", "help"):
        assert f"/newsdigest {sub}" in discord


def test_help_answers_the_same_through_both_forms(app):
    typed = handle_text(app, "/newsdigest help", DISCORD, MEMBER)
    options = dispatch(app, Invocation.of("/newsdigest", "help", form="options"), DISCORD, MEMBER)
    assert typed.title == options.title == "newsdigest commands"
    assert '"a few words of a quote"' in text_of(typed) and "/who-said fragment [share]" in text_of(options)


# Extending the declaration

def test_a_new_command_is_one_declared_entry(app):
    """A command added to a declaration is read, checked and run like the others, with no other change."""
    def shout(app: Newsdigest, call) -> Reply:  # noqa: ANN001 - a bot.commands.Call
        words = call.invocation.text("words")
        text = (words.upper() if call.invocation.flag("loud") else words) or "nothing to say"
        return Reply(title="Echo", summary=text, sections=[Section(text=text)])

    echo = Command("/echo", "Say it back", "says it back", shout,
                   options=(Option("words", "What to say"), Option("loud", "In capitals", kind="flag")),
                   changes=lambda invocation: invocation.flag("loud"))
    declaration = Declaration(commands=(*DECLARATION.commands, echo))
    invocation = read_text("/echo ferries at dawn --loud", "slack", declaration)
    assert invocation == Invocation.of("/echo", words="ferries at dawn", loud=True)
    assert dispatch(app, invocation, SLACK, ADMIN, declaration).summary == "FERRIES AT DAWN"
    assert dispatch(app, invocation, SLACK, MEMBER, declaration).title == "Ask an admin"
    assert declaration.usage("/echo") == "/echo [<words>] [--loud]"
    assert "/echo [<words>] [--loud] — says it back" in help_text(declaration, "slack")


def test_a_declaration_discord_would_refuse_fails_when_it_is_made():
    with pytest.raises(ValueError, match="1 to 100 characters, not 101"):
        Command("/echo", "x" * 101, "says it back", lambda app, call: Reply(title="x", summary="x"))
    with pytest.raises(ValueError, match="a run or subcommands"):
        Command("/echo", "Say it back", "says it back")
    with pytest.raises(ValueError, match="words: a description"):
        Option("words", "")


def test_settings_say_each_feeds_state_and_the_schedules_next_time_in_its_zone(app):
    from datetime import datetime, timezone

    from bot.commands.settings import settings
    from bot.store import feeds as feed_store

    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)  # a Tuesday
    urls = [f"https://feeds.example/{name}.xml" for name in ("new", "fine", "failing", "paused")]
    made = {url: feed_store.subscribe(app.store, SLACK, url, interval_seconds=900, now=now)[1] for url in urls}
    feed_store.record_success(app.store, made[urls[1]].id, now=now, next_poll_at=now, etag=None, last_modified=None)
    feed_store.record_failure(app.store, made[urls[2]].id, error="HTTP 503", pause_after=5,
                              next_poll_at=datetime(2026, 12, 1, 13, 30, tzinfo=timezone.utc))
    for _ in range(5):
        feed_store.record_failure(app.store, made[urls[3]].id, error="HTTP 404", pause_after=5, next_poll_at=now)
    assert handle_text(app, "/newsdigest schedule weekdays 08:00 Europe/Paris", SLACK, ADMIN).kind == "answer"
    lines = settings(app, SLACK, now).sections
    feeds = lines[0].text.splitlines()
    assert feeds[0] == f"• {urls[0]} — not polled yet"
    assert feeds[1] == f"• {urls[1]} — ok, last polled Tue 01 Dec 13:00 (Europe/Paris)"
    assert feeds[2] == f"• {urls[2]} — failing (1 in a row: HTTP 503); next try Tue 01 Dec 14:30 (Europe/Paris)"
    assert feeds[3] == f"• {urls[3]} — paused after 5 failures (HTTP 404): /newsdigest resume {urls[3]}"
    assert lines[1].text == "“weekdays 08:00” (Europe/Paris); next digest Wed 02 Dec 08:00 (Europe/Paris)"


def test_articles_lists_the_workspaces_articles_with_short_ids_and_forgives_a_typo(app):
    flood = make_digest([], title="Council approves the flood barrier", url="https://news.example/barrier",
                        intro="Council approves the flood barrier. The river wall will rise by two metres before winter.")
    untitled = make_digest([], title=None, url=None, intro=(
        "Sterling fell sharply against the euro on Thursday after the bank held its rates. Traders had "
        "expected a cut, and the currency lost most of its weekly gain within an hour."))
    ids = [article_store.save_digest(app.store, d, tenant=SLACK.tenant).article_id for d in (flood, untitled)]
    listed = handle_text(app, "/newsdigest articles", SLACK, MEMBER)  # reading is everyone's
    lines = listed.sections[0].text.splitlines()
    # The newest first, each with its short id; the untitled one named by its first sentence.
    assert lines[0] == f"• {ids[1][:8]} — Sterling fell sharply against the euro on Thursday after the bank held its rates. · 2025-03-14 · Test Wire"
    assert lines[1].startswith(f"• {ids[0][:8]} — Council approves the flood barrier")
    assert len(lines) == 3 and "Ferries twice an hour" in lines[2]
    # Words of the title with a typo, words only in the text, and nothing: each answered.
    assert handle_text(app, "/newsdigest articles flod barier", SLACK, MEMBER).sections[0].text.splitlines() == [
        lines[1]]
    in_text = handle_text(app, "/newsdigest articles river wal", SLACK, MEMBER).sections[0].text
    assert in_text == lines[1] + " (in its text)"
    missing = handle_text(app, "/newsdigest articles volcano eruption", SLACK, MEMBER)
    assert missing.kind == "not_found" and "No stored article has “volcano eruption”" in missing.summary
    # Another workspace sees none of them.
    assert "Council approves" not in handle_text(app, "/newsdigest articles", DISCORD, MEMBER).sections[0].text
    # The short id, and title words with a typo, name the article to /digest and /dispute.
    assert handle_text(app, f"/digest {ids[0][:8]}", SLACK, MEMBER).digest.article.id == ids[0]
    assert handle_text(app, "/digest sterlng fell", SLACK, MEMBER).digest.article.id == ids[1]
    assert "does not report a dispute" in handle_text(app, "/dispute sterlin", SLACK, MEMBER).summary


@pytest.mark.parametrize(("typed", "meant"), [
    ("/dgest the ferries", "Did you mean /digest?"),
    ("/who-sad ferry timetable", "Did you mean /who-said?"),
    ("/newsdigest subscibe https://feeds.example/a.xml", "Did you mean /newsdigest subscribe?"),
    ("/newsdigest setings", "Did you mean /newsdigest settings?"),
    ("/newsdigest fromat compact", "Did you mean /newsdigest format?"),
])
def test_a_mistyped_command_or_subcommand_gets_did_you_mean(app, typed, meant):
    reply = handle_text(app, typed, SLACK, ADMIN)
    assert reply.kind == "usage" and reply.visibility == "private" and meant in text_of(reply)
    assert reply.title.startswith("Unknown")  # said as the person's mistake, not "Something went wrong"


def test_nothing_close_suggests_nothing(app):
    assert "Did you mean" not in text_of(handle_text(app, "/newsdigest xyzzy", SLACK, ADMIN))


@pytest.mark.parametrize("prefix", ["Nd-", "-nd", "nd/", "a-very-long-prefix"])
def test_a_command_prefix_discord_or_slack_would_refuse_is_the_operators_error(tmp_path, prefix):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="command_prefix"):
        Settings(_env_file=None, data_dir=tmp_path, command_prefix=prefix)


def test_no_answer_in_chat_names_an_operator_setting(app):
    # A private address is refused without telling members how the operator could allow it.
    for line in ("/newsdigest subscribe http://127.0.0.1:9/feed.xml", "/digest http://10.0.0.1/story",
                 "/newsdigest help", "/newsdigest settings", "/newsdigest length 0", "/newsdigest nonsense"):
        reply = handle_text(app, line, SLACK, ADMIN)
        assert reply.kind in ("usage", "error", "answer") and "NEWSDIGEST_" not in text_of(reply), line
        assert reply.title != "Something went wrong", line


def test_the_prefix_rewrites_the_bots_words_and_never_the_articles(tmp_path):
    from bot.commands.prefix import with_prefix
    from bot.replies import ReplyField

    reply = Reply(title="Unknown /digest form", summary="Try /newsdigest help or /who-said.",
                  sections=[Section(text="See https://news.example/digest and /dispute <id>; not /digests.",
                                    quote="type /digest to read it", fields=[ReplyField(name="In", value="/digest news")])])
    fixed = with_prefix(reply, "nd-", DECLARATION)
    assert (fixed.title, fixed.summary) == ("Unknown /nd-digest form", "Try /nd-newsdigest help or /nd-who-said.")
    assert fixed.sections[0].text == "See https://news.example/digest and /nd-dispute <id>; not /digests."
    assert fixed.sections[0].quote == "type /digest to read it"  # the article's words, verbatim
    assert fixed.sections[0].fields[0].value == "/digest news"
    assert with_prefix(fixed, "nd-", DECLARATION) == fixed and with_prefix(reply, "", DECLARATION) == reply
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path, command_prefix="nd-"))
    try:
        assert "/nd-newsdigest subscribe <feed URL>" in text_of(handle_text(app, "/newsdigest help", SLACK, MEMBER))
    finally:
        app.close()
