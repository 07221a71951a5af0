"""Advisory locks: one holder per name across every process sharing a PostgreSQL database.

``async with exclusive(store.db, "monthly:2026-11") as held:`` — ``held`` is False when
another process holds the lock (the caller skips its work), True otherwise. The lock lives
on one pooled connection for the whole block and is released when the block ends or the
holder's connection dies, so a crashed monthly run never blocks the next month. On SQLite
(one database file, one writer) the lock is always granted.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (same in every process and machine)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def monthly_lock_name(month: str) -> str:
    return f"ascent:monthly:{month}"


@asynccontextmanager
async def exclusive(db: object, name: str) -> AsyncIterator[bool]:
    """Try to take the advisory lock ``name`` for the block; never waits."""
    # Looked up, not imported: where the PostgreSQL backend was never loaded (no driver
    # installed) no database can be a PostgreSQL one.
    backend = sys.modules.get("storage.postgres.db")
    if backend is None or not isinstance(db, backend.PgDatabase):
        yield True
        return
    key = lock_key(name)
    async with db.connection() as conn:
        cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        row = await cursor.fetchone()
        held = bool(row and row[0])
        try:
            yield held
        finally:
            if held and not conn.closed:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
