"""The split roles under load, on PostgreSQL: feeds digested by 1 and then 2 worker processes while
channels' slots fire, with chat answers timed during the burst. Stops by itself.

    .venv/bin/python bench/bench_scale.py --quick                        # 3-4 min on 2 busy cores
    .venv/bin/python bench/bench_scale.py --quick --kill-worker --kill-leader
    .venv/bin/python bench/bench_scale.py --feeds 2000 --entries 20000 --channels 5000 --kill-worker --kill-leader

Each run (one per `--workers` count) gets a database of its own on the PostgreSQL at 127.0.0.1:5432
(`bench_scale_<pid>_<n>`, dropped at the end unless `--keep-db`), migrated, with `--channels` Slack
channels of one workspace, each subscribed to `--feeds / --channels` feeds (at least one; every feed
has a subscriber) and scheduled for one slot a day at a minute that falls during the run (the
channels are spread over `--slot-minutes` consecutive minutes). The feeds are served by a local
server (bench/bench_feeds.py's generated articles with named speakers, `--entries` in all) and were
"polled before", so every entry is news, digested in one poll.

Then, as processes of the installed `newsdigest run --role …`: one chat process in Slack HTTP mode
against the tests' local Slack (tests/fakes/slack_server.py: it posts the deliveries), one scheduler
(two with `--kill-leader`), and N workers (`--worker-concurrency` tasks each, 1 by default: one
core per worker process). While they run the bench sends a signed /who-said to the chat process
every `--ask-every` seconds and times its answer (the call to its response_url). `--kill-worker`
kills worker 1 with SIGKILL once a third of the entries are digested and starts a replacement (as a
supervisor would); `--kill-leader` kills the leading scheduler with SIGKILL 5 s before the first slot.

A run ends when every entry is digested and every slot has its ledger outcome, or at `--timeout`.
Printed per run: entries digested per minute (all workers, and per worker from their logs: each
poll's "N digested"), slot lateness p50/p95 (the ledger's completed_at minus the slot's minute),
duplicate posts (Slack messages with the same delivery key and position: must be 0), missed slots
(no posted/empty outcome: must be 0), /who-said latency p50/p95/max, and the database's work
(pg_stat_database: transactions and rows; pg_stat_user_tables per table) per digested entry and per
slot. The machine may be shared: the figures say what this run saw, nothing more.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_feeds import serve  # noqa: E402 - the local feed and page server

CLI = Path(sys.executable).parent / "newsdigest"
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "bench-scale-signing-secret"
QUICK = {"feeds": 24, "entries": 120, "channels": 60, "slot_minutes": 1, "lead": 30.0}
# Who-said fragments the generated articles quote (bench_feeds.CLAIMS): an answer finds a speaker
# once some entries are digested.
FRAGMENTS = ["will cost far more than anyone has admitted", "puts small businesses at risk",
             "has the full support of our members", "shows what careful planning can achieve"]


# Which tables' writes belong to which operation (for the per-operation figures).
ENTRY_TABLES = ("feed_entries", "articles", "digests", "quotes", "article_tenants", "channel_stories", "feeds")
SLOT_TABLES = ("deliveries", "delivery_posts", "delivery_messages")
QUEUE_TABLES = ("procrastinate_jobs", "procrastinate_events", "procrastinate_periodic_defers", "procrastinate_workers")


@dataclass
class Run:
    workers: int
    url: str
    tmp: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    def start(self, name: str, *args: str, **extra: str) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen([str(CLI), "run", *args], env={**self.env, **extra}, cwd=self.tmp,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def admin():  # noqa: ANN201 - a SQLAlchemy engine
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def setup(url: str, base: str, args: argparse.Namespace, first_slot: datetime) -> dict[int, str]:
    """Migrate, subscribe and schedule; the slot each channel (by its store id) expects."""
    from sqlalchemy import update

    from bot.scheduler import slot_key
    from bot.schedules import parse_schedule
    from bot.store import Store
    from bot.store import channels as channel_store
    from bot.store import feeds as feed_store
    from bot.store.channels import ChannelRef
    from bot.store.schema import FeedRow, SubscriptionRow
    from tests.fakes.slack_server import TEAM_ID

    store = Store(url)
    store.migrate()
    now = datetime.now(timezone.utc)
    expected: dict[int, str] = {}
    for k in range(args.channels):
        ref = ChannelRef(platform="slack", external_id=f"{TEAM_ID}:C{k:07d}", name=f"bench-{k}", workspace=TEAM_ID)
        for feed in range(k % args.feeds, args.feeds, args.channels) if args.feeds > args.channels else [k % args.feeds]:
            feed_store.subscribe(store, ref, f"{base}/feed/{feed}.xml", interval_seconds=3600, now=now)
        slot = first_slot + timedelta(minutes=k % args.slot_minutes)
        channel_store.set_schedule(store, ref, parse_schedule(f"{slot.minute} {slot.hour} * * *", "UTC"))
        channel_id = channel_store.find_channel(store, ref)
        assert channel_id is not None
        expected[channel_id] = slot_key(slot)
    with store.session() as s:
        # Polled an hour ago (so that the entries are news, not a first poll's backlog) and due now.
        s.execute(update(FeedRow).values(last_polled_at=now - timedelta(hours=1), next_poll_at=now - timedelta(minutes=1)))
        s.execute(update(SubscriptionRow).values(created_at=now - timedelta(days=1)))
    store.close()
    return expected


def db_stats(engine, url: str, name: str) -> tuple[dict[str, int], dict[str, dict[str, int]]]:  # noqa: ANN001
    """The database's counters (from the admin connection) and its tables' (from a connection to it:
    pg_stat_user_tables is per database)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    with engine.connect() as c:
        row = c.execute(text("SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, "
                             "tup_deleted FROM pg_stat_database WHERE datname = :n"), {"n": name}).mappings().one()
    own = create_engine(url, poolclass=NullPool)
    with own.connect() as c:
        tables = {r["relname"]: dict(r) for r in c.execute(text(
            "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, n_tup_ins, n_tup_upd, "
            "n_tup_del, n_live_tup FROM pg_stat_user_tables")).mappings()}
    own.dispose()
    return dict(row), tables


