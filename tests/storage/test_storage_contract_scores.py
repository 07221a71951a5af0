"""The score repository's contract, on both backends: the monthly run's inputs, its
all-or-nothing write, and what reports read back."""

from __future__ import annotations

import json
from typing import Any

from storage.customers import FitScore, Outcome, Product
from storage.documents import NewDocument
from storage.scores import FitModelRecord, MonthWrite
from storage.signals import DocumentAnalysis, NewPassage, NewSignal
from storage.store import Store
from tests.support.storage import a_customer, one_technology

MONTH = "2026-11"
QUARTER = "2026Q4"


def _month(month: str = MONTH, intent: float = 80.0) -> MonthWrite:
    contributions = json.dumps([{"signal_id": 1, "weight": 0.5}])
    return MonthWrite(
        month=month,
        quarter=QUARTER,
        intent_rows=[
            ("C1", "Azure", month, intent, "High", 3.5, 1.2, 2, contributions),
            ("C2", "Azure", month, 10.0, "Low", 0.5, 0.0, 1, "[]"),
        ],
        propensity_rows=[
            ("C1", "Azure", month, 60.0, "High", intent, "High", "HH", "Act now"),
            ("C2", "Azure", month, 20.0, "Low", 10.0, "Low", "LL", "Nurture"),
        ],
        customer_month_rows=[
            ("C1", month, '{"HasM365": true}', '["Growth"]', '{"Azure": 5000.0}', "[]", '{"HasM365": ["M365 E3"]}'),
            ("C2", month, '{"HasM365": false}', "[]", '{"Azure": 100.0}', "[]", "{}"),
        ],
        fit_models=[FitModelRecord("Azure", QUARTER, "lookalike", "v1", 3, {"k": 1})],
        fit_rows=[("C1", "Azure", QUARTER, 60.0, "lookalike", "{}"), ("C2", "M365", QUARTER, 5.0, "rule", "{}")],
    )


async def _customers(store: Store) -> None:
    await store.customers.upsert_all(
        [
            a_customer("C1"),
            a_customer("C2", "Fabrikam"),
            Product("C1", "M365 E3", 40, "2025-01-01", "active"),
            FitScore("C2", "M365", QUARTER, 44.0),
            Outcome("O1", "C1", "Azure", "2026-01-02", "2026-02-01", "won", 900.0),
            Outcome("O2", "C2", "M365", "2026-11-05T10:00:00Z", None, "open", 0.0),
        ]
    )


async def test_the_monthly_inputs(any_store: Store) -> None:
    await _customers(any_store)
    await any_store.technologies.record("C1", [one_technology()], seen_at=1.0)
    scoring = await any_store.scores.scoring_customers()
    assert [(c.customer_id, c.org_size, c.is_nonprofit) for c in scoring] == [("C1", 250, False), ("C2", 250, False)]
    assert await any_store.scores.product_rows() == [("C1", "M365 E3", 40, "2025-01-01", "active")]
    assert await any_store.scores.technology_rows() == [("C1", "Microsoft 365", "dns_mx", "mx.outlook.com")]
    assert await any_store.scores.imported_fit(QUARTER) == [("C2", "M365", 44.0)]
    assert await any_store.scores.imported_fit("2026Q3") == []
    assert await any_store.scores.won_before("2026-06-01") == [("C1", "Azure")]
    assert await any_store.scores.won_before("2026-01-02") == []
    between = await any_store.scores.outcomes_created_between("2026-11-01", "2026-11-30")
    assert [(o.opportunity_id, o.created_date, o.revenue) for o in between] == [("O2", "2026-11-05T10:00:00Z", 0.0)]


