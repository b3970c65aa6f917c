"""Feed entries through the whole pipeline on one worker process: poll → fetch → extract → digest → store.

    .venv/bin/python bench/bench_feeds.py [--entries 1000] [--feeds 20] [--database-url URL] [--workers N]

A separate process serves, on 127.0.0.1, `--feeds` RSS feeds and one HTML page per entry: generated
articles of 600–900 words with quotes by named speakers (so quote finding and attribution do real
work). The feeds are subscribed and polled once while empty (the first poll records the backlog),
then filled with the entries, and one `poll_due` pass handles them all (the per-poll cap is set to
the entries per feed). Printed: entries per minute, the time per entry, peak memory, and the ratio of
that time to the bare spaCy parse (`nlp(text)`) of the same articles' cleaned text, measured in the
same run after the poll. With `--workers N`, N worker processes (each with its own model, loaded
before the clock starts) poll the same database at once; feeds are shared out by the poller's
claim on each feed, and the figure is the wall time until all are done.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = ["Maria", "Tom", "Aisha", "Peter", "Grace", "Luis", "Hannah", "Kenji", "Olga", "Samuel", "Fatima", "Erik",
         "Nadia", "David", "Ingrid", "Marco", "Chloe", "Ravi", "Zofia", "Daniel"]
LAST = ["Lopez", "Becker", "Khan", "Novak", "Obi", "Fernandes", "Schmidt", "Tanaka", "Ivanova", "Mensah", "Haddad",
        "Lindqvist", "Petrova", "Cohen", "Berg", "Rossi", "Martin", "Patel", "Kowalska", "Murphy"]
ROLES = ["spokesperson", "chief executive", "finance director", "union leader", "professor of economics",
         "city councillor", "head of research", "senior analyst", "transport minister", "policy adviser"]
ORGS = ["the Harbour Authority", "Northwind Energy", "the City Council", "the Transport Workers Union",
        "Riverside University", "the Regional Bank", "Greenfield Foods", "the Ministry of Transport",
        "Atlas Logistics", "the Consumer Council"]
PLACES = ["the old port", "the northern districts", "the river valley", "the city centre", "the coastal towns",
          "the industrial park", "the university quarter", "the eastern suburbs"]
TOPICS = ["the new tram line", "the harbour expansion", "the energy price cap", "the school meals budget",
          "the flood barrier", "the night bus service", "the housing plan", "the water tariff"]
CLAIMS = ["will cost far more than anyone has admitted", "is the best chance the region has had in a decade",
          "was rushed through without listening to residents", "protects the jobs of thousands of families",
          "puts small businesses at risk", "has the full support of our members",
          "must be reviewed before any more money is spent", "shows what careful planning can achieve"]
NARRATIVE = [
    "Officials said the work on {topic} would start in {month} and take about {n} months to finish.",
    "The plan for {topic} was first presented in {month}, when the council promised a decision within {n} weeks.",
    "Residents of {place} have complained for years that {topic} was delayed while costs rose by {n} percent.",
    "According to documents seen by reporters, {org} spent {n} million euros on studies of {topic} last year.",
    "A survey of {n} households in {place} found that most people supported {topic}, though many had doubts.",
    "The vote on {topic} is expected next week, after a debate that has divided {place} for months.",
    "{org} published its own figures on Monday, which put the total cost of {topic} at {n} million euros.",
    "Critics pointed out that {topic} had already been postponed twice, most recently in {month}.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]


def article(n: int) -> tuple[str, list[str]]:
    """Article n: a title and paragraphs, 600–900 words, the same for the same n."""
    rng = random.Random(n)
    target = rng.randint(600, 900)
    topic = rng.choice(TOPICS)
    title = f"Report {n}: the row over {topic} in {rng.choice(PLACES)}"
    people = [(f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(ROLES), rng.choice(ORGS)) for _ in range(4)]
    paragraphs = [f"The debate over {topic} grew sharper on Tuesday as report number {n} reached the council, "
                  f"and both supporters and opponents said they would not give way."]
    words = len(paragraphs[0].split())
    while words < target:
        kind = rng.random()
        name, role, org = rng.choice(people)
        claim = rng.choice(CLAIMS)
        if kind < 0.25:
            text = f"“This plan {claim},” said {name}, the {role} at {org}, speaking after the meeting."
        elif kind < 0.4:
            text = f"{name}, {role} of {org}, said: “We have studied {topic} for {rng.randint(2, 9)} years and it {claim}.”"
        elif kind < 0.5:
            text = (f"“Nobody here wants to stop the work,” {name.split()[0]} {name.split()[1]} told reporters. "
                    f"“But the way it is being done {claim}.”")
        else:
            text = " ".join(rng.choice(NARRATIVE).format(topic=topic, place=rng.choice(PLACES), org=rng.choice(ORGS),
                                                         month=rng.choice(MONTHS), n=rng.randint(3, 90))
                            for _ in range(rng.randint(2, 4)))
        paragraphs.append(text)
        words += len(text.split())
    return title, paragraphs


def page_html(n: int) -> bytes:
    title, paragraphs = article(n)
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | Bench Gazette</title>
<meta property="og:site_name" content="Bench Gazette"></head><body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav></header>
<main><article><h1>{escape(title)}</h1>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/x">Another story</a></li><li><a href="/y">Yet another</a></li></ul></aside>
<footer><p>Copyright 2026 Bench Gazette. All rights reserved.</p></footer></body></html>""".encode("utf-8")


