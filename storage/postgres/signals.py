"""The classification queue on PostgreSQL: workers lease unclassified documents with
``FOR UPDATE SKIP LOCKED``, so any number of classifiers share one database without ever
taking the same document, and a dead classifier's documents come back when its lease ends."""

from __future__ import annotations

import time
from typing import Any

from storage.postgres.locks import lock_key
from storage.signals import PendingDocument, SqliteSignalRepository, _pending


class PgSignalRepository(SqliteSignalRepository):
    """The SQLite signal repository with a lock-free, contention-free document lease."""

    async def lease_pending(
        self, owner: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[PendingDocument]:
        now = time.time() if now is None else now
        if limit <= 0:
            return []
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT document_id FROM documents WHERE classified_at IS NULL"
                " AND (classify_lease_until IS NULL OR classify_lease_until < ?"
                "      OR classify_lease_owner = ?)"
                " ORDER BY fetched_at, document_id LIMIT ? FOR UPDATE SKIP LOCKED",
                (now, owner, limit),
            )
            ids = [int(r[0]) for r in await cursor.fetchall()]
            if not ids:
                return []
            await conn.execute(
                "UPDATE documents SET classify_lease_owner = ?, classify_lease_until = ?"
                " WHERE document_id = ANY(?::bigint[])",
                (owner, now + lease_s, ids),
            )
        rows: list[Any] = await self.db.fetchall(
            "SELECT d.document_id, d.customer_id, c.account_name, c.domain, d.url, d.kind,"
            " d.source_kind, d.title, d.published, d.language, d.content_type,"
            " d.fetched_at, d.body FROM documents d"
            " JOIN customers c ON c.customer_id = d.customer_id"
            " WHERE d.document_id = ANY(?::bigint[]) ORDER BY d.fetched_at, d.document_id",
            (ids,),
        )
        return [_pending(r) for r in rows]

    async def _one_saver_per_site(self, conn: Any, customer_id: str) -> None:
        """Two workers saving pages of one site at once could each miss the other's page when
        deciding which carries a shared passage's signal; a transaction-scoped advisory lock
        per customer puts their saves one after the other (and is freed at commit)."""
        await conn.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(f"ascent:classify:{customer_id}"),))
