"""The words every part of ascent shares, defined once: solution areas, signal types with their
families, polarity and areas, the bands and the default cell → cluster map of the fit × intent
matrix, the Yes/No flags and cohorts, and the report names.

Every other place reads these names from here: ``signals/taxonomy.toml`` adds the description
and keyword cues of each signal type (and is refused at load when its ids differ), the intent
settings key strengths by these ids (an unknown id stops start-up), the web UI, the demo and the
fixture web list them from here. Order matters: signal ids are the classifier's label order,
areas the report column order, clusters best first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Solution areas: the columns of every propensity report, in report order.
AREAS: Final[tuple[str, ...]] = ("Azure", "M365", "Security", "Surface", "D365BC", "D365SP", "PowerApps")

# Signal families: each has its own recency half-life in the intent settings.
FAMILIES: Final[tuple[str, ...]] = (
    "hiring",
    "people",
    "money",
    "corporate",
    "product",
    "technology",
    "risk",
    "workplace",
    "negative",
)


@dataclass(frozen=True)
class SignalKind:
    """One buying-signal type: its stable id (seen in exports), family, sign and the areas it
    raises (or lowers, for a negative signal)."""

    id: str
    family: str
    polarity: int  # +1 raises intent, -1 lowers it
    areas: tuple[str, ...]


# competitor_tech raises the areas of the competing product a passage names (the competitor
# table of signals/taxonomy.toml), so it has no fixed areas of its own.
COMPETITOR_TECH: Final = "competitor_tech"

# The buying-signal types of SPEC §4.2, in the classifier's label order.
SIGNALS: Final[tuple[SignalKind, ...]] = (
    SignalKind("hiring_tech", "hiring", 1, ("Azure", "M365")),
    SignalKind("hiring_security", "hiring", 1, ("Security",)),
    SignalKind("hiring_sales", "hiring", 1, ("D365SP", "PowerApps")),
    SignalKind("hiring_finance", "hiring", 1, ("D365BC",)),
    SignalKind("leadership_change", "people", 1, AREAS),
    SignalKind("funding", "money", 1, ("Azure", "M365")),
    SignalKind("expansion", "corporate", 1, ("M365", "Surface")),
    SignalKind("merger_acquisition", "corporate", 1, ("M365", "Azure")),
    SignalKind("partnership", "corporate", 1, ("Azure",)),
    SignalKind("product_launch", "product", 1, ("Azure",)),
    SignalKind("cloud_migration", "technology", 1, ("Azure",)),
    SignalKind("ai_data_initiative", "technology", 1, ("Azure", "M365")),
    SignalKind("business_apps_need", "technology", 1, ("D365BC", "D365SP", "PowerApps")),
    SignalKind(COMPETITOR_TECH, "technology", 1, ()),
    SignalKind("security_incident", "risk", 1, ("Security",)),
    SignalKind("compliance", "risk", 1, ("Security",)),
    SignalKind("modern_work", "workplace", 1, ("M365", "Surface")),
    SignalKind("cost_cutting", "negative", -1, AREAS),
)
SIGNAL_IDS: Final[tuple[str, ...]] = tuple(kind.id for kind in SIGNALS)
HIRING_IDS: Final[tuple[str, ...]] = tuple(kind.id for kind in SIGNALS if kind.family == "hiring")

# Score bands, lowest first; a matrix cell is one (fit band, intent band) pair.
BAND_NAMES: Final[tuple[str, ...]] = ("Very low", "Low", "Medium", "High")

# The default cell → (fit band, intent band) map of SPEC §5 (the intent settings may change it).
CELLS: Final[dict[str, tuple[str, str]]] = {
    "A1": ("High", "High"),
    "A2": ("High", "Medium"),
    "A3": ("Medium", "High"),
    "A4": ("Medium", "Medium"),
    "B1": ("High", "Low"),
    "B2": ("Low", "High"),
    "B3": ("Medium", "Low"),
    "B4": ("Low", "Medium"),
    "C1": ("High", "Very low"),
    "C2": ("Very low", "High"),
    "C3": ("Low", "Low"),
    "C4": ("Medium", "Very low"),
    "D1": ("Very low", "Medium"),
    "D2": ("Low", "Very low"),
    "D3": ("Very low", "Low"),
    "D4": ("Very low", "Very low"),
}

# The default clusters, best first (validation expects opportunity rates to fall in this
# order), each with its cells and what a seller does with it.
ACT_NOW: Final = "Act now"
CLUSTER_CELLS: Final[dict[str, tuple[str, ...]]] = {
    ACT_NOW: ("A1", "A2", "A3", "A4"),
    "Evaluate": ("B1", "B2", "B3", "B4"),
    "Nurture": ("C1", "C2", "C3", "C4"),
    "Educate": ("D1", "D2", "D3", "D4"),
}
CLUSTERS: Final[tuple[str, ...]] = tuple(CLUSTER_CELLS)
CLUSTER_MEANINGS: Final[dict[str, str]] = {
    ACT_NOW: "Sales ready: high or medium fit with high or medium intent.",
    "Evaluate": "Marketing ready.",
    "Nurture": "Awareness campaigns.",
    "Educate": "Educate and monitor.",
}

# The Yes/No columns of every report (SPEC §6), in report order.
FLAGS: Final[tuple[str, ...]] = (
    "HasAzure",
    "HasM365",
    "HasD365",
    "HasSurface",
    "HasCopilot",
    "HasE5",
    "HasGoogle",
    "HasAWS",
    "HasSalesforce",
    "HasZoom",
)

# The cohorts of SPEC §6, in report order.
COHORTS: Final[tuple[str, ...]] = (
    "Azure_M365NoAzure",
    "M365_MoveToCloud",
    "M365_UpsellExisting",
    "M365_Copilot",
    "Surface_Acquire_1_49Seats",
    "Surface_Acquire_50PlusSeats",
    "Surface_Upsell_1_24Devices",
    "Surface_Upsell_25PlusDevices",
    "D365BC_MigrateOnPrem",
    "Security_UpsellE5",
)

# The propensity reports (data sources) of the downloads hub and `ascent export`.
REPORT_NAMES: Final[tuple[str, ...]] = ("azure", "m365", "d365", "security", "surface", "renewal")


def signal_kind(signal_id: str) -> SignalKind:
    """The vocabulary entry of a signal id; KeyError names an id that is not a signal type."""
    for kind in SIGNALS:
        if kind.id == signal_id:
            return kind
    raise KeyError(signal_id)


def cluster_of_cell() -> dict[str, str]:
    """The default map from a cell to its cluster."""
    return {cell: cluster for cluster, cells in CLUSTER_CELLS.items() for cell in cells}
