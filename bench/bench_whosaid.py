"""/who-said latency over a store of many quotes, and ingest throughput.

    .venv/bin/python bench/bench_whosaid.py --backend sqlite [--quotes 1000000] [--queries 1000] [--tenants 10]
    .venv/bin/python bench/bench_whosaid.py --backend postgresql [--url postgresql://postgres@127.0.0.1:5432/test]

Fills a fresh store (a SQLite file in a temporary folder, or a new PostgreSQL database created for
the run and dropped after) with generated quotes: 12-30 words drawn from a Zipf-distributed
vocabulary of 40,000 made-up words and 150 common English words, 10 quotes per article, the
articles dealt round-robin to `--tenants` workspaces. Then asks `/who-said` (bot.whosaid.who_said,
the same call the commands make: full-text candidates within the asking workspace's articles plus
the rapidfuzz re-ranking) as the workspace of a random stored quote, with a fragment cut from it
(a typo, sometimes a missing word), and prints p50/p95/p99 latency and how often the right quote
came first. Ingest
throughput is measured through `bot.store.articles.save_digest` (the store side of `newsdigest ingest`) on
generated digests.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bot.store import Store  # noqa: E402
from bot.store import articles as article_store  # noqa: E402
from bot.store.schema import ArticleRow, ArticleTenantRow, QuoteRow  # noqa: E402
from bot.whosaid import who_said  # noqa: E402
from digests.models import Article, Digest, Quote, Speaker  # noqa: E402

COMMON = """the of and to a in that is was he for it with as his on be at by i this had not are but from or have
an they which one you were her all she there would their we him been has when who will more no if out so said
what up its about into than them can only other new some could time these two may then do first any my now such
like our over man me even most made after also did many before must through back years where much your way well
down should because each just those people how too little state good very make world still own see men work long
get here between both life being under never day same another know while last might us great old year off come
since against go came right used take three""".split()
SPEAKERS = [("Alex Moreno", "spokesperson", "Northwind"), ("Priya Shah", "chief executive", "Globex"),
            ("Tom Becker", "senator", None), ("Lena Hart", "analyst", "Initech"), ("Omar Aziz", None, "Umbrella")]


def vocabulary(rng: random.Random, size: int = 40_000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ten", "ra", "vo", "shi", "per", "dan", "el", "or", "qu", "ist", "ment", "ba",
                 "co", "ul", "fi", "ne", "tra", "gon", "pli", "sta", "ver", "mo", "ze", "ax", "im", "pro", "ly"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    # Shuffled, so that how often a word is used does not follow its spelling (sorted, the most
    # frequent made-up words would all start with "ax", which no language does).
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


class Sentences:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        rare = vocabulary(rng)
        self.words = COMMON + rare
        # Zipf-like weights: the common words dominate, as in real text.
        self.weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(self.words))]
        self.cumulative: list[float] = []
        total = 0.0
        for w in self.weights:
            total += w
            self.cumulative.append(total)

    def make(self) -> str:
        n = self.rng.randint(12, 30)
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return rng.choice([word[:i] + word[i + 1:], word[:i] + word[i + 1] + word[i] + word[i + 2:]])


def fragment_of(quote: str, rng: random.Random) -> str:
    """4-6 neighbouring words holding at least two that are not among the common words (what a
    person remembers of a quote), one of those with a typo, and sometimes one word left out."""
    words = quote.rstrip(".").split()
    common = set(COMMON)
    for _ in range(20):
        start = rng.randrange(0, max(1, len(words) - 6))
        piece = words[start:start + rng.randint(4, 6)]
        if sum(w.lower() not in common for w in piece) >= 2:
            break
    candidates = [i for i, w in enumerate(piece) if len(w) >= 5]
    if candidates:
        i = rng.choice(candidates)
        piece[i] = typo(piece[i], rng)
    if len(piece) > 4 and rng.random() < 0.3:
        del piece[rng.randrange(1, len(piece) - 1)]
    fragment = " ".join(piece)
    return fragment.upper() if rng.random() < 0.1 else fragment


def tenant(n: int) -> str:
    return f"slack:T{n:04d}"


def fill(store: Store, count: int, sentences: Sentences, rng: random.Random, tenants: int = 1,
         batch: int = 20_000) -> list[tuple[int, str, str]]:
    """Insert `count` quotes (10 per article, the articles dealt round-robin to `tenants` workspaces)
    with Core bulk inserts; returns a sample of (id, text, tenant)."""
    sample: list[tuple[int, str, str]] = []
    next_id = 1
    with store.engine.begin() as conn:
        for base in range(0, count, batch):
            n = min(batch, count - base)
            articles, quotes, owners = [], [], []
            for k in range(0, n, 10):
                article_id = uuid.uuid4().hex[:16]
                owner = tenant(((base + k) // 10) % tenants)
                owners.append({"tenant": owner, "article_id": article_id})
                articles.append({"id": article_id, "content_hash": uuid.uuid4().hex, "title": f"Generated story {base + k}",
                                 "published": "2026-11-01", "source": "bench", "text": "generated", "word_count": 1,
                                 "has_dispute": False, "canonical_url": f"https://news.example/{article_id}"})
                for j in range(min(10, n - k)):
                    body = sentences.make()
                    name, role, org = SPEAKERS[(base + k + j) % len(SPEAKERS)]
                    quotes.append({"id": next_id, "article_id": article_id, "position": j, "text": body, "start": 0,
                                   "end": len(body), "speaker_name": name, "speaker_role": role, "speaker_org": org,
                                   "speaker_kind": "person", "cue": "said", "kind": "direct", "confidence": 0.9})
                    if rng.random() < 0.002:
                        sample.append((next_id, body, owner))
                    next_id += 1
            conn.execute(insert(ArticleRow), articles)
            conn.execute(insert(QuoteRow), quotes)
            conn.execute(insert(ArticleTenantRow), owners)
            print(f"\r  inserted {base + n:,} quotes", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if store.dialect == "postgresql":
        with store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            # The ids were given explicitly: move the sequence past them for the ingest that follows.
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('quotes', 'id'), (SELECT max(id) FROM quotes))")
            conn.exec_driver_sql("VACUUM ANALYZE quotes")
            conn.exec_driver_sql("VACUUM ANALYZE article_tenants")
    return sample


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def synthetic_digest(sentences: Sentences, n: int) -> Digest:
    paragraphs = [sentences.make() for _ in range(30)]
    quoted = [sentences.make().rstrip(".") for _ in range(6)]
    parts, quotes, offset = [], [], 0
    for i, para in enumerate(paragraphs):
        line = para
        if i < len(quoted):
            line = f"“{quoted[i]},” {SPEAKERS[i % 5][0]} said. {para}"
            start = offset + 1
            quotes.append(Quote(text=quoted[i], start=start, end=start + len(quoted[i]), kind="direct", confidence=0.9,
                                speaker=Speaker(name=SPEAKERS[i % 5][0], role=SPEAKERS[i % 5][1], org=SPEAKERS[i % 5][2]), cue="said"))
        parts.append(line)
        offset += len(line) + 2
    body = "\n\n".join(parts)
    article = Article(id=uuid.uuid4().hex[:16], title=f"Ingest bench {n}", published="2026-11-02", url=f"https://ingest.example/{n}?utm_source=x",
                      source="bench", word_count=len(body.split()), text=body)
    return Digest(article=article, tldr=[paragraphs[0]], quotes=quotes, engine="bench")



def store_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every quote bench shares: where its store goes (bench_store), how many quotes, in how
    many workspaces, from which random seed."""
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="an existing PostgreSQL database to create the bench database from")
    parser.add_argument("--quotes", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=10, help="workspaces the articles are dealt to")
    parser.add_argument("--seed", type=int, default=7)


