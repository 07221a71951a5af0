"""Run records: what each import, crawl, classify, monthly or export run did and ran on."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from storage.owners import owner_is_dead, this_process
from storage.protocols import SqlDatabase


@dataclass(frozen=True)
class Run:
    run_id: int
    kind: str
    key: str
    status: str
    started_at: float
    finished_at: float | None
    inputs: dict[str, Any]
    summary: dict[str, Any]
    owner: str = ""


class RunRepository(Protocol):
    async def start(self, kind: str, key: str = "", inputs: dict[str, Any] | None = None) -> int: ...
    async def close_interrupted(self) -> list[int]: ...
    async def finish(self, run_id: int, status: str, summary: dict[str, Any] | None = None) -> None: ...
    async def latest(self, kind: str, key: str | None = None, status: str | None = "ok") -> Run | None: ...
    async def recent(self, limit: int = 20) -> list[Run]: ...


class SqliteRunRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    async def start(self, kind: str, key: str = "", inputs: dict[str, Any] | None = None) -> int:
        """Record a new run of this process; first close runs whose process is gone."""
        await self.close_interrupted()
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO runs(kind, key, status, started_at, inputs, owner)"
                " VALUES (?, ?, 'running', ?, ?, ?) RETURNING run_id",
                (kind, key, time.time(), json.dumps(inputs or {}, sort_keys=True), this_process()),
            )
            row = await cursor.fetchone()
            return int(row[0])

    async def close_interrupted(self) -> list[int]:
        """Runs left 'running' by a process of this host that is gone become 'interrupted'.

        A killed process (or one stopped by a full disk) never finishes its run; a live one,
        here or on another host, keeps its runs. Returns the run ids closed.
        """
        rows = await self.db.fetchall("SELECT run_id, owner FROM runs WHERE status = 'running'")
        gone = [int(r[0]) for r in rows if owner_is_dead(str(r[1]))]
        summary = json.dumps({"interrupted": "its process ended before the run finished"})
        for run_id in gone:
            await self.db.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, summary = ?"
                " WHERE run_id = ? AND status = 'running'",
                (time.time(), summary, run_id),
            )
        return gone

    async def finish(self, run_id: int, status: str, summary: dict[str, Any] | None = None) -> None:
        await self.db.execute(
            "UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE run_id = ?",
            (status, time.time(), json.dumps(summary or {}, sort_keys=True, default=str), run_id),
        )

    async def latest(self, kind: str, key: str | None = None, status: str | None = "ok") -> Run | None:
        sql = "SELECT * FROM runs WHERE kind = ?"
        params: list[Any] = [kind]
        if key is not None:
            sql += " AND key = ?"
            params.append(key)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        row = await self.db.fetchone(sql + " ORDER BY run_id DESC LIMIT 1", params)
        return _run(row) if row else None

    async def recent(self, limit: int = 20) -> list[Run]:
        rows = await self.db.fetchall("SELECT * FROM runs ORDER BY run_id DESC LIMIT ?", (limit,))
        return [_run(r) for r in rows]


def _run(row: Any) -> Run:
    data = dict(row)
    data["inputs"] = json.loads(data["inputs"])
    data["summary"] = json.loads(data["summary"])
    return Run(**data)
