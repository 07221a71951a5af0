"""Helpers for tests that run on both storage backends: the backend parameter, a scratch
PostgreSQL schema, and the rule for a missing server (skip on a laptop, fail in CI)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from storage.customers import Customer
from storage.postgres.scratch import scratch_schema, unavailable_reason
from storage.store import Store, open_store

# Set in CI (.ci/run): a machine that should have PostgreSQL fails its tests without one.
REQUIRE_POSTGRES = "ASCENT_REQUIRE_POSTGRES"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES, "").strip() not in ("", "0")


def no_postgres(reason: str) -> NoReturn:
    """Stop a test that needs PostgreSQL: a skip that says why, or a failure where
    ``ASCENT_REQUIRE_POSTGRES`` says the server must be there."""
    if postgres_required():
        pytest.fail(f"PostgreSQL is required ({REQUIRE_POSTGRES}=1) but unusable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def check_postgres() -> None:
    """Skip (or fail, see :func:`no_postgres`) unless a PostgreSQL server answers."""
    reason = unavailable_reason()
    if reason is not None:
        no_postgres(reason)


@contextmanager
def empty_target(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new database target on ``backend``: a SQLite file path under ``tmp_path``, or the URL
    of a scratch PostgreSQL schema dropped afterwards."""
    if backend == "postgres":
        check_postgres()
        with scratch_schema() as url:
            yield url
    else:
        yield str(tmp_path / "ascent.db")


@contextmanager
def migrated_scratch_schema() -> Iterator[str]:
    """A scratch schema with every migration applied; its URL."""
    check_postgres()
    with scratch_schema() as url:
        # A thread of its own: the caller may be a fixture inside a running event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _migrate(url)).result()
        yield url


async def _migrate(url: str) -> None:
    store = await open_store(url)
    await store.close()


async def empty_postgres_tables(store: Store) -> None:
    """Delete every row but the migration record, so one migrated schema serves many tests."""
    rows = await store.db.fetchall(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename <> 'schema_migrations'"
    )
    tables = [str(r[0]) for r in rows]
    async with store.db.transaction() as conn:
        # DELETE beats TRUNCATE on tiny tables; customers first, its rows cascade.
        for table in sorted(tables, key=lambda t: t != "customers"):
            await conn.execute(f"DELETE FROM {table}")


@asynccontextmanager
async def backend_store(backend: str, tmp_path: Path, pg_url: str | None) -> AsyncIterator[Store]:
    """An empty, migrated store on ``backend`` ("sqlite": a file under ``tmp_path``;
    "postgres": the scratch schema at ``pg_url``, emptied first)."""
    if backend == "sqlite":
        store = await open_store(tmp_path / "ascent.db")
    else:
        if pg_url is None:
            no_postgres(unavailable_reason() or "no scratch schema")
        store = await open_store(pg_url)
        await empty_postgres_tables(store)
    try:
        yield store
    finally:
        await store.close()


def a_customer(cid: str = "C1", name: str = "Contoso", revenue: float = 12.5) -> Customer:
    """A customer with every column filled (domain ``<cid>.example``)."""
    return Customer(
        customer_id=cid,
        account_name=name,
        domain=f"{cid.lower()}.example",
        org_size=250,
        industry="Retail",
        vertical="",
        city="Seattle",
        state="WA",
        postal_code="98101",
        country="US",
        is_nonprofit=False,
        azure_monthly_revenue=revenue,
        partner_id="P1",
        partner_name="Partner",
        sub_segment="SMB",
    )


@dataclass(frozen=True)
class Technology:
    """A technology as the crawler observes it (storage.technologies.ObservedTechnology)."""

    name: str
    category: str
    method: str
    evidence: str


def one_technology() -> Technology:
    return Technology("Microsoft 365", "email", "dns_mx", "mx.outlook.com")
