"""The SQLite layer: pragmas, migrations, one writer, readers beside it, translated errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database, migration_scripts
from storage.errors import IntegrityViolation, SchemaTooNew


async def test_pragmas_and_schema(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] >= 5000
        assert await db.schema_version() == migration_scripts()[-1][0]
        assert await db.integrity_check() == "ok"


async def test_migrate_is_idempotent(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        assert await db.migrate() == []
    async with await Database.open(db_path) as db:
        assert await db.migrate() == []


async def test_refuses_a_newer_schema(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        await db.execute(
            "INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, 'future', 0)"
        )
    with pytest.raises(SchemaTooNew):
        await Database.open(db_path)


async def test_failed_transaction_rolls_back(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO runs(kind, started_at) VALUES ('x', 1)")
                raise RuntimeError("boom")
        assert (await db.fetchone("SELECT COUNT(*) FROM runs"))[0] == 0


async def test_foreign_keys_are_enforced(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        with pytest.raises(IntegrityViolation):
            await db.execute(
                "INSERT INTO products(customer_id, product, quantity, status)"
                " VALUES ('nobody', 'Azure', 1, 'active')"
            )


async def test_readers_do_not_block_the_writer(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO runs(kind, started_at) VALUES ('a', 1)")
            # A reader sees the last committed state while the write is open.
            assert (await db.fetchone("SELECT COUNT(*) FROM runs"))[0] == 0
        assert (await db.fetchone("SELECT COUNT(*) FROM runs"))[0] == 1


async def test_concurrent_writes_are_serialised(db_path: Path) -> None:
    async with await Database.open(db_path) as db:

        async def write(i: int) -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO runs(kind, started_at) VALUES (?, ?)", (str(i), i))

        await asyncio.gather(*(write(i) for i in range(50)))
        assert (await db.fetchone("SELECT COUNT(*) FROM runs"))[0] == 50


