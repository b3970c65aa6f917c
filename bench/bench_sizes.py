"""Digest cost by article size, and the bot's answers while the largest digests run.

    .venv/bin/python bench/bench_sizes.py                 # sizes: 1k, 10k, 50k words, the largest accepted
    .venv/bin/python bench/bench_sizes.py --slack          # `newsdigest run slack` under six huge /digests
    .venv/bin/python bench/bench_sizes.py --feed           # one poll's parse of a 100,000-entry feed

Sizes: each article (bench/articles.py: generated news paragraphs with quotes, speech verbs, names
and conflict words) is digested in a fresh subprocess, so that its peak resident memory (ru_maxrss,
model included) is its own. Prints words, seconds, ms per word and peak MB per size, then the
max/min ratio of time per word (goal: at most 1.5) and the largest peak (goal: at most 400 MB).
The largest accepted size is digests.nlp.MAX_CHARS characters of analysed text.

--slack: starts `newsdigest run slack` in HTTP mode against the local Slack server of the tests
(tests/fakes/slack_server.py), sends six signed /digest commands with the largest text a Slack HTTP
request may carry (aiohttp's 1 MiB body limit), then a signed /who-said, and prints how long the
who-said answer took to reach its response_url (goal: under 3 s), then how long SIGTERM took to stop
the process.

--feed: parses a generated RSS feed of 100,000 entries as a poll does, with and without the
entry limit, each in a fresh subprocess; prints seconds and peak MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from articles import make_article  # noqa: E402

SIZES = {"1k words": 1_000, "10k words": 10_000, "50k words": 50_000}


def largest_words() -> int:
    """Words of a generated article that fills MAX_CHARS once cleaned (its paragraphs average
    about 5.9 characters a word)."""
    from digests.nlp import MAX_CHARS

    return int(MAX_CHARS / 5.95)


def _child_digest(words: int) -> None:
    """In the subprocess: digest one article, print JSON figures."""
    from digests import DigestEngine

    engine = DigestEngine()
    text = make_article(words, seed=words)
    start = time.perf_counter()
    digest = engine.digest(text)
    seconds = time.perf_counter() - start
    print(json.dumps({"words": digest.article.word_count, "chars": len(digest.article.text), "seconds": seconds,
                      "quotes": len(digest.quotes), "truncated": digest.article.truncated is not None,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def sizes() -> int:
    cases = {**SIZES, "largest": largest_words()}
    rows = []
    print(f"{'size':<10} {'words':>8} {'chars':>9} {'quotes':>6} {'seconds':>8} {'ms/word':>8} {'peak MB':>8}")
    for name, words in cases.items():
        out = subprocess.run([sys.executable, __file__, "--child", str(words)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        per_word = row["seconds"] * 1000 / row["words"]
        note = " (truncated)" if row["truncated"] else ""
        print(f"{name:<10} {row['words']:>8,} {row['chars']:>9,} {row['quotes']:>6} {row['seconds']:>8.2f} "
              f"{per_word:>8.3f} {row['peak_mb']:>8.0f}{note}", flush=True)
    per_word = [r["seconds"] / r["words"] for r in rows]
    print(f"time per word, max/min: {max(per_word) / min(per_word):.2f}x (goal <= 1.5x)")
    print(f"largest peak memory: {max(r['peak_mb'] for r in rows):.0f} MB (goal <= 400 MB)")
    return 0


def _child_feed(entries: int, limit: int | None) -> None:
    from bot.feeds.parse import parse_feed
    from tests.fakes.feedkit import rss

    document = rss([{"title": f"Harbour notice {n}", "link": f"http://gazette.example/notice/{n}",
                     "guid": f"urn:notice:{n}"} for n in range(entries)]).encode()
    start = time.perf_counter()
    parsed = parse_feed(document, url="http://gazette.example/feed.xml", max_entries=limit)
    seconds = time.perf_counter() - start
    print(json.dumps({"bytes": len(document), "items": len(parsed.items), "seconds": seconds,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def feed() -> int:
    from bot.config import Settings

    limit = Settings(_env_file=None).feed_parse_entries
    for label, arg in (("all entries", "none"), (f"newest {limit}", str(limit))):
        out = subprocess.run([sys.executable, __file__, "--child-feed", "100000", arg], capture_output=True, text=True,
                             check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"100,000-entry feed ({row['bytes'] / 1e6:.1f} MB), {label}: {row['items']:,} items, "
              f"{row['seconds']:.2f} s, peak {row['peak_mb']:.0f} MB", flush=True)
    return 0


def _slack_text() -> str:
    """The largest pasted text a Slack HTTP request may carry: the form body stays under 1 MiB."""
    from urllib.parse import quote_plus

    words = 150_000
    while True:
        text = make_article(words, seed=7).replace("\n\n", " ")
        if len(quote_plus(text)) < 1024 * 1024 - 4096:
            return text
        words = int(words * 0.95)


def slack() -> int:
    import socket
    import urllib.request

    from tests.conftest import stop
    from tests.fakes.slack_server import TEAM_ID, FakeSlack, signed_headers, slash_body

    secret = "bench-signing-secret"
    api = FakeSlack().start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = Path(tempfile.mkdtemp(prefix="bench-sizes-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "SLACK_"))}
    env.update({"NO_COLOR": "1", "NEWSDIGEST_DATA_DIR": str(data_dir), "NEWSDIGEST_SLACK_BOT_TOKEN": "xoxb-bench",
                "NEWSDIGEST_SLACK_SIGNING_SECRET": secret, "NEWSDIGEST_SLACK_PORT": str(port),
                "NEWSDIGEST_SLACK_API_URL": api.api_url})
    cli = Path(sys.executable).parent / "newsdigest"
    # for /who-said: stored as the workspace's own, which the commands (slash_body's team) look in
    subprocess.run([str(cli), "ingest", "seeds/", "--workspace", f"slack:{TEAM_ID}"], env=env, cwd=ROOT,
                   capture_output=True, check=True)
    process = subprocess.Popen([str(cli), "run", "slack"], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def post(body: str) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                         headers=signed_headers(body, secret), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("newsdigest run slack did not start") from None
                time.sleep(0.1)
        text = _slack_text()
        print(f"six /digest commands of {len(text.split()):,} words ({len(text):,} characters) each", flush=True)
        digest_urls = []
        for n in range(6):
            url = api.response_url()
            digest_urls.append(url)
            status = post(slash_body("/digest", text.replace("Harbour", f"Harbour{n}", 1), url))
            assert status == 200, status
        time.sleep(1.0)  # the digests are running
        who_url = api.response_url()
        sent = time.perf_counter()
        post(slash_body("/who-said", '"go to choice for coders"', who_url))
        path = who_url.split("127.0.0.1:")[1].split("/", 1)[1]
        api.wait(lambda calls: any(c.path == "/" + path for c in calls), timeout=120)
        answered = time.perf_counter() - sent
        [who] = [c for c in api.calls_snapshot if c.path == "/" + path]
        said = who.data.get("text", "")
        # A "no match" answer comes back fast too: the figure counts only for a real answer.
        if "Christopher Nulty" not in said:
            raise SystemExit(f"/who-said did not find the seed's quote: {said[:120]!r}")
        print(f"/who-said answered in {answered:.2f} s while the digests ran (goal < 3 s): {said[:70]}", flush=True)
        answers = []
        for url in digest_urls:
            path = "/" + url.split("127.0.0.1:")[1].split("/", 1)[1]
            found = [c for c in api.calls_snapshot if c.path == path]
            answers.append(found[0].data.get("text", "")[:60] if found else "(not yet answered)")
        for n, answer in enumerate(answers, start=1):
            print(f"  /digest {n}: {answer}")
    finally:
        stopped = time.perf_counter()
        stop(process, timeout=60)
        print(f"SIGTERM stopped newsdigest run slack in {time.perf_counter() - stopped:.2f} s "
              f"(exit status {process.returncode})")
        api.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slack", action="store_true", help="the bot answering while six huge digests run")
    parser.add_argument("--feed", action="store_true", help="one poll's parse of a 100,000-entry feed")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-feed", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_digest(args.child)
        return 0
    if args.child_feed:
        entries, limit = args.child_feed
        _child_feed(int(entries), None if limit == "none" else int(limit))
        return 0
    if args.slack:
        return slack()
    if args.feed:
        return feed()
    return sizes()


if __name__ == "__main__":
    sys.exit(main())
