"""The installed `newsdigest` command run as a person runs it: a separate process, its output captured,
and the check that a refusal is one plain line (no stack trace) on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/helpers/cli.py is two folders down
SEED = ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt"
CLI = Path(sys.executable).parent / "newsdigest"


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    assert CLI.exists(), f"the console script is not installed at {CLI}"
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([str(CLI), *args], input=stdin, capture_output=True, timeout=timeout, env=full_env, cwd=cwd)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    assert result.stdout == b""
    return lines[0]
