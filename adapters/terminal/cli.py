"""The `newsdigest` command line: the terminal is a platform like Slack and Discord.

Every failure a person can cause (a missing file, a private URL, an empty article, a database that
cannot be opened, is damaged or is newer than this version, a malformed database URL, a bad setting or
`.env`) ends with exit status 1 and one line on stderr that says what to fix; a bug in the bot ends with
status 70 and one line too, the details going to the log (`--verbose` shows them). At the terminal the
person is the operator: an error's detail (the private address refused, the setting that allows it)
is shown, where a chat member reads only its public message.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Callable, Sequence

from . import logs

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

    from bot.commands import Invocation
    from bot.service import DigestService

log = logging.getLogger("newsdigest")

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE


def _service(args: argparse.Namespace) -> DigestService:
    """The digest service, on the engine `--engine` names (else NEWSDIGEST_ENGINE's)."""
    from bot.config import get_settings
    from bot.service import DigestService

    settings = get_settings()
    if getattr(args, "engine", None):
        settings = settings.model_copy(update={"engine": args.engine})
    return DigestService(settings)


def _cmd_digest(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .render import print_digest, to_markdown

    digest = _service(args).digest_source(args.source, stdin=sys.stdin.buffer)
    if args.format == "json":
        sys.stdout.write(digest.model_dump_json(indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(to_markdown(digest, sources=args.sources))
    else:
        print_digest(digest, Console(highlight=False), sources=args.sources)
    return 0


def _cmd_quotes(args: argparse.Namespace) -> int:
    """Batch interface: lines {"id", "text"} in, lines {"id", "quotes": [{start, end, text, speaker}]} out."""
    from bot.errors import SourceError
    service = _service(args)
    try:
        handle = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc), source=args.jsonl, action="read") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                article_id, text = row["id"], row["text"]
            except (ValueError, KeyError, TypeError):
                raise SourceError(f"{args.jsonl} line {number}: expected a JSON object with \"id\" and \"text\"") from None
            quotes = service.quotes(text)
            out = {"id": article_id, "quotes": [
                {"start": q.start, "end": q.end, "text": q.text,
                 "speaker": q.speaker.name if q.speaker else None, "confidence": q.confidence}
                for q in quotes]}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 0


def _cmd_eval_quotes(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.evaluation import evaluate, newsdigest_predictor, read_gold, report, side_by_side, textacy_predictor

    service = _service(args)
    gold = read_gold(Path(args.gold))
    ours = evaluate(gold, newsdigest_predictor(service))
    print(report("newsdigest", ours, show_errors=not args.no_errors))
    if args.baseline == "textacy":
        theirs = evaluate(gold, textacy_predictor())
        print()
        print(side_by_side({"newsdigest": ours, "textacy": theirs}))
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Column

    from bot.app import Newsdigest
    from bot.ingest import IngestItem, expand_sources, ingest

    app = Newsdigest()
    try:
        sources = expand_sources(args.sources)
        err = Console(stderr=True, highlight=False)
        if len(sources) > 1:
            progress = Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.fields[last]}", markup=False,
                                           table_column=Column(no_wrap=True, overflow="ellipsis", max_width=40)),
                                console=err, transient=True,
                                disable=not err.is_interactive)
            with progress:
                task = progress.add_task("ingest", total=len(sources), last="")

                def advance(item: IngestItem) -> None:
                    progress.update(task, advance=1, last=Path(item.source).name or item.source)

                report = ingest(app, sources, on_item=advance, stdin=sys.stdin.buffer, tenant=args.workspace)
        else:
            report = ingest(app, sources, stdin=sys.stdin.buffer, tenant=args.workspace)
    finally:
        app.close()
    c = report.counts
    print(f"{c['created']} stored, {c['updated']} updated, {c['unchanged']} unchanged, {c['failed']} failed")
    sys.stdout.flush()
    for item in report.failed:
        print(f"skipped {item.source}: {item.reason or item.error or 'unknown error'}", file=sys.stderr)
    return 0 if report.ok else EXIT_USER_ERROR


def _print_reply(reply, as_json: bool) -> int:  # noqa: ANN001 - a bot.replies.Reply
    """Print a one-shot command's reply; the exit status says what kind it was: 0 an answer, 1 not
    found or an error, 2 a usage mistake."""
    from rich.console import Console

    from .render import print_reply

    if as_json:
        sys.stdout.write(reply.model_dump_json(indent=2) + "\n")
    elif reply.kind == "error":
        print(f"newsdigest: {reply.summary}", file=sys.stderr)
    else:
        print_reply(reply, Console(highlight=False))
    return {"answer": 0, "usage": EXIT_USAGE}.get(reply.kind, EXIT_USER_ERROR)


