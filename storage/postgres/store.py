"""A :class:`storage.store.Store` whose repositories run on PostgreSQL."""

from __future__ import annotations

from storage.postgres.db import PgDatabase
from storage.postgres.frontier import PgFrontierRepository
from storage.postgres.signals import PgSignalRepository
from storage.store import Store, store_over


def postgres_store(db: PgDatabase) -> Store:
    """The store over an open PostgreSQL database: the frontier and the classification queue
    lease with ``FOR UPDATE SKIP LOCKED``; the other repositories are the shared ones."""
    return store_over(db, frontier=PgFrontierRepository(db), signals=PgSignalRepository(db))


async def open_postgres_store(url: str, *, pool_size: int = 4) -> Store:
    """Open (and migrate) the PostgreSQL database at ``url``."""
    return postgres_store(await PgDatabase.open(url, pool_size=pool_size))
