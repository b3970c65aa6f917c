"""/dispute: who disagrees about what, in the latest article that reports a dispute or the one named."""

from __future__ import annotations

from digests.models import Digest

from ..app import Newsdigest
from ..archive import find_article
from ..replies import Reply, ReplyField, Section
from ..store import ArticleSummary
from ..store import articles as article_store
from ..store.channels import ChannelRef
from ..views import ACTIONS, ALLEGATION, NO_POSITION, QUOTED, QUOTED_SPEAKERS, STILL_OPEN, article_line, speaker_text
from .caller import tenant_of
from .declaration import Call, Command, Option
from .links import unique_links


def dispute(app: Newsdigest, article: str | None, channel: ChannelRef) -> Reply:
    ref = (article or "").strip()
    tenant = tenant_of(app, channel)
    summary = find_article(app.store, ref, tenant=tenant) if ref else article_store.latest_with_dispute(app.store, tenant=tenant)
    if summary is None:
        text = (f"No stored article matches “{ref}”." if ref
                else "No stored article reports a dispute yet. Ingest articles, or name one: /dispute <title words|URL|id>")
        return Reply(kind="not_found", title="No dispute found", summary=text, sections=[Section(text=text)],
                     visibility="private")
    digest = article_store.get_digest(app.store, summary.id)
    if digest is None or digest.dispute is None:
        text = f"“{summary.title or summary.id}” does not report a dispute."
        return Reply(kind="not_found", title="No dispute in this article", summary=text,
                     sections=[Section(text=text)], links=unique_links([summary]), visibility="private")
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
                 links=unique_links([summary]))


def _run(app: Newsdigest, call: Call) -> Reply:
    return dispute(app, call.invocation.text("article") or None, call.channel)


COMMAND = Command(
    "/dispute", "Who disagrees about what, in the latest article that reports a dispute, or the one named",
    "the dispute of the latest article that reports one, or of the one named", _run,
    options=(Option("article", "Title words, an article from the list, a URL or an id (latest dispute when empty)",
                    hint="title words | URL | id", autocomplete="article"),),
    slow=True)  # reads and lays out a whole digest: platforms acknowledge at once
