"""/newsdigest articles [words]: the workspace's recent articles with their short ids, or those whose
title or text holds the words (a typo forgiven, as /who-said forgives one): the ids /digest and
/dispute take."""

from __future__ import annotations

from ..app import Newsdigest
from ..archive import LISTED, MAX_WORDS, search
from ..replies import Reply, Section, usage
from ..store import ArticleSummary
from ..store import articles as article_store
from ..store.channels import ChannelRef
from ..views import article_line, short_id
from .caller import tenant_of
from .declaration import Command, Option


def _line(article: ArticleSummary) -> str:
    return f"• {short_id(article.id)} — {article_line(article)}"


def articles(app: Newsdigest, words: str, channel: ChannelRef) -> Reply:
    tenant = tenant_of(app, channel)
    words = " ".join(words.split())
    if len(words) > MAX_WORDS:
        return usage("That is a long search", f"Give a few words of a title or of the article, up to {MAX_WORDS} characters.")
    if not words:
        recent = article_store.recent_articles(app.store, limit=LISTED, tenant=tenant)
        if not recent:
            return usage("No articles yet", "Digest an article (/digest <URL>) or subscribe this channel to a feed "
                                            "(/newsdigest subscribe <feed URL>): its articles are listed here.")
        text = "\n".join(_line(a) for a in recent)
        return Reply(title="Recent articles", summary=f"The {len(recent)} most recent articles",
                     sections=[Section(text=text), Section(text=HOW_TO_USE)], visibility="private")
    found = search(app.store, words, tenant=tenant)
    if not found:
        text = f"No stored article has “{words}” in its title or text. /newsdigest articles lists the recent ones."
        return Reply(kind="not_found", title="No article found", summary=text, sections=[Section(text=text)],
                     visibility="private")
    text = "\n".join(_line(f.article) + ("" if f.in_title else " (in its text)") for f in found)
    return Reply(title=f"Articles with “{words}”", summary=f"{len(found)} article(s) with “{words}”",
                 sections=[Section(text=text), Section(text=HOW_TO_USE)], visibility="private")


HOW_TO_USE = "Give an id to /digest <id> for its digest, or to /dispute <id> for its dispute."

COMMAND = Command("articles", "The workspace's recent articles with their ids, or those with some words",
                  "the workspace's recent articles and their ids; with words, those whose title or text has them",
                  lambda app, call: articles(app, call.invocation.text("words"), call.channel),
                  options=(Option("words", "Words of the title or text (a typo is forgiven); empty: the latest",
                                  hint="<words>", max_length=200),),
                  visibility="private")
