"""The platform-neutral layout (bot/views.py): what a reply, a digest, a scheduled post and a notice
show, in which words and order; and that the three renderers show the same decisions."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from rich.console import Console

from adapters.discord import render as discord_render
from adapters.slack import render as slack_render
from adapters.terminal import render as terminal_render
from bot import views
from bot.platforms import DigestPost, SimilarStory
from bot.replies import Link, Reply, ReplyField, Section
from digests.models import Dispute, Party, Speaker
from tests.conftest import make_digest

ROOT = Path(__file__).resolve().parents[2]
BERG = Speaker(name="Ola Berg", role="harbour master", org="Nordport Council")
VIK = Speaker(name="Siri Vik", role="Siri Vik", org="Ferry Union")  # a role that repeats the name


def ferry_digest():
    """Three quotes (sure, less sure, unattributed), an implication with a label, a dispute."""
    digest = make_digest([("we will keep the ferry running all winter", BERG),
                          ("the timetable is not negotiable", VIK),
                          ("a stopgap", None)],
                         title="Ferry stays in service", url="https://example.com/ferry", author="K. Lund",
                         implications=["Winter crossings stay open for the islands."])
    berg, vik, stopgap = digest.quotes
    vik = vik.model_copy(update={"confidence": 0.7})
    dispute = Dispute(headline="Council vs union", allegation="The union says the council broke the agreement.",
                      parties=[Party(name="Nordport Council", position=berg.text, quotes=[berg]),
                               Party(name="Ferry Union", position=None, quotes=[vik])],
                      actions=["The union filed a complaint."], open_questions=["Will the crews strike?"])
    implication = digest.implications[0].model_copy(update={"label": "Islands"})
    return digest.model_copy(update={"quotes": [berg, vik, stopgap], "implications": [implication], "dispute": dispute})


def kinds(view: views.View) -> list[str]:
    return [part.kind for part in view.parts]


# The words

def test_one_speaker_line():
    assert views.speaker_text(BERG) == "Ola Berg, harbour master, Nordport Council"
    assert views.speaker_text(VIK) == "Siri Vik, Ferry Union"
    assert views.speaker_text(Speaker(name="  Ola Berg ")) == "Ola Berg"
    assert views.speaker_text(None) == "unattributed"


def test_one_confidence_label_per_band():
    berg, vik, stopgap = ferry_digest().quotes
    low = berg.model_copy(update={"confidence": 0.3})
    assert [views.confidence_label(q) for q in (berg, vik, low, stopgap)] == [None, "likely", "low confidence", None]
    block = views.quote_block(stopgap)
    assert (block.speaker, block.attributed, block.label) == ("unattributed", False, None)
    assert views.quote_block(vik) == views.Quote(text="the timetable is not negotiable", speaker="Siri Vik, Ferry Union",
                                                 attributed=True, band="medium", label="likely")


def test_one_meta_line():
    digest = ferry_digest()
    assert views.meta_items(digest) == ("2025-03-14", "Test Wire", "by K. Lund", f"{digest.article.word_count:,} words",
                                        f"id {digest.article.id[:8]}")  # the short id /dispute and articles take


# Digests

def test_a_digest_view_in_order():
    digest = ferry_digest()
    view = views.digest_view(digest)
    assert kinds(view) == ["article", "quote", "quote", "quote", "implication", "dispute", "dispute", "dispute",
                           "dispute", "dispute"]
    assert view.summary == f"Ferry stays in service — {digest.tldr[0]}"
    assert view.parts[0].blocks == (
        views.Heading("Ferry stays in service", "article", url="https://example.com/ferry"),
        views.Meta(views.meta_items(digest)),
        views.Heading("TL;DR"),
        views.Paragraph(digest.tldr[0]),
        views.Links((views.Link("Read the article", "https://example.com/ferry"),), key=digest.article.id[:16]),
    )
    # every quote, the unattributed one included, counted in the heading
    first = view.parts[1].blocks
    assert first[0] == views.Heading("Key quotes (3)")
    assert [b.speaker for p in view.parts[1:4] for b in p.blocks if isinstance(b, views.Quote)] == [
        "Ola Berg, harbour master, Nordport Council", "Siri Vik, Ferry Union", "unattributed"]
    assert view.parts[4] == views.Part("implication", (views.Heading("Implications"), views.Bullets(
        (views.Item("Winter crossings stay open for the islands.", label="Islands"),))), count=1)


def test_a_dispute_in_its_settled_words():
    view = views.digest_view(ferry_digest())
    dispute = [b for p in view.parts if p.kind == "dispute" for b in p.blocks]
    assert dispute == [
        views.Divider(),
        views.Heading("Dispute: Council vs union"),
        views.Paragraph("The union says the council broke the agreement.", label="Allegation"),
        views.Heading("What was done", "subsection"),
        views.Bullets((views.Item("The union filed a complaint."),)),
        views.DisputeParty("Nordport Council", "we will keep the ferry running all winter",
                           quoted=("Ola Berg, harbour master, Nordport Council",)),
        views.DisputeParty("Ferry Union", None, quoted=("Siri Vik, Ferry Union",)),
        views.Heading("Still open", "subsection"),
        views.Bullets((views.Item("Will the crews strike?"),)),
    ]


def test_an_article_without_url_title_or_quotes():
    digest = make_digest([], title=None, url=None)
    view = views.digest_view(digest)
    assert kinds(view) == ["article"]
    assert view.parts[0].blocks[0] == views.Heading("Untitled article", "article")
    assert not any(isinstance(b, views.Links) for b in view.blocks)


def test_a_post_view():
    one, two = ferry_digest(), make_digest([("the pier opens in May", BERG)], title="Pier", url="https://example.com/pier")
    post = DigestPost(title="News digest", digests=[one, two], idempotency_key="k", waiting=3, filtered=1,
                      similar={two.article.id: [SimilarStory(title="Pier opening", url=None, source="Wire")]})
    view = views.post_view(post)
    assert view.kind == "post" and view.summary == "News digest — Ferry stays in service; Pier"
    assert view.parts[0] == views.Part("title", (views.Heading("News digest", "title"),), count=0)
    articles = [p for p in view.parts if p.kind == "article"]
    assert not isinstance(articles[0].blocks[0], views.Divider)
    assert articles[1].blocks[0] == views.Divider()  # stories are set apart
    assert articles[1].blocks[-1] == views.Links((views.Link("Pier opening", None),), title="+1 similar")
    assert articles[0].blocks[-1].key == "0" and articles[1].blocks[-2].key == "1"  # ids unique within the post
    closing = view.parts[-1]
    assert closing.kind == "note" and closing.count == 0
    assert [b.text for b in closing.blocks] == [
        "…and 3 more stories wait for the next digest (/digest preview lists them).",
        "1 story was left out by this channel's keywords."]
    assert closing.blocks[0].text == post.note.split(" 1 story")[0]  # the same words as the post's own note


def test_a_compact_and_a_headlines_post():
    one, two = ferry_digest(), make_digest([("the pier opens in May", BERG)], title="Pier", url="https://example.com/pier")
    similar = {two.article.id: [SimilarStory(title="Pier opening", url=None, source="Wire")]}
    compact = views.post_view(DigestPost(title="News digest", digests=[one, two], idempotency_key="k",
                                         similar=similar, format="compact"))
    assert kinds(compact) == ["title", "article", "article"]  # one part a story: no quote, implication or dispute parts
    first = compact.parts[1].blocks
    assert first[0] == views.Heading("Ferry stays in service", "article", url="https://example.com/ferry")
    assert [type(b).__name__ for b in first] == ["Heading", "Meta", "Paragraph", "Quote", "Links", "Actions"]
    assert first[4] == views.Links((views.Link("Read the article", "https://example.com/ferry"),), key="0")
    # Beside the link, the story's buttons: its quotes and its whole digest, by the article's full id.
    assert first[5] == views.Actions((
        views.Action("More quotes", "/story", options=(("article", one.article.id), ("show", "quotes")),
                     story="Ferry stays in service"),
        views.Action("Full digest", "/story", options=(("article", one.article.id), ("show", "digest")),
                     story="Ferry stays in service")), key="0")
    assert first[3].text == "we will keep the ferry running all winter"  # the first quote only
    assert compact.parts[2].blocks[0] == views.Divider()
    assert compact.parts[2].blocks[-1] == views.Links((views.Link("Pier opening", None),), title="+1 similar")
    headlines = views.post_view(DigestPost(title="News digest", digests=[one, two], idempotency_key="k",
                                           similar=similar, format="headlines", waiting=2))
    assert kinds(headlines) == ["title", "article", "article", "note"]
    assert headlines.parts[2].blocks == (views.Heading("Pier", "article", url="https://example.com/pier"),
                                         views.Meta(("2025-03-14", "Test Wire", f"{two.article.word_count:,} words",
                                                     f"id {two.article.id[:8]}", "+1 similar")),
                                         views.Links((views.Link("Read the article", "https://example.com/pier"),), key="1"),
                                         views.story_actions(two, key="1"))
    # Each platform translates them as any other blocks, in one message.
    slack = slack_render.post_messages(DigestPost(title="News digest", digests=[one, two], idempotency_key="k",
                                                  format="headlines"))
    blocks = slack[0].payload()["blocks"]
    # The title, then a story's heading, meta line and button (Slack's header cannot be a link).
    assert len(slack) == 1 and [b["type"] for b in blocks] == ["header", *["header", "context", "actions"] * 2]
    assert blocks[6]["elements"][0]["url"] == "https://example.com/pier"
    # The story's buttons share the link's actions block; their ids are unique in the message.
    assert [e["text"]["text"] for e in blocks[6]["elements"]] == ["Read the article", "More quotes", "Full digest"]
    assert [e["action_id"] for e in blocks[6]["elements"]] == ["newsdigest_link_1_0", "newsdigest_run_1_0", "newsdigest_run_1_1"]
    discord = discord_render.post_messages(DigestPost(title="News digest", digests=[one, two], idempotency_key="k",
                                                      format="compact"))
    assert len(discord) == 1 and "Ferry stays in service" in json.dumps([e.to_dict() for e in discord[0].embeds])
    # Discord's buttons are under the message: each names its story.
    assert [label for label, _ in discord[0].buttons] == ["More quotes · Ferry stays in service",
                                                          "Full digest · Ferry stays in service",
                                                          "More quotes · Pier", "Full digest · Pier"]
    assert all(len(custom_id) <= 100 for _, custom_id in discord[0].buttons)


# Replies and notices

def test_a_reply_view_from_its_sections():
    reply = Reply(kind="not_found", title="No match", summary="Nothing matches.",
                  sections=[Section(title="No match", text="Nothing matches."),
                            Section(title="Waiting", text="• one\n• two"),
                            Section(quote="the go to choice", fields=[ReplyField(name="Said by", value="Ola Berg")])],
                  links=[Link(label="A story", url="https://example.com/a")], visibility="private")
    view = views.reply_view(reply)
    assert view.summary == "No match: Nothing matches." and view.visibility == "private"
    assert [p.blocks for p in view.parts] == [
        (views.Heading("No match", "title", url="https://example.com/a"),),
        (views.Paragraph("Nothing matches."),),  # the section's title repeats the reply's: said once
        (views.Heading("Waiting"), views.Bullets((views.Item("one"), views.Item("two")))),
        (views.Quote("the go to choice"), views.Fields((views.Field("Said by", "Ola Berg"),))),
        (views.Links((views.Link("A story", "https://example.com/a"),)),),
    ]


def test_a_reply_without_sections_says_its_summary_and_a_digest_reply_is_its_digest():
    view = views.reply_view(Reply(kind="error", title="Something went wrong", summary="It broke."))
    assert view.blocks == [views.Heading("Something went wrong", "title"), views.Paragraph("It broke.")]
    digest = ferry_digest()
    reply = Reply(title="Ferry stays in service", summary="…", digest=digest, visibility="private")
    assert views.reply_view(reply) == views.digest_view(digest, visibility="private")


def test_a_notice_view():
    view = views.notice_view("The feed https://example.com/feed was paused.")
    assert view.kind == "notice" and view.blocks == [views.Paragraph("The feed https://example.com/feed was paused.")]


# The same decisions on every platform

def _terminal(digest) -> str:
    console = Console(record=True, width=400, color_system=None)
    terminal_render.print_digest(digest, console)
    return console.export_text()


def _slack(digest) -> str:
    return json.dumps([m.payload() for m in slack_render.digest_messages(digest)], ensure_ascii=False)


def _discord(digest) -> str:
    messages = discord_render.pack(discord_render.digest_embeds(digest))
    return json.dumps([e.to_dict() for m in messages for e in m.embeds], ensure_ascii=False)


@pytest.mark.parametrize("rendered", [_terminal, terminal_render.to_markdown, _slack, _discord],
                         ids=["terminal", "markdown", "slack", "discord"])
def test_every_platform_shows_the_same_decisions(rendered):
    digest = ferry_digest()
    text = rendered(digest)
    assert "Ola Berg, harbour master, Nordport Council" in text  # the one speaker line
    assert "Siri Vik, Ferry Union" in text and "likely" in text  # the less sure attribution, labelled
    assert "a stopgap" in text and "unattributed" in text  # the unattributed quote, shown and labelled
    assert f"2025-03-14 · Test Wire · by K. Lund · {digest.article.word_count:,} words" in text  # the one meta line
    assert "What was done" in text and "Action:" not in text  # the one dispute label set
    assert "Allegation" in text and "Still open" in text
    assert "No stated position in the article." in text
    assert "Quoted: Siri Vik, Ferry Union" in text  # a party's quoted speakers appear
    assert "Key quotes (3)" in text


def test_every_block_has_a_translation_on_every_platform():
    every = views.View(kind="answer", title="All", summary="all", parts=(
        views.Part("title", (views.Heading("All", "title", url="https://example.com/"),), count=0),
        views.Part("item", (views.Heading("Section"), views.Heading("Sub", "subsection"), views.Meta(("a", "b")),
                            views.Note("a note"), views.Paragraph("text", label="Label"), views.Quote("words"),
                            views.Quote("said", speaker="Ola Berg", band="low", label="low confidence"),
                            views.Bullets((views.Item("one", label="L"),)), views.Fields((views.Field("N", "v"),)),
                            views.DisputeParty("Side", None, quoted=("Ola Berg",)),
                            views.Links((views.Link("x", "https://example.com/x"),), title="+1 similar"),
                            views.Divider(), views.More(4, "items"),
                            views.Links((views.Link("y", "https://example.com/y"), views.Link("z", "https://example.com/z")))))))
    slack = json.dumps([m.payload() for m in slack_render.view_messages(every)], ensure_ascii=False)
    embeds = json.dumps([e.to_dict() for e in discord_render.view_embeds(every)], ensure_ascii=False)
    console = Console(record=True, width=200, color_system=None)
    terminal_render.print_view(every, console)
    for text in (slack, embeds, console.export_text(), terminal_render.view_markdown(every)):
        assert "…and 4 more items" in text and "Label" in text and "Ola Berg" in text and "low confidence" in text
        assert "+1 similar" in text and "Side" in text


# Layers

def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            names |= {f".{node.module or ''}"} | {f".{a.name}" for a in node.names}
    return names


def test_the_view_knows_no_platform_and_the_renderers_no_commands():
    imported = _imported(ROOT / "bot" / "views.py")
    assert imported, "bot/views.py imports nothing?"
    assert not any(name.split(".")[0] in {"adapters", "slack_sdk", "slack_bolt", "discord", "rich"} for name in imported)
    renderers = [ROOT / "adapters" / platform / "render.py" for platform in ("slack", "discord", "terminal")]
    for path in renderers:
        names = _imported(path)
        assert "bot.views" in names or "bot" in names, path  # they lay out from the view
        assert "bot.commands" not in names, path  # and take no helper from the commands


def test_one_speaker_formatter():
    """The speaker is written in one place: no renderer or command has its own."""
    commands = sorted((ROOT / "bot" / "commands").glob("*.py"))
    assert len(commands) >= 5, "the commands package moved: this test would check nothing"
    sources = [*commands, *[ROOT / "adapters" / p / "render.py" for p in ("slack", "discord", "terminal")]]
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert not defined & {"speaker_text", "speaker_label", "speaker_mrkdwn"}, path
