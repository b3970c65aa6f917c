"""The shared analysis of one article: computed once on ParsedArticle and read by every stage."""

from __future__ import annotations

from digests import DigestEngine
from digests.clean import clean
from digests.parsed import ParsedArticle
from digests.segment import segment

ARTICLE = """Harlow Council Sues Builder Over Bridge
HARLOW, England (AP) — The Harlow council sued the builder Dalmar Works on Monday over cracks in the Mill Road bridge.
Dalmar Works denied the claims. "We built what was ordered," said Dalmar Works chief Bram Hollis.
Is the bridge safe to cross?"""


def test_the_analysis_is_computed_once_and_shared(engine: DigestEngine) -> None:
    layout = segment(clean(ARTICLE))
    parsed = ParsedArticle(layout=layout, doc=engine.nlp(layout.text))
    assert parsed.sentences is parsed.sentences
    assert parsed.mentions is parsed.mentions and parsed.quoted is parsed.quoted
    first = parsed.sentences[0]
    assert first.text.startswith("The Harlow council sued")  # the dateline is not part of it
    assert first.text == parsed.text[first.start:first.end]
    assert any(start < parsed.text.index("We built") < end for start, end in parsed.quoted)
    assert "Dalmar Works" in {m.name for m in parsed.mentions}
    digest = engine.digest(ARTICLE)
    assert digest.tldr[0].startswith("The Harlow council sued")
    assert not any(sentence.endswith("?") for sentence in digest.tldr)
    assert digest.dispute is not None
    assert [party.name for party in digest.dispute.parties][1] == "Dalmar Works"
