"""The llm engine (NEWSDIGEST_ENGINE=llm): the offline digest, reworded by a language model and
checked against the article before anything is shown.

The offline engine always runs first. The model (any OpenAI-compatible server, through the official
`openai` SDK) gets the numbered body sentences and the offline quotes with ids and must answer
`digests.grounding.Answer` as JSON: with a JSON schema (structured output) where the server takes
one, else in JSON mode with the schema in the instructions; an answer that does not validate is
asked for once more. `digests.grounding.ground` then keeps only what the article supports.

Never worse than offline: a timeout, a 429 (after waiting its Retry-After once), a 5xx, an invalid
answer twice, a spent token budget or a check that drops every TL;DR sentence gives the offline
digest, marked (`Digest.grounding.fallback`), and one log line. Answers are cached by article and
model; at most `llm_concurrency` calls run at once; every call logs its tokens and reports them to
/metrics.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from digests.engine import article_id
from digests.grounding import (
    INSTRUCTIONS,
    Answer,
    Numbered,
    Ungrounded,
    ground,
    numbered,
    numbered_digest,
    offline_marked,
    prompt,
    suggest_speakers,
)
from digests.models import ArticleMeta, Digest, Quote

from .config import Settings
from .engines import Checkpoint, ModelEvent
from .errors import ConfigError

if TYPE_CHECKING:
    from openai import OpenAI

    from digests.engine import DigestEngine

log = logging.getLogger(__name__)

ENGINE_NAME = "newsdigest-llm/0.1"
PROMPT_VERSION = "1"  # part of the cache key: a new prompt must not reuse old answers
# Tokens are estimated from characters (no tokenizer is downloaded): English runs near 4 characters
# a token; 3 keeps the estimate on the safe side.
CHARS_PER_TOKEN = 3
# All the model time of one article (waiting for a slot, the calls, a Retry-After, the re-ask) is
# at most this many times NEWSDIGEST_LLM_TIMEOUT, so that the offline digest always comes within
# the digest deadline.
MODEL_TIME = 2
SCHEMA = Answer.model_json_schema()


class ModelFailure(Exception):
    """The model gave no usable answer; the message says why, for the log and the digest's mark."""

    def __init__(self, reason: str, outcome: str = "error") -> None:
        super().__init__(reason)
        self.outcome = outcome


def retry_after(headers: Any) -> float | None:
    """Seconds a 429 asks to wait: Retry-After in seconds or as an HTTP date, or retry-after-ms."""
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, AttributeError):
        return None


def _estimate(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages) // CHARS_PER_TOKEN + 1


def _short_errors(exc: ValidationError | ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)[:200]


