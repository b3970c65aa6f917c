"""The delivery ledger: one row per (channel, schedule slot), claimed before posting and completed after.

A claim that finds the row taken does nothing, which makes posting exactly-once across restarts
and across several bot processes sharing one database. A claim left behind by a process that died
mid-post expires after its lease and can be taken over, with the same idempotency key, so a slot
missed that way is still posted once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .schema import DeliveryRow
from .store import Store

CLAIMED = "claimed"
POSTED = "posted"
EMPTY = "empty"  # nothing new for the channel: nothing posted, the slot is done
FAILED = "failed"  # needs a person (channel gone, no permission): the slot is done
RETRY = "retry"  # the platform was busy or down: the slot may be claimed again
DONE = frozenset({POSTED, EMPTY, FAILED})


class Claim(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    channel_id: int
    slot: str
    taken_over: bool = False

    @property
    def idempotency_key(self) -> str:
        return f"{self.channel_id}:{self.slot}"


def claim(store: Store, channel_id: int, slot: str, now: datetime, lease: timedelta) -> Claim | None:
    """Take the slot for this process, or None when another has it or it is done."""
    try:
        with store.session() as s:
            row = DeliveryRow(channel_id=channel_id, slot=slot, status=CLAIMED, claimed_at=now)
            s.add(row)
            s.flush()
            return Claim(id=row.id, channel_id=channel_id, slot=slot)
    except IntegrityError:
        pass
    with store.session() as s:
        row = s.scalar(select(DeliveryRow).where(DeliveryRow.channel_id == channel_id, DeliveryRow.slot == slot))
        if row is None or row.status in DONE:
            return None
        # One conditional UPDATE: of two processes taking over the same stale claim, one wins.
        taken = s.execute(update(DeliveryRow)
                          .where(DeliveryRow.id == row.id, DeliveryRow.status == row.status,
                                 DeliveryRow.claimed_at == row.claimed_at,
                                 (DeliveryRow.status == RETRY) | (DeliveryRow.claimed_at < now - lease))
                          .values(status=CLAIMED, claimed_at=now)
                          .execution_options(synchronize_session=False)).rowcount
        return Claim(id=row.id, channel_id=channel_id, slot=slot, taken_over=True) if taken else None


def complete(store: Store, claimed: Claim, status: str, now: datetime, detail: str | None = None) -> None:
    with store.session() as s:
        s.execute(update(DeliveryRow).where(DeliveryRow.id == claimed.id)
                  .values(status=status, completed_at=now if status in DONE else None, detail=detail)
                  .execution_options(synchronize_session=False))


def deliveries(store: Store, channel_id: int) -> list[tuple[str, str]]:
    """(slot, status) of a channel's deliveries, oldest first."""
    with store.session() as s:
        return [(r.slot, r.status) for r in s.scalars(select(DeliveryRow).where(DeliveryRow.channel_id == channel_id)
                                                     .order_by(DeliveryRow.id))]
