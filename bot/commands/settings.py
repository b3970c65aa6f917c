"""/newsdigest settings (also `feeds`), filter, length and format: what a channel's digests show and
how they look. Everyone may read the settings; changing them follows the channel's permission
(`changes=True`, checked once in `bot.commands.dispatch`)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ..app import Newsdigest
from ..platforms import DIGEST_FORMATS, DigestFormat
from ..replies import Reply, Section, usage
from ..store import channels as channel_store
from ..store.channels import ChannelRef, DigestSettings
from ..store.feeds import FeedInfo
from .declaration import Call, Command, Option

MAX_LENGTH = 20  # stories a digest may show at most: more would not fit Slack's 50 blocks in two messages
FILTER_ACTIONS = ("include", "exclude", "clear")
FORM_HINTS = {"full": "every story in full: TL;DR, quotes, implications, dispute",
              "compact": "each story's title, TL;DR and first quote",
              "headlines": "one linked title a story"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "unknown"
    if moment.tzinfo is None:  # SQLite gives naive datetimes back: the store writes UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return f"{moment.astimezone(zone):%a %d %b %H:%M} ({zone.key})"


def feed_state(url: str, feed: FeedInfo | None, zone: ZoneInfo) -> str:
    """One feed's line: its name and whether it is polled yet, fine, failing (and when it is tried
    again) or paused (and how to resume it)."""
    name = f"{feed.title} — {url}" if feed is not None and feed.title else url
    if feed is None or (feed.last_polled_at is None and not feed.failures and not feed.paused):
        return f"• {name} — not polled yet"
    if feed.paused:
        return f"• {name} — paused after {feed.failures} failures ({feed.last_error}): /newsdigest resume {url}"
    if feed.failures:
        return (f"• {name} — failing ({feed.failures} in a row: {feed.last_error}); "
                f"next try {_when(feed.next_poll_at, zone)}")
    return f"• {name} — ok, last polled {_when(feed.last_polled_at, zone)}"


def _keywords_line(settings: DigestSettings) -> str:
    parts = []
    if settings.include:
        parts.append("only stories with " + ", ".join(f"“{k}”" for k in settings.include))
    if settings.exclude:
        parts.append("none with " + ", ".join(f"“{k}”" for k in settings.exclude))
    return "; ".join(parts) or "every story (no keywords: /newsdigest filter include <words>)"


def settings(app: Newsdigest, channel: ChannelRef, now: datetime | None = None) -> Reply:
    """The channel's feeds (each with its state), its schedule as typed with its next time in the
    channel's zone, its keywords, length and format."""
    from ..store import feeds as feed_store

    now = now or _now()
    subscribed = feed_store.channel_feeds(app.store, channel)
    schedule = channel_store.schedule_of(app.store, channel)
    zone = ZoneInfo(schedule.timezone if schedule else "UTC")
    if schedule is not None:
        when = f"“{schedule.shown}” ({schedule.timezone}); next digest {_when(schedule.next_time(now), zone)}"
    else:
        when = "no schedule: set one with /newsdigest schedule weekdays 08:00"
    channel_id = channel_store.find_channel(app.store, channel)
    shown = (channel_store.digest_settings(app.store, channel_id) if channel_id is not None else None) or DigestSettings()
    text = ("\n".join(feed_state(u, f, zone) for u, f in subscribed) if subscribed
            else "No feeds yet: /newsdigest subscribe <feed URL>")
    paused = sum(1 for _, f in subscribed if f is not None and f.paused)
    note = f" ({paused} paused)" if paused else ""
    digests = (f"Keywords: {_keywords_line(shown)}\nLength: at most {shown.max_items} stories\n"
               f"Format: {shown.format} ({FORM_HINTS[shown.format]})")
    return Reply(title="This channel's news", summary=f"{len(subscribed)} feed(s){note}; {when}",
                 sections=[Section(title="Feeds", text=text), Section(title="Schedule", text=when),
                           Section(title="Digests", text=digests)], visibility="private")


def _words(text: str) -> list[str]:
    """ "climate, energy policy" → ["climate", "energy policy"]; without commas, one keyword a word."""
    parts = text.split(",") if "," in text else text.split()
    return [" ".join(p.split()).lower() for p in parts if p.strip()]


def _changed(title: str, text: str) -> Reply:
    return Reply(title=title, summary=text, sections=[Section(text=text)])


