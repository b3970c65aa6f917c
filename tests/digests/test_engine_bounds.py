"""Every digest ends, and its cost follows the text's length: the conflict word under a non-verb
root, long texts parsed in pieces with their offsets intact, the opening of an over-long text, the
caller's checkpoint, and the look-ups the stages make once per quote or mention (answered by an
index, checked here against what a plain scan answers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests import DigestEngine
from digests.dispute import _governor
from digests.engine import MAX_INPUT_CHARS
from digests.entities import SpeakerIndex, _occurrences, same_person
from digests.errors import ArticleError
from digests.models import Quote, Speaker
from digests.nlp import MAX_CHARS, PIECE_CHARS, parse_text, pieces
from digests.quote_spans import inside_quote as _inside_quote
from digests.quotes import QuoteSpan
from digests.segment import segment
from digests.tokens import ent_of as _ent_of
from tests.helpers.articles import PARAGRAPHS, long_article
from tests.helpers.cli import run as run_cli

# 39 words; the middle sentence has no verb: its root is the conflict word itself.
RIVALS = ("Norvik Labs and Pell Systems have built rival farm drones for a decade, and both sell spare parts "
          "to growers. A copyright lawsuit against Pell Systems by Norvik Labs. Observers expect the two firms "
          "to keep fighting next year.\n")

def test_the_39_word_text_is_what_used_to_hang(engine: DigestEngine) -> None:
    assert len(RIVALS.split()) == 39
    doc = engine.nlp(RIVALS)
    lawsuit = next(t for t in doc if t.lower_ == "lawsuit")
    # The case the old walk never left: a conflict word that is its sentence's root and no verb.
    assert lawsuit.head.i == lawsuit.i and lawsuit.pos_ not in {"VERB", "AUX"}
    assert _governor(lawsuit).i == lawsuit.i
    digest = engine.digest(RIVALS)
    assert digest.article.word_count == 39
    assert all(t in RIVALS for t in digest.tldr)


@pytest.mark.slow
def test_newsdigest_digest_of_the_39_word_text_returns(tmp_path: Path) -> None:
    path = tmp_path / "rivals.txt"
    path.write_text(RIVALS, encoding="utf-8")
    result = run_cli("digest", str(path))
    assert result.returncode == 0, result.stderr.decode()
    assert "Norvik Labs" in result.stdout.decode()


def test_pieces_join_back_and_respect_the_limit() -> None:
    text = long_article(9000)
    parts = pieces(text, 5000)
    assert "".join(parts) == text
    assert len(parts) > 1 and all(len(p) <= 5000 for p in parts)
    # paragraph boundaries are preferred: every piece but the last ends after a blank line
    assert all(p.endswith("\n\n") for p in parts[:-1])
    wall = "Ships wait. " * 2000  # one paragraph, longer than a piece: cut after sentences
    parts = pieces(wall, 5000)
    assert "".join(parts) == wall and all(p.endswith(". ") for p in parts[:-1])
    solid = "x" * 12_000  # nothing to cut at: cut at the limit, still nothing lost
    assert [len(p) for p in pieces(solid, 5000)] == [5000, 5000, 2000]


def test_a_long_text_parsed_in_pieces_keeps_every_offset(engine: DigestEngine) -> None:
    text = segment(long_article(2 * PIECE_CHARS // 5)).text
    assert len(text) > PIECE_CHARS
    whole = engine.nlp(text)
    joined = parse_text(engine.nlp, text)
    assert joined.text == text
    assert [(t.idx, t.text) for t in joined] == [(t.idx, t.text) for t in whole]
    assert all(text[e.start_char:e.end_char] == e.text for e in joined.ents)
    # a dependency never crosses from one piece into another: every head is in its token's sentence
    assert all(t.head.sent.start == t.sent.start for t in joined)


def test_a_long_article_digest_is_verbatim(engine: DigestEngine) -> None:
    digest = engine.digest(long_article(6000))
    text = digest.article.text
    assert len(text) > PIECE_CHARS and digest.article.truncated is None
    assert len(digest.quotes) > 50
    for quote in digest.quotes:
        assert quote.text == text[quote.start:quote.end]
    assert any(q.speaker is not None and q.speaker.name == "Ines Vermeer" for q in digest.quotes)
    assert all(sentence in text for sentence in digest.tldr)
    assert {"Ines Vermeer", "Bram Hollis", "Dalmar Works"} <= {e.name for e in digest.entities}


def test_a_wall_of_text_with_many_quotes_digests(engine: DigestEngine) -> None:
    # No line breaks at all: one paragraph of about 15,000 words, hundreds of quotes in it.
    wall = " ".join(f"{PARAGRAPHS[n % len(PARAGRAPHS)]}" for n in range(700))
    digest = engine.digest(wall)
    assert len(digest.quotes) > 300
    assert all(q.text == digest.article.text[q.start:q.end] for q in digest.quotes)


def test_an_over_long_text_is_digested_up_to_the_limit_and_says_so(engine: DigestEngine) -> None:
    small = DigestEngine(engine.nlp, max_chars=4000, max_input_chars=40_000)
    text = long_article(3000)
    digest = small.digest(text)
    article = digest.article
    assert article.truncated is not None
    assert len(article.text) <= 4000
    assert article.truncated.analysed_words == article.word_count == len(article.text.split())
    assert article.truncated.total_words == len(text.split()) > article.word_count
    assert article.title == "Ostend Ferry Terminal Opens After Long Delays"
    assert text.split("\n\n", 1)[1].startswith(article.text)  # the opening, cut after a paragraph
    assert article.text.endswith(".)")
    assert all(q.text == article.text[q.start:q.end] for q in digest.quotes)
    assert small.digest(long_article(300)).article.truncated is None
    with pytest.raises(ArticleError, match=r"too long to digest \(4\d,\d{3} characters; the limit is 40,000\)"):
        small.digest(long_article(7000))


def test_the_default_limits_are_the_documented_ones() -> None:
    assert MAX_CHARS == 1_000_000 and MAX_INPUT_CHARS == 5_000_000


def test_the_checkpoint_is_called_and_can_stop_a_digest(engine: DigestEngine) -> None:
    calls: list[int] = []
    engine.digest(long_article(300), checkpoint=lambda: calls.append(1))
    short_calls = len(calls)
    assert short_calls >= 3  # between the steps

    class Stop(Exception):
        pass

    def stop_after_two() -> None:
        calls.append(1)
        if len(calls) > short_calls + 2:
            raise Stop

    with pytest.raises(Stop):
        engine.digest(long_article(8000), checkpoint=stop_after_two)  # stops among the pieces


def test_ent_of_answers_what_a_scan_of_the_entities_answers(engine: DigestEngine) -> None:
    doc = engine.nlp(" ".join(PARAGRAPHS))
    ents = list(doc.ents)
    assert ents
    for token in doc:
        expected = next(((e.start, e.end, e.label_) for e in ents if e.start <= token.i < e.end), None)
        found = _ent_of(token)
        assert (None if found is None else (found.start, found.end, found.label_)) == expected


def test_inside_quote_answers_what_a_scan_answers() -> None:
    spans = [QuoteSpan(11, 20, 10, 21, 0, True), QuoteSpan(41, 50, 40, 51, 0, True), QuoteSpan(71, 90, 70, 95, 1, False)]
    for idx in range(100):
        assert _inside_quote(idx, spans) == any(s.open <= idx < s.close + 1 for s in spans), idx
    assert not _inside_quote(5, [])


def test_layout_block_at_finds_the_block() -> None:
    layout = segment("Port Deal Signed\n\nFirst paragraph here.\n\nSecond one, a little longer.\n\nThird.")
    for block in layout.blocks:
        assert layout.block_at(block.start) == block and layout.block_at(block.end - 1) == block
    assert layout.block_at(layout.blocks[0].end) is None  # the blank line between blocks
    assert layout.block_at(len(layout.text) + 5) is None


def _quote(name: str, role: str | None = None, org: str | None = None, kind: str = "person") -> Quote:
    return Quote(text="x", start=0, end=1, speaker=Speaker(name=name, role=role, org=org, kind=kind),  # type: ignore[arg-type]
                 kind="direct", confidence=0.9)


def test_speaker_index_prefers_a_speaker_with_a_role_like_the_scan_did() -> None:
    quotes = [_quote("Ines Vermeer"), _quote("Vermeer", role="director", org="Ostend port"),
              _quote("Dalmar Works", kind="organisation"), _quote("Bram Hollis", org="Dalmar Works")]
    index = SpeakerIndex(quotes)
    assert index.speaker_for("Ines Vermeer") == Speaker(name="Vermeer", role="director", org="Ostend port")
    assert index.speaker_for("vermeer") is not None  # case does not matter, as in same_person
    assert index.speaker_for("Hollis").org == "Dalmar Works"
    assert index.speaker_for("Dalmar Works") is None  # organisations are not people
    assert index.speaker_for("Anna Hollis") is None  # another person with the same surname
    assert same_person("Hollis", "Bram Hollis") and not same_person("Anna Hollis", "Bram Hollis")


def test_occurrences_finds_whole_names_outside_headings() -> None:
    text = "Bram Hollis spoke. Bram Hollisson did not. O'Neil agreed with Bram Hollis.\nBram Hollis"
    heading = (text.index("\n") + 1, len(text))
    found = _occurrences(text, {"Bram Hollis", "O'Neil", "Ines"}, [heading])
    assert found == {"Bram Hollis": [0, text.index("with Bram") + 5], "O'Neil": [text.index("O'Neil")], "Ines": []}


def test_the_terminal_says_when_only_the_opening_was_digested(engine: DigestEngine) -> None:
    from rich.console import Console

    from adapters.terminal.render import print_digest, to_markdown

    digest = DigestEngine(engine.nlp, max_chars=4000).digest(long_article(3000))
    cut = digest.article.truncated
    assert cut is not None
    note = f"Only the first {cut.analysed_words:,} of {cut.total_words:,} words were digested"
    assert note in to_markdown(digest)
    console = Console(record=True, width=200, color_system=None)
    print_digest(digest, console)
    assert note in console.export_text()
    whole = engine.digest(long_article(300))
    assert "were digested" not in to_markdown(whole)
