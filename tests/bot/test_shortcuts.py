"""The first link of a message, as "Digest this link" reads it on Slack and Discord."""

from __future__ import annotations

import pytest

from bot.commands.shortcuts import digest_invocation, first_link


@pytest.mark.parametrize(("text", "expected"), [
    ("see <https://news.example/a?b=1&amp;c=2|news.example/a> and <https://two.example/>", "https://news.example/a?b=1&c=2"),
    ("Read https://plain.example/story.", "https://plain.example/story"),
    ("(https://paren.example/p) then http://later.example/q", "https://paren.example/p"),
    ("<https://suppressed.example/x>", "https://suppressed.example/x"),
    ("**https://bold.example/y**", "https://bold.example/y"),
    ("ftp://files.example/z and nothing else", None),
    ("just words", None),
    ("", None),
])
def test_the_first_http_link_of_a_message(text, expected):
    assert first_link(text) == expected


def test_the_link_becomes_a_digest_invocation():
    invocation = digest_invocation("look: https://news.example/a")
    assert invocation is not None and (invocation.path, invocation.text("article")) == ("/digest", "https://news.example/a")
    assert digest_invocation("nothing here") is None
