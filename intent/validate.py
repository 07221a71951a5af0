"""Validation of a scored month against the opportunities that followed it.

For the opportunities created in the ``validation_window_days`` (90) days after the month,
per area:

- per cluster and per cell: customers, their share of the population, opportunities and
  won opportunities, each cluster's share of them, win rate (won / closed) and the
  opportunity rate (customers with an opportunity / customers);
- ``lift``: Act now's opportunity rate over the area's base rate;
  ``won_lift``: Act now's share of won opportunities over its share of customers;
- ``monotonic``: the opportunity rate falls strictly from each cluster to the next
  (Act now > Evaluate > Nurture > Educate; empty clusters are skipped);
- ``precision_at_k``: of the k Act now customers with the highest fit + intent, the share
  that had an opportunity;
- ``changed_cluster_share``: customers whose cluster differs from the previous month's.

An area with at least ``validation_min_outcomes`` opportunities is judged: it passes when
``won_lift`` >= 2 and the clusters are monotonic.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from common.vocabulary import AREAS
from intent.matrix import Matrix
from intent.monthly import month_bounds, previous_month
from intent.settings import IntentSettings
from storage.scores import OutcomeRow, PropensityRow, ScoreRepository

REQUIRED_WON_LIFT = 2.0


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _group_stats(
    groups: Sequence[str],
    member_of: dict[str, str],
    opportunities: Sequence[OutcomeRow],
) -> dict[str, dict[str, Any]]:
    population = len(member_of)
    customers: dict[str, int] = defaultdict(int)
    for group in member_of.values():
        customers[group] += 1
    opps: dict[str, int] = defaultdict(int)
    won: dict[str, int] = defaultdict(int)
    lost: dict[str, int] = defaultdict(int)
    with_opp: dict[str, set[str]] = defaultdict(set)
    for opp in opportunities:
        found = member_of.get(opp.customer_id)
        if found is None:
            continue
        group = found
        opps[group] += 1
        with_opp[group].add(opp.customer_id)
        if opp.outcome == "won":
            won[group] += 1
        elif opp.outcome == "lost":
            lost[group] += 1
    total_opps = sum(opps.values())
    total_won = sum(won.values())
    stats: dict[str, dict[str, Any]] = {}
    for group in groups:
        stats[group] = {
            "customers": customers[group],
            "population_share": _ratio(customers[group], population),
            "opportunities": opps[group],
            "opportunity_share": _ratio(opps[group], total_opps),
            "won": won[group],
            "won_share": _ratio(won[group], total_won),
            "win_rate": _ratio(won[group], won[group] + lost[group]),
            "opportunity_rate": _ratio(len(with_opp[group]), customers[group]),
        }
    return stats


def validate_area(
    area: str,
    rows: Sequence[PropensityRow],
    previous: Sequence[PropensityRow],
    opportunities: Sequence[OutcomeRow],
    matrix: Matrix,
    settings: IntentSettings,
) -> dict[str, Any]:
    """Every measure of one area (pure: rows in, numbers out)."""
    cluster_of = {r.customer_id: r.cluster for r in rows}
    cell_of = {r.customer_id: r.cell for r in rows}
    opps = [o for o in opportunities if o.area == area and o.customer_id in cluster_of]
    clusters = _group_stats(matrix.clusters, cluster_of, opps)
    cells = _group_stats(sorted(matrix.cluster_of), cell_of, opps)
    best = matrix.clusters[0]
    customers_with_opp = {o.customer_id for o in opps}
    base_rate = _ratio(len(customers_with_opp), len(cluster_of))
    act_members = {cid for cid, cluster in cluster_of.items() if cluster == best}
    act_rate = len(act_members & customers_with_opp) / len(act_members) if act_members else 0.0
    exact_base = len(customers_with_opp) / len(cluster_of) if cluster_of else 0.0
    lift = round(act_rate / exact_base, 4) if exact_base else None
    total_won = sum(1 for o in opps if o.outcome == "won")
    act_won = sum(1 for o in opps if o.outcome == "won" and o.customer_id in act_members)
    won_lift = (
        round((act_won / total_won) / (len(act_members) / len(cluster_of)), 4)
        if total_won and act_members
        else None
    )
    rates = [clusters[c]["opportunity_rate"] for c in matrix.clusters if clusters[c]["customers"]]
    monotonic = all(a > b for a, b in itertools.pairwise(rates)) if opps else None
    ranked = sorted(
        (r for r in rows if r.cluster == best), key=lambda r: (-(r.fit + r.intent), r.customer_id)
    )
    k = min(settings.precision_k, len(ranked))
    precision = _ratio(sum(1 for r in ranked[:k] if r.customer_id in customers_with_opp), k) if k else None
    before = {r.customer_id: r.cluster for r in previous}
    common = [cid for cid in cluster_of if cid in before]
    changed = (
        _ratio(sum(1 for cid in common if before[cid] != cluster_of[cid]), len(common)) if common else None
    )
    judged = len(opps) >= settings.validation_min_outcomes
    passed = None
    if judged:
        passed = bool(won_lift is not None and won_lift >= REQUIRED_WON_LIFT and monotonic)
    return {
        "area": area,
        "customers": len(cluster_of),
        "opportunities": len(opps),
        "won": sum(1 for o in opps if o.outcome == "won"),
        "base_rate": base_rate,
        "lift": lift,
        "won_lift": won_lift,
        "monotonic": monotonic,
        "precision_at_k": precision,
        "k": k,
        "changed_cluster_share": changed,
        "judged": judged,
        "passed": passed,
        "clusters": clusters,
        "cells": cells,
    }


async def validate_month(repo: ScoreRepository, month: str, settings: IntentSettings) -> dict[str, Any]:
    """Validation report of a scored month (see the module docstring)."""
    matrix = Matrix.from_settings(settings)
    _, last_day = month_bounds(month)
    first = last_day + timedelta(days=1)
    last = last_day + timedelta(days=settings.validation_window_days)
    rows = await repo.propensity(month)
    previous = await repo.propensity(previous_month(month))
    opportunities = await repo.outcomes_created_between(first.isoformat(), last.isoformat())
    by_area: dict[str, list[PropensityRow]] = defaultdict(list)
    previous_by_area: dict[str, list[PropensityRow]] = defaultdict(list)
    for row in rows:
        by_area[row.area].append(row)
    for row in previous:
        previous_by_area[row.area].append(row)
    areas = [
        validate_area(a, by_area[a], previous_by_area[a], opportunities, matrix, settings) for a in AREAS
    ]
    judged = [a for a in areas if a["judged"]]
    return {
        "month": month,
        "window": {"first_day": first.isoformat(), "last_day": last.isoformat()},
        "opportunities": sum(a["opportunities"] for a in areas),
        "required_won_lift": REQUIRED_WON_LIFT,
        "min_outcomes": settings.validation_min_outcomes,
        "judged_areas": [a["area"] for a in judged],
        "passed": all(a["passed"] for a in judged) if judged else None,
        "areas": areas,
    }
