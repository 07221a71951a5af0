"""The monthly run (SPEC §5): fit, intent, matrix, flags, cohorts and whitespace for a month.

Idempotent: every output row is a function of the stored inputs (customers, products,
technographics, imported fit, outcomes before the quarter, signals published up to the
month's end, earlier months' intent), and the month's rows are replaced in one transaction,
so running a month twice leaves identical rows. The run row records what it ran on.
"""

from __future__ import annotations

import functools
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from common.vocabulary import AREAS, BAND_NAMES, COHORTS, FLAGS
from intent.cohorts import Holdings, Profile, cohorts, flags, profile_from_rows, summarise
from intent.fit import FitCustomer, FitInputs, FitResult, compute_fit, quarter_of, quarter_start, rescore
from intent.intent import EPOCH, ColumnsBuilder, SignalColumns, day_number, score_batch
from intent.matrix import Matrix
from intent.months import MonthError, month_bounds
from intent.revenue import whitespace
from intent.settings import IntentSettings, settings_fingerprint
from storage.runs import RunRepository
from storage.scores import FitModelRecord, MonthWrite, ScoreRepository, ScoringCustomer

INTENT_VERSION = "intent-v1"


def previous_month(month: str) -> str:
    first, _ = month_bounds(month)
    last_of_previous = first - timedelta(days=1)
    return f"{last_of_previous.year:04d}-{last_of_previous.month:02d}"


@dataclass
class MonthlyResult:
    month: str
    run_id: int
    inputs: dict[str, Any]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Customers:
    records: list[ScoringCustomer]
    index: dict[str, int]
    profiles: list[Profile]
    holdings: list[Holdings]
    flag_evidence: list[dict[str, list[str]]]


async def _load_customers(repo: ScoreRepository, as_of: date, settings: IntentSettings) -> _Customers:
    records = await repo.scoring_customers()
    index = {c.customer_id: i for i, c in enumerate(records)}
    products: dict[str, list[tuple[str, int, str | None, str]]] = defaultdict(list)
    for customer_id, product, quantity, purchased, status in await repo.product_rows():
        products[customer_id].append((product, quantity, purchased, status))
    techs: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for customer_id, name, method, found in await repo.technology_rows():
        techs[customer_id].append((name, method, found))
    profiles: list[Profile] = []
    holdings: list[Holdings] = []
    evidence: list[dict[str, list[str]]] = []
    for c in records:
        profile = profile_from_rows(
            c.customer_id,
            c.org_size,
            c.azure_monthly_revenue,
            products.get(c.customer_id, ()),
            techs.get(c.customer_id, ()),
        )
        held = summarise(profile, as_of, settings.surface_refresh_years)
        profiles.append(profile)
        holdings.append(held)
        evidence.append(flags(profile, held))
    return _Customers(records, index, profiles, holdings, evidence)


