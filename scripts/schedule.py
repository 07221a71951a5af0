"""When each daemon job is due: apscheduler triggers plus the job's stored last run.

Keeping the decision a pure function of (trigger, last run, now) makes it testable with a fake
clock and lets a daemon that was down on the 25th run the missed monthly job once at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

# How far back a never-run calendar job looks for the fire time it missed.
CATCH_UP_WINDOW = timedelta(days=400)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests, the soak run's accelerated time)."""

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self._now = moment


def every(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds, timezone=UTC)


def monthly_on(day: int, hour: int = 2) -> CronTrigger:
    return CronTrigger(day=day, hour=hour, minute=0, timezone=UTC)


def quarterly(hour: int = 3) -> CronTrigger:
    return CronTrigger(month="1,4,7,10", day=1, hour=hour, minute=0, timezone=UTC)


def weekly(day_of_week: str = "sun", hour: int = 4) -> CronTrigger:
    return CronTrigger(day_of_week=day_of_week, hour=hour, minute=0, timezone=UTC)


@dataclass(frozen=True)
class Due:
    """A job is due; ``fire_time`` is the scheduled moment it stands for (coalesced)."""

    fire_time: datetime


def due(trigger: BaseTrigger, last_started: datetime | None, now: datetime) -> Due | None:
    """The fire time to run now, or None. Missed fire times are coalesced into the latest one."""
    if isinstance(trigger, IntervalTrigger):
        if last_started is None or now - last_started >= trigger.interval:
            return Due(now)
        return None
    latest = latest_fire_time(trigger, now, since=last_started)
    if latest is None:
        return None
    if last_started is not None and last_started >= latest:
        return None
    return Due(latest)


def latest_fire_time(trigger: BaseTrigger, now: datetime, since: datetime | None) -> datetime | None:
    """The last time ``trigger`` fired at or before ``now`` (looking back from ``since``)."""
    start = since if since is not None else now - CATCH_UP_WINDOW
    fire = trigger.get_next_fire_time(None, start)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def quarter_of(moment: datetime) -> str:
    return f"{moment.year:04d}Q{(moment.month - 1) // 3 + 1}"
