"""The fixture web's world (CSV inputs, planted signals as the classifier would store them, its
technologies) scored and validated end to end against the opportunities it generated."""

from __future__ import annotations

import pytest
from test_intent_world import Sig, add_signals, add_technology

from intent.imports import parse_file
from intent.monthly import run_month
from intent.settings import IntentSettings
from intent.validate import validate_month
from storage.store import Store

MONTH = "2026-11"


async def load_fixture_world(store: Store, tmp_path, companies: int = 400) -> None:
    from scripts.fixture_web import World

    world = World.generate(companies, 7)
    files = world.write_csv(tmp_path)
    for kind in ("customers", "products", "agreements", "fit", "outcomes"):
        result = parse_file(kind, files[kind])
        assert result.ok, result.errors[:3]
        await store.customers.upsert_all(result.records)
    truth = world.ground_truth()
    now = world.now.isoformat()
    # What a crawl on the world's "now" would have found (later posts are not online yet).
    await add_signals(
        store,
        [
            Sig(s["customer_id"], s["signal_type"], s["date"][:10], s["areas"], url=s["url"], confidence=0.85)
            for s in truth["signals"]
            if s["date"] <= now
        ],
    )
    by_domain = {c["domain"]: c["customer_id"] for c in truth["companies"]}
    for domain, names in truth["technologies"].items():
        for name in names:
            await add_technology(store, by_domain[domain], name, "fixture", domain)


@pytest.mark.slow
async def test_act_now_leads_on_the_fixture_world(store: Store, tmp_path) -> None:
    await load_fixture_world(store, tmp_path)
    await run_month(store.scores, store.runs, MONTH)
    report = await validate_month(store.scores, MONTH, IntentSettings())
    judged = [a for a in report["areas"] if a["judged"]]
    assert len(judged) >= 5
    for area in judged:
        clusters = area["clusters"]
        # Act now converts far better than the base rate and than Educate in every judged area.
        assert area["lift"] > 1.4, area["area"]
        assert area["won_lift"] > 1.5, area["area"]
        assert clusters["Act now"]["opportunity_rate"] > clusters["Educate"]["opportunity_rate"], area["area"]
        assert clusters["Evaluate"]["opportunity_rate"] > clusters["Educate"]["opportunity_rate"], area[
            "area"
        ]
    # Most areas meet the full bar (Act now >= 2x its share of won deals).
    assert sum(1 for a in judged if a["won_lift"] >= 2.0) >= len(judged) - 1
