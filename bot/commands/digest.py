"""/digest: the digest of a stored article or of a new one (a URL, pasted text); `/digest now` posts
this channel's waiting stories at once, `/digest preview` shows the next digest to the asker."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from digests.models import Digest

from ..app import Newsdigest
from ..archive import find_article
from ..replies import Link, Reply, ReplyField, Section, error, usage
from ..store import ArticleSummary
from ..store import articles as article_store
from ..store import channels as channel_store
from ..store.channels import ChannelRef
from ..views import UNTITLED, article_line, short_id, speaker_text
from .caller import tenant_of
from .declaration import Call, Command, Invocation, Option
from .links import unique_links

log = logging.getLogger(__name__)

MIN_PASTED_WORDS = 20
_URL = re.compile(r"\s*https?://\S+\s*\Z")


def channel_digest(app: Newsdigest, channel: ChannelRef, post_now: bool, consume: bool = False) -> Reply:
    """`/digest now`: the channel's pending stories posted here at once, through the delivery ledger
    like a scheduled digest (its own slot and key, completed once the post is out, so a failed post
    loses nothing). On a channel with a schedule they still wait for the scheduled digest, unless
    `--consume` asks that they count as delivered; a channel without a schedule has no other
    digest, so there they count as delivered. `/digest preview`: the next digest and what waits
    after it, shown only to the asker; it changes nothing."""
    from ..delivery import DeliveryOutcome, deliver_now

    channel_id = channel_store.find_channel(app.store, channel)
    if channel_id is None:  # nothing was ever set up here: nothing can be pending
        return _nothing_new(app, channel, channel_id)
    now = datetime.now(timezone.utc)
    if not post_now:
        return _preview(app, channel, channel_id, now)
    consume = consume or channel_store.schedule_of(app.store, channel) is None
    try:
        outcome: DeliveryOutcome = deliver_now(app, channel_id, channel.platform, now, consume)
    except TimeoutError:
        text = "The digest is still being posted here; it will appear shortly."
        return Reply(title="Posting the digest", summary=text, sections=[Section(text=text)], visibility="private")
    if outcome.status == "empty":
        return _nothing_new(app, channel, channel_id)
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
                     "Nothing was marked as delivered: the stories still wait.", title="Can't post in this channel")
    return error("The digest could not be posted here right now. Nothing was marked as delivered: "
                 "the stories still wait, try again later. The operator has been told.")


def _nothing_new(app: Newsdigest, channel: ChannelRef, channel_id: int | None) -> Reply:
    """Nothing to show: said for what the channel is: no feeds yet, before its first digest, or since its last."""
    from ..store import feeds as feed_store

    last = channel_store.last_digest_at(app.store, channel_id) if channel_id is not None else None
    if not feed_store.channel_feeds(app.store, channel):
        text = ("This channel follows no feeds yet: subscribe to one with /newsdigest subscribe <feed URL>, "
                "and its new articles will be in the channel's first digest.")
    elif last is None:
        text = ("Nothing new yet for this channel's first digest: articles its feeds publish from now on will be in it "
                "(/newsdigest settings shows whether the feeds were polled yet).")
    else:
        text = f"Nothing new for this channel since its last digest ({last:%a %d %b %H:%M} UTC)."
    return Reply(kind="not_found", title="No news yet", summary=text, sections=[Section(text=text)], visibility="private")


PREVIEW_WAITING = 20  # waiting stories listed by name in a preview


def _preview(app: Newsdigest, channel: ChannelRef, channel_id: int, now: datetime) -> Reply:
    from ..delivery import heading, plan_digest

    planned = plan_digest(app.store, channel_id, now)
    if planned is None:
        return _nothing_new(app, channel, channel_id)
    plan, digests = planned
    items = [digests[i.article_id] for i in plan.items]
    if not items:
        return _nothing_new(app, channel, channel_id)
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
    form = _channel_form(ref)
    if form is not None:
        return channel_digest(app, channel, post_now=form[0] == "now", consume=form[1])
    tenant = tenant_of(app, channel)
    if not ref:
        recent = article_store.recent_articles(app.store, limit=1, tenant=tenant)
        if not recent:
            return usage("Nothing stored yet", "Digest an article: /digest <URL>, or paste the article's text after /digest.")
        summary: ArticleSummary | None = recent[0]
    elif re.match(r"https?://", ref) and " " not in ref:
        summary = find_article(app.store, ref, tenant=tenant)
        if summary is None:
            summary = article_store.find_article(app.store, _digest_new(app, ref, tenant, pasted=False), tenant=tenant)
    else:
        summary = find_article(app.store, ref, tenant=tenant)
        if summary is None and len(ref.split()) >= MIN_PASTED_WORDS:
            summary = article_store.find_article(app.store, _digest_new(app, ref, tenant, pasted=True), tenant=tenant)
        if summary is None:
            recent = article_store.recent_articles(app.store, limit=5, tenant=tenant)
            text = (f"No stored article matches “{ref[:80]}”. Give a URL, paste the whole article "
                    f"(at least {MIN_PASTED_WORDS} words), or pick a recent one:")
            return Reply(kind="not_found", title="No such article", summary=text,
                         sections=[Section(text=text), *[Section(text=article_line(a), fields=[ReplyField(name="Id", value=short_id(a.id))]) for a in recent]],
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
    return Reply(title=d.article.title or UNTITLED, summary=" ".join(d.tldr), links=unique_links([summary]), digest=d)


# The words after /digest that are this channel's next digest rather than an article.
CHANNEL_FORMS = ("now", "preview")


def _channel_form(article: str) -> tuple[str, bool] | None:
    """ "now --consume" → ("now", True); "preview" → ("preview", False); an article → None."""
    words = article.lower().split()
    if words and words[0] in CHANNEL_FORMS and set(words[1:]) <= {"--consume"}:
        return words[0], "--consume" in words[1:]
    return None


def _posts_now(invocation: Invocation) -> bool:
    # `/digest now` posts the channel's digest (and may use up its stories); a preview is the asker's only.
    form = _channel_form(invocation.text("article"))
    return form is not None and form[0] == "now"


def _may_be_slow(invocation: Invocation) -> bool:
    """A URL to fetch or pasted text to digest: seconds of work."""
    article = invocation.text("article")
    return bool(_URL.match(article)) or len(article.split()) >= MIN_PASTED_WORDS


def _run(app: Newsdigest, call: Call) -> Reply:
    return digest(app, call.invocation.text("article") or None, call.channel)


COMMAND = Command(
    "/digest", "The digest of an article: title words, a URL, or the article's text",
    "the digest of a stored article, or of a new one fetched or pasted now; `now` posts this channel's "
    "waiting stories at once (they stay for the scheduled digest unless --consume), `preview` shows "
    "the next digest and what waits after it to you only", _run,
    options=(Option("article", "Title words, an article from the list, a URL, or the whole article's text (latest when empty)",
                    hint="title words | URL | id | pasted text", autocomplete="article"),),
    forms=("now [--consume]", "preview"), changes=_posts_now, slow=_may_be_slow,
    slow_notice="Reading the article… the digest will be posted here.")
