"""A :class:`storage.store.Store` whose repositories run on PostgreSQL."""

from __future__ import annotations

from typing import Any, cast

from storage.postgres.db import PgDatabase
from storage.postgres.frontier import PgFrontierRepository
from storage.postgres.signals import PgSignalRepository
from storage.store import Store


async def open_postgres_store(url: str, *, pool_size: int = 4) -> Store:
    """Open (and migrate) the PostgreSQL database at ``url``.

    Every repository runs its SQLite SQL through the dialect translator; the frontier and the
    classification queue are replaced by versions that lease with ``FOR UPDATE SKIP LOCKED``."""
    db = await PgDatabase.open(url, pool_size=pool_size)
    store = Store(cast(Any, db))
    store.frontier = PgFrontierRepository(cast(Any, db))
    store.signals = PgSignalRepository(cast(Any, db))
    return store
