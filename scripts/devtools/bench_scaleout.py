"""Crawl throughput with 1, 2 and 4 worker processes sharing one PostgreSQL frontier, and SQLite
with one worker for reference, against the same fixture web, in one run.

    python -m scripts.devtools.bench_scaleout [--companies 60] [--workers 1,2,4] [--postgres URL]

The fixture web runs in its own process. For each configuration a fresh database (a scratch
schema on PostgreSQL, a temporary file for SQLite) gets the same customers; the workers start
together and each runs one ``crawl --once`` pass (``open_crawler`` + ``crawler.run(once=True)``)
over the shared frontier until nothing is due. Printed per configuration: pages fetched (the
fetch log), wall seconds from the common start to the last worker's end, pages/s, the
ratio to one PostgreSQL worker, and the busiest worker's share of the fetches (100% with one
worker, 25% with four evenly loaded ones). Offline: loopback only. Without a PostgreSQL server only the
SQLite line is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _serve(companies: int, seed: int, ports: Any, stop: Any) -> None:
    from scripts.fixture_web import FixtureWeb, World

    async def main() -> None:
        world = World.generate(companies=companies, seed=seed)
        async with FixtureWeb(world, port=0, dns_port=None) as web:
            ports.put(web.port)
            while not stop.is_set():
                await asyncio.sleep(0.2)

    asyncio.run(main())


def _settings(args: argparse.Namespace, port: int) -> Any:
    from scripts.devtools.bench_crawl import fixture_crawler_settings
    from scripts.fixture_web import World
    from scripts.settings import Settings

    world = World.generate(companies=args.companies, seed=args.seed)
    return Settings(crawler=fixture_crawler_settings(world, port, args, parse_workers=1))


def _worker(target: str, args: argparse.Namespace, port: int, ready: Any, go: Any, done: Any) -> None:
    from scripts.wiring import open_crawler
    from storage.store import open_store

    async def main() -> None:
        store = await open_store(target)
        async with store, open_crawler(_settings(args, port), store) as crawler:
            ready.release()
            while not go.is_set():
                await asyncio.sleep(0.005)
            await crawler.run(once=True)
        done.put(time.time())

    asyncio.run(main())


async def _prepare(target: str, args: argparse.Namespace, folder: Path) -> None:
    from intent.imports import parse_file
    from scripts.fixture_web import World
    from storage.store import open_store

    world = World.generate(companies=args.companies, seed=args.seed)
    store = await open_store(target)
    async with store:
        result = parse_file("customers", world.write_csv(folder / "csv")["customers"])
        await store.customers.upsert_all(result.records)


async def _pages(target: str) -> tuple[int, float]:
    """Fetches logged, and the busiest worker's share of them (1/workers when balanced)."""
    from storage.store import open_store

    store = await open_store(target)
    async with store:
        rows = await store.db.fetchall("SELECT worker, COUNT(*) FROM fetch_log GROUP BY worker")
        counts = [int(r[1]) for r in rows]
        total = sum(counts)
        return total, (max(counts) / total if total else 0.0)


def _run(
    target: str, workers: int, args: argparse.Namespace, port: int, folder: Path
) -> tuple[int, float, float]:
    asyncio.run(_prepare(target, args, folder))
    ctx = multiprocessing.get_context("spawn")
    ready, go, done = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(target, args, port, ready, go, done)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire(timeout=120)
    started = time.time()
    go.set()
    ends = [done.get(timeout=args.timeout) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    pages, busiest = asyncio.run(_pages(target))
    return pages, max(ends) - started, busiest


def main(argv: list[str] | None = None) -> int:
    from storage.postgres.scratch import scratch_schema, server_url, unavailable_reason

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", default="1,2,4", help="PostgreSQL worker counts")
    # A worker leases up to twice its concurrency in hosts and keeps them while they have due
    # sources: workers x 2 x concurrency must stay below the hosts due, or workers sit idle.
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per worker")
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.0, help="per-host delay (s)")
    parser.add_argument("--postgres", default=None, help="server URL (default: the test server)")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)

    ctx = multiprocessing.get_context("spawn")
    ports, stop = ctx.Queue(), ctx.Event()
    web = ctx.Process(target=_serve, args=(args.companies, args.seed, ports, stop), daemon=True)
    web.start()
    port = int(ports.get(timeout=120))
    results: list[tuple[str, int, float, float]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            pages, seconds, busiest = _run(str(folder / "ref.db"), 1, args, port, folder)
            results.append(("sqlite x1", pages, seconds, busiest))
            url = args.postgres or server_url()
            reason = unavailable_reason(url)
            if reason is not None:
                print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
            else:
                for count in [int(n) for n in args.workers.split(",") if n.strip()]:
                    with scratch_schema(url, prefix="ascent_bench") as schema_url:
                        pages, seconds, busiest = _run(schema_url, count, args, port, folder)
                    results.append((f"postgresql x{count}", pages, seconds, busiest))
    finally:
        stop.set()
        web.join(timeout=10)
    base = next((p / s for name, p, s, _ in results if name == "postgresql x1"), None)
    print(f"{'configuration':<16} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'vs pg x1':>8} {'busiest':>8}")
    for name, pages, seconds, busiest in results:
        rate = pages / seconds if seconds > 0 else 0.0
        ratio = f"{rate / base:.2f}" if base else "-"
        print(f"{name:<16} {pages:>6} {seconds:>8.2f} {rate:>8.1f} {ratio:>8} {busiest:>8.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
