"""The one reading of a ``Retry-After`` header (RFC 9110 §10.2.3), for the host gate and the
source schedule alike.

A server's answer is hostile input: a delay is never longer than the configured cap (a
``Retry-After: 999999999`` would otherwise park a source for about 31 years), an HTTP date
without a zone is read as UTC (HTTP dates are GMT; the local zone of the crawler's machine
has nothing to do with it), and negative, overflowing or unreadable values are ignored, as
if the header were absent.
"""

from __future__ import annotations

import email.utils
import math
import time
from datetime import UTC

MAX_HEADER_CHARS = 100  # an HTTP date is 29 characters; anything much longer is garbage


def parse_retry_after(
    value: str | float | None, *, cap_s: float, wall_now: float | None = None
) -> float | None:
    """Seconds from ``wall_now`` (epoch seconds; now by default) until the server wants to
    hear from us again, at most ``cap_s``; None when the value says nothing usable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds: float | None = float(value) if math.isfinite(value) and value >= 0 else None
    else:
        seconds = _from_text(value, time.time() if wall_now is None else wall_now)
    return None if seconds is None else min(seconds, max(0.0, cap_s))


def _from_text(value: str, wall_now: float) -> float | None:
    text = value.strip()
    if not text or len(text) > MAX_HEADER_CHARS:
        return None
    if text.isascii() and text.isdigit():
        return float(min(int(text), 10**15))  # any delay this long is capped anyway
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, when.timestamp() - wall_now)
    except (OverflowError, ValueError, OSError):
        return None