def _one_shot(invocation: Invocation, args: argparse.Namespace) -> int:
    from bot.app import Newsdigest
    from bot.commands import dispatch

    # /who-said and /dispute only read: an out-of-date store is reported, not migrated.
    app = Newsdigest(migrate=False)
    try:
        # Open the store before the command runs: at the terminal the person is the operator, so a
        # database that cannot be opened ends the command with its own one-line reason (StoreError, exit 1).
        app.store  # noqa: B018 - opens it (a cached property)
        reply = dispatch(app, invocation)  # the path every platform's commands take
    finally:
        app.close()
    return _print_reply(reply, args.json)


def _cmd_who_said(args: argparse.Namespace) -> int:
    from bot.commands import Invocation

    return _one_shot(Invocation.of("/who-said", fragment=" ".join(args.fragment)), args)


def _cmd_dispute(args: argparse.Namespace) -> int:
    from bot.commands import Invocation

    return _one_shot(Invocation.of("/dispute", article=" ".join(args.article)), args)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


QUIT = frozenset({"/quit", "/exit", "/q"})
HINT = 'Commands start with /, e.g. /who-said "a few words of a quote". Type /help for the list, /quit to leave.'


def _cmd_chat(args: argparse.Namespace) -> int:
    """The embedded platform: the same commands as Slack and Discord, typed at a prompt. Reads lines
    with input(), so a pipe works as well as a person (no prompt is shown when stdin is not a terminal)."""
    from rich.console import Console
    from rich.text import Text

    from bot.app import Newsdigest
    from bot.commands import handle_text
    from bot.store import articles as article_store
    from bot.store.db import database_url, describe

    from .poster import TerminalPoster
    from .render import print_reply

    console = Console(highlight=False)
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401 - line editing and history for input()
        except ImportError:  # pragma: no cover - not on every platform
            pass
    app = Newsdigest()
    app.posters.register(TerminalPoster(console))  # /digest now posts here
    try:
        counts = article_store.counts(app.store)
        where = describe(database_url(app.settings))
        console.print(Text.assemble(
            ("newsdigest chat", "bold"),
            " — the embedded terminal platform, no tokens or server needed. ",
            f"Store: {where} ({_plural(counts['articles'], 'article')}, {_plural(counts['quotes'], 'quote')}). ",
            "Type /help for the commands, /quit or Ctrl-D to leave."))
        while True:
            try:
                line = console.input(Text("newsdigest> ", style="bold green")) if interactive else input()
            except EOFError:
                if interactive:
                    console.print()
                break
            line = line.strip()
            if not line:
                continue
            if line.split()[0].lower() in QUIT:
                break
            if not line.startswith("/"):
                console.print(Text(HINT, style="yellow"))
            else:
                print_reply(handle_text(app, line), console)
            console.print()
    finally:
        app.close()
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """`run [PLATFORM...]`: the named platforms (or every configured one; none: the terminal) with
    the feed poller and the digest scheduler, in one event loop (adapters/runner.py). A platform
    that cannot start ends the run with status 1 and one line on stderr."""
    import asyncio

    from adapters import runner
    from adapters.platform import PLATFORMS, platform
    from bot.app import Newsdigest

    app = Newsdigest()
    try:
        app.store  # a database that cannot be used stops here, with its one-line reason  # noqa: B018
        unknown = [p for p in args.platform if p not in PLATFORMS]
        if unknown:
            print(f"newsdigest: unknown platform {unknown[0]!r}: choose from {', '.join(PLATFORMS)}", file=sys.stderr)
            return EXIT_USAGE
        named = list(dict.fromkeys(args.platform))
        if named and args.role in ("worker", "scheduler"):
            print(f"newsdigest: the {args.role} role serves no platform: name platforms with --role chat or all",
                  file=sys.stderr)
            return EXIT_USAGE
        platforms = [platform(name) for name in named] if named else runner.configured_platforms()
        status = asyncio.run(runner.serve(app, platforms, args.role))
    except KeyboardInterrupt:
        status = 0
    finally:
        app.close()
    if not app.digests_idle(timeout=3.0):
        # A digest given up at SIGTERM is still inside the parser's native code: finalising the
        # interpreter under it aborts the process (BLIS calls abort()). Nothing of it is kept, the
        # store is closed and the logs flushed, so leave without finalising.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _channel(value: str):  # noqa: ANN202 - a bot.store.channels.ChannelRef
    """ "slack:T0123:C0456" → ChannelRef("slack", "T0123:C0456", workspace="T0123"); argparse turns the
    ValueError into a usage error. A Slack id carries its team; a Discord channel's server is learnt
    from the first command typed in it."""
    from bot.store.channels import ChannelRef

    platform, sep, external_id = value.partition(":")
    if not sep or not platform.strip() or not external_id.strip():
        raise ValueError(value)
    platform, external_id = platform.strip().lower(), external_id.strip()
    team, colon, _ = external_id.partition(":")
    workspace = team if platform == "slack" and colon and team else None
    return ChannelRef(platform=platform, external_id=external_id, workspace=workspace)


