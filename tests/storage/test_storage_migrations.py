"""Every schema change is a migration, on both backends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage.store import open_store
from tests.support.storage import BACKENDS, empty_target

STORAGE = Path(__file__).resolve().parents[2] / "storage"


async def _columns(store_db: object, backend: str) -> set[str]:
    db = store_db
    if backend == "sqlite":
        rows = await db.fetchall("SELECT name FROM pragma_table_info('customer_month')")  # type: ignore[attr-defined]
    else:
        rows = await db.fetchall(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'customer_month'"
        )
    return {str(r[0]) for r in rows}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_database_without_flag_evidence_gains_it_by_migration_0011(backend: str, tmp_path: Path) -> None:
    with empty_target(backend, tmp_path) as target:
        async with await open_store(target) as store:
            # A database whose 0005 predates the column, and which has not seen 0011.
            await store.db.execute("ALTER TABLE customer_month DROP COLUMN flag_evidence")
            await store.db.execute("DELETE FROM schema_migrations WHERE version = 11")
            assert "flag_evidence" not in await _columns(store.db, backend)
        async with await open_store(target) as store:
            assert "flag_evidence" in await _columns(store.db, backend)
            row = await store.db.fetchone("SELECT name FROM schema_migrations WHERE version = 11")
            assert row is not None and str(row[0]) == "0011_flag_evidence.sql"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migration_0011_is_a_no_op_where_0005_added_the_column(backend: str, tmp_path: Path) -> None:
    with empty_target(backend, tmp_path) as target:
        async with await open_store(target) as store:
            assert "flag_evidence" in await _columns(store.db, backend)
            assert await store.db.fetchone("SELECT 1 FROM schema_migrations WHERE version = 11") is not None


def test_no_table_is_created_or_altered_outside_the_migrations() -> None:
    ddl = re.compile(r"\b(ALTER\s+TABLE|CREATE\s+TABLE|DROP\s+TABLE|ADD\s+COLUMN)\b", re.IGNORECASE)
    offenders = []
    for path in STORAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ddl.search(line) and not line.lstrip().startswith(("#", '"""')):
                offenders.append(f"{path.relative_to(STORAGE.parent)}:{number}: {line.strip()}")
    # The migration runners create the table that records the migrations, and read the rest.
    allowed = {"schema_migrations", "``"}
    offenders = [o for o in offenders if not any(a in o for a in allowed)]
    assert offenders == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_report_files_from_before_0017_gain_an_empty_heartbeat(backend: str, tmp_path: Path) -> None:
    from storage.reports import STALE_AFTER_S, STOPPED_BEATING, ReportRecord

    record = ReportRecord(
        source="azure", columns=("CustomerID",), filters=(), month="2026-11", name="r", format="csv"
    )
    with empty_target(backend, tmp_path) as target:
        async with await open_store(target) as store:
            report_id = await store.reports.create(record)
            await store.db.execute("ALTER TABLE report_files DROP COLUMN heartbeat_at")
            await store.db.execute("DELETE FROM schema_migrations WHERE version = 17")
            # A build claimed (by a process long gone, on another host) before the upgrade.
            await store.db.execute(
                "INSERT INTO report_files(report_id, month, status, created_at, worker) VALUES (?, ?, ?, ?, ?)",
                (report_id, "2026-11", "running", 1.0, "another-host.invalid:7:7:process"),
            )
        async with await open_store(target) as store:
            row = await store.db.fetchone("SELECT heartbeat_at FROM report_files")
            assert row is not None and row[0] is None
            [failed] = await store.reports.close_interrupted(stale_after_s=STALE_AFTER_S)
            file = await store.reports.file(report_id, failed.file_id)
            assert file is not None and file.error == STOPPED_BEATING
