"""Block Kit rendering: replies and digests as Slack messages, within Slack's limits, with every
character that comes from an article escaped. Pure functions: no server, no spaCy."""

from __future__ import annotations

import json
import re

import pytest

from adapters.slack import render
from bot.platforms import DigestPost
from bot.replies import Link, Reply, ReplyField, Section, usage
from digests.models import Speaker, Truncation
from tests.conftest import make_digest
from tests.fakes.slack_server import assert_within_slack_limits, texts, utf16_len

NULTY = Speaker(name="Christopher Nulty", role="spokesperson", org="Anthropic")
WONG = Speaker(name="Hannah Wong", role="Chief Communications Officer", org="OpenAI")
EVIL = "Watch out <!channel> and <@U123> — <http://evil|click> here & *now* _quick_ `rm -rf` ~gone~"


def seed_like_digest():
    return make_digest(
        [("Claude Code has become the go to choice for coders", NULTY),
         ("It is industry standard to evaluate other AI systems", WONG),
         ("an odd phrase", None)],
        title="Anthropic Cuts OpenAI Out of Access to Claude", url="https://example.com/story?a=1&b=2",
        author="A. Writer", dispute=True, implications=["Protecting IP matters more than ever."])


def payloads(messages):
    return [m.payload() for m in messages]


def test_a_digest_is_one_native_looking_message():
    [message] = payloads(render.digest_messages(digest := seed_like_digest()))
    assert_within_slack_limits(message)
    blocks = message["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Anthropic Cuts OpenAI Out of Access to Claude", "emoji": False}}
    assert blocks[1]["elements"][0]["text"] == f"2025-03-14 · Test Wire · by A. Writer · 56 words · id {digest.article.id[:8]}"  # the one meta line, with the short id
    assert blocks[2]["text"]["text"].startswith("*TL;DR*\n")
    button = blocks[3]["elements"][0]
    assert button["type"] == "button" and button["text"]["text"] == "Read the article"
    assert button["url"] == "https://example.com/story?a=1&b=2"  # a URL, not mrkdwn: left as it is
    body = "\n".join(texts(message))
    # every quote with its speaker line (name, role, organisation); the unattributed one labelled so
    assert "*Key quotes (3)*\n>“Claude Code has become the go to choice for coders”\n— *Christopher Nulty, spokesperson, Anthropic*" in body
    assert "— *Hannah Wong, Chief Communications Officer, OpenAI*" in body
    assert ">“an odd phrase”\n— _unattributed_" in body
    assert "*Implications*\n• Protecting IP matters more than ever." in body
    # the dispute, with each party's position and who of it is quoted
    assert "*Dispute: A test dispute*\n*Allegation:* One side accuses the other." in body
    assert "*What was done*\n• A complaint was filed." in body
    assert "*Christopher Nulty*\n>“Claude Code has become the go to choice for coders”" in body
    assert "Quoted: Christopher Nulty, spokesperson, Anthropic" in body
    assert "*Hannah Wong*\n>“It is industry standard to evaluate other AI systems”" in body
    assert "*Still open*\n• Who is right?" in body
    # the notification text: the title and the TL;DR, no markup
    assert message["text"].startswith("Anthropic Cuts OpenAI Out of Access to Claude — ")
    assert all(t["verbatim"] for b in blocks if b["type"] == "section" for t in [b["text"]])


