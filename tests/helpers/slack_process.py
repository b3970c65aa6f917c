"""`newsdigest run slack` as a separate process in HTTP mode, for the tests that start one: its
environment (only the settings a test passes), a free port, waiting for the port, and signed posts to it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers.cli import CLI, ROOT

SECRET = "e2e-signing-secret"


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "SLACK_"))}
    env.update({"NO_COLOR": "1", "NEWSDIGEST_DATA_DIR": str(data_dir)})
    env.update({f"NEWSDIGEST_{k.upper()}": v for k, v in settings.items()})
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    assert CLI.exists(), f"the console script is not installed at {CLI}"
    return subprocess.run([str(CLI), *args], capture_output=True, timeout=timeout, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_slack(env: dict[str, str]) -> subprocess.Popen:
    """`newsdigest run slack` with `env`, its stdout and stderr in pipes."""
    return subprocess.Popen([str(CLI), "run", "slack"], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Until the port accepts connections (bounded); fails early if the process ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"newsdigest run slack ended with {process.returncode}: {process.stderr.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"port {port} did not open within {timeout} s")


def post(port: int, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
