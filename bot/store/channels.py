"""Channels, their digest schedules and settings; the workspace (tenant) of each. Subscriptions,
which are a channel's and a feed's at once, are in bot.store.feeds (`subscribe`, `unsubscribe`,
`channel_feeds`).

A tenant is the workspace that owns what it brings: a Slack team, a Discord server (guild), or the
terminal (one tenant for the operator). Its key is "slack:<team id>", "discord:<guild id>" or
"terminal". A channel whose workspace is not known (a Discord direct message, a channel named
without its workspace) is a workspace of its own, "<platform>:channel:<channel id>": it shares
nothing with anyone, which is the safe answer when nobody can say where it belongs.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..platforms import DigestFormat
from ..schedules import Schedule
from .db import changed_rows
from .schema import ChannelRow, ScheduleRow
from .store import Store

TERMINAL_TENANT = "terminal"
DEFAULT_MAX_ITEMS = 8  # stories a digest shows, unless the channel says otherwise
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


class DigestSettings(BaseModel):
    """What a channel's digests show: stories with one of `include` (when any is given) and none of
    `exclude` in their title or TL;DR (lower case), at most `max_items` of them, laid out as `format`."""

    model_config = ConfigDict(frozen=True)

    include: list[str] = []
    exclude: list[str] = []
    max_items: int = DEFAULT_MAX_ITEMS
    format: DigestFormat = "full"


def _format(value: str | None) -> DigestFormat:
    return value if value in ("compact", "headlines") else "full"  # type: ignore[return-value]


def _keywords(value: str | None) -> list[str]:
    return [k.strip().lower() for k in (value or "").split(",") if k.strip()]


def channel_by_id(store: Store, channel_id: int) -> ChannelRef | None:
    with store.session() as s:
        row = s.get(ChannelRow, channel_id)
        return channel_of(row) if row is not None else None


def digest_settings(store: Store, channel_id: int) -> DigestSettings | None:
    """The channel's digest settings; None for an unknown channel."""
    with store.session() as s:
        row = s.get(ChannelRow, channel_id)
        if row is None:
            return None
        return DigestSettings(include=_keywords(row.include_keywords), exclude=_keywords(row.exclude_keywords),
                              max_items=row.max_items or DEFAULT_MAX_ITEMS, format=_format(row.digest_format))


def _known_workspace(channel: ChannelRef) -> bool:
    return channel.platform == "terminal" or bool(channel.workspace)


def _row(channel: ChannelRef):  # noqa: ANN202 - a SELECT of the channel's row
    return select(ChannelRow).where(ChannelRow.platform == channel.platform, ChannelRow.external_id == channel.external_id)


def find_channel(store: Store, channel: ChannelRef) -> int | None:
    """The stored channel's id; None when nothing was ever written for it. For read paths: a read
    never creates a channel, and an unknown channel answers as one with nothing set."""
    with store.session() as s:
        return s.scalar(select(ChannelRow.id).where(ChannelRow.platform == channel.platform,
                                                    ChannelRow.external_id == channel.external_id))


def ensure_channel(store: Store, channel: ChannelRef) -> int:
    """The channel's id, its row created if needed: for writes only (subscribe, set a schedule, set
    its digest settings, claim a delivery for it). Keeps its name and workspace up to date."""
    for attempt in range(2):
        try:
            with store.session() as s:
                row = s.scalar(_row(channel))
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
        except IntegrityError:
            if attempt:  # another process created it meanwhile: the second look-up finds it
                raise
    raise AssertionError("unreachable")


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
        row = s.scalar(_row(channel))
        if row is not None:
            _learn(row, channel)


def set_schedule(store: Store, channel: ChannelRef, schedule: Schedule) -> None:
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        row = s.scalar(select(ScheduleRow).where(ScheduleRow.channel_id == channel_id))
        if row is None:
            s.add(ScheduleRow(channel_id=channel_id, cron=schedule.cron, timezone=schedule.timezone, typed=schedule.typed))
        else:
            row.cron, row.timezone, row.typed = schedule.cron, schedule.timezone, schedule.typed


def clear_schedule(store: Store, channel: ChannelRef) -> bool:
    """True when the channel had a schedule."""
    channel_id = find_channel(store, channel)
    if channel_id is None:
        return False
    with store.session() as s:
        return bool(changed_rows(s.execute(delete(ScheduleRow).where(ScheduleRow.channel_id == channel_id))))


def schedule_of(store: Store, channel: ChannelRef) -> Schedule | None:
    channel_id = find_channel(store, channel)
    if channel_id is None:
        return None
    with store.session() as s:
        row = s.scalar(select(ScheduleRow).where(ScheduleRow.channel_id == channel_id))
        return Schedule(cron=row.cron, timezone=row.timezone, typed=row.typed) if row is not None else None


def last_digest_at(store: Store, channel_id: int) -> datetime | None:
    """When the channel's last digest was posted (UTC); None before its first."""
    with store.session() as s:
        row = s.get(ChannelRow, channel_id)
        moment = row.last_digest_at if row is not None else None
        return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def set_digest_settings(store: Store, channel: ChannelRef, *, include: list[str] | None = None,
                        exclude: list[str] | None = None, max_items: int | None = None,
                        format: DigestFormat | None = None) -> None:
    """Change what the channel's digests show; what is not given stays as it is."""
    channel_id = ensure_channel(store, channel)
    with store.session() as s:
        row = s.get(ChannelRow, channel_id)
        assert row is not None, "ensure_channel made it"
        if include is not None:
            row.include_keywords = ",".join(k.strip() for k in include if k.strip()) or None
        if exclude is not None:
            row.exclude_keywords = ",".join(k.strip() for k in exclude if k.strip()) or None
        if max_items is not None:
            row.max_items = max_items
        if format is not None:
            row.digest_format = None if format == "full" else format


class StoredChannel(BaseModel):
    """A channel the store knows, with its schedule (the operator's `status` and `channels`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    channel: ChannelRef
    schedule: Schedule | None


def all_channels(store: Store) -> list[StoredChannel]:
    """Every stored channel, by platform and id, with its schedule."""
    with store.session() as s:
        rows = s.execute(select(ChannelRow, ScheduleRow).outerjoin(ScheduleRow, ScheduleRow.channel_id == ChannelRow.id)
                         .order_by(ChannelRow.platform, ChannelRow.external_id)).all()
        return [StoredChannel(id=row.id, channel=channel_of(row),
                              schedule=Schedule(cron=sched.cron, timezone=sched.timezone) if sched is not None else None)
                for row, sched in rows]
