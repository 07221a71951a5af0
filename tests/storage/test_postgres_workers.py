"""Four real ``ascent crawl`` processes share one PostgreSQL frontier against the fixture web;
one is killed with SIGKILL mid-crawl.

What "exactly once per due period" means with a kill: a worker commits a visit (source
completed, document stored, fetch logged) after its request. A request the killed worker made
whose result it never committed is lost with it; its lease expires and a survivor makes it
again. So, judged from the fixture web's own request log against an uninterrupted one-worker
SQLite crawl of the same web, counting the answers that end a visit (not redirects, not
robots.txt):

- a URL is answered as often as in the reference (once; a www homepage twice, as the apex's
  redirect target and as a source of its own), plus at most as often as the killed worker
  asked for it — nothing else repeats;
- every source of the shared frontier was requested (but those robots.txt disallows), and
  the URLs equal the reference's but for blind probes of common paths that answered 404
  (which a crawler tries depends on what its own process saw of the site);
- each worker reads a host's robots.txt no more often than the lone reference did;
- in the database every source is completed exactly once (one fetch-log row each), and the
  stored documents equal the reference's.

"No host fetched by two workers at once": in the request log, whenever requests to one host
pass from one live worker to another, the new worker's first request comes at least half the
frontier's host hand-over gap after the previous worker's last one (an overlap would show as
interleaved requests a few milliseconds apart). Every request counts, redirect hops and the
robots.txt reads they need included: a visit of ``http://example.com/`` that the 301 takes to
``http://www.example.com/`` borrows the www host's lease first (and is put off, to come due
again shortly, when another worker holds it). Not checked: a host passing on from the killed
worker (dead, it sends nothing more; a worker that starts after its death reclaims its leases
at once instead of waiting for them to expire).

In that pass www sources only appear once their apex was visited, so a hop rarely meets a www
host another worker holds. The second test makes it meet one every time: a worker of the test's
own holds every www host while the crawl workers start, and no request may reach www before
its lease ends (without the borrow, the hops asked www's robots.txt at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import signal
import sqlite3
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from scripts.devtools.soak import BackgroundFixtureWeb, ascent, child_env, fixture_settings, write_settings
from scripts.fixture_web import World
from scripts.fixture_web.server import LogRecord
from storage.frontier import NewSource
from storage.postgres.frontier import DEFAULT_HOST_GAP_S
from storage.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

COMPANIES = 8
WORKERS = 4
# Long enough for one visit and its batched commit on a busy 2-core machine (a homepage visit
# there took up to 5 s), short enough to wait out: a visit outliving its lease is made twice.
LEASE_S = 15.0
KILL_AFTER_REQUESTS = 12
CONCURRENCY = 2
SETTLE_S = 2.0
FREEZE_SETTLE_S = 0.3
# A visit put off because its redirect target's host was busy comes due again within about a
# lease; a visit that ended comes due again after revisit_min_s (15 minutes) at the soonest.
DEFERRED_WITHIN_S = 4 * LEASE_S


def _agent(worker: str) -> str:
    # The product token ("ascent") is what robots.txt matches; the comment names the worker.
    return f"ascent/0.1 (+https://example.org/bot; {worker})"


def _config(web: Any, folder: Path, worker: str, per_host_delay: float = 0.02) -> Path:
    settings = fixture_settings(
        web,
        per_host_delay=per_host_delay,
        max_crawl_delay=0.2,
        lease_s=LEASE_S,
        # A worker leases hosts up to its capacity (twice its concurrency) and keeps the hosts
        # it holds: a small capacity spreads this small web's hosts over every worker.
        concurrency=CONCURRENCY,
        user_agent=_agent(worker),
        # These tests count every source as done in one pass: no page waits for a next
        # pass because its host's request budget is spent (tests/crawler/test_budget.py has that).
        page_budget_initial=100_000.0,
        page_budget_max=100_000.0,
    )
    return write_settings(settings, folder / f"{worker}.toml")


def _start(db: str, config: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    # Output to a file: a killed worker's parser process may outlive it for a moment.
    with log.open("wb") as sink:
        return subprocess.Popen(ascent(db, config, *args), stdout=sink, stderr=sink, env=child_env())  # type: ignore[arg-type]


def _run(db: str, config: Path, log: Path, *args: str) -> None:
    process = _start(db, config, log, *args)
    assert process.wait(timeout=240) == 0, log.read_text()[-3000:]


def _pages(records: list[LogRecord]) -> Counter[tuple[str, str]]:
    """Final answers per URL (robots.txt aside). A redirect is a hop inside a visit, and how
    often a visit asks again depends on which robots.txt its worker had loaded (a hop to a
    host whose robots.txt is unknown is retried once that is read): only the answer that
    ends a visit counts the visit."""
    return Counter((r.host, r.path) for r in records if not _is_robots(r) and not 300 <= r.status < 400)


def _host_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.path + (f"?{parts.query}" if parts.query else "")


def _is_robots(record: LogRecord) -> bool:
    return record.path.startswith("/robots.txt")


def _worker_of(record: LogRecord) -> str:
    return record.user_agent.rsplit("; ", 1)[-1].rstrip(")")


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(sql).fetchall())


def _settled(url: str) -> bool:
    """Nothing due, nothing put off to come due shortly, nothing leased: the pass is over
    (sources revisit hours later)."""
    soon = time.time() + DEFERRED_WITHIN_S
    [(due, leased)] = _query(
        url,
        "SELECT COUNT(*) FILTER (WHERE status IN ('active', 'blocked') AND next_due_at <= "
        f"{soon} AND (lease_until IS NULL OR lease_until < {soon})),"
        " COUNT(*) FILTER (WHERE lease_owner IS NOT NULL) FROM sources",
    )
    return bool(due == 0 and leased == 0)


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@dataclasses.dataclass
class _Reference:
    pages: Counter[tuple[str, str]]
    statuses: dict[tuple[str, str], set[int]]
    robots: Counter[str]  # robots.txt requests per host
    documents: list[tuple[str, ...]]


def _reference(web: Any, folder: Path) -> _Reference:
    """One uninterrupted worker on SQLite: the requests and documents of one due period."""
    config = _config(web, folder, "reference")
    db = str(folder / "reference.db")
    _run(db, config, folder / "import-ref.log", "import", "customers", str(folder / "csv" / "customers.csv"))
    web.request_log.clear()
    _run(db, config, folder / "reference.log", "crawl", "--once", "--quiet")
    requests = list(web.request_log)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        documents = conn.execute(
            "SELECT customer_id, url, content_hash FROM documents ORDER BY customer_id, url, content_hash"
        ).fetchall()
    robots = Counter(r.host for r in requests if _is_robots(r))
    return _Reference(_pages(requests), _statuses(requests), robots, [tuple(d) for d in documents])


def _statuses(records: list[LogRecord]) -> dict[tuple[str, str], set[int]]:
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    for record in records:
        found[(record.host, record.path)].add(record.status)
    return found


def _assert_no_host_shared(records: list[LogRecord], victim: str) -> int:
    """Returns how many times a host passed from one worker to another (so the test knows it
    was exercised). A host passing on from the killed worker is counted but not timed: it
    sends nothing after its death, and a worker starting after it reclaims its leases at once."""
    by_host: dict[str, list[LogRecord]] = defaultdict(list)
    for record in records:
        by_host[record.host].append(record)
    handovers = 0
    for host, visits in by_host.items():
        visits.sort(key=lambda r: r.time)
        for before, after in itertools.pairwise(visits):
            if _worker_of(before) == _worker_of(after):
                continue
            handovers += 1
            if _worker_of(before) == victim:
                continue
            gap = after.time - before.time
            timeline = [(_worker_of(r), round(r.time - visits[0].time, 3), r.path, r.status) for r in visits]
            assert gap >= DEFAULT_HOST_GAP_S * 0.5, (host, gap, timeline)
    return handovers


def _hop_counts(url: str) -> Counter[str]:
    """Redirect targets' hosts borrowed, waited for and visits put off, over the crawl runs
    that finished (the killed worker's never does)."""
    totals: Counter[str] = Counter()
    for (summary,) in _query(url, "SELECT summary FROM runs WHERE kind = 'crawl'"):
        stats = json.loads(str(summary))
        totals.update({key: int(stats.get(key, 0)) for key in ("hops_borrowed", "hop_waits", "deferred")})
    return totals


def _leases_by_pid(url: str) -> dict[int, int]:
    rows = _query(url, "SELECT lease_owner, COUNT(*) FROM sources WHERE lease_owner IS NOT NULL GROUP BY 1")
    return {int(str(owner).split(":")[1]): int(n) for owner, n in rows}


def _stop(workers: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM every worker still running, then wait for all of them (each drains and exits)."""
    for process in workers.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in workers.values():
        process.wait(60)


def _assert_exited_cleanly(
    workers: dict[str, subprocess.Popen[bytes]], folder: Path, killed: str | None = None
) -> None:
    for name, process in workers.items():
        if name != killed:
            assert process.returncode in (0, 130), (folder / f"{name}.log").read_text()[-3000:]


def _kill_one_mid_crawl(url: str, web: Any, workers: dict[str, subprocess.Popen[bytes]]) -> str:
    """SIGKILL the first worker seen with some requests behind it and leases in hand; returns
    its name once it is dead, still holding leases.

    The worker is frozen (SIGSTOP) before its leases are counted again: a worker seen with
    leases a moment ago may have finished them since, and a kill then would test nothing."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        requests = Counter(_worker_of(r) for r in list(web.request_log))
        leases = _leases_by_pid(url)
        for name, process in workers.items():
            if requests[name] >= KILL_AFTER_REQUESTS and leases.get(process.pid, 0) >= 2:
                process.send_signal(signal.SIGSTOP)
                time.sleep(FREEZE_SETTLE_S)  # a statement sent just before lands meanwhile
                if _leases_by_pid(url).get(process.pid, 0) == 0:
                    process.send_signal(signal.SIGCONT)
                    continue
                process.send_signal(signal.SIGKILL)
                assert process.wait(30) == -signal.SIGKILL
                assert _leases_by_pid(url).get(process.pid, 0) > 0, "died holding no lease"
                return name
        assert not (sum(requests.values()) and _settled(url)), "the pass ended before a kill"
        time.sleep(0.05)
    raise AssertionError(f"no worker to kill: {requests}")


def test_four_crawl_processes_one_killed(pg_url: str, tmp_path: Path) -> None:
    world = World.generate(COMPANIES, seed=23)
    world.write_csv(tmp_path / "csv")
    with BackgroundFixtureWeb(world) as web:
        reference = _reference(web, tmp_path)
        assert sum(reference.pages.values()) > 100

        configs = {f"w{i}": _config(web, tmp_path, f"w{i}") for i in range(WORKERS)}
        _run(
            pg_url,
            configs["w0"],
            tmp_path / "import.log",
            "import",
            "customers",
            str(tmp_path / "csv" / "customers.csv"),
        )
        web.request_log.clear()
        workers = {
            name: _start(pg_url, config, tmp_path / f"{name}.log", "crawl", "--max-seconds", "200", "--quiet")
            for name, config in configs.items()
        }
        try:
            victim = _kill_one_mid_crawl(pg_url, web, workers)
            killed_at = time.time()

            # The survivors finish the pass, the victim's sources included once its leases end.
            def done() -> bool:
                return _settled(pg_url) and time.time() > killed_at + LEASE_S

            _wait(done, 180, "the survivors to finish the pass")
            time.sleep(SETTLE_S)
            assert _settled(pg_url)
        finally:
            _stop(workers)
        _assert_exited_cleanly(workers, tmp_path, killed=victim)
        records = sorted(web.request_log, key=lambda r: r.time)

    by_worker = Counter(_worker_of(r) for r in records)
    # The work was shared: the victim and survivors fetched. (Not necessarily all four: a
    # worker keeps the hosts it holds, and this small web has fewer hosts than the workers'
    # capacity, so one that starts late on a busy machine may find every host held.)
    assert victim in by_worker and len(by_worker) >= 2, by_worker

    # Each due URL once, plus at most one redo of each request the victim never committed. (The
    # reference asks for a www homepage twice: as the apex's redirect hop and as a source.)
    got = _pages(records)
    victims = _pages([r for r in records if _worker_of(r) == victim])
    repeated = {u: n for u, n in got.items() if n > max(reference.pages[u], 1)}
    assert all(n - max(reference.pages[u], 1) <= victims[u] for u, n in repeated.items()), repeated
    # Every source of the shared frontier was requested (but those robots.txt disallows).
    sources = _query(pg_url, "SELECT url FROM sources WHERE status <> 'blocked'")
    assert {_host_path(str(u)) for (u,) in sources} <= {(r.host, r.path) for r in records}
    # The same URLs as the reference, but for blind probes of common paths that answered 404:
    # which ones a crawler tries depends on what its own process saw of a site before.
    statuses = _statuses(records)
    differ = set(got) ^ set(reference.pages)
    assert all((statuses.get(u) or reference.statuses[u]) == {404} for u in differ), differ
    # robots.txt: each worker reads a host's robots.txt as often as the lone reference did.
    robots = Counter((_worker_of(r), r.host) for r in records if _is_robots(r))
    assert all(n <= reference.robots[host] for (_, host), n in robots.items()), robots

    assert _assert_no_host_shared(records, victim) > 0
    print(f"redirect hops of the survivors: {_hop_counts(pg_url)}")  # shown with -s

    [(sources, logged, once)] = _query(
        pg_url,
        "SELECT (SELECT COUNT(*) FROM sources),"
        " (SELECT COUNT(DISTINCT source_id) FROM fetch_log WHERE source_id IS NOT NULL),"
        " (SELECT COUNT(*) = COUNT(DISTINCT source_id) FROM fetch_log WHERE source_id IS NOT NULL)",
    )
    assert once, "a source was completed twice"
    assert logged == sources
    documents = _query(
        pg_url, "SELECT customer_id, url, content_hash FROM documents ORDER BY customer_id, url, content_hash"
    )
    assert [tuple(d) for d in documents] == reference.documents


# Sources of their own on every www host, due before the apexes' homepages.
WWW_SOURCES = (("/", "homepage"), ("/about", "page"), ("/contact", "page"))
# How long a worker of the test's own holds every www host before the crawl workers start:
# longer than a crawl worker's start-up and first apex visits, longer than max_hop_wait_s.
HOLD_S = 8.0


async def _hold_www_hosts(url: str, world: World) -> float:
    """Sources of their own on every www host an apex redirects to, and every www host leased
    to another worker (which then sends nothing and never gives them back: they come free when
    the lease runs out). Returns when the lease ends."""
    store = await open_store(url)
    try:
        hosts = sorted({c.www_host for c in world.companies if c.www_host != c.domain})
        sources = [
            NewSource(company.customer_id, f"http://{company.www_host}{path}", company.www_host, kind)
            for company in world.companies
            if company.www_host != company.domain
            for path, kind in WWW_SOURCES
        ]
        assert await store.frontier.add_sources(sources, now=0.0) == len(sources)
        now = time.time()
        for host in hosts:
            assert await store.frontier.borrow_host(host, "holder:0:elsewhere", HOLD_S, now=now) is None
        return now + HOLD_S
    finally:
        await store.close()


def test_redirect_hops_to_a_host_another_worker_holds(pg_url: str, tmp_path: Path) -> None:
    """Every www host an apex redirects to is held by another worker while the crawl workers
    start: the apexes' homepage visits, which the 301 takes to www, must not ask www anything
    (not the page, not its robots.txt) until the holder's lease ends. They wait or are put off,
    and then the pass completes with every source done once and no host shared."""
    world = World.generate(COMPANIES, seed=29)
    world.write_csv(tmp_path / "csv")
    with BackgroundFixtureWeb(world) as web:
        configs = {f"w{i}": _config(web, tmp_path, f"w{i}") for i in range(WORKERS)}
        csv = str(tmp_path / "csv" / "customers.csv")
        _run(pg_url, configs["w0"], tmp_path / "import.log", "import", "customers", csv)
        web.request_log.clear()
        held_until = asyncio.run(_hold_www_hosts(pg_url, world))
        workers = {
            name: _start(pg_url, config, tmp_path / f"{name}.log", "crawl", "--max-seconds", "150", "--quiet")
            for name, config in configs.items()
        }
        try:
            _wait(lambda: bool(web.request_log) and _settled(pg_url), 170, "the workers to finish the pass")
            time.sleep(SETTLE_S)
            assert _settled(pg_url)
        finally:
            _stop(workers)
        _assert_exited_cleanly(workers, tmp_path)
        records = sorted(web.request_log, key=lambda r: r.time)
    www_hosts = {c.www_host for c in world.companies if c.www_host != c.domain}
    early = [
        (r.host, r.path, round(held_until - r.time, 3))
        for r in records
        if r.host in www_hosts and r.time < held_until
    ]
    assert not early, early
    apexes = {c.domain for c in world.companies if c.www_host != c.domain}
    assert any(r.host in apexes and r.time < held_until for r in records), (
        "no apex visited while www was held"
    )
    assert {r.host for r in records} >= www_hosts  # and once free, www was crawled
    _assert_no_host_shared(records, victim="")
    hops = _hop_counts(pg_url)
    assert hops["hops_borrowed"] > 0 and hops["hop_waits"] + hops["deferred"] > 0, hops
    [(once, missing)] = _query(
        pg_url,
        "SELECT (SELECT COUNT(*) = COUNT(DISTINCT source_id) FROM fetch_log WHERE source_id IS NOT NULL),"
        " (SELECT COUNT(*) FROM sources s WHERE NOT EXISTS"
        "  (SELECT 1 FROM fetch_log f WHERE f.source_id = s.source_id))",
    )
    assert once, "a source was completed twice"
    assert missing == 0, f"{missing} sources never fetched"
