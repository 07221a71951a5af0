"""Settings of fit, intent, matrix and reports (section [intent])."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IntentSettings:
    monthly_day: int = field(
        default=25, metadata={"doc": "Day of the month on which the monthly run and export happen."}
    )