def _workspace(value: str) -> str:
    """ "slack:T0123" → the tenant key of that Slack workspace (a Discord server likewise); "terminal"
    is the terminal's own."""
    from adapters.platform import CHAT_PLATFORMS
    from bot.store.channels import tenant_key

    platform, sep, workspace = value.partition(":")
    platform, workspace = platform.strip().lower(), workspace.strip()
    if platform == "terminal" and not workspace:
        return tenant_key("terminal", "local", None)
    if not sep or platform not in CHAT_PLATFORMS or not workspace or ":" in workspace:
        raise ValueError(value)
    return tenant_key(platform, "", workspace)


_workspace.__name__ = "PLATFORM:ID"
_channel.__name__ = "PLATFORM:ID"  # what argparse's error message calls the type


class ChannelNotFound(Exception):
    """--channel names no stored channel; the message lists the ones there are."""


def stored_channel(app, typed, *, new_allowed: bool):  # noqa: ANN001, ANN201 - Newsdigest, ChannelRef → ChannelRef
    """The channel `--channel` names, in the form the store keeps it: Slack channels are
    slack:<team>:<channel>, so a bare slack:C0123 is accepted when exactly one stored channel has that
    id. A channel the store does not know is an error listing the known ones, except for the commands
    that create it (`feeds add`, `feeds import`) given a full form."""
    from bot.store import channels as channel_store

    known = channel_store.all_channels(app.store)
    for stored in known:
        if (stored.channel.platform, stored.channel.external_id) == (typed.platform, typed.external_id):
            return stored.channel
    if typed.platform == "slack" and ":" not in typed.external_id:
        same = [k.channel for k in known if k.channel.platform == "slack"
                and k.channel.external_id.rpartition(":")[2] == typed.external_id]
        if len(same) == 1:
            return same[0]
    elif new_allowed and typed.platform in ("slack", "discord", "terminal"):
        return typed
    forms = ", ".join(f"{k.channel.platform}:{k.channel.external_id}" for k in known) or "none yet"
    hint = " (Slack channels are slack:<team id>:<channel id>)" if typed.platform == "slack" else ""
    raise ChannelNotFound(f"no stored channel {typed.platform}:{typed.external_id}{hint}; the channels are: {forms}")


def _feeds_app(*, migrate: bool = True):  # noqa: ANN202 - a bot.app.Newsdigest
    from bot.app import Newsdigest

    app = Newsdigest(migrate=migrate)
    app.store  # noqa: B018 - a database that cannot be opened ends the command here, with its one-line reason
    return app