async def test_a_month_is_written_whole_and_replaced_whole(any_store: Store) -> None:
    await _customers(any_store)
    assert not await any_store.scores.month_scored(MONTH)
    await any_store.scores.write_month(_month())
    assert await any_store.scores.month_scored(MONTH)
    propensity = await any_store.scores.propensity(MONTH)
    assert [(p.customer_id, p.area, p.fit, p.intent, p.cell, p.cluster) for p in propensity] == [
        ("C1", "Azure", 60.0, 80.0, "HH", "Act now"),
        ("C2", "Azure", 20.0, 10.0, "LL", "Nurture"),
    ]
    months = await any_store.scores.customer_months(MONTH)
    assert months["C1"].flags == {"HasM365": True} and months["C1"].cohorts == ["Growth"]
    assert months["C1"].potential_revenue == {"Azure": 5000.0}
    assert months["C1"].flag_evidence == {"HasM365": ["M365 E3"]}
    contributions = await any_store.scores.contributions(MONTH)
    assert contributions[("C1", "Azure")] == [{"signal_id": 1, "weight": 0.5}]
    assert contributions[("C2", "Azure")] == []
    raw = await any_store.scores.intent_raw([MONTH, "2026-10"])
    assert sorted(raw) == [("C1", "Azure", MONTH, 3.5), ("C2", "Azure", MONTH, 0.5)]
    assert await any_store.scores.intent_raw([]) == []
    [model] = await any_store.scores.fit_models(QUARTER)
    assert (model.area, model.method, model.positives, model.details) == ("Azure", "lookalike", 3, {"k": 1})
    # Computed fit is stored beside the imported score, which it never overwrites.
    stored = await any_store.scores.stored_fit(QUARTER)
    assert ("C1", "Azure", 60.0, "lookalike", "{}") in stored
    assert all(row[:2] != ("C2", "M365") for row in stored)
    assert await any_store.scores.imported_fit(QUARTER) == [("C2", "M365", 44.0)]

    digest = await any_store.scores.month_rows_digest(MONTH)
    await any_store.scores.write_month(_month())
    assert await any_store.scores.month_rows_digest(MONTH) == digest  # the same write, the same rows
    await any_store.scores.write_month(_month(intent=90.0))
    assert await any_store.scores.month_rows_digest(MONTH) != digest
    assert [p.intent for p in await any_store.scores.propensity(MONTH)] == [90.0, 10.0]


async def test_scored_months_are_those_of_successful_runs(any_store: Store) -> None:
    for month, ok in (("2026-09", True), ("2026-10", True), ("2026-08", False)):
        run_id = await any_store.runs.start("monthly", month)
        await any_store.runs.finish(run_id, "ok" if ok else "failed")
    assert await any_store.scores.scored_months_before("2026-11", 5) == ["2026-10", "2026-09"]
    assert await any_store.scores.scored_months_before("2026-11", 1) == ["2026-10"]
    assert await any_store.scores.scored_months_before("2026-09", 5) == []


async def _classified(store: Store, published: str | None, detected_at: float | None = None) -> int:
    await store.customers.upsert_all([a_customer("C1")])
    await store.documents.store([NewDocument("C1", f"https://c1.example/{published}", "page", 1.0, "h", b"x")])
    [pending] = await store.signals.lease_pending("w", 1, 60.0)
    signal = NewSignal(0, "cloud_migration", "tech", 1, 0.9, ["Azure"], "moving", "why", [], "m")
    analysis = DocumentAnalysis(pending.document_id, "t", published, "en", "moving to Azure", [NewPassage(0, "moving to Azure", "p")], [signal])
    assert await store.signals.save_analysis("w", analysis)
    [stored] = await store.signals.by_customer("C1")
    if detected_at is not None:
        await store.db.execute("UPDATE signals SET detected_at = ?", (detected_at,))
    return stored.signal_id


async def test_signals_stream_by_publish_day(any_store: Store) -> None:
    signal_id = await _classified(any_store, "2026-11-03T08:00:00Z")
    batches: list[list[tuple[Any, ...]]] = [b async for b in any_store.scores.stream_signals("2026-11-01", "2026-11-30", batch=1)]
    assert [[row[0] for row in batch] for batch in batches] == [[signal_id]]
    row = batches[0][0]
    assert (row[1], row[2], row[-1]) == ("C1", "cloud_migration", "2026-11-03")
    assert [b async for b in any_store.scores.stream_signals("2026-11-03", "2026-11-30")] == []
    details = await any_store.scores.signal_details([signal_id, 999_999])
    assert list(details) == [signal_id]
    assert (details[signal_id].published, details[signal_id].why_now) == ("2026-11-03", "why")


async def test_an_undated_signal_counts_from_its_utc_detection_day(any_store: Store) -> None:
    # 2026-11-03T23:30:00Z: the UTC day, whatever the server's time zone.
    signal_id = await _classified(any_store, None, detected_at=1793748600.0)
    [[row]] = [b async for b in any_store.scores.stream_signals("2026-11-02", "2026-11-03")]
    assert (row[0], row[-1]) == (signal_id, "2026-11-03")
    assert (await any_store.scores.signal_details([signal_id]))[signal_id].published == "2026-11-03"
