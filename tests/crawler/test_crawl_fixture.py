"""The crawler against the fixture web, through the production network stack, offline.

Discovery coverage against the ground truth, robots.txt, per-host concurrency and spacing,
conditional revisits, new posts after the content clock moves, hostile endpoints, and a
crawl killed with SIGKILL and restarted.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import signal
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.fetch import FetchResponse, RedirectCheck
from crawler.settings import CrawlerSettings
from intent.imports import parse_file
from scripts.fixture_web import FixtureWeb, World
from scripts.settings import Settings
from scripts.wiring import open_crawler
from storage.store import Store, open_store

DELAY = 0.02
PER_HOST = 2
CRAWL_DELAY_CAP = 0.15
DAY = 86400.0


class CountingFetcher:
    """Wraps the real fetcher: requests in flight per host, and when each one started."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.starts: dict[str, list[float]] = defaultdict(list)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_redirect: RedirectCheck | None = None,
    ) -> FetchResponse:
        host = urlsplit(url).hostname or ""
        self.active[host] += 1
        self.peak[host] = max(self.peak[host], self.active[host])
        self.starts[host].append(time.monotonic())
        try:
            return await self.inner.fetch(
                url, etag=etag, last_modified=last_modified, check_redirect=check_redirect
            )
        finally:
            self.active[host] -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


def crawler_settings(web: FixtureWeb, world: World, **kw: Any) -> CrawlerSettings:
    base = CrawlerSettings(
        allow_private_addresses=True,
        resolve=web.resolve_map(),
        seed_scheme="http",
        forum_hosts=[world.forum_host],
        per_host_delay=DELAY,
        per_host_concurrency=PER_HOST,
        concurrency=48,
        fetch_deadline_s=15.0,
        connect_timeout_s=5.0,
        max_crawl_delay=CRAWL_DELAY_CAP,
    )
    return replace(base, **kw)


async def import_customers(store: Store, world: World, folder: Path) -> None:
    paths = world.write_csv(folder)
    result = parse_file("customers", paths["customers"])
    assert result.ok, result.errors
    await store.customers.upsert_all(result.records)


async def crawl(
    store: Store, settings: CrawlerSettings, clock: Clock, counter: list[CountingFetcher] | None = None
) -> Any:
    def wrap(inner: Any) -> Any:
        counting = CountingFetcher(inner)
        if counter is not None:
            counter.append(counting)
        return counting

    async with open_crawler(Settings(crawler=settings), store, clock=clock, wrap_fetcher=wrap) as crawler:
        return await crawler.run(once=True)


async def discovered_urls(store: Store) -> set[str]:
    docs = await store.db.fetchall("SELECT url FROM documents")
    fetched = await store.db.fetchall("SELECT url FROM sources WHERE last_status BETWEEN 200 AND 399")
    return {r[0] for r in docs} | {r[0] for r in fetched}


def expected_pages(world: World, now_iso: str) -> list[str]:
    """Planted pages and entries robots.txt allows, published by the content clock's now."""
    return [
        p["url"]
        for p in world.ground_truth()["pages"]
        if p["robots_allowed"] and (p["published"] is None or p["published"] <= now_iso)
    ]


def disallowed_requests(web: FixtureWeb, world: World) -> list[str]:
    bad = []
    for record in web.request_log:
        path = record.path.split("?", 1)[0]
        company = world.by_host.get(record.host)
        if company is not None and not company.allowed(path):
            bad.append(f"{record.host}{path}")
        if record.host == world.forum_host and path.startswith(("/login", "/search")):
            bad.append(f"{record.host}{path}")
        if record.host == world.social_host and path.startswith("/api/"):
            bad.append(f"{record.host}{path}")
    return bad


def assert_polite(counters: list[CountingFetcher], world: World, settings: CrawlerSettings) -> None:
    """At most PER_HOST requests in flight per host; starts spaced by the configured delay,
    or by the site's Crawl-delay (capped by max_crawl_delay) when that is larger."""
    for counting in counters:
        assert max(counting.peak.values()) <= PER_HOST, dict(counting.peak)
        for host, starts in counting.starts.items():
            company = world.by_host.get(host)
            crawl_delay = (company.crawl_delay or 0) if company is not None else 0
            spacing = max(settings.per_host_delay, min(crawl_delay, settings.max_crawl_delay))
            gaps = [b - a for a, b in itertools.pairwise(starts)]
            # Starts are recorded just before each request goes out, after the gate let it go:
            # allow the event loop's jitter (a few milliseconds) only; a gate that does not
            # space requests at all leaves gaps near zero.
            jitter = max(0.1 * spacing, 0.003)
            assert not gaps or min(gaps) >= spacing - jitter, (host, spacing, min(gaps))