def _cmd_feeds(args: argparse.Namespace) -> int:
    """newsdigest feeds add|list|remove|import|poll: a channel's feeds from the terminal (terminal:local
    unless --channel names another). The work is bot.commands and bot.feeds'; this only prints."""
    from datetime import datetime, timezone
    from pathlib import Path

    from bot.commands import TERMINAL, Invocation, dispatch

    now = datetime.now(timezone.utc)
    app = _feeds_app(migrate=args.action != "list")
    try:
        channel = stored_channel(app, args.channel, new_allowed=args.action in ("add", "import")) \
            if args.channel else TERMINAL
        subcommand = {"add": "subscribe", "remove": "unsubscribe", "resume": "resume"}.get(args.action)
        if subcommand is not None:  # as /newsdigest subscribe|unsubscribe|resume would, by the operator
            return _print_reply(dispatch(app, Invocation.of("/newsdigest", subcommand, feed_url=args.url), channel), False)
        if args.action == "list":
            from bot.feeds.subscriptions import channel_feeds

            listed = channel_feeds(app, channel)
            if not listed:
                print(f"no feeds for {channel.platform}:{channel.external_id}: newsdigest feeds add URL")
            for url, feed in listed:
                if feed is None:
                    state = "not polled yet"
                elif feed.paused:
                    state = f"paused after {feed.failures} failures: {feed.last_error} (newsdigest chat: /newsdigest resume {url})"
                elif feed.failures:
                    state = f"failing ({feed.failures} in a row): {feed.last_error}"
                else:
                    polled = feed.last_polled_at.strftime("%Y-%m-%d %H:%M UTC") if feed.last_polled_at else "never"
                    upcoming = feed.next_poll_at.strftime("%Y-%m-%d %H:%M UTC") if feed.next_poll_at else "now"
                    state = f"ok, polled {polled}, next {upcoming}"
                print(f"{url}  {feed.title if feed and feed.title else '-'}  [{state}]")
            return 0
        if args.action == "import":
            from bot.feeds.subscriptions import import_opml

            report = import_opml(app, channel, Path(args.file), now)
            print(f"{len(report.subscribed)} subscribed, {len(report.already)} already subscribed, "
                  f"{len(report.skipped)} skipped")
            sys.stdout.flush()
            for url, reason in report.skipped:
                print(f"skipped {url}: {reason}", file=sys.stderr)
            return 0 if report.subscribed or report.already or not report.skipped else EXIT_USER_ERROR
        # poll
        from bot.feeds.poller import poll_due, poll_feed
        from bot.store.feeds import all_feeds

        if args.all:
            outcomes = [poll_feed(app, feed.id, now) for feed in all_feeds(app.store) if not feed.paused]
        else:
            outcomes = poll_due(app, now)
        if not outcomes:
            print("no feeds due now")
        for outcome in outcomes:
            print(f"{outcome.url}: {outcome.summary()}")
            for notice in outcome.notices:
                print(f"  notice for {notice.channel.platform}:{notice.channel.external_id}: {notice.text}")
        failed = [o for o in outcomes if o.status in ("failed", "paused")]
        return EXIT_USER_ERROR if outcomes and len(failed) == len(outcomes) else 0
    finally:
        app.close()


def _platform_statuses() -> list:  # noqa: ANN202 - list[bot.status.PlatformStatus]
    from bot.status import PlatformStatus

    from ..platform import CHAT_PLATFORMS, platform

    statuses = []
    for name in CHAT_PLATFORMS:
        chosen = platform(name)
        configured = chosen.configured()
        statuses.append(PlatformStatus(name=name, configured=configured,
                                       problem=chosen.settings_problem() if configured else None))
    return statuses


def _when(value, zone: str | None = None) -> str:  # noqa: ANN001 - a datetime or None
    if value is None:
        return "-"
    if zone:
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo(zone))
    return value.strftime("%Y-%m-%d %H:%M %Z")


def _cmd_status(args: argparse.Namespace) -> int:
    """`status [--json]`: platforms, store, channels with feeds, schedules and the last deliveries."""
    from datetime import datetime, timezone

    from rich.console import Console

    from bot.status import status_report

    app = _feeds_app(migrate=False)
    try:
        report = status_report(app, datetime.now(timezone.utc), _platform_statuses())
    finally:
        app.close()
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return 0
    out = Console(highlight=False, soft_wrap=True)
    for p in report.platforms:
        state = ("configured" + (f", cannot start: {p.problem}" if p.problem else "")) if p.configured else "not configured"
        out.print(f"{p.name}: {state}", markup=False)
    st = report.store
    out.print(f"store: {st.where}, schema {st.revision or 'none'} ({st.schema_state}; this version: {st.head})", markup=False)
    if report.queue is not None:
        depth = ", ".join(f"{q.queue} {q.todo} waiting, {q.doing} running, {q.failed} failed" for q in report.queue.queues)
        out.print(f"task queue: {depth or 'empty'}; {report.queue.retrying} waiting to be retried", markup=False)
        for failure in report.queue.failures:
            out.print(f"  failed task {failure.task} {failure.args} after {failure.attempts} attempts, {_when(failure.at)}",
                      markup=False)
        out.print(f"scheduler leader: {report.scheduler_leader or 'none (no --role scheduler process holds the lock)'}",
                  markup=False)
    if not report.channels:
        out.print("no channels yet: subscribe one to a feed or set its schedule", markup=False)
    for c in report.channels:
        zone = c.schedule.rpartition("(")[2].rstrip(")") if c.schedule else None
        out.print(f"\n{c.channel}" + (f" (#{c.name})" if c.name else "") + (f", workspace {c.workspace}" if c.workspace else ""),
                  markup=False)
        out.print(f"  schedule: {c.schedule or 'none'}" + (f", next digest {_when(c.next_digest_at, zone)}" if c.schedule else ""),
                  markup=False)
        for f in c.feeds:
            detail = {"ok": f"last poll {_when(f.last_polled_at)}, next {_when(f.next_poll_at)}",
                      "failing": f"{f.failures} failed polls, last error: {f.last_error}; next try {_when(f.next_poll_at)}",
                      "paused": f"paused after {f.failures} failed polls ({f.last_error}): newsdigest feeds resume {f.url}",
                      "not polled yet": "waiting for its first poll"}[f.state]
            out.print(f"  feed {f.url}: {f.state}, {detail}", markup=False)
        for d in c.deliveries:
            out.print(f"  delivery {d.slot}: {d.status}" + (f" ({d.detail})" if d.detail else "")
                      + f", {_when(d.completed_at or d.claimed_at)}", markup=False)
    return 0


