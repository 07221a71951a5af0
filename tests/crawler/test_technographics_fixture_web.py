"""Technographics against the fixture web's planted technologies (its DNS and homepages)."""

from __future__ import annotations

import pytest

from crawler.fetch import FetchLimits, HttpFetcher
from crawler.settings import CrawlerSettings
from crawler.technographics import detect_technologies, fingerprints

fixture_web = pytest.importorskip("scripts.fixture_web")

# The fixture world's names for a few products, and what the fingerprint table calls them.
ALIASES = {"AWS": "Amazon Web Services", "Azure": "Microsoft Azure"}
# Technologies inferred from other planted facts (e.g. IIS behind Azure hosting).
DERIVED = {"Microsoft IIS"}


@pytest.mark.slow
async def test_planted_technologies_are_found_with_evidence() -> None:
    world = fixture_web.World.generate(companies=40, seed=11)
    known = {rule.name for rule in fingerprints()}
    missed: list[tuple[str, str]] = []
    extra: list[tuple[str, str]] = []
    planted_total = 0
    async with fixture_web.FixtureWeb(world, port=0, dns_port=0) as web:
        settings = CrawlerSettings(resolve=web.resolve_map(), allow_private_addresses=True)
        async with HttpFetcher(settings, FetchLimits(deadline_s=5.0)) as client:
            for company in world.companies:
                home = await client.fetch(company.base_url + "/")
                found, records = await detect_technologies(
                    company.domain,
                    nameservers=[web.nameserver],
                    headers=home.headers,
                    html=home.body,
                    timeout_s=2.0,
                )
                assert records.errors == ()
                planted = {ALIASES.get(t, t) for t in company.tech} & known
                planted_total += len(planted)
                seen = {t.name for t in found}
                missed += [(company.domain, t) for t in planted - seen]
                extra += [(company.domain, t) for t in seen - planted - DERIVED]
                assert all(t.evidence and len(t.evidence) <= 200 for t in found)
    assert planted_total > 80
    assert missed == []
    assert extra == []
