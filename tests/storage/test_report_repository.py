"""The report repository's contract on both backends: SQLite (a temporary file) and
PostgreSQL (a scratch schema; skipped when no server answers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.postgres.scratch import scratch_schema, unavailable_reason
from storage.reports import DONE, FAILED, QUEUED, RUNNING, ReportRecord
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


async def test_a_failed_month_is_claimed_again_and_starts_afresh(any_store: Store) -> None:
    report_id = await any_store.reports.create(RECORD)
    file_id = await any_store.reports.claim_file(report_id, "2026-11")
    assert file_id is not None
    await any_store.reports.finish(file_id, FAILED, row_count=3, byte_size=9, path="", error="disk full")
    assert await any_store.reports.claim_file(report_id, "2026-11") == file_id
    again = await any_store.reports.file(report_id, file_id)
    assert again is not None
    assert (again.status, again.row_count, again.error, again.finished_at) == (QUEUED, 0, "", None)
    assert await any_store.reports.claim_file(report_id, "2026-11") is None  # queued: not twice
    await any_store.reports.finish(file_id, DONE, row_count=1, byte_size=2, path="/x/f.csv")
    assert await any_store.reports.claim_file(report_id, "2026-11") is None  # done: kept


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


async def test_a_file_whose_worker_is_gone_fails_when_listed(any_store: Store) -> None:
    import socket
    import subprocess
    import sys

    from storage.reports import INTERRUPTED

    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    report_id = await any_store.reports.create(RECORD)
    gone = await any_store.reports.claim_file(report_id, "2026-10")
    live = await any_store.reports.claim_file(report_id, "2026-11")  # this process: alive
    await any_store.db.execute(
        "UPDATE report_files SET worker = ? WHERE file_id = ?",
        (f"{socket.gethostname()}:{exited.pid}:1:process", gone),
    )
    files = {f.file_id: f for f in await any_store.reports.files(report_id)}
    assert (files[gone].status, files[gone].error) == (FAILED, INTERRUPTED)
    assert files[live].status == QUEUED
    assert await any_store.reports.close_interrupted() == []


async def test_a_slice_reads_the_areas_asked_for_by_primary_key(any_store: Store) -> None:
    db = any_store.db
    for cid in ("C1", "C2", "C3"):
        await db.execute(
            "INSERT INTO customers(customer_id, account_name, domain, org_size, industry, country,"
            " sub_segment, partner_id, partner_name) VALUES (?, ?, ?, 10, 'Retail', 'US', 'Small', 'P', 'P')",
            (cid, f"Name {cid}", f"{cid.lower()}.example"),
        )
        for month in ("2026-10", "2026-11"):
            await db.execute(
                "INSERT INTO customer_month(customer_id, month, flags, cohorts, potential_revenue)"
                " VALUES (?, ?, '{\"HasAzure\": true}', '[]', '{}')",
                (cid, month),
            )
            for area in ("Azure", "M365", "Security"):
                await db.execute(
                    "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent, intent_band,"
                    " cell, cluster) VALUES (?, ?, ?, 50, 'High', 60, 'High', 'A1', 'Act now')",
                    (cid, area, month),
                )
    slices = any_store.reports.rows
    assert (await slices.customer_count(), await slices.agreement_count()) == (3, 0)
    part = await slices.slice("2026-11", "C1", "C2", ("Azure", "M365"), False)
    assert [c.customer_id for c in part.customers] == ["C1", "C2"]
    assert {cid: sorted(areas) for cid, areas in part.propensity.items()} == {
        "C1": ["Azure", "M365"],
        "C2": ["Azure", "M365"],
    }
    assert part.customer_month["C2"].flags == {"HasAzure": True} and part.contributions == {}
    assert part.customers[0].is_nonprofit is False
