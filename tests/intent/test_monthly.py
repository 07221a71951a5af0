"""The monthly run: idempotent, all-or-nothing, recording what it ran on."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from intent.monthly import MonthError, month_bounds, previous_month, run_month
from intent.settings import IntentSettings
from scripts.cli import main as cli
from storage.customers import FitScore, Outcome, Product
from storage.scores import MonthWrite, SqliteScoreRepository
from storage.store import Store, open_store
from tests.support.intent_world import (
    Sig,
    add_customers,
    add_records,
    add_signals,
    add_technology,
    customer,
)

MONTH = "2026-11"


async def small_world(store: Store) -> None:
    await add_customers(
        store,
        [
            customer(f"C{i:02d}", org_size=10 + 7 * i, sub_segment="Small" if i < 3 else "Medium")
            for i in range(12)
        ],
    )
    await add_records(
        store,
        [
            Product("C01", "M365 Business Standard", 20, "2024-03-01", "active"),
            Product("C02", "Dynamics NAV", 1, None, "active"),
            Product("C03", "Surface", 10, "2025-06-01", "active"),
            FitScore("C04", "Azure", "2026Q4", 91.0),
            Outcome("O1", "C05", "Azure", "2026-12-10", None, "open", 0.0),
        ],
    )
    await add_technology(store, "C02", "Google Workspace", "dns_mx", "aspmx.l.google.com")
    await add_signals(
        store,
        [
            Sig("C01", "cloud_migration", "2026-11-20", ["Azure"]),
            Sig("C01", "funding", "2026-11-05", ["Azure", "M365"]),
            Sig("C01", "hiring_tech", "2026-10-01", ["Azure", "M365"]),
            Sig("C02", "business_apps_need", "2026-11-11", ["D365BC", "D365SP", "PowerApps"]),
            Sig("C03", "modern_work", "2026-09-30", ["M365", "Surface"]),
            Sig("C03", "cost_cutting", "2026-11-15", []),
            Sig("C04", "security_incident", "2026-12-02", ["Security"]),  # after the month: ignored
        ],
    )


async def test_month_twice_gives_identical_rows(store: Store) -> None:
    await small_world(store)
    first = await run_month(store.scores, store.runs, MONTH)
    digest = await store.scores.month_rows_digest(MONTH)
    second = await run_month(store.scores, store.runs, MONTH)
    assert await store.scores.month_rows_digest(MONTH) == digest
    assert first.inputs["signals"] == second.inputs["signals"]
    assert first.inputs["settings_hash"] == second.inputs["settings_hash"]
    for area, model in first.inputs["models"]["fit"].items():
        again = second.inputs["models"]["fit"][area]
        assert model["model_version"] == again["model_version"]
        assert model["trained_now"] and not again["trained_now"]  # the quarter's model is reused
    propensity = await store.scores.propensity(MONTH)
    assert len(propensity) == 12 * 7
    rows = await store.db.fetchall("SELECT COUNT(*) FROM intent_scores WHERE month = ?", (MONTH,))
    assert rows[0][0] > 0


async def test_run_row_records_inputs(store: Store) -> None:
    await small_world(store)
    result = await run_month(store.scores, store.runs, MONTH)
    run = await store.runs.latest("monthly", MONTH)
    assert run is not None and run.run_id == result.run_id and run.status == "ok"
    assert run.inputs["signals"]["read"] == 6  # the December signal is not read
    assert run.inputs["signals"]["by_type"]["cloud_migration"] == 1
    assert run.inputs["settings_hash"] and len(run.inputs["settings_hash"]) == 16
    assert run.inputs["models"]["intent"] == "intent-v1"
    azure = run.inputs["models"]["fit"]["Azure"]
    assert azure["method"] == "rule" and "rule-based" in azure["fallback"]
    assert azure["imported_scores"] == 1
    assert run.summary["propensity_rows"] == 84


async def test_settings_change_the_hash(store: Store) -> None:
    await small_world(store)
    a = await run_month(store.scores, store.runs, MONTH)
    b = await run_month(store.scores, store.runs, MONTH, IntentSettings(source_day_cap=2.0))
    assert a.inputs["settings_hash"] != b.inputs["settings_hash"]


async def test_imported_fit_wins(store: Store) -> None:
    await small_world(store)
    await run_month(store.scores, store.runs, MONTH)
    rows = {(r.customer_id, r.area): r for r in await store.scores.propensity(MONTH)}
    assert rows[("C04", "Azure")].fit == 91.0


async def test_contributions_and_top_signals_are_stored(store: Store) -> None:
    await small_world(store)
    await run_month(store.scores, store.runs, MONTH)
    row = await store.db.fetchone(
        "SELECT contributions, breadth, score FROM intent_scores WHERE customer_id = 'C01' AND area = 'Azure'"
    )
    assert row is not None
    contributions = json.loads(row[0])
    assert contributions[0]["signal_type"] == "cloud_migration"
    assert all(c["weight"] > 0 for c in contributions)
    assert row[1] == 3
    months = await store.scores.customer_months(MONTH)
    assert months["C02"].flags["HasGoogle"] is True and months["C02"].flags["HasAzure"] is False
    assert months["C02"].flag_evidence["HasGoogle"] == [
        "Google Workspace seen via dns_mx: aspmx.l.google.com"
    ]
    assert "D365BC_MigrateOnPrem" in months["C02"].cohorts
    assert months["C02"].potential_revenue["D365BC"] == 4 * 80 * 12  # 15 % of 24 employees, rounded up
    top = months["C01"].top_signals
    assert top[0]["signal_type"] == "cloud_migration" and top[0]["published"] == "2026-11-20"
    assert "Azure" in top[0]["areas"]
    # The cost-cutting signal lowers C03 and is stored with a negative weight.
    c03 = await store.db.fetchone(
        "SELECT contributions FROM intent_scores WHERE customer_id = 'C03' AND area = 'M365'"
    )
    assert c03 is not None and any(c["weight"] < 0 for c in json.loads(c03[0]))


class FailingScores(SqliteScoreRepository):
    async def write_month(self, data: MonthWrite) -> None:
        bad = [*data.customer_month_rows, ("NO-SUCH-CUSTOMER", data.month, "{}", "[]", "{}", "[]", "{}")]
        await super().write_month(
            MonthWrite(data.month, data.quarter, data.intent_rows, data.propensity_rows, bad)
        )


async def test_a_failed_run_changes_nothing(store: Store) -> None:
    await small_world(store)
    await run_month(store.scores, store.runs, MONTH)
    digest = await store.scores.month_rows_digest(MONTH)
    await add_signals(store, [Sig("C07", "funding", "2026-11-03", ["Azure"])])
    with pytest.raises(Exception, match="FOREIGN KEY"):
        await run_month(FailingScores(store.db), store.runs, MONTH)
    assert await store.scores.month_rows_digest(MONTH) == digest
    failed = await store.runs.latest("monthly", MONTH, status="failed")
    assert failed is not None and "FOREIGN KEY" in failed.summary["error"]


async def test_baseline_comes_from_previous_months(store: Store) -> None:
    await small_world(store)
    october = await run_month(store.scores, store.runs, "2026-10")
    november = await run_month(store.scores, store.runs, MONTH)
    assert october.inputs["baseline_months"] == []
    assert november.inputs["baseline_months"] == ["2026-10"]
    row = await store.db.fetchone(
        "SELECT surge FROM intent_scores WHERE customer_id = 'C01' AND area = 'Azure' AND month = ?", (MONTH,)
    )
    assert row is not None and row[0] > 0  # November's evidence is well above October's


def test_month_parsing() -> None:
    first, last = month_bounds("2028-02")
    assert (first.isoformat(), last.isoformat()) == ("2028-02-01", "2028-02-29")
    assert previous_month("2026-01") == "2025-12"
    for bad in ("2026-13", "2026-1", "november", ""):
        with pytest.raises(MonthError):
            month_bounds(bad)


def _prepare(path: Path) -> None:
    async def go() -> None:
        store = await open_store(path)
        try:
            await small_world(store)
        finally:
            await store.close()

    asyncio.run(go())


def test_cli_monthly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "a.db"
    _prepare(db)
    assert cli(["--db", str(db), "monthly", "--month", MONTH]) == 0
    out = capsys.readouterr().out
    assert "month 2026-11" in out and "12 customers" in out and "Azure" in out
    assert cli(["--db", str(db), "monthly", "--month", MONTH, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["inputs"]["customers"] == 12
    assert payload["summary"]["clusters"]["Azure"]
    assert cli(["--db", str(db), "monthly", "--month", "2026-13"]) == 2


async def _month_table_indexes(store: Store) -> list[tuple[str, str]]:
    rows = await store.db.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('intent_scores', 'propensity', 'customer_month') ORDER BY name"
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def test_month_write_keeps_every_index(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun of a month that is most of the month tables drops and rebuilds their indexes, other
    writes keep them, and either way the write ends (or fails) with the same indexes in place."""
    import storage.scores as scores

    decisions: list[bool] = []
    choose = scores._indexes_to_rebuild

    async def spy(conn: object, data: MonthWrite) -> list[tuple[str, str]]:
        found = await choose(conn, data)  # type: ignore[arg-type]
        decisions.append(bool(found))
        return found

    monkeypatch.setattr(scores, "_indexes_to_rebuild", spy)
    indexes = await _month_table_indexes(store)
    assert {"propensity_ui_intent", "customer_month_rev_azure", "intent_scores_month"} <= dict(indexes).keys()
    await small_world(store)
    for month in (MONTH, MONTH, "2026-08", "2026-09", "2026-10", MONTH):
        await run_month(store.scores, store.runs, month)
        assert await _month_table_indexes(store) == indexes
    # Only the rerun of the only month rebuilds; new months, and a rerun among others, do not.
    assert decisions == [False, True, False, False, False, False]
    digest = await store.scores.month_rows_digest(MONTH)
    monkeypatch.setattr(scores, "REBUILD_INDEX_SHARE", 0.0)  # rebuild, then fail before the end
    with pytest.raises(Exception, match="FOREIGN KEY"):
        await run_month(FailingScores(store.db), store.runs, MONTH)
    assert decisions[-1] is True
    assert await _month_table_indexes(store) == indexes
    assert await store.scores.month_rows_digest(MONTH) == digest
    plan = await store.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT customer_id FROM propensity WHERE month = ? AND area = 'Azure'"
        " ORDER BY intent DESC LIMIT 50",
        (MONTH,),
    )
    assert "propensity_ui_intent" in " ".join(str(tuple(r)) for r in plan)