def test_article_text_cannot_mention_link_or_format():
    evil_speaker = Speaker(name="Mallory <@U999>", role="*boss*", org="<!here>")
    digest = make_digest([(EVIL, evil_speaker)], title="Title <!channel> & co", intro=EVIL,
                         url="https://example.com/a", dispute=True, implications=[EVIL])
    for message in payloads(render.digest_messages(digest)):
        assert_within_slack_limits(message)
        strings = texts(message)
        raw = json.dumps(message, ensure_ascii=False)
        for s in strings:
            assert "<" not in s and ">" not in s.replace("\n>", "\n").lstrip(">"), s  # only the quote marker
            assert "`" not in s and "~" not in s, s
            assert re.search(r"&(?!amp;|lt;|gt;)", s) is None, s  # every & is an entity
        assert "<!channel>" not in raw and "<@U123>" not in raw and "<http://evil|click>" not in raw
        assert "<@U999>" not in raw and "<!here>" not in raw
        assert "&lt;!channel&gt;" in raw and "&lt;@U123&gt;" in raw and "&lt;http://evil|click&gt;" in raw
        # the article's *now* cannot bold; the bot's own bold markers stay paired
        assert "*now*" not in raw and "\u2217now\u2217" in raw
        assert "_quick_" not in raw
        for s in strings:
            assert s.count("*") % 2 == 0, s


def test_a_line_starting_with_gt_does_not_become_a_block_quote():
    text = render.escape("> not a quote\nfine\n>> nor this")
    assert not re.search(r"(?m)^&gt;", text)
    assert text.count("&gt;") == 3


def test_snake_case_and_urls_keep_their_underscores():
    assert render.escape("see my_var at https://x.com/a_b") == "see my_var at https://x.com/a_b"
    assert render.escape("_italic_ and __init__") == "\u02cditalic\u02cd and \u02cd\u02cdinit\u02cd\u02cd"


def test_clip_respects_utf16_entities_and_words():
    assert render.clip("short", 10) == "short"
    amps = render.escape("&" * 4000)
    cut = render.clip(amps, 3000)
    assert utf16_len(cut) <= 3000 and cut.endswith("…")
    assert re.fullmatch(r"(&amp;)+…", cut), cut[-20:]
    emoji = "😀" * 2000  # 4,000 UTF-16 units
    cut = render.clip(emoji, 3000)
    assert utf16_len(cut) <= 3000 and cut.endswith("…") and "\ud83d" not in cut
    words = render.clip("alpha beta gamma delta " * 200, 100)
    assert utf16_len(words) <= 100 and words.endswith("…") and not words[:-1].endswith(" ")
    assert words[:-1].split()[-1] in {"alpha", "beta", "gamma", "delta"}


