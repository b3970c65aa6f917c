"""A running process's output read line by line in a thread, so that a test can wait for the line
that says something happened (a connection made, a request handled) instead of sleeping, and still
read all of it once the process has ended."""

from __future__ import annotations

import threading
import time
from typing import IO


class Lines:
    """Every line of `stream` (a process's stdout or stderr pipe), decoded as it arrives."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            with self._changed:
                self._lines.append(raw.decode("utf-8", "replace"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        """The first line containing `text`, as soon as it is written; fails after `timeout` s (or
        when the stream ends without it) with what was read."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self._lines if text in line), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise AssertionError(f"no line with {text!r} within {timeout} s: {''.join(self._lines)[-2000:]}")
                self._changed.wait(left)

    def text(self, timeout: float = 30.0) -> str:
        """All of it, once the stream has ended (the process exited)."""
        self._thread.join(timeout)
        with self._changed:
            return "".join(self._lines)
