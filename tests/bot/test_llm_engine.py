"""The llm engine against a local OpenAI-compatible server (tests/fakes/openai_server.py): the real
`openai` client over real HTTP, answers scripted. Each case ends in the grounded digest (the model's
checked items, citing the article) or the offline digest, marked."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.engines import Engine, ModelEvent, make_engine
from bot.errors import ConfigError
from bot.llm import LLMEngine, retry_after
from bot.metrics import Metrics
from bot.service import DigestService
from bot.views import OFFLINE_FALLBACK, SOURCE, Note, digest_view
from digests.grounding import SUGGESTED_CONFIDENCE, Answer, unsupported
from digests.models import ArticleMeta, Digest
from tests.fakes.openai_server import (
    FakeOpenAI,
    Scripted,
    completion,
    error,
    paraphrase_answer,
    quote_ids,
    sentence_ids,
)
from tests.helpers.cli import run

# An article written for these tests: two named parties, numbers, a day and a month, two attributed
# quotes and one the rules leave unattributed.
ARTICLE = """Harbour ferry to resume after strike

The Wellington harbour ferry will resume on Monday after a two-week strike by its crews, the operator Harbourline said on Friday.

About 4,000 commuters use the ferry each day, and the strike forced many of them onto crowded buses.

"We are relieved that the crews are coming back," said Mara Tane, the chief executive of Harbourline.

The crews' union, Maritime Workers United, said its members had accepted a pay rise of 6 percent.

"This deal is fair, but it came too late," union secretary Joe Pillay told reporters.

Harbourline accused the union of walking out without notice, which the union denies. Pillay said the crews had given the required notice in writing.

Ana Reti has taken the morning ferry for ten years, and she spent the strike on buses.

Passengers who spoke to reporters were less patient. "Two weeks of standing in the rain is not a small thing."

The council will review the ferry contract in March.
"""
META = ArticleMeta(title="Harbour ferry to resume after strike")


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_llm(engine, fake_openai, tmp_path) -> Callable[..., LLMEngine]:
    """An llm engine on the session's offline engine, pointed at the fake server."""
    def build(**settings: Any) -> LLMEngine:
        values = {"engine": "llm", "llm_base_url": fake_openai.base_url, "llm_model": "fake-model",
                  "llm_api_key": "sk-test", "llm_timeout": 5.0, **settings}
        return LLMEngine(Settings(_env_file=None, data_dir=tmp_path, **values), offline=engine)
    return build


@pytest.fixture
def offline(engine) -> Digest:
    return engine.digest(ARTICLE, META)


def _sid(prompt: str, opening: str) -> int:
    return next(i for text, i in sentence_ids(prompt).items() if text.startswith(opening))


def _qid(prompt: str, opening: str) -> int:
    return next(i for text, i in quote_ids(prompt).items() if text.startswith(opening))


def good_answer(prompt: str) -> dict[str, Any]:
    """What a careful model answers: its own words, citing the sentences that hold them."""
    s = lambda opening: _sid(prompt, opening)  # noqa: E731
    return {
        "tldr": [
            {"text": "Wellington's harbour ferry resumes on Monday after a two-week strike, Harbourline said.",
             "sentences": [s("The Wellington harbour")]},
            {"text": "Maritime Workers United members accepted a 6 percent pay rise.", "sentences": [s("The crews' union")]},
        ],
        "implications": [{"text": "Commuters will no longer need the crowded buses.",
                          "sentences": [s("About 4,000"), s("The Wellington harbour")]}],
        "dispute": {
            "headline": {"text": "Harbourline and the union disagree over notice", "sentences": [s("Harbourline accused")]},
            "allegation": {"text": "Harbourline says the union walked out without notice.", "sentences": [s("Harbourline accused")]},
            "actions": [],
            "parties": [
                {"name": "Harbourline", "position": {"text": "Harbourline says the union gave no notice.",
                                                     "sentences": [s("Harbourline accused")]},
                 "quotes": [_qid(prompt, "We are relieved")]},
                {"name": "Maritime Workers United", "position": {"text": "Pillay says the crews gave notice in writing.",
                                                                 "sentences": [s("Pillay said")]},
                 "quotes": [_qid(prompt, "This deal")]},
            ]},
        "speakers": [{"quote": _qid(prompt, "Two weeks"), "speaker": "Ana Reti", "sentences": [s("Ana Reti")]}],
    }


