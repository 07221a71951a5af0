"""Requests the crawler spends on the fixture web for the coverage it reaches.

    .venv/bin/python -m scripts.devtools.bench_fixture_requests [--companies 200] [--seed 7]

The same two passes as ``tests/crawler/test_crawl_fixture.py::test_two_hundred_companies_coverage``:
one ``crawl --once`` pass, then the content clock moves 60 days and the crawler's clock
1.1 days, and a second pass (the revisit). Printed: planted pages and entries allowed by
robots.txt that were found, the requests the fixture web logged (robots.txt included) in
each pass, requests to robots-disallowed paths, the wall time, and the first pages missed
with their source's kind and state. Offline: loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.crawler.test_crawl_fixture import (
    DAY,
    Clock,
    crawl,
    crawler_settings,
    disallowed_requests,
    discovered_urls,
    expected_pages,
    import_customers,
)


async def measure(companies: int, seed: int, folder: Path) -> dict[str, Any]:
    from scripts.fixture_web import FixtureWeb, World
    from storage.store import open_store

    world = World.generate(companies=companies, seed=seed)
    store = await open_store(folder / "bench.db")
    async with store, FixtureWeb(world, port=0, dns_port=None) as web:
        await import_customers(store, world, folder / "csv")
        settings = crawler_settings(web, world, per_host_delay=0.01, concurrency=64)
        clock = Clock()
        started = time.monotonic()
        await crawl(store, settings, clock)
        first = len(web.request_log)
        web.clock.advance(days=60)
        clock.now += 1.1 * DAY
        await crawl(store, settings, clock)
        elapsed = time.monotonic() - started
        found = await discovered_urls(store)
        wanted = expected_pages(world, web.clock.now.isoformat())
        missing = [url for url in wanted if url not in found]
        states = await store.db.fetchall(
            "SELECT url, kind, status, last_fetched_at IS NULL FROM sources WHERE url IN"
            f" ({','.join('?' * len(missing[:50]))})",
            missing[:50],
        )
        return {
            "missing": [f"{r[0]} ({r[1]}, {r[2]}, {'never fetched' if r[3] else 'fetched'})" for r in states]
            + [f"{u} (no source)" for u in missing[:50] if u not in {r[0] for r in states}],
            "wanted": len(wanted),
            "found": sum(1 for url in wanted if url in found),
            "requests_pass1": first,
            "requests_pass2": len(web.request_log) - first,
            "disallowed": len(disallowed_requests(web, world)),
            "seconds": elapsed,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(measure(args.companies, args.seed, Path(folder)))
    requests = result["requests_pass1"] + result["requests_pass2"]
    print(
        f"companies={args.companies} found={result['found']:.0f}/{result['wanted']:.0f}"
        f" ({result['found'] / result['wanted']:.1%})"
        f" requests={requests:.0f} (pass 1 {result['requests_pass1']:.0f},"
        f" pass 2 {result['requests_pass2']:.0f}) disallowed={result['disallowed']:.0f}"
        f" wall={result['seconds']:.1f}s"
    )
    for line in result["missing"][:20]:
        print(f"  missing: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
