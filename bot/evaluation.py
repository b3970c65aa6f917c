"""Measure quote attribution against a gold file, and say where it goes wrong.

The gold format is one article per line: {"id", "text", "quotes": [{"start", "end", "speaker",
"speaker_mention": {"text"}, "speaker_confidence"}], "ignore_spans": [...]}. Matching follows the
usual convention for this data: a predicted span matches a gold quote when it covers at least half
of it (quote marks and spaces trimmed), one to one, largest overlaps first; only speakers whose gold
confidence is high or medium are scored, and names match leniently (case, honorifics, surname).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from digests.models import HIGH_CONFIDENCE, LOW_CONFIDENCE, confidence_band

from .engines import QuoteFinder
from .errors import SourceError

_MARKS = " \t\n\r\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"
_TITLES = frozenset("mr mrs ms miss dr sen senator rep gov governor president sir prof professor gen general "
                    "secretary rev judge the former".split())
_PRONOUNS = frozenset("he she they it i we his her their him them".split())
SCORED = frozenset({"high", "medium"})
BAND_LABELS = {"high": f"high (>= {HIGH_CONFIDENCE})", "medium": f"medium ({LOW_CONFIDENCE}-{HIGH_CONFIDENCE})",
               "low": f"low (< {LOW_CONFIDENCE})"}


class Predicted(BaseModel):
    start: int
    end: int
    speaker: str | None = None
    confidence: float | None = None
    path: str | None = None  # which attribution rule gave the speaker


class Figures(BaseModel):
    articles: int
    gold_quotes: int
    predicted_quotes: int
    quote_precision: float
    quote_recall: float
    quote_f1: float
    scored_gold: int
    scored_matched: int
    speaker_accuracy: float
    attributed_precision: float
    attributed_recall: float
    attributed_f1: float
    bands: dict[str, tuple[int, int]]  # band -> (right, scored predictions in the band)
    # Scored matched quotes the engine left without a speaker although the gold names one.
    abstained: int = 0
    publishers: dict[str, tuple[int, int]] = {}  # `source` -> (right, scored matched quotes)
    layouts: dict[str, tuple[int, int]] = {}  # where the gold speaker is named -> (right, scored matched)
    # The engine's attribution rule -> (right, scored matched quotes it attributed, summed confidence):
    # what each rule's confidence should be.
    paths: dict[str, tuple[int, int, float]] = {}
    errors: dict[str, int]
    examples: dict[str, list[str]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _MARKS:
        start += 1
    while end > start and text[end - 1] in _MARKS:
        end -= 1
    return start, end


def _tokens(name: str) -> list[str]:
    cleaned = name.lower().replace("\u2019s", "").replace("'s", "")
    return [t for t in re.findall(r"[a-z0-9]+", cleaned) if t not in _TITLES]


def same_speaker(predicted: str | None, gold: dict) -> bool:
    p = _tokens(predicted or "")
    if not p:
        return False
    for candidate in (gold.get("speaker"), (gold.get("speaker_mention") or {}).get("text")):
        g = _tokens(candidate or "")
        if g and (set(p) <= set(g) or set(g) <= set(p) or p[-1] == g[-1]):
            return True
    return False


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _f1(p: float, r: float) -> float:
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def _mention_type(gold: dict) -> str:
    mention = ((gold.get("speaker_mention") or {}).get("text") or "").strip()
    if mention.lower() in _PRONOUNS:
        return "pronoun"
    if mention[:1].islower() or mention.lower().startswith(("a ", "an ", "the ")):
        return "nominal"
    return "name"


def _layout(text: str, gold: dict) -> str:
    """Where the gold speaker mention stands relative to the quote: the same paragraph before or after
    it, an earlier paragraph, or nowhere the gold says (an inherited or unmarked speaker)."""
    mention = gold.get("speaker_mention") or {}
    at = mention.get("start")
    if not isinstance(at, int):
        return "mention not located"
    start, end = gold["start"], gold["end"]
    lo, hi = sorted((at, start if at < start else end))
    same_paragraph = "\n" not in text[lo:hi]
    if at < start:
        return "before, same paragraph" if same_paragraph else "before, earlier paragraph"
    if at >= end:
        return "after, same paragraph" if same_paragraph else "after, later paragraph"
    return "inside the quote"


def read_gold(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise SourceError(str(exc), source=f"the gold file {path}", action="read") from None


def evaluate(gold_rows: Iterable[dict], predict: Callable[[str], list[Predicted]]) -> Figures:
    """Run `predict` on each gold article's text and score it."""
    tp = fp = fn = scored = matched = right = e2e_pred = e2e_right = articles = abstained = 0
    publishers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    layouts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    paths: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    bands: dict[str, list[int]] = {label: [0, 0] for label in BAND_LABELS.values()}
    errors: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)

    def note(kind: str, text: str) -> None:
        errors[kind] += 1
        if len(examples[kind]) < 5:
            examples[kind].append(" ".join(text.split())[:160])

    for row in gold_rows:
        articles += 1
        text = row["text"]
        golds = row["quotes"]
        ignore = [(s["start"], s["end"]) for s in row.get("ignore_spans", [])]
        preds = []
        for p in predict(text):
            span = _trim(text, p.start, p.end)
            if span[1] <= span[0] or any(_overlap(span, i) * 2 >= span[1] - span[0] for i in ignore):
                continue
            preds.append((span, p))
        pairs = sorted(((_overlap((g["start"], g["end"]), s), gi, pi)
                        for gi, g in enumerate(golds) for pi, (s, _) in enumerate(preds)
                        if _overlap((g["start"], g["end"]), s) * 2 >= g["end"] - g["start"]), reverse=True)
        g2p: dict[int, int] = {}
        p2g: dict[int, int] = {}
        for _, gi, pi in pairs:
            if gi not in g2p and pi not in p2g:
                g2p[gi], p2g[pi] = pi, gi
        tp += len(g2p)
        fn += len(golds) - len(g2p)
        fp += len(preds) - len(p2g)
        for gi, g in enumerate(golds):
            if gi not in g2p:
                note("missed quote", f"«{g['quote'] if 'quote' in g else text[g['start']:g['end']]}»")
        for pi, (span, p) in enumerate(preds):
            if pi not in p2g:
                note("spurious quote", f"«{text[span[0]:span[1]]}» → {p.speaker}")
        for gi, g in enumerate(golds):
            if g.get("speaker_confidence") not in SCORED:
                continue
            scored += 1
            if gi not in g2p:
                continue
            matched += 1
            p = preds[g2p[gi]][1]
            ok = same_speaker(p.speaker, g)
            right += ok
            abstained += not p.speaker
            for table, key in ((publishers, str(row.get("source") or "unknown")), (layouts, _layout(text, g))):
                table[key][0] += ok
                table[key][1] += 1
            if not ok:
                kind = "no speaker given" if not p.speaker else f"wrong speaker ({_mention_type(g)} in gold)"
                note(kind, f"«{text[g['start']:g['end']][:60]}» gold {g.get('speaker')!r} "
                           f"({(g.get('speaker_mention') or {}).get('text')!r}) predicted {p.speaker!r}")
            if p.speaker:
                path = paths[p.path or "unknown"]
                path[0] += ok
                path[1] += 1
                path[2] += p.confidence or 0.0
            if p.speaker and p.confidence is not None:
                band = bands[BAND_LABELS[confidence_band(p.confidence)]]
                band[0] += ok
                band[1] += 1
        for pi, (_, p) in enumerate(preds):
            paired = p2g.get(pi)
            if not p.speaker or (paired is not None and golds[paired].get("speaker_confidence") not in SCORED):
                continue
            e2e_pred += 1
            e2e_right += paired is not None and same_speaker(p.speaker, golds[paired])

    qp, qr = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    ap, ar = _ratio(e2e_right, e2e_pred), _ratio(e2e_right, scored)
    return Figures(
        articles=articles, gold_quotes=tp + fn, predicted_quotes=tp + fp,
        quote_precision=qp, quote_recall=qr, quote_f1=_f1(qp, qr),
        scored_gold=scored, scored_matched=matched, speaker_accuracy=_ratio(right, matched),
        attributed_precision=ap, attributed_recall=ar, attributed_f1=_f1(ap, ar),
        bands={k: (v[0], v[1]) for k, v in bands.items()}, abstained=abstained,
        publishers={k: (v[0], v[1]) for k, v in sorted(publishers.items())},
        layouts={k: (v[0], v[1]) for k, v in sorted(layouts.items(), key=lambda kv: -kv[1][1])},
        paths={k: (int(v[0]), int(v[1]), round(v[2], 2)) for k, v in sorted(paths.items(), key=lambda kv: -kv[1][1])},
        errors=dict(errors.most_common()), examples=dict(examples),
    )


