"""Crawl throughput against the fixture web: our crawler vs a raw concurrent httpx GET loop.

    python -m scripts.devtools.bench_crawl [--companies 100] [--concurrency 64] [--per-host 2]

The fixture web runs in its own process (so its CPU is not charged to either side). Phase 1
runs one ``crawl --once`` pass of our crawler (robots.txt, gates, parsing in the isolated
pool, discovery, SQLite writes) and records every URL it fetched, robots.txt included.
Phase 2 fetches exactly those URLs with a bare ``httpx.AsyncClient`` loop under the same
politeness (the same per-host and global concurrency, the same per-host delay, Crawl-delay
ignored on both sides). Printed: both rates in pages/s, their ratio (target >= 0.8) and the
crawler's peak RSS. Offline: loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx


def _serve(companies: int, seed: int, ports: Any, stop: Any) -> None:
    from scripts.fixture_web import FixtureWeb, World

    async def main() -> None:
        world = World.generate(companies=companies, seed=seed)
        async with FixtureWeb(world, port=0, dns_port=None) as web:
            ports.put(web.port)
            while not stop.is_set():
                await asyncio.sleep(0.2)

    asyncio.run(main())


class _Recording:
    """Wraps the crawler's fetcher and remembers every URL requested (robots.txt too)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.urls: list[str] = []

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_redirect: Any = None,
    ) -> Any:
        self.urls.append(url)
        return await self.inner.fetch(
            url, etag=etag, last_modified=last_modified, check_redirect=check_redirect
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def fixture_crawler_settings(world: Any, port: int, args: argparse.Namespace, parse_workers: int) -> Any:
    """Crawler settings aimed at the fixture web listening on ``port``, with the politeness
    the benchmark's arguments ask for and Crawl-delay ignored (as the raw loops ignore it)."""
    from crawler.settings import CrawlerSettings

    address = f"127.0.0.1:{port}"
    return replace(
        CrawlerSettings(),
        allow_private_addresses=True,
        resolve={host: address for host in world.hosts()},
        seed_scheme="http",
        forum_hosts=[world.forum_host],
        concurrency=args.concurrency,
        per_host_concurrency=args.per_host,
        per_host_delay=args.delay,
        max_crawl_delay=0.0,
        parse_workers=parse_workers,
    )


async def _ours(args: argparse.Namespace, port: int, folder: Path) -> tuple[list[str], float, Any]:
    from intent.imports import parse_file
    from scripts.fixture_web import World
    from scripts.settings import Settings
    from scripts.wiring import open_crawler
    from storage.store import open_store

    world = World.generate(companies=args.companies, seed=args.seed)
    settings = fixture_crawler_settings(world, port, args, parse_workers=args.parse_workers)
    store = await open_store(folder / "bench.db")
    recorders: list[_Recording] = []

    def wrap(inner: Any) -> Any:
        recorders.append(_Recording(inner))
        return recorders[-1]

    async with store:
        result = parse_file("customers", world.write_csv(folder / "csv")["customers"])
        await store.customers.upsert_all(result.records)
        async with open_crawler(Settings(crawler=settings), store, wrap_fetcher=wrap) as crawler:
            started = time.perf_counter()
            stats = await crawler.run(once=True)
            elapsed = time.perf_counter() - started
    return recorders[0].urls, elapsed, stats


class _ToFixture(httpx.AsyncBaseTransport):
    """Sends every request to the fixture web, keeping the Host header (like --resolve).

    With ``per_host`` limits every host gets its own connection pool (as our fetcher does);
    otherwise one pool serves every host, as a plain ``httpx.AsyncClient`` does.
    """

    def __init__(self, port: int, limits: httpx.Limits, *, per_host: httpx.Limits | None = None):
        self.port = port
        self.inner = httpx.AsyncHTTPTransport(limits=limits)
        self._per_host_limits = per_host
        self._pools: dict[str, httpx.AsyncHTTPTransport] = {}

    def _pool_for(self, host: str) -> httpx.AsyncHTTPTransport:
        if self._per_host_limits is None:
            return self.inner
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = httpx.AsyncHTTPTransport(limits=self._per_host_limits)
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = self._pool_for(request.url.host)
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
        for pool in self._pools.values():
            await pool.aclose()


async def _raw(args: argparse.Namespace, port: int, urls: list[str], *, pool_per_host: bool) -> float:
    limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=args.concurrency)
    per_host_limits = (
        httpx.Limits(max_connections=args.per_host * 2, max_keepalive_connections=args.per_host)
        if pool_per_host
        else None
    )
    overall = asyncio.Semaphore(args.concurrency)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(args.per_host))
    last_start: dict[str, float] = defaultdict(float)
    transport = _ToFixture(port, limits, per_host=per_host_limits)
    async with httpx.AsyncClient(transport=transport, follow_redirects=True, timeout=20.0) as client:

        async def get(url: str) -> None:
            host = urlsplit(url).hostname or ""
            async with per_host[host]:
                wait = last_start[host] + args.delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                last_start[host] = time.monotonic()
                async with overall:
                    try:
                        response = await client.get(url)
                        await response.aread()
                    except httpx.HTTPError:
                        pass

        started = time.perf_counter()
        await asyncio.gather(*(get(url) for url in urls))
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.0, help="per-host delay, both sides")
    parser.add_argument("--parse-workers", type=int, default=1)
    args = parser.parse_args(argv)

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    stop = context.Event()
    server = context.Process(target=_serve, args=(args.companies, args.seed, ports, stop), daemon=True)
    server.start()
    port = ports.get(timeout=120)
    try:
        # CPU seconds of this process (not the parse workers, not the fixture web): steadier
        # than wall time on a busy machine.
        cpu = [time.process_time()]
        with tempfile.TemporaryDirectory() as folder:
            urls, ours_s, stats = asyncio.run(_ours(args, port, Path(folder)))
        cpu.append(time.process_time())
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        raw_s = asyncio.run(_raw(args, port, urls, pool_per_host=False))
        cpu.append(time.process_time())
        raw_per_host_s = asyncio.run(_raw(args, port, urls, pool_per_host=True))
        cpu.append(time.process_time())
    finally:
        stop.set()
        server.join(timeout=10)
    ours_rate = len(urls) / ours_s
    print(
        f"companies={args.companies} concurrency={args.concurrency} "
        f"per_host={args.per_host} delay={args.delay} parse_workers={args.parse_workers}"
    )
    print(f"fetches={len(urls)} (robots.txt included) documents={stats.documents} errors={stats.error_count}")
    print(
        f"ours: {ours_s:.2f} s  {ours_rate:.1f} pages/s  CPU {cpu[1] - cpu[0]:.2f} s"
        "  (crawl, parse, discover, store)"
    )
    for label, seconds, used in (
        ("raw httpx loop, one AsyncClient pool", raw_s, cpu[2] - cpu[1]),
        ("raw httpx loop, a pool per host", raw_per_host_s, cpu[3] - cpu[2]),
    ):
        rate = len(urls) / seconds
        print(f"{label}: {seconds:.2f} s  {rate:.1f} pages/s  CPU {used:.2f} s  (same URLs, GET only)")
        print(f"  ratio ours/raw: {ours_rate / rate:.2f}  (target >= 0.8)")
    print(f"peak RSS of the crawler process: {peak_rss / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
