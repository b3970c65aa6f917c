"""Channels, their feed subscriptions and their digest schedules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select

from ..schedules import Schedule
from .schema import ChannelRow, ScheduleRow, SubscriptionRow
from .store import Store


class ChannelRef(BaseModel):
    """A channel as a platform names it: ("slack", "C0123"), ("discord", "1234…"), ("terminal", "local")."""

    model_config = ConfigDict(frozen=True)

    platform: str
    external_id: str
    name: str | None = None


def ensure_channel(store: Store, channel: ChannelRef) -> int:
    with store.session() as s:
        row = s.scalar(select(ChannelRow).where(ChannelRow.platform == channel.platform,
                                                ChannelRow.external_id == channel.external_id))
        if row is None:
            row = ChannelRow(platform=channel.platform, external_id=channel.external_id, name=channel.name)
            s.add(row)
            s.flush()
        elif channel.name and row.name != channel.name:
            row.name = channel.name
        return row.id


def add_subscription(store: Store, channel: ChannelRef, feed_url: str) -> bool:
    """True when the channel was not subscribed to this feed yet."""
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        exists = s.scalar(select(SubscriptionRow).where(SubscriptionRow.channel_id == channel_id,
                                                        SubscriptionRow.feed_url == feed_url))
        if exists is not None:
            return False
        s.add(SubscriptionRow(channel_id=channel_id, feed_url=feed_url))
        return True


def remove_subscription(store: Store, channel: ChannelRef, feed_url: str) -> bool:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        result = s.execute(delete(SubscriptionRow).where(SubscriptionRow.channel_id == channel_id,
                                                         SubscriptionRow.feed_url == feed_url))
        return bool(result.rowcount)


def subscriptions(store: Store, channel: ChannelRef) -> list[str]:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        return list(s.scalars(select(SubscriptionRow.feed_url).where(SubscriptionRow.channel_id == channel_id)
                              .order_by(SubscriptionRow.id)))


def set_schedule(store: Store, channel: ChannelRef, schedule: Schedule) -> None:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        row = s.scalar(select(ScheduleRow).where(ScheduleRow.channel_id == channel_id))
        if row is None:
            s.add(ScheduleRow(channel_id=channel_id, cron=schedule.cron, timezone=schedule.timezone))
        else:
            row.cron, row.timezone = schedule.cron, schedule.timezone


def clear_schedule(store: Store, channel: ChannelRef) -> bool:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        return bool(s.execute(delete(ScheduleRow).where(ScheduleRow.channel_id == channel_id)).rowcount)


def schedule_of(store: Store, channel: ChannelRef) -> Schedule | None:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        row = s.scalar(select(ScheduleRow).where(ScheduleRow.channel_id == channel_id))
        return Schedule(cron=row.cron, timezone=row.timezone) if row is not None else None
