"""/quotes latency over a store of many quotes by many speakers.

    .venv/bin/python bench/bench_quotes.py --backend sqlite [--quotes 1000000] [--queries 500] [--tenants 10]
    .venv/bin/python bench/bench_quotes.py --backend postgresql [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Fills a fresh store (a SQLite file in a temporary folder, or a new PostgreSQL database created for
the run and dropped after) with the generated quotes of bench_whosaid.py (12-30 Zipf-drawn words, 10
quotes an article, the articles dealt round-robin to `--tenants` workspaces), said by 20,000 people
and 500 organisations with Zipf-distributed frequency (the most quoted person has ~9% of all quotes,
~90,000 at a million: the hardest case for "newest first"), each person named in full or by surname
alone, with a role that changes, the articles dated over three years. The keys and the speakers
table are written as `save_digest` writes them (bot.speakers.speaker_key).

Then asks `/quotes` (bot.quotes.quotes_by, the call the command makes) as the workspace of a random
stored quote, for its speaker: by full name, by surname, by full name with a typo, and with one or
two words of the quote (sometimes misspelt), and prints p50/p95/p99 latency of each and how often
the answer holds what it should (the speaker's quotes only; with words, that very quote).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_whosaid import COMMON, Sentences, bench_store, percentile, store_arguments, tenant, typo, vocabulary  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.quotes import quotes_by  # noqa: E402
from bot.speakers import folded_name, speaker_key  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.schema import ArticleRow, ArticleTenantRow, QuoteRow, SpeakerRow  # noqa: E402

ROLES = ["spokesperson", "minister", "chief executive", "analyst", "mayor", "senator", "director", None]


class Person:
    def __init__(self, first: str, last: str, kind: str) -> None:
        self.first, self.last, self.kind = first, last, kind

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}" if self.kind == "person" else f"{self.first} {self.last} Agency"

    def as_named(self, rng: random.Random) -> str:
        return self.last if self.kind == "person" and rng.random() < 0.3 else self.full


def people(rng: random.Random, persons: int = 20_000, orgs: int = 500) -> list[Person]:
    names = [w.capitalize() for w in vocabulary(random.Random(rng.random()), persons + orgs + 3000)]
    firsts = names[:3000]
    seen: set[str] = set()
    made = []
    for i, last in enumerate(names[3000:]):
        if last in seen:
            continue
        seen.add(last)
        made.append(Person(rng.choice(firsts), last, "person" if i < persons else "organisation"))
    rng.shuffle(made)
    return made


def fill(store: Store, count: int, sentences: Sentences, rng: random.Random, speakers: list[Person], tenants: int,
         batch: int = 20_000) -> list[tuple[int, str, Person, str]]:
    """Insert `count` quotes with Core bulk inserts; returns a sample of (id, text, speaker, tenant)."""
    cumulative, total = [], 0.0
    for rank in range(len(speakers)):
        total += 1.0 / (rank + 1)
        cumulative.append(total)
    sample: list[tuple[int, str, Person, str]] = []
    names: dict[str, str] = {}
    next_id = 1
    with store.engine.begin() as conn:
        for base in range(0, count, batch):
            n = min(batch, count - base)
            articles, quotes, owners = [], [], []
            for k in range(0, n, 10):
                article_id = uuid.uuid4().hex[:16]
                owner = tenant(((base + k) // 10) % tenants)
                day = f"{2024 + rng.randrange(3)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                owners.append({"tenant": owner, "article_id": article_id})
                articles.append({"id": article_id, "content_hash": uuid.uuid4().hex, "title": f"Generated story {base + k}",
                                 "published": day, "source": "bench", "text": "generated", "word_count": 1,
                                 "has_dispute": False, "canonical_url": f"https://news.example/{article_id}"})
                for j in range(min(10, n - k)):
                    body = sentences.make()
                    who = rng.choices(speakers, cum_weights=cumulative)[0]
                    name = who.as_named(rng)
                    key = speaker_key(name, who.kind)
                    names[folded_name(name)] = key
                    quotes.append({"id": next_id, "article_id": article_id, "position": j, "text": body, "start": 0,
                                   "end": len(body), "speaker_name": name, "speaker_role": rng.choice(ROLES),
                                   "speaker_org": None, "speaker_kind": who.kind, "cue": "said", "kind": "direct",
                                   "confidence": 0.9, "speaker_key": key, "said_on": day})
                    if rng.random() < 0.002:
                        sample.append((next_id, body, who, owner))
                    next_id += 1
            conn.execute(insert(ArticleRow), articles)
            conn.execute(insert(QuoteRow), quotes)
            conn.execute(insert(ArticleTenantRow), owners)
            print(f"\r  inserted {base + n:,} quotes", end="", file=sys.stderr, flush=True)
        conn.execute(insert(SpeakerRow), [{"name": n, "key": k} for n, k in sorted(names.items())])
    print(file=sys.stderr)
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("quotes", "article_tenants", "speakers", "articles"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return sample


def misspelt(name: str, rng: random.Random) -> str:
    words = name.split()
    i = max(range(len(words)), key=lambda n: len(words[n]))
    words[i] = typo(words[i], rng)
    return " ".join(words)


def some_words(quote: str, rng: random.Random) -> str:
    content = [w for w in quote.rstrip(".").lower().split() if w not in COMMON and len(w) >= 4]
    picked = rng.sample(content, min(len(content), rng.choice([1, 2]))) if content else quote.split()[:1]
    if rng.random() < 0.3:
        picked[0] = typo(picked[0], rng)
    return " ".join(picked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.add_argument("--queries", type=int, default=500, help="asked of each kind")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sentences = Sentences(rng)
    speakers = people(rng)

    with bench_store(args.backend, args.url) as store:
        started = time.perf_counter()
        sample = fill(store, args.quotes, sentences, rng, speakers, args.tenants)
        print(f"backend: {args.backend}; filled {args.quotes:,} quotes by {len(speakers):,} speakers in "
              f"{args.tenants} workspace(s) in {time.perf_counter() - started:.0f} s")
        picked = rng.sample(sample, min(args.queries, len(sample)))
        kinds = {
            "full name": lambda who, body: (who.full, ""),
            "surname": lambda who, body: (who.last if who.kind == "person" else who.full, ""),
            "name with a typo": lambda who, body: (misspelt(who.full, rng), ""),
            "name and words": lambda who, body: (who.full, some_words(body, rng)),
        }
        for _, _, who, owner in picked[:20]:
            quotes_by(store, who.full, tenant=owner)  # warm the caches as a running bot would be
        for kind, ask in kinds.items():
            times, right = [], 0
            for qid, body, who, owner in picked:
                person, words = ask(who, body)
                start = time.perf_counter()
                result = quotes_by(store, person, words, tenant=owner)
                times.append((time.perf_counter() - start) * 1000)
                theirs = bool(result.quotes) and all(speaker_key(q.speaker.name, q.speaker.kind) == speaker_key(who.full, who.kind)
                                                     for q in result.quotes if q.speaker)
                right += theirs and (not words or any(q.id == qid for q in result.quotes))
            print(f"/quotes by {kind} over {len(picked):,} asks: p50 {percentile(times, 50):.1f} ms, "
                  f"p95 {percentile(times, 95):.1f} ms, p99 {percentile(times, 99):.1f} ms, "
                  f"mean {statistics.mean(times):.1f} ms; right answer {right / len(picked):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