async def _fit(
    repo: ScoreRepository, people: _Customers, month: str, settings: IntentSettings, refit: bool
) -> tuple[dict[str, np.ndarray], list[FitModelRecord], list[tuple[Any, ...]], dict[str, Any]]:
    """Fit per area for every customer: imported, else the quarter's model (trained if new)."""
    quarter = quarter_of(month)
    n = len(people.records)
    fit_customers = [
        FitCustomer(
            c.customer_id,
            c.org_size,
            c.azure_monthly_revenue,
            c.is_nonprofit,
            c.sub_segment,
            c.industry,
            people.holdings[i],
            {f: bool(e) for f, e in people.flag_evidence[i].items()},
        )
        for i, c in enumerate(people.records)
    ]
    imported: dict[str, dict[int, float]] = defaultdict(dict)
    for customer_id, area, score in await repo.imported_fit(quarter):
        if customer_id in people.index:
            imported[area][people.index[customer_id]] = score
    stored: dict[str, dict[int, float]] = defaultdict(dict)
    if not refit:
        for customer_id, area, score, _method, _explanation in await repo.stored_fit(quarter):
            if customer_id in people.index:
                stored[area][people.index[customer_id]] = score
    models = {} if refit else {m.area: m for m in await repo.fit_models(quarter)}
    winners: dict[str, set[str]] = defaultdict(set)
    for customer_id, area in await repo.won_before(quarter_start(quarter).isoformat()):
        winners[area].add(customer_id)
    built: list[FitInputs] = []

    def inputs() -> FitInputs:
        if not built:  # features are only needed when a model is trained
            built.append(FitInputs.build(fit_customers))
        return built[0]

    fit: dict[str, np.ndarray] = {}
    new_models: list[FitModelRecord] = []
    fit_rows: list[tuple[Any, ...]] = []
    described: dict[str, Any] = {}
    for area in AREAS:
        scores = np.zeros(n)
        model = models.get(area)
        todo = [i for i in range(n) if i not in imported[area]]
        explain_of: dict[int, str] = {}
        if model is None:
            result: FitResult = compute_fit(area, inputs(), winners[area], settings)
            model = FitModelRecord(
                area, quarter, result.method, result.model_version, result.positives, result.details
            )
            new_models.append(model)
            scores[:] = result.scores
            rows_for = todo
            explain_of = dict(enumerate(result.explanations))
        else:
            missing = [i for i in todo if i not in stored[area]]
            for i, value in stored[area].items():
                scores[i] = value
            rows_for = missing
            if missing:
                result = rescore(area, model.method, [fit_customers[i] for i in missing], model.details)
                scores[missing] = result.scores
                explain_of = dict(zip(missing, result.explanations, strict=True))
        for i, value in imported[area].items():
            scores[i] = value
        for i in rows_for:
            fit_rows.append(
                (
                    people.records[i].customer_id,
                    area,
                    quarter,
                    float(scores[i]),
                    model.method,
                    explain_of.get(i, "{}"),
                )
            )
        fit[area] = scores
        described[area] = {
            "method": model.method,
            "model_version": model.model_version,
            "positives": model.positives,
            "imported_scores": len(imported[area]),
            "trained_now": model in new_models,
        }
        if model.method == "rule":
            described[area]["fallback"] = model.details.get("reason", "rule-based fit")
    return fit, new_models, fit_rows, described


async def _signals(
    repo: ScoreRepository, people: _Customers, last_day: date, settings: IntentSettings
) -> SignalColumns:
    since = last_day - timedelta(days=settings.max_signal_age_days)
    builder = ColumnsBuilder()
    index = people.index
    async for rows in repo.stream_signals(since.isoformat(), last_day.isoformat()):
        columns = list(zip(*rows, strict=True))
        builder.add_batch(
            [index.get(c, -1) for c in columns[1]],
            columns[0],
            columns[2],
            columns[3],
            columns[4],
            columns[5],
            columns[6],
            columns[7],
            columns[8],
        )
    return builder.build()


