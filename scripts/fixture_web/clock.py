"""The content clock: what "now" is for the fixture web.

Posts dated after ``clock.now`` are not served yet; advancing the clock makes them appear,
so revisits, feeds that grow and conditional GET can be exercised without waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock; ``version`` changes on every move so caches can tell."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = _aware(now)
        self.version = 0

    @property
    def now(self) -> datetime:
        return self._now

    def advance(self, *, days: float = 0, hours: float = 0, seconds: float = 0) -> datetime:
        delta = timedelta(days=days, hours=hours, seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("the content clock only moves forward")
        self._now += delta
        self.version += 1
        return self._now

    def set(self, now: datetime) -> None:
        self._now = _aware(now)
        self.version += 1


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
