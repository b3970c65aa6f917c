"""One scheduler at a time among several (`newsdigest run --role scheduler` on any machines): the
process holding a PostgreSQL advisory lock is the leader and runs the queued DigestScheduler; the
others are standbys that try to take the lock every `settings.leader_retry` seconds. The lock is held
by a connection of the leader's, so a leader that dies (killed, crashed, cut off) loses it with that
connection and a standby takes over at its next try. A slot fired by the old leader and again by the
new one is posted once: the delivery ledger decides.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import TYPE_CHECKING

from .store.locks import AdvisoryLock, lock_holder

if TYPE_CHECKING:
    from .app import Newsdigest
    from .scheduler import DigestScheduler

log = logging.getLogger(__name__)

LOCK_NAME = "newsdigest:scheduler"


def holder_name() -> str:
    """How this process shows as the leader (`newsdigest status`): host and process id."""
    return f"newsdigest scheduler {socket.gethostname()}:{os.getpid()}"


def current_leader(app: Newsdigest) -> str | None:
    """Who leads the schedulers now (None: no scheduler role holds the lock)."""
    return lock_holder(app.store, LOCK_NAME)


class SchedulerLeader:
    """Runs the queued scheduler while this process holds the leader's lock (`run(stop)`)."""

    def __init__(self, app: Newsdigest) -> None:
        self.app = app
        self.lock = AdvisoryLock(app.store, LOCK_NAME, holder_name())
        self.scheduler: DigestScheduler | None = None

    @property
    def leading(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    async def run(self, stop: asyncio.Event) -> None:
        from .scheduler import DigestScheduler

        announced_standby = False
        try:
            while not stop.is_set():
                if self.scheduler is None:
                    if await asyncio.to_thread(self.lock.try_take):
                        self.scheduler = DigestScheduler(self.app, queued=True)
                        self.scheduler.start()
                        log.info("this scheduler is the leader")
                        print("newsdigest: scheduler: leader", flush=True)
                    elif not announced_standby:
                        announced_standby = True
                        print(f"newsdigest: scheduler: standby (leader: {await asyncio.to_thread(current_leader, self.app)})",
                              flush=True)
                elif not await asyncio.to_thread(self.lock.held):
                    # The database dropped our session: another scheduler may lead already.
                    log.warning("this scheduler lost the leader's lock; standing by")
                    print("newsdigest: scheduler: lost the lead, standby", flush=True)
                    self.scheduler.stop()
                    self.scheduler = None
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.app.settings.leader_retry)
                except asyncio.TimeoutError:
                    pass
        finally:
            if self.scheduler is not None:
                self.scheduler.stop()
                self.scheduler = None
            await asyncio.to_thread(self.lock.release)