def set_filter(app: Newsdigest, channel: ChannelRef, action: str, words: str) -> Reply:
    """include/exclude add keywords to the channel's lists; clear empties both."""
    action = action.strip().lower()
    if action not in FILTER_ACTIONS or (action != "clear" and not _words(words)):
        return usage("Filter this channel's digests",
                     "Write /newsdigest filter include <words> (only stories with one of them), "
                     "/newsdigest filter exclude <words> (none with any), or /newsdigest filter clear. "
                     "Separate keywords of several words with commas: climate, energy policy")
    if action == "clear":
        channel_store.set_digest_settings(app.store, channel, include=[], exclude=[])
        return _changed("Keywords cleared", "This channel's digests show every story again.")
    channel_id = channel_store.ensure_channel(app.store, channel)
    current = channel_store.digest_settings(app.store, channel_id) or DigestSettings()
    given = _words(words)
    if action == "include":
        kept = list(dict.fromkeys([*current.include, *given]))
        channel_store.set_digest_settings(app.store, channel, include=kept)
        text = "Digests here show only stories with " + ", ".join(f"“{k}”" for k in kept) + " in their title or TL;DR."
    else:
        kept = list(dict.fromkeys([*current.exclude, *given]))
        channel_store.set_digest_settings(app.store, channel, exclude=kept)
        text = "Digests here leave out stories with " + ", ".join(f"“{k}”" for k in kept) + " in their title or TL;DR."
    return _changed("Keywords set", text + " /newsdigest filter clear removes them.")


def set_length(app: Newsdigest, channel: ChannelRef, count: str) -> Reply:
    if not re.fullmatch(r"\s*\d{1,3}\s*", count) or not 1 <= int(count) <= MAX_LENGTH:
        return usage("Set the digest length", f"Give a number of stories from 1 to {MAX_LENGTH}: /newsdigest length 5")
    n = int(count)
    channel_store.set_digest_settings(app.store, channel, max_items=n)
    return _changed("Length set", f"Digests here show at most {n} {'story' if n == 1 else 'stories'}; "
                                  "the others wait for the next digest.")


def set_format(app: Newsdigest, channel: ChannelRef, form: str) -> Reply:
    form = form.strip().lower()
    if form not in DIGEST_FORMATS:
        return usage("Set the digest format", "Write /newsdigest format full|compact|headlines: "
                     + "; ".join(f"{k}: {v}" for k, v in FORM_HINTS.items()) + ".")
    chosen: DigestFormat = form  # checked against DIGEST_FORMATS above
    channel_store.set_digest_settings(app.store, channel, format=chosen)
    return _changed("Format set", f"Digests here are now {chosen}: {FORM_HINTS[chosen]}.")


# The declaration

def _show(app: Newsdigest, call: Call) -> Reply:
    return settings(app, call.channel)


SHOW = Command("settings", "This channel's feeds, schedule, keywords, length and format",
               "this channel's feeds (and their state), schedule, keywords, length and format",
               _show, visibility="private", per_channel=True)
FEEDS = Command("feeds", "This channel's feeds and digest settings (the same as settings)", "the same as settings",
                _show, aliases=("status", "list"), visibility="private", per_channel=True)
FILTER = Command("filter", "Keywords: only stories with them (include), none with them (exclude), or clear",
                 "keywords a story must have (include) or must not have (exclude); clear removes them",
                 lambda app, call: set_filter(app, call.channel, call.invocation.text("action"), call.invocation.text("words")),
                 options=(Option("action", "include, exclude or clear", required=True, choices=FILTER_ACTIONS),
                          Option("words", "Keywords, separated by commas when they have several words",
                                 hint="<words>", max_length=500)),
                 changes=True, per_channel=True)
LENGTH = Command("length", f"How many stories a digest shows at most (1 to {MAX_LENGTH})", "stories a digest shows at most",
                 lambda app, call: set_length(app, call.channel, call.invocation.text("count")),
                 options=(Option("count", f"A number of stories from 1 to {MAX_LENGTH}", required=True, hint="<n>",
                                 max_length=3),),
                 changes=True, per_channel=True)
FORMAT = Command("format", "How digests look: full, compact or headlines",
                 "how digests look: every story in full, compact (title, TL;DR, a quote) or headlines",
                 lambda app, call: set_format(app, call.channel, call.invocation.text("layout")),
                 options=(Option("layout", "full, compact (title, TL;DR, a quote) or headlines", required=True,
                                 choices=DIGEST_FORMATS),),
                 changes=True, per_channel=True)
SUBCOMMANDS = (SHOW, FEEDS, FILTER, LENGTH, FORMAT)
