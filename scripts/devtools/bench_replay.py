"""ascent vs a link-following spider (Scrapy) on a replay web of real pages.

    .venv/bin/python -m scripts.devtools.bench_replay [--sites 30] [--articles 6] [--per-host 2] [--delay 0.5]

The replay web (scripts/devtools/replay_web.py: real pages and robots.txt files from ../shared/data,
read in place, under fictional customer domains, plain HTTP only) runs in its own process,
one fresh server per crawler. ascent crawls it twice (``crawl --once``, then again with its
clock a day later), seeded as every customer is, ``https://domain/``: the scheme fallback
finds plain HTTP. Scrapy runs a plain link-following ``CrawlSpider`` from each homepage,
obeying robots.txt, with the same per-host concurrency and delay (its own environment,
``.bench-venv``, created with pip when missing; never a dependency of the product).

Printed for both, from the server's request log: articles found (article pages served with
200) out of all, requests made, requests to paths robots.txt disallows for that crawler,
wall time; then the ratios ascent / Scrapy. Targets: every article found, 0 disallowed
requests, at most 1/3 of Scrapy's requests in at most 1/2 of its time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scripts.devtools.replay_web import ReplayData, ReplayWeb, Site, build_sites

REPO = Path(__file__).resolve().parents[2]
BENCH_VENV = REPO / ".bench-venv"
SCRAPY_AGENT = "benchspider/1.0 (+https://example.org/bench)"
SPIDER = """
import json, os
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

DOMAINS = json.loads(os.environ["REPLAY_DOMAINS"])


class Replay(CrawlSpider):
    name = "replay"
    allowed_domains = DOMAINS
    start_urls = [f"http://{d}/" for d in DOMAINS]
    rules = (Rule(LinkExtractor(), callback="parse_item", follow=True),)

    def parse_item(self, response):
        return None
"""


@dataclass
class Result:
    name: str
    found: int
    articles: int
    requests: int
    disallowed: int
    seconds: float
    tls_attempts: int = 0


def _serve(sites: list[Site], data: ReplayData, ports: Any, stop: Any, log_path: str) -> None:
    async def main() -> None:
        async with ReplayWeb(sites, data) as web:
            ports.put(web.port)
            while not stop.is_set():
                await asyncio.sleep(0.1)
            Path(log_path).write_text(json.dumps({"log": web.log, "tls": web.tls_attempts}))

    asyncio.run(main())


class Server:
    """The replay web in a forked process (its CPU is charged to neither crawler)."""

    def __init__(self, sites: list[Site], data: ReplayData, folder: Path, name: str):
        context = multiprocessing.get_context("fork")
        self.ports: Any = context.Queue()
        self.stop = context.Event()
        self.log_path = folder / f"{name}.log.json"
        self.process = context.Process(
            target=_serve, args=(sites, data, self.ports, self.stop, str(self.log_path)), daemon=True
        )

    def __enter__(self) -> int:
        self.process.start()
        return int(self.ports.get(timeout=60))

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.process.join(30)

    def log(self) -> tuple[list[tuple[str, str, int]], int]:
        saved = json.loads(self.log_path.read_text())
        return [tuple(r) for r in saved["log"]], int(saved["tls"])  # type: ignore[misc]


def measure(
    name: str, sites: list[Site], log: list[tuple[str, str, int]], token: str, seconds: float
) -> Result:
    from protego import Protego

    rules = {s.domain: Protego.parse(s.robots.decode("utf-8", errors="replace")) for s in sites}
    articles = {(s.domain, a.path) for s in sites for a in s.articles}
    found = {(host, target) for host, target, status in log if status == 200 and (host, target) in articles}
    disallowed = sum(
        1
        for host, target, _ in log
        if target != "/robots.txt"
        and host in rules
        and not rules[host].can_fetch(f"http://{host}{target}", token)
    )
    return Result(name, len(found), len(articles), len(log), disallowed, seconds)


async def _ascent_passes(sites: list[Site], port: int, args: argparse.Namespace, folder: Path) -> float:
    from crawler.settings import CrawlerSettings
    from scripts.settings import Settings
    from scripts.wiring import open_crawler
    from storage.store import open_store

    settings = replace(
        CrawlerSettings(),
        allow_private_addresses=True,
        resolve={s.domain: f"127.0.0.1:{port}" for s in sites},
        concurrency=args.concurrency,
        per_host_concurrency=args.per_host,
        per_host_delay=args.delay,
    )
    now = [time.time()]
    store = await open_store(folder / "ascent.db")
    started = time.perf_counter()
    async with store:
        for index, site in enumerate(sites):
            await store.db.execute(
                "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
                " VALUES (?, ?, ?, 10, 'Small')",
                (f"R{index:03d}", site.domain, site.domain),
            )
        for _ in range(2):
            async with open_crawler(Settings(crawler=settings), store, clock=lambda: now[0]) as crawler:
                stats = await crawler.run(once=True)
                print(f"  ascent pass: {stats.summary_line()}", file=sys.stderr)
            now[0] += 86_400.0  # the next pass, a day later
    return time.perf_counter() - started


def run_ascent(sites: list[Site], data: ReplayData, args: argparse.Namespace, folder: Path) -> Result:
    server = Server(sites, data, folder, "ascent")
    with server as port:
        seconds = asyncio.run(_ascent_passes(sites, port, args, folder))
    log, tls = server.log()
    return replace(measure("ascent", sites, log, "ascent", seconds), tls_attempts=tls)


def bench_python() -> Path:
    """.bench-venv's Python with Scrapy installed (created with pip on first use)."""
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import scrapy"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "scrapy"], check=True)
    return python