def ask_who_said(fake, port: int, fragment: str) -> tuple[float, str]:  # noqa: ANN001 - FakeSlack
    """One signed /who-said to the chat process: seconds until its answer reached the response_url."""
    from tests.fakes.slack_server import signed_headers, slash_body

    url = fake.response_url()
    body = slash_body("/who-said", f'"{fragment}"', url)
    sent = time.perf_counter()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(),
                                     headers=signed_headers(body, SECRET), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    path = "/" + url.split("127.0.0.1:", 1)[1].split("/", 1)[1]
    calls = fake.wait(lambda calls: any(c.path == path for c in calls), timeout=60)
    elapsed = time.perf_counter() - sent
    answer = next(c for c in calls if c.path == path).data.get("text", "")
    return elapsed, answer


def posted_keys(fake) -> list[tuple[str, str, int]]:  # noqa: ANN001
    """(channel, delivery key, position) of every digest message the chat process posted."""
    keys = []
    for call in fake.calls("chat.postMessage"):
        metadata = call.data.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        payload = metadata.get("event_payload") or {}
        if "idempotency_key" in payload:
            keys.append((call.data.get("channel"), payload["idempotency_key"], int(payload.get("part") or 0)))
    return keys


def run_once(workers: int, args: argparse.Namespace, base: str, fake) -> dict[str, Any]:  # noqa: ANN001, C901
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from bot.leader import LOCK_NAME
    from bot.store import Store
    from bot.store.locks import lock_holder
    from bot.store.schema import ArticleRow, DeliveryRow, FeedEntryRow

    name = f"bench_scale_{os.getpid()}_{workers}"
    engine = admin()
    with engine.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-scale-{workers}-"))
    run = Run(workers, url, tmp)
    try:
        set_up = time.monotonic()
        # The first slot: a minute boundary far enough ahead for the set-up and the workers' model load.
        now = datetime.now(timezone.utc)
        lead = timedelta(seconds=args.lead + args.channels * 0.01)
        first_slot = (now + lead + timedelta(seconds=59)).replace(second=0, microsecond=0)  # the next minute after the lead
        expected = setup(url, base, args, first_slot)
        last_slot = first_slot + timedelta(minutes=args.slot_minutes - 1)
        print(f"  set up {args.channels} channels and {args.feeds} feeds in {time.monotonic() - set_up:.0f} s; "
              f"slots {first_slot:%H:%M}–{last_slot:%H:%M} UTC", flush=True)
        before_db, before_tables = db_stats(engine, url, name)
        port = free_port()
        per_feed = -(-args.entries // args.feeds)
        run.env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "SLACK_"))}
        run.env.update({
            "NO_COLOR": "1", "NEWSDIGEST_DATABASE_URL": url, "NEWSDIGEST_DATA_DIR": str(tmp / "data"),
            "NEWSDIGEST_ALLOW_PRIVATE_URLS": "true", "NEWSDIGEST_FEED_MAX_ENTRIES": str(per_feed),
            "NEWSDIGEST_DIGEST_WORKERS": str(args.worker_concurrency), "NEWSDIGEST_QUEUE_HEARTBEAT": "2",
            "NEWSDIGEST_QUEUE_STALLED_AFTER": "10", "NEWSDIGEST_LEADER_RETRY": "2", "NEWSDIGEST_DELIVERY_LEASE": "30"})
        slack_env = {"NEWSDIGEST_SLACK_BOT_TOKEN": "xoxb-bench", "NEWSDIGEST_SLACK_SIGNING_SECRET": SECRET,
                     "NEWSDIGEST_SLACK_PORT": str(port), "NEWSDIGEST_SLACK_API_URL": fake.api_url}
        run.start("chat", "slack", "--role", "chat", **slack_env)
        run.start("scheduler1", "--role", "scheduler")
        if args.kill_leader:
            run.start("scheduler2", "--role", "scheduler")
        for n in range(1, workers + 1):
            run.start(f"worker{n}", "--role", "worker")
        started = time.monotonic()
        store = Store(url)

        asked: list[tuple[float, str]] = []
        burst = threading.Event()
        done = threading.Event()

        def asker() -> None:
            n = 0
            while not done.is_set():
                if burst.is_set():
                    try:
                        asked.append(ask_who_said(fake, port, FRAGMENTS[n % len(FRAGMENTS)]))
                    except Exception as exc:  # counted as a failure of the chat role, not a crash of the bench
                        asked.append((math.inf, f"failed: {exc}"))
                    n += 1
                done.wait(args.ask_every)

        asking = threading.Thread(target=asker, daemon=True)
        asking.start()
        killed_worker = killed_leader = False
        deadline = started + args.timeout
        finished_at = None
        while time.monotonic() < deadline:
            with store.session() as s:
                digested = s.scalar(select(func.count()).select_from(FeedEntryRow).where(FeedEntryRow.article_id.is_not(None))) or 0
                outcomes = dict(((r.channel_id, r.slot), r.status) for r in s.scalars(select(DeliveryRow)))
            if digested and not burst.is_set():
                burst.set()
            if args.kill_worker and not killed_worker and digested >= args.entries / 3:
                run.kill("worker1")
                run.events.append(f"worker1 killed (SIGKILL) at {digested} entries digested; worker1b started")
                run.start("worker1b", "--role", "worker")
                killed_worker = True
            if args.kill_leader and not killed_leader and datetime.now(timezone.utc) >= first_slot - timedelta(seconds=5):
                holder = lock_holder(store, LOCK_NAME)
                pid = int(holder.rsplit(":", 1)[1]) if holder else None
                leader = next((n for n, p in run.processes.items() if p.pid == pid), None)
                if leader is not None:
                    run.kill(leader)
                    run.events.append(f"{leader} (the leader) killed (SIGKILL) 5 s before the first slot")
                    killed_leader = True
            settled = all(outcomes.get((c, slot)) in ("posted", "empty", "failed") for c, slot in expected.items())
            if digested >= args.entries and settled and datetime.now(timezone.utc) > last_slot:
                finished_at = time.monotonic()
                break
            if digested >= args.entries:
                burst.clear()  # the burst is over: later answers are not "during the burst"
            time.sleep(1)
        done.set()
        asking.join(timeout=90)
        with store.session() as s:
            times = [t for (t,) in s.execute(select(ArticleRow.created_at))]
            rows = {(r.channel_id, r.slot): (r.status, r.completed_at) for r in s.scalars(select(DeliveryRow))}
            digested = s.scalar(select(func.count()).select_from(FeedEntryRow).where(FeedEntryRow.article_id.is_not(None))) or 0
        store.close()
        # The processes' table counters reach pg_stat only when flushed (at most every few seconds, and
        # when a backend exits): read them once every role has stopped.
        run.stop_all()
        time.sleep(1)
        after_db, after_tables = db_stats(engine, url, name)
    finally:
        run.stop_all()
        if not args.keep_db:
            with engine.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    per_worker = {}
    for proc_name in run.processes:
        if proc_name.startswith("worker"):
            per_worker[proc_name] = sum(int(n) for n in re.findall(r"\((\d+) digested", run.log(proc_name)))
    span = (max(times) - min(times)).total_seconds() if len(times) > 1 else math.nan
    late = []
    missed = []
    for channel, slot in expected.items():
        status, completed = rows.get((channel, slot), (None, None))
        if status not in ("posted", "empty") or completed is None:
            missed.append((channel, slot, status))
            continue
        late.append((completed - datetime.strptime(slot, "%Y-%m-%dT%H:%MZ").replace(tzinfo=timezone.utc)).total_seconds())
    keys = posted_keys(fake)
    duplicates = len(keys) - len(set(keys))
    delta = {k: after_db[k] - before_db[k] for k in after_db}
    tables = {}
    for table, after in after_tables.items():
        was = before_tables.get(table, {})
        tables[table] = {k: after[k] - was.get(k, 0) for k in ("seq_scan", "seq_tup_read", "idx_scan", "n_tup_ins",
                                                                "n_tup_upd", "n_tup_del")} | {"live": after["n_live_tup"]}
    tracebacks = sum(run.log(n).count("Traceback") for n in run.processes)
    return {"workers": workers, "digested": digested, "span": span, "per_worker": per_worker, "late": late,
            "missed": missed, "duplicates": duplicates, "posts": len(keys),
            "posted_slots": sum(1 for s, _ in rows.values() if s == "posted"), "asked": asked, "db": delta,
            "tables": tables, "slots": len(expected), "events": run.events, "finished": finished_at is not None,
            "elapsed": (finished_at or time.monotonic()) - started, "tracebacks": tracebacks, "logs": str(tmp)}


