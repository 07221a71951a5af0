"""The shared frontier: any number of crawler processes on any number of machines lease from one
PostgreSQL database.

A worker leases a *host* before it leases any of that host's sources, so per-host politeness
and Crawl-delay hold across workers: while a host is leased to one worker no other worker
fetches from it, and when its last source completes the host is released with
``next_allowed_at`` pushed past its crawl delay, so the next worker to take it waits as the
first one would have. Candidate hosts are locked with ``FOR UPDATE SKIP LOCKED``, so workers
leasing at the same moment pass each other by instead of queueing, in one short transaction.
Leases (host and source alike) expire: a worker that dies holds its hosts only until
``lease_s`` runs out, then its sources are due again and another worker completes them.

A visit that a redirect takes to another host (``acme.test/`` -> ``www.acme.test/``)
*borrows* that host's lease first (:meth:`PgFrontierRepository.borrow_host`) and returns it
when the visit ends, so a hop is covered like any other request. Borrows are counted in
this process: a host stays leased while any visit still has it borrowed, even when this
worker completes its last source there meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from storage.frontier import (
    _SOURCE_COLUMNS,
    FetchLogEntry,
    FetchOutcome,
    NewSource,
    Source,
    SqliteFrontierRepository,
    _source,
)
from storage.protocols import SqlDatabase

DEFAULT_HOST_GAP_S = 1.0
MAX_GATE_WAIT_S = 5.0
_DUE = (
    "s.status IN ('active', 'blocked') AND s.next_due_at <= ?"
    " AND (s.lease_until IS NULL OR s.lease_until < ?)"
)


def _last_request(outcomes: Sequence[FetchOutcome], logs: Sequence[FetchLogEntry]) -> float:
    """When the batch's last request ended: a visit's ``fetched_at`` is when it started, and a
    visit may ask again later (a retry, a redirect hop once its robots.txt is read), so the
    hand-over gap counts from the end of the latest logged request."""
    ends = [o.fetched_at for o in outcomes]
    ends += [log.started_at + max(log.duration_ms, 0.0) / 1000 for log in logs]
    return max(ends)


class PgFrontierRepository(SqliteFrontierRepository):
    """The SQLite frontier's contract, leasing hosts and sources with SKIP LOCKED."""

    def __init__(self, db: SqlDatabase, host_gap_s: float = DEFAULT_HOST_GAP_S):
        super().__init__(db)
        # The pause between two workers' turns on one host when it sets no Crawl-delay.
        self.host_gap_s = host_gap_s
        self.max_gate_wait_s = MAX_GATE_WAIT_S
        # Open borrows per (host, owner) in this process. Taking, returning and releasing
        # host leases go through one lock, so a release never slips in between a borrow's
        # grant and its count (nor a return's count and its release).
        self._borrowed: Counter[tuple[str, str]] = Counter()
        self._host_lock = asyncio.Lock()

    async def add_sources(self, sources: Sequence[NewSource], now: float | None = None) -> int:
        added = await super().add_sources(sources, now)
        hosts = sorted({s.host for s in sources})
        if hosts:
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO hosts(host) VALUES (?) ON CONFLICT DO NOTHING", [(h,) for h in hosts]
                )
        return added

    async def lease_due(
        self,
        limit: int,
        owner: str,
        lease_s: float,
        now: float | None = None,
        per_host: int | None = None,
        waited: bool = False,
    ) -> list[Source]:
        """Lease up to ``limit`` due sources on hosts free for ``owner``; at most ``per_host``
        live leases per host. Hosts are taken oldest-due first, the caller's own first.

        When every due source sits on a host that is only waiting out another worker's crawl
        delay, this waits for the first such host (at most ``max_gate_wait_s``) instead of
        answering "nothing due", so a single pass (``crawl --once``) does not end early."""
        if limit <= 0:
            return []
        now = time.time() if now is None else now
        host_cap = per_host if per_host and per_host > 0 else limit
        await self._register_hosts(now)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT h.host FROM hosts h"
                " WHERE (h.lease_until IS NULL OR h.lease_until < ? OR h.lease_owner = ?)"
                " AND h.backoff_until <= ? AND (h.lease_owner = ? OR h.next_allowed_at <= ?)"
                f" AND EXISTS (SELECT 1 FROM sources s WHERE s.host = h.host AND {_DUE})"
                " ORDER BY CASE WHEN h.lease_owner = ? THEN 0 ELSE 1 END,"
                f" (SELECT MIN(s.next_due_at) FROM sources s WHERE s.host = h.host AND {_DUE}), h.host"
                " LIMIT ? FOR UPDATE OF h SKIP LOCKED",
                (now, owner, now, owner, now, now, now, owner, now, now, limit),
            )
            hosts = [str(r[0]) for r in await cursor.fetchall()]
            rows = await self._lease_on(conn, hosts, owner, lease_s, now, host_cap, limit) if hosts else []
        if not hosts:
            return await self._after_gate(limit, owner, lease_s, now, per_host, waited)
        return rows

    async def _lease_on(
        self, conn: Any, hosts: list[str], owner: str, lease_s: float, now: float, host_cap: int, limit: int
    ) -> list[Source]:
        """Within the transaction that locked ``hosts``: lease their due sources, oldest
        first, at most ``host_cap`` live per host, and lease the hosts to ``owner``."""
        cursor = await conn.execute(
            "SELECT source_id FROM ("
            " SELECT s.source_id, s.next_due_at, COALESCE(b.n, 0) + ROW_NUMBER() OVER ("
            "  PARTITION BY s.host ORDER BY s.next_due_at, s.source_id) AS rank"
            " FROM sources s LEFT JOIN (SELECT host, COUNT(*) AS n FROM sources"
            "  WHERE host = ANY(?::text[]) AND lease_until IS NOT NULL AND lease_until >= ?"
            "  GROUP BY host) b ON b.host = s.host"
            f" WHERE s.host = ANY(?::text[]) AND {_DUE}"
            ") ranked WHERE rank <= ? ORDER BY rank, next_due_at, source_id LIMIT ?",
            (hosts, now, hosts, now, now, host_cap, limit),
        )
        ids = [int(r[0]) for r in await cursor.fetchall()]
        if not ids:
            return []
        cursor = await conn.execute(
            "UPDATE sources SET lease_owner = ?, lease_until = ?"
            " WHERE source_id = ANY(?::bigint[]) AND (lease_until IS NULL OR lease_until < ?)"
            f" RETURNING {_SOURCE_COLUMNS}",
            (owner, now + lease_s, ids, now),
        )
        rows = await cursor.fetchall()
        leased_hosts = sorted({str(r["host"]) for r in rows})
        await conn.execute(
            "UPDATE hosts SET lease_owner = ?, lease_until = GREATEST(COALESCE(lease_until, 0), ?)"
            " WHERE host = ANY(?::text[])",
            (owner, now + lease_s, leased_hosts),
        )
        by_id = {int(r["source_id"]): _source(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def _after_gate(
        self, limit: int, owner: str, lease_s: float, now: float, per_host: int | None, waited: bool
    ) -> list[Source]:
        live_clock = abs(now - time.time()) < 1.0  # a test's fake clock never sleeps
        if waited or not live_clock:
            return []
        row = await self.db.fetchone(
            "SELECT MIN(h.next_allowed_at) FROM hosts h"
            " WHERE (h.lease_until IS NULL OR h.lease_until < ?) AND h.backoff_until <= ?"
            f" AND EXISTS (SELECT 1 FROM sources s WHERE s.host = h.host AND {_DUE})",
            (now, now, now, now),
        )
        if row is None or row[0] is None:
            return []
        wait = float(row[0]) - now
        if wait <= 0 or wait > self.max_gate_wait_s:
            return []
        await asyncio.sleep(wait)
        return await self.lease_due(limit, owner, lease_s, time.time(), per_host, waited=True)

    async def _register_hosts(self, now: float) -> None:
        """Hosts of due sources added by other paths get their politeness row."""
        await self.db.execute(
            "INSERT INTO hosts(host) SELECT DISTINCT s.host FROM sources s"
            f" WHERE {_DUE} AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = s.host)"
            " ON CONFLICT DO NOTHING",
            (now, now),
        )

    async def complete_many(
        self, outcomes: Sequence[FetchOutcome], logs: Sequence[FetchLogEntry] = ()
    ) -> None:
        if not outcomes:
            await super().complete_many(outcomes, logs)
            return
        ids = [o.source_id for o in outcomes]
        holders = await self.db.fetchall(
            "SELECT DISTINCT host, lease_owner FROM sources"
            " WHERE source_id = ANY(?::bigint[]) AND lease_owner IS NOT NULL",
            (ids,),
        )
        await super().complete_many(outcomes, logs)
        await self._release_hosts(
            [(str(r["host"]), str(r["lease_owner"])) for r in holders], _last_request(outcomes, logs)
        )

    async def _release_hosts(self, held: list[tuple[str, str]], fetched_at: float | None) -> None:
        """Release the hosts of finished sources, but those a visit of this process still
        has borrowed (the borrow's return releases them)."""
        async with self._host_lock:
            await self._release_now([pair for pair in held if not self._borrowed[pair]], fetched_at)

    async def _release_now(self, held: list[tuple[str, str]], fetched_at: float | None) -> None:
        """Give each (host, owner) back once the owner holds no lease on it; after a fetch at
        ``fetched_at`` another worker may fetch from it only after its crawl delay (the host's
        stored robots.txt Crawl-delay, never less than ``host_gap_s``). The last
        holder stays named (with no lease) and may take it again at once: its own per-host
        gates already keep it polite."""
        if not held:
            return
        await self.db.execute(
            "UPDATE hosts SET lease_until = NULL,"
            " next_allowed_at = CASE WHEN CAST(? AS DOUBLE PRECISION) IS NULL THEN next_allowed_at"
            "  ELSE GREATEST(next_allowed_at,"
            "   CAST(? AS DOUBLE PRECISION) + GREATEST(COALESCE(crawl_delay, 0), ?)) END"
            " FROM (SELECT UNNEST(?::text[]) AS host, UNNEST(?::text[]) AS owner) AS done"
            " WHERE hosts.host = done.host AND hosts.lease_owner = done.owner"
            " AND NOT EXISTS (SELECT 1 FROM sources s"
            "  WHERE s.host = hosts.host AND s.lease_owner = hosts.lease_owner)",
            (fetched_at, fetched_at, self.host_gap_s, [h for h, _ in held], [o for _, o in held]),
        )

    async def release(self, source_ids: Iterable[int], owner: str) -> int:
        ids = list(source_ids)
        hosts = await self.db.fetchall(
            "SELECT DISTINCT host FROM sources WHERE source_id = ANY(?::bigint[]) AND lease_owner = ?",
            (ids, owner),
        )
        released = await super().release(ids, owner)
        await self._release_hosts([(str(r["host"]), owner) for r in hosts], None)
        return released

    async def defer(
        self, source_id: int, owner: str, until: float, last_request_at: float | None = None
    ) -> bool:
        row = await self.db.fetchone(
            "SELECT host FROM sources WHERE source_id = ? AND lease_owner = ?", (source_id, owner)
        )
        deferred = await super().defer(source_id, owner, until, last_request_at)
        if row is not None:
            await self._release_hosts([(str(row[0]), owner)], last_request_at)
        return deferred

    async def borrow_host(
        self, host: str, owner: str, lease_s: float, now: float | None = None
    ) -> float | None:
        """Lease ``host`` to ``owner`` for a redirect hop: granted (None) when no other worker
        holds it and, unless ``owner`` was its last holder, its hand-over gap has passed, as
        in :meth:`lease_due`; else the time worth asking again (the holder's lease end, the
        gap's end or the host's back-off end). Every granted borrow is given back with
        :meth:`return_host`."""
        now = time.time() if now is None else now
        pair = (host, owner)
        async with self._host_lock:
            self._borrowed[pair] += 1  # counted before the grant is committed
            granted = False
            try:
                retry_at = await self._take_host(host, owner, lease_s, now)
                granted = retry_at is None
            finally:
                if not granted:
                    self._forget_borrow(pair)
        return retry_at

    async def _take_host(self, host: str, owner: str, lease_s: float, now: float) -> float | None:
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO hosts(host) VALUES (?) ON CONFLICT DO NOTHING", (host,))
            cursor = await conn.execute(
                "SELECT lease_owner, lease_until, next_allowed_at, backoff_until FROM hosts"
                " WHERE host = ? FOR UPDATE",
                (host,),
            )
            row = await cursor.fetchone()
            if row is None:  # inserted above; gone only if deleted meanwhile: ask again
                return now
            holder, until, allowed_at, backoff_until = row
            ours = holder == owner
            waits = [float(backoff_until)]
            if not ours and until is not None and until >= now:
                waits.append(float(until))
            if not ours:
                waits.append(float(allowed_at))
            retry_at = max(waits)
            if retry_at > now:
                return retry_at
            await conn.execute(
                "UPDATE hosts SET lease_owner = ?, lease_until = CASE WHEN lease_owner = ?"
                " AND lease_until IS NOT NULL THEN GREATEST(lease_until, ?) ELSE ? END WHERE host = ?",
                (owner, owner, now + lease_s, now + lease_s, host),
            )
            return None

    def _forget_borrow(self, pair: tuple[str, str]) -> None:
        self._borrowed[pair] -= 1
        if self._borrowed[pair] <= 0:
            del self._borrowed[pair]

    async def return_host(self, host: str, owner: str, last_request_at: float | None) -> None:
        """Give back one borrow of ``host``. The host lease itself is released (and the next
        worker's turn spaced from ``last_request_at``) with the last open borrow, and only
        when ``owner`` holds none of its sources: completing those releases it then."""
        pair = (host, owner)
        async with self._host_lock:
            if not self._borrowed[pair]:
                return  # not borrowed (or given back already): nothing of ours to release
            self._forget_borrow(pair)
            if not self._borrowed[pair]:
                await self._release_now([pair], last_request_at)

    async def expire_leases(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        expired = await super().expire_leases(now)
        await self.db.execute(
            "UPDATE hosts SET lease_owner = NULL, lease_until = NULL"
            " WHERE lease_until IS NOT NULL AND lease_until < ?",
            (now,),
        )
        return expired

    async def release_owner(self, owner: str) -> int:
        released = await super().release_owner(owner)
        await self.db.execute(
            "UPDATE hosts SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,)
        )
        return released

    async def host_leases(self) -> dict[str, tuple[str, float]]:
        """Live host leases: host -> (owner, until)."""
        rows = await self.db.fetchall(
            "SELECT host, lease_owner, lease_until FROM hosts WHERE lease_owner IS NOT NULL ORDER BY host"
        )
        return {str(r[0]): (str(r[1]), float(r[2])) for r in rows if r[2] is not None}
