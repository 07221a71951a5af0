"""Months as users give them ('YYYY-MM'): one parser for every command, the daemon and the UI.

A month a user names must be a real calendar month between ``EARLIEST_MONTH`` and the month
after the current one: a typo such as 9999-12 would otherwise be scored, become the latest
month every view defaults to, and crash report dates one year further on.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime

from common.errors import InputError

EARLIEST_MONTH = "2000-01"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(InputError):
    """The month is not YYYY-MM, or lies outside the range a month may be named in."""


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a 'YYYY-MM' month (any calendar month; see ``checked_month``)."""
    match = _MONTH.match(month or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1971:
        raise MonthError(f"{month!r} is not a month like 2026-11")
    year, mon = int(match.group(1)), int(match.group(2))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def latest_month(today: date | None = None) -> str:
    """The month after ``today``'s (UTC): the latest a user may name."""
    today = today or datetime.now(UTC).date()
    year, mon = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year:04d}-{mon:02d}"


def checked_month(month: str, today: date | None = None) -> str:
    """``month`` when it is a month a user may name; else MonthError saying what is allowed."""
    month_bounds(month)
    latest = latest_month(today)
    if not EARLIEST_MONTH <= month <= latest:
        raise MonthError(f"{month!r} is outside {EARLIEST_MONTH}..{latest} (at most next month)")
    return month


def in_range(month: str, today: date | None = None) -> bool:
    """Whether ``month`` (as stored) is one a user could have named today."""
    try:
        checked_month(month, today)
    except MonthError:
        return False
    return True
