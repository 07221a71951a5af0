"""The same storage error classes on SQLite and PostgreSQL, hence the same exit codes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pg_errors

from common.errors import NotFoundError, StorageFailure
from storage.db import Database, translate
from storage.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseMissing,
    DatabaseReadOnly,
    DiskFull,
    IntegrityViolation,
    SchemaTooNew,
    StorageError,
)
from storage.postgres.db import PgDatabase, translate_error
from storage.store import Store, open_store
from tests.support.storage import BACKENDS, empty_target

ORPHAN_PRODUCT = (
    "INSERT INTO products(customer_id, product, quantity, status) VALUES ('nobody', 'Azure', 1, 'active')"
)


def test_the_families_are_the_common_ones() -> None:
    assert issubclass(StorageError, StorageFailure)
    assert issubclass(DatabaseMissing, NotFoundError)
    assert not issubclass(DatabaseMissing, StorageFailure)
    for error in (DatabaseBusy, DatabaseReadOnly, DiskFull, SchemaTooNew, DatabaseDamaged, IntegrityViolation):
        assert issubclass(error, StorageError)


async def test_an_integrity_violation_is_the_same_error(any_store: Store) -> None:
    with pytest.raises(IntegrityViolation) as caught:
        await any_store.db.execute(ORPHAN_PRODUCT)
    assert not caught.value.retryable
    assert (await any_store.db.fetchone("SELECT COUNT(*) FROM products"))[0] == 0


async def test_an_integrity_violation_inside_a_transaction_rolls_it_back(any_store: Store) -> None:
    with pytest.raises(IntegrityViolation):
        async with any_store.db.transaction() as conn:
            await conn.execute("INSERT INTO runs(kind, started_at) VALUES ('x', 1)")
            await conn.execute(ORPHAN_PRODUCT)
    assert (await any_store.db.fetchone("SELECT COUNT(*) FROM runs"))[0] == 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_schema_too_new_is_the_same_error(backend: str, tmp_path: Path) -> None:
    with empty_target(backend, tmp_path) as target:
        async with await open_store(target) as store:
            await store.db.execute(
                "INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, 'future', 0)"
            )
        with pytest.raises(SchemaTooNew):
            await open_store(target)


async def test_busy_is_the_same_error_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storage.db.BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "ascent.db"
    async with await Database.open(path):
        pass
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        async with await Database.open(path, migrate=False) as db:
            with pytest.raises(DatabaseBusy) as caught:
                await db.execute("INSERT INTO runs(kind, started_at) VALUES ('x', 1)")
            assert caught.value.retryable
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.mark.postgres
async def test_busy_is_the_same_error_on_postgres(migrated_pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storage.postgres.db.LOCK_TIMEOUT_MS", 200)
    async with await PgDatabase.open(migrated_pg_url, pool_size=2, migrate=False) as db:
        await db.execute("INSERT INTO runs(kind, started_at) VALUES ('x', 1)")
        holding = asyncio.Event()
        release = asyncio.Event()

        async def hold() -> None:
            async with db.transaction() as conn:
                await conn.execute("UPDATE runs SET kind = 'held'")
                holding.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await holding.wait()
        try:
            with pytest.raises(DatabaseBusy) as caught:
                await db.execute("UPDATE runs SET kind = 'other'")
            assert caught.value.retryable
        finally:
            release.set()
            await holder
        await db.execute("DELETE FROM runs")


async def test_read_only_is_the_same_error_on_sqlite(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "ascent.db") as db:
        await db._writer.execute("PRAGMA query_only = ON")  # the file refuses writes
        with pytest.raises(DatabaseReadOnly):
            await db.execute("INSERT INTO runs(kind, started_at) VALUES ('x', 1)")


@pytest.mark.postgres
async def test_read_only_is_the_same_error_on_postgres(migrated_pg_url: str) -> None:
    read_only = migrated_pg_url.replace("-csearch_path", "-cdefault_transaction_read_only%3Don%20-csearch_path")
    assert read_only != migrated_pg_url
    async with await PgDatabase.open(read_only, pool_size=1, migrate=False) as db:
        with pytest.raises(DatabaseReadOnly):
            await db.execute("INSERT INTO runs(kind, started_at) VALUES ('x', 1)")


SQLITE_ERRORS = [
    (sqlite3.IntegrityError("UNIQUE constraint failed: jobs.name"), IntegrityViolation),
    (sqlite3.OperationalError("database is locked"), DatabaseBusy),
    (sqlite3.OperationalError("attempt to write a readonly database"), DatabaseReadOnly),
    (sqlite3.OperationalError("database or disk is full"), DiskFull),
    (sqlite3.DatabaseError("database disk image is malformed"), DatabaseDamaged),
]
POSTGRES_ERRORS = [
    (pg_errors.UniqueViolation("duplicate key value violates unique constraint"), IntegrityViolation),
    (pg_errors.ForeignKeyViolation("violates foreign key constraint"), IntegrityViolation),
    (pg_errors.LockNotAvailable("canceling statement due to lock timeout"), DatabaseBusy),
    (pg_errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), DatabaseReadOnly),
    (pg_errors.DiskFull("could not extend file: No space left on device"), DiskFull),
    (pg_errors.DataCorrupted("invalid page in block 0"), DatabaseDamaged),
]


@pytest.mark.parametrize(("error", "expected"), SQLITE_ERRORS)
def test_sqlite_errors_map_to_the_storage_classes(error: sqlite3.Error, expected: type[StorageError]) -> None:
    assert type(translate(error)) is expected


@pytest.mark.parametrize(("error", "expected"), POSTGRES_ERRORS)
def test_postgres_errors_map_to_the_same_classes(error: psycopg.Error, expected: type[StorageError]) -> None:
    assert type(translate_error(error)) is expected


def test_both_backends_cover_the_same_classes() -> None:
    assert {e for _, e in SQLITE_ERRORS} == {e for _, e in POSTGRES_ERRORS}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_schema_too_new_exits_4_with_one_line_on_both_backends(backend: str, tmp_path: Path) -> None:
    with empty_target(backend, tmp_path) as target:

        async def too_new() -> None:
            async with await open_store(target) as store:
                await store.db.execute(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, 'future', 0)"
                )

        asyncio.run(too_new())
        done = subprocess.run(
            [sys.executable, "-m", "scripts.cli", "--db", target, "explain", "contoso.com"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "newer" in lines[0] and lines[0].startswith("ascent: database:")
