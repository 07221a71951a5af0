"""How fast the fixture web serves pages, so it is never the bottleneck of a crawl benchmark.

The server runs in its own process (as in a real crawl); clients run here. Three passes over the
same request list: a plain httpx.AsyncClient on a cold page cache, the same on a warm cache, and
a minimal raw-socket keep-alive client that shows what the server can do when the client is
cheap. The server's own CPU time per request (from psutil) gives its capacity on one core.

    .venv/bin/python scripts/devtools/bench_fixture_web.py --companies 1000 --requests 6000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _serve(companies: int, seed: int, ready: Any, stop: Any) -> None:
    """Server process: build the world, serve it, report the port and the request list."""
    from scripts.fixture_web import FixtureWeb, World

    async def run() -> None:
        world = World.generate(companies, seed)
        async with FixtureWeb(world, dns_port=None) as web:
            ready.put((web.port, _targets(world)))
            while not stop.is_set():
                await asyncio.sleep(0.1)

    asyncio.run(run())


def _targets(world: object) -> list[tuple[str, str]]:
    from scripts.fixture_web.world import World

    assert isinstance(world, World)
    targets: list[tuple[str, str]] = []
    for company in world.companies:
        host = company.www_host
        site = world.site(company)
        targets += [
            (host, "/"),
            (host, "/about"),
            (host, "/robots.txt"),
            (host, company.blog_feed),
            (host, company.news_feed),
            (host, company.blog_path),
            (host, company.jobs_path),
        ]
        targets += [
            (host, p.path) for p in site.blog[:3] + site.news[:3] + site.jobs[:1] if p.published <= world.now
        ]
    return targets


@dataclass
class Pass:
    name: str
    requests: int
    seconds: float
    server_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request_us(self) -> float:
        return self.server_cpu / self.requests * 1e6


async def _httpx_pass(port: int, targets: list[tuple[str, str]], concurrency: int) -> int:
    import httpx

    queue = list(targets)
    done = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while queue:
            host, path = queue.pop()
            response = await client.get(path, headers={"Host": host})
            if response.status_code >= 500:
                raise RuntimeError(f"{host}{path}: {response.status_code}")
            done += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return done


async def _raw_pass(port: int, targets: list[tuple[str, str]], concurrency: int) -> int:
    queue = list(targets)
    done = 0

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            host, path = queue.pop()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 "):
                raise RuntimeError(head[:60])
            done += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    import psutil

    context = multiprocessing.get_context("spawn")
    ready: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    stop = context.Event()
    started = time.perf_counter()
    server = context.Process(target=_serve, args=(args.companies, args.seed, ready, stop))
    server.start()
    port, targets = ready.get(timeout=300)
    startup = time.perf_counter() - started
    random.Random(1).shuffle(targets)
    targets = (targets * (args.requests // max(1, len(targets)) + 1))[: args.requests]
    process = psutil.Process(server.pid)

    def measure(name: str, run: object) -> Pass:
        cpu = process.cpu_times()
        begin = time.perf_counter()
        count = asyncio.run(run(port, targets, args.concurrency))  # type: ignore[operator]
        seconds = time.perf_counter() - begin
        after = process.cpu_times()
        used = (after.user - cpu.user) + (after.system - cpu.system)
        return Pass(name, count, seconds, used)

    try:
        passes = [
            measure("httpx.AsyncClient, cold page cache", _httpx_pass),
            measure("httpx.AsyncClient, warm page cache", _httpx_pass),
            measure("raw keep-alive client", _raw_pass),
        ]
    finally:
        stop.set()
        server.join(10)
    print(
        f"fixture web: {args.companies} companies, {args.requests} requests per pass, "
        f"concurrency {args.concurrency}; server start (world + listen) {startup:.2f} s"
    )
    print(f"{'pass':40} {'req/s':>9} {'server CPU us/req':>18} {'server capacity req/s':>22}")
    for p in passes:
        print(f"{p.name:40} {p.rate:9.0f} {p.cpu_per_request_us:18.0f} {1e6 / p.cpu_per_request_us:22.0f}")
    httpx_warm, raw = passes[1], passes[2]
    print(f"ratio raw client / httpx client (warm): {raw.rate / httpx_warm.rate:.2f}")
    print(
        f"ratio server capacity / httpx rate (warm): "
        f"{(1e6 / httpx_warm.cpu_per_request_us) / httpx_warm.rate:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
