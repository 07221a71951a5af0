"""Fit: imported scores win, else a quarterly lookalike model, else the documented rule."""

from __future__ import annotations

import json

import numpy as np

from intent.fit import percentile, quarter_of, quarter_start, reference_quantiles
from intent.monthly import run_month
from storage.customers import Customer, FitScore, Outcome, Product
from storage.store import Store
from tests.support.intent_world import add_customers, add_records, add_technology, customer

MONTH = "2026-11"


async def lookalike_world(store: Store, won_date: str = "2026-06-15", winners: int = 30) -> list[str]:
    """120 customers; the winners own M365 and are larger, most others are not."""
    customers: list[Customer] = []
    records: list[Product | Outcome] = []
    for i in range(120):
        cid = f"C{i:03d}"
        is_winner = i < winners
        size = 150 + 5 * i if is_winner else 5 + (i % 40)
        customers.append(
            customer(
                cid,
                org_size=size,
                sub_segment="Medium" if size >= 25 else "Small",
                industry="Retail" if i % 2 else "Finance",
            )
        )
        if is_winner or i % 10 == 0:
            records.append(Product(cid, "M365 Business Premium", min(size, 50), "2025-01-01", "active"))
        if is_winner:
            records.append(Outcome(f"O{i}", cid, "Azure", won_date, won_date, "won", 1000.0))
    await add_customers(store, customers)
    await add_records(store, records)
    await add_technology(store, "C001", "AWS", "dns_ns", "awsdns-01.org")
    return [c.customer_id for c in customers]


def test_quarters() -> None:
    assert quarter_of("2026-11") == "2026Q4" and quarter_of("2026-01") == "2026Q1"
    assert quarter_start("2026Q4").isoformat() == "2026-10-01"


def test_percentiles_are_ranks() -> None:
    values = np.arange(1000, dtype=float)
    scores = percentile(values, reference_quantiles(values))
    assert scores.min() == 0 and scores.max() == 100
    assert np.all(np.diff(scores) >= 0)
    assert abs(float(np.median(scores)) - 50) <= 1
    ties = np.array([1.0] * 10)
    assert set(percentile(ties, reference_quantiles(ties)).tolist()) == {50.0}


async def test_lookalike_model_with_enough_winners(store: Store) -> None:
    await lookalike_world(store)
    result = await run_month(store.scores, store.runs, MONTH)
    azure = result.inputs["models"]["fit"]["Azure"]
    assert azure["method"] == "lookalike" and azure["positives"] == 30
    assert azure["model_version"].startswith("lookalike-v1:")
    model = await store.db.fetchone(
        "SELECT details, positives FROM fit_models WHERE area = 'Azure' AND quarter = '2026Q4'"
    )
    assert model is not None and model[1] == 30
    details = json.loads(model[0])
    top = [name for name, _ in details["top_features"]]
    assert len(top) == 5 and ("log_employees" in top or "owns_M365" in top)
    fits = {r.customer_id: r.fit for r in await store.scores.propensity(MONTH) if r.area == "Azure"}
    winners = np.mean([fits[f"C{i:03d}"] for i in range(30)])
    others = np.mean([fits[f"C{i:03d}"] for i in range(30, 120)])
    assert winners > others + 30
    assert all(0 <= v <= 100 for v in fits.values())
    row = await store.db.fetchone(
        "SELECT method, explanation FROM fit_scores WHERE customer_id = 'C005' AND area = 'Azure'"
    )
    assert row is not None and row[0] == "lookalike"
    assert json.loads(row[1])["top_features"]
    # Other areas have no winners: the rule, said so in the run record.
    assert result.inputs["models"]["fit"]["M365"]["method"] == "rule"
    assert "rule-based" in result.inputs["models"]["fit"]["M365"]["fallback"]


async def test_model_is_reused_within_the_quarter_and_scores_newcomers(store: Store) -> None:
    await lookalike_world(store)
    first = await run_month(store.scores, store.runs, MONTH)
    await add_customers(store, [customer("NEW", org_size=400, sub_segment="Upper Medium")])
    await add_records(store, [Product("NEW", "M365 Business Premium", 50, "2025-01-01", "active")])
    second = await run_month(store.scores, store.runs, "2026-12")
    a, b = first.inputs["models"]["fit"]["Azure"], second.inputs["models"]["fit"]["Azure"]
    assert a["model_version"] == b["model_version"] and not b["trained_now"]
    fits = {r.customer_id: r.fit for r in await store.scores.propensity("2026-12") if r.area == "Azure"}
    assert fits["NEW"] >= 75  # looks like the winners
    before = {r.customer_id: r.fit for r in await store.scores.propensity(MONTH) if r.area == "Azure"}
    assert all(fits[c] == before[c] for c in before)
    # A new quarter trains a new model.
    january = await run_month(store.scores, store.runs, "2027-01")
    assert january.inputs["models"]["fit"]["Azure"]["trained_now"]


async def test_outcomes_after_the_quarter_began_are_not_positives(store: Store) -> None:
    await lookalike_world(store, won_date="2026-10-15")
    result = await run_month(store.scores, store.runs, MONTH)
    assert result.inputs["models"]["fit"]["Azure"]["method"] == "rule"


async def test_too_few_winners_fall_back_to_the_rule(store: Store) -> None:
    await lookalike_world(store, winners=19)
    result = await run_month(store.scores, store.runs, MONTH)
    azure = result.inputs["models"]["fit"]["Azure"]
    assert azure["method"] == "rule" and azure["positives"] == 19
    assert "19 won customers" in azure["fallback"]
    row = await store.db.fetchone(
        "SELECT method, explanation FROM fit_scores WHERE customer_id = 'C000' AND area = 'Azure'"
    )
    assert row is not None and row[0] == "rule"
    assert any("HasM365" in reason for reason in json.loads(row[1])["reasons"])


async def test_imported_scores_win_over_the_model(store: Store) -> None:
    await lookalike_world(store)
    await add_records(store, [FitScore("C100", "Azure", "2026Q4", 97.0)])
    await run_month(store.scores, store.runs, MONTH)
    fits = {r.customer_id: r.fit for r in await store.scores.propensity(MONTH) if r.area == "Azure"}
    assert fits["C100"] == 97.0
    row = await store.db.fetchone(
        "SELECT method, score FROM fit_scores WHERE customer_id = 'C100' AND area = 'Azure'"
    )
    assert row is not None and tuple(row) == ("imported", 97.0)
