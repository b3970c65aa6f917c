"""The seam between the bot and its digest engine: the Engine protocol DigestService depends on,
the setting that chooses one, and the Digest model's own check of the verbatim rule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.engines import ENGINES, Engine, make_engine
from bot.errors import ConfigError
from bot.service import DigestService
from digests.models import Article, ArticleMeta, Digest, Dispute, Party, Quote
from tests.conftest import make_digest


class FirstSentenceEngine:
    """A second engine, written for this test: the TL;DR is the first sentence, nothing else. It
    needs no model, so it shows what DigestService asks of any engine."""

    name = "first-sentence"

    def __init__(self) -> None:
        self.warmed = False

    def warm_up(self) -> None:
        self.warmed = True

    def digest(self, raw_text: str, meta: ArticleMeta | None = None, checkpoint=None) -> Digest:  # noqa: ANN001
        text = raw_text.strip()
        first = text.split(". ")[0].rstrip(".") + "."
        article = Article(id="t", title=meta.title if meta else None, published=None, url=None, source=None,
                          word_count=len(text.split()), text=text)
        return Digest(article=article, tldr=[first], engine=self.name)

    def quotes(self, text: str, checkpoint=None) -> list[Quote]:  # noqa: ANN001
        return []


def test_the_service_digests_through_any_engine_it_is_given(tmp_path):
    engine = FirstSentenceEngine()
    assert isinstance(engine, Engine)
    service = DigestService(Settings(_env_file=None, data_dir=tmp_path), engine=engine)
    service.warm_up()
    assert engine.warmed
    digest = service.digest_text("The ferry runs again on Monday. The council said so.", ArticleMeta(title="Ferry"))
    assert (digest.tldr, digest.engine, digest.article.title) == (["The ferry runs again on Monday."], "first-sentence", "Ferry")
    assert service.quotes("No quotes here.") == []


def test_the_engine_setting_names_a_registered_engine_or_fails_with_one_line(tmp_path):
    assert Settings(_env_file=None, data_dir=tmp_path).engine == "offline" and "offline" in ENGINES
    service = DigestService(Settings(_env_file=None, data_dir=tmp_path, engine="gpt-in-a-box"))
    with pytest.raises(ConfigError, match=r"NEWSDIGEST_ENGINE: unknown engine 'gpt-in-a-box'; choose from offline"):
        _ = service.engine
    with pytest.raises(ConfigError):
        make_engine("")


def test_the_offline_engine_is_an_engine(engine):
    assert isinstance(engine, Engine) and engine.name == "offline"
    engine.warm_up()  # loaded when built: nothing left to do, and safe to call again


def _tampered(digest: Digest, **update: object) -> dict:
    return {**digest.model_dump(), **update}


def test_a_digest_whose_quote_is_not_the_article_text_at_its_offsets_is_refused():
    digest = make_digest([("we will reopen the bridge", "Ana Silva")], implications=["Traffic will ease."], dispute=True)
    assert Digest.model_validate(digest.model_dump()) == digest  # the rule holds for a made digest
    quote = digest.quotes[0]
    shifted = quote.model_copy(update={"start": quote.start + 1, "end": quote.end + 1})
    with pytest.raises(ValidationError, match="quote 'we will reopen the bridge' is not article.text"):
        Digest.model_validate(_tampered(digest, quotes=[shifted.model_dump()]))
    reworded = quote.model_copy(update={"text": "we will close the bridge"})
    with pytest.raises(ValidationError, match="is not article.text"):
        Digest.model_validate(_tampered(digest, quotes=[reworded.model_dump()]))
    implication = digest.implications[0].model_copy(update={"text": "Traffic will worsen."})
    with pytest.raises(ValidationError, match="implication 'Traffic will worsen.'"):
        Digest.model_validate(_tampered(digest, implications=[implication.model_dump()]))
    assert digest.dispute is not None
    party = Party(name="Ana Silva", position=None, quotes=[reworded])
    dispute = Dispute(headline="A dispute", parties=[party], allegation=None)
    with pytest.raises(ValidationError, match="party quote 'we will close the bridge'"):
        Digest.model_validate(_tampered(digest, dispute=dispute.model_dump()))
