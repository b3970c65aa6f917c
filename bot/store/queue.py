"""What the store knows of the task queue (bot/queue.py): the digest requests chat processes wait
for, and the queue's depth and failures read from procrastinate's own table for `newsdigest status`.

procrastinate writes and reads its tables itself; only these read-only look-ups at them live here,
so that every query the bot makes stays in `bot.store`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError

from .schema import DigestRequestRow
from .store import Store

FAILURES_SHOWN = 5


class DigestRequest(BaseModel):
    key: str
    article_id: str | None = None
    error: str | None = None
    finished: bool = False


def add_request(store: Store, key: str) -> None:
    """Record that a digest was asked for under `key` (before its task is deferred)."""
    with store.session() as s:
        s.add(DigestRequestRow(key=key))


def finish_request(store: Store, key: str, now: datetime, *, article_id: str | None = None,
                   error: str | None = None) -> bool:
    """Set the request's outcome once: a second run of the same task (a retry after a worker died)
    leaves the first outcome. False when it was finished already."""
    with store.session() as s:
        row = s.get(DigestRequestRow, key)
        if row is None:
            row = DigestRequestRow(key=key)
            s.add(row)
        elif row.finished_at is not None:
            return False
        row.article_id, row.error, row.finished_at = article_id, error, now
        try:
            s.flush()
        except IntegrityError:  # another run inserted it meanwhile: its outcome stands
            return False
    return True


def get_request(store: Store, key: str) -> DigestRequest | None:
    with store.session() as s:
        row = s.get(DigestRequestRow, key)
        if row is None:
            return None
        return DigestRequest(key=row.key, article_id=row.article_id, error=row.error, finished=row.finished_at is not None)


def prune_requests(store: Store, before: datetime) -> int:
    """Forget requests made before `before` (their askers stopped waiting long ago)."""
    with store.session() as s:
        result = s.execute(delete(DigestRequestRow).where(DigestRequestRow.created_at < before)
                           .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


class QueueCount(BaseModel):
    queue: str
    todo: int = 0  # waiting for a worker (including retries scheduled later)
    doing: int = 0
    failed: int = 0  # gave up after the last attempt
    succeeded: int = 0


class FailedTask(BaseModel):
    task: str
    queue: str
    args: dict[str, object]
    attempts: int
    at: datetime | None


class QueueStatus(BaseModel):
    queues: list[QueueCount]
    failures: list[FailedTask]  # the latest ones
    retrying: int  # tasks waiting for a later attempt after a failure


def has_queue(store: Store) -> bool:
    """Whether the database holds the task queue (PostgreSQL, migrated to 0010 or later)."""
    if store.dialect != "postgresql":
        return False
    with store.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar() is True


def feeds_in_queue(store: Store, task: str) -> set[int]:
    """The feeds that have a poll task (`task`, its full name) waiting or running: the scheduler leaves
    them alone, even when their claim's lease has run out (a long queue), so that the waiting task's
    claim stays the feed's and no second poll of it runs beside the first."""
    if not has_queue(store):
        return set()
    with store.engine.connect() as connection:
        return {int(feed) for feed in connection.execute(text(
            "SELECT DISTINCT (args->>'feed_id') FROM procrastinate_jobs "
            "WHERE task_name = :task AND status IN ('todo', 'doing') AND args ? 'feed_id'"), {"task": task}).scalars()}


def queue_status(store: Store) -> QueueStatus | None:
    """Depth and failures of each queue; None where there is no queue (SQLite)."""
    if not has_queue(store):
        return None
    with store.engine.connect() as connection:
        counts: dict[str, QueueCount] = {}
        for queue, status, n in connection.execute(text(
                "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY queue_name, status")):
            count = counts.setdefault(queue, QueueCount(queue=queue))
            if status in {"todo", "doing", "failed", "succeeded"}:
                setattr(count, status, getattr(count, status) + int(n))
        retrying = connection.execute(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' AND attempts > 0")).scalar() or 0
        failed = [FailedTask(task=row.task_name, queue=row.queue_name, args=row.args, attempts=row.attempts, at=row.at)
                  for row in connection.execute(text(
                      "SELECT j.task_name, j.queue_name, j.args, j.attempts, "
                      "(SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS at "
                      "FROM procrastinate_jobs j WHERE j.status = 'failed' ORDER BY j.id DESC LIMIT :n"),
                      {"n": FAILURES_SHOWN})]
    return QueueStatus(queues=sorted(counts.values(), key=lambda c: c.queue), failures=failed, retrying=int(retrying))


__all__ = ["DigestRequest", "FailedTask", "QueueCount", "QueueStatus", "add_request", "finish_request", "get_request",
           "feeds_in_queue", "has_queue", "prune_requests", "queue_status"]
