"""/newsdigest: a channel's feeds and digest schedule (subscribe, unsubscribe, resume, schedule); its
other subcommands, settings (feeds), filter, length, format, admins and help, are declared in their
own modules."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ..app import Newsdigest
from ..errors import SourceError
from ..replies import Link, Reply, Section, usage
from ..schedules import EXAMPLES as SCHEDULE_EXAMPLES
from ..schedules import ScheduleError, parse_schedule
from ..store import channels as channel_store
from ..store.channels import ChannelRef
from .admins import SUBCOMMAND as ADMINS
from .articles import COMMAND as ARTICLES
from .declaration import Command, Option
from .help import SUBCOMMAND as HELP
from .safely import source_error
from .settings import FEEDS, FILTER, FORMAT, LENGTH, SHOW, settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


def subscribe(app: Newsdigest, channel: ChannelRef, feed_url: str) -> Reply:
    """Fetch the address first: a feed is subscribed to as it is; a page that links to a feed
    (<link rel="alternate">) subscribes to that feed; anything else is refused, saying why."""
    url = feed_url.strip()  # links arrive unwrapped (<url|label> → url): Declaration.normalized
    if not re.match(r"https?://\S+$", url):
        return usage("Subscribe to a feed", "Give the feed's (or the site's) address: /newsdigest subscribe https://example.com/feed.xml")
    from ..feeds.discover import NoFeedFound  # imported here: feedparser and httpx only when needed
    from ..feeds.subscriptions import subscribe_url

    try:
        done = subscribe_url(app, channel, url, _now())
    except NoFeedFound as exc:
        return usage("No feed found", f"{str(exc)[:1].upper()}{str(exc)[1:]}. Give an RSS or Atom feed's address, "
                                      "or a site's page that links to one: /newsdigest subscribe https://example.com/feed.xml")
    except SourceError as exc:
        return source_error(exc, "/newsdigest subscribe")
    feed = done.feed
    name = f"“{feed.title}” ({feed.url})" if feed.title else feed.url
    found = f"Found the feed {name} on {done.page}. " if done.page else ""
    if done.created:
        text = f"{found}Subscribed this channel to {name if not done.page else 'it'}. New articles will be in its digests."
    else:
        text = f"{found}This channel is already subscribed to {name if not done.page else 'it'}."
    return Reply(title="Subscribed", summary=text, sections=[Section(text=text)], links=[Link(label=feed.title or feed.url, url=feed.url)])


def unsubscribe(app: Newsdigest, channel: ChannelRef, feed_url: str) -> Reply:
    url = feed_url.strip()  # links arrive unwrapped (<url|label> → url): Declaration.normalized
    if not url:
        return usage("Unsubscribe from a feed", "Give the feed's address: /newsdigest unsubscribe https://example.com/feed.xml")
    from ..feeds.subscriptions import unsubscribe_url

    removed = unsubscribe_url(app, channel, url)
    if removed is not None:
        text = f"Unsubscribed this channel from {removed}."
        return Reply(title="Unsubscribed", summary=text, sections=[Section(text=text)])
    text = f"This channel is not subscribed to {url}. See /newsdigest feeds."
    return Reply(kind="not_found", title="Not subscribed", summary=text, sections=[Section(text=text)], visibility="private")


def resume(app: Newsdigest, channel: ChannelRef, feed_url: str) -> Reply:
    """Unpause a feed that was paused after failing too often; it is polled again at once."""
    url = feed_url.strip()  # links arrive unwrapped (<url|label> → url): Declaration.normalized
    if not url:
        return usage("Resume a paused feed", "Give the feed's address: /newsdigest resume https://example.com/feed.xml")
    from ..feeds.subscriptions import resume_url

    found, before = resume_url(app, channel, url, _now())
    if found is None:
        text = f"This channel is not subscribed to {url}. See /newsdigest feeds."
        return Reply(kind="not_found", title="Not subscribed", summary=text, sections=[Section(text=text)], visibility="private")
    if before is None or not before.paused:
        text = f"{found} is not paused: it is polled as usual."
        return Reply(title="Not paused", summary=text, sections=[Section(text=text)], visibility="private")
    text = f"Resumed {found}: it will be polled again within minutes (it was paused after: {before.last_error})."
    return Reply(title="Feed resumed", summary=text, sections=[Section(text=text)])


def feeds(app: Newsdigest, channel: ChannelRef) -> Reply:
    """The channel's settings (bot.commands.settings): `feeds` is the older name of `settings`."""
    return settings(app, channel)


