"""The audit trail: who did what to whom, when, and how it ended. Append-only: entries are
written and read, never changed or deleted.

:func:`append` writes an entry inside a caller's transaction, so a change and its audit entry
are stored together or not at all (see :mod:`storage.users`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from storage.protocols import SqlConnection, SqlDatabase

OK, REFUSED = "ok", "refused"


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    target: str
    outcome: str
    detail: str = ""
    audit_id: int = 0


class AuditRepository(Protocol):
    async def record(self, actor: str, action: str, target: str, outcome: str, detail: str = "") -> None: ...
    async def recent(self, limit: int) -> list[AuditEntry]: ...


class SqliteAuditRepository:
    """Plain SQL that SQLite and PostgreSQL both accept as written."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def record(self, actor: str, action: str, target: str, outcome: str, detail: str = "") -> None:
        """An entry that goes with no stored change (a refused sign-in, say)."""
        async with self.db.transaction() as conn:
            await append(conn, actor, action, target, outcome, detail)

    async def recent(self, limit: int) -> list[AuditEntry]:
        """The newest ``limit`` entries, newest first."""
        rows = await self.db.fetchall("SELECT * FROM audit ORDER BY at DESC, audit_id DESC LIMIT ?", (limit,))
        return [_entry(r) for r in rows]


async def append(
    conn: SqlConnection, actor: str, action: str, target: str, outcome: str, detail: str = ""
) -> None:
    await conn.execute(
        "INSERT INTO audit(at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (time.time(), actor, action, target, outcome, detail),
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        at=float(row["at"]),
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        outcome=row["outcome"],
        detail=row["detail"],
        audit_id=int(row["audit_id"]),
    )