async def _baselines(
    repo: ScoreRepository, people: _Customers, month: str, settings: IntentSettings
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    n = len(people.records)
    months = await repo.scored_months_before(month, settings.surge_months)
    sums = {area: np.zeros(n) for area in AREAS}
    for customer_id, area, _month, raw in await repo.intent_raw(months):
        i = people.index.get(customer_id)
        if i is not None and area in sums:
            sums[area][i] += raw
    divisor = max(len(months), 1)
    baselines = {area: values / divisor for area, values in sums.items()}
    return baselines, np.full(n, bool(months)), months


@functools.lru_cache(maxsize=4096)
def _iso(day: int) -> str:
    return (EPOCH + timedelta(days=int(day))).isoformat()


async def run_month(
    repo: ScoreRepository,
    runs: RunRepository,
    month: str,
    settings: IntentSettings | None = None,
    *,
    refit: bool = False,
) -> MonthlyResult:
    """Compute and store one month; returns the run's inputs and summary."""
    settings = settings or IntentSettings()
    matrix = Matrix.from_settings(settings)
    first_day, last_day = month_bounds(month)
    clock: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        clock[name] = round(time.perf_counter() - started - sum(clock.values()), 3)

    people = await _load_customers(repo, last_day, settings)
    lap("customers")
    fit, new_models, fit_rows, fit_described = await _fit(repo, people, month, settings, refit)
    lap("fit")
    columns = await _signals(repo, people, last_day, settings)
    lap("signals")
    baselines, has_history, history_months = await _baselines(repo, people, month, settings)
    n = len(people.records)
    results = score_batch(columns, n, day_number(last_day), baselines, has_history, settings)
    lap("intent")

    type_names = columns.types.names
    customer_ids = [c.customer_id for c in people.records]
    intent_rows: list[tuple[Any, ...]] = []
    propensity_rows: list[tuple[Any, ...]] = []
    cell_table = np.empty((4, 4), dtype=object)
    for (fit_band, intent_band), cell in matrix.cell_of.items():
        cell_table[BAND_NAMES.index(fit_band), BAND_NAMES.index(intent_band)] = cell
    cluster_table = {cell: matrix.cluster_of[cell] for cell in matrix.cluster_of}
    clusters_count: dict[str, dict[str, int]] = {}
    for area in AREAS:
        scores = results[area]
        fit_idx = matrix.band_index(fit[area])
        intent_idx = matrix.band_index(scores.score)
        cells = cell_table[fit_idx, intent_idx].tolist()
        cluster_list = [cluster_table[c] for c in cells]
        counts: dict[str, int] = dict.fromkeys(matrix.clusters, 0)
        for name in cluster_list:
            counts[name] += 1
        clusters_count[area] = counts
        intent_list = scores.score.tolist()
        intent_bands = [BAND_NAMES[i] for i in intent_idx.tolist()]
        propensity_rows.extend(
            zip(
                customer_ids,
                [area] * n,
                [month] * n,
                fit[area].tolist(),
                [BAND_NAMES[i] for i in fit_idx.tolist()],
                intent_list,
                intent_bands,
                cells,
                cluster_list,
                strict=True,
            )
        )
        raw = np.round(scores.raw, 6).tolist()
        surge = np.round(scores.surge, 6).tolist()
        breadth = scores.breadth.tolist()
        for cust, text in _grouped_json(
            scores.top_customer, scores.top_signal, scores.top_type, scores.top_weight, type_names
        ):
            intent_rows.append(
                (
                    customer_ids[cust],
                    area,
                    month,
                    intent_list[cust],
                    intent_bands[cust],
                    raw[cust],
                    surge[cust],
                    int(breadth[cust]),
                    text,
                )
            )
    top_json = _customer_top_signals(results, columns, n, settings.top_contributions + 2)
    lap("matrix")

    customer_rows: list[tuple[Any, ...]] = []
    cohort_counts = dict.fromkeys(COHORTS, 0)
    flag_counts = dict.fromkeys(FLAGS, 0)
    for i, customer_id in enumerate(customer_ids):
        evidence = people.flag_evidence[i]
        has = {flag: bool(items) for flag, items in evidence.items()}
        members = cohorts(people.profiles[i], people.holdings[i], evidence)
        revenue = whitespace(people.profiles[i], people.holdings[i], has, settings)
        for name in members:
            cohort_counts[name] += 1
        for flag, value in has.items():
            flag_counts[flag] += int(value)
        customer_rows.append(
            (
                customer_id,
                month,
                json.dumps(has, sort_keys=True),
                json.dumps(members),
                json.dumps(revenue, sort_keys=True),
                top_json.get(i, "[]"),
                json.dumps(evidence, sort_keys=True),
            )
        )
    lap("cohorts")

    signal_counts = {}
    if len(columns):
        counts_by_type = np.bincount(columns.type_index, minlength=len(type_names))
        signal_counts = {type_names[i]: int(c) for i, c in enumerate(counts_by_type.tolist()) if c}
    in_month = int(np.count_nonzero(columns.day >= day_number(first_day))) if len(columns) else 0
    inputs = {
        "month": month,
        "quarter": quarter_of(month),
        "customers": n,
        "signals": {
            "read": len(columns),
            "published_in_month": in_month,
            "max_signal_id": int(columns.signal_id.max()) if len(columns) else 0,
            "by_type": dict(sorted(signal_counts.items())),
        },
        "models": {"intent": INTENT_VERSION, "fit": fit_described},
        "baseline_months": history_months,
        "settings_hash": settings_fingerprint(settings),
    }
    # The signal columns, scores and customer profiles are not needed for the write: free them.
    del columns, results, people, fit
    run_id = await runs.start("monthly", month, inputs)
    try:
        await repo.write_month(
            MonthWrite(
                month=month,
                quarter=quarter_of(month),
                intent_rows=intent_rows,
                propensity_rows=propensity_rows,
                customer_month_rows=customer_rows,
                fit_models=new_models,
                fit_rows=fit_rows,
            )
        )
    except BaseException as exc:
        await runs.finish(run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
        raise
    lap("write")
    summary = {
        "clusters": clusters_count,
        "cohorts": cohort_counts,
        "flags": flag_counts,
        "intent_rows": len(intent_rows),
        "propensity_rows": len(propensity_rows),
        "seconds": clock,
    }
    await runs.finish(run_id, "ok", summary)
    return MonthlyResult(month, run_id, inputs, summary, clock)


def _group_starts(customer: np.ndarray) -> np.ndarray:
    if len(customer) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])


