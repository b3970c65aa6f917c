"""The chat commands, independent of any platform: parsed arguments in, a `Reply` out.

Slack, Discord and the terminal all call these. `handle_text` parses the text form a person types
("/who-said \"go to choice\" --share"); platforms with typed options call the functions directly.

Who may change a channel (its feeds, its schedule, its named admins, posting its digest now) is
decided here once: each `Command` says which of its forms change the channel (`changes`), and the
platform says whether the person typing may (`Caller.can_manage`: Slack asks the workspace, Discord
has checked Manage Channels, the terminal's operator always may). Reading stays open to everyone.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict

from digests.errors import ArticleError, ModelError
from digests.models import Digest, confidence_band

from .app import Newsdigest
from .errors import BotStopping, DigestBusy, SourceError
from .replies import Link, Reply, ReplyField, Section, Visibility, error, usage
from .schedules import EXAMPLES as SCHEDULE_EXAMPLES
from .schedules import ScheduleError, parse_schedule
from .store import ArticleSummary, StoreError
from .store import articles as article_store
from .store import channels as channel_store
from .store.admins import Kind as MemberKind
from .store.channels import ChannelRef
from .views import (
    ACTIONS,
    ALLEGATION,
    NO_POSITION,
    QUOTED,
    QUOTED_SPEAKERS,
    STILL_OPEN,
    UNTITLED,
    article_line,
    speaker_text,
)
from .whosaid import MAX_FRAGMENT, Match
from .whosaid import who_said as find_who_said

log = logging.getLogger(__name__)

MIN_PASTED_WORDS = 20


class Caller(BaseModel):
    """The person who typed a command, as far as the commands need to know."""

    model_config = ConfigDict(frozen=True)

    can_manage: bool  # may change the channel: decided by the platform (see the module's docstring)
    user_id: str | None = None  # the platform's id of the person, kept as who named an admin


# The terminal's operator, and code that calls the commands for them: allowed everything. Chat
# adapters pass the person's own Caller.
OPERATOR = Caller(can_manage=True)


def _never(args: str) -> bool:
    return False


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    help: str
    run: Callable[[Newsdigest, str, ChannelRef, Caller], Reply]
    changes: Callable[[str], bool] = _never  # whether these arguments change the channel


def tenant_of(app: Newsdigest, channel: ChannelRef) -> str:
    """The workspace whose articles a command in `channel` sees and adds to. A stored channel that did
    not know its workspace yet learns it here, so that its feeds are shared with that workspace."""
    channel_store.learn_workspace(app.store, channel)
    return channel.tenant


# /who-said

def who_said(app: Newsdigest, fragment: str, share: bool = False, *, channel: ChannelRef) -> Reply:
    fragment = fragment.strip()
    if not fragment.strip(" \"'\u201c\u201d\u2018\u2019"):
        return usage("Who said it?", 'Give a few words of the quote: /who-said "go-to choice for coders"')
    if len(fragment) > MAX_FRAGMENT:
        return usage("That is a long fragment",
                     f"Give a few words of the quote, up to {MAX_FRAGMENT} characters (this one has {len(fragment):,}).")
    result = find_who_said(app.store, fragment, tenant=tenant_of(app, channel))
    visibility: Visibility = "channel" if share else "private"
    if not result.matches:
        sections = [_match_section(m) for m in result.near]
        text = (f"No stored quote matches “{result.fragment}”."
                + (" The closest ones:" if result.near else " Ingest more articles, or try other words."))
        return Reply(kind="not_found", title="No match", summary=text, sections=[Section(text=text), *sections],
                     visibility=visibility)
    speakers = {m.quote.speaker.name for m in result.matches if m.quote.speaker}
    first = result.matches[0]
    summary = f"“{first.quote.text}” — {speaker_text(first.quote.speaker)}"
    if len(speakers) > 1:
        summary = f"{len(speakers)} people said words like “{result.fragment}”: " + ", ".join(sorted(speakers))
    return Reply(title=f"Who said “{result.fragment}”", summary=summary,
                 sections=[_match_section(m) for m in result.matches],
                 links=_unique_links(m.quote.article for m in result.matches), visibility=visibility)


def _match_section(match: Match) -> Section:
    q = match.quote
    fields = [ReplyField(name="Said by", value=speaker_text(q.speaker)),
              ReplyField(name="In", value=article_line(q.article)),
              ReplyField(name="Match", value=f"{match.score:.0f}% · attribution confidence "
                                             f"{confidence_band(q.confidence)} ({q.confidence:.2f})")]
    return Section(quote=q.text, fields=fields)


def _unique_links(articles) -> list[Link]:  # noqa: ANN001 - any iterable of ArticleSummary
    links, seen = [], set()
    for a in articles:
        if a.url and a.url not in seen:
            seen.add(a.url)
            links.append(Link(label=a.title or a.url, url=a.url))
    return links


# /dispute

def dispute(app: Newsdigest, article: str | None, channel: ChannelRef) -> Reply:
    ref = (article or "").strip()
    tenant = tenant_of(app, channel)
    summary = article_store.find_article(app.store, ref, tenant=tenant) if ref else article_store.latest_with_dispute(app.store, tenant=tenant)
    if summary is None:
        text = (f"No stored article matches “{ref}”." if ref
                else "No stored article reports a dispute yet. Ingest articles, or name one: /dispute <title words|URL|id>")
        return Reply(kind="not_found", title="No dispute found", summary=text, sections=[Section(text=text)],
                     visibility="private")
    digest = article_store.get_digest(app.store, summary.id)
    if digest is None or digest.dispute is None:
        text = f"“{summary.title or summary.id}” does not report a dispute."
        return Reply(kind="not_found", title="No dispute in this article", summary=text,
                     sections=[Section(text=text)], links=_unique_links([summary]), visibility="private")
    return dispute_reply(digest, summary)


def dispute_reply(digest: Digest, summary: ArticleSummary) -> Reply:
    """The /dispute answer, in the words of a digest's dispute (bot.views): the allegation, what was
    done, each party with its position and who of it is quoted, what is still open."""
    d = digest.dispute
    assert d is not None
    sections = [Section(title=d.headline, text=d.allegation and f"{ALLEGATION}: {d.allegation}")]
    if d.actions:
        sections.append(Section(title=ACTIONS, text="\n".join(f"• {a}" for a in d.actions)))
    for party in d.parties:
        speakers = sorted({speaker_text(q.speaker) for q in party.quotes if q.speaker})
        fields = [ReplyField(name=QUOTED, value="; ".join(speakers[:QUOTED_SPEAKERS]), inline=False)] if speakers else []
        sections.append(Section(title=party.name, quote=party.position,
                                text=None if party.position else NO_POSITION, fields=fields))
    if d.open_questions:
        sections.append(Section(title=STILL_OPEN, text="\n".join(f"• {q}" for q in d.open_questions)))
    sections.append(Section(fields=[ReplyField(name="Article", value=article_line(summary)),
                                    ReplyField(name="Id", value=summary.id)]))
    return Reply(title=d.headline, summary=f"{d.headline}. {d.allegation or ''}".strip(), sections=sections,
                 links=_unique_links([summary]))


# /digest

def channel_digest(app: Newsdigest, channel: ChannelRef, post_now: bool, consume: bool = False) -> Reply:
    """`/digest now`: the channel's pending stories posted here at once, through the delivery ledger
    like a scheduled digest (its own slot and key, completed once the post is out, so a failed post
    loses nothing). On a channel with a schedule they still wait for the scheduled digest, unless
    `--consume` asks that they count as delivered; a channel without a schedule has no other
    digest, so there they count as delivered. `/digest preview`: the next digest and what waits
    after it, shown only to the asker; it changes nothing."""
    from .delivery import DeliveryOutcome, deliver_now

    channel_id = channel_store.find_channel(app.store, channel)
    if channel_id is None:  # nothing was ever set up here: nothing can be pending
        return _nothing_new()
    now = datetime.now(timezone.utc)
    if not post_now:
        return _preview(app, channel_id, now)
    consume = consume or channel_store.schedule_of(app.store, channel) is None
    try:
        outcome: DeliveryOutcome = deliver_now(app, channel_id, channel.platform, now, consume)
    except TimeoutError:
        text = "The digest is still being posted here; it will appear shortly."
        return Reply(title="Posting the digest", summary=text, sections=[Section(text=text)], visibility="private")
    if outcome.status == "empty":
        return _nothing_new()
    if outcome.status == "posted":
        story_count = f"{outcome.items} {'story' if outcome.items == 1 else 'stories'}"
        after = ("They count as delivered." if consume
                 else "They will still be in the scheduled digest (/digest now --consume counts them as delivered).")
        waiting = f" {outcome.waiting} more wait for the next digest." if outcome.waiting else ""
        text = f"Posted the digest here: {story_count}. {after}{waiting}"
        return Reply(title="Digest posted", summary=text, sections=[Section(text=text)], visibility="private")
    log.warning("/digest now in %s:%s: %s (%s)", channel.platform, channel.external_id, outcome.status, outcome.detail)
    if outcome.status == "failed":  # the platform refused: a person must act
        return error("The bot cannot post in this channel: invite it here, or let it send messages. "
                     "Nothing was marked as delivered: the stories still wait.")
    return error("The digest could not be posted here right now. Nothing was marked as delivered: "
                 "the stories still wait, try again later. The operator has been told.")


def _nothing_new() -> Reply:
    text = "Nothing new for this channel since its last digest. Subscribe to feeds with /newsdigest subscribe <URL>."
    return Reply(kind="not_found", title="No news yet", summary=text, sections=[Section(text=text)], visibility="private")


PREVIEW_WAITING = 20  # waiting stories listed by name in a preview


def _preview(app: Newsdigest, channel_id: int, now: datetime) -> Reply:
    from .delivery import heading, plan_digest

    planned = plan_digest(app.store, channel_id, now)
    if planned is None:
        return _nothing_new()
    plan, digests = planned
    items = [digests[i.article_id] for i in plan.items]
    if not items:
        return _nothing_new()
    sections = []
    for item, d in zip(plan.items, items):
        said = next((q for q in d.quotes if q.speaker is not None), None)
        fields = [ReplyField(name="Said by", value=speaker_text(said.speaker))] if said else []
        if item.similar:
            fields.append(ReplyField(name=f"+{len(item.similar)} similar", inline=False, value="; ".join(
                digests[a].article.title or digests[a].article.url or "untitled" for a in item.similar)))
        sections.append(Section(title=d.article.title or UNTITLED, text=" ".join(d.tldr),
                                quote=said.text if said else None, fields=fields))
    if plan.waiting:
        titles = [digests[a].article.title or UNTITLED for a in plan.waiting[:PREVIEW_WAITING]]
        more = f"\n…and {len(plan.waiting) - PREVIEW_WAITING} more" if len(plan.waiting) > PREVIEW_WAITING else ""
        sections.append(Section(title=f"Waiting for the next digest ({len(plan.waiting)})",
                                text="\n".join(f"• {t}" for t in titles) + more))
    if plan.filtered:
        sections.append(Section(text=f"{len(plan.filtered)} {'story was' if len(plan.filtered) == 1 else 'stories were'} "
                                     "left out by this channel's keywords."))
    links = [Link(label=d.article.title or d.article.url, url=d.article.url) for d in items if d.article.url]
    title = heading(now, len(items), len(plan.waiting))
    return Reply(title=f"Preview: {title}",
                 summary=f"{len(items)} stories: " + "; ".join(d.article.title or "untitled" for d in items),
                 sections=sections, links=links, visibility="private")


def digest(app: Newsdigest, source: str | None, channel: ChannelRef) -> Reply:
    """The digest of an article the channel's workspace may see, found by id, URL or title words; a
    URL or pasted text it has not got yet is digested and becomes its own (stored once, whoever else
    brought it too). Another workspace's article answers exactly as an unknown one."""
    ref = (source or "").strip()
    words = ref.lower().split()
    if words and words[0] in {"now", "preview"} and set(words[1:]) <= {"--consume"}:
        return channel_digest(app, channel, post_now=words[0] == "now", consume="--consume" in words[1:])
    tenant = tenant_of(app, channel)
    if not ref:
        recent = article_store.recent_articles(app.store, limit=1, tenant=tenant)
        if not recent:
            return usage("Nothing stored yet", "Digest an article: /digest <URL>, or paste the article's text after /digest.")
        summary: ArticleSummary | None = recent[0]
    elif re.match(r"https?://", ref) and " " not in ref:
        summary = article_store.find_article(app.store, ref, tenant=tenant)
        if summary is None:
            summary = article_store.find_article(app.store, _digest_new(app, ref, tenant, pasted=False), tenant=tenant)
    else:
        summary = article_store.find_article(app.store, ref, tenant=tenant)
        if summary is None and len(ref.split()) >= MIN_PASTED_WORDS:
            summary = article_store.find_article(app.store, _digest_new(app, ref, tenant, pasted=True), tenant=tenant)
        if summary is None:
            recent = article_store.recent_articles(app.store, limit=5, tenant=tenant)
            text = (f"No stored article matches “{ref[:80]}”. Give a URL, paste the whole article "
                    f"(at least {MIN_PASTED_WORDS} words), or pick a recent one:")
            return Reply(kind="not_found", title="No such article", summary=text,
                         sections=[Section(text=text), *[Section(text=article_line(a), fields=[ReplyField(name="Id", value=a.id)]) for a in recent]],
                         visibility="private")
    assert summary is not None
    stored = article_store.get_digest(app.store, summary.id)
    if stored is None:
        return error(f"The digest of “{summary.title or summary.id}” is missing from the store.")
    return digest_reply(stored, summary)


