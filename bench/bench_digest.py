"""Time the whole digest against the bare spaCy parse of the same text, and report peak memory.

    .venv/bin/python bench/bench_digest.py [--runs N]

Prints, for the seed article and a 1,000-word article, the median wall time of the bare parse
(`nlp(text)` on the cleaned text) and of the whole digest (cleaning, segmenting, parsing and every
stage), their ratio, and the process's peak resident memory. The model loads once, before timing.
The 1,000-word article is made by repeating the seed's paragraphs, so it is a realistic mix of
quotes, names and reported speech.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests import DigestEngine  # noqa: E402
from digests.clean import clean  # noqa: E402
from digests.segment import segment  # noqa: E402

SEED = ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt"


def thousand_words(seed: str) -> str:
    lines = [line for line in seed.splitlines() if len(line.split()) > 12]
    body: list[str] = []
    rounds = 0
    while sum(len(line.split()) for line in body) < 1000:
        # Each repeat made distinct: the cleaner drops a paragraph repeated word for word (page
        # chrome does that), which would leave the "1,000-word" article at the seed's length.
        body.extend(lines if rounds == 0 else [f"{line} Section {rounds + 1} returns to this point." for line in lines])
        rounds += 1
    words = 0
    out = []
    for line in body:
        out.append(line)
        words += len(line.split())
        if words >= 1000:
            break
    return "A Long Report On The Claude Access Dispute\n" + "\n".join(out)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    load_start = time.perf_counter()
    engine = DigestEngine()
    load_ms = (time.perf_counter() - load_start) * 1000
    seed = SEED.read_text(encoding="utf-8")
    cases = {"seed": seed, "1,000 words": thousand_words(seed)}
    print(f"model load: {load_ms:.0f} ms (once per process)")
    print(f"{'article':<12} {'words':>6} {'parse ms':>9} {'digest ms':>10} {'ratio':>6}")
    for name, text in cases.items():
        cleaned = segment(clean(text)).text
        engine.digest(text)  # warm up
        parse = median_ms(lambda cleaned=cleaned: engine.nlp(cleaned), args.runs)
        whole = median_ms(lambda text=text: engine.digest(text), args.runs)
        print(f"{name:<12} {len(cleaned.split()):>6} {parse:>9.1f} {whole:>10.1f} {whole / parse:>6.2f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
