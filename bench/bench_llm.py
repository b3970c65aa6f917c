"""What the llm engine costs around the model call, per article: everything but the model's answer.

For the seed article and generated articles of a few sizes, it prints (median of --repeat runs, ms):

- offline:   the offline engine's digest (which the llm engine runs first);
- overhead:  what the llm engine adds in this process: numbering the sentences, the prompt, validating
             the answer against the schema and the grounding checks (digests.grounding), timed alone;
- sdk+http:  one model call of the engine (`LLMEngine._call`: the slot, the openai client, a loopback
             round trip) to a local OpenAI-compatible server that answers at once (tests/fakes/openai_server.py);
- total:     a whole `LLMEngine.digest` against that server (the three above, measured together; on a
             shared machine the offline part varies more than the other two add).

No model is involved: the answer is scripted (`paraphrase_answer`), so these are not quality figures,
and a real model's wait (seconds) comes on top of all three.

    .venv/bin/python bench/bench_llm.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from articles import make_article  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.llm import LLMEngine  # noqa: E402
from digests import DigestEngine  # noqa: E402
from digests.grounding import Answer, ground, numbered_digest, prompt  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, Scripted, completion, paraphrase_answer  # noqa: E402


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    offline_engine = DigestEngine()
    server = FakeOpenAI().start()

    def respond(request: dict[str, Any]) -> Scripted:
        user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        return Scripted(body=completion(json.dumps(paraphrase_answer(user))))

    articles = [("seed", (ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt").read_text(encoding="utf-8"))]
    articles += [(f"{n:,} words", make_article(n, seed=n)) for n in (500, 2000, 5000)]
    with tempfile.TemporaryDirectory() as data_dir:
        # No cache: every digest calls the server, as a new article would.
        settings = Settings(_env_file=None, data_dir=Path(data_dir), engine="llm", llm_base_url=server.base_url,
                            llm_model="bench", llm_cache_size=0, llm_token_budget=200_000)
        llm = LLMEngine(settings, offline=offline_engine)
        print(f"{'article':<14}{'sentences':>10}{'offline ms':>12}{'overhead ms':>13}{'sdk+http ms':>13}{'total ms':>10}")
        for label, text in articles:
            offline_t, overhead_t, call_t, total_t = [], [], [], []
            sentences = 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                digest, parsed = offline_engine.digest_parsed(text)
                offline_t.append(time.perf_counter() - started)
                assert parsed is not None
                started = time.perf_counter()
                article = numbered_digest(parsed, digest, max_chars=llm._prompt_chars())
                user = prompt(article)
                overhead_t.append(time.perf_counter() - started)
                content = json.dumps(paraphrase_answer(user))  # what the server will answer (not timed)
                started = time.perf_counter()
                grounded = ground(digest, article, Answer.model_validate_json(content), "bench", "bench")
                overhead_t[-1] += time.perf_counter() - started
                assert grounded.grounding is not None
                sentences = len(article.sentences)
                server.script(respond)
                started = time.perf_counter()
                llm._call(llm._messages(article), article, time.monotonic() + 60)
                call_t.append(time.perf_counter() - started)
                server.script(respond)
                started = time.perf_counter()
                result = llm.digest(text)
                total_t.append(time.perf_counter() - started)
                assert result.grounding is not None and result.grounding.fallback is None, result.grounding
            print(f"{label:<14}{sentences:>10}{_ms(offline_t):>12.1f}{_ms(overhead_t):>13.2f}{_ms(call_t):>13.1f}"
                  f"{_ms(total_t):>10.1f}")
    server.stop()


if __name__ == "__main__":
    main()
