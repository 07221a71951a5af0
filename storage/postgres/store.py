"""A :class:`storage.store.Store` whose repositories run on PostgreSQL."""

from __future__ import annotations

from storage.audit import SqliteAuditRepository
from storage.customers import SqliteCustomerRepository
from storage.documents import SqliteDocumentRepository
from storage.jobs import SqliteJobRepository
from storage.postgres.db import PgDatabase
from storage.postgres.frontier import PgFrontierRepository
from storage.postgres.signals import PgSignalRepository
from storage.reports import SqliteReportRepository
from storage.runs import SqliteRunRepository
from storage.scores import SqliteScoreRepository
from storage.sessions import SqliteSessionRepository
from storage.store import Store
from storage.technologies import SqliteTechnologyRepository
from storage.users import SqliteUserRepository


def postgres_store(db: PgDatabase) -> Store:
    """The store over an open PostgreSQL database: the frontier and the classification queue
    lease with ``FOR UPDATE SKIP LOCKED``; the other repositories are the shared ones."""
    return Store(
        db,
        customers=SqliteCustomerRepository(db),
        runs=SqliteRunRepository(db),
        frontier=PgFrontierRepository(db),
        documents=SqliteDocumentRepository(db),
        technologies=SqliteTechnologyRepository(db),
        signals=PgSignalRepository(db),
        scores=SqliteScoreRepository(db),
        jobs=SqliteJobRepository(db),
        reports=SqliteReportRepository(db),
        users=SqliteUserRepository(db),
        audit=SqliteAuditRepository(db),
        sessions=SqliteSessionRepository(db),
    )


async def open_postgres_store(url: str, *, pool_size: int = 4) -> Store:
    """Open (and migrate) the PostgreSQL database at ``url``."""
    return postgres_store(await PgDatabase.open(url, pool_size=pool_size))
