"""The evaluation scorer on gold data the test writes, and the `eval quotes` command on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.evaluation import Predicted, evaluate, same_speaker

TEXT = ("“We will appeal,” said Jane Doe. The mayor called it a “so-called reform.” "
        "“Nothing changes,” he said.")


def gold_row() -> dict:
    def span(fragment: str) -> tuple[int, int]:
        start = TEXT.index(fragment)
        return start, start + len(fragment)

    a, b = span("We will appeal,"), span("Nothing changes,")
    return {"id": "t1", "text": TEXT, "ignore_spans": [], "quotes": [
        {"start": a[0], "end": a[1], "quote": TEXT[a[0]:a[1]], "speaker": "Jane Doe",
         "speaker_mention": {"text": "Jane Doe"}, "speaker_confidence": "high"},
        {"start": b[0], "end": b[1], "quote": TEXT[b[0]:b[1]], "speaker": "John Roe",
         "speaker_mention": {"text": "he"}, "speaker_confidence": "medium"},
    ]}


def test_lenient_name_matching():
    gold = {"speaker": "Hillary Clinton", "speaker_mention": {"text": "Mrs. Clinton"}}
    assert same_speaker("Clinton", gold)
    assert same_speaker("Sen. Hillary Clinton", gold)
    assert not same_speaker("Bill Smith", gold)
    assert not same_speaker(None, gold)


def test_scores_spans_speakers_bands_and_error_types():
    row = gold_row()
    a, b = row["quotes"]

    def predict(text: str) -> list[Predicted]:
        spurious = text.index("so-called reform.")
        return [
            Predicted(start=a["start"] - 1, end=a["end"] + 1, speaker="Doe", confidence=0.9),  # marks trimmed
            Predicted(start=b["start"], end=b["end"], speaker="Jane Doe", confidence=0.5),       # wrong speaker
            Predicted(start=spurious, end=spurious + 16, speaker=None),                       # not a gold quote
        ]

    f = evaluate([row], predict)
    assert (f.gold_quotes, f.predicted_quotes) == (2, 3)
    assert f.quote_recall == 1.0 and round(f.quote_precision, 3) == 0.667
    assert f.speaker_accuracy == 0.5
    assert f.attributed_precision == 0.5 and f.attributed_recall == 0.5
    assert f.bands["high (>= 0.8)"] == (1, 1)
    assert f.bands["low (< 0.6)"] == (0, 1)
    assert f.errors == {"wrong speaker (pronoun in gold)": 1, "spurious quote": 1}


@pytest.mark.slow
def test_eval_command_runs_the_engine(tmp_path: Path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(gold_row()) + "\n", encoding="utf-8")
    cli = Path(sys.executable).parent / "newsdigest"
    result = subprocess.run([str(cli), "eval", "quotes", str(gold)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "quote spans: P" in result.stdout
    assert "speaker accuracy on matched high/medium quotes: 0.500 (2 of 2 scored quotes matched)" in result.stdout


def test_side_by_side_puts_each_system_in_a_column():
    from bot.evaluation import side_by_side

    row = gold_row()
    perfect = evaluate([row], lambda text: [Predicted(start=q["start"], end=q["end"], speaker=q["speaker"])
                                            for q in row["quotes"]])
    empty = evaluate([row], lambda text: [])
    table = side_by_side({"ours": perfect, "baseline": empty}).splitlines()
    assert table[0].split() == ["ours", "baseline"]
    f1 = next(line for line in table if line.startswith("quote span F1"))
    assert f1.split()[-2:] == ["1.000", "0.000"]


def test_accuracy_per_publisher_layout_and_the_abstention_rate():
    first = gold_row()
    second = {**gold_row(), "id": "t2", "source": "Daily Example"}
    first["source"] = "Weekly Sample"
    for row in (first, second):
        a, b = row["quotes"]
        a["speaker_mention"] = {"text": "Jane Doe", "start": TEXT.index("Jane Doe"), "end": TEXT.index("Jane Doe") + 8}
    calls = iter([[("Jane Doe", 0.9), ("John Roe", 0.7)], [(None, 0.0), ("John Roe", 0.7)]])

    def predict(text: str) -> list[Predicted]:
        speakers = next(calls)
        return [Predicted(start=q["start"], end=q["end"], speaker=s, confidence=c)
                for q, (s, c) in zip(first["quotes"], speakers)]

    f = evaluate([first, second], predict)
    assert f.publishers == {"Daily Example": (1, 2), "Weekly Sample": (2, 2)}
    assert f.abstained == 1
    assert f.layouts["after, same paragraph"] == (1, 2)
    assert f.layouts["mention not located"] == (2, 2)
    from bot.evaluation import report
    printed = report("x", f)
    assert "scored quotes without a speaker where the gold names one: 1 of 4 = 0.250" in printed
    assert "lowest: Daily Example 0.500" in printed


def test_accuracy_and_confidence_per_attribution_path():
    from bot.evaluation import report

    row = gold_row()
    a, b = row["quotes"]

    def predict(text: str) -> list[Predicted]:
        return [
            Predicted(start=a["start"], end=a["end"], speaker="Jane Doe", confidence=0.9, path="speech verb"),
            Predicted(start=b["start"], end=b["end"], speaker="Jane Doe", confidence=0.5,
                      path="inherited across paragraphs"),
        ]

    f = evaluate([row], predict)
    assert f.paths == {"speech verb": (1, 1, 0.9), "inherited across paragraphs": (0, 1, 0.5)}
    printed = report("gold", f, show_errors=False)
    assert "speaker accuracy by attribution path" in printed
    assert "inherited across paragraphs 0/1 = 0.000  confidence 0.50" in printed
    assert "scored quotes without a speaker where the gold names one: 0 of 2" in printed
