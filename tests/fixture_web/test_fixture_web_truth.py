"""The fixture web's world: deterministic, covers every signal type, CSVs the importer accepts."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from common.vocabulary import SIGNAL_IDS
from intent.domains import normalise_domain
from intent.imports import KINDS, parse_file, unknown_customer_errors
from scripts.fixture_web import World
from storage.customers import Customer, Outcome, Product
from storage.store import Store

WORLD = World.generate(companies=200, seed=7)
TRUTH = WORLD.ground_truth()


def test_every_signal_type_is_planted_often_in_many_phrasings() -> None:
    counts = Counter(s["signal_type"] for s in TRUTH["signals"])
    phrasings: dict[str, set[str]] = defaultdict(set)
    for signal in TRUTH["signals"]:
        phrasings[signal["signal_type"]].add(signal["phrasing"])
    for signal_type in SIGNAL_IDS:
        assert counts[signal_type] >= 30, signal_type
        assert len(phrasings[signal_type]) >= 10, signal_type
    kinds = Counter(s["kind"] for s in TRUTH["signals"])
    assert set(kinds) == {"blog", "news", "job", "forum", "social"}
    assert len(TRUTH["negatives"]) > len(TRUTH["signals"]) / 2


def test_planted_sentence_appears_in_its_post_with_other_text() -> None:
    posts = {p.url: p for p in WORLD.all_posts()}
    for signal in TRUTH["signals"][:300]:
        post = posts[signal["url"]]
        assert signal["text"] in post.text
        assert len(post.text) > len(signal["text"]) + 20


def test_world_is_deterministic_and_domains_normalise() -> None:
    again = World.generate(companies=200, seed=7).ground_truth()
    assert again["signals"] == TRUTH["signals"]
    other = World.generate(companies=200, seed=8).ground_truth()
    assert other["signals"] != TRUTH["signals"]
    domains = [c.domain for c in WORLD.companies]
    assert len(set(domains)) == len(domains)
    assert all(normalise_domain(f"http://{c.www_host}/x") == c.domain for c in WORLD.companies)
    suffixes = {d.split(".", 1)[1] for d in domains}
    assert {"com", "co.uk", "de", "com.au"} <= suffixes


def test_pages_and_robots_flags() -> None:
    pages = TRUTH["pages"]
    assert len({p["url"] for p in pages}) == len(pages)
    blocked = [p for p in pages if not p["robots_allowed"]]
    assert blocked and all(p["kind"] != "forum" for p in blocked)
    by_domain = {c.domain: c for c in WORLD.companies}
    for page in blocked:
        company = by_domain[page["domain"]]
        assert company.disallowed and company.disallowed in page["url"]
    assert any(not s["robots_allowed"] for s in TRUTH["signals"])
    future = [s for s in TRUTH["signals"] if s["date"] > TRUTH["now"]]
    assert future, "scheduled posts let a revisit find new signals"


def test_technologies_recorded_for_every_company() -> None:
    tech = TRUTH["technologies"]
    assert set(tech) == {c.domain for c in WORLD.companies}
    everything = Counter(name for names in tech.values() for name in names)
    for name in (
        "Microsoft 365",
        "Google Workspace",
        "AWS",
        "Azure",
        "WordPress",
        "HubSpot",
        "Salesforce",
        "Zoom",
        "Google Analytics",
        "Shopify",
    ):
        assert everything[name] > 0, name


def test_ground_truth_file_round_trips(tmp_path: Path) -> None:
    small = World.generate(companies=10, seed=1)
    path = small.write_ground_truth(tmp_path / "truth.json")
    assert json.loads(path.read_text())["signals"] == small.ground_truth()["signals"]


async def test_csvs_import_cleanly(tmp_path: Path, store: Store) -> None:
    paths = WORLD.write_csv(tmp_path)
    assert set(paths) == set(KINDS)
    known: set[str] = set()
    for kind in KINDS:
        result = parse_file(kind, paths[kind])
        assert result.ok, result.errors[:5]
        assert not result.warnings
        if kind == "customers":
            known = {r.customer_id for r in result.records if isinstance(r, Customer)}
        else:
            assert not unknown_customer_errors(result, str(paths[kind]), known)
        await store.customers.upsert_all(result.records)
    customers = [r for r in parse_file("customers", paths["customers"]).records if isinstance(r, Customer)]
    segments = Counter(c.sub_segment for c in customers)
    assert set(segments) == {"Small", "Medium", "Upper Medium"}
    assert len({c.industry for c in customers}) >= 10
    products = Counter(
        r.product for r in parse_file("products", paths["products"]).records if isinstance(r, Product)
    )
    for name in (
        "Dynamics NAV",
        "Dynamics GP",
        "Office 2016",
        "Exchange Server",
        "Surface",
        "M365 Business Premium",
        "M365 E3",
    ):
        assert products[name] > 0, name


def test_won_opportunities_follow_planted_intent(tmp_path: Path) -> None:
    from scripts.fixture_web.truth import intent_by_area

    paths = WORLD.write_csv(tmp_path)
    outcomes = [r for r in parse_file("outcomes", paths["outcomes"]).records if isinstance(r, Outcome)]
    month_end = "2026-11-30"
    future = [o for o in outcomes if o.created_date > month_end]
    assert future and all(o.created_date <= "2027-02-28" for o in future)
    won = {(o.customer_id, o.area) for o in future if o.outcome == "won"}
    high: list[bool] = []
    low: list[bool] = []
    for company in WORLD.companies:
        intent = intent_by_area(WORLD, company, WORLD.now)
        for area in ("Azure", "M365", "Security", "D365BC"):
            (high if intent.get(area, 0.0) > 0.5 else low).append((company.customer_id, area) in won)
    assert high and low
    assert sum(high) / len(high) > 2 * (sum(low) / len(low))
