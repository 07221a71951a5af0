"""Fit per customer and solution area, refreshed per quarter (SPEC §5).

Order of precedence for a customer, area and quarter:

1. an imported score (``ascent import fit``) always wins;
2. a lookalike model: customers who won an opportunity in the area (created before the
   quarter began, so later outcomes never leak into the score that predicts them) are
   positives, every other customer is unlabelled. A class-weighted logistic regression over
   firmographic, product and technographic features ranks the customers (the classic
   positive-unlabelled "treat unlabelled as negative" ranking, which preserves order);
3. with fewer than ``fit_min_positives`` positives, a documented rule (:data:`RULES`).

Raw model or rule values are turned into percentiles (0-100) against a reference of 1,001
quantiles of the whole customer base, so about a quarter of customers are High whatever the
model, and customers imported later in the quarter are scored against the same reference.
The model (coefficients, scaling, reference) and its top features are stored per quarter.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from common.vocabulary import AREAS
from intent.cohorts import Holdings
from intent.settings import IntentSettings
from intent.vocabulary import products

LOOKALIKE_VERSION = "lookalike-v1"
RULE_VERSION = "rule-v1"
PRODUCT_FAMILIES: tuple[str, ...] = (
    "Azure",
    "M365",
    "Copilot",
    "D365",
    "D365OnPrem",
    "OfficeOnPrem",
    "ServerOnPrem",
    "Security",
    "PowerApps",
)
TECH_FLAGS: tuple[str, ...] = ("HasGoogle", "HasAWS", "HasSalesforce", "HasZoom", "HasAzure", "HasM365")
MAX_INDUSTRIES = 10


@dataclass(frozen=True)
class FitCustomer:
    """What fit needs to know about one customer."""

    customer_id: str
    org_size: int
    azure_monthly_revenue: float
    is_nonprofit: bool
    sub_segment: str
    industry: str
    holdings: Holdings
    has: dict[str, bool]


@dataclass
class FitResult:
    area: str
    method: str  # lookalike | rule
    model_version: str
    positives: int
    details: dict[str, Any]
    scores: np.ndarray  # 0..100 whole numbers, one per customer
    explanations: list[str] = field(default_factory=list)


def quarter_of(month: str) -> str:
    """'2026-11' -> '2026Q4'."""
    year, mon = month.split("-")
    return f"{year}Q{(int(mon) - 1) // 3 + 1}"


def quarter_start(quarter: str) -> date:
    year, q = quarter.split("Q")
    return date(int(year), 3 * (int(q) - 1) + 1, 1)


def industries_of(customers: Sequence[FitCustomer]) -> list[str]:
    """The most common industries (ties by name), each a one-hot feature."""
    counts: dict[str, int] = {}
    for c in customers:
        if c.industry:
            counts[c.industry] = counts.get(c.industry, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [name for name, _ in ranked[:MAX_INDUSTRIES]]


def feature_names(industries: Sequence[str]) -> list[str]:
    return [
        "log_employees",
        "log_azure_revenue",
        "nonprofit",
        "segment_upper_medium",
        "segment_medium",
        "log_m365_seats",
        "recent_surface_devices",
        *[f"owns_{family}" for family in PRODUCT_FAMILIES],
        *[f"tech_{flag[3:]}" for flag in TECH_FLAGS],
        *[f"industry={name}" for name in industries],
    ]


def feature_matrix(customers: Sequence[FitCustomer], industries: Sequence[str]) -> np.ndarray:
    known = products()
    columns = len(feature_names(industries))
    matrix = np.zeros((len(customers), columns), dtype=np.float64)
    family_at = {family: 7 + i for i, family in enumerate(PRODUCT_FAMILIES)}
    tech_at = 7 + len(PRODUCT_FAMILIES)
    industry_at = {name: tech_at + len(TECH_FLAGS) + i for i, name in enumerate(industries)}
    for row, c in enumerate(customers):
        values = matrix[row]
        values[0] = math.log1p(max(c.org_size, 0))
        values[1] = math.log1p(max(c.azure_monthly_revenue, 0.0))
        values[2] = 1.0 if c.is_nonprofit else 0.0
        values[3] = 1.0 if c.sub_segment == "Upper Medium" else 0.0
        values[4] = 1.0 if c.sub_segment == "Medium" else 0.0
        values[5] = math.log1p(c.holdings.m365_seats)
        values[6] = math.log1p(c.holdings.recent_surface_devices)
        for product in c.holdings.active:
            info = known.get(product)
            if info is not None and info.family in family_at:
                values[family_at[info.family]] = 1.0
        for i, flag in enumerate(TECH_FLAGS):
            values[tech_at + i] = 1.0 if c.has.get(flag) else 0.0
        if c.industry in industry_at:
            values[industry_at[c.industry]] = 1.0
    return matrix


def reference_quantiles(values: np.ndarray) -> list[float]:
    if len(values) == 0:
        return [0.0]
    return [round(float(q), 9) for q in np.quantile(values, np.linspace(0.0, 1.0, 1001))]


def percentile(values: np.ndarray, reference: Sequence[float]) -> np.ndarray:
    """Mid-rank percentile (0-100, whole numbers) of values within a reference distribution."""
    ref = np.asarray(reference, dtype=np.float64)
    rounded = np.round(values, 9)
    below = np.searchsorted(ref, rounded, side="left")
    at_or_below = np.searchsorted(ref, rounded, side="right")
    return np.round(100.0 * (below + at_or_below) / (2.0 * len(ref)))


# --- rule-based fit ---------------------------------------------------------------------------

SEGMENT_POINTS = {"Upper Medium": 30, "Medium": 20, "Small": 10}

RULES: dict[str, tuple[tuple[str, int], ...]] = {
    # area: (condition, points); the conditions are defined in _conditions below.
    "Azure": (("HasM365", 20), ("owns_ServerOnPrem", 20), ("HasAWS", 15), ("HasAzure", 15)),
    "M365": (("owns_OfficeOnPrem", 25), ("HasGoogle", 15), ("m365_seat_gap", 15), ("HasM365", 10)),
    "Security": (("m365_without_e5", 25), ("employees_50_plus", 15), ("HasM365", 10)),
    "Surface": (("HasM365", 20), ("m365_50_plus_seats", 15), ("HasSurface", 15)),
    "D365BC": (("owns_accounting_on_prem", 35), ("HasM365", 10), ("employees_25_plus", 10)),
    "D365SP": (("owns_crm_on_prem", 25), ("HasSalesforce", 20), ("HasM365", 15)),
    "PowerApps": (("m365_premium_or_e", 20), ("HasD365", 15), ("HasM365", 10)),
}
CONDITIONS: tuple[str, ...] = tuple(sorted({name for rules in RULES.values() for name, _ in rules}))


def _conditions(c: FitCustomer) -> list[bool]:
    """Every rule condition of one customer, in CONDITIONS order."""
    active = c.holdings.active
    known = products()
    families = {known[p].family for p in active if p in known}
    seats = c.holdings.m365_seats
    values = {
        "m365_seat_gap": 0 < seats < c.org_size,
        "m365_without_e5": seats > 0 and "M365 E5" not in active,
        "employees_50_plus": c.org_size >= 50,
        "employees_25_plus": c.org_size >= 25,
        "m365_50_plus_seats": seats >= 50,
        "owns_accounting_on_prem": any(p in active for p in ("Dynamics NAV", "Dynamics GP", "Dynamics AX")),
        "owns_crm_on_prem": "Dynamics CRM On-Prem" in active,
        "m365_premium_or_e": any(p in active for p in ("M365 Business Premium", "M365 E3", "M365 E5")),
    }
    result = []
    for name in CONDITIONS:
        if name.startswith("Has"):
            result.append(bool(c.has.get(name)))
        elif name in values:
            result.append(values[name])
        else:  # owns_<family>
            result.append(name[5:] in families)
    return result


@dataclass
class FitInputs:
    """Features and rule conditions of every customer, computed once per run."""

    customers: Sequence[FitCustomer]
    industries: list[str]
    features: np.ndarray
    conditions: np.ndarray
    segment_points: np.ndarray

    @classmethod
    def build(cls, customers: Sequence[FitCustomer]) -> FitInputs:
        industries = industries_of(customers)
        conditions = np.array([_conditions(c) for c in customers], dtype=bool).reshape(
            len(customers), len(CONDITIONS)
        )
        points = np.array([SEGMENT_POINTS.get(c.sub_segment, 10) for c in customers], dtype=np.float64)
        return cls(customers, industries, feature_matrix(customers, industries), conditions, points)


def rule_points(area: str, inputs: FitInputs) -> tuple[np.ndarray, list[str]]:
    """Points of the documented rule (size segment plus each condition that holds) and a
    JSON explanation per customer."""
    columns = [CONDITIONS.index(name) for name, _ in RULES[area]]
    values = np.array([points for _, points in RULES[area]], dtype=np.float64)
    fired = inputs.conditions[:, columns]
    raw = inputs.segment_points + fired.astype(np.float64) @ values
    keys = fired.astype(np.int64) @ (1 << np.arange(len(columns), dtype=np.int64))
    cache: dict[tuple[int, float], str] = {}
    explanations = []
    for key, segment in zip(keys.tolist(), inputs.segment_points.tolist(), strict=True):
        text = cache.get((key, segment))
        if text is None:
            reasons = [f"segment +{segment:g}"] + [
                f"{name} +{points}" for bit, (name, points) in enumerate(RULES[area]) if key >> bit & 1
            ]
            text = cache[(key, segment)] = json.dumps({"method": "rule", "reasons": reasons})
        explanations.append(text)
    return raw, explanations


def rule_fit(area: str, inputs: FitInputs, positives: int, reason: str) -> FitResult:
    raw, explanations = rule_points(area, inputs)
    reference = reference_quantiles(raw)
    details = {
        "rule": [list(r) for r in RULES[area]],
        "segment_points": SEGMENT_POINTS,
        "reference": reference,
        "reason": reason,
    }
    digest = hashlib.sha256(json.dumps(details, sort_keys=True).encode()).hexdigest()[:10]
    return FitResult(
        area, "rule", f"{RULE_VERSION}:{digest}", positives, details, percentile(raw, reference), explanations
    )


# --- lookalike --------------------------------------------------------------------------------


def train_lookalike(
    area: str, inputs: FitInputs, positive: np.ndarray, settings: IntentSettings
) -> FitResult:
    """Class-weighted logistic regression, positives vs unlabelled, then percentiles."""
    from sklearn.linear_model import LogisticRegression

    names = feature_names(inputs.industries)
    features = inputs.features
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (features - mean) / scale
    model = LogisticRegression(class_weight="balanced", C=1.0, max_iter=500)
    model.fit(standard, positive.astype(np.int8))
    coef = model.coef_[0]
    raw = standard @ coef + float(model.intercept_[0])
    order = np.argsort(-np.abs(coef), kind="stable")[: settings.fit_top_features]
    details: dict[str, Any] = {
        "features": names,
        "industries": inputs.industries,
        "coef": [round(float(v), 9) for v in coef],
        "intercept": round(float(model.intercept_[0]), 9),
        "mean": [round(float(v), 9) for v in mean],
        "scale": [round(float(v), 9) for v in scale],
        "reference": reference_quantiles(raw),
        "top_features": [[names[i], round(float(coef[i]), 4)] for i in order],
    }
    digest = hashlib.sha256(json.dumps(details["coef"]).encode()).hexdigest()[:10]
    result = _score_features(area, inputs.features, details)
    result.model_version = f"{LOOKALIKE_VERSION}:{digest}"
    result.positives = int(positive.sum())
    return result


def _score_features(area: str, features: np.ndarray, details: dict[str, Any]) -> FitResult:
    names: list[str] = details["features"]
    standard = (features - np.asarray(details["mean"])) / np.asarray(details["scale"])
    coef = np.asarray(details["coef"])
    raw = standard @ coef + float(details["intercept"])
    scores = percentile(raw, details["reference"])
    contributions = standard * coef
    top_k = min(3, len(names))
    best = np.argsort(-contributions, axis=1, kind="stable")[:, :top_k]
    positive = np.take_along_axis(contributions, best, axis=1) > 0
    cache: dict[tuple[int, ...], str] = {}
    explanations = []
    for row, keep in zip(best.tolist(), positive.tolist(), strict=True):
        key = tuple(i for i, k in zip(row, keep, strict=True) if k)
        text = cache.get(key)
        if text is None:
            text = cache[key] = json.dumps({"method": "lookalike", "top_features": [names[i] for i in key]})
        explanations.append(text)
    return FitResult(area, "lookalike", LOOKALIKE_VERSION, 0, details, scores, explanations)


def compute_fit(area: str, inputs: FitInputs, positive_ids: set[str], settings: IntentSettings) -> FitResult:
    """Train this quarter's fit for an area: lookalike with enough positives, else the rule."""
    positive = np.array([c.customer_id in positive_ids for c in inputs.customers], dtype=bool)
    count = int(positive.sum())
    if count < settings.fit_min_positives or count == len(inputs.customers):
        reason = f"{count} won customers (< {settings.fit_min_positives}): rule-based fit"
        return rule_fit(area, inputs, count, reason)
    return train_lookalike(area, inputs, positive, settings)


def rescore(area: str, method: str, customers: Sequence[FitCustomer], details: dict[str, Any]) -> FitResult:
    """Score customers new since the quarter's model was trained, with that model."""
    if method == "lookalike":
        return _score_features(area, feature_matrix(customers, details["industries"]), details)
    inputs = FitInputs.build(customers)
    raw, explanations = rule_points(area, inputs)
    scores = percentile(raw, details.get("reference", [0.0]))
    return FitResult(area, "rule", RULE_VERSION, 0, details, scores, explanations)


__all__ = ["AREAS", "FitCustomer", "FitInputs", "FitResult", "compute_fit", "quarter_of", "rescore"]