def feed_xml(base: str, feed: int, entries: list[int]) -> bytes:
    items = []
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for n in entries:
        title, _ = article(n)
        items.append(f"<item><title>{escape(title)}</title><link>{base}/story/{n}?utm_source=rss</link>"
                     f"<guid isPermaLink=\"false\">bench-{n}</guid>"
                     f"<pubDate>{format_datetime(when + timedelta(minutes=n), usegmt=True)}</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench feed {feed}</title>'
            f"<link>{base}/</link><description>bench</description>{''.join(items)}</channel></rss>").encode("utf-8")


def serve(port_out, entries: int, feeds: int) -> None:  # noqa: ANN001 - a multiprocessing Queue
    """The server process: /feed/<k>.xml (empty until /fill is requested) and /story/<n>."""
    state = {"filled": False}
    per_feed = [list(range(k, entries, feeds)) for k in range(feeds)]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            path = self.path.split("?", 1)[0]
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if path == "/fill":
                state["filled"] = True
                body, kind = b"ok", "text/plain"
            elif path.startswith("/feed/"):
                k = int(path.removeprefix("/feed/").removesuffix(".xml"))
                body, kind = feed_xml(base, k, per_feed[k] if state["filled"] else []), "application/rss+xml"
            elif path.startswith("/story/"):
                body, kind = page_html(int(path.removeprefix("/story/"))), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


