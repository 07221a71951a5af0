"""Hostile web: every misbehaving endpoint class of the fixture web's catalogue is crawled at
the same time as normal company sites. The normal sites must still be crawled completely and
on time (one bad host cannot starve the others), the crawl must end within its bound, and the
database must stay intact.

Normal-site completion is measured twice in the same test, without and with the hostile
hosts, from the fetch log: the last fetch of a normal host, relative to the crawl's start.
"""

from __future__ import annotations

import asyncio
import csv
import time
from pathlib import Path

import pytest

from tests.support.reliability import Prepared, copy_db, integrity, prepared_world, query, run_ascent

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

COMPANIES = 4
MAX_SECONDS = 120.0

HOSTILE_CUSTOMER = "H00001"


def _with_hostile_customers(normal_csv: Path, hostile: list[dict[str, str]], target: Path) -> Path:
    """The world's customers plus one customer owning every hostile endpoint: they share one
    registrable domain (badhost.com), and one domain is one customer."""
    with normal_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    template = rows[0]
    row = dict(template)
    row.update(CustomerID=HOSTILE_CUSTOMER, AccountName="Hostile endpoints", Domain=hostile[0]["host"])
    row["PartnerID"], row["PartnerName"] = "", ""
    rows.append(row)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        writer.writerows(rows)
    return target


async def _add_hostile_sources(db: Path, prep: Prepared, hostile: list[dict[str, str]]) -> None:
    from storage.frontier import NewSource
    from storage.store import open_store

    store = await open_store(db, prep.settings.storage)
    async with store:
        added = await store.frontier.add_sources(
            [
                NewSource(HOSTILE_CUSTOMER, entry["url"], entry["host"], "homepage")
                for entry in hostile
            ]
        )
    assert added == len(hostile)


def _crawl(db: Path, config: Path) -> tuple[float, float]:
    """Run one bounded pass; returns (its start as unix time, its wall seconds)."""
    began, clock = time.time(), time.monotonic()
    done = run_ascent(db, config, "crawl", "--once", "--quiet", "--max-seconds", str(MAX_SECONDS))
    took = time.monotonic() - clock
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return began, took


def _normal_finish(db: Path, began: float, hosts: set[str]) -> float:
    rows = query(db, "SELECT host, MAX(started_at + duration_ms / 1000.0) FROM fetch_log GROUP BY host")
    ends = [end for host, end in rows if host in hosts]
    assert ends, "no normal host was fetched"
    return max(ends) - began


def _normal_documents(db: Path) -> set[tuple[str, str]]:
    return set(query(db, "SELECT url, content_hash FROM documents WHERE customer_id LIKE 'C%'"))


def test_hostile_hosts_do_not_starve_normal_sites(tmp_path: Path) -> None:
    # Crawl-delay capped: the fixture sites' 1-2 s delays would make both passes a minute
    # long without testing anything here (politeness has its own tests).
    with prepared_world(tmp_path, COMPANIES, max_crawl_delay=0.2) as prep:
        hostile = prep.world.hostile
        normal_hosts = {h for c in prep.world.companies for h in (c.domain, c.www_host)}
        normal_hosts |= {prep.world.forum_host, prep.world.social_host}

        baseline = copy_db(prep.template_db, tmp_path / "baseline.db")
        began, baseline_wall = _crawl(baseline, prep.config)
        baseline_finish = _normal_finish(baseline, began, normal_hosts)

        mixed = copy_db(prep.template_db, tmp_path / "mixed.db")
        customers = _with_hostile_customers(
            tmp_path / "csv" / "customers.csv", hostile, tmp_path / "customers-hostile.csv"
        )
        imported = run_ascent(mixed, prep.config, "import", "customers", str(customers))
        assert imported.returncode == 0, imported.stdout + imported.stderr
        # The customer's domain is stored as the registrable domain (badhost.com), so each
        # hostile endpoint is added to the frontier as one of its sources.
        asyncio.run(_add_hostile_sources(mixed, prep, hostile))
        began, mixed_wall = _crawl(mixed, prep.config)
        mixed_finish = _normal_finish(mixed, began, normal_hosts)

    print(
        f"normal sites finished after {baseline_finish:.1f}s alone, {mixed_finish:.1f}s beside "
        f"{len(hostile)} hostile hosts (passes took {baseline_wall:.1f}s and {mixed_wall:.1f}s)"
    )
    assert integrity(mixed) == "ok"
    assert mixed_wall <= MAX_SECONDS + 30, "the crawl overran its bound"
    # Every normal page was still stored, and on time.
    assert _normal_documents(mixed) == _normal_documents(baseline)
    assert mixed_finish <= 3 * baseline_finish + 20, (baseline_finish, mixed_finish)
    # Every hostile class was actually tried (a fetch, or its robots.txt, is in the log).
    tried = {row[0] for row in query(mixed, "SELECT DISTINCT host FROM fetch_log")}
    untried = [entry["name"] for entry in hostile if entry["host"] not in tried]
    assert not untried, untried
    errors = dict(query(mixed, "SELECT error_class, COUNT(*) FROM fetch_log GROUP BY error_class"))
    print(f"fetch outcomes: {errors}")