async def test_pass_revisit_and_new_posts(store: Store, tmp_path: Path) -> None:
    world = World.generate(companies=12, seed=11)
    async with FixtureWeb(world, port=0, dns_port=None) as web:
        await _pass_revisit_and_new_posts(store, tmp_path, world, web)


async def _pass_revisit_and_new_posts(store: Store, tmp_path: Path, world: World, web: FixtureWeb) -> None:
    await import_customers(store, world, tmp_path / "csv")
    settings = crawler_settings(web, world)
    clock = Clock()
    counters: list[CountingFetcher] = []

    stats = await crawl(store, settings, clock, counters)
    found = await discovered_urls(store)
    wanted = expected_pages(world, web.clock.now.isoformat())
    missing = [u for u in wanted if u not in found]
    assert len(missing) <= 0.02 * len(wanted), (stats.summary_line(), missing[:10])
    assert disallowed_requests(web, world) == []
    assert_polite(counters, world, settings)
    assert stats.documents > 0 and stats.feed_entries > 0
    user_agents = {r.user_agent for r in web.request_log}
    assert user_agents == {settings.user_agent}

    # Nothing changed: every due source is asked conditionally and nothing new is stored,
    # but for the pages the first pass left for the next one (their host's budget was spent).
    before = await store.documents.fingerprints()
    left = await store.db.fetchall("SELECT url FROM sources WHERE last_fetched_at IS NULL AND status = 'active'")
    assert len(left) <= stats.budget_deferred
    web.request_log.clear()
    clock.now += 30 * DAY
    await crawl(store, settings, clock, counters)
    after = await store.documents.fingerprints()
    assert set(before) <= set(after)
    assert {f[1] for f in set(after) - set(before)} <= {r[0] for r in left}
    pages = [r for r in web.request_log if r.status in (200, 304) and not r.path.endswith("robots.txt")]
    assert pages and sum(r.conditional for r in pages) >= 0.95 * len(pages)
    assert all(r.status == 304 for r in pages if r.conditional)

    # New posts appear; the next due visit of each feed finds them.
    old_now = web.clock.now.isoformat()
    web.clock.advance(days=20)
    new_now = web.clock.now.isoformat()
    fresh = [
        p["url"]
        for p in world.ground_truth()["pages"]
        if p["published"]
        and old_now < p["published"] <= new_now
        and p["robots_allowed"]
        and p["kind"] in ("blog", "news", "forum", "social")  # the kinds that have feeds
    ]
    assert fresh
    web.request_log.clear()
    # Feeds (6 h, 9 h after the unchanged visit) are due; pages (7 days and more) are not.
    clock.now += 0.4 * DAY
    await crawl(store, settings, clock, counters)
    found = await discovered_urls(store)
    assert [u for u in fresh if u not in found] == []
    entries = {r[0] for r in await store.db.fetchall("SELECT url FROM documents WHERE kind = 'feed_entry'")}
    assert set(fresh) & entries
    revisited = {r.path for r in web.request_log if r.status == 200}
    assert not any(path in ("/about", "/contact", "/privacy") for path in revisited)
    assert disallowed_requests(web, world) == []
    assert_polite(counters, world, settings)


