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
    assert gone is not None and live is not None
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


# A build recorded by a process of another machine: its pid cannot be checked from here.
ELSEWHERE = "another-host.invalid:4242:777:process"


async def _owned_elsewhere(store: Store, file_id: int, heartbeat_at: float | None) -> None:
    await store.db.execute(
        "UPDATE report_files SET worker = ?, heartbeat_at = ? WHERE file_id = ?",
        (ELSEWHERE, heartbeat_at, file_id),
    )


async def test_another_hosts_build_that_stopped_beating_fails_and_is_claimed_again(any_store: Store) -> None:
    import time

    from storage.owners import this_process
    from storage.reports import STALE_AFTER_S, STOPPED_BEATING

    report_id = await any_store.reports.create(RECORD)
    stale = await any_store.reports.claim_file(report_id, "2026-10")
    fresh = await any_store.reports.claim_file(report_id, "2026-11")
    assert stale is not None and fresh is not None
    now = time.time()
    await _owned_elsewhere(any_store, stale, now - STALE_AFTER_S - 1)
    await _owned_elsewhere(any_store, fresh, now - STALE_AFTER_S + 60)
    await any_store.db.execute("UPDATE report_files SET status = ? WHERE file_id = ?", (RUNNING, stale))

    assert [f.file_id for f in await any_store.reports.close_interrupted()] == [stale]
    failed = await any_store.reports.file(report_id, stale)
    left = await any_store.reports.file(report_id, fresh)
    assert failed is not None and left is not None
    assert (failed.status, failed.error) == (FAILED, STOPPED_BEATING)
    assert failed.finished_at is not None
    assert (left.status, left.error) == (QUEUED, "")  # still beating, though from elsewhere
    assert await any_store.reports.close_interrupted() == []

    # The month is claimed again, by this process, with a heartbeat of its own.
    assert await any_store.reports.claim_file(report_id, "2026-10") == stale
    row = await any_store.db.fetchone(
        "SELECT status, worker, heartbeat_at FROM report_files WHERE file_id = ?", (stale,)
    )
    assert row is not None
    assert (row["status"], row["worker"]) == (QUEUED, this_process())
    assert float(row["heartbeat_at"]) >= now
    assert await any_store.reports.close_interrupted() == []


async def test_a_file_without_a_heartbeat_is_judged_by_its_claim(any_store: Store) -> None:
    """Files claimed before heartbeats were kept: stale once their claim is older than the horizon."""
    import time

    from storage.reports import STALE_AFTER_S, STOPPED_BEATING

    report_id = await any_store.reports.create(RECORD)
    old = await any_store.reports.claim_file(report_id, "2026-10")
    recent = await any_store.reports.claim_file(report_id, "2026-11")
    assert old is not None and recent is not None
    now = time.time()
    await any_store.db.execute(
        "UPDATE report_files SET worker = '', heartbeat_at = NULL, created_at = ? WHERE file_id = ?",
        (now - STALE_AFTER_S - 1, old),
    )
    await any_store.db.execute("UPDATE report_files SET heartbeat_at = NULL WHERE file_id = ?", (recent,))
    assert [f.file_id for f in await any_store.reports.close_interrupted(report_id)] == [old]
    files = {f.file_id: f for f in await any_store.reports.files(report_id)}
    assert (files[old].status, files[old].error) == (FAILED, STOPPED_BEATING)
    assert files[recent].status == QUEUED
    # The horizon can be given: the same file is stale an hour later.
    later = await any_store.reports.close_interrupted(now=now + STALE_AFTER_S + 1)
    assert [f.file_id for f in later] == [recent]


async def test_a_heartbeat_refreshes_only_the_workers_unfinished_files(any_store: Store) -> None:
    report_id = await any_store.reports.create(RECORD)
    queued = await any_store.reports.claim_file(report_id, "2026-09")
    running = await any_store.reports.claim_file(report_id, "2026-10")
    done = await any_store.reports.claim_file(report_id, "2026-11")
    theirs = await any_store.reports.claim_file(report_id, "2026-12")
    assert queued is not None and running is not None and done is not None and theirs is not None
    await any_store.reports.progress(running, 10)
    await any_store.reports.finish(done, DONE, row_count=1, byte_size=2, path="/x/f.csv")
    await _owned_elsewhere(any_store, theirs, 1.0)

    assert await any_store.reports.heartbeat(now=5e9) == 2
    rows = await any_store.db.fetchall("SELECT file_id, heartbeat_at FROM report_files")
    beats = {int(r["file_id"]): float(r["heartbeat_at"]) for r in rows}
    assert (beats[queued], beats[running], beats[theirs]) == (5e9, 5e9, 1.0)
    assert beats[done] < 5e9
    assert await any_store.reports.heartbeat(ELSEWHERE, now=6e9) == 1


async def test_a_build_failed_for_silence_and_claimed_elsewhere_is_not_overwritten(any_store: Store) -> None:
    """The first builder was only slow: its late progress and outcome do not touch the month
    another process now builds."""
    report_id = await any_store.reports.create(RECORD)
    file_id = await any_store.reports.claim_file(report_id, "2026-11")
    assert file_id is not None
    await any_store.reports.progress(file_id, 5)
    # Failed for silence, then claimed again on another host.
    await any_store.db.execute(
        "UPDATE report_files SET status = ?, row_count = 0, worker = ? WHERE file_id = ?",
        (QUEUED, ELSEWHERE, file_id),
    )
    await any_store.reports.progress(file_id, 50)
    await any_store.reports.finish(file_id, DONE, row_count=90, byte_size=9, path="/x/late.csv")
    again = await any_store.reports.file(report_id, file_id)
    assert again is not None
    assert (again.status, again.row_count, again.path) == (QUEUED, 0, "")