def report(name: str, figures: Figures, show_errors: bool = True) -> str:
    """The figures as the scorer prints them, then accuracy by confidence band and the errors by type."""
    f = figures
    lines = [
        f"{name}",
        f"  articles: {f.articles}",
        f"  quote spans: P {f.quote_precision:.3f} R {f.quote_recall:.3f} F1 {f.quote_f1:.3f} "
        f"(gold {f.gold_quotes}, predicted {f.predicted_quotes})",
        f"  speaker accuracy on matched high/medium quotes: {f.speaker_accuracy:.3f} "
        f"({f.scored_matched} of {f.scored_gold} scored quotes matched)",
        f"  attributed quotes: P {f.attributed_precision:.3f} R {f.attributed_recall:.3f} F1 {f.attributed_f1:.3f}",
    ]
    lines.append(f"  scored quotes without a speaker where the gold names one: {f.abstained} of {f.scored_matched} "
                 f"= {_ratio(f.abstained, f.scored_matched):.3f}")
    if any(n for _, n in f.bands.values()):
        lines.append("  speaker accuracy by confidence band:")
        for label, (ok, n) in f.bands.items():
            lines.append(f"    {label:<18} {ok}/{n} = {_ratio(ok, n):.3f}" if n else f"    {label:<18} none")
    for title, table in (("publisher", f.publishers), ("where the gold names the speaker", f.layouts)):
        if not table:
            continue
        lines.append(f"  speaker accuracy by {title}:")
        width = max(len(k) for k in table)
        for key, (ok, n) in table.items():
            lines.append(f"    {key:<{width}} {ok}/{n} = {_ratio(ok, n):.3f}")
        if title == "publisher":
            low = min(table.items(), key=lambda kv: _ratio(*kv[1]))
            lines.append(f"    lowest: {low[0]} {_ratio(*low[1]):.3f}")
    if f.paths:
        lines.append("  speaker accuracy by attribution path (and the mean confidence it was given):")
        width = max(len(k) for k in f.paths)
        for key, (ok, n, total) in f.paths.items():
            lines.append(f"    {key:<{width}} {ok}/{n} = {_ratio(ok, n):.3f}  confidence {total / n:.2f}")
    if show_errors and f.errors:
        lines.append("  errors by type:")
        for kind, count in f.errors.items():
            lines.append(f"    {count:>4}  {kind}")
            for example in f.examples.get(kind, []):
                lines.append(f"          {example}")
    return "\n".join(lines)