def answering(build: Callable[[dict[str, Any]], Any], **usage: int) -> Callable[[dict[str, Any]], Scripted]:
    """A responder whose chat.completion content is `build(good_answer)` as JSON (a str as it is)."""
    def respond(request: dict[str, Any]) -> Scripted:
        prompt = next(m["content"] for m in request["messages"] if m["role"] == "user")
        content = build(good_answer(prompt))
        return Scripted(body=completion(content if isinstance(content, str) else json.dumps(content), **usage))
    return respond


GOOD = answering(lambda answer: answer)


def assert_grounded(digest: Digest, offline: Digest) -> None:
    """The model's answer was used, and nothing in it goes beyond the article."""
    g = digest.grounding
    assert g is not None and g.fallback is None and digest.engine.startswith("newsdigest-llm/")
    assert Digest.model_validate(digest.model_dump()).tldr == digest.tldr  # the verbatim rule holds
    text = digest.article.text
    # Quotes are the offline engine's, at the same offsets; attributed speakers unchanged.
    assert [(q.text, q.start, q.end) for q in digest.quotes] == [(q.text, q.start, q.end) for q in offline.quotes]
    for mine, theirs in zip(digest.quotes, offline.quotes):
        assert text[mine.start:mine.end] == mine.text
        if theirs.speaker is not None:
            assert mine.speaker == theirs.speaker
    for claim in [*g.tldr, *g.implications, *g.dispute]:
        assert all(text[s.start:s.end] == s.text for s in claim.sources)
        if claim.kind == "abstractive":
            assert unsupported(claim.text, claim.sources) == []
        else:
            assert claim.text in [s.text for s in claim.sources]


def assert_offline(digest: Digest, offline: Digest, reason: str) -> None:
    g = digest.grounding
    assert g is not None and g.fallback is not None and re.search(reason, g.fallback), g
    assert digest.engine.endswith("offline fallback)")
    assert (digest.tldr, digest.quotes, digest.implications, digest.dispute) == (
        offline.tldr, offline.quotes, offline.implications, offline.dispute)
    assert Note(OFFLINE_FALLBACK) in digest_view(digest).blocks


# The matrix of the issue ---------------------------------------------------------------------------

def test_a_good_answer_gives_the_grounded_digest(make_llm, fake_openai, offline):
    fake_openai.script(GOOD)
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    g = digest.grounding
    assert g is not None and (g.replaced, g.dropped) == (0, 0)
    assert [c.kind for c in g.tldr] == ["abstractive", "abstractive"]
    assert digest.tldr[1] == "Maritime Workers United members accepted a 6 percent pay rise."
    assert g.tldr[1].sources[0].text.startswith("The crews' union, Maritime Workers United")
    # The implication shown is the model's wording; the Implication kept is the sentence it cites.
    assert [c.text for c in g.implications] == ["Commuters will no longer need the crowded buses."]
    assert digest.implications[0].text.startswith("About 4,000 commuters")
    # The unattributed quote gets the suggested speaker, labelled low confidence.
    suggested = [q for q in digest.quotes if q.text.startswith("Two weeks")][0]
    assert suggested.speaker is not None and suggested.speaker.name == "Ana Reti"
    assert suggested.confidence == SUGGESTED_CONFIDENCE and suggested.confidence_band == "low"
    assert digest.dispute is not None and [p.name for p in digest.dispute.parties] == ["Harbourline", "Maritime Workers United"]
    assert [q.text for q in digest.dispute.parties[1].quotes] == ["This deal is fair, but it came too late"]
    # A position is shown in quote marks: it is the article's sentence, never the model's wording.
    assert digest.dispute.parties[1].position == "Pillay said the crews had given the required notice in writing."
    assert digest.dispute.allegation == "Harbourline says the union walked out without notice."
    # What went out: the schema as structured output, the key, numbered sentences and quotes.
    request = fake_openai.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["schema"] == Answer.model_json_schema()
    assert request["model"] == "fake-model" and fake_openai.headers[0]["authorization"] == "Bearer sk-test"
    assert "[1] The Wellington harbour ferry will resume" in fake_openai.prompt()
    assert "\u201cThis deal is fair, but it came too late\u201d \u2014 Joe Pillay" in fake_openai.prompt()


