"""The `newsdigest` command line: the terminal is a platform like Slack and Discord.

Every failure a person can cause (a missing file, a private URL, an empty article) ends with exit
status 1 and one line on stderr; a bug in the bot ends with status 70 and one line too, the details
going to the log (`--verbose` shows them).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Callable, Sequence

log = logging.getLogger("newsdigest")

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE


def _cmd_digest(args: argparse.Namespace) -> int:
    from bot.service import DigestService
    from rich.console import Console

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
        raise SourceError(f"cannot read {args.jsonl}: {exc.strerror or exc}") from None
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
        theirs = evaluate(gold, textacy_predictor(service))
        print()
        print(side_by_side({"newsdigest": ours, "textacy": theirs}))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from digests.models import Digest

    sys.stdout.write(json.dumps(Digest.model_json_schema(), indent=2) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
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

    p = sub.add_parser("schema", help="print the JSON Schema of a digest")
    p.set_defaults(run=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.service import UserFacingError

    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except UserFacingError as exc:
        print(f"newsdigest: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("newsdigest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line for the person, the traceback for the operator's log
        log.debug("internal error", exc_info=True)
        print(f"newsdigest: internal error ({type(exc).__name__}: {exc}); run with --verbose for details",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
