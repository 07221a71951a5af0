"""The daemon's memory of each scheduled job: when it last started, succeeded and failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.protocols import SqlDatabase


@dataclass(frozen=True)
class JobState:
    name: str
    last_started_at: float | None
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    runs: int
    failures: int


class JobRepository(Protocol):
    async def get(self, name: str) -> JobState | None: ...
    async def all(self) -> list[JobState]: ...
    async def started(self, name: str, at: float) -> None: ...
    async def succeeded(self, name: str, at: float) -> None: ...
    async def failed(self, name: str, at: float, error: str) -> None: ...


class SqliteJobRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    async def get(self, name: str) -> JobState | None:
        row = await self.db.fetchone("SELECT * FROM jobs WHERE name = ?", (name,))
        return JobState(**dict(row)) if row else None

    async def all(self) -> list[JobState]:
        return [JobState(**dict(r)) for r in await self.db.fetchall("SELECT * FROM jobs ORDER BY name")]

    async def started(self, name: str, at: float) -> None:
        await self.db.execute(
            "INSERT INTO jobs(name, last_started_at, runs) VALUES (?, ?, 1) "
            "ON CONFLICT(name) DO UPDATE SET last_started_at = excluded.last_started_at,"
            " runs = jobs.runs + 1",
            (name, at),
        )

    async def succeeded(self, name: str, at: float) -> None:
        await self.db.execute("UPDATE jobs SET last_success_at = ? WHERE name = ?", (at, name))

    async def failed(self, name: str, at: float, error: str) -> None:
        await self.db.execute(
            "UPDATE jobs SET last_error = ?, last_error_at = ?, failures = failures + 1 WHERE name = ?",
            (error[:2000], at, name),
        )