def _cmd_channels(args: argparse.Namespace) -> int:
    """`channels`: every stored channel in the form `--channel` takes."""
    from bot.store import channels as channel_store
    from bot.store import feeds as feed_store

    app = _feeds_app(migrate=False)
    try:
        known = channel_store.all_channels(app.store)
        if not known:
            print("no channels yet")
        for k in known:
            feeds = len(feed_store.channel_feeds(app.store, k.channel))
            schedule = f"{k.schedule.cron} ({k.schedule.timezone})" if k.schedule else "no schedule"
            print(f"{k.channel.platform}:{k.channel.external_id}\t{k.channel.name or '-'}\t"
                  f"{k.channel.workspace or '-'}\t{feeds} feed{'s' if feeds != 1 else ''}\t{schedule}")
    finally:
        app.close()
    return 0


def _cmd_schedule(args: argparse.Namespace) -> int:
    """`schedule CHANNEL WHEN [ZONE]` (or `off`): the channel's digest schedule, as /newsdigest schedule sets it."""
    from bot.commands import handle_text

    app = _feeds_app()
    try:
        channel = stored_channel(app, args.channel, new_allowed=True)
        return _print_reply(handle_text(app, "/newsdigest schedule " + " ".join(args.when), channel), False)
    finally:
        app.close()


def _cmd_export(args: argparse.Namespace) -> int:
    """`export --workspace W [--articles FILE.jsonl] [--opml FILE.opml]`: what one workspace sees, to
    move it or keep it: every digest it may see as JSON lines, and its channels' subscriptions as OPML
    (which `feeds import` and feed readers read back). Never overwrites a file."""
    from pathlib import Path

    from bot.feeds.opml import OpmlFeed, write_opml
    from bot.store import articles as article_store
    from bot.store import feeds as feed_store

    targets = [Path(p).expanduser() for p in (args.articles, args.opml) if p]
    if not targets:
        print("newsdigest: say what to export: --articles FILE.jsonl and/or --opml FILE.opml", file=sys.stderr)
        return EXIT_USAGE
    for target in targets:
        if target.exists():
            print(f"newsdigest: {target} already exists: choose a new file name (an export never overwrites)",
                  file=sys.stderr)
            return EXIT_USER_ERROR
    app = _feeds_app(migrate=False)
    try:
        if args.articles:
            count = 0
            with Path(args.articles).expanduser().open("x", encoding="utf-8") as out:
                for body in article_store.tenant_digest_bodies(app.store, tenant=args.workspace):
                    out.write(body.replace("\n", " ") + "\n")  # stored compact: one digest, one line
                    count += 1
            print(f"{count:,} digests written to {args.articles}")
        if args.opml:
            subscriptions = feed_store.tenant_subscriptions(app.store, args.workspace)
            unique = list(dict.fromkeys((url, title) for _, url, title in subscriptions))
            Path(args.opml).expanduser().write_bytes(
                write_opml([OpmlFeed(url=url, title=title) for url, title in unique], f"newsdigest feeds of {args.workspace}"))
            print(f"{len(unique):,} feeds written to {args.opml}")
    finally:
        app.close()
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    """`db check|upgrade|backup PATH`: the operator's view of the store's schema, and a consistent copy."""
    from pathlib import Path

    from bot.config import get_settings
    from bot.store.db import backup_sqlite, database_url, describe, head_revision, migrate, open_engine, schema_state

    url = database_url(get_settings())
    engine = open_engine(url)
    where = describe(url)
    try:
        if args.action == "check":
            state, found = schema_state(engine)
            head = head_revision()
            print({"current": f"{where}: schema {found}, up to date",
                   "empty": f"{where}: no schema yet; `newsdigest db upgrade` (or any command that writes) creates it",
                   "behind": f"{where}: schema {found}, this version needs {head}: back it up, then `newsdigest db upgrade`",
                   "ahead": f"{where}: schema {found} was made by a newer newsdigest (this one knows up to {head})"}[state])
            return 0 if state == "current" else EXIT_USER_ERROR
        if args.action == "upgrade":
            before, found = schema_state(engine)
            migrate(engine)
            print(f"{where}: up to date ({head_revision()})" if before == "current"
                  else f"{where}: upgraded from {found or 'nothing'} to {head_revision()}")
            return 0
        size = backup_sqlite(engine, Path(args.path).expanduser())
        print(f"{where} backed up to {args.path} ({size:,} bytes). It holds the Slack installation tokens: "
              "keep it as private as the store itself.")
        return 0
    finally:
        engine.dispose()