def test_sources_are_shown_on_demand(make_llm, fake_openai):
    fake_openai.script(GOOD)
    digest = make_llm().digest(ARTICLE, META)
    plain = [b.text for b in digest_view(digest).blocks if isinstance(b, Note)]
    notes = [b.text for b in digest_view(digest, sources=True).blocks if isinstance(b, Note)]
    assert not any(n.startswith(SOURCE) for n in plain)
    assert f"{SOURCE}: \u201cThe crews' union, Maritime Workers United, said its members had accepted a pay rise of 6 percent.\u201d" in notes


def test_a_hallucinated_quote_is_never_shown(make_llm, fake_openai, offline):
    def invent(answer: dict[str, Any]) -> dict[str, Any]:
        answer["tldr"][0]["text"] = 'Harbourline said "the strike cost us millions" on Friday.'
        answer["dispute"]["parties"][0]["quotes"] = [99]  # a quote that does not exist
        return answer
    fake_openai.script(answering(invent))
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    assert "cost us millions" not in digest.model_dump_json()
    assert digest.tldr[0] == offline.article.text[digest.grounding.tldr[0].sources[0].start:
                                                  digest.grounding.tldr[0].sources[0].end]
    assert digest.grounding.tldr[0].kind == "extractive" and digest.grounding.replaced == 1
    # The party citing quote 99 is dropped; one party is no dispute: the offline one (none) stays.
    assert digest.grounding.dropped == 1 and digest.dispute == offline.dispute


def test_a_hallucinated_speaker_is_dropped(make_llm, fake_openai, offline):
    def invent(answer: dict[str, Any]) -> dict[str, Any]:
        answer["speakers"][0]["speaker"] = "Peter Smith"  # named nowhere in the article
        answer["speakers"].append({"quote": 1, "speaker": "Joe Pillay", "sentences": [1]})  # quote 1 has its speaker
        return answer
    fake_openai.script(answering(invent))
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    assert digest.quotes == offline.quotes and digest.grounding.speakers == []
    assert [q.speaker for q in digest.quotes if q.text.startswith("Two weeks")] == [None]
    assert digest.grounding.dropped == 2


def test_a_speaker_named_far_from_the_quote_is_dropped(make_llm, fake_openai, offline):
    def far(answer: dict[str, Any]) -> dict[str, Any]:
        answer["speakers"][0]["speaker"] = "Mara Tane"  # in the article, but paragraphs away
        return answer
    fake_openai.script(answering(far))
    digest = make_llm().digest(ARTICLE, META)
    assert digest.grounding.speakers == [] and digest.quotes == offline.quotes


def test_a_number_or_date_not_in_the_cited_sentence_gives_the_extractive_sentence(make_llm, fake_openai, offline):
    def numbers(answer: dict[str, Any]) -> dict[str, Any]:
        answer["tldr"][0]["text"] = "About 5,000 commuters rode the ferry each day."  # the article says 4,000
        answer["tldr"][0]["sentences"] = [_sid(fake_openai.prompt(), "About 4,000")]
        answer["tldr"][1]["text"] = "Union members accepted a 6 percent rise on Tuesday."  # no Tuesday there
        return answer
    fake_openai.script(answering(numbers))
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    assert digest.tldr == [
        "About 4,000 commuters use the ferry each day, and the strike forced many of them onto crowded buses.",
        "The crews' union, Maritime Workers United, said its members had accepted a pay rise of 6 percent."]
    assert [c.kind for c in digest.grounding.tldr] == ["extractive", "extractive"] and digest.grounding.replaced == 2