class LLMEngine:
    """The offline engine plus a model's checked wording. Safe to call from several workers."""

    name = "llm"

    def __init__(self, settings: Settings, offline: DigestEngine | None = None, client: OpenAI | None = None) -> None:
        if not settings.llm_base_url or not settings.llm_model:
            raise ConfigError("bad setting (NEWSDIGEST_ENGINE=llm needs NEWSDIGEST_LLM_BASE_URL and NEWSDIGEST_LLM_MODEL): "
                              "fix it in the environment or in .env")
        try:
            from openai import OpenAI
        except ImportError:
            raise ConfigError("NEWSDIGEST_ENGINE=llm needs the openai package: pip install 'newsdigest[llm]'") from None
        if MODEL_TIME * settings.llm_timeout >= settings.digest_deadline:
            raise ConfigError(f"bad setting (NEWSDIGEST_LLM_TIMEOUT: at most {MODEL_TIME} × it is spent on the model "
                              "per article, which must stay below NEWSDIGEST_DIGEST_DEADLINE): fix it in the "
                              "environment or in .env")
        self.settings = settings
        self.model = settings.llm_model
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else ""
        # The SDK's own retries are off: a 429 is retried here, once, after its Retry-After, within
        # the timeout; anything else gives the offline digest at once.
        self.client = client or OpenAI(base_url=settings.llm_base_url, api_key=key or "none",
                                       timeout=settings.llm_timeout, max_retries=0)
        self._offline = offline
        self._offline_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.llm_concurrency)
        self._cache: OrderedDict[tuple[str, str, str], Answer] = OrderedDict()
        self._cache_lock = threading.Lock()
        # What the server refused once (a 400), not asked again: a JSON schema (then JSON mode), max_tokens
        # (then max_completion_tokens), a temperature (then its default).
        self._json_mode = False
        self._completion_tokens = False
        self._default_temperature = False
        self.on_model_event: Callable[[ModelEvent], None] | None = None

    # The Engine protocol -----------------------------------------------------------------------

    @property
    def offline(self) -> DigestEngine:
        with self._offline_lock:
            if self._offline is None:
                from digests.engine import DigestEngine  # loads spaCy

                self._offline = DigestEngine()
            return self._offline

    def warm_up(self) -> None:
        """Load the offline engine's models (the model server is not called before a digest)."""
        _ = self.offline

    def quotes(self, text: str, checkpoint: Checkpoint | None = None) -> list[Quote]:
        """The offline engine's quotes of `text` as it is (the evaluation's interface), with the
        model's checked speaker suggestions for those the rules left unattributed; the offline
        quotes alone when none is unattributed or the model gives no usable answer."""
        quotes, parsed = self.offline.quotes_parsed(text, checkpoint)
        if parsed is None or all(q.speaker is not None for q in quotes):
            return quotes
        # Its own cache key: the text as it is is numbered differently from the cleaned article.
        article = numbered(parsed, quotes, [], f"quotes:{article_id(text)}", None, max_chars=self._prompt_chars())
        try:
            answer, _ = self._answer(article, checkpoint)
        except ModelFailure as exc:
            log.warning("llm engine: the offline quotes of text %s are given: %s", article.article_id, exc)
            return quotes
        return suggest_speakers(article, answer, text)

    def digest(self, raw_text: str, meta: ArticleMeta | None = None, checkpoint: Checkpoint | None = None) -> Digest:
        offline, parsed = self.offline.digest_parsed(raw_text, meta, checkpoint)
        model = str(self.model)
        if parsed is None:
            return self._offline_digest(offline, "the article is not in English")
        article = numbered_digest(parsed, offline, max_chars=self._prompt_chars())
        if not article.sentences:
            return self._offline_digest(offline, "the article has no body sentences to send")
        try:
            answer, cached = self._answer(article, checkpoint)
            digest = ground(offline, article, answer, model, f"{ENGINE_NAME} ({model})")
        except (ModelFailure, Ungrounded) as exc:
            return self._offline_digest(offline, str(exc))
        grounding = digest.grounding
        assert grounding is not None
        abstractive = sum(c.kind == "abstractive" for c in [*grounding.tldr, *grounding.implications, *grounding.dispute])
        log.info("llm digest of article %s (%s): %d abstractive items, %d replaced by the extractive sentence, "
                 "%d dropped, %d speakers suggested%s", offline.article.id, model, abstractive, grounding.replaced,
                 grounding.dropped, len(grounding.speakers), " (cached answer)" if cached else "")
        self._event(ModelEvent("digest", "cached" if cached else "grounded"))
        return digest

    # The model call ----------------------------------------------------------------------------

    def _offline_digest(self, offline: Digest, reason: str) -> Digest:
        log.warning("llm engine: the offline digest of article %s is shown: %s", offline.article.id, reason)
        self._event(ModelEvent("digest", "offline"))
        model = str(self.model)
        return offline_marked(offline, model, f"{ENGINE_NAME} ({model}; offline fallback)", reason)

    def _event(self, event: ModelEvent) -> None:
        if self.on_model_event is not None:
            self.on_model_event(event)

    def _prompt_chars(self) -> int:
        """Characters of numbered sentences that fit the budget with an answer and one re-ask."""
        per_call = self.settings.llm_token_budget // 2 - self.settings.llm_max_output_tokens
        return max(1000, per_call * CHARS_PER_TOKEN - len(INSTRUCTIONS) - len(json.dumps(SCHEMA)))

    def _messages(self, article: Numbered) -> list[dict[str, str]]:
        system = INSTRUCTIONS
        if self._json_mode:  # no schema parameter: the schema goes into the instructions
            system += "\nThe JSON schema:\n" + json.dumps(SCHEMA)
        return [{"role": "system", "content": system}, {"role": "user", "content": prompt(article)}]

    def _answer(self, article: Numbered, checkpoint: Checkpoint | None) -> tuple[Answer, bool]:
        key = (article.article_id, str(self.model), PROMPT_VERSION)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key], True
        messages = self._messages(article)
        spent = 0
        deadline = time.monotonic() + MODEL_TIME * self.settings.llm_timeout
        for attempt in (1, 2):
            if checkpoint is not None:
                checkpoint()
            if spent + _estimate(messages) + self.settings.llm_max_output_tokens > self.settings.llm_token_budget:
                raise ModelFailure(f"the token budget ({self.settings.llm_token_budget}) would be exceeded", "budget")
            content, prompt_tokens, completion_tokens = self._call(messages, article, deadline)
            spent += prompt_tokens + completion_tokens
            try:
                answer = Answer.model_validate_json(content)
            except ValidationError as exc:
                self._event(ModelEvent("call", "invalid", prompt_tokens, completion_tokens))
                if attempt == 2:
                    raise ModelFailure("the model's answer did not match the schema twice") from None
                log.info("llm engine: re-asking for article %s: %s", article.article_id, _short_errors(exc))
                messages = [*messages, {"role": "assistant", "content": content[:4000]},
                            {"role": "user", "content": "That answer is not valid JSON of the schema ("
                             f"{_short_errors(exc)}). Answer again with the JSON object only."}]
                continue
            self._event(ModelEvent("call", "ok", prompt_tokens, completion_tokens))
            with self._cache_lock:
                self._cache[key] = answer
                while len(self._cache) > self.settings.llm_cache_size:
                    self._cache.popitem(last=False)
            return answer, False
        raise AssertionError("unreachable")

    def _call(self, messages: list[dict[str, str]], article: Numbered, deadline: float) -> tuple[str, int, int]:
        """One answer's text and the prompt and completion tokens it cost, by `deadline` (a
        time.monotonic() value); ModelFailure when there is none."""
        import openai

        def time_left() -> float:
            left = min(self.settings.llm_timeout, deadline - time.monotonic())
            if left <= 0:
                self._event(ModelEvent("call", "timeout"))
                raise ModelFailure(f"the model took more than {MODEL_TIME * self.settings.llm_timeout:g} s "
                                   "for this article", "timeout")
            return left

        if not self._slots.acquire(timeout=time_left()):
            raise ModelFailure(f"every model slot ({self.settings.llm_concurrency}) was busy for "
                               f"{self.settings.llm_timeout:g} s", "busy")
        try:
            rate_limited = False
            while True:
                started = time.perf_counter()
                timeout = time_left()
                try:
                    # The messages and format are plain dicts of the shapes the SDK's TypedDicts describe.
                    response = self.client.chat.completions.create(  # type: ignore[call-overload]
                        model=str(self.model), messages=messages, response_format=self._response_format(),
                        timeout=timeout, **self._sampling())
                except openai.RateLimitError as exc:
                    wait = retry_after(exc.response.headers)
                    self._event(ModelEvent("call", "rate_limited"))
                    if rate_limited or wait is None or wait > min(self.settings.llm_timeout, deadline - time.monotonic()):
                        raise ModelFailure("the model server refused: too many requests (429)"
                                           + (" again after its Retry-After" if rate_limited else ""),
                                           "rate_limited") from None
                    log.info("llm engine: 429 from the model server; retrying in %.1f s as it asks", wait)
                    rate_limited = True
                    time.sleep(wait)
                    continue
                except openai.BadRequestError as exc:
                    said = (str(exc) + str(exc.body)).lower()
                    if not self._json_mode and "response_format" in said:
                        log.warning("llm engine: the server refused a JSON schema (%s); using JSON mode", exc.status_code)
                        self._json_mode = True
                        messages = [*self._messages(article), *messages[2:]]
                        continue
                    # Newer OpenAI models take max_completion_tokens only, and no temperature but the default.
                    adapted = self._adapt(said)
                    if adapted:
                        log.warning("llm engine: the server refused a parameter (%s); %s from now on", exc.status_code,
                                    adapted)
                        continue
                    self._event(ModelEvent("call", "error"))
                    raise ModelFailure(f"the model server refused the request ({exc.status_code})") from None
                except openai.APITimeoutError:
                    self._event(ModelEvent("call", "timeout"))
                    raise ModelFailure(f"the model did not answer within {timeout:.3g} s", "timeout") from None
                except openai.APIStatusError as exc:
                    self._event(ModelEvent("call", "error"))
                    hint = " (check NEWSDIGEST_LLM_API_KEY)" if exc.status_code in (401, 403) else (
                        " (check NEWSDIGEST_LLM_MODEL and NEWSDIGEST_LLM_BASE_URL)" if exc.status_code == 404 else "")
                    raise ModelFailure(f"the model server answered {exc.status_code}{hint}") from None
                except openai.APIConnectionError:
                    self._event(ModelEvent("call", "error"))
                    raise ModelFailure("the model server cannot be reached") from None
                break
        finally:
            self._slots.release()
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage is not None else _estimate(messages)
        completion_tokens = usage.completion_tokens if usage is not None else 0
        content = response.choices[0].message.content if response.choices else None
        log.info("llm call for article %s: model %s, %d prompt + %d completion tokens, %.2f s", article.article_id,
                 self.model, prompt_tokens, completion_tokens, time.perf_counter() - started)
        return content or "", prompt_tokens, completion_tokens

    def _sampling(self) -> dict[str, Any]:
        """The answer's length limit and temperature, as the server takes them."""
        limit = "max_completion_tokens" if self._completion_tokens else "max_tokens"
        return {limit: self.settings.llm_max_output_tokens, **({} if self._default_temperature else {"temperature": 0})}

    def _adapt(self, refusal: str) -> str | None:
        """Change what a 400 names as unsupported, once each; what was changed, or None."""
        if "max_tokens" in refusal and not self._completion_tokens:
            self._completion_tokens = True
            return "max_completion_tokens instead of max_tokens"
        if "temperature" in refusal and not self._default_temperature:
            self._default_temperature = True
            return "the default temperature"
        return None

    def _response_format(self) -> dict[str, Any]:
        if self._json_mode:
            return {"type": "json_object"}
        return {"type": "json_schema", "json_schema": {"name": "newsdigest_answer", "schema": SCHEMA, "strict": False}}