async def test_hostile_endpoints_never_stop_the_crawl(store: Store, tmp_path: Path) -> None:
    world = World.generate(companies=2, seed=3)
    async with FixtureWeb(world, port=0, dns_port=None) as web:
        await import_customers(store, world, tmp_path / "csv")
        await store.db.execute(
            "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
            " VALUES ('HOSTILE', 'Bad Host', 'badhost.com', 10, 'Small')"
        )
        hostile = world.hostile
        from storage.frontier import NewSource

        await store.frontier.add_sources(
            [
                NewSource(
                    customer_id="HOSTILE",
                    url=entry["url"],
                    host=urlsplit(entry["url"]).hostname or "",
                    kind="feed" if "feed" in entry["name"] else "page",
                )
                for entry in hostile
            ]
        )
        # The fixture web runs in this process: a few requests at a time keep its own CPU
        # use (streaming bombs and 50 MB bodies) from starving the healthy endpoints.
        settings = crawler_settings(web, world, fetch_deadline_s=5.0, max_body_bytes=1_000_000, concurrency=6)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        started = time.monotonic()
        stats = await crawl(store, settings, Clock())
        elapsed = time.monotonic() - started
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
        rows = await store.db.fetchall(
            "SELECT url, status, error_class FROM fetch_log WHERE customer_id = 'HOSTILE'"
        )
        logged = {r[0] for r in rows}
        assert {e["url"] for e in hostile} <= logged
        classes = {r[2] for r in rows if r[2]}
        expected = {
            "deadline",
            "too_large",
            "protocol",
            "redirect_loop",
            "too_many_redirects",
            "http_429",
            "http_500",
            "decompression",
            "robots_unreachable",
        }
        assert expected <= classes, classes
        # A redirect into a robots.txt-disallowed path, on the same host or another, is
        # refused before it is requested and recorded as such.
        refused = {r[0] for r in rows if r[2] == "robots_disallowed"}
        assert {
            "http://robots-redirect-hop.badhost.com/",
            "http://robots-redirect-hop-elsewhere.badhost.com/",
        } <= refused, refused
        private = [
            r for r in web.request_log if r.host.endswith("badhost.com") and r.path.startswith("/private/")
        ]
        assert private == [], private
        # 50 MB bodies and 256 MB bombs never grow the process past the 1 MB cap (+ slack).
        assert growth < 150 * 1024 * 1024, growth
        # The healthy customers were crawled all the same.
        assert await store.documents.count() > 10
        assert stats.error_count >= 3
        assert elapsed < 60


def _write_config(path: Path, settings: CrawlerSettings) -> None:
    resolve = ", ".join(f'"{k}" = "{v}"' for k, v in settings.resolve.items())
    path.write_text(
        "[crawler]\n"
        "allow_private_addresses = true\n"
        'seed_scheme = "http"\n'
        f"forum_hosts = {settings.forum_hosts!r}\n".replace("'", '"')
        + f"per_host_delay = {settings.per_host_delay}\n"
        f"per_host_concurrency = {settings.per_host_concurrency}\n"
        "lease_s = 600.0\n"
        f"max_crawl_delay = {settings.max_crawl_delay}\n"
        f"resolve = {{ {resolve} }}\n",
        encoding="utf-8",
    )