def test_a_cited_id_out_of_range_drops_the_item(make_llm, fake_openai, offline):
    def out_of_range(answer: dict[str, Any]) -> dict[str, Any]:
        answer["tldr"][1]["sentences"] = [999]
        answer["implications"][0]["sentences"] = [0]
        return answer
    fake_openai.script(answering(out_of_range))
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    assert len(digest.tldr) == 1 and digest.grounding.implications == [] and digest.grounding.dropped == 2
    assert digest.implications == offline.implications


def test_every_tldr_sentence_dropped_gives_the_offline_digest(make_llm, fake_openai, offline, caplog):
    def nothing_left(answer: dict[str, Any]) -> dict[str, Any]:
        for item in answer["tldr"]:
            item["sentences"] = [999]
        return answer
    fake_openai.script(answering(nothing_left))
    with caplog.at_level(logging.WARNING, logger="bot.llm"):
        digest = make_llm().digest(ARTICLE, META)
    assert_offline(digest, offline, "every TL;DR sentence was dropped")
    assert any("offline digest" in r.getMessage() and offline.article.id in r.getMessage() for r in caplog.records)


def test_malformed_json_is_asked_for_once_more(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(body=completion('{"tldr": [{"text": "The ferry')), GOOD)
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    assert len(fake_openai.requests) == 2
    reask = fake_openai.requests[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": '{"tldr": [{"text": "The ferry'}
    assert "not valid JSON of the schema" in reask[-1]["content"]


def test_malformed_json_twice_gives_the_offline_digest(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(body=completion("Sure! Here is the summary you asked for.")),
                       Scripted(body=completion("{not json")))
    digest = make_llm().digest(ARTICLE, META)
    assert_offline(digest, offline, "did not match the schema twice")
    assert len(fake_openai.requests) == 2


def test_a_schema_violation_twice_gives_the_offline_digest(make_llm, fake_openai, offline):
    def with_quotes(answer: dict[str, Any]) -> dict[str, Any]:
        answer["quotes"] = [{"text": "a quote the article does not have", "speaker": "Joe Pillay"}]  # not in the schema
        return answer
    def no_citations(answer: dict[str, Any]) -> dict[str, Any]:
        answer["tldr"] = ["A TL;DR without its citations."]
        return answer
    fake_openai.script(answering(with_quotes), answering(no_citations))
    digest = make_llm().digest(ARTICLE, META)
    assert_offline(digest, offline, "did not match the schema twice")
    assert "quotes" in fake_openai.requests[1]["messages"][-1]["content"]  # the re-ask says what was wrong


def test_a_429_is_retried_once_after_its_retry_after(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(429, error(429, "slow down", "rate_limit_error"), headers={"Retry-After": "0.2"}), GOOD)
    digest = make_llm().digest(ARTICLE, META)
    assert_grounded(digest, offline)
    assert len(fake_openai.requests) == 2


def test_a_429_again_after_its_retry_after_gives_the_offline_digest(make_llm, fake_openai, offline):
    limited = Scripted(429, error(429, "slow down", "rate_limit_error"), headers={"Retry-After": "0.1"})
    fake_openai.script(limited, limited, GOOD)
    digest = make_llm().digest(ARTICLE, META)
    assert_offline(digest, offline, r"too many requests \(429\) again")
    assert len(fake_openai.requests) == 2


def test_a_retry_after_longer_than_the_timeout_is_not_waited_for(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(429, error(429, "slow down", "rate_limit_error"), headers={"Retry-After": "3600"}))
    digest = make_llm(llm_timeout=2).digest(ARTICLE, META)
    assert_offline(digest, offline, r"429")
    assert len(fake_openai.requests) == 1


def test_a_500_gives_the_offline_digest(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(500, error(500, "the model crashed")))
    digest = make_llm().digest(ARTICLE, META)
    assert_offline(digest, offline, "answered 500")
    assert len(fake_openai.requests) == 1  # no retry of a 5xx: the offline digest at once


def test_a_slow_answer_past_the_timeout_gives_the_offline_digest(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(body=completion("{}"), delay=10))
    digest = make_llm(llm_timeout=0.5).digest(ARTICLE, META)
    assert_offline(digest, offline, r"did not answer within 0\.5 s")


def test_an_unreachable_server_gives_the_offline_digest(engine, tmp_path, offline):
    settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url="http://127.0.0.1:9/v1",
                        llm_model="m", llm_timeout=2)
    digest = LLMEngine(settings, offline=engine).digest(ARTICLE, META)
    assert_offline(digest, offline, "cannot be reached")


