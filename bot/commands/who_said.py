"""/who-said: who said a quote, and in which article; private unless shared."""

from __future__ import annotations

from digests.models import confidence_band

from ..app import Newsdigest
from ..replies import Action, Reply, ReplyField, Section, Visibility, usage
from ..store.channels import ChannelRef
from ..views import article_line, speaker_text
from ..whosaid import MAX_FRAGMENT, Match
from ..whosaid import who_said as find_who_said
from .caller import tenant_of
from .declaration import Call, Command, Invocation, Option
from .links import unique_links


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
                 links=unique_links(m.quote.article for m in result.matches), visibility=visibility,
                 actions=[] if share else [share_action("/who-said", fragment=fragment)])


def share_action(command: str, **options: str) -> Action:
    """The "Share in channel" button of a private answer: the same command again, shared."""
    return Action(label="Share in channel", command=command, options={**options, "share": True})


def _match_section(match: Match) -> Section:
    q = match.quote
    fields = [ReplyField(name="Said by", value=speaker_text(q.speaker)),
              ReplyField(name="In", value=article_line(q.article)),
              ReplyField(name="Match", value=f"{match.score:.0f}% · attribution confidence "
                                             f"{confidence_band(q.confidence)} ({q.confidence:.2f})")]
    return Section(quote=q.text, fields=fields)


def _run(app: Newsdigest, call: Call) -> Reply:
    options = call.invocation
    return who_said(app, options.text("fragment"), share=options.flag("share"), channel=call.channel)


def _visibility(invocation: Invocation) -> Visibility:
    return "channel" if invocation.flag("share") else "private"


COMMAND = Command(
    "/who-said", "Who said a quote, and in which article (only you see the answer unless you share it)",
    "who said it, in which article (only you see the answer unless you --share)", _run,
    options=(Option("fragment", "A few words of the quote", required=True, hint='"a few words of a quote"',
                    max_length=MAX_FRAGMENT),
             # "share" alone at the end, as well as --share: people type it either way.
             Option("share", "Post the answer in the channel (default: only you see it)", kind="flag",
                    words=("--share", "share"))),
    visibility=_visibility)