def set_schedule(app: Newsdigest, channel: ChannelRef, when: str, timezone: str = "UTC") -> Reply:
    if not when.strip():
        return usage("Set the digest schedule", f"Write /newsdigest schedule <when> [time zone], with <when> {SCHEDULE_EXAMPLES}; or /newsdigest schedule off")
    if when.strip().lower() == "off":
        removed = channel_store.clear_schedule(app.store, channel)
        text = "Scheduled digests are off for this channel." if removed else "This channel had no schedule."
        return Reply(title="Schedule off", summary=text, sections=[Section(text=text)])
    try:
        schedule = parse_schedule(when, timezone)
    except ScheduleError as exc:
        return usage("Set the digest schedule", str(exc)[:1].upper() + str(exc)[1:] + ".")
    channel_store.set_schedule(app.store, channel, schedule)
    next_time = schedule.next_time(_now())
    after = f" The next one: {next_time:%a %d %b %H:%M}." if next_time is not None else ""
    text = f"Digests will be posted here on “{when.strip()}” ({schedule.cron}, {schedule.timezone}).{after}"
    return Reply(title="Schedule set", summary=text, sections=[Section(text=text)])


# The declaration

def _feed_option(description: str) -> Option:
    return Option("feed_url", description, kind="url", required=True, hint="<feed URL>", max_length=2000)


def _is_time_zone(word: str) -> bool:
    """The guess that lets the text form give a time zone after the schedule: "Europe/Paris", "UTC"."""
    return "/" in word or word.upper() == "UTC"


SUBCOMMANDS = (
    Command("subscribe", "Add a news feed to this channel's digests",
            "add a feed to this channel (or give a site's address: its feed is found)",
            lambda app, call: subscribe(app, call.channel, call.invocation.text("feed_url")),
            options=(_feed_option("The feed's address (RSS or Atom), or the site's"),),
            changes=True, slow=True, per_channel=True),  # the address is fetched
    Command("unsubscribe", "Remove a news feed from this channel", "remove one",
            lambda app, call: unsubscribe(app, call.channel, call.invocation.text("feed_url")),
            options=(_feed_option("The feed's address, as /newsdigest feeds lists it"),),
            changes=True, per_channel=True),
    Command("resume", "Poll a feed again that was paused after failing too often", "poll a paused feed again",
            lambda app, call: resume(app, call.channel, call.invocation.text("feed_url")),
            options=(_feed_option("The paused feed's address, as /newsdigest feeds lists it"),),
            changes=True, per_channel=True),
    SHOW, FEEDS,
    Command("schedule", "When this channel gets its digest, e.g. weekdays 08:00; off to stop",
            'e.g. weekdays 08:00 Europe/Paris; "off" to stop',
            lambda app, call: set_schedule(app, call.channel, call.invocation.text("when"),
                                           call.invocation.text("timezone") or "UTC"),
            options=(Option("when", "weekdays 08:00, daily 18:30, mon 09:15, hourly, a cron line, or off",
                            required=True, hint="<when>", max_length=100),
                     Option("timezone", "A time zone such as Europe/Paris (default UTC)", hint="time zone",
                            max_length=100, autocomplete="timezone", trailing=_is_time_zone, default="UTC")),
            changes=True, per_channel=True),
    FILTER, LENGTH, FORMAT, ARTICLES,
    ADMINS,
    HELP,
)

COMMAND = Command("/newsdigest", "This channel's news feeds, digest schedule and settings",
                  "this channel's feeds, digest schedule and settings", subcommands=SUBCOMMANDS, default="help")