# JSON mode, cache, concurrency, cost -------------------------------------------------------------------

def test_a_server_without_structured_output_is_asked_in_json_mode(engine, tmp_path, offline):
    server = FakeOpenAI(refuse_json_schema=True).start()
    try:
        server.script(GOOD)
        settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url=server.base_url,
                            llm_model="fake-model")
        llm = LLMEngine(settings, offline=engine)
        digest = llm.digest(ARTICLE, META)
        assert_grounded(digest, offline)
        assert [r["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object"]
        assert '"SpeakerAnswer"' in server.requests[1]["messages"][0]["content"]  # the schema is in the instructions
    finally:
        server.stop()


def test_answers_are_cached_by_article_and_model(make_llm, fake_openai, offline):
    fake_openai.script(answering(lambda a: a, prompt_tokens=900, completion_tokens=150))
    events: list[ModelEvent] = []
    llm = make_llm()
    llm.on_model_event = events.append
    first, second = llm.digest(ARTICLE, META), llm.digest(ARTICLE, META)
    assert first == second and len(fake_openai.requests) == 1
    assert events == [ModelEvent("call", "ok", 900, 150), ModelEvent("digest", "grounded"), ModelEvent("digest", "cached")]
    metrics = Metrics()
    for event in events:
        metrics.model_event(event)
    exposed = metrics.exposition().decode()
    assert 'newsdigest_llm_tokens_total{kind="prompt"} 900.0' in exposed
    assert 'newsdigest_llm_tokens_total{kind="completion"} 150.0' in exposed
    assert 'newsdigest_llm_digests_total{outcome="cached"} 1.0' in exposed


def test_at_most_llm_concurrency_calls_reach_the_server_at_once(engine, make_llm, fake_openai):
    texts = [ARTICLE.replace("Monday", day) for day in ("Monday", "Tuesday", "Wednesday", "Thursday")]
    fake_openai.script(*[lambda request: Scripted(body=completion("{}"), delay=0.3)] * len(texts))
    llm = make_llm(llm_concurrency=2, llm_timeout=10)
    results: list[Digest] = []
    threads = [threading.Thread(target=lambda t=t: results.append(llm.digest(t, META))) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == len(texts) and fake_openai.max_in_flight == 2


def test_the_service_reports_model_events_to_its_listener(engine, fake_openai, tmp_path):
    fake_openai.script(GOOD)
    settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url=fake_openai.base_url,
                        llm_model="fake-model")
    service = DigestService(settings, engine=LLMEngine(settings, offline=engine))  # the session's spaCy
    seen: list[ModelEvent] = []
    service.on_model_event = seen.append  # set after the engine, as the application does
    digest = service.digest_text(ARTICLE, META)
    assert digest.grounding is not None and digest.grounding.fallback is None
    assert [(e.kind, e.outcome) for e in seen] == [("call", "ok"), ("digest", "grounded")]
    built = make_engine("llm", settings)  # the registry builds the same engine from the settings
    assert isinstance(built, LLMEngine) and isinstance(built, Engine) and built.name == "llm"


def test_the_llm_engine_needs_its_url_and_model(tmp_path):
    with pytest.raises(ConfigError, match="NEWSDIGEST_LLM_BASE_URL and NEWSDIGEST_LLM_MODEL"):
        make_engine("llm", Settings(_env_file=None, data_dir=tmp_path, engine="llm"))


def test_the_api_key_can_come_from_a_file(monkeypatch, tmp_path, engine, fake_openai):
    key = tmp_path / "key"
    key.write_text("sk-from-file\n", encoding="utf-8")
    monkeypatch.setenv("NEWSDIGEST_LLM_API_KEY_FILE", str(key))
    settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url=fake_openai.base_url,
                        llm_model="fake-model")
    fake_openai.script(GOOD)
    LLMEngine(settings, offline=engine).digest(ARTICLE, META)
    assert fake_openai.headers[0]["authorization"] == "Bearer sk-from-file"
    assert "sk-from-file" not in repr(settings)


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    assert retry_after({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}) == 0.0
    assert retry_after({}) is None and retry_after({"retry-after": "soon"}) is None


