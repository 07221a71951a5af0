"""The downloads hub's records: report definitions per creator and the files built from them.

A definition belongs to the user who created it (``created_by``); every read and delete goes
through :func:`_visible`, the one place a user's scope limits what they see. A definition
also keeps the partners its creator could see when it was made (``partners``, NULL: all), and
:meth:`SqliteReportRepository.within` gives the rows a build of it may read. Files are keyed
by (definition, month), so claiming a month that already has a file does nothing: a scheduled
report is built once per monthly run however often the run repeats.

A file being built is the lease of the process that claimed it (``worker``): that process
refreshes ``heartbeat_at`` of all its queued and running files every :data:`HEARTBEAT_S`
(:meth:`SqliteReportRepository.heartbeat`), and :meth:`SqliteReportRepository.close_interrupted`
fails a file whose process of this host is gone at once, and one whose heartbeat is older than
:data:`STALE_AFTER_S` whatever host built it (a machine that crashed cannot be asked).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.owners import owner_is_dead, this_process
from storage.protocols import SqlDatabase
from storage.report_rows import MonthSlices, SqliteMonthSlices
from storage.scope import EVERYTHING, Scope

LOCAL_USER = "local"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
INTERRUPTED = "the build was interrupted: its process ended before the file was written; build it again"
STOPPED_BEATING = (
    "the build was interrupted: it stopped sending heartbeats (its process or its machine is gone)"
    " before the file was written; build it again"
)
# A building process refreshes its files' heartbeat this often (seconds), and a file whose
# heartbeat is older than the horizon is taken for lost by any host. The horizon is many beats
# long, so a busy database or a clock a little off between hosts never fails a live build.
HEARTBEAT_S = 30.0
STALE_AFTER_S = 600.0


@dataclass(frozen=True)
class ReportRecord:
    """A stored definition, as plain values (the intent layer checks and builds them)."""

    source: str
    columns: tuple[str, ...]
    filters: tuple[tuple[str, str], ...]
    month: str
    name: str
    format: str
    bom: bool = False
    scheduled: bool = False
    crm_column: str = ""
    crm_ids: Mapping[str, str] = field(default_factory=dict)
    report_id: int = 0
    created_by: str = LOCAL_USER
    created_at: float = 0.0
    scope: Scope = EVERYTHING  # the partners its creator could see when it was saved


@dataclass(frozen=True)
class ReportFile:
    file_id: int
    report_id: int
    month: str
    status: str
    row_count: int
    byte_size: int
    path: str
    error: str
    created_at: float
    finished_at: float | None


class ReportRepository(Protocol):
    rows: MonthSlices

    def within(self, scope: Scope) -> ReportRepository: ...
    async def create(self, record: ReportRecord, created_by: str = LOCAL_USER) -> int: ...
    async def get(self, report_id: int, scope: str = LOCAL_USER) -> ReportRecord | None: ...
    async def definitions(self, scope: str = LOCAL_USER) -> list[ReportRecord]: ...
    async def scheduled(self) -> list[ReportRecord]: ...
    async def delete(self, report_id: int, scope: str = LOCAL_USER) -> list[str] | None: ...
    async def claim_file(self, report_id: int, month: str) -> int | None: ...
    async def heartbeat(self, worker: str = "", now: float | None = None) -> int: ...
    async def progress(self, file_id: int, row_count: int) -> None: ...
    async def finish(
        self, file_id: int, status: str, *, row_count: int, byte_size: int, path: str, error: str = ""
    ) -> None: ...
    async def files(self, report_id: int, scope: str = LOCAL_USER) -> list[ReportFile]: ...
    async def file(self, report_id: int, file_id: int, scope: str = LOCAL_USER) -> ReportFile | None: ...
    async def forget_files(self, file_ids: Sequence[int]) -> None: ...
    async def close_interrupted(
        self, report_id: int | None = None, *, stale_after_s: float = STALE_AFTER_S, now: float | None = None
    ) -> list[ReportFile]: ...


def _visible(scope: str) -> tuple[str, tuple[Any, ...]]:
    """The condition on ``report_definitions`` that limits a user to their own reports."""
    return "created_by = ?", (scope,)


class SqliteReportRepository:
    """Plain SQL that SQLite and PostgreSQL both accept as written."""

    def __init__(self, db: SqlDatabase):
        self.db = db
        self.rows: MonthSlices = SqliteMonthSlices(db)

    def within(self, scope: Scope) -> SqliteReportRepository:
        """The same repository whose ``rows`` hold only the customers of ``scope``."""
        limited = SqliteReportRepository(self.db)
        limited.rows = SqliteMonthSlices(self.db, scope)
        return limited

    async def create(self, record: ReportRecord, created_by: str = LOCAL_USER) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO report_definitions(created_by, name, source, columns, filters, month, format,"
                " bom, scheduled, crm_column, crm_ids, created_at, partners)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING report_id",
                (
                    created_by,
                    record.name,
                    record.source,
                    json.dumps(list(record.columns)),
                    json.dumps([list(pair) for pair in record.filters]),
                    record.month,
                    record.format,
                    int(record.bom),
                    int(record.scheduled),
                    record.crm_column,
                    json.dumps(dict(record.crm_ids), sort_keys=True),
                    time.time(),
                    record.scope.to_text(),
                ),
            )
            row = await cursor.fetchone()
            assert row is not None  # RETURNING answers one row for one insert
            return int(row[0])

    async def get(self, report_id: int, scope: str = LOCAL_USER) -> ReportRecord | None:
        where, params = _visible(scope)
        row = await self.db.fetchone(
            f"SELECT * FROM report_definitions WHERE report_id = ? AND {where}", (report_id, *params)
        )
        return _record(row) if row is not None else None

    async def definitions(self, scope: str = LOCAL_USER) -> list[ReportRecord]:
        where, params = _visible(scope)
        rows = await self.db.fetchall(
            f"SELECT * FROM report_definitions WHERE {where} ORDER BY report_id DESC", params
        )
        return [_record(r) for r in rows]

    async def scheduled(self) -> list[ReportRecord]:
        """Every user's scheduled definitions (the monthly run builds them all)."""
        rows = await self.db.fetchall(
            "SELECT * FROM report_definitions WHERE scheduled = 1 ORDER BY report_id"
        )
        return [_record(r) for r in rows]

    async def delete(self, report_id: int, scope: str = LOCAL_USER) -> list[str] | None:
        """Forget a definition and its files; returns the paths the caller should remove
        (None when the definition is not the user's or does not exist)."""
        where, params = _visible(scope)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT report_id FROM report_definitions WHERE report_id = ? AND {where}",
                (report_id, *params),
            )
            if await cursor.fetchone() is None:
                return None
            cursor = await conn.execute(
                "SELECT path FROM report_files WHERE report_id = ? AND path <> ''", (report_id,)
            )
            paths = [str(r[0]) for r in await cursor.fetchall()]
            await conn.execute("DELETE FROM report_files WHERE report_id = ?", (report_id,))
            await conn.execute("DELETE FROM report_definitions WHERE report_id = ?", (report_id,))
            return paths

    async def claim_file(self, report_id: int, month: str) -> int | None:
        """A queued file for (report, month), owned by this process with a fresh heartbeat;
        None when that month already has one that is queued, being built or done. A month whose
        build failed (or was interrupted) is taken again, so the next scheduled run rebuilds it
        instead of keeping the failure for ever."""
        now = time.time()
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO report_files(report_id, month, status, created_at, worker, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (report_id, month) DO UPDATE SET status = excluded.status,"
                " row_count = 0, byte_size = 0, path = '', error = '',"
                " created_at = excluded.created_at, finished_at = NULL, worker = excluded.worker,"
                " heartbeat_at = excluded.heartbeat_at"
                " WHERE report_files.status = ? RETURNING file_id",
                (report_id, month, QUEUED, now, this_process(), now, FAILED),
            )
            row = await cursor.fetchone()
            return int(row[0]) if row is not None else None

    async def heartbeat(self, worker: str = "", now: float | None = None) -> int:
        """Say that ``worker`` (this process by default) still builds every file it has queued
        or running: one statement for all of them. Returns how many files it holds."""
        return await self.db.execute(
            "UPDATE report_files SET heartbeat_at = ? WHERE worker = ? AND status IN (?, ?)",
            (time.time() if now is None else now, worker or this_process(), QUEUED, RUNNING),
        )

    async def progress(self, file_id: int, row_count: int) -> None:
        """Rows written so far. Only while the file is still this process's and being built:
        a build failed meanwhile for a lost heartbeat (and perhaps claimed again by another
        process) is not brought back to running."""
        await self.db.execute(
            "UPDATE report_files SET status = ?, row_count = ?"
            " WHERE file_id = ? AND worker = ? AND status IN (?, ?)",
            (RUNNING, row_count, file_id, this_process(), QUEUED, RUNNING),
        )

    async def finish(
        self, file_id: int, status: str, *, row_count: int, byte_size: int, path: str, error: str = ""
    ) -> None:
        """The build's outcome, written while the file is still this process's: a build that
        finishes after it was failed for a lost heartbeat still records its file, unless another
        process has claimed the month again since."""
        await self.db.execute(
            "UPDATE report_files SET status = ?, row_count = ?, byte_size = ?, path = ?, error = ?,"
            " finished_at = ? WHERE file_id = ? AND worker = ?",
            (status, row_count, byte_size, path, error, time.time(), file_id, this_process()),
        )

    async def files(self, report_id: int, scope: str = LOCAL_USER) -> list[ReportFile]:
        """The report's files, newest month first; a build whose process is gone is failed
        first, so a listing never shows it running forever (unless the database is read-only)."""
        if not getattr(self.db, "read_only", False):
            await self.close_interrupted(report_id)
        where, params = _visible(scope)
        rows = await self.db.fetchall(
            "SELECT * FROM report_files WHERE report_id = ? AND report_id IN"
            f" (SELECT report_id FROM report_definitions WHERE {where}) ORDER BY month DESC, file_id DESC",
            (report_id, *params),
        )
        return [_file(r) for r in rows]

    async def file(self, report_id: int, file_id: int, scope: str = LOCAL_USER) -> ReportFile | None:
        where, params = _visible(scope)
        row = await self.db.fetchone(
            "SELECT * FROM report_files WHERE file_id = ? AND report_id = ? AND report_id IN"
            f" (SELECT report_id FROM report_definitions WHERE {where})",
            (file_id, report_id, *params),
        )
        return _file(row) if row is not None else None

    async def close_interrupted(
        self, report_id: int | None = None, *, stale_after_s: float = STALE_AFTER_S, now: float | None = None
    ) -> list[ReportFile]:
        """Files left queued or running by a build that ended become failed, saying so: at once
        when their process is one of this host that is gone (killed, or stopped before it
        finished), and, on any host, when their heartbeat is older than ``stale_after_s`` (a
        file claimed before heartbeats were kept counts from its claim). Those of a live
        process that keeps beating, here or on another host, are left. Returns the files
        failed (of ``report_id`` alone when given)."""
        now = time.time() if now is None else now
        horizon = now - stale_after_s
        only, params = ("AND report_id = ?", (report_id,)) if report_id is not None else ("", ())
        rows = await self.db.fetchall(
            f"SELECT * FROM report_files WHERE status IN (?, ?) {only}", (QUEUED, RUNNING, *params)
        )
        failed = []
        for row in rows:
            worker = str(row["worker"])
            if worker and owner_is_dead(worker):
                failed_now = await self._fail(int(row["file_id"]), worker, INTERRUPTED, now)
            elif _last_beat(row) < horizon:
                failed_now = await self._fail(int(row["file_id"]), worker, STOPPED_BEATING, now, horizon)
            else:
                continue
            if failed_now:
                failed.append(_file(row))
        return failed

    async def _fail(
        self, file_id: int, worker: str, why: str, now: float, stale_before: float | None = None
    ) -> bool:
        """Fail a file still queued or running under ``worker`` (one failed meanwhile and claimed
        again is another build); with ``stale_before``, only if no beat has come since then, so
        a build that beat after it was judged is never failed. Whether it was failed."""
        unless_beat, beat = (
            (" AND COALESCE(heartbeat_at, created_at) < ?", (stale_before,))
            if stale_before is not None
            else ("", ())
        )
        changed = await self.db.execute(
            "UPDATE report_files SET status = ?, error = ?, finished_at = ?"
            f" WHERE file_id = ? AND worker = ? AND status IN (?, ?){unless_beat}",
            (FAILED, why, now, file_id, worker, QUEUED, RUNNING, *beat),
        )
        return changed > 0

    async def forget_files(self, file_ids: Sequence[int]) -> None:
        async with self.db.transaction() as conn:
            for file_id in file_ids:
                await conn.execute("DELETE FROM report_files WHERE file_id = ?", (file_id,))


