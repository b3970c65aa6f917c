"""Discord rendering (adapters/discord/render.py): pure functions, checked against Discord's limits.

Every rendered message is checked with `message_problems`, the same check the local Discord server
applies (it answers 400 as Discord does), on the seed digest, on digests and replies far over every
limit, and on text with mentions and Markdown in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.discord import render
from bot.commands import digest_reply, dispute_reply
from bot.config import Settings
from bot.platforms import DigestPost
from bot.replies import Link, Reply, ReplyField, Section
from bot.service import DigestService
from bot.store import ArticleSummary
from bot.views import speaker_text
from digests.models import Speaker, Truncation
from tests.conftest import make_digest
from tests.fakes.discord_server import message_problems

SEED = Path(__file__).resolve().parents[3] / "seeds" / "anthropic-cuts-openai-claude-access.txt"
MENTIONS = "@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678>"


def payload(message: render.Message) -> dict:
    return {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}


def assert_within_limits(messages: list[render.Message]) -> None:
    assert messages
    for message in messages:
        assert message_problems(payload(message)) == []
        assert message.embed_chars == sum(len(e) for e in message.embeds) <= render.MESSAGE_EMBED_CHARS


def all_text(messages: list[render.Message]) -> str:
    """Every piece of text shown, in order, words separated by single spaces."""
    parts = []
    for message in messages:
        parts.append(message.content or "")
        for e in message.embeds:
            parts += [e.title or "", e.description or ""]
            for f in e.fields:
                parts += [f.name or "", f.value or ""]
            parts.append(e.footer.text or "")
    return " ".join(" ".join(parts).split())


def field_values(messages: list[render.Message]) -> str:
    """The field values alone, in order (a value continued over several fields reads whole)."""
    return " ".join(" ".join(f.value for m in messages for e in m.embeds for f in e.fields).split())


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seed_digest(engine, tmp_path_factory):
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("render"))
    return DigestService(settings, engine=engine).digest_source(str(SEED))


def long_words(n: int, tag: str = "w") -> str:
    return " ".join(f"{tag}{i:04d}" for i in range(n))


def huge_digest():
    """Far over every limit: a 600-character title, 40 quotes of ~1,500 characters by speakers with
    300-character names, 8 long implications, a dispute."""
    speaker = Speaker(name="Dr " + "Verylongname " * 24 + "Smith", role="spokesperson", org="Example Corp")
    quotes = [(long_words(250, f"q{n}x"), speaker) for n in range(40)]
    return make_digest(quotes, title="Headline " * 70, implications=[long_words(120, f"i{n}x") for n in range(8)],
                       dispute=True)


# Text helpers

def test_escape_makes_mentions_and_markdown_inert():
    text = f"{MENTIONS} **bold** __under__ `code` ~~gone~~ ||spoiler|| [click](https://evil.example)\n> quoted\n# Heading"
    out = render.escape(text)
    for mention in ("@everyone", "@here", "<@123456789012345678>", "<@!123456789012345678>", "<@&123456789012345678>"):
        assert mention not in out
    assert "@\u200beveryone" in out and "<@\u200b&123456789012345678>" in out
    assert r"\*\*bold\*\*" in out and r"\_\_under\_\_" in out and r"\`code\`" in out
    assert r"\~\~gone\~\~" in out and r"\|\|spoiler\|\|" in out
    assert not re.search(r"(?<!\\)\[click\]\(", out)  # no masked link an article could forge
    assert "\n\\> quoted" in out and "\n\\# Heading" in out


@pytest.mark.parametrize("limit", [10, 100, 256])
def test_shorten_cuts_at_a_word_boundary_with_an_ellipsis(limit):
    text = long_words(200)
    out = render.shorten(text, limit)
    assert len(out) <= limit and out.endswith("…")
    kept = out[:-1].split()
    assert kept and text.split()[: len(kept)] == kept  # whole words only


def test_shorten_leaves_short_text_alone_and_cuts_a_giant_word_with_an_ellipsis():
    assert render.shorten("  short title ", 256) == "short title"
    out = render.shorten("x" * 1000, 256)
    assert out == "x" * 255 + "…"


@pytest.mark.parametrize("limit", [50, 1024, 4096])
def test_split_text_keeps_every_word_and_breaks_between_words(limit):
    text = "\n\n".join(long_words(n * 37 + 11, f"p{n}x") for n in range(12))
    pieces = render.split_text(text, limit)
    assert len(pieces) > 1
    assert all(0 < len(p) <= limit for p in pieces)
    assert words(" ".join(pieces)) == words(text)  # nothing lost, no word cut


def test_split_text_prefers_paragraph_breaks():
    first, second = long_words(100, "a"), long_words(100, "b")
    assert render.split_text(f"{first}\n\n{second}", 1000) == [first, second]


def test_split_text_cuts_a_giant_word_with_an_ellipsis():
    pieces = render.split_text("start " + "y" * 3000 + " end", 1024)
    assert all(len(p) <= 1024 for p in pieces)
    assert [p for p in pieces if not p.endswith("…")][-1].endswith("end")
    assert pieces[0] == "start"  # broken before the giant word, not inside it
    assert pieces[1] == "y" * 1023 + "…"


def test_nonce_is_stable_per_post_and_message_and_fits_discord():
    a0, a1, b0 = render.nonce("slot-2025-08-03T08:00/42", 0), render.nonce("slot-2025-08-03T08:00/42", 1), render.nonce("other", 0)
    assert a0 == render.nonce("slot-2025-08-03T08:00/42", 0)
    assert len({a0, a1, b0}) == 3
    assert all(len(n) == render.NONCE == 25 for n in (a0, a1, b0))


def test_article_choices_fit_autocomplete_limits():
    articles = [ArticleSummary(id=f"{n:016x}", title="A very long title " * 20, published="2025-08-03", url=None,
                               source="Wire @everyone") for n in range(40)]
    choices = render.article_choices(articles)
    assert len(choices) == 25
    assert all(len(c.name) <= 100 and c.name.endswith("…") and len(c.value) <= 100 for c in choices)
    assert choices[0].value == "0000000000000000"
    assert all("@everyone" not in c.name for c in choices)


# Digests

def test_seed_digest_layout(seed_digest):
    embeds = render.digest_embeds(seed_digest)
    first = embeds[0]
    assert first.title == seed_digest.article.title
    assert first.description.startswith("**TL;DR**\n")
    assert words(render.escape(seed_digest.tldr[0])) in words(first.description)
    assert first.description.endswith(f"**Key quotes ({len(seed_digest.quotes)})**")
    said = [f.name for f in first.fields]
    assert said[0] == "Christopher Nulty, spokesperson, Anthropic"
    assert "Jared Kaplan, Chief Science Officer, Anthropic" in said
    # a less sure attribution says so, in the one wording every platform uses
    assert "Anthropic, commercial terms · likely" in said
    assert len(said) == len(seed_digest.quotes)
    assert first.footer.text == f"2025-08-03 · anthropic-cuts-openai-claude-access.txt · 622 words · id {seed_digest.article.id[:8]}"  # the one meta line
    dispute = [e for e in embeds if (e.title or "").startswith("Dispute: ")]
    assert len(dispute) == 1
    assert [f.name for f in dispute[0].fields] == ["Anthropic", "OpenAI"]
    assert "**What was done**\n• Anthropic" in dispute[0].description  # not "Action:"
    openai = dispute[0].fields[1].value
    assert openai.startswith("“It's industry standard") and openai.endswith("\nQuoted: Hannah Wong, Chief Communications Officer, OpenAI")
    messages = render.pack(embeds)
    assert len(messages) == 1
    assert_within_limits(messages)


def test_an_unattributed_quote_is_shown_labelled():
    digest = make_digest([("we will keep the ferry running", Speaker(name="Ola Berg")), ("a stopgap", None)], title="Ferry")
    names = [f.name for e in render.digest_embeds(digest) for f in e.fields]
    assert names == ["Ola Berg", "unattributed"]


def test_huge_digest_is_split_within_every_limit_and_nothing_is_lost():
    digest = huge_digest()
    embeds = render.digest_embeds(digest)
    messages = render.pack(embeds)
    assert len(messages) > 2
    assert_within_limits(messages)
    assert sum(len(m.embeds) for m in messages) == len(embeds)
    values = field_values(messages)
    for q in digest.quotes:
        assert f"“{words(q.text)}”" in values  # every quote whole, across continued fields
    shown = all_text(messages)
    for i in digest.implications:
        assert words(i.text) in shown
    assert embeds[0].title.endswith("…") and len(embeds[0].title) <= 256
    names = {f.name for e in embeds for f in e.fields}
    assert all(len(n) <= 256 for n in names)
    assert any(n.endswith("(continued)") for n in names)


def test_digest_text_is_escaped_everywhere():
    digest = make_digest([(f"Ping {MENTIONS} and **shout**", "Eve <@123456789012345678>")],
                         title="Breaking @everyone **news**", intro=f"Breaking @everyone **news**. {MENTIONS} in the intro.")
    messages = render.pack(render.digest_embeds(digest))
    text = all_text(messages)
    for mention in ("@everyone", "@here", "<@123456789012345678>", "<@&123456789012345678>"):
        assert mention not in text
    assert r"\*\*shout\*\*" in text and r"\*\*news\*\*" in text


def test_post_messages_carry_the_title_and_every_digest(seed_digest):
    post = DigestPost(title="Morning digest for @everyone", digests=[seed_digest, huge_digest(), seed_digest],
                      idempotency_key="k")
    messages = render.post_messages(post)
    assert_within_limits(messages)
    assert messages[0].content == "Morning digest for @\u200beveryone"
    assert all(m.content is None for m in messages[1:])
    titles = [e.title for m in messages for e in m.embeds if e.title == seed_digest.article.title]
    assert len(titles) == 2


def test_pack_respects_ten_embeds_and_6000_characters():
    builder_embeds = [render.discord.Embed(description="x" * 1000) for _ in range(30)]
    messages = render.pack(builder_embeds)
    assert [len(m.embeds) for m in messages] == [6] * 5
    small = render.pack([render.discord.Embed(description="y") for _ in range(23)])
    assert [len(m.embeds) for m in small] == [10, 10, 3]


# Replies

def test_who_said_style_reply_puts_each_match_in_its_own_embed():
    sections = [Section(quote=f"Quote number {n} @everyone", fields=[ReplyField(name="Said by", value=f"Person {n}"),
                                                                    ReplyField(name="In", value="An article")])
                for n in range(3)]
    reply = Reply(title="Who said “quote”", summary="…", sections=sections,
                  links=[Link(label="A [story]", url="https://example.com/a"), Link(label="B", url="https://example.com/b")])
    embeds = render.reply_embeds(reply)
    assert embeds[0].title == "Who said “quote”" and embeds[0].url == "https://example.com/a"
    assert [e.description for e in embeds[:3]] == [f"> Quote number {n} @\u200beveryone" for n in range(3)]
    assert [f.value for f in embeds[1].fields] == ["Person 1", "An article"]
    assert embeds[-1].fields[-1].name == "Links"
    assert embeds[-1].fields[-1].value == "[A (story)](https://example.com/a)\n[B](https://example.com/b)"


def test_a_reply_far_over_the_limits_is_split_cleanly():
    sections = [Section(title="T" * 400, text=long_words(900, f"s{n}x"), quote=long_words(300, f"q{n}x"),
                        fields=[ReplyField(name="N" * 300, value=long_words(400, f"f{n}x")) for _ in range(30)])
                for n in range(3)]
    reply = Reply(kind="not_found", title="Title " * 100, summary="s", sections=sections,
                  links=[Link(label="x", url="not a url")])
    messages = render.reply_messages(reply)
    assert_within_limits(messages)
    shown, values = all_text(messages), field_values(messages)
    for s in sections:
        assert words(s.text) in shown and words(s.quote) in shown
        assert all(words(f.value) in values for f in s.fields)
    assert all(e.colour.value == render.COLOURS["not_found"] for m in messages for e in m.embeds)
    assert messages[0].embeds[0].url is None  # an invalid URL is never sent


def test_a_reply_without_sections_shows_its_summary():
    embeds = render.reply_embeds(Reply(kind="error", title="Something went wrong", summary="It broke @here."))
    assert [(e.title, e.description) for e in embeds] == [("Something went wrong", "It broke @\u200bhere.")]


def test_digest_and_dispute_replies_from_bot_commands(seed_digest):
    summary = ArticleSummary(id=seed_digest.article.id, title=seed_digest.article.title, published="2025-08-03",
                             url="https://example.com/story", source="Wire")
    reply = digest_reply(seed_digest, summary)
    assert render.reply_embeds(reply)[0].title == seed_digest.article.title  # laid out from reply.digest
    dispute = render.reply_embeds(dispute_reply(seed_digest, summary))
    assert dispute[0].title == render.escape(seed_digest.dispute.headline)
    assert dispute[0].url == "https://example.com/story"
    shown = all_text(render.pack(dispute))
    assert "Anthropic" in shown and "OpenAI" in shown
    assert speaker_text(seed_digest.quotes[0].speaker) in shown


def test_a_digest_of_only_an_opening_says_so():
    digest = make_digest([("we will keep the ferry running all winter", Speaker(name="Ola Berg"))], title="Ferry")
    cut = digest.model_copy(update={"article": digest.article.model_copy(
        update={"truncated": Truncation(analysed_words=170_000, total_words=600_000)})})
    messages = render.pack(render.digest_embeds(cut))
    assert_within_limits(messages)
    assert "Only the first 170,000 of 600,000 words were digested" in all_text(messages)
    assert "Only the first" not in all_text(render.pack(render.digest_embeds(digest)))