def long_digest(quotes: int = 120, quote_len: int = 400):
    said = [(f"Q{i:03d} " + "words of the quote " * (quote_len // 19), Speaker(name=f"Speaker {i}", role="role", org="Org"))
            for i in range(quotes)]
    digest = make_digest(said, title="T" * 400, url="https://example.com/long", intro="Intro. " + "x" * 5000,
                         dispute=True, implications=[f"Implication {i} " + "y" * 300 for i in range(60)])
    return digest.model_copy(update={"tldr": ["Intro. " + "x" * 5000]})  # a TL;DR longer than a section


def test_a_long_digest_is_cut_cleanly_and_continues_in_the_thread():
    digest = long_digest()
    messages = payloads(render.digest_messages(digest))
    assert len(messages) > 2
    for message in messages:
        assert_within_slack_limits(message)
    first = messages[0]
    assert first["blocks"][0]["text"]["text"] == "T" * 149 + "…"  # the header, cut at 150
    assert first["blocks"][3]["type"] == "actions"  # the button to the article stays in the first message
    note = first["blocks"][-1]
    assert note["type"] == "context"
    shown = sum(t.count(">“Q") for t in texts(first["blocks"]))
    match = re.fullmatch(r"…and (\d+) more quotes, 60 more implications and 5 more parts of the dispute "
                         r"\(continued in the thread\)", note["elements"][0]["text"])
    assert match, note
    assert int(match.group(1)) == 120 - shown
    # every quote once, in order, across the first message and the thread
    seen = [m.group(1) for msg in messages for t in texts(msg["blocks"]) for m in re.finditer(r"(?m)^>“(Q\d{3})[^\n]*\n— \*Speaker", t)]
    assert seen == [f"Q{i:03d}" for i in range(120)]
    implications = [t for msg in messages for t in texts(msg["blocks"]) if "Implication" in t]
    assert sum(t.count("• *") + t.count("• Implication") for t in implications) == 60
    assert messages[1]["text"].endswith("(continued)")
    # the TL;DR was longer than a section: cut cleanly
    tldr = first["blocks"][2]["text"]["text"]
    assert tldr.startswith("*TL;DR*\nIntro. xxx") and tldr.endswith("…") and utf16_len(tldr) <= 3000


def test_without_a_thread_the_first_message_says_where_the_rest_is():
    messages = payloads(render.digest_messages(long_digest(), thread=False))
    assert len(messages) == 1
    assert_within_slack_limits(messages[0])
    note = messages[0]["blocks"][-1]["elements"][0]["text"]
    assert note.startswith("…and ") and note.endswith("(too long for one message: the article has the rest)")


def test_one_enormous_quote_is_clipped_with_its_speaker_kept():
    digest = make_digest([("z" * 10_000, NULTY)], title="Big")
    [message] = payloads(render.digest_messages(digest))
    assert_within_slack_limits(message)
    quote = next(t for t in texts(message["blocks"]) if ">“" in t)
    assert quote.endswith("— *Christopher Nulty, spokesperson, Anthropic*")
    assert "z…”" in quote


def test_a_scheduled_post_of_many_digests():
    digests = [make_digest([(f"quote {i}-{j} is here", NULTY) for j in range(6)], title=f"Story {i}",
                           url=f"https://example.com/{i}") for i in range(12)]
    post = DigestPost(title="Your morning news", digests=digests, idempotency_key="k")
    messages = payloads(render.post_messages(post))
    assert len(messages) >= 2
    for message in messages:
        assert_within_slack_limits(message)
    assert messages[0]["blocks"][0]["text"]["text"] == "Your morning news"
    assert messages[0]["text"].startswith("Your morning news — Story 0; Story 1")
    headers = [b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "header"]
    assert headers == ["Your morning news", *[f"Story {i}" for i in range(12)]]
    assert "more articles" in messages[0]["blocks"][-1]["elements"][0]["text"]


def test_replies_render_sections_fields_and_links():
    reply = Reply(title="Who said “go to choice”", summary="“…” — Christopher Nulty",
                  sections=[Section(quote="the go to choice <b>", fields=[ReplyField(name="Said by", value="Christopher Nulty"),
                                                                        ReplyField(name="In", value="A story & more")])],
                  links=[Link(label="A story", url="https://example.com/s"), Link(label="bad", url="javascript:alert(1)")],
                  visibility="private")
    [message] = payloads(render.reply_messages(reply))
    assert_within_slack_limits(message)
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "Who said “go to choice”"
    assert [e["url"] for e in blocks[1]["elements"]] == ["https://example.com/s"]  # javascript: is never a link
    assert blocks[2]["text"]["text"] == ">“the go to choice &lt;b&gt;”"
    assert [f["text"] for f in blocks[2]["fields"]] == ["*Said by*\nChristopher Nulty", "*In*\nA story &amp; more"]


def test_usage_and_errors_are_marked_and_never_empty():
    [message] = payloads(render.reply_messages(usage("Who said it?", 'Give a few words: /who-said "go to"')))
    assert message["blocks"][0]["text"]["text"] == ":information_source: *Who said it?*"
    assert message["text"] == "Who said it?: Give a few words: /who-said \"go to\""


def test_a_reply_with_too_many_sections_stays_within_one_message():
    reply = Reply(title="Many", summary="many", sections=[Section(text=f"line {i}") for i in range(80)])
    [message] = payloads(render.reply_messages(reply))
    assert_within_slack_limits(message)
    assert message["blocks"][-1]["elements"][0]["text"] == f"…and {80 - 48} more items (not shown)"


@pytest.mark.parametrize("title", ["", "   "])
def test_a_digest_without_a_title_still_has_a_header(title):
    digest = make_digest([("a quote here", NULTY)], title=title or None)
    [message] = payloads(render.digest_messages(digest))
    assert message["blocks"][0]["text"]["text"].strip()
    assert_within_slack_limits(message)


@pytest.mark.parametrize(("text", "expected"), [
    ("0 8 * * mon-fri", "0 8 * * mon-fri"),  # nothing to format: stars between spaces stay
    ("a *bold* claim", "a \u2217bold\u2217 claim"),
    ("5*3", "5\u22173"),
    ("~strike~ it", "\u223cstrike\u223c it"),
    ("code `x`", "code \u02cbx\u02cb"),
    ("my_var and _it_", "my_var and \u02cdit\u02cd"),
])
def test_formatting_characters_only_change_where_they_could_format(text, expected):
    assert render.escape(text) == expected


# The app manifest and the layers

def test_the_manifest_matches_the_app():
    from pathlib import Path

    import yaml

    from adapters.slack.app import BOT_SCOPES, COMMANDS, PLATFORM
    from bot.commands import DECLARATION

    manifest = yaml.safe_load((Path(render.__file__).parent / "manifest.yml").read_text(encoding="utf-8"))
    commands = manifest["features"]["slash_commands"]
    # The manifest's commands are the declaration's, in its order, with its descriptions and usage hints.
    declared = DECLARATION.offered(PLATFORM)
    assert [c["command"] for c in commands] == [d.name for d in declared] == list(COMMANDS)
    assert [c["description"] for c in commands] == [d.description for d in declared]
    assert [c["usage_hint"] for c in commands] == [DECLARATION.usage_hint(d, PLATFORM) for d in declared]
    assert all(c["description"] and len(c["description"]) <= 100 for c in commands)
    newsdigest = next(c["usage_hint"] for c in commands if c["command"] == "/newsdigest")
    assert all(f"{sub} " in newsdigest or newsdigest.endswith(sub) for sub in ("subscribe", "resume", "admins", "help"))
    # Only /newsdigest is escaped: `admins add @ada @editors` needs the ids Slack puts in <@U…> and <!subteam^S…>.
    assert {c["command"] for c in commands if c["should_escape"]} == {"/newsdigest"}
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["display_information"]["name"] == "newsdigest"
    # The message shortcut the app listens for.
    from adapters.slack.app import SHORTCUT_ID
    from bot.commands.shortcuts import NAME

    assert manifest["features"]["shortcuts"] == [{"name": NAME, "type": "message", "callback_id": SHORTCUT_ID,
                                                  "description": "The digest of the first link in this message, shown only to you"}]


def test_the_manifest_for_a_command_prefix_names_what_the_bot_registers():
    import yaml

    from adapters.slack.app import COMMANDS
    from adapters.slack.manifest import manifest_text
    from bot.commands.declaration import prefixed, unprefixed

    plain = yaml.safe_load(manifest_text())
    manifest = yaml.safe_load(manifest_text("nd-"))
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/nd-digest", "/nd-dispute", "/nd-who-said", "/nd-quotes", "/nd-newsdigest"]
    assert [c["command"] for c in commands] == [prefixed(name, "nd-") for name in COMMANDS]
    assert [unprefixed(c["command"], "nd-") for c in commands] == list(COMMANDS)
    # Only the names change: descriptions, usage hints and the rest are the checked manifest's.
    assert [{**c, "command": None} for c in commands] == [{**c, "command": None} for c in plain["features"]["slash_commands"]]
    assert {k: v for k, v in manifest.items() if k != "features"} == {k: v for k, v in plain.items() if k != "features"}


def test_a_digest_of_only_an_opening_says_so():
    digest = seed_like_digest()
    cut = digest.model_copy(update={"article": digest.article.model_copy(
        update={"truncated": Truncation(analysed_words=170_000, total_words=600_000)})})
    text = "\n".join(texts(payloads(render.digest_messages(cut))[0]))
    assert "Only the first 170,000 of 600,000 words were digested" in text
    assert "Only the first" not in "\n".join(texts(payloads(render.digest_messages(digest))[0]))