SECRET_WORDS = ("token", "secret", "password", "api_key")


def _shown(name: str, value: object) -> str:
    """A setting's value as `config` prints it: secrets masked, a database URL without its password."""
    if value is None:
        return "(unset)"
    if any(word in name for word in SECRET_WORDS):
        return "********"
    if name == "database_url":
        from bot.store.db import describe  # the store's own way of naming a database without its password

        try:
            return describe(str(value))
        except Exception:  # not a URL at all: say so rather than print it (it may hold a password)
            return "(not a valid URL)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def env_example(kinds: Sequence[type[BaseSettings]]) -> str:
    """The `.env.example` text: every setting, commented out at its default, with what it does. The
    repository's file is this output (a test checks), so it can neither miss a setting nor invent one."""
    from pydantic_core import PydanticUndefined

    lines = ["# newsdigest settings: copy to .env (never commit .env) and uncomment what you change.",
             "# Every setting can also come from a file: NAME_FILE=/run/secrets/name (Docker/Kubernetes secrets).",
             "# Generated by `newsdigest config --example`; see the README's Configuration.", ""]
    for kind in kinds:
        prefix = str(kind.model_config.get("env_prefix") or "")
        lines.append(f"# --- {(kind.__doc__ or kind.__name__).strip().splitlines()[0]}")
        for name, field in kind.model_fields.items():
            default = field.default if field.default is not PydanticUndefined else None
            if field.default_factory is not None:
                # The data directory's default depends on the machine: say what it is made of.
                default = "$XDG_DATA_HOME/newsdigest (~/.local/share/newsdigest)" if name == "data_dir" \
                    else field.default_factory()  # type: ignore[call-arg]  # the project's factories take no argument
            shown = "" if default is None else ", ".join(map(str, default)) if isinstance(default, list) else str(default)
            lines.append(f"# {' '.join((field.description or name).split())}")
            lines.append(f"#{prefix}{name.upper()}={shown}")
        lines.append("")
    return "\n".join(lines)


