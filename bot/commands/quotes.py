"""/quotes: what a person or organisation said over time, in which article and as what; private
unless shared (a sibling of /who-said)."""

from __future__ import annotations

from ..app import Newsdigest
from ..quotes import MAX_NAME, MAX_WORDS, quotes_by, split_typed
from ..replies import Reply, ReplyField, Section, Visibility, usage
from ..store import StoredQuote
from ..store.channels import ChannelRef
from ..views import article_line, speaker_text
from .caller import tenant_of
from .declaration import Call, Command, Invocation, Option
from .links import unique_links
from .who_said import share_action

EXAMPLE = "/quotes Christopher Nulty about code tools"


def quotes(app: Newsdigest, person: str, words: str = "", share: bool = False, *, channel: ChannelRef,
           typed: bool = True) -> Reply:
    """`typed`: `person` is one typed line that may hold the words too (Slack, the terminal)."""
    if not person.strip(" \"'\u201c\u201d\u2018\u2019"):
        return usage("Whose quotes?", f"Give a person or an organisation, and words if you like: {EXAMPLE}")
    if len(person) > MAX_NAME + (MAX_WORDS if typed else 0) or len(words) > MAX_WORDS:
        return usage("That is too long", f"Give a name of up to {MAX_NAME} characters and up to {MAX_WORDS} "
                                         f"characters of words: {EXAMPLE}")
    if typed and not words:
        person, words = split_typed(app.store, person)
    result = quotes_by(app.store, person, words, tenant=tenant_of(app, channel))
    visibility: Visibility = "channel" if share else "private"
    about = f" about “{result.words}”" if result.words else ""
    if not result.quotes:
        text = (f"No stored quote of {result.name}{about}."
                + (" Try other words, or none." if result.words else " Ingest more articles, or check the name."))
        return Reply(kind="not_found", title="No quotes", summary=text, sections=[Section(text=text)],
                     visibility=visibility)
    # The button runs the look-up as it was understood (the typed line already split).
    shown = {"person": result.name, **({"words": result.words} if result.words else {})}
    who = result.names[0]
    also = f" (also written {', '.join('“' + n + '”' for n in result.names[1:])})" if len(result.names) > 1 else ""
    count = f"the {len(result.quotes)} newest" if result.more else f"{len(result.quotes)}"
    summary = f"{count} quote{'s' if len(result.quotes) != 1 else ''} of {who}{also}{about}, newest first"
    if result.corrected:
        summary += f" (no stored speaker is called “{result.name}”: the nearest name)"
    return Reply(title=f"What {who} said{about}", summary=summary[0].upper() + summary[1:],
                 sections=[_section(q) for q in result.quotes], links=unique_links(q.article for q in result.quotes),
                 visibility=visibility, actions=[] if share else [share_action("/quotes", **shown)])


def _section(quote: StoredQuote) -> Section:
    # The speaker as this article named them: the role held at the time, not today's.
    return Section(quote=quote.text, fields=[ReplyField(name="Said by", value=speaker_text(quote.speaker)),
                                             ReplyField(name="In", value=article_line(quote.article))])


def _run(app: Newsdigest, call: Call) -> Reply:
    options = call.invocation
    return quotes(app, options.text("person"), options.text("words"), share=options.flag("share"),
                  channel=call.channel, typed=options.form == "text")


def _visibility(invocation: Invocation) -> Visibility:
    return "channel" if invocation.flag("share") else "private"


COMMAND = Command(
    "/quotes", "What a person or organisation said over time (only you see it unless you share it)",
    "what a person or organisation said, newest first, with the article and their role then (--share to post it)",
    _run,
    options=(Option("person", "A person or organisation: Nulty, Christopher Nulty", required=True,
                    hint="<person>", max_length=MAX_NAME),
             Option("words", "Only the quotes holding these words", hint="about <words>", max_length=MAX_WORDS),
             Option("share", "Post the answer in the channel (default: only you see it)", kind="flag",
                    words=("--share", "share"))),
    visibility=_visibility)
