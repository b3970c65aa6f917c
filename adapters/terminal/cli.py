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
    from bot.app import Newsdigest
    from bot.replies import Reply

log = logging.getLogger("newsdigest")

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE


def _cmd_digest(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bot.service import DigestService

    from .render import print_digest, to_markdown

    digest = DigestService().digest_source(args.source, stdin=sys.stdin.buffer)
    if args.format == "json":
        sys.stdout.write(digest.model_dump_json(indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(to_markdown(digest))
    else:
        print_digest(digest, Console(highlight=False))
    return 0


def _cmd_quotes(args: argparse.Namespace) -> int:
    """Batch interface: lines {"id", "text"} in, lines {"id", "quotes": [{start, end, text, speaker}]} out."""
    from bot.errors import SourceError
    from bot.service import DigestService

    service = DigestService()
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
    from bot.service import DigestService

    service = DigestService()
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


def _one_shot(name: str, call: Callable[[Newsdigest], Reply], args: argparse.Namespace) -> int:
    from bot.app import Newsdigest
    from bot.commands import run_safely

    app = Newsdigest()
    try:
        # Open the store outside run_safely: at the terminal the person is the operator, so a database
        # that cannot be opened ends the command with its own one-line reason (StoreError, exit 1).
        app.store  # noqa: B018 - opens it (a cached property)
        reply = run_safely(lambda: call(app), name)
    finally:
        app.close()
    return _print_reply(reply, args.json)


def _cmd_who_said(args: argparse.Namespace) -> int:
    from bot.commands import TERMINAL, who_said

    fragment = " ".join(args.fragment)
    return _one_shot("/who-said", lambda app: who_said(app, fragment, channel=TERMINAL), args)


def _cmd_dispute(args: argparse.Namespace) -> int:
    from bot.commands import TERMINAL, dispute

    article = " ".join(args.article)
    return _one_shot("/dispute", lambda app: dispute(app, article or None, TERMINAL), args)


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
        counts = app.store.counts()
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
        platforms = [platform(name) for name in named] if named else runner.configured_platforms()
        status = asyncio.run(runner.serve(app, platforms))
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


def _feeds_app():  # noqa: ANN202 - a bot.app.Newsdigest
    from bot.app import Newsdigest

    app = Newsdigest()
    app.store  # noqa: B018 - a database that cannot be opened ends the command here, with its one-line reason
    return app


def _cmd_feeds(args: argparse.Namespace) -> int:
    """newsdigest feeds add|list|remove|import|poll: a channel's feeds from the terminal (terminal:local
    unless --channel names another). The work is bot.commands and bot.feeds'; this only prints."""
    from datetime import datetime, timezone
    from pathlib import Path

    from bot.commands import TERMINAL, subscribe, unsubscribe

    channel = args.channel or TERMINAL
    now = datetime.now(timezone.utc)
    app = _feeds_app()
    try:
        if args.action == "add":
            return _print_reply(subscribe(app, channel, args.url), False)
        if args.action == "remove":
            return _print_reply(unsubscribe(app, channel, args.url), False)
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("digest", help="digest an article from a file, a URL or standard input (-)")
    p.add_argument("source", help="a file path, an http(s) URL, or - for standard input")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text", help="output format (default: text)")
    p.set_defaults(run=_cmd_digest)

    p = sub.add_parser("quotes", help="quotes and speakers for a batch of texts (JSON lines)")
    p.add_argument("--jsonl", required=True, metavar="IN.jsonl", help='lines {"id", "text"}; - for standard input')
    p.set_defaults(run=_cmd_quotes)

    p = sub.add_parser("eval", help="measure the engine against gold data")
    eval_sub = p.add_subparsers(dest="what", metavar="WHAT")
    eval_sub.required = True
    q = eval_sub.add_parser("quotes", help="quote spans and speakers against a gold JSONL file")
    q.add_argument("gold", metavar="GOLD.jsonl")
    q.add_argument("--baseline", choices=["none", "textacy"], default="none",
                   help="also score textacy's direct_quotations on the same data (needs the [eval] extra)")
    q.add_argument("--no-errors", action="store_true", help="print the figures only")
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
    p.set_defaults(run=_cmd_run)

    p = sub.add_parser("feeds", help="a channel's feeds: add, list, remove, import OPML, poll")
    feeds_sub = p.add_subparsers(dest="action", metavar="ACTION")
    feeds_sub.required = True
    channel_help = "the channel, e.g. slack:C0123 or discord:1234 (default terminal:local)"
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
    q = feeds_sub.add_parser("poll", help="poll the feeds that are due now, once; print what each poll did")
    q.add_argument("--all", action="store_true", help="poll every feed that is not paused, due or not")
    p.set_defaults(run=_cmd_feeds, channel=None)

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
    return (SourceError, ArticleError, ModelError, ConfigError) + ((store.StoreError,) if store is not None else ())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Every log line escapes the control characters of the outside text it quotes (adapters/terminal/logs.py).
    logs.install(verbose=args.verbose)

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