# The seed article, through the engine and through the command line --------------------------------

SEED = Path(__file__).resolve().parents[2] / "seeds" / "anthropic-cuts-openai-claude-access.txt"


def paraphrasing(request: dict[str, Any]) -> Scripted:
    prompt = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return Scripted(body=completion(json.dumps(paraphrase_answer(prompt))))


def test_the_seed_digest_with_the_llm_engine_keeps_quotes_and_speakers(engine, make_llm, fake_openai):
    text = SEED.read_text(encoding="utf-8")
    offline = engine.digest(text)
    fake_openai.script(paraphrasing)
    digest = make_llm().digest(text)
    assert_grounded(digest, offline)
    assert digest.quotes == offline.quotes  # no speaker suggestions asked for: every quote as offline
    assert any(c.kind == "abstractive" for c in digest.grounding.tldr)


@pytest.mark.slow
def test_the_command_line_digests_with_the_llm_engine_and_shows_sources(fake_openai, tmp_path):
    fake_openai.script(paraphrasing)
    env = {"NEWSDIGEST_LLM_BASE_URL": fake_openai.base_url, "NEWSDIGEST_LLM_MODEL": "fake-model",
           "NEWSDIGEST_DATA_DIR": str(tmp_path)}
    done = run("digest", str(SEED), "--engine", "llm", "--format", "markdown", "--sources", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert f"{SOURCE}: " in out and len(fake_openai.requests) == 1
    assert OFFLINE_FALLBACK not in out


def test_the_quote_evaluation_gets_the_checked_speaker_suggestions(make_llm, fake_openai, engine):
    from bot.evaluation import newsdigest_predictor

    def speakers_only(request: dict[str, Any]) -> Scripted:
        prompt = next(m["content"] for m in request["messages"] if m["role"] == "user")
        answer = good_answer(prompt)
        answer["speakers"].append({"quote": _qid(prompt, "This deal"), "speaker": "Mara Tane", "sentences": [1]})
        return Scripted(body=completion(json.dumps(answer)))
    fake_openai.script(speakers_only)
    offline = engine.quotes(ARTICLE)
    predicted = newsdigest_predictor(make_llm())(ARTICLE)
    assert [(p.start, p.end) for p in predicted] == [(q.start, q.end) for q in offline]
    speakers = {ARTICLE[p.start:p.end]: p.speaker for p in predicted}
    assert speakers["Two weeks of standing in the rain is not a small thing."] == "Ana Reti"
    assert speakers["This deal is fair, but it came too late"] == "Joe Pillay"  # an attributed quote keeps its speaker
    assert "[1] Harbour ferry to resume after strike" in fake_openai.prompt()  # the text as it is, numbered


def test_quotes_without_an_unattributed_one_ask_no_model(make_llm, fake_openai):
    text = ARTICLE.split("Ana Reti")[0]
    assert all(q.speaker is not None for q in make_llm().quotes(text)) and fake_openai.requests == []


def test_all_the_model_time_of_an_article_is_bounded_by_twice_the_timeout(make_llm, fake_openai, offline):
    # An invalid answer, then the re-ask is rate-limited, then the answer comes too late for the article.
    fake_openai.script(Scripted(body=completion("{"), delay=0.4),
                       Scripted(429, error(429, "slow down", "rate_limit_error"), headers={"Retry-After": "0.45"}),
                       Scripted(body=completion("{}"), delay=5))
    digest = make_llm(llm_timeout=0.5).digest(ARTICLE, META)
    assert_offline(digest, offline, r"did not answer within 0\.[01]|took more than 1 s")
    assert len(fake_openai.requests) == 3


def test_a_timeout_that_would_outlast_the_digest_deadline_is_refused(engine, tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url="http://127.0.0.1:9/v1",
                        llm_model="m", llm_timeout=60, digest_deadline=100)
    with pytest.raises(ConfigError, match="NEWSDIGEST_LLM_TIMEOUT"):
        LLMEngine(settings, offline=engine)


def test_a_grounded_digest_is_stored_and_read_back_whole(make_llm, fake_openai, store):
    from bot.store import articles as article_store

    fake_openai.script(GOOD)
    digest = make_llm().digest(ARTICLE, META)
    saved = article_store.save_digest(store, digest, tenant="terminal:local")
    again = article_store.get_digest(store, saved.article_id)
    assert again is not None and again.grounding == digest.grounding and again.tldr == digest.tldr
    assert [q.speaker for q in again.quotes] == [q.speaker for q in digest.quotes]


def test_a_server_that_refuses_max_tokens_and_temperature_is_asked_without_them(engine, tmp_path, offline):
    server = FakeOpenAI(refuse=frozenset({"max_tokens", "temperature"})).start()
    try:
        server.script(GOOD)
        settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url=server.base_url,
                            llm_model="fake-model", llm_max_output_tokens=900)
        digest = LLMEngine(settings, offline=engine).digest(ARTICLE, META)
        assert_grounded(digest, offline)
        last = server.requests[-1]
        assert len(server.requests) == 3 and last["max_completion_tokens"] == 900
        assert "max_tokens" not in last and "temperature" not in last
    finally:
        server.stop()