def _digest_new(app: Newsdigest, ref: str, tenant: str, *, pasted: bool) -> str:
    """Digest and store an article not stored yet (a URL, or pasted text): here, or on a worker of the
    task queue when this is a chat process of the split roles (app.queue). Its article id."""
    if app.queue is not None:
        return app.queue.digest(ref, tenant, pasted=pasted)
    made = app.service.digest_text(ref) if pasted else app.service.digest_source(ref)
    return article_store.save_digest(app.store, made, tenant=tenant).article_id


def digest_reply(d: Digest, summary: ArticleSummary) -> Reply:
    """A digest answer: every platform lays it out from `digest` (bot.views.digest_view), so the reply
    carries no sections of its own."""
    return Reply(title=d.article.title or UNTITLED, summary=" ".join(d.tldr), links=_unique_links([summary]), digest=d)


# /newsdigest: a channel's feeds and schedule

TERMINAL = ChannelRef(platform="terminal", external_id="local", name="terminal")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _address(text: str) -> str:
    """A typed address without the brackets chat apps put around links: "<https://x/feed>" and
    Slack's escaped form "<https://x/feed|x/feed>" are both "https://x/feed"."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0]
    return text.strip("<>").strip()


def subscribe(app: Newsdigest, channel: ChannelRef, feed_url: str) -> Reply:
    """Fetch the address first: a feed is subscribed to as it is; a page that links to a feed
    (<link rel="alternate">) subscribes to that feed; anything else is refused, saying why."""
    url = _address(feed_url)
    if not re.match(r"https?://\S+$", url):
        return usage("Subscribe to a feed", "Give the feed's (or the site's) address: /newsdigest subscribe https://example.com/feed.xml")
    from .feeds.discover import NoFeedFound  # imported here: feedparser and httpx only when needed
    from .feeds.subscriptions import subscribe_url

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
    url = _address(feed_url)
    if not url:
        return usage("Unsubscribe from a feed", "Give the feed's address: /newsdigest unsubscribe https://example.com/feed.xml")
    from .feeds.subscriptions import unsubscribe_url

    removed = unsubscribe_url(app, channel, url)
    if removed is not None:
        text = f"Unsubscribed this channel from {removed}."
        return Reply(title="Unsubscribed", summary=text, sections=[Section(text=text)])
    text = f"This channel is not subscribed to {url}. See /newsdigest feeds."
    return Reply(kind="not_found", title="Not subscribed", summary=text, sections=[Section(text=text)], visibility="private")


def resume(app: Newsdigest, channel: ChannelRef, feed_url: str) -> Reply:
    """Unpause a feed that was paused after failing too often; it is polled again at once."""
    url = _address(feed_url)
    if not url:
        return usage("Resume a paused feed", "Give the feed's address: /newsdigest resume https://example.com/feed.xml")
    from .feeds.subscriptions import resume_url

    found, before = resume_url(app, channel, url, _now())
    if found is None:
        text = f"This channel is not subscribed to {url}. See /newsdigest feeds."
        return Reply(kind="not_found", title="Not subscribed", summary=text, sections=[Section(text=text)], visibility="private")
    if before is None or not before.paused:
        text = f"{found} is not paused: it is polled as usual."
        return Reply(title="Not paused", summary=text, sections=[Section(text=text)], visibility="private")
    text = f"Resumed {found}: it will be polled again within minutes (it was paused after: {before.last_error})."
    return Reply(title="Feed resumed", summary=text, sections=[Section(text=text)])


def _feed_line(url: str, feed) -> str:  # noqa: ANN001 - a bot.store.feeds.FeedInfo or None
    if feed is None:
        return f"• {url}"
    name = f"{feed.title} — {url}" if feed.title else url
    if feed.paused:
        return f"• {name} — paused after {feed.failures} failures ({feed.last_error}): /newsdigest resume {url}"
    if feed.failures:
        return f"• {name} — failing ({feed.failures} in a row: {feed.last_error})"
    return f"• {name}"


def feeds(app: Newsdigest, channel: ChannelRef) -> Reply:
    from .store import feeds as feed_store

    subscribed = feed_store.channel_feeds(app.store, channel)
    schedule = channel_store.schedule_of(app.store, channel)
    when = f"{schedule.cron} ({schedule.timezone})" if schedule else "no schedule: set one with /newsdigest schedule weekdays 08:00"
    text = "\n".join(_feed_line(u, f) for u, f in subscribed) if subscribed else "No feeds yet: /newsdigest subscribe <feed URL>"
    paused = sum(1 for _, f in subscribed if f is not None and f.paused)
    note = f" ({paused} paused)" if paused else ""
    return Reply(title="This channel's news", summary=f"{len(subscribed)} feed(s){note}; {when}",
                 sections=[Section(title="Feeds", text=text), Section(title="Schedule", text=when)], visibility="private")


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
    text = f"Digests will be posted here on “{when.strip()}” ({schedule.cron}, {schedule.timezone})."
    return Reply(title="Schedule set", summary=text, sections=[Section(text=text)])


NEWSDIGEST_USAGE = """/newsdigest subscribe <feed URL> — add a feed to this channel (or give a site's address: its feed is found)
/newsdigest unsubscribe <feed URL> — remove one
/newsdigest resume <feed URL> — poll a paused feed again
/newsdigest feeds — this channel's feeds and schedule
/newsdigest schedule <when> [time zone] — e.g. weekdays 08:00 Europe/Paris; "off" to stop
/newsdigest help — this list"""
# Slack's: on Discord, Manage Channels says who may change a channel.
ADMINS_HELP = ("/newsdigest admins add|remove @user|@user-group — who besides the workspace's admins may change "
               "its channels; /newsdigest admins list")
TEXT_USAGE = NEWSDIGEST_USAGE.replace("\n/newsdigest help", f"\n{ADMINS_HELP}\n/newsdigest help")

# What changes a channel: everything but reading its feeds, help and the list of admins.
CHANGING_SUBCOMMANDS = frozenset({"subscribe", "unsubscribe", "resume", "schedule"})
CHANGING_ADMINS = frozenset({"add", "remove"})


def _subcommand(args: str) -> tuple[str, str]:
    """ "Subscribe  https://x" → ("subscribe", "https://x"); nothing → ("help", "")."""
    words = args.split()
    if not words:
        return "help", ""
    return words[0].lower(), args.strip()[len(words[0]):].strip()


def _newsdigest_changes(args: str) -> bool:
    sub, rest = _subcommand(args)
    if sub == "admins":
        return _subcommand(rest)[0] in CHANGING_ADMINS
    return sub in CHANGING_SUBCOMMANDS


def _digest_changes(args: str) -> bool:
    # `/digest now` posts the channel's digest (and uses up its stories); a preview is the asker's only.
    words = args.lower().split()
    return bool(words) and words[0] == "now"


NOT_ALLOWED = ("Only the people who manage this channel can change its feeds, its schedule or who may manage it, "
               "or post its digest now: on Slack, the workspace's admins and owners and the people they named with "
               "/newsdigest admins add; on Discord, members with the Manage Channels permission. Ask one of them; "
               "/newsdigest feeds shows the current settings and /digest preview the next digest.")


def not_allowed() -> Reply:
    """The private answer to someone who may not change the channel."""
    return Reply(kind="usage", title="Ask an admin", summary="Only the people who manage this channel can change it: ask one of them.",
                 sections=[Section(text=NOT_ALLOWED)], visibility="private")


def changes_channel(text: str) -> bool:
    """Whether the command typed as `text` would change its channel (so the platform must say
    whether the person may: `Caller.can_manage`)."""
    name, args = parse(text)
    command = COMMANDS.get(name)
    return command is not None and command.changes(args)


def permitted(name: str, args: str, caller: Caller) -> Reply | None:
    """None when `caller` may run `name args`; otherwise the private "ask an admin" answer."""
    command = COMMANDS.get(name)
    if command is not None and command.changes(args) and not caller.can_manage:
        # Once per refusal, for the operator who is asked why a member "could not change anything".
        log.info("%s refused to user %s: changing the channel needs an admin", name, caller.user_id or "?",
                 extra={"command": name.lstrip("/"), "outcome": "refused"})
        return not_allowed()
    return None


# /newsdigest admins: the people besides the platform's admins who may change the channels

# Slack's ids: a letter, then capitals and digits (at least one digit, so that a word such as "SALES"
# is not taken for one); at most 20 long, well within the column.
_ID = r"(?=[A-Z]*[0-9])[A-Z0-9]{2,20}"
_MEMBER = re.compile(rf"<@(?P<user>[UW]{_ID})(?:\|[^>]*)?>|<!subteam\^(?P<group>S{_ID})(?:\|[^>]*)?>"
                     rf"|(?P<bare_user>[UW]{_ID})|(?P<bare_group>S{_ID})")
ADMINS_USAGE = ("Name users or user groups: /newsdigest admins add @someone @some-group; "
                "/newsdigest admins remove @someone; /newsdigest admins list")


def parse_members(text: str) -> list[tuple[MemberKind, str]] | None:
    """ "<@U01|ada> <!subteam^S02|@eds>" → [("user", "U01"), ("group", "S02")]; None when a word is
    not a user or user group (or there is none)."""
    found: list[tuple[MemberKind, str]] = []
    for word in text.split():
        m = _MEMBER.fullmatch(word)
        if m is None:
            return None
        if m["user"] or m["bare_user"]:
            found.append(("user", m["user"] or m["bare_user"]))
        else:
            found.append(("group", m["group"] or m["bare_group"]))
    return found or None


def _member_text(kind: str, member_id: str) -> str:
    return f"user group {member_id}" if kind == "group" else f"user {member_id}"


def admins(app: Newsdigest, args: str, channel: ChannelRef, caller: Caller) -> Reply:
    """Named admins are kept per workspace: the one of the channel the command was typed in."""
    from .store import admins as admin_store

    platform, workspace = channel.platform, channel.workspace
    action, rest = _subcommand(args)
    if action == "help":
        action = "list"
    if workspace is None:
        return usage("No workspace here", "Named admins are kept per chat workspace: use /newsdigest admins in Slack.")
    if action == "list":
        named = admin_store.named(app.store, platform, workspace)
        lines = [f"• {_member_text(a.kind, a.member_id)}" for a in named]
        text = ("Besides the workspace's admins and owners, these may change its channels:\n" + "\n".join(lines)
                if named else "Only the workspace's admins and owners may change its channels. " + ADMINS_USAGE)
        return Reply(title="Who may change this workspace's channels", summary=text.splitlines()[0],
                     sections=[Section(text=text)], visibility="private")
    if action not in CHANGING_ADMINS:
        return usage(f"Unknown admins action {action}", f"/newsdigest admins has no {action!r}. {ADMINS_USAGE}")
    members = parse_members(rest)
    if members is None:
        return usage("Name users or user groups", f"Mention each one (@name), or give its id. {ADMINS_USAGE}")
    done: list[str] = []
    already: list[str] = []
    for kind, member_id in members:
        if action == "add":
            changed = admin_store.add(app.store, platform, workspace,
                                      admin_store.NamedAdmin(kind=kind, member_id=member_id, added_by=caller.user_id))
        else:
            changed = admin_store.remove(app.store, platform, workspace, member_id)
        (done if changed else already).append(_member_text(kind, member_id))
    verb = "may now change" if action == "add" else "may no longer change"
    lines = [f"{', '.join(done)} {verb} this workspace's channels." if done else ""]
    if already:
        lines.append(f"{', '.join(already)}: " + ("already named." if action == "add" else "was not named."))
    text = " ".join(line for line in lines if line)
    return Reply(title="Admins updated" if done else "Nothing changed", summary=text, sections=[Section(text=text)],
                 visibility="private")


def newsdigest(app: Newsdigest, args: str, channel: ChannelRef, caller: Caller = OPERATOR) -> Reply:
    sub, rest = _subcommand(args)
    if sub == "subscribe":
        return subscribe(app, channel, rest)
    if sub == "unsubscribe":
        return unsubscribe(app, channel, rest)
    if sub == "resume":
        return resume(app, channel, rest)
    if sub in {"feeds", "status", "list"}:
        return feeds(app, channel)
    if sub == "schedule":
        parts = rest.split()
        timezone = "UTC"
        if parts and ("/" in parts[-1] or parts[-1].upper() == "UTC") and len(parts) > 1:
            timezone = parts.pop()
        return set_schedule(app, channel, " ".join(parts), timezone)
    if sub == "admins":
        return admins(app, rest, channel, caller)
    if sub == "help":
        return Reply(kind="usage", title="/newsdigest", summary="Subcommands: subscribe, unsubscribe, resume, feeds, schedule, admins, help",
                     sections=[Section(text=TEXT_USAGE)], visibility="private")
    return usage(f"Unknown subcommand {sub}", f"/newsdigest has no {sub!r}. Try:\n{TEXT_USAGE}")


# /help and dispatch

def help_reply(app: Newsdigest | None = None, args: str = "", channel: ChannelRef | None = None,
               caller: Caller | None = None) -> Reply:
    lines = [f"{c.usage} — {c.help}" for c in COMMANDS.values()]
    return Reply(kind="usage", title="newsdigest commands", summary="Commands: " + ", ".join(COMMANDS),
                 sections=[Section(text="\n".join(lines))], visibility="private")


def _who_said_text(app: Newsdigest, args: str, channel: ChannelRef, caller: Caller) -> Reply:
    share = False
    for flag in ("--share", "share"):
        if args.rstrip().endswith(" " + flag) or args.strip() == flag:
            share, args = True, args.rstrip()[: -len(flag)]
            break
    return who_said(app, args, share=share, channel=channel)


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("/digest", "/digest [title words | URL | id | pasted text | now [--consume] | preview]",
            "the digest of a stored article, or of a new one fetched or pasted now; `now` posts this channel's "
            "waiting stories at once (they stay for the scheduled digest unless --consume), `preview` shows "
            "the next digest and what waits after it to you only", lambda app, a, c, who: digest(app, a, c),
            changes=_digest_changes),
    Command("/dispute", "/dispute [title words | URL | id]",
            "the dispute of the latest article that reports one, or of the one named",
            lambda app, a, c, who: dispute(app, a, c)),
    Command("/who-said", '/who-said "a few words of a quote" [--share]',
            "who said it, in which article (only you see the answer unless you --share)", _who_said_text),
    Command("/newsdigest", "/newsdigest subscribe|unsubscribe|resume|feeds|schedule|admins|help …",
            "this channel's feeds and digest schedule", newsdigest, changes=_newsdigest_changes),
    Command("/help", "/help", "this list", help_reply),
]}


def parse(text: str) -> tuple[str, str]:
    """ "/Who-Said  \"x\"" → ("/who-said", "\"x\""). The name is lower-cased; the rest is kept."""
    text = text.strip()
    name, _, args = text.partition(" ")
    name = name.lower()
    if not name.startswith("/"):
        name = "/" + name
    return name, args.strip()


def handle_text(app: Newsdigest, text: str, channel: ChannelRef = TERMINAL, caller: Caller = OPERATOR) -> Reply:
    """Run a command typed as text in `channel` by `caller` (chat adapters pass the person's; the
    default is the terminal's operator). Never raises: every failure becomes a reply for the
    person, and what the operator needs goes to the log."""
    name, args = parse(text)
    command = COMMANDS.get(name)
    if command is None:
        reply = help_reply(app)
        known = ", ".join(COMMANDS)
        return usage(f"Unknown command {name}", f"There is no {name} command. Try one of: {known}.\n" + (reply.sections[0].text or ""))
    refused = permitted(name, args, caller)
    if refused is not None:
        return refused
    return run_safely(lambda: command.run(app, args, channel, caller), name, app=app, platform=channel.platform)


def source_error(exc: SourceError, name: str) -> Reply:
    """The error reply: the person reads the message; what they may not (an internal address refused,
    an operator setting) is in the error's detail, which goes to the operator's log."""
    if exc.detail != str(exc):
        log.warning("%s: %s", name, exc.detail)
    return error(str(exc), title="Couldn't read that")


def run_safely(call: Callable[[], Reply], name: str = "command", *, app: Newsdigest | None = None,
               platform: str = "terminal") -> Reply:
    """`call()`'s reply, or the error reply its failure deserves; never raises. With `app`, the time it
    took is counted in its metrics, by command and platform."""
    started = time.perf_counter()
    try:
        return _answer(call, name)
    finally:
        if app is not None:
            app.metrics.command_seconds.labels(command=name.lstrip("/"), platform=platform).observe(
                time.perf_counter() - started)


def _answer(call: Callable[[], Reply], name: str) -> Reply:
    try:
        return call()
    except SourceError as exc:
        return source_error(exc, name)
    except DigestBusy as exc:
        return error(str(exc), title="Busy right now")
    except ArticleError as exc:
        return error(str(exc), title="Couldn't digest that")
    except BotStopping as exc:
        return error(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", title="Restarting")
    except ModelError as exc:
        log.error("%s: language model unavailable: %s", name, exc)
        return error("The bot cannot digest articles right now (its language model is not installed). The operator has been told.")
    except StoreError as exc:
        log.error("%s: store unavailable: %s", name, exc)
        return error("The bot's database is unavailable right now. The operator has been told; nothing was lost.")
    except Exception:
        log.exception("%s failed", name)
        return error("Something went wrong on the bot's side. The operator has been told.")
