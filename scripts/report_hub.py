"""The downloads hub's wiring: where built files live, building a definition now (with the
heartbeat that tells other hosts the build is alive), building the scheduled ones after a
monthly run and keeping only their latest months."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from intent.report_builder import Built, build_file
from scripts.settings import Settings
from storage.reports import HEARTBEAT_S, LOCAL_USER, ReportRecord, ReportRepository
from storage.scope import Scope
from storage.store import Store
from storage.users import scope_of

log = logging.getLogger("ascent.reports")


HUB_FOLDER = "hub"  # inside [reports] folder, beside the monthly export's month folders


def reports_folder(store: Store, settings: Settings) -> Path:
    """The hub's folder, ``hub`` in the reports folder (``[reports] folder``: an absolute
    setting as it is; a relative one beside the database file, or under the working folder
    for a database URL, which has no folder)."""
    folder = Path(settings.reports.folder)
    if not folder.is_absolute():
        db_file = getattr(store.db, "path", None)
        base = Path(db_file).resolve().parent if isinstance(db_file, Path) else Path.cwd()
        folder = base / folder
    return folder / HUB_FOLDER


def month_key(record: ReportRecord, run_month: str | None = None) -> str:
    """The file's month: the run's for a scheduled report, else the definition's own."""
    return run_month if record.scheduled and run_month else record.month


async def create_report(store: Store, record: ReportRecord, user: str = LOCAL_USER) -> ReportRecord:
    report_id = await store.reports.create(record, user)
    stored = await store.reports.get(report_id, user)
    assert stored is not None  # just written by this user
    return stored


async def claim(store: Store, record: ReportRecord, run_month: str | None = None) -> int | None:
    return await store.reports.claim_file(record.report_id, month_key(record, run_month))


async def rows_scope(store: Store, record: ReportRecord) -> Scope:
    """The customers a build may read: those its creator could see when saving it, and no
    more than they may see now (a viewer since given fewer partners, or disabled)."""
    creator = await store.users.get(record.created_by)
    return record.scope if creator is None else record.scope.within(scope_of(creator))


async def build_claimed(
    store: Store, settings: Settings, record: ReportRecord, file_id: int, run_month: str | None = None
) -> Built:
    async with heartbeat(store.reports):
        return await build_file(
            store.reports.within(await rows_scope(store, record)),
            store.scores,
            record,
            file_id,
            month_key(record, run_month),
            reports_folder(store, settings),
            settings.intent,
            settings.reports,
        )


@dataclass
class _Beat:
    builds: int
    task: asyncio.Task[None]


# One beat per repository (database) in this process, however many builds run at once.
_beats: weakref.WeakKeyDictionary[ReportRepository, _Beat] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def heartbeat(reports: ReportRepository) -> AsyncIterator[None]:
    """While the body runs, refresh the heartbeat of every file this process has queued or
    running, every ``HEARTBEAT_S``: the builds of one process share a single beat (one UPDATE
    for all their files, those still queued behind the one being built included). The beat
    runs on the event loop, which stays free while rows are built in a worker thread and
    while the XLSX writer process writes, so a long write keeps beating too."""
    beat = _beats.get(reports)
    if beat is None:
        beat = _beats[reports] = _Beat(0, asyncio.create_task(_beating(reports)))
    beat.builds += 1
    try:
        yield
    finally:
        beat.builds -= 1
        if beat.builds == 0:
            del _beats[reports]
            beat.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat.task


async def _beating(reports: ReportRepository) -> None:
    """Beat until cancelled (by the last build of the process to end); never fails."""
    while True:
        try:
            await reports.heartbeat()
        except Exception as exc:  # a database hiccup must not stop the build; the next beat retries
            log.warning("report heartbeat not written", extra={"error": str(exc)})
        # The module constant is looked up at every beat, so a test can shorten it.
        await asyncio.sleep(HEARTBEAT_S)


async def build_scheduled(store: Store, settings: Settings, month: str) -> list[Built]:
    """Every scheduled definition's file for ``month`` (each at most once), then the files
    of months beyond ``keep_months`` are removed."""
    built: list[Built] = []
    for record in await store.reports.scheduled():
        file_id = await claim(store, record, month)
        if file_id is not None:
            built.append(await build_claimed(store, settings, record, file_id, month))
        await _prune(store, record, settings.reports.keep_months)
    return built


async def _prune(store: Store, record: ReportRecord, keep: int) -> None:
    files = await store.reports.files(record.report_id, record.created_by)
    old = files[keep:]  # newest month first
    for file in old:
        if file.path:
            Path(file.path).unlink(missing_ok=True)
    if old:
        await store.reports.forget_files([f.file_id for f in old])


async def after_monthly(store: Store, settings: Settings, month: str) -> None:
    """The monthly run's hook: a report that fails to build is recorded as failed and never
    fails the run that scored the month."""
    try:
        built = await build_scheduled(store, settings, month)
    except Exception as exc:
        log.warning("scheduled reports not built", extra={"month": month, "error": str(exc)})
        return
    if built:
        log.info("scheduled reports built", extra={"month": month, "files": len(built)})


async def recover_interrupted(store: Store, settings: Settings) -> int:
    """At start-up (daemon, UI): builds left queued or running by a process that is gone are
    marked failed, and their partial files removed; how many."""
    interrupted = await store.reports.close_interrupted()
    folder = reports_folder(store, settings)
    for file in interrupted:
        # Names made of the numeric id and a checked month only (intent.report_builder.file_name).
        for partial in folder.glob(f"report-{file.report_id}-{file.month}.*.partial"):
            partial.unlink(missing_ok=True)
    if interrupted:
        log.warning("interrupted report builds marked failed", extra={"files": len(interrupted)})
    return len(interrupted)


async def delete_report(store: Store, report_id: int, user: str = LOCAL_USER) -> bool:
    paths = await store.reports.delete(report_id, user)
    if paths is None:
        return False
    for path in paths:
        Path(path).unlink(missing_ok=True)
    return True