def report(result: dict[str, Any]) -> None:
    n = result["workers"]
    rate = (result["digested"] - 1) / result["span"] * 60 if result["span"] == result["span"] and result["span"] else math.nan
    print(f"== {n} worker process{'es' if n > 1 else ''}: {'finished' if result['finished'] else 'TIMED OUT'} after "
          f"{result['elapsed']:.0f} s (logs in {result['logs']})")
    for event in result["events"]:
        print(f"  event: {event}")
    print(f"  entries digested: {result['digested']}; {rate:.0f} entries/min in all, {rate / n:.0f} per worker "
          f"(first to last article stored, {result['span']:.0f} s)")
    print("  per worker process (its polls' logs): " + ", ".join(f"{k} {v}" for k, v in result["per_worker"].items()))
    late = result["late"]
    print(f"  slots: {result['slots']} expected, {len(late)} delivered ({result['posted_slots']} with a post), "
          f"missed {len(result['missed'])}; lateness p50 {percentile(late, 50):.1f} s, p95 {percentile(late, 95):.1f} s, "
          f"max {max(late, default=math.nan):.1f} s")
    if result["missed"]:
        print(f"  missed (first 5): {result['missed'][:5]}")
    print(f"  digest messages posted: {result['posts']}; duplicate posts: {result['duplicates']}")
    answered = [t for t, a in result["asked"] if t != math.inf]
    found = sum(1 for _, a in result["asked"] if any(f in a for f in FRAGMENTS))
    print(f"  /who-said on the chat role during the burst: {len(result['asked'])} asked, {len(answered)} answered "
          f"({found} quoting the fragment asked for); p50 {percentile(answered, 50):.2f} s, p95 {percentile(answered, 95):.2f} s, "
          f"max {max(answered, default=math.nan):.2f} s")
    db, entries, slots = result["db"], max(result["digested"], 1), max(len(late), 1)
    print(f"  database (pg_stat_database, the whole run): {db['xact_commit']} transactions committed, "
          f"{db['xact_rollback']} rolled back, rows inserted {db['tup_inserted']}, updated {db['tup_updated']}, "
          f"deleted {db['tup_deleted']}, returned by scans {db['tup_returned']}, fetched by index {db['tup_fetched']}")
    print(f"    per digested entry (all of the run's work divided by entries): {db['xact_commit'] / entries:.1f} "
          f"transactions, {db['tup_inserted'] / entries:.1f} rows inserted, {db['tup_updated'] / entries:.1f} updated, "
          f"{db['tup_fetched'] / entries:.0f} fetched")
    print("  tables (this run: inserts, updates, deletes, seq scans, rows read by seq scans, index scans; live rows):")
    busiest = sorted(result["tables"].items(), key=lambda kv: -(kv[1]["n_tup_ins"] + kv[1]["n_tup_upd"] + kv[1]["seq_tup_read"]))
    for table, t in busiest[:12]:
        print(f"    {table:<28} ins {t['n_tup_ins']:>7} upd {t['n_tup_upd']:>7} del {t['n_tup_del']:>6} "
              f"seq {t['seq_scan']:>6} seq_rows {t['seq_tup_read']:>9} idx {t['idx_scan']:>7} live {t['live']:>7}")
    def rows_of(names: tuple[str, ...]) -> int:
        return sum(result["tables"].get(t, {}).get(k, 0) for t in names for k in ("n_tup_ins", "n_tup_upd", "n_tup_del"))

    jobs = result["tables"].get("procrastinate_jobs", {}).get("n_tup_ins", 0)
    print(f"    per digested entry, rows written in its tables ({', '.join(ENTRY_TABLES)}): "
          f"{rows_of(ENTRY_TABLES) / entries:.1f}")
    print(f"    per slot delivered, rows written in the ledger's tables ({', '.join(SLOT_TABLES)}): "
          f"{rows_of(SLOT_TABLES) / slots:.1f}")
    print(f"    queue: {jobs} tasks, {rows_of(QUEUE_TABLES) / max(jobs, 1):.1f} rows written per task "
          f"({', '.join(QUEUE_TABLES)}); {db['xact_commit'] / result['elapsed']:.0f} transactions/s over the run")
    print(f"  tracebacks in the processes' logs: {result['tracebacks']}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"a small size: {QUICK}")
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--channels", type=int, default=5000)
    parser.add_argument("--slot-minutes", type=int, default=3, help="the channels' slots are spread over this many minutes")
    parser.add_argument("--workers", default="1,2", help="worker process counts, one run each (default 1,2)")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="tasks at a time per worker process")
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL worker 1 a third of the way through")
    parser.add_argument("--kill-leader", action="store_true", help="two schedulers; SIGKILL the leader before the first slot")
    parser.add_argument("--ask-every", type=float, default=3.0, help="seconds between two /who-said during the burst")
    parser.add_argument("--lead", type=float, default=40.0, help="seconds before the first slot's minute, at least")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds a run may take before it stops anyway")
    parser.add_argument("--keep-db", action="store_true", help="keep each run's database (and its name is printed)")
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
        args.timeout = min(args.timeout, 300.0)
    counts = [int(n) for n in args.workers.split(",")]

    from tests.fakes.slack_server import FakeSlack

    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports, args.entries, args.feeds), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    urllib.request.urlopen(f"{base}/fill", timeout=10).read()  # the feeds carry their entries from the start
    print(f"bench_scale: {args.feeds} feeds, {args.entries} entries, {args.channels} channels, slots over "
          f"{args.slot_minutes} min, worker processes {counts} ({args.worker_concurrency} task(s) each); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    results = []
    try:
        for n in counts:
            fake = FakeSlack().start()  # a Slack of its own per run: its posts are that run's
            try:
                result = run_once(n, args, base, fake)
            finally:
                fake.stop()
            report(result)
            results.append(result)
    finally:
        server.terminate()
        server.join()
    rates = {r["workers"]: (r["digested"] - 1) / r["span"] * 60 for r in results if r["span"] == r["span"] and r["span"]}
    if 1 in rates and 2 in rates:
        print(f"2 workers / 1 worker, entries per minute: {rates[2] / rates[1]:.2f}x "
              f"(load average {os.getloadavg()[0]:.1f} at the end: the machine is shared)")
    bad = any(r["duplicates"] or r["missed"] or not r["finished"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