async def _ascent(
    db: Path, config: Path, *args: str, output: Path | None = None
) -> asyncio.subprocess.Process:
    # A killed crawler's parse workers may outlive it for a moment: with pipes, waiting for
    # the process would also wait for them, so a victim writes to a file instead.
    sink: Any = output.open("wb") if output is not None else asyncio.subprocess.PIPE
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "scripts.cli",
            "--db",
            str(db),
            "--config",
            str(config),
            *args,
            stdout=sink,
            stderr=sink if output is not None else asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
    finally:
        if output is not None:
            sink.close()


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_kill_nine_and_restart_gives_the_same_documents(tmp_path: Path) -> None:
    world = World.generate(companies=5, seed=5)
    async with FixtureWeb(world, port=0, dns_port=None) as web:
        settings = crawler_settings(web, world, per_host_delay=0.05)
        config = tmp_path / "ascent.toml"
        _write_config(config, settings)
        dbs = {}
        for name in ("reference", "killed"):
            dbs[name] = tmp_path / f"{name}.db"
            store = await open_store(dbs[name])
            async with store:
                await import_customers(store, world, tmp_path / "csv")

        reference = await _ascent(dbs["reference"], config, "crawl", "--once")
        out, err = await asyncio.wait_for(reference.communicate(), 200)
        assert reference.returncode == 0, err.decode()
        assert b"crawl ok" in out

        victim = await _ascent(dbs["killed"], config, "crawl", "--once", output=tmp_path / "victim.log")
        store = await open_store(dbs["killed"])
        async with store:
            deadline = time.monotonic() + 60
            while await store.documents.count() < 25 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert await store.documents.count() >= 25
        victim.send_signal(signal.SIGKILL)
        await victim.wait()
        assert victim.returncode == -signal.SIGKILL

        again = await _ascent(dbs["killed"], config, "crawl", "--once")
        out, err = await asyncio.wait_for(again.communicate(), 200)
        assert again.returncode == 0, err.decode()

        results = {}
        for name, path in dbs.items():
            store = await open_store(path)
            async with store:
                assert await store.db.integrity_check() == "ok"
                results[name] = await store.documents.fingerprints()
                leased = await store.db.fetchone("SELECT COUNT(*) FROM sources WHERE lease_owner IS NOT NULL")
                assert leased is not None and leased[0] == 0
        assert results["killed"] == results["reference"]
        assert len(results["reference"]) > 60


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_two_hundred_companies_coverage(tmp_path: Path) -> None:
    world = World.generate(companies=200, seed=7)
    store = await open_store(tmp_path / "big.db")
    async with store, FixtureWeb(world, port=0, dns_port=None) as web:
        await import_customers(store, world, tmp_path / "csv")
        settings = crawler_settings(web, world, per_host_delay=0.01, concurrency=64)
        clock = Clock()
        counters: list[CountingFetcher] = []
        started = time.monotonic()
        await crawl(store, settings, clock, counters)
        first = time.monotonic() - started
        web.clock.advance(days=60)
        clock.now += 1.1 * DAY  # the revisit: feeds, indexes, homepages and sitemaps are due
        await crawl(store, settings, clock, counters)
        found = await discovered_urls(store)
        wanted = expected_pages(world, web.clock.now.isoformat())
        missing = [u for u in wanted if u not in found]
        assert len(missing) <= 0.02 * len(wanted), (len(missing), len(wanted), missing[:10])
        assert disallowed_requests(web, world) == []
        assert_polite(counters, world, settings)
        # A hang guard, not a speed test (the rate depends on the machine's load; measured
        # rates are in BENCHMARKS.md).
        assert time.monotonic() - started < 880, first


async def test_redirect_hops_wait_for_the_target_hosts_gate(store: Store) -> None:
    """Sources on an apex host redirect to the www host, where other sources live too: every
    request the www host sees, redirect hops included, is admitted by its own gate (one at a
    time, starts spaced), as the fixture server's request log shows."""
    world = World.generate(companies=12, seed=11)
    company = next(c for c in world.companies if c.www_host != c.domain)
    paths = sorted(
        {
            urlsplit(p["url"]).path
            for p in world.ground_truth()["pages"]
            if urlsplit(p["url"]).hostname == company.www_host and p["robots_allowed"]
        }
    )[:8]
    assert len(paths) == 8, paths
    # Half the paths asked on the www host directly, half through the apex's redirect.
    urls = [f"http://{company.www_host}{p}" for p in paths[::2]]
    via_apex = [f"http://{company.domain}{p}" for p in paths[1::2]]
    spacing = 0.3
    async with FixtureWeb(world, port=0, dns_port=None) as web:
        await store.db.execute(
            "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
            " VALUES (?, ?, ?, 10, 'Small')",
            (company.customer_id, company.name, company.domain),
        )
        from storage.frontier import NewSource

        sources = [
            NewSource(customer_id=company.customer_id, url=u, host=urlsplit(u).hostname or "", kind="page")
            for u in urls + via_apex
        ]
        await store.frontier.add_sources(sources)
        # Only these sources and the seeded homepage: nothing discovered is added.
        settings = crawler_settings(
            web,
            world,
            per_host_concurrency=1,
            per_host_delay=spacing,
            max_crawl_delay=spacing,
            max_sources_per_customer=len(sources) + 1,
        )
        await crawl(store, settings, Clock())
        seen = sorted(r.time for r in web.request_log if r.host == company.www_host)
        hops = [r for r in web.request_log if r.host == company.domain and r.status == 301]
    assert len(hops) >= len(via_apex) and len(seen) >= len(sources), (len(hops), len(seen))
    # The log records each request as it completes; local answers take milliseconds, so a
    # gap well under the spacing means two requests overlapped or started too close (the
    # margin is for a loaded machine: requests admitted apart but not gated land ~1 ms apart).
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert min(gaps) >= spacing * 0.5, sorted(gaps)[:5]
