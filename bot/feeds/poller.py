"""Polling feeds: synchronous functions an asynchronous runner calls in a worker thread.

    due_feeds(store, now)             the feeds to poll at `now`
    poll_feed(app, feed, now)         poll one feed (an id, or a FeedInfo from due_feeds)
    poll_due(app, now)                poll every due feed once, one after the other
    claim_due(app, now)               claim the due feeds for tasks (the split roles' scheduler) ...
    poll_claimed(app, feed_id, ...)   ... and the task's poll of one, while its claim stands

`now` is always given (tests control time; nothing here sleeps); a naive `now` is taken as UTC. A poll never raises for a feed's own
problem (unreachable, slow, too big, rate limited, malformed, an HTML page, a redirect loop): it is a
failed PollOutcome, recorded on the feed with its reason. After `settings.feed_pause_after` failures in
a row the feed is paused, and the outcome carries a notice for every channel subscribed to it.
Database and language-model failures do raise: every other feed would fail the same way.

Timing: a successful poll schedules the next at the feed's own slot (bot.feeds.timing.next_slot: its
interval, offset by a stable hash of its URL); a failure waits interval * 2**failures (at most 6 h), or
longer when a 429/503 says so in Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from digests.errors import ModelError

from ..app import Newsdigest
from ..errors import BadInput, BotStopping, FetchError, SourceError
from ..fetch import fetch_url
from ..store import Store, StoreError
from ..store import feeds as feed_store
from ..store.channels import ChannelRef
from ..store.feeds import FeedInfo, NewEntry, utc
from .entries import EntryResult, process_entry
from .parse import FEED_ACCEPT, FEED_KIND, FEED_TYPES, FeedItem, parse_feed
from .timing import backoff, next_slot, parse_retry_after

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # a claimed feed is due again after this if its poller died mid-poll
SOON = timedelta(seconds=60)  # when a poll left new entries for later (per-poll cap)
RATE_LIMITED = frozenset({429, 503})

PollStatus = Literal["ok", "not_modified", "failed", "paused", "skipped"]


class FeedNotice(NamedTuple):
    """Something to tell a channel about one of its feeds (post it with the platform's post_notice):
    `notice.channel`, `notice.text`, or `for channel, text in outcome.notices`."""

    channel: ChannelRef
    text: str


class PollOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    feed_id: int
    url: str
    status: PollStatus
    first_poll: bool = False  # the feed's first successful read: its entries were recorded as backlog
    backlog: int = 0  # entries recorded as backlog (never posted)
    new_entries: int = 0  # new entries recorded (backlog false, first_seen_at = now)
    article_ids: list[str] = Field(default_factory=list)  # the articles those entries link to, no repeats
    digested: int = 0  # entries whose article was digested now
    linked: int = 0  # entries linked to an article already stored (the same story from another feed)
    entry_errors: int = 0  # entries recorded with an error (page unreachable, not an article)
    remaining: int = 0  # new entries left for the next poll (more than settings.feed_max_entries)
    error: str | None = None  # why the poll failed or was skipped
    failures: int = 0  # consecutive failures, this one included
    next_poll_at: datetime | None = None
    notices: list[FeedNotice] = Field(default_factory=list)

    def summary(self) -> str:
        """One line for a log or the terminal."""
        if self.status == "not_modified":
            return "not modified"
        if self.status == "skipped":
            return f"skipped: {self.error}"
        if self.status == "failed":
            return f"failed: {self.error}"
        if self.status == "paused":
            return f"failed and paused after {self.failures} failures in a row: {self.error}"
        if self.first_poll:
            return f"first poll: {_count(self.backlog, 'entry', 'entries')} already in the feed kept as backlog (not posted)"
        if not self.new_entries:
            return "no new entries"
        parts = [f"{self.digested} digested"]
        if self.linked:
            parts.append(f"{self.linked} already stored")
        if self.entry_errors:
            parts.append(f"{self.entry_errors} failed")
        more = f"; {self.remaining} more next poll" if self.remaining else ""
        return f"{_count(self.new_entries, 'new entry', 'new entries')} ({', '.join(parts)}){more}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def due_feeds(store: Store, now: datetime) -> list[FeedInfo]:
    """The feeds due at `now` (not paused, subscribed, next_poll_at reached), longest-waiting first."""
    return feed_store.due_feeds(store, utc(now))


def poll_due(app: Newsdigest, now: datetime) -> list[PollOutcome]:
    """Poll every feed due at `now`, once each. A feed another poller took meanwhile is left to it
    (not in the result)."""
    now = utc(now)
    outcomes = []
    for feed in due_feeds(app.store, now):
        try:
            outcome = poll_feed(app, feed, now)
        except (StoreError, ModelError, BotStopping):
            raise  # the database or the model is down (every later feed would fail the same way), or we stop
        except Exception as exc:  # a bug while polling this feed: its failure, and the pass goes on
            log.exception("polling %s failed", feed.url)
            outcome = _failed(app, feed, now, f"unexpected error ({type(exc).__name__})")
        if outcome.status != "skipped" or outcome.error != _TAKEN:
            outcomes.append(outcome)
            app.metrics.feed_polls.labels(outcome=outcome.status).inc()
            if outcome.article_ids:
                app.metrics.entries_digested.inc(len(outcome.article_ids))
    return outcomes


_TAKEN = "another poller is polling it"


def poll_feed(app: Newsdigest, feed: int | FeedInfo, now: datetime) -> PollOutcome:
    """Poll one feed now, due or not (unless paused). Given the FeedInfo that due_feeds returned, the
    poll happens only if no other poller took the feed since (the claim compares next_poll_at)."""
    store, now = app.store, utc(now)
    info = feed_store.get_feed(store, feed) if isinstance(feed, int) else feed
    if info is None:
        return PollOutcome(feed_id=feed if isinstance(feed, int) else -1, url="", status="skipped", error="no such feed")
    if info.paused and isinstance(feed, int):
        return PollOutcome(feed_id=info.id, url=info.url, status="skipped", failures=info.failures,
                           error=f"paused ({info.last_error}); resume it with /newsdigest resume {info.url}")
    if not feed_store.claim(store, info, now + LEASE):
        return PollOutcome(feed_id=info.id, url=info.url, status="skipped", error=_TAKEN)
    return _poll(app, info, now)


def claim_due(app: Newsdigest, now: datetime, limit: int | None = None,
              skip: Collection[int] = ()) -> list[tuple[FeedInfo, datetime]]:
    """Claim the feeds due at `now` for polls that tasks will make (the scheduler of the split roles):
    each with the claim (its next_poll_at until the poll is done), which the task checks before polling.
    The feeds in `skip` (a poll task of theirs waits or runs) are left as they are."""
    now, until = utc(now), utc(now) + LEASE
    return [(feed, until) for feed in feed_store.due_feeds(app.store, now, limit)
            if feed.id not in skip and feed_store.claim(app.store, feed, until)]


def poll_claimed(app: Newsdigest, feed_id: int, claimed_until: datetime, now: datetime) -> PollOutcome:
    """Poll a feed claimed by `claim_due`, if that claim is still the feed's: a second run of the same
    task after the poll was done (or the feed was removed, paused or claimed again) does nothing."""
    info = feed_store.get_feed(app.store, feed_id)
    if info is None:
        return PollOutcome(feed_id=feed_id, url="", status="skipped", error="no such feed")
    if info.paused or info.next_poll_at is None or utc(info.next_poll_at) != utc(claimed_until):
        return PollOutcome(feed_id=feed_id, url=info.url, status="skipped", error="polled already")
    outcome = _poll(app, info, utc(now))
    app.metrics.feed_polls.labels(outcome=outcome.status).inc()
    if outcome.article_ids:
        app.metrics.entries_digested.inc(len(outcome.article_ids))
    return outcome


def _reason(exc: SourceError, url: str, *, private: bool = False) -> str:
    """What went wrong with the feed at `url` (its operator's version with `private`), without
    naming the feed again; an error about another address (a redirect's) says which."""
    if exc.source == url:
        return exc.private_reason if private else exc.reason
    return exc.detail if private else str(exc)


def _poll(app: Newsdigest, feed: FeedInfo, now: datetime) -> PollOutcome:
    store, settings = app.store, app.settings
    first = feed.last_polled_at is None
    try:
        page = fetch_url(feed.url, settings, accept=FEED_TYPES, accept_header=FEED_ACCEPT, kind=FEED_KIND,
                         etag=None if first else feed.etag, last_modified=None if first else feed.last_modified)
        if page.not_modified:
            next_at = next_slot(feed.url, feed.interval_seconds, now)
            feed_store.record_success(store, feed.id, now=now, next_poll_at=next_at, etag=page.etag,
                                      last_modified=page.last_modified)
            return PollOutcome(feed_id=feed.id, url=feed.url, status="not_modified", next_poll_at=next_at)
        parsed = parse_feed(page.content, url=feed.url, content_type=page.content_type_header,
                            max_entries=settings.feed_parse_entries)
    except FetchError as exc:
        return _failed(app, feed, now, _reason(exc, feed.url), exc.status, exc.retry_after)
    except SourceError as exc:
        # The public reason is kept on the feed (channels read it); the log gets the detail.
        return _failed(app, feed, now, _reason(exc, feed.url), detail=_reason(exc, feed.url, private=True))
    except (StoreError, ModelError):
        raise
    except Exception as exc:  # a bug, or a parser tripping on an odd document: this feed fails, others go on
        log.exception("polling %s failed", feed.url)
        return _failed(app, feed, now, f"unexpected error ({type(exc).__name__}: {str(exc)[:200]})")

    items = parsed.items
    known_keys, known_links = feed_store.known_entries(store, feed.id, [i.key for i in items],
                                                       [i.link for i in items if i.link])
    new = [i for i in items if i.key not in known_keys and not (i.link and i.link in known_links)]

    if first:
        added = feed_store.add_entries(store, feed.id, [NewEntry(key=i.key, title=i.title, link=i.link) for i in new],
                                       backlog=True, now=now)
        next_at = next_slot(feed.url, feed.interval_seconds, now)
        feed_store.record_success(store, feed.id, now=now, next_poll_at=next_at, etag=page.etag,
                                  last_modified=page.last_modified, title=parsed.title)
        return PollOutcome(feed_id=feed.id, url=feed.url, status="ok", first_poll=True, backlog=added, next_poll_at=next_at)

    # Feeds list the newest first: take the oldest new ones first, so that first_seen_at order follows
    # publication when a poll has to leave some for the next.
    todo = list(reversed(new))[: settings.feed_max_entries]
    remaining = len(new) - len(todo)
    article_ids: list[str] = []
    digested = linked = errors = recorded = 0
    for item in todo:
        try:
            result = process_entry(app, item)
        except BadInput as exc:  # one of this entry's values cannot be stored: this entry's failure
            result = EntryResult(error=str(exc))
            log.warning("feed %s: entry %s cannot be stored: %s", feed.url, item.url or item.key, exc.detail)
        except (StoreError, ModelError, BotStopping):  # BotStopping: the entry stays new for the restart
            raise
        except Exception as exc:  # a bug on one entry must not stop the others
            log.exception("feed %s: entry %s failed", feed.url, item.url or item.key)
            result = EntryResult(error=f"unexpected error ({type(exc).__name__})")
        recorded += _record_entry(store, feed, item, result, now)
        if result.error:
            errors += 1
            log.info("feed %s: entry %s skipped: %s", feed.url, item.url or item.key, result.error)
        elif result.digested:
            digested += 1
        else:
            linked += 1
        if result.article_id and result.article_id not in article_ids:
            article_ids.append(result.article_id)
    if remaining:
        # Come back soon, and without the validators: a 304 next time would hide the entries left over.
        next_at = now + min(SOON, timedelta(seconds=feed.interval_seconds))
        etag, last_modified = feed.etag, feed.last_modified
    else:
        next_at = next_slot(feed.url, feed.interval_seconds, now)
        etag, last_modified = page.etag, page.last_modified
    feed_store.record_success(store, feed.id, now=now, next_poll_at=next_at, etag=etag, last_modified=last_modified,
                              title=parsed.title)
    return PollOutcome(feed_id=feed.id, url=feed.url, status="ok", new_entries=recorded, article_ids=article_ids,
                       digested=digested, linked=linked, entry_errors=errors, remaining=remaining, next_poll_at=next_at)


def _record_entry(store: Store, feed: FeedInfo, item: FeedItem, result: EntryResult, now: datetime) -> int:
    """Record one processed entry (1 if added). An entry whose own values cannot be stored is recorded
    by its key alone, with the reason as its error, so that it is not tried again at every poll."""
    entry = NewEntry(key=item.key, title=item.title, link=item.link, article_id=result.article_id, error=result.error)
    try:
        return feed_store.add_entries(store, feed.id, [entry], backlog=False, now=now)
    except BadInput as exc:
        log.warning("feed %s: entry %s cannot be stored: %s", feed.url, item.url or item.key, exc.detail)
        bare = NewEntry(key=item.key, article_id=result.article_id, error=result.error or str(exc))
        return feed_store.add_entries(store, feed.id, [bare], backlog=False, now=now)


def pause_notice(feed: FeedInfo) -> str:
    name = f"“{feed.title}” ({feed.url})" if feed.title else feed.url
    return (f"Paused the feed {name}: its last {feed.failures} polls failed (last error: {feed.last_error}). "
            f"No new articles will come from it until it is resumed: /newsdigest resume {feed.url}")


def _failed(app: Newsdigest, feed: FeedInfo, now: datetime, reason: str, status: int | None = None,
            retry_after: str | None = None, detail: str | None = None) -> PollOutcome:
    failures = feed.failures + 1
    next_at = now + backoff(feed.interval_seconds, failures)
    if status in RATE_LIMITED:
        # Retry-After says "not before": honoured, though never sooner than the backoff.
        asked = parse_retry_after(retry_after, now)
        if asked is not None and asked > next_at:
            next_at = asked
    info = feed_store.record_failure(app.store, feed.id, error=reason, next_poll_at=next_at,
                                     pause_after=app.settings.feed_pause_after)
    log.warning("feed %s: poll failed (%d in a row): %s", feed.url, failures, detail or reason)
    if info is None:
        return PollOutcome(feed_id=feed.id, url=feed.url, status="skipped", error="the feed was removed meanwhile")
    if not info.paused:
        return PollOutcome(feed_id=feed.id, url=feed.url, status="failed", error=reason, failures=info.failures,
                           next_poll_at=next_at)
    log.warning("feed %s: paused after %d failed polls in a row; /newsdigest resume %s brings it back",
                feed.url, info.failures, feed.url, extra={"feed": feed.url, "outcome": "paused"})
    text = pause_notice(info)
    notices = [FeedNotice(channel=channel, text=text) for channel in feed_store.subscribers(app.store, feed.url)]
    return PollOutcome(feed_id=feed.id, url=feed.url, status="paused", error=reason, failures=info.failures,
                       next_poll_at=None, notices=notices)
