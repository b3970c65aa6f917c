"""The digest worker pool: a few worker threads and a short queue, with a deadline per digest.

Every digest of the process goes through one pool (`DigestService` owns it), so that however many
articles arrive at once, at most `digest_workers` are digested at a time and at most `digest_queue`
wait; a further one is refused at once ("busy, try again") rather than piling up. A digest that
passes its deadline is given up: the caller gets "too long or slow to digest" at the deadline, and
the worker stops at the engine's next checkpoint (between parsed pieces and between stages), so a
slow digest holds a worker for little longer than its deadline.

The workers are daemon threads and `stop()` releases every caller still waiting, so that SIGTERM
ends the process within seconds even while digests run: nothing waits for a digest to finish.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import BotStopping, DigestBusy, DigestTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")
Checkpoint = Callable[[], None]


class _GiveUp(Exception):
    """Raised at a checkpoint of a digest nobody waits for any more."""


class _Job(Generic[T]):
    def __init__(self, work: Callable[[Checkpoint], T], deadline: float) -> None:
        self.work = work
        self.deadline = deadline  # time.monotonic() after which the caller no longer waits
        self.abandoned = False
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()

    def finish(self, result: T | None = None, error: BaseException | None = None) -> None:
        """Record the outcome; the first one wins (the worker's, or stop()'s)."""
        with self._lock:
            if self.done.is_set():
                return
            self.result, self.error = result, error
            self.done.set()

    def checkpoint(self) -> None:
        if self.abandoned or time.monotonic() > self.deadline:
            raise _GiveUp


class DigestPool:
    """Runs `work(checkpoint)` calls on `workers` daemon threads, at most `queue_size` waiting."""

    def __init__(self, workers: int, queue_size: int, deadline: float) -> None:
        self.workers = workers
        self.deadline = deadline
        self._queue: queue.Queue[_Job] = queue.Queue(maxsize=queue_size)
        self._threads: list[threading.Thread] = []
        self._running: set[_Job] = set()
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def waiting(self) -> int:
        """Digests queued for a worker now (for the queue-depth metric)."""
        return self._queue.qsize()

    @property
    def running(self) -> int:
        """Digests a worker is on now."""
        with self._lock:
            return len(self._running)

    def _start(self) -> None:
        with self._lock:
            if self._stopped:
                raise BotStopping()
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name=f"digest-{len(self._threads) + 1}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            with self._lock:
                self._running.add(job)
            try:
                if self._stopped:
                    raise BotStopping()
                if job.abandoned or time.monotonic() > job.deadline:
                    raise _GiveUp
                job.finish(result=job.work(job.checkpoint))
            except _GiveUp:
                job.finish(error=DigestTimeout())
            except BaseException as exc:  # the caller re-raises it in its own thread
                job.finish(error=exc)
            finally:
                with self._lock:
                    self._running.discard(job)

    def run(self, work: Callable[[Checkpoint], T], *, wait_for_room: bool = False) -> T:
        """The result of `work(checkpoint)`, run on a worker. Raises DigestBusy when the queue is
        full (unless `wait_for_room`, for background callers such as the feed poller, who wait
        for room within the deadline), DigestTimeout at the deadline, BotStopping after `stop()`,
        and whatever `work` raised."""
        self._start()
        job: _Job[T] = _Job(work, time.monotonic() + self.deadline)
        try:
            if wait_for_room:
                self._queue.put(job, timeout=self.deadline)
            else:
                self._queue.put_nowait(job)
        except queue.Full:
            if wait_for_room:
                raise DigestTimeout() from None
            raise DigestBusy() from None
        if not job.done.wait(max(0.0, job.deadline - time.monotonic())):
            job.abandoned = True  # the worker gives up at its next checkpoint
            log.warning("a digest passed its %g s deadline and was given up", self.deadline)
            job.finish(error=DigestTimeout())
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def wait_idle(self, timeout: float) -> bool:
        """True once no worker runs a digest (a given-up digest leaves at its next checkpoint),
        False if one still does after `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._running:
                    return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def stop(self) -> None:
        """Release every waiting caller (BotStopping) and give up running digests; later calls
        are refused. The daemon workers are left to end with the process."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for job in running:
            job.abandoned = True
            job.finish(error=BotStopping())
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            job.abandoned = True
            job.finish(error=BotStopping())
