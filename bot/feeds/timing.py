"""When a feed is polled next: its own slot in its interval, backoff after failures, Retry-After.

Pure functions of the times they are given (no clock is read here), so tests control time.

Each feed fires at the instants t with (t - offset) mod interval == 0 (t in seconds since the epoch),
where offset = a stable hash of its URL mod interval: feeds with the same interval are spread over it
instead of all firing at once, and a feed keeps its slot across restarts and processes.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

MAX_BACKOFF = 6 * 3600  # seconds: a failing feed is still tried at least this often (until paused)
MAX_RETRY_AFTER = 7 * 24 * 3600  # a server asking for longer than this is taken to mean a week


def spread_offset(url: str, interval_seconds: int) -> int:
    """The feed's offset in its interval, in seconds: the same for the same URL in every process
    (SHA-256, not Python's salted hash())."""
    digest = hashlib.sha256(url.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % interval_seconds


def next_slot(url: str, interval_seconds: int, after: datetime) -> datetime:
    """The feed's first slot strictly after `after`."""
    offset = spread_offset(url, interval_seconds)
    epoch = after.timestamp()
    n = math.floor((epoch - offset) / interval_seconds) + 1
    return datetime.fromtimestamp(n * interval_seconds + offset, tz=timezone.utc)


def backoff(interval_seconds: int, failures: int) -> timedelta:
    """How long to wait after `failures` consecutive failures (1 → twice the interval, 2 → four
    times…), never more than MAX_BACKOFF."""
    seconds = interval_seconds * 2 ** min(failures, 32)
    return timedelta(seconds=min(seconds, max(MAX_BACKOFF, interval_seconds)))


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """The instant a Retry-After header (delay in seconds, or an HTTP date) names, at most
    MAX_RETRY_AFTER after `now`; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), MAX_RETRY_AFTER))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    return min(max(when, now), now + timedelta(seconds=MAX_RETRY_AFTER))
