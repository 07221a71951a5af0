"""Worker processes sharing one PostgreSQL frontier: each due source is fetched once, no host is
ever fetched by two workers at once, and a killed worker's sources are completed by the others.

Each worker is a real process with its own connections; it "fetches" by sleeping and writes
one JSON line per fetch (owner, source, host, start, end) so the test can check the schedule.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from storage.customers import Customer
from storage.frontier import NewSource
from storage.store import open_store

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow, pytest.mark.postgres]

HOSTS = 8
SOURCES_PER_HOST = 5
HOST_GAP_S = 0.3
FETCH_S = 0.02

WORKER = r"""
import asyncio, json, os, sys, time
from storage.frontier import FetchLogEntry, FetchOutcome
from storage.store import open_store

async def main(url, owner, lease_s, out, die_after, host_gap_s, fetch_s):
    store = await open_store(url)
    store.frontier.host_gap_s = host_gap_s
    fetched = 0
    with open(out, "a") as log:
        while True:
            now = time.time()
            leased = await store.frontier.lease_due(4, owner, lease_s, now=now, per_host=2)
            if not leased:
                if await store.frontier.due_count(time.time()) == 0 and not await store.frontier.lease_owners():
                    break
                await asyncio.sleep(0.02)
                continue
            for source in leased:
                start = time.time()
                await asyncio.sleep(fetch_s)
                end = time.time()
                log.write(json.dumps({"owner": owner, "source": source.source_id,
                                      "host": source.host, "start": start, "end": end}) + "\n")
                log.flush()
                fetched += 1
                if die_after and fetched >= die_after:
                    os._exit(9)  # dies holding the rest of its leases
                await store.frontier.complete(
                    FetchOutcome(source.source_id, end, end + 3600, 3600, http_status=200),
                    FetchLogEntry(source.url, source.host, start, (end - start) * 1000,
                                  source.customer_id, source.source_id, 200, worker=owner),
                )
    await store.close()

url, owner, lease_s, out, die_after, gap, fetch_s = sys.argv[1:]
asyncio.run(main(url, owner, float(lease_s), out, int(die_after), float(gap), float(fetch_s)))
"""


async def _seed(url: str) -> set[int]:
    store = await open_store(url)
    try:
        await store.customers.upsert_all(
            [
                Customer(
                    "C1",
                    "Contoso",
                    "contoso.example",
                    10,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "US",
                    False,
                    0.0,
                    "",
                    "",
                    "SMB",
                )
            ]
        )
        sources = [
            NewSource("C1", f"https://h{h}.example/p{i}", f"h{h}.example", "page")
            for h in range(HOSTS)
            for i in range(SOURCES_PER_HOST)
        ]
        await store.frontier.add_sources(sources, now=0.0)
        return {s.source_id for s in await store.frontier.by_customer("C1")}
    finally:
        await store.close()


def _spawn(
    url: str, owner: str, out: Path, *, lease_s: float = 30.0, die_after: int = 0
) -> subprocess.Popen[bytes]:
    args = [url, owner, str(lease_s), str(out), str(die_after), str(HOST_GAP_S), str(FETCH_S)]
    return subprocess.Popen([sys.executable, "-c", WORKER, *args], stderr=subprocess.PIPE)


def _fetches(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def _assert_hosts_never_shared(fetches: list[dict[str, object]]) -> None:
    """No two workers overlap on a host, and a worker taking a host over waits the gap."""
    by_host: dict[object, list[dict[str, object]]] = defaultdict(list)
    for fetch in fetches:
        by_host[fetch["host"]].append(fetch)
    for host, visits in by_host.items():
        visits.sort(key=lambda f: float(f["start"]))  # type: ignore[arg-type]
        for before, after in itertools.pairwise(visits):
            if before["owner"] != after["owner"]:
                gap = float(after["start"]) - float(before["end"])  # type: ignore[arg-type]
                assert gap >= HOST_GAP_S * 0.9, f"{host}: {before} then {after}"


async def _completed(url: str) -> dict[int, int]:
    store = await open_store(url)
    try:
        rows = await store.db.fetchall(
            "SELECT source_id, COUNT(*) FROM fetch_log GROUP BY source_id ORDER BY source_id"
        )
        assert await store.frontier.due_count(time.time()) == 0
        assert await store.frontier.lease_owners() == []
        return {int(r[0]): int(r[1]) for r in rows}
    finally:
        await store.close()


async def test_four_workers_fetch_each_source_once_and_share_no_host(pg_url: str, tmp_path: Path) -> None:
    ids = await _seed(pg_url)
    out = tmp_path / "fetches.jsonl"
    workers = [_spawn(pg_url, f"w{i}", out) for i in range(4)]
    for worker in workers:
        _, err = await asyncio.to_thread(worker.communicate)
        assert worker.returncode == 0, err.decode()
    fetches = _fetches(out)
    assert sorted(int(f["source"]) for f in fetches) == sorted(ids)  # type: ignore[call-overload]
    assert len({f["owner"] for f in fetches}) >= 2  # the work really was shared
    _assert_hosts_never_shared(fetches)
    assert await _completed(pg_url) == {i: 1 for i in ids}


async def test_a_killed_workers_leases_expire_and_others_complete_them(pg_url: str, tmp_path: Path) -> None:
    ids = await _seed(pg_url)
    out = tmp_path / "fetches.jsonl"
    lease_s = 2.0
    doomed = _spawn(pg_url, "doomed", out, lease_s=lease_s, die_after=1)
    await asyncio.to_thread(doomed.communicate)
    assert doomed.returncode == 9
    [dead_fetch] = _fetches(out)
    survivors = [_spawn(pg_url, f"w{i}", out, lease_s=lease_s) for i in range(3)]
    for worker in survivors:
        _, err = await asyncio.to_thread(worker.communicate)
        assert worker.returncode == 0, err.decode()
    fetches = _fetches(out)[1:]
    # Nothing lost: every source completed exactly once, the dead worker's in-flight one too.
    assert await _completed(pg_url) == {i: 1 for i in ids}
    assert sorted(int(f["source"]) for f in fetches) == sorted(ids)  # type: ignore[call-overload]
    # Its host stayed its own until the lease ran out.
    dead_host_visits = [f for f in fetches if f["host"] == dead_fetch["host"]]
    lease_ended = float(dead_fetch["start"]) + lease_s - 0.1  # type: ignore[arg-type]
    assert dead_host_visits and min(float(f["start"]) for f in dead_host_visits) >= lease_ended  # type: ignore[arg-type]
    _assert_hosts_never_shared(fetches)
