"""Settings of fit, intent, matrix and reports (section [intent]).

The constants of the intent formula are justified in docs/scoring.md; the defaults keep the
promise that a score never jumps more than one band in a month without new signals (the
shortest half-life must stay >= 60 days, ``surge_gain`` <= 0.15 and ``negative_floor`` >= 0.5).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from common.vocabulary import BAND_NAMES, CELLS, CLUSTER_CELLS, FAMILIES, SIGNAL_IDS


def _half_lives() -> dict[str, float]:
    return {
        "hiring": 60.0,
        "people": 90.0,
        "money": 120.0,
        "corporate": 120.0,
        "product": 90.0,
        "technology": 120.0,
        "risk": 90.0,
        "workplace": 90.0,
        "negative": 90.0,
    }


def _strengths() -> dict[str, float]:
    return {
        "hiring_tech": 1.0,
        "hiring_security": 1.0,
        "hiring_sales": 0.8,
        "hiring_finance": 0.8,
        "leadership_change": 0.6,
        "funding": 1.0,
        "expansion": 0.9,
        "merger_acquisition": 0.9,
        "partnership": 0.6,
        "product_launch": 0.6,
        "cloud_migration": 1.2,
        "ai_data_initiative": 1.0,
        "business_apps_need": 1.2,
        "competitor_tech": 0.7,
        "security_incident": 1.2,
        "compliance": 0.9,
        "modern_work": 0.9,
        "cost_cutting": 1.0,
    }


def _cells() -> dict[str, list[str]]:
    return {cell: list(bands) for cell, bands in CELLS.items()}


def _clusters() -> dict[str, list[str]]:
    return {cluster: list(cells) for cluster, cells in CLUSTER_CELLS.items()}


def _prices() -> dict[str, float]:
    return {
        "M365 Business Basic": 6.0,
        "M365 Business Standard": 12.5,
        "M365 Business Premium": 22.0,
        "Office 365 E1": 10.0,
        "M365 E3": 36.0,
        "M365 E5": 57.0,
        "Copilot": 30.0,
        "D365 Business Central": 80.0,
        "D365 Sales Pro": 65.0,
        "Power Apps": 20.0,
        "Surface": 1200.0,
    }


@dataclass(frozen=True)
class IntentSettings:
    monthly_day: int = field(
        default=25,
        metadata={"min": 1, "max": 28, "doc": "Day of the month on which the monthly run and export happen."},
    )
    # --- intent -------------------------------------------------------------------------------
    half_life_days: dict[str, float] = field(
        default_factory=_half_lives,
        metadata={
            "min": 60,
            "max": 36_500,
            "keys": FAMILIES,
            "doc": "Recency half-life in days per signal family: a signal's weight halves every "
            "half-life; families left out keep their default. Keep every value >= 60 so scores "
            "move at most one band a month.",
        },
    )
    signal_strength: dict[str, float] = field(
        default_factory=_strengths,
        metadata={
            "min": 0,
            "max": 10,
            "keys": SIGNAL_IDS,
            "doc": "Strength per signal type (1.0 = a clear, direct buying signal); types left "
            "out keep their default (every type has one).",
        },
    )
    default_strength: float = field(
        default=0.7,
        metadata={
            "min": 0,
            "max": 10,
            "doc": "Strength of a stored signal whose type is not in the vocabulary (written by "
            "an older taxonomy); every known type has its own in signal_strength.",
        },
    )
    default_half_life_days: float = field(
        default=90.0,
        metadata={
            "min": 60,
            "max": 36_500,
            "doc": "Half-life of a stored signal whose family is not in the vocabulary (written "
            "by an older taxonomy); every known family has its own in half_life_days.",
        },
    )
    max_signal_age_days: int = field(
        default=730,
        metadata={
            "min": 1,
            "max": 36_500,
            "doc": "Signals older than this at the month's end are not read at all.",
        },
    )
    source_day_cap: float = field(
        default=1.0,
        metadata={
            "gt": 0,
            "max": 1_000,
            "doc": "Most evidence one source (URL host) can add per day and area, in units of "
            "one full-strength signal; several signals from one noisy page share it.",
        },
    )
    intent_scale: float = field(
        default=1.2,
        metadata={
            "gt": 0,
            "max": 1_000,
            "doc": "Evidence that gives 63/100: score = 100 * (1 - exp(-evidence / scale)). "
            "With 1.2, one fresh, confident, full-strength signal is Medium (a lone signal is "
            "held below High by high_breadth) and two of them are High.",
        },
    )
    surge_months: int = field(
        default=3,
        metadata={"min": 1, "max": 36, "doc": "Previous months averaged into the customer's own baseline."},
    )
    surge_full_ratio: float = field(
        default=3.0,
        metadata={
            "gt": 1,
            "max": 1_000,
            "doc": "Evidence / baseline ratio at which the surge bonus is complete.",
        },
    )
    surge_floor: float = field(
        default=0.5,
        metadata={
            "gt": 0,
            "max": 1_000,
            "doc": "Smallest baseline used in the ratio, so a quiet customer's first signal "
            "is not an infinite surge.",
        },
    )
    surge_gain: float = field(
        default=0.15,
        metadata={
            "min": 0,
            "max": 0.15,
            "doc": "A full surge multiplies the evidence by 1 + surge_gain (keep <= 0.15).",
        },
    )
    negative_gain: float = field(
        default=0.25,
        metadata={
            "min": 0,
            "max": 1,
            "doc": "Each unit of negative evidence (layoffs, closures) removes this share.",
        },
    )
    negative_floor: float = field(
        default=0.5,
        metadata={
            "min": 0.5,
            "max": 1,
            "doc": "Negative signals can at most halve the evidence (keep >= 0.5).",
        },
    )
    high_breadth: int = field(
        default=2,
        metadata={
            "min": 1,
            "max": 50,
            "doc": "High intent needs at least this many distinct signal types or sources.",
        },
    )
    top_contributions: int = field(
        default=3,
        metadata={"min": 0, "max": 100, "doc": "Contributing signals stored with each intent score."},
    )
    # --- matrix -------------------------------------------------------------------------------
    band_edges: list[float] = field(
        default_factory=lambda: [30.0, 55.0, 75.0],
        metadata={
            "min": 0,
            "max": 100,
            "doc": "Lower edges of Low, Medium and High (Very low below the first).",
        },
    )
    cells: dict[str, list[str]] = field(
        default_factory=_cells,
        metadata={
            "choices": BAND_NAMES,
            "doc": "Matrix cell -> [fit band, intent band]; all 16 band pairs exactly once.",
        },
    )
    clusters: dict[str, list[str]] = field(
        default_factory=_clusters,
        metadata={"doc": "Cluster -> its cells, best cluster first (validation checks this order)."},
    )
    # --- fit ----------------------------------------------------------------------------------
    fit_min_positives: int = field(
        default=20,
        metadata={
            "min": 1,
            "max": 1_000_000,
            "doc": "Won customers an area needs for the lookalike model; fewer -> rule fit.",
        },
    )
    fit_top_features: int = field(
        default=5,
        metadata={"min": 1, "max": 100, "doc": "Features kept as the explanation of a fit model or score."},
    )
    # --- revenue ------------------------------------------------------------------------------
    prices: dict[str, float] = field(
        default_factory=_prices,
        metadata={
            "min": 0,
            "max": 1_000_000,
            "doc": "USD list price per user per month (Surface: per device, one-off) used for "
            "PotentialRevenue.",
        },
    )
    azure_per_employee_monthly: float = field(
        default=15.0,
        metadata={
            "min": 0,
            "max": 1_000_000,
            "doc": "Assumed Azure consumption per employee per month (USD) at full adoption.",
        },
    )
    surface_refresh_years: float = field(
        default=3.0, metadata={"gt": 0, "max": 20, "doc": "Years between Surface device refreshes."}
    )
    business_apps_user_share: float = field(
        default=0.15,
        metadata={
            "min": 0,
            "max": 1,
            "doc": "Share of employees who would use Business Central, Sales or Power Apps.",
        },
    )
    # --- reports ------------------------------------------------------------------------------
    csv_bom: bool = field(
        default=False, metadata={"doc": "Start every CSV report with a UTF-8 BOM (for Excel)."}
    )
    renewal_window_months: int = field(
        default=12,
        metadata={
            "min": 1,
            "max": 120,
            "doc": "The renewal report lists agreements ending within this many months.",
        },
    )
    top_signals_in_report: int = field(
        default=3, metadata={"min": 0, "max": 50, "doc": "Signals listed in a report's TopSignals column."}
    )
    # --- validation ---------------------------------------------------------------------------
    validation_window_days: int = field(
        default=90,
        metadata={
            "min": 1,
            "max": 3_650,
            "doc": "Opportunities created this many days after the month count.",
        },
    )
    precision_k: int = field(
        default=20, metadata={"min": 1, "max": 100_000, "doc": "k of precision@k for the Act now cluster."}
    )
    validation_min_outcomes: int = field(
        default=30,
        metadata={
            "min": 1,
            "max": 1_000_000,
            "doc": "Areas with fewer opportunities are reported but not judged.",
        },
    )


def half_life_of(settings: IntentSettings) -> dict[str, float]:
    """Half-lives with the defaults filled in for families the settings file leaves out."""
    return {**_half_lives(), **settings.half_life_days}


def strength_of(settings: IntentSettings) -> dict[str, float]:
    """Strengths with the defaults filled in for types the settings file leaves out."""
    return {**_strengths(), **settings.signal_strength}


def prices_of(settings: IntentSettings) -> dict[str, float]:
    """Prices with the defaults filled in for products the settings file leaves out."""
    return {**_prices(), **settings.prices}


def settings_fingerprint(settings: IntentSettings) -> str:
    """A stable hash of the scoring settings, recorded with every monthly run."""
    text = json.dumps(asdict(settings), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
