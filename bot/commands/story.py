"""/story: what the "More quotes" and "Full digest" buttons under each story of a channel digest
run. Offered on no platform as a command (nobody types it): a click carries it through the one
dispatch path, and the answer is for the person who clicked only. The article is looked up for the
channel's workspace, like every command's, so a button copied elsewhere shows nothing of another's."""

from __future__ import annotations

from ..app import Newsdigest
from ..replies import Reply, ReplyField, Section, error
from ..store import articles as article_store
from ..store.channels import ChannelRef
from ..views import UNTITLED, speaker_text
from .caller import tenant_of
from .declaration import Call, Command, Option
from .links import unique_links

SHOWS = ("quotes", "digest")
NAME = "/story"


def story(app: Newsdigest, article: str, show: str, *, channel: ChannelRef) -> Reply:
    """The story's quotes (`show` "quotes") or its whole digest ("digest"), privately."""
    summary = article_store.find_article(app.store, article, tenant=tenant_of(app, channel)) if article.strip() else None
    digest = article_store.get_digest(app.store, summary.id) if summary is not None else None
    if summary is None or digest is None:  # another workspace's article answers as an unknown one
        text = "That story is not in this workspace's archive any more: /newsdigest articles lists what is."
        return Reply(kind="not_found", title="No such story", summary=text, sections=[Section(text=text)],
                     visibility="private")
    title = (digest.article.title or "").strip() or UNTITLED
    if show == "digest":
        return Reply(title=title, summary=" ".join(digest.tldr), links=unique_links([summary]), digest=digest,
                     visibility="private")
    if show != "quotes":
        return error("That button does not work any more: type the command instead.", title="Not a button of this bot")
    if not digest.quotes:
        text = f"“{title}” quotes nobody."
        return Reply(kind="not_found", title="No quotes", summary=text, sections=[Section(text=text)],
                     visibility="private")
    # Every quote, attributed or not, in the article's order (bot.views.shown_quotes says why).
    sections = [Section(quote=q.text, fields=[ReplyField(name="Said by", value=speaker_text(q.speaker))])
                for q in digest.quotes]
    count = len(digest.quotes)
    return Reply(title=f"Quotes in “{title}”", summary=f"{count} quote{'s' if count != 1 else ''} in {title}",
                 sections=sections, links=unique_links([summary]), visibility="private")


def _run(app: Newsdigest, call: Call) -> Reply:
    return story(app, call.invocation.text("article"), call.invocation.text("show"), channel=call.channel)


COMMAND = Command(
    NAME, "A story of a channel digest: its quotes or its whole digest (the story's buttons)",
    "what a story's “More quotes” and “Full digest” buttons show, to you only", _run,
    options=(Option("article", "The article's id", required=True),
             Option("show", "quotes or digest", required=True, choices=SHOWS)),
    visibility="private", platforms=frozenset())
