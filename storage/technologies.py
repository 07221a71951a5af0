"""Technographics: technologies seen for a customer, each with its evidence.

A row is one (customer, technology, method, evidence); seeing it again moves
``last_seen_at`` and never ``first_seen_at``, so "since when does Contoso run Microsoft 365"
survives any number of re-crawls.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from storage.protocols import SqlDatabase

EVIDENCE_CHARS = 200


class ObservedTechnology(Protocol):
    """What a detector reports (the crawler's Technology satisfies this)."""

    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def evidence(self) -> str: ...


@dataclass(frozen=True)
class TechnologyRecord:
    customer_id: str
    name: str
    category: str
    method: str
    evidence: str
    first_seen_at: float
    last_seen_at: float


class TechnologyRepository(Protocol):
    async def record(
        self,
        customer_id: str,
        technologies: Iterable[ObservedTechnology],
        seen_at: float | None = None,
    ) -> int: ...
    async def for_customer(self, customer_id: str) -> list[TechnologyRecord]: ...
    async def names_by_customer(self) -> dict[str, set[str]]: ...
    async def customers_using(self, name: str) -> set[str]: ...


class SqliteTechnologyRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    async def record(
        self,
        customer_id: str,
        technologies: Iterable[ObservedTechnology],
        seen_at: float | None = None,
    ) -> int:
        """Upsert what was seen now; returns how many rows were new."""
        now = time.time() if seen_at is None else seen_at
        rows = {(t.name, t.method, t.evidence[:EVIDENCE_CHARS]): t.category for t in technologies}
        if not rows:
            return 0
        new = 0
        dialect = self.db.dialect
        last_seen = dialect.greatest("technologies.last_seen_at", "excluded.last_seen_at")
        first_seen = dialect.least("technologies.first_seen_at", "excluded.first_seen_at")
        async with self.db.transaction() as conn:
            for (name, method, evidence), category in rows.items():
                cursor = await conn.execute(
                    "INSERT INTO technologies(customer_id, technology, category, method, evidence,"
                    " first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(customer_id, technology, method, evidence) DO UPDATE SET"
                    f" last_seen_at = {last_seen},"
                    f" first_seen_at = {first_seen},"
                    " category = excluded.category"
                    " RETURNING first_seen_at = last_seen_at",
                    (customer_id, name, category, method, evidence, now, now),
                )
                row = await cursor.fetchone()
                new += int(bool(row and row[0]))
        return new

    async def for_customer(self, customer_id: str) -> list[TechnologyRecord]:
        rows = await self.db.fetchall(
            "SELECT * FROM technologies WHERE customer_id = ? ORDER BY technology, method, evidence",
            (customer_id,),
        )
        return [_record(r) for r in rows]

    async def names_by_customer(self) -> dict[str, set[str]]:
        """Every customer's technology names (for Has* flags and cohorts)."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT customer_id, technology FROM technologies ORDER BY customer_id"
        )
        found: dict[str, set[str]] = {}
        for row in rows:
            found.setdefault(row["customer_id"], set()).add(row["technology"])
        return found

    async def customers_using(self, name: str) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT customer_id FROM technologies WHERE technology = ?", (name,)
        )
        return {row["customer_id"] for row in rows}


def _record(row: Any) -> TechnologyRecord:
    return TechnologyRecord(
        customer_id=row["customer_id"],
        name=row["technology"],
        category=row["category"],
        method=row["method"],
        evidence=row["evidence"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
    )