def _record(row: Any) -> ReportRecord:
    return ReportRecord(
        source=row["source"],
        columns=tuple(json.loads(row["columns"])),
        filters=tuple((str(k), str(v)) for k, v in json.loads(row["filters"])),
        month=row["month"],
        name=row["name"],
        format=row["format"],
        bom=bool(row["bom"]),
        scheduled=bool(row["scheduled"]),
        crm_column=row["crm_column"],
        crm_ids=json.loads(row["crm_ids"]),
        report_id=int(row["report_id"]),
        created_by=row["created_by"],
        created_at=float(row["created_at"]),
        scope=Scope.from_text(row["partners"]),
    )


def _last_beat(row: Any) -> float:
    """When the file's build last said it was at work (claimed before heartbeats were kept:
    when it was claimed)."""
    beat = row["heartbeat_at"]
    return float(beat) if beat is not None else float(row["created_at"])


def _file(row: Any) -> ReportFile:
    finished = row["finished_at"]
    return ReportFile(
        file_id=int(row["file_id"]),
        report_id=int(row["report_id"]),
        month=row["month"],
        status=row["status"],
        row_count=int(row["row_count"]),
        byte_size=int(row["byte_size"]),
        path=row["path"],
        error=row["error"],
        created_at=float(row["created_at"]),
        finished_at=float(finished) if finished is not None else None,
    )
