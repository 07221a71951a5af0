"""Settings of the storage layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StorageSettings:
    readers: int = field(
        default=2,
        metadata={
            "min": 1,
            "max": 64,
            "doc": "Read-only connections kept open beside the single writer (SQLite).",
        },
    )
