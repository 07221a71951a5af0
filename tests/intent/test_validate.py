"""Validation of clusters against the opportunities created after the month."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from intent.matrix import Matrix
from intent.monthly import run_month
from intent.settings import IntentSettings
from intent.validate import validate_area, validate_month
from scripts.cli import main as cli
from storage.customers import Customer, FitScore, Outcome
from storage.scores import OutcomeRow, PropensityRow
from storage.store import Store, open_store
from tests.support.intent_world import Sig, add_customers, add_records, add_signals, customer

MONTH = "2026-11"
SETTINGS = IntentSettings()


async def validation_world(store: Store) -> None:
    """10 Act now, 10 Evaluate, 10 Nurture and 30 Educate customers for Azure, with
    opportunities that follow the clusters."""
    customers: list[Customer] = []
    records: list[FitScore | Outcome] = []
    signals: list[Sig] = []
    for i in range(60):
        cid = f"C{i:02d}"
        customers.append(customer(cid))
        records.append(FitScore(cid, "Azure", "2026Q4", 90.0 if i < 30 else 10.0))
        if i < 10:  # three fresh signals of distinct types: High intent
            signals += [
                Sig(cid, "cloud_migration", "2026-11-20", ["Azure"], url=f"https://a{i}.example/1"),
                Sig(cid, "funding", "2026-11-18", ["Azure"], url=f"https://b{i}.example/1"),
                Sig(cid, "hiring_tech", "2026-11-15", ["Azure"], url=f"https://c{i}.example/1"),
            ]
        elif i < 20:  # one weak signal (a partnership): Low intent
            signals.append(Sig(cid, "partnership", "2026-11-20", ["Azure"]))
    plan = {
        "Act now": (range(0, 8), 6),
        "Evaluate": (range(10, 15), 3),
        "Nurture": (range(20, 22), 1),
        "Educate": (range(30, 31), 0),
    }
    n = 0
    for members, won in plan.values():
        for rank, i in enumerate(members):
            for k in range(2):
                n += 1
                outcome = "won" if rank < won and k == 0 else ("lost" if k == 0 else "open")
                records.append(Outcome(f"O{n}", f"C{i:02d}", "Azure", "2027-01-10", None, outcome, 100.0))
    records.append(Outcome("LATE", "C00", "Azure", "2027-03-15", None, "won", 1.0))  # after 90 days
    records.append(Outcome("EARLY", "C00", "Azure", "2026-11-15", None, "won", 1.0))  # inside the month
    await add_customers(store, customers)
    await add_records(store, records)
    await add_signals(store, signals)
    await run_month(store.scores, store.runs, "2026-10")
    await run_month(store.scores, store.runs, MONTH)


async def test_validation_measures(store: Store) -> None:
    await validation_world(store)
    report = await validate_month(store.scores, MONTH, SETTINGS)
    assert report["window"] == {"first_day": "2026-12-01", "last_day": "2027-02-28"}
    azure = next(a for a in report["areas"] if a["area"] == "Azure")
    assert azure["opportunities"] == 32 and azure["won"] == 10
    clusters = azure["clusters"]
    assert [clusters[c]["customers"] for c in ("Act now", "Evaluate", "Nurture", "Educate")] == [
        10,
        10,
        10,
        30,
    ]
    assert clusters["Act now"]["opportunity_rate"] == 0.8
    assert clusters["Act now"]["win_rate"] == 0.75
    assert clusters["Act now"]["won_share"] == 0.6
    assert azure["base_rate"] == round(16 / 60, 4)
    assert azure["lift"] == round(0.8 / (16 / 60), 4)
    assert azure["won_lift"] == round(0.6 / (10 / 60), 4)
    assert azure["monotonic"] is True
    assert azure["precision_at_k"] == 0.8 and azure["k"] == 10
    assert azure["changed_cluster_share"] == round(20 / 60, 4)
    assert azure["cells"]["A1"]["customers"] == 10
    assert azure["judged"] and azure["passed"]
    assert report["judged_areas"] == ["Azure"] and report["passed"] is True
    m365 = next(a for a in report["areas"] if a["area"] == "M365")
    assert m365["opportunities"] == 0 and m365["judged"] is False and m365["monotonic"] is None


def test_non_monotonic_clusters_fail() -> None:
    matrix = Matrix.from_settings(SETTINGS)
    rows = [
        PropensityRow(f"C{i}", "Azure", 0, 0, "A1" if i < 10 else "B1", "Act now" if i < 10 else "Evaluate")
        for i in range(20)
    ]
    opps = [OutcomeRow(f"O{i}", f"C{i}", "Azure", "2026-12-05", "won", 1.0) for i in range(10, 20)]
    opps += [OutcomeRow(f"P{i}", f"C{i}", "Azure", "2026-12-05", "won", 1.0) for i in range(10, 20)]
    opps += [OutcomeRow(f"Q{i}", f"C{i}", "Azure", "2026-12-05", "lost", 1.0) for i in range(10, 20)]
    result = validate_area("Azure", rows, [], opps, matrix, SETTINGS)
    assert result["monotonic"] is False and result["judged"] and result["passed"] is False
    assert result["won_lift"] == 0.0 and result["changed_cluster_share"] is None


def _build(path: Path) -> None:
    async def go() -> None:
        store = await open_store(path)
        try:
            await validation_world(store)
        finally:
            await store.close()

    asyncio.run(go())


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "v.db"
    _build(db)
    assert cli(["--db", str(db), "validate", "--month", MONTH, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and report["areas"][0]["area"] == "Azure"
    assert cli(["--db", str(db), "validate", "--month", MONTH]) == 0
    text = capsys.readouterr().out
    assert "Azure" in text and "pass" in text and "Act now" in text
    assert cli(["--db", str(db), "validate", "--month", "2025-05"]) == 3
    assert cli(["--db", str(db), "validate", "--month", MONTH, "--strict"]) == 0
