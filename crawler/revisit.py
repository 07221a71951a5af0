"""Adaptive revisit: sources that change are visited sooner, unchanged ones later, failing ones
back off exponentially with jitter; every interval stays within the configured bounds."""

from __future__ import annotations

import random
from dataclasses import dataclass

INITIAL_INTERVALS_S = {
    "feed": 6 * 3600.0,
    "social": 6 * 3600.0,
    "newsroom": 12 * 3600.0,
    "blog": 12 * 3600.0,
    "careers": 24 * 3600.0,
    "homepage": 24 * 3600.0,
    "sitemap": 24 * 3600.0,
    "forum": 24 * 3600.0,
    "page": 7 * 86400.0,
}


@dataclass(frozen=True)
class RevisitPolicy:
    min_interval_s: float = 900.0
    max_interval_s: float = 14 * 86400.0
    faster: float = 0.5
    slower: float = 1.5
    error_base_s: float = 300.0
    error_max_s: float = 86400.0
    jitter: float = 0.1

    def initial(self, kind: str) -> float:
        return self._bound(INITIAL_INTERVALS_S.get(kind, INITIAL_INTERVALS_S["page"]))

    def after_visit(self, interval_s: float, changed: bool) -> float:
        """The next interval: shorter when the source gained content, longer when it did not."""
        return self._bound(interval_s * (self.faster if changed else self.slower))

    def after_error(self, failures: int, retry_after_s: float | None = None) -> float:
        """Seconds until the next try after ``failures`` consecutive failures (1 = first)."""
        exponent = max(0, min(failures - 1, 30))
        delay = min(self.error_max_s, self.error_base_s * (2**exponent))
        delay *= 1 + random.uniform(-self.jitter, self.jitter)
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return max(1.0, delay)

    def _bound(self, interval_s: float) -> float:
        return min(self.max_interval_s, max(self.min_interval_s, interval_s))
