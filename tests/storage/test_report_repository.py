"""The report repository's contract on both backends: SQLite (a temporary file) and
PostgreSQL (a scratch schema; skipped when no server answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.postgres.scratch import scratch_schema, unavailable_reason
from storage.reports import DONE, QUEUED, RUNNING, ReportRecord
from storage.store import Store, open_store

RECORD = ReportRecord(
    source="azure",
    columns=("CustomerID", "AzureIntent"),
    filters=(("country", "US"), ("cluster", "Act now")),
    month="2026-11",
    name="US act now",
    format="xlsx",
    bom=True,
    crm_column="CrmId",
    crm_ids={"C1": "ACC-1"},
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        async with await open_store(tmp_path / "reports.db") as store:
            yield store
        return
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    with scratch_schema() as url:
        async with await open_store(url) as store:
            yield store


async def test_definitions_round_trip_per_creator(any_store: Store) -> None:
    mine = await any_store.reports.create(RECORD)
    theirs = await any_store.reports.create(RECORD, created_by="partner-7")
    got = await any_store.reports.get(mine)
    assert got is not None
    assert (got.source, got.columns, got.filters, got.month, got.name) == (
        "azure",
        ("CustomerID", "AzureIntent"),
        (("country", "US"), ("cluster", "Act now")),
        "2026-11",
        "US act now",
    )
    assert (got.format, got.bom, got.scheduled, got.crm_column, dict(got.crm_ids)) == (
        "xlsx",
        True,
        False,
        "CrmId",
        {"C1": "ACC-1"},
    )
    assert [r.report_id for r in await any_store.reports.definitions()] == [mine]
    assert await any_store.reports.get(theirs) is None  # another creator's report is not visible
    assert await any_store.reports.delete(theirs) is None
    assert await any_store.reports.get(theirs, "partner-7") is not None


async def test_files_are_claimed_once_per_month_and_finish(any_store: Store) -> None:
    report_id = await any_store.reports.create(RECORD)
    file_id = await any_store.reports.claim_file(report_id, "2026-11")
    assert file_id is not None
    assert await any_store.reports.claim_file(report_id, "2026-11") is None
    [queued] = await any_store.reports.files(report_id)
    assert (queued.status, queued.row_count) == (QUEUED, 0)
    await any_store.reports.progress(file_id, 500)
    [running] = await any_store.reports.files(report_id)
    assert (running.status, running.row_count) == (RUNNING, 500)
    await any_store.reports.finish(file_id, DONE, row_count=900, byte_size=4096, path="/x/report-1.xlsx")
    done = await any_store.reports.file(report_id, file_id)
    assert done is not None
    assert (done.status, done.row_count, done.byte_size, done.path) == (DONE, 900, 4096, "/x/report-1.xlsx")
    assert done.finished_at is not None
    assert await any_store.reports.file(report_id + 1, file_id) is None  # ids must belong together
    assert await any_store.reports.files(report_id, "partner-7") == []


async def test_scheduled_delete_and_forget(any_store: Store) -> None:
    plain = await any_store.reports.create(RECORD)
    scheduled = await any_store.reports.create(
        ReportRecord(
            source="m365",
            columns=("CustomerID",),
            filters=(),
            month="",
            name="m",
            format="csv",
            scheduled=True,
        ),
        created_by="partner-7",
    )
    assert [r.report_id for r in await any_store.reports.scheduled()] == [scheduled]
    first = await any_store.reports.claim_file(scheduled, "2026-10")
    second = await any_store.reports.claim_file(scheduled, "2026-11")
    assert first is not None and second is not None
    await any_store.reports.forget_files([first])
    assert [f.month for f in await any_store.reports.files(scheduled, "partner-7")] == ["2026-11"]
    await any_store.reports.finish(second, DONE, row_count=1, byte_size=2, path="/x/f.csv")
    assert await any_store.reports.delete(scheduled, "partner-7") == ["/x/f.csv"]
    assert await any_store.reports.scheduled() == []
    assert await any_store.reports.delete(plain) == []
