"""A small world of customers, products, technographics, signals and outcomes written straight
into a real store, shared by the intent, fit, cohort, report, monthly and validation tests."""

from __future__ import annotations

from tests.support.intent_world import (
    FAMILY,
    Sig,
)


def test_world_helpers_make_distinct_urls() -> None:
    first = Sig("C1", "funding", "2026-11-01")
    assert first.url == ""
    assert FAMILY["cost_cutting"] == "negative"
