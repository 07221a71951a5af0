"""The store: every repository over one database, opened from a path or URL."""

from __future__ import annotations

from pathlib import Path

from storage.customers import SqliteCustomerRepository
from storage.db import Database
from storage.documents import SqliteDocumentRepository
from storage.frontier import SqliteFrontierRepository
from storage.jobs import SqliteJobRepository
from storage.reports import SqliteReportRepository
from storage.runs import SqliteRunRepository
from storage.scores import SqliteScoreRepository
from storage.settings import StorageSettings
from storage.signals import SqliteSignalRepository
from storage.technologies import SqliteTechnologyRepository


class Store:
    """Repositories sharing one database; callers depend on the repositories' Protocols."""

    def __init__(self, db: Database):
        self.db = db
        self.customers = SqliteCustomerRepository(db)
        self.runs = SqliteRunRepository(db)
        self.frontier = SqliteFrontierRepository(db)
        self.documents = SqliteDocumentRepository(db)
        self.technologies = SqliteTechnologyRepository(db)
        self.signals = SqliteSignalRepository(db)
        self.scores = SqliteScoreRepository(db)
        self.jobs = SqliteJobRepository(db)
        self.reports = SqliteReportRepository(db)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


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
    return Store(db)


def _postgres_url(target: str | Path) -> str | None:
    """The PostgreSQL URL in ``target``, also when a caller passed it through ``Path()``
    (which folds ``postgresql://`` into ``postgresql:/``)."""
    text = str(target)
    for scheme in ("postgresql:", "postgres:"):
        if text.startswith(scheme + "/"):
            return f"{scheme}//{text[len(scheme) :].lstrip('/')}"
    return None