def worker(settings_kwargs: dict, when: datetime, ready, start, results) -> None:  # noqa: ANN001 - mp objects
    """One more poller process: load the model, say so, wait for the start, poll, report."""
    from bot.app import Newsdigest
    from bot.config import Settings
    from bot.feeds.poller import poll_due
    from bot.service import DigestService
    from digests import DigestEngine

    settings = Settings(_env_file=None, **settings_kwargs)
    engine = DigestEngine()
    engine.digest(article(10**6)[0] + "\n" + "\n".join(article(10**6)[1]))  # warm up
    app = Newsdigest(settings, service=DigestService(settings, engine=engine))
    ready.put(True)
    start.wait()
    outcomes = poll_due(app, when)
    results.put((sum(o.digested for o in outcomes), sum(o.entry_errors for o in outcomes),
                 [a for o in outcomes for a in o.article_ids]))
    app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary directory")
    parser.add_argument("--workers", type=int, default=1, help="poller processes working at once (default 1)")
    args = parser.parse_args()

    import httpx

    from bot.app import Newsdigest
    from bot.config import Settings
    from bot.feeds.poller import poll_due
    from bot.service import DigestService
    from bot.store import articles as article_store
    from bot.store import feeds as feed_store
    from bot.store.channels import ChannelRef
    from digests import DigestEngine

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.entries, args.feeds), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            per_feed = -(-args.entries // args.feeds)
            settings = Settings(_env_file=None, data_dir=Path(tmp), database_url=args.database_url,
                                allow_private_urls=True, feed_max_entries=per_feed)
            load_start = time.perf_counter()
            engine = DigestEngine()
            load_s = time.perf_counter() - load_start
            app = Newsdigest(settings, service=DigestService(settings, engine=engine))
            channel = ChannelRef(platform="terminal", external_id="bench")
            now = datetime.now(timezone.utc)
            for k in range(args.feeds):
                feed_store.subscribe(app.store, channel, f"{base}/feed/{k}.xml", interval_seconds=900, now=now)
            first = poll_due(app, now)
            assert all(o.first_poll and o.backlog == 0 for o in first), [o.summary() for o in first]
            httpx.get(f"{base}/fill", trust_env=False)

            engine.digest(article(10**6)[0] + "\n" + "\n".join(article(10**6)[1]))  # warm up the pipeline
            later = now + timedelta(hours=1)
            extra = []
            ready, go, results = multiprocessing.Queue(), multiprocessing.Event(), multiprocessing.Queue()
            kwargs = dict(data_dir=Path(tmp), database_url=args.database_url or f"sqlite:///{Path(tmp) / 'newsdigest.db'}",
                          allow_private_urls=True, feed_max_entries=per_feed)
            for _ in range(args.workers - 1):
                process = multiprocessing.Process(target=worker, args=(kwargs, later, ready, go, results))
                process.start()
                extra.append(process)
            for _ in extra:
                ready.get(timeout=120)
            start = time.perf_counter()
            go.set()
            outcomes = poll_due(app, later)
            digested = sum(o.digested for o in outcomes)
            errors = sum(o.entry_errors for o in outcomes)
            article_ids = [a for o in outcomes for a in o.article_ids]
            for _ in extra:
                more_digested, more_errors, more_ids = results.get(timeout=3600)
                digested, errors, article_ids = digested + more_digested, errors + more_errors, article_ids + more_ids
            elapsed = time.perf_counter() - start
            for process in extra:
                process.join()
            texts = [article_store.get_digest(app.store, a).article.text for a in article_ids]
            quotes = sum(len(article_store.get_digest(app.store, a).quotes) for a in article_ids)

            parse_start = time.perf_counter()
            for text in texts:
                engine.nlp(text)
            parse_s = time.perf_counter() - parse_start
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            words = sum(len(t.split()) for t in texts)
            app.close()
    finally:
        server.terminate()
        server.join()

    n = len(texts)
    print(f"entries: {digested} digested, {errors} failed, from {args.feeds} feeds "
          f"({words / max(n, 1):.0f} words and {quotes / max(n, 1):.1f} quotes per article on average)")
    print(f"store: {'SQLite (temporary file)' if not args.database_url else args.database_url.split('@')[-1]}; "
          f"{args.workers} worker process{'es' if args.workers > 1 else ''}")
    print(f"model load: {load_s * 1000:.0f} ms (once)")
    print(f"poll → fetch → extract → digest → store: {elapsed:.1f} s, {digested / elapsed * 60:.0f} entries/min, "
          f"{elapsed / max(digested, 1) * 1000:.1f} ms per entry")
    print(f"bare spaCy parse of the same texts: {parse_s:.1f} s, {parse_s / max(n, 1) * 1000:.1f} ms per article")
    print(f"ratio (whole pipeline / bare parse): {elapsed / parse_s:.2f}")
    print(f"peak memory (first worker process): {peak_mb:.0f} MB")
    return 0 if digested == args.entries and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