def newsdigest_predictor(finder: QuoteFinder) -> Callable[[str], list[Predicted]]:
    """An engine (or the service in front of it), through the same batch interface the CLI offers."""
    def predict(text: str) -> list[Predicted]:
        return [Predicted(start=q.start, end=q.end, speaker=q.speaker.name if q.speaker else None,
                          confidence=q.confidence, path=q.path) for q in finder.quotes(text)]
    return predict


def textacy_predictor() -> Callable[[str], list[Predicted]]:
    """textacy's `direct_quotations` on the same spaCy pipeline (digests/baseline.py): the established
    rule-based baseline, which gives no confidence. Needs the development extra: pip install -e '.[eval]'."""
    try:
        from digests.baseline import TextacyQuotes

        baseline = TextacyQuotes()
    except ImportError:
        raise SourceError("the textacy baseline needs the development extra: pip install -e '.[eval]'") from None

    def predict(text: str) -> list[Predicted]:
        return [Predicted(start=q.start, end=q.end, speaker=q.speaker.name if q.speaker else None)
                for q in baseline.quotes(text)]
    return predict


def side_by_side(columns: dict[str, Figures]) -> str:
    """The headline figures of several systems on the same data, one column each."""
    rows = [
        ("quote span precision", "quote_precision"), ("quote span recall", "quote_recall"),
        ("quote span F1", "quote_f1"), ("speaker accuracy (matched)", "speaker_accuracy"),
        ("attributed precision", "attributed_precision"), ("attributed recall", "attributed_recall"),
        ("attributed F1", "attributed_f1"),
    ]
    names = list(columns)
    width = max(12, *(len(n) for n in names))
    lines = [f"{'':<28}" + "".join(f"{n:>{width + 2}}" for n in names)]
    for label, field in rows:
        lines.append(f"{label:<28}" + "".join(f"{getattr(columns[n], field):>{width + 2}.3f}" for n in names))
    lines.append(f"{'scored matched / predicted':<28}" + "".join(
        f"{f'{columns[n].scored_matched} / {columns[n].predicted_quotes}':>{width + 2}}" for n in names))
    return "\n".join(lines)
