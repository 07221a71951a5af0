"""The store: every repository over one database, opened from a path or URL."""

from __future__ import annotations

from pathlib import Path

from storage.audit import AuditRepository, SqliteAuditRepository
from storage.customers import CustomerRepository, SqliteCustomerRepository
from storage.db import Database
from storage.documents import DocumentRepository, SqliteDocumentRepository
from storage.frontier import FrontierRepository, SqliteFrontierRepository
from storage.jobs import JobRepository, SqliteJobRepository
from storage.protocols import SqlDatabase
from storage.reports import ReportRepository, SqliteReportRepository
from storage.runs import RunRepository, SqliteRunRepository
from storage.scores import ScoreRepository, SqliteScoreRepository
from storage.sessions import SessionRepository, SqliteSessionRepository
from storage.settings import StorageSettings
from storage.signals import SignalRepository, SqliteSignalRepository
from storage.technologies import SqliteTechnologyRepository, TechnologyRepository
from storage.users import SqliteUserRepository, UserRepository


class Store:
    """Repositories sharing one database; callers depend on the repositories' Protocols.

    Each backend builds its own (:func:`sqlite_store`, :func:`storage.postgres.store.postgres_store`)
    from repository classes the type checker holds to those Protocols."""

    def __init__(
        self,
        db: SqlDatabase,
        *,
        customers: CustomerRepository,
        runs: RunRepository,
        frontier: FrontierRepository,
        documents: DocumentRepository,
        technologies: TechnologyRepository,
        signals: SignalRepository,
        scores: ScoreRepository,
        jobs: JobRepository,
        reports: ReportRepository,
        users: UserRepository,
        audit: AuditRepository,
        sessions: SessionRepository,
    ):
        self.db = db
        self.customers = customers
        self.runs = runs
        self.frontier = frontier
        self.documents = documents
        self.technologies = technologies
        self.signals = signals
        self.scores = scores
        self.jobs = jobs
        self.reports = reports
        self.users = users
        self.audit = audit
        self.sessions = sessions

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def store_over(db: SqlDatabase, *, frontier: FrontierRepository, signals: SignalRepository) -> Store:
    """The store over an open database: every repository is the plain-SQL one both backends
    share, except the two that lease work (the frontier and the classification queue), which
    each backend gives its own."""
    return Store(
        db,
        customers=SqliteCustomerRepository(db),
        runs=SqliteRunRepository(db),
        frontier=frontier,
        documents=SqliteDocumentRepository(db),
        technologies=SqliteTechnologyRepository(db),
        signals=signals,
        scores=SqliteScoreRepository(db),
        jobs=SqliteJobRepository(db),
        reports=SqliteReportRepository(db),
        users=SqliteUserRepository(db),
        audit=SqliteAuditRepository(db),
        sessions=SqliteSessionRepository(db),
    )


def sqlite_store(db: Database) -> Store:
    """The store over an open SQLite database."""
    return store_over(db, frontier=SqliteFrontierRepository(db), signals=SqliteSignalRepository(db))


async def open_store(
    target: str | Path, settings: StorageSettings | None = None, *, reading: bool = False
) -> Store:
    """Open (and migrate) the database at a file path (SQLite) or a ``postgresql://`` URL;
    ``reading``: for a caller that only reads (a read-only folder is then no obstacle)."""
    settings = settings or StorageSettings()
    url = _postgres_url(target)
    if url is not None:
        # Imported here so SQLite users never need the PostgreSQL driver.
        from storage.postgres.store import open_postgres_store

        return await open_postgres_store(url, pool_size=settings.readers + 2)
    db = await Database.open(Path(target), readers=settings.readers, reading=reading)
    return sqlite_store(db)


def _postgres_url(target: str | Path) -> str | None:
    """The PostgreSQL URL in ``target``, also when a caller passed it through ``Path()``
    (which folds ``postgresql://`` into ``postgresql:/``)."""
    text = str(target)
    for scheme in ("postgresql:", "postgres:"):
        if text.startswith(scheme + "/"):
            return f"{scheme}//{text[len(scheme) :].lstrip('/')}"
    return None