@contextmanager
def bench_store(backend: str, admin_url: str) -> Iterator[Store]:
    """A migrated store of its own for one bench run: a SQLite file in a temporary folder, or a new
    PostgreSQL database created from `admin_url`; closed and removed afterwards."""
    admin = None
    name = ""
    tmp = tempfile.TemporaryDirectory()
    if backend == "sqlite":
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        name = f"newsdigest_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.rsplit("/", 1)[0] + "/" + name
    store = Store(url)
    try:
        store.migrate()
        yield store
    finally:
        store.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--ingest", type=int, default=500, help="digests stored for the ingest figure")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sentences = Sentences(rng)

    with bench_store(args.backend, args.url) as store:
        started = time.perf_counter()
        sample = fill(store, args.quotes, sentences, rng, tenants=args.tenants)
        print(f"backend: {args.backend}; filled {args.quotes:,} quotes in {args.tenants} workspace(s) "
              f"in {time.perf_counter() - started:.0f} s")

        queries = [(qid, fragment_of(body, rng), owner)
                   for qid, body, owner in rng.sample(sample, min(args.queries, len(sample)))]
        for _, fragment, owner in queries[:20]:
            who_said(store, fragment, tenant=owner)  # warm the caches as a running bot would be
        times, first = [], 0
        for qid, fragment, owner in queries:
            start = time.perf_counter()
            result = who_said(store, fragment, tenant=owner)
            times.append((time.perf_counter() - start) * 1000)
            first += bool(result.matches) and result.matches[0].quote.id == qid
        print(f"/who-said over {len(queries):,} fragments with typos: p50 {percentile(times, 50):.1f} ms, "
              f"p95 {percentile(times, 95):.1f} ms, p99 {percentile(times, 99):.1f} ms, "
              f"mean {statistics.mean(times):.1f} ms; right quote first {first / len(queries):.1%}")

        digests = [synthetic_digest(sentences, n) for n in range(args.ingest)]
        start = time.perf_counter()
        for d in digests:
            article_store.save_digest(store, d, tenant=tenant(0))
        elapsed = time.perf_counter() - start
        print(f"ingest (store side, {args.ingest} digests of ~{digests[0].article.word_count} words, 6 quotes each): "
              f"{args.ingest / elapsed:.0f} articles/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