def test_a_refused_key_says_which_setting_to_check(make_llm, fake_openai, offline):
    fake_openai.script(Scripted(401, error(401, "Incorrect API key provided", "invalid_request_error")))
    digest = make_llm().digest(ARTICLE, META)
    assert_offline(digest, offline, r"answered 401 \(check NEWSDIGEST_LLM_API_KEY\)")


def test_the_application_counts_the_model_tokens_in_metrics(engine, fake_openai, tmp_path):
    from bot.app import Newsdigest

    fake_openai.script(answering(lambda a: a, prompt_tokens=700, completion_tokens=90), Scripted(500))
    settings = Settings(_env_file=None, data_dir=tmp_path, engine="llm", llm_base_url=fake_openai.base_url,
                        llm_model="fake-model")
    app = Newsdigest(settings, service=DigestService(settings, engine=LLMEngine(settings, offline=engine)))
    app.service.digest_text(ARTICLE, META)
    app.service.digest_text(ARTICLE.replace("Monday", "Sunday"), META)  # another article: the 500
    exposed = app.metrics.exposition().decode()
    assert 'newsdigest_llm_tokens_total{kind="prompt"} 700.0' in exposed
    assert 'newsdigest_llm_calls_total{outcome="ok"} 1.0' in exposed and 'newsdigest_llm_calls_total{outcome="error"} 1.0' in exposed
    assert 'newsdigest_llm_digests_total{outcome="grounded"} 1.0' in exposed
    assert 'newsdigest_llm_digests_total{outcome="offline"} 1.0' in exposed
