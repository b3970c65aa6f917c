"""When a channel gets its digest: friendly forms and cron expressions, in an IANA time zone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict

_DAYS = {"daily": "*", "weekdays": "mon-fri", "weekends": "sat,sun", "mon": "mon", "tue": "tue", "wed": "wed",
         "thu": "thu", "fri": "fri", "sat": "sat", "sun": "sun"}
_FRIENDLY = re.compile(r"^(daily|weekdays|weekends|mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):(\d{2})$", re.I)
EXAMPLES = '"weekdays 08:00", "daily 18:30", "hourly", "mon 09:15" or a cron expression like "0 8 * * mon-fri"'


class ScheduleError(ValueError):
    """A schedule a person typed cannot be understood; the message says how to write one."""


class Schedule(BaseModel):
    model_config = ConfigDict(frozen=True)

    cron: str
    timezone: str = "UTC"
    typed: str | None = None  # as the person wrote it ("weekdays 08:00"); None for older schedules

    @property
    def shown(self) -> str:
        """The schedule as people read it: as typed, else its cron line."""
        return self.typed or self.cron

    def next_time(self, now: datetime) -> datetime | None:
        """When the next digest is due after `now`, in the schedule's time zone."""
        return self.trigger().get_next_fire_time(None, now)

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(self.timezone))


def parse_schedule(when: str, timezone: str = "UTC") -> Schedule:
    """ "weekdays 08:00" → cron "0 8 * * mon-fri"; a five-field cron expression is taken as it is."""
    when = " ".join(when.strip().split())
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {timezone!r}: use an IANA name such as Europe/Paris or America/New_York") from None
    if when.lower() == "hourly":
        cron = "0 * * * *"
    elif match := _FRIENDLY.match(when):
        day, hour, minute = match.group(1).lower(), int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ScheduleError(f"{when!r} is not a time of day")
        cron = f"{minute} {hour} * * {_DAYS[day]}"
    elif len(when.split()) == 5:
        cron = when
    else:
        raise ScheduleError(f"cannot read the schedule {when!r}: write {EXAMPLES}")
    try:
        CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    except ValueError as exc:
        raise ScheduleError(f"cannot read the schedule {when!r} ({exc}): write {EXAMPLES}") from None
    return Schedule(cron=cron, timezone=timezone, typed=when[:100])