def _cmd_config(args: argparse.Namespace) -> int:
    """`config`: every setting's effective value (secrets masked) and where it came from."""
    import os

    from rich.console import Console
    from rich.table import Table

    from bot.config import _dotenv, load_settings, unknown_variables, variables

    from ..platform import settings_classes

    kinds = settings_classes()
    if args.example:
        sys.stdout.write(env_example(kinds))
        return 0
    loaded: dict[type[BaseSettings], BaseSettings] = {kind: load_settings(kind) for kind in kinds}
    dotenv = _dotenv()
    rows = []
    for variable, (kind, name) in variables(kinds).items():
        source = ("environment" if variable in os.environ else
                  f"file ({variable}_FILE)" if f"{variable}_FILE" in os.environ or f"{variable}_FILE" in dotenv else
                  ".env" if variable in dotenv else "default")
        rows.append({"variable": variable, "value": _shown(name, getattr(loaded[kind], name)), "source": source})
    if args.json:
        sys.stdout.write(json.dumps({"settings": rows, "unknown": unknown_variables(kinds)}, indent=2) + "\n")
        return 0
    table = Table(box=None, pad_edge=False)
    table.add_column("variable", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True)
    for row in rows:
        table.add_row(row["variable"], row["value"], row["source"])
    Console(highlight=False).print(table)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from digests.models import Digest

    sys.stdout.write(json.dumps(Digest.model_json_schema(), indent=2) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from adapters.platform import PLATFORMS

    parser = argparse.ArgumentParser(
        prog="newsdigest",
        description="Digests of news articles: TL;DR, key quotes and who said them, implications, disputes.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details, including internal errors")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error", "critical"],
                        help="level of the bot's own log lines (default: NEWSDIGEST_LOG_LEVEL, else info for run, "
                             "warning otherwise)")
    parser.add_argument("--version", action="version", version=f"newsdigest {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("digest", help="digest an article from a file, a URL or standard input (-)")
    p.add_argument("source", help="a file path, an http(s) URL, or - for standard input")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text", help="output format (default: text)")
    p.add_argument("--sources", action="store_true", help="show the article sentences each item of the llm engine "
                   "cites (JSON always has them, under grounding)")
    p.add_argument("--engine", metavar="NAME", help="the digest engine (offline, llm); default NEWSDIGEST_ENGINE")
    p.set_defaults(run=_cmd_digest)

    p = sub.add_parser("quotes", help="quotes and speakers for a batch of texts (JSON lines)")
    p.add_argument("--jsonl", required=True, metavar="IN.jsonl", help='lines {"id", "text"}; - for standard input')
    p.add_argument("--engine", metavar="NAME", help="the digest engine (offline, llm); default NEWSDIGEST_ENGINE")
    p.set_defaults(run=_cmd_quotes)

    p = sub.add_parser("eval", help="measure the engine against gold data")
    eval_sub = p.add_subparsers(dest="what", metavar="WHAT")
    eval_sub.required = True
    q = eval_sub.add_parser("quotes", help="quote spans and speakers against a gold JSONL file")
    q.add_argument("gold", metavar="GOLD.jsonl")
    q.add_argument("--baseline", choices=["none", "textacy"], default="none",
                   help="also score textacy's direct_quotations on the same data (needs the [eval] extra)")
    q.add_argument("--no-errors", action="store_true", help="print the figures only")
    q.add_argument("--engine", metavar="NAME", help="the digest engine (offline, llm); default NEWSDIGEST_ENGINE")
    q.set_defaults(run=_cmd_eval_quotes)

    p = sub.add_parser("ingest", help="digest articles (files, folders, URLs, -) and keep them in the store")
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a file, a folder (its .txt, .html, .htm and .md files, recursively), an http(s) URL, or -")
    p.add_argument("--workspace", type=_workspace, default="terminal", metavar="PLATFORM:ID",
                   help="the workspace the articles are for, e.g. slack:T0123 or discord:<server id> "
                        "(default: the terminal's own, which no chat workspace sees)")
    p.set_defaults(run=_cmd_ingest)

    p = sub.add_parser("who-said", help="who said a quote, from the stored articles")
    p.add_argument("fragment", nargs="+", help="a few words of the quote")
    p.add_argument("--json", action="store_true", help="print the reply as JSON")
    p.set_defaults(run=_cmd_who_said)

    p = sub.add_parser("dispute", help="the dispute of the latest stored article that reports one, or of the one named")
    p.add_argument("article", nargs="*", help="title words, URL or id of a stored article")
    p.add_argument("--json", action="store_true", help="print the reply as JSON")
    p.set_defaults(run=_cmd_dispute)

    p = sub.add_parser("chat", help="type /digest, /dispute, /who-said at a prompt, as in Slack or Discord")
    p.set_defaults(run=_cmd_chat)

    p = sub.add_parser("run", help="run the bot: chat platforms, feed poller and digest scheduler, until stopped")
    # No `choices`: argparse rejects an empty list against them; _cmd_run checks the names.
    p.add_argument("platform", nargs="*", metavar="{" + ",".join(PLATFORMS) + "}",
                   help="the platforms to run (their settings: see the README); none: every configured one, "
                        "or the terminal when none is")
    p.add_argument("--role", choices=("all", "chat", "worker", "scheduler"), default="all",
                   help="the part of the bot this process runs (all: everything in one process, the default; "
                        "chat: the platforms, posting deliveries; worker: feed polls and digests; scheduler: the "
                        "slots, one leader at a time). The split roles share their work through PostgreSQL")
    p.set_defaults(run=_cmd_run)

    p = sub.add_parser("feeds", help="a channel's feeds: add, list, remove, import OPML, poll")
    feeds_sub = p.add_subparsers(dest="action", metavar="ACTION")
    feeds_sub.required = True
    channel_help = ("the channel as stored, e.g. slack:T0123:C0456 or discord:1234 (default terminal:local; "
                    "`newsdigest channels` lists them)")
    q = feeds_sub.add_parser("add", help="subscribe to a feed, or to the feed a site's page links to")
    q.add_argument("url", metavar="URL")
    q.add_argument("--channel", type=_channel, help=channel_help)
    q = feeds_sub.add_parser("list", help="the channel's feeds and how their polls went")
    q.add_argument("--channel", type=_channel, help=channel_help)
    q = feeds_sub.add_parser("remove", help="unsubscribe from a feed")
    q.add_argument("url", metavar="URL")
    q.add_argument("--channel", type=_channel, help=channel_help)
    q = feeds_sub.add_parser("import", help="subscribe to every feed of an OPML file (outlines with an xmlUrl)")
    q.add_argument("file", metavar="FILE.opml")
    q.add_argument("--channel", type=_channel, help=channel_help)
    q = feeds_sub.add_parser("resume", help="resume a paused feed")
    q.add_argument("url", metavar="URL")
    q.add_argument("--channel", type=_channel, help=channel_help)
    q = feeds_sub.add_parser("poll", help="poll the feeds that are due now, once; print what each poll did")
    q.add_argument("--all", action="store_true", help="poll every feed that is not paused, due or not")
    p.set_defaults(run=_cmd_feeds, channel=None)

    p = sub.add_parser("status", help="platforms, store, channels, feeds, schedules and the last deliveries")
    p.add_argument("--json", action="store_true", help="print it as JSON")
    p.set_defaults(run=_cmd_status)

    p = sub.add_parser("channels", help="the stored channels, in the form --channel takes")
    p.set_defaults(run=_cmd_channels)

    p = sub.add_parser("schedule", help="set a channel's digest schedule, e.g. slack:T0123:C0456 weekdays 08:00 Europe/Paris")
    p.add_argument("channel", type=_channel, metavar="CHANNEL")
    p.add_argument("when", nargs="+", metavar="WHEN [ZONE]", help="daily 08:00, weekdays 09:30, hourly, a cron expression, or off")
    p.set_defaults(run=_cmd_schedule)

    p = sub.add_parser("export", help="a workspace's digests (JSON lines) and feed subscriptions (OPML)")
    p.add_argument("--workspace", type=_workspace, default="terminal", metavar="PLATFORM:ID",
                   help="the workspace, e.g. slack:T0123 or discord:<server id> (default: the terminal's own)")
    p.add_argument("--articles", metavar="FILE.jsonl", help="write every digest the workspace sees, one JSON per line")
    p.add_argument("--opml", metavar="FILE.opml", help="write the feeds its channels subscribe to")
    p.set_defaults(run=_cmd_export)

    p = sub.add_parser("config", help="the effective settings (secrets masked) and where each came from")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.add_argument("--example", action="store_true", help="print a .env.example listing every setting at its default")
    p.set_defaults(run=_cmd_config)

    p = sub.add_parser("db", help="the store's schema: check, upgrade, back up")
    db_sub = p.add_subparsers(dest="action", metavar="ACTION")
    db_sub.required = True
    db_sub.add_parser("check", help="say whether the store's schema is up to date (exit 1 when not)")
    db_sub.add_parser("upgrade", help="apply the migrations this version brings (`run` does it too)")
    q = db_sub.add_parser("backup", help="copy the SQLite store to PATH, consistently even while the bot runs")
    q.add_argument("path", metavar="PATH")
    p.set_defaults(run=_cmd_db)

    p = sub.add_parser("schema", help="print the JSON Schema of a digest")
    p.set_defaults(run=_cmd_schema)
    return parser


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors written for the person who typed the command: bot.service.UserFacingError and the
    store's StoreError, taken from their light modules so that `who-said` never loads trafilatura or
    httpx, and `digest` never loads SQLAlchemy (a StoreError needs the store's module loaded first)."""
    from bot.errors import ConfigError, SourceError
    from digests.errors import ArticleError, ModelError

    store = sys.modules.get("bot.store.db")
    return (SourceError, ArticleError, ModelError, ConfigError, ChannelNotFound) + (
        (store.StoreError,) if store is not None else ())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsdigest")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _install_logs(args: argparse.Namespace) -> None:
    """Every log line escapes the control characters of the outside text it quotes (adapters/terminal/logs.py).
    The level: --log-level, else NEWSDIGEST_LOG_LEVEL, else info for `run` (its deliveries and pauses are the
    operator's news) and warning for the one-shot commands. Bad settings are reported by the command itself."""
    from bot.config import get_settings
    from bot.errors import ConfigError

    try:
        settings = get_settings()
        configured, fmt, libraries = settings.log_level, settings.log_format, settings.log_library_level
    except ConfigError:
        configured, fmt, libraries = None, "text", "warning"
    level = args.log_level or configured or ("info" if args.command == "run" else "warning")
    logs.install(verbose=args.verbose, level=level, fmt=fmt, library_level=libraries)
    from bot.config import unknown_variables

    from ..platform import settings_classes

    for line in unknown_variables(settings_classes()):
        log.warning("%s", line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _install_logs(args)

    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        print("newsdigest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if isinstance(exc, _user_errors()):
            # At the terminal the person is the operator: a SourceError's detail (the private address
            # refused, the setting to change) is theirs to read.
            print(f"newsdigest: {getattr(exc, 'detail', None) or exc}", file=sys.stderr)
            return EXIT_USER_ERROR
        # A bug: one line for the person, the traceback for the operator's log.
        log.debug("internal error", exc_info=True)
        print(f"newsdigest: internal error ({type(exc).__name__}: {exc}); run with --verbose for details",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
