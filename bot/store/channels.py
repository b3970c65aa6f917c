"""Channels, their feed subscriptions and their digest schedules; the workspace (tenant) of each.

A tenant is the workspace that owns what it brings: a Slack team, a Discord server (guild), or the
terminal (one tenant for the operator). Its key is "slack:<team id>", "discord:<guild id>" or
"terminal". A channel whose workspace is not known (a Discord direct message, a channel named
without its workspace) is a workspace of its own, "<platform>:channel:<channel id>": it shares
nothing with anyone, which is the safe answer when nobody can say where it belongs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select

from ..schedules import Schedule
from .db import changed_rows
from .schema import ChannelRow, ScheduleRow, SubscriptionRow
from .store import Store

TERMINAL_TENANT = "terminal"
_OWN = ":channel:"  # in the key of a channel that is a workspace of its own


def tenant_key(platform: str, external_id: str, workspace: str | None) -> str:
    """The tenant of a channel: see the module's docstring."""
    if platform == "terminal":
        return TERMINAL_TENANT
    if workspace:
        return f"{platform}:{workspace}"
    return f"{platform}{_OWN}{external_id}"


class ChannelRef(BaseModel):
    """A channel as a platform names it: ("slack", "T0123:C0123"), ("discord", "1234…"), ("terminal",
    "local"), with the workspace it is in when the platform says (Slack's team id, Discord's guild
    id; None for the terminal, a direct message, or a channel read back without it)."""

    model_config = ConfigDict(frozen=True)

    platform: str
    external_id: str
    name: str | None = None
    workspace: str | None = None

    @property
    def tenant(self) -> str:
        """Whose articles this channel sees: the key of its workspace."""
        return tenant_key(self.platform, self.external_id, self.workspace)


def channel_of(row: ChannelRow) -> ChannelRef:
    """A stored channel as a ChannelRef, its workspace read back from its tenant key."""
    prefix = f"{row.platform}:"
    tenant = row.tenant or ""
    workspace = tenant[len(prefix):] if tenant.startswith(prefix) and not tenant.startswith(row.platform + _OWN) else None
    return ChannelRef(platform=row.platform, external_id=row.external_id, name=row.name, workspace=workspace or None)


def _known_workspace(channel: ChannelRef) -> bool:
    return channel.platform == "terminal" or bool(channel.workspace)


def ensure_channel(store: Store, channel: ChannelRef) -> int:
    with store.session() as s:
        row = s.scalar(select(ChannelRow).where(ChannelRow.platform == channel.platform,
                                                ChannelRow.external_id == channel.external_id))
        if row is None:
            row = ChannelRow(platform=channel.platform, external_id=channel.external_id, name=channel.name,
                             tenant=channel.tenant)
            s.add(row)
            s.flush()
        else:
            if channel.name and row.name != channel.name:
                row.name = channel.name
            _learn(row, channel)
        return row.id


def _learn(row: ChannelRow, channel: ChannelRef) -> None:
    # A channel never moves to another workspace (Slack's ids carry the team, Discord's channel ids
    # are unique); what changes is that its workspace becomes known: a channel stored before the
    # tenants existed, or named from the terminal, learns it from the first command typed in it.
    if _known_workspace(channel) and row.tenant != channel.tenant and (row.tenant is None or _OWN in row.tenant):
        row.tenant = channel.tenant


def learn_workspace(store: Store, channel: ChannelRef) -> None:
    """Record the workspace of a stored channel that did not know it (see `_learn`), so that the
    feeds it subscribes to are shared with that workspace. Creates no channel; writes only when
    something changes."""
    if not _known_workspace(channel):
        return
    with store.session() as s:
        row = s.scalar(select(ChannelRow).where(ChannelRow.platform == channel.platform,
                                                ChannelRow.external_id == channel.external_id))
        if row is not None:
            _learn(row, channel)


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
        return bool(changed_rows(result))


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
        return bool(changed_rows(s.execute(delete(ScheduleRow).where(ScheduleRow.channel_id == channel_id))))


def schedule_of(store: Store, channel: ChannelRef) -> Schedule | None:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        row = s.scalar(select(ScheduleRow).where(ScheduleRow.channel_id == channel_id))
        return Schedule(cron=row.cron, timezone=row.timezone) if row is not None else None
