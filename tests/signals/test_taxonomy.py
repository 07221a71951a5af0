"""The taxonomy is data: SPEC §4.2 ids, families, polarity, areas, cues, competitor areas."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest

from signals.taxonomy import NONE, TaxonomyError, default_taxonomy, parse_taxonomy

# Pinned on purpose (SPEC §4.2): common/vocabulary.py must keep these ids in this order.
SPEC_IDS = [
    "hiring_tech",
    "hiring_security",
    "hiring_sales",
    "hiring_finance",
    "leadership_change",
    "funding",
    "expansion",
    "merger_acquisition",
    "partnership",
    "product_launch",
    "cloud_migration",
    "ai_data_initiative",
    "business_apps_need",
    "competitor_tech",
    "security_incident",
    "compliance",
    "modern_work",
    "cost_cutting",
]
AREAS = {"Azure", "M365", "Security", "Surface", "D365BC", "D365SP", "PowerApps"}


def test_ids_and_labels_match_the_spec() -> None:
    taxonomy = default_taxonomy()
    assert list(taxonomy.ids) == SPEC_IDS
    assert taxonomy.labels[-1] == NONE
    assert set(taxonomy.areas) == AREAS


def test_every_type_is_described_and_has_cues() -> None:
    for signal_type in default_taxonomy().types:
        assert signal_type.description
        assert signal_type.cues, signal_type.id
        assert "{company}" in signal_type.why_now and "{date}" in signal_type.why_now


def test_polarity_is_negative_only_for_cost_cutting() -> None:
    taxonomy = default_taxonomy()
    assert {t.id for t in taxonomy.types if t.polarity == -1} == {"cost_cutting"}
    assert taxonomy.get("cost_cutting").family == "negative"


@pytest.mark.parametrize(
    ("signal_id", "areas"),
    [
        ("hiring_tech", ["Azure", "M365"]),
        ("hiring_security", ["Security"]),
        ("hiring_sales", ["D365SP", "PowerApps"]),
        ("hiring_finance", ["D365BC"]),
        ("funding", ["Azure", "M365"]),
        ("expansion", ["M365", "Surface"]),
        ("business_apps_need", ["D365BC", "D365SP", "PowerApps"]),
        ("modern_work", ["M365", "Surface"]),
    ],
)
def test_area_mapping(signal_id: str, areas: list[str]) -> None:
    assert default_taxonomy().areas_for(signal_id) == areas


def test_all_area_types_raise_every_area() -> None:
    taxonomy = default_taxonomy()
    assert set(taxonomy.areas_for("leadership_change")) == AREAS
    assert set(taxonomy.areas_for("cost_cutting")) == AREAS
    assert taxonomy.areas_for(NONE) == []


@pytest.mark.parametrize(
    ("text", "areas"),
    [
        ("The whole office lives in Google Workspace.", ["M365"]),
        ("Standups happen on Zoom and chat is on Slack.", ["M365"]),
        ("Our platform runs on AWS.", ["Azure"]),
        ("Analytics moved to BigQuery on GCP last year.", ["Azure"]),
        ("Reps log every call in Salesforce.", ["D365SP"]),
        ("Marketing automation is done in HubSpot.", ["D365SP"]),
        ("The books are kept in QuickBooks Online.", ["D365BC"]),
        ("We reconcile invoices in Xero.", ["D365BC"]),
        ("Payroll runs on Sage 50.", ["D365BC"]),
    ],
)
def test_competitor_areas_depend_on_the_product(text: str, areas: list[str]) -> None:
    assert default_taxonomy().areas_for("competitor_tech", text) == areas


def test_competitor_with_two_products_raises_both_areas() -> None:
    areas = default_taxonomy().areas_for("competitor_tech", "We use AWS and Salesforce.")
    assert set(areas) == {"Azure", "D365SP"}


def test_unknown_competitor_falls_back_to_default_areas() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.areas_for("competitor_tech", "We use a rival suite.") == list(taxonomy.competitor_default)


def test_cue_vector_marks_event_verbs() -> None:
    taxonomy = default_taxonomy()
    vector = taxonomy.cue_vector("Fabrikam has raised $30 million in a Series B round.")
    assert vector[taxonomy.ids.index("funding")] == 1.0
    assert len(vector) == len(SPEC_IDS)
    assert sum(taxonomy.cue_vector("The weather was pleasant.")) == 0


def test_cue_spans_point_into_the_text() -> None:
    text = "Northwind appoints a new Chief Financial Officer."
    spans = default_taxonomy().cue_spans("leadership_change", text)
    assert spans and all(0 <= a < b <= len(text) for a, b in spans)


def bundled() -> dict[str, Any]:
    return tomllib.loads((resources.files("signals") / "taxonomy.toml").read_text(encoding="utf-8"))


def test_the_bundled_file_parses() -> None:
    assert parse_taxonomy(bundled()).ids == default_taxonomy().ids


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cues": ["("]}, "bad pattern"),
        ({"id": "none"}, "'none': not a signal id"),
        ({"id": "hiring_tec"}, "'hiring_tec': not a signal id"),
        ({"family": "hiring"}, "unexpected keys ['family']"),
        ({"areas": ["Azure"]}, "unexpected keys ['areas']"),
        ({"polarity": -1}, "unexpected keys ['polarity']"),
    ],
)
def test_a_bad_signal_entry_is_rejected(change: dict[str, Any], message: str) -> None:
    raw = bundled()
    raw["signal"][0] = {**raw["signal"][0], **change}
    with pytest.raises(TaxonomyError, match=re.escape(message)):
        parse_taxonomy(raw)


def test_a_signal_of_the_vocabulary_left_undescribed_is_rejected() -> None:
    raw = bundled()
    raw["signal"] = [entry for entry in raw["signal"] if entry["id"] != "modern_work"]
    with pytest.raises(TaxonomyError, match=re.escape("'modern_work': in common/vocabulary.py but not described")):
        parse_taxonomy(raw)


def test_a_signal_described_twice_is_rejected() -> None:
    raw = bundled()
    raw["signal"].append(dict(raw["signal"][3]))
    with pytest.raises(TaxonomyError, match="'hiring_finance': described twice"):
        parse_taxonomy(raw)


def test_a_competitor_with_an_unknown_area_is_rejected() -> None:
    raw = bundled()
    raw["competitor_products"][0]["areas"] = ["Mars"]
    with pytest.raises(TaxonomyError, match=r"unknown areas \['Mars'\]"):
        parse_taxonomy(raw)
