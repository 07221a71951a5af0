"""The frontier: sources with next-due times and leases, hosts' politeness state, the fetch log.

A source is *due* when it is active (or blocked by robots.txt, which may change), its
next-due time has passed and it holds no live lease.
Leasing marks due sources as in flight for ``lease_s`` seconds in one short transaction; a
crawler that dies simply lets its leases expire, so the sources come back on the next pass and
at most the in-flight requests are lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.protocols import SqlDatabase

SOURCE_STATUSES = ("active", "gone", "blocked", "error")


@dataclass(frozen=True)
class Source:
    source_id: int
    customer_id: str
    url: str
    host: str
    kind: str
    discovered_from: str | None
    status: str
    next_due_at: float
    revisit_interval_s: float
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    last_fetched_at: float | None
    last_status: int | None
    last_error: str | None
    failure_count: int
    lease_owner: str | None
    lease_until: float | None
    created_at: float


@dataclass(frozen=True)
class NewSource:
    """A source to add; ignored when the customer already has the URL."""

    customer_id: str
    url: str
    host: str
    kind: str
    discovered_from: str | None = None
    next_due_at: float = 0.0
    revisit_interval_s: float = 86400.0


@dataclass(frozen=True)
class FetchOutcome:
    """What one visit of a source changed: validators, hash, next visit, health."""

    source_id: int
    fetched_at: float
    next_due_at: float
    revisit_interval_s: float
    status: str = "active"
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    error: str | None = None
    failure_count: int = 0


@dataclass(frozen=True)
class FetchLogEntry:
    url: str
    host: str
    started_at: float
    duration_ms: float
    customer_id: str | None = None
    source_id: int | None = None
    status: int | None = None
    bytes: int = 0
    error_class: str | None = None
    error_detail: str | None = None
    worker: str | None = None


@dataclass(frozen=True)
class HostScheme:
    """The scheme that answers on a host ('https' | 'http'), why HTTPS was given up (for
    'http'), and when that was last found out."""

    host: str
    scheme: str
    reason: str | None
    checked_at: float


@dataclass(frozen=True)
class HostState:
    host: str
    next_allowed_at: float
    crawl_delay: float | None
    backoff_until: float
    error_count: int


class FrontierRepository(Protocol):
    async def add_sources(self, sources: Sequence[NewSource], now: float | None = None) -> int: ...
    async def lease_due(
        self,
        limit: int,
        owner: str,
        lease_s: float,
        now: float | None = None,
        per_host: int | None = None,
    ) -> list[Source]: ...
    async def complete(self, outcome: FetchOutcome, log: FetchLogEntry | None = None) -> None: ...
    async def complete_many(
        self, outcomes: Sequence[FetchOutcome], logs: Sequence[FetchLogEntry] = ()
    ) -> None: ...
    async def release(self, source_ids: Iterable[int], owner: str) -> int: ...
    async def defer(
        self, source_id: int, owner: str, until: float, last_request_at: float | None = None
    ) -> bool: ...
    async def borrow_host(
        self, host: str, owner: str, lease_s: float, now: float | None = None
    ) -> float | None: ...
    async def return_host(self, host: str, owner: str, last_request_at: float | None) -> None: ...
    async def expire_leases(self, now: float | None = None) -> int: ...
    async def lease_owners(self) -> list[str]: ...
    async def release_owner(self, owner: str) -> int: ...
    async def log_fetch(self, entries: Sequence[FetchLogEntry]) -> None: ...
    async def get(self, source_id: int) -> Source | None: ...
    async def by_customer(self, customer_id: str) -> list[Source]: ...
    async def known_urls(self, customer_id: str) -> set[str]: ...
    async def due_count(self, now: float | None = None) -> int: ...
    async def next_due_at(self) -> float | None: ...
    async def count(self, status: str | None = None) -> int: ...
    async def host_state(self, host: str) -> HostState | None: ...
    async def record_host(
        self, host: str, *, ok: bool, backoff_until: float = 0.0, crawl_delay: float | None = None
    ) -> None: ...
    async def record_crawl_delay(self, host: str, seconds: float | None) -> None: ...
    async def host_schemes(self, hosts: Iterable[str] | None = None) -> list[HostScheme]: ...
    async def record_schemes(self, states: Sequence[HostScheme]) -> None: ...
    async def page_budgets(self) -> dict[str, float]: ...
    async def record_page_budgets(self, budgets: dict[str, float]) -> None: ...
    async def error_counts(self, since: float = 0.0) -> dict[str, int]: ...
    async def fetch_log(self, limit: int = 100) -> list[FetchLogEntry]: ...


_SOURCE_COLUMNS = (
    "source_id, customer_id, url, host, kind, discovered_from, status, next_due_at, "
    "revisit_interval_s, etag, last_modified, content_hash, last_fetched_at, last_status, "
    "last_error, failure_count, lease_owner, lease_until, created_at"
)


def _source(row: Any) -> Source:
    return Source(**dict(row))


class SqliteFrontierRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    async def add_sources(self, sources: Sequence[NewSource], now: float | None = None) -> int:
        """Insert new sources (known URLs are left alone); returns how many were new."""
        if not sources:
            return 0
        created = time.time() if now is None else now
        rows = [
            (
                source.customer_id,
                source.url,
                source.host,
                source.kind,
                source.discovered_from,
                source.next_due_at,
                source.revisit_interval_s,
                created,
            )
            for source in sources
        ]
        async with self.db.transaction() as conn:
            cursor = await conn.executemany(
                "INSERT INTO sources(customer_id, url, host, kind, discovered_from, "
                "next_due_at, revisit_interval_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )
            return max(cursor.rowcount, 0)

    async def lease_due(
        self,
        limit: int,
        owner: str,
        lease_s: float,
        now: float | None = None,
        per_host: int | None = None,
    ) -> list[Source]:
        """Lease up to ``limit`` due sources, oldest due first; at most ``per_host`` leases
        live per host (counting those already in flight).

        Sources whose lease expired (their crawler died) are due again. Hosts in back-off
        are skipped. The select and the update share one short write transaction, so two
        crawlers never lease the same source.
        """
        if limit <= 0:
            return []
        now = time.time() if now is None else now
        host_cap = per_host if per_host and per_host > 0 else limit
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "WITH busy AS (SELECT host, COUNT(*) AS n FROM sources"
                " WHERE lease_until IS NOT NULL AND lease_until >= ? GROUP BY host)"
                " SELECT source_id FROM ("
                " SELECT s.source_id, s.next_due_at, COALESCE(b.n, 0) + ROW_NUMBER() OVER ("
                "  PARTITION BY s.host ORDER BY s.next_due_at, s.source_id) AS rank"
                " FROM sources s LEFT JOIN hosts h ON h.host = s.host"
                " LEFT JOIN busy b ON b.host = s.host"
                " WHERE s.status IN ('active', 'blocked') AND s.next_due_at <= ?"
                " AND (s.lease_until IS NULL OR s.lease_until < ?)"
                " AND (h.backoff_until IS NULL OR h.backoff_until <= ?)"
                ") AS ranked WHERE rank <= ? ORDER BY rank, next_due_at, source_id LIMIT ?",
                (now, now, now, now, host_cap, limit),
            )
            ids = [int(r[0]) for r in await cursor.fetchall()]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            await conn.execute(
                f"UPDATE sources SET lease_owner = ?, lease_until = ? WHERE source_id IN ({marks})",
                (owner, now + lease_s, *ids),
            )
            cursor = await conn.execute(
                f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE source_id IN ({marks})", ids
            )
            rows = await cursor.fetchall()
        by_id = {int(r["source_id"]): _source(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def complete(self, outcome: FetchOutcome, log: FetchLogEntry | None = None) -> None:
        """Record a visit's result, release the lease and append the fetch log, atomically."""
        await self.complete_many([outcome], [log] if log is not None else [])

    async def complete_many(
        self, outcomes: Sequence[FetchOutcome], logs: Sequence[FetchLogEntry] = ()
    ) -> None:
        """Record many visits' results and their fetch log rows in one transaction."""
        if not outcomes and not logs:
            return
        async with self.db.transaction() as conn:
            if outcomes:
                await conn.executemany(
                    "UPDATE sources SET status = ?, next_due_at = ?, revisit_interval_s = ?,"
                    " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),"
                    " content_hash = COALESCE(?, content_hash), last_fetched_at = ?,"
                    " last_status = COALESCE(?, last_status), last_error = ?, failure_count = ?,"
                    " lease_owner = NULL, lease_until = NULL WHERE source_id = ?",
                    [
                        (
                            o.status,
                            o.next_due_at,
                            o.revisit_interval_s,
                            o.etag,
                            o.last_modified,
                            o.content_hash,
                            o.fetched_at,
                            o.http_status,
                            o.error,
                            o.failure_count,
                            o.source_id,
                        )
                        for o in outcomes
                    ],
                )
            if logs:
                await conn.executemany(_LOG_INSERT, [_log_row(entry) for entry in logs])

    async def release(self, source_ids: Iterable[int], owner: str) -> int:
        """Give leases back untouched (a graceful stop); the sources stay due."""
        ids = list(source_ids)
        if not ids:
            return 0
        released = 0
        async with self.db.transaction() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor = await conn.execute(
                    "UPDATE sources SET lease_owner = NULL, lease_until = NULL"
                    f" WHERE lease_owner = ? AND source_id IN ({','.join('?' * len(chunk))})",
                    (owner, *chunk),
                )
                released += max(cursor.rowcount, 0)
        return released

    async def defer(
        self, source_id: int, owner: str, until: float, last_request_at: float | None = None
    ) -> bool:
        """Give a lease back unfinished and keep the source from coming due before ``until``
        (a visit that could not go on yet: not a failure, nothing recorded against it).
        ``last_request_at`` is when the visit last asked the source's host, if it did; the
        shared frontier spaces the next worker's turn on the host from it. Returns whether
        ``owner`` held the lease."""
        changed = await self.db.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL,"
            f" next_due_at = {self.db.dialect.greatest('next_due_at', '?')}"
            " WHERE source_id = ? AND lease_owner = ?",
            (until, source_id, owner),
        )
        return changed > 0

    async def borrow_host(
        self, host: str, owner: str, lease_s: float, now: float | None = None
    ) -> float | None:
        """Take the lease on a host that a visit reaches only through a redirect; None when
        granted, else when it is worth asking again.

        Always granted here: this frontier leases sources, not hosts. A SQLite file has one
        crawler process (SQLite allows one writer), and that process's own per-host gates
        space every request it sends, redirect hops included; there is no other worker to
        keep off the host. The shared PostgreSQL frontier leases hosts and refuses."""
        return None

    async def return_host(self, host: str, owner: str, last_request_at: float | None) -> None:
        """Give back a host taken with :meth:`borrow_host`; nothing to do where hosts are
        not leased (see there)."""

    async def expire_leases(self, now: float | None = None) -> int:
        """Clear leases that ran out (their crawler died); returns how many came back."""
        now = time.time() if now is None else now
        return await self.db.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL"
            " WHERE lease_until IS NOT NULL AND lease_until < ?",
            (now,),
        )

    async def lease_owners(self) -> list[str]:
        """Owners holding leases now (a crawler that died shows up here until they expire)."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT lease_owner FROM sources WHERE lease_owner IS NOT NULL"
        )
        return sorted(str(r[0]) for r in rows)

    async def release_owner(self, owner: str) -> int:
        """Give back every lease of one owner (known to be dead); returns how many."""
        return await self.db.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
            (owner,),
        )

    async def log_fetch(self, entries: Sequence[FetchLogEntry]) -> None:
        await self.complete_many([], entries)

    async def get(self, source_id: int) -> Source | None:
        row = await self.db.fetchone(
            f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE source_id = ?", (source_id,)
        )
        return _source(row) if row else None

    async def by_customer(self, customer_id: str) -> list[Source]:
        rows = await self.db.fetchall(
            f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE customer_id = ? ORDER BY source_id",
            (customer_id,),
        )
        return [_source(r) for r in rows]

    async def known_urls(self, customer_id: str) -> set[str]:
        rows = await self.db.fetchall("SELECT url FROM sources WHERE customer_id = ?", (customer_id,))
        return {str(r[0]) for r in rows}

    async def due_count(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM sources WHERE status IN ('active', 'blocked') AND next_due_at <= ?"
            " AND (lease_until IS NULL OR lease_until < ?)",
            (now, now),
        )
        return int(row[0]) if row else 0

    async def next_due_at(self) -> float | None:
        row = await self.db.fetchone(
            f"SELECT MIN({self.db.dialect.greatest('next_due_at', 'COALESCE(lease_until, 0)')}) FROM sources"
            " WHERE status IN ('active', 'blocked')"
        )
        return float(row[0]) if row and row[0] is not None else None

    async def count(self, status: str | None = None) -> int:
        if status is None:
            row = await self.db.fetchone("SELECT COUNT(*) FROM sources")
        else:
            row = await self.db.fetchone("SELECT COUNT(*) FROM sources WHERE status = ?", (status,))
        return int(row[0]) if row else 0

    async def host_state(self, host: str) -> HostState | None:
        row = await self.db.fetchone(
            "SELECT host, next_allowed_at, crawl_delay, backoff_until, error_count FROM hosts WHERE host = ?",
            (host,),
        )
        return HostState(**dict(row)) if row else None

    async def record_host(
        self, host: str, *, ok: bool, backoff_until: float = 0.0, crawl_delay: float | None = None
    ) -> None:
        """Remember a host's health: errors accumulate and may back it off; success resets."""
        await self.db.execute(
            "INSERT INTO hosts(host, crawl_delay, backoff_until, error_count) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(host) DO UPDATE SET"
            " crawl_delay = COALESCE(excluded.crawl_delay, hosts.crawl_delay),"
            " backoff_until = excluded.backoff_until,"
            " error_count = CASE WHEN ? THEN 0 ELSE hosts.error_count + 1 END",
            (host, crawl_delay, backoff_until, 0 if ok else 1, ok),
        )

    async def record_crawl_delay(self, host: str, seconds: float | None) -> None:
        """Store the Crawl-delay a host's robots.txt asks for (None: it asks for none), so
        that whichever worker takes the host next spaces its first request by it."""
        await self.db.execute(
            "INSERT INTO hosts(host, crawl_delay) VALUES (?, ?)"
            " ON CONFLICT(host) DO UPDATE SET crawl_delay = excluded.crawl_delay",
            (host, seconds),
        )

    async def host_schemes(self, hosts: Iterable[str] | None = None) -> list[HostScheme]:
        """The scheme known for every host (or for ``hosts``); hosts never tried are absent."""
        rows = await self.db.fetchall(
            "SELECT host, scheme, scheme_reason, scheme_checked_at FROM hosts"
            " WHERE scheme IS NOT NULL ORDER BY host"
        )
        wanted = None if hosts is None else {h.lower() for h in hosts}
        return [
            HostScheme(str(r[0]), str(r[1]), r[2], float(r[3] or 0.0))
            for r in rows
            if wanted is None or str(r[0]) in wanted
        ]

    async def record_schemes(self, states: Sequence[HostScheme]) -> None:
        """Remember which scheme answers on each host, for the next passes and workers."""
        if not states:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO hosts(host, scheme, scheme_reason, scheme_checked_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(host) DO UPDATE SET scheme = excluded.scheme,"
                " scheme_reason = excluded.scheme_reason, scheme_checked_at = excluded.scheme_checked_at",
                [(s.host, s.scheme, s.reason, s.checked_at) for s in states],
            )

    async def page_budgets(self) -> dict[str, float]:
        """Each host's page budget per pass, as the last pass left it."""
        rows = await self.db.fetchall("SELECT host, page_budget FROM hosts WHERE page_budget IS NOT NULL")
        return {str(r[0]): float(r[1]) for r in rows}

    async def record_page_budgets(self, budgets: dict[str, float]) -> None:
        if not budgets:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO hosts(host, page_budget) VALUES (?, ?)"
                " ON CONFLICT(host) DO UPDATE SET page_budget = excluded.page_budget",
                sorted(budgets.items()),
            )

    async def error_counts(self, since: float = 0.0) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT error_class, COUNT(*) FROM fetch_log WHERE error_class IS NOT NULL"
            " AND started_at >= ? GROUP BY error_class ORDER BY error_class",
            (since,),
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def fetch_log(self, limit: int = 100) -> list[FetchLogEntry]:
        rows = await self.db.fetchall(
            "SELECT url, host, started_at, duration_ms, customer_id, source_id, status, bytes,"
            " error_class, error_detail, worker FROM fetch_log ORDER BY fetch_id DESC LIMIT ?",
            (limit,),
        )
        return [FetchLogEntry(**dict(r)) for r in rows]


_LOG_INSERT = (
    "INSERT INTO fetch_log(customer_id, source_id, url, host, started_at, duration_ms,"
    " status, bytes, error_class, error_detail, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _log_row(entry: FetchLogEntry) -> tuple[Any, ...]:
    return (
        entry.customer_id,
        entry.source_id,
        entry.url,
        entry.host,
        entry.started_at,
        entry.duration_ms,
        entry.status,
        entry.bytes,
        entry.error_class,
        (entry.error_detail or "")[:500] or None,
        entry.worker,
    )