def _grouped_json(
    customer: np.ndarray, signal: np.ndarray, kind: np.ndarray, weight: np.ndarray, type_names: list[str]
) -> list[tuple[int, str]]:
    """(customer index, JSON list of its contributions) for rows grouped by customer."""
    type_json = [json.dumps(t) for t in type_names]
    entries = [
        f'{{"signal_id": {s}, "signal_type": {type_json[t]}, "weight": {w}}}'
        for s, t, w in zip(signal.tolist(), kind.tolist(), np.round(weight, 4).tolist(), strict=True)
    ]
    if not entries:
        return []
    starts = _group_starts(customer).tolist()
    ends = [*starts[1:], len(entries)]
    owners = customer.tolist()
    return [(owners[a], "[" + ", ".join(entries[a:b]) + "]") for a, b in zip(starts, ends, strict=True)]


def _customer_top_signals(
    results: dict[str, Any], columns: SignalColumns, n: int, limit: int
) -> dict[int, str]:
    """Each customer's strongest contributing signals across areas, as a JSON list of
    {signal_id, signal_type, published, weight, areas}."""
    parts = [r for r in results.values() if len(r.top_customer)]
    if not parts:
        return {}
    area_bit = np.concatenate(
        [
            np.full(len(r.top_customer), 1 << i, dtype=np.int64)
            for i, r in enumerate(results.values())
            if len(r.top_customer)
        ]
    )
    customer = np.concatenate([r.top_customer for r in parts]).astype(np.int64)
    signal = np.concatenate([r.top_signal for r in parts])
    kind = np.concatenate([r.top_type for r in parts])
    weight = np.concatenate([r.top_weight for r in parts])
    # One entry per (customer, signal): the areas it counted for, its largest weight.
    order = np.lexsort((signal, customer))
    customer, signal, kind, weight, area_bit = (a[order] for a in (customer, signal, kind, weight, area_bit))
    first = np.flatnonzero(np.r_[True, (customer[1:] != customer[:-1]) | (signal[1:] != signal[:-1])])
    areas = np.bitwise_or.reduceat(area_bit, first)
    strongest = np.maximum.reduceat(np.abs(weight), first) * np.sign(weight[first])
    customer, signal, kind = customer[first], signal[first], kind[first]
    # Strongest first within each customer, then keep the first `limit`.
    order = np.lexsort((signal, -np.abs(strongest), customer))
    customer, signal, kind, strongest, areas = (a[order] for a in (customer, signal, kind, strongest, areas))
    starts = _group_starts(customer)
    rank = np.arange(len(customer)) - np.repeat(starts, np.diff(np.r_[starts, len(customer)]))
    keep = rank < limit
    customer, signal, kind, strongest, areas = (a[keep] for a in (customer, signal, kind, strongest, areas))
    ids_sorted = np.argsort(columns.signal_id, kind="stable")
    where = ids_sorted[np.searchsorted(columns.signal_id, signal, sorter=ids_sorted)]
    days = columns.day[where].tolist()
    type_json = [json.dumps(t) for t in columns.types.names]
    area_json: dict[int, str] = {}
    for mask in set(areas.tolist()):
        area_json[mask] = json.dumps([a for i, a in enumerate(AREAS) if mask >> i & 1])
    entries = [
        f'{{"signal_id": {s}, "signal_type": {type_json[t]}, "published": "{_iso(d)}", '
        f'"weight": {w}, "areas": {area_json[m]}}}'
        for s, t, d, w, m in zip(
            signal.tolist(), kind.tolist(), days, np.round(strongest, 4).tolist(), areas.tolist(), strict=True
        )
    ]
    starts_list = _group_starts(customer).tolist()
    ends = [*starts_list[1:], len(entries)]
    owners = customer.tolist()
    return {owners[a]: "[" + ", ".join(entries[a:b]) + "]" for a, b in zip(starts_list, ends, strict=True)}


__all__: Sequence[str] = ("MonthError", "MonthlyResult", "month_bounds", "previous_month", "run_month")