def run_scrapy(sites: list[Site], data: ReplayData, args: argparse.Namespace, folder: Path) -> Result:
    python = bench_python()
    spider = folder / "replay_spider.py"
    spider.write_text(SPIDER)
    server = Server(sites, data, folder, "scrapy")
    with server as port:
        env = dict(os.environ, REPLAY_DOMAINS=json.dumps([s.domain for s in sites]))
        env["http_proxy"] = f"http://127.0.0.1:{port}"  # the replay answers absolute-form requests
        settings = {
            "ROBOTSTXT_OBEY": "True",
            "CONCURRENT_REQUESTS": str(args.concurrency),
            "CONCURRENT_REQUESTS_PER_DOMAIN": str(args.per_host),
            "DOWNLOAD_DELAY": str(args.delay),
            "DOWNLOAD_DELAY_JITTER": "0",
            "USER_AGENT": SCRAPY_AGENT,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": "False",
        }
        command = [str(python), "-m", "scrapy", "runspider", str(spider)]
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        started = time.perf_counter()
        subprocess.run(command, env=env, cwd=folder, check=True)
        seconds = time.perf_counter() - started
    log, _ = server.log()
    return measure("scrapy", sites, log, "benchspider", seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--articles", type=int, default=6, help="articles per site")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds between requests to one host")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--skip-scrapy", action="store_true", help="only ascent's figures")
    args = parser.parse_args(argv)
    data = ReplayData()
    if not data.available():
        print(f"bench_replay: real-world data not present under {data.pages.parents[1]}; skipped")
        return 0
    sites = build_sites(data, args.sites, args.articles, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = [run_ascent(sites, data, args, folder)]
        if not args.skip_scrapy:
            results.append(run_scrapy(sites, data, args, folder))
    print(
        f"replay web: {len(sites)} sites, {sum(len(s.articles) for s in sites)} articles, "
        f"per-host concurrency {args.per_host}, delay {args.delay:g} s, concurrency {args.concurrency}"
    )
    print(f"{'crawler':<8} {'articles':>10} {'requests':>9} {'disallowed':>10} {'wall s':>8}")
    for r in results:
        print(
            f"{r.name:<8} {r.found:>4}/{r.articles:<5} {r.requests:>9} {r.disallowed:>10} {r.seconds:>8.1f}"
        )
    ours = results[0]
    print(f"ascent TLS handshakes tried on the plain-HTTP sites: {ours.tls_attempts}")
    if len(results) == 2:
        peer = results[1]
        print(
            f"ratios ascent/scrapy: requests {ours.requests / max(peer.requests, 1):.3f} (target <= 0.333), "
            f"time {ours.seconds / max(peer.seconds, 1e-9):.3f} (target <= 0.5)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
