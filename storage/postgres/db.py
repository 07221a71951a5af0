"""PostgreSQL connections behind the same surface as :class:`storage.db.Database`.

The repositories only call ``transaction()`` (a connection whose ``execute`` and
``executemany`` return a cursor with ``rowcount``, ``lastrowid``, ``fetchone`` and
``fetchall``), ``fetchall``, ``fetchone``, ``execute``, ``integrity_check`` and ``close``
(:class:`storage.protocols.SqlDatabase`). :class:`PgDatabase` offers exactly that over a
small pool of psycopg 3 async connections; the statements are the repositories' own, with
only their ``?`` parameter markers given psycopg's form. Unlike SQLite, writers do
not queue behind one lock: transactions run concurrently at READ COMMITTED, and a
serialization failure, deadlock or lock timeout surfaces as the retryable
:class:`storage.errors.DatabaseBusy`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

from storage.db import OpenConnections, _split_sql
from storage.dialect import POSTGRES, SqlDialect
from storage.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseReadOnly,
    DiskFull,
    IntegrityViolation,
    SchemaTooNew,
    StorageError,
)
from storage.postgres.dialect import format_paramstyle
from storage.postgres.functions import COMPAT_FUNCTIONS

# Any 64-bit constant: every ascent process migrating one database queues on this lock.
MIGRATION_LOCK = 0x61736365_6E74_0001
CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT_MS = 10_000



def translate_error(exc: psycopg.Error) -> StorageError:
    """The storage error a psycopg error stands for: the same class SQLite's would map to."""
    busy = (
        pg_errors.SerializationFailure,
        pg_errors.DeadlockDetected,
        pg_errors.LockNotAvailable,
        pg_errors.QueryCanceled,
        pg_errors.TooManyConnections,
    )
    if isinstance(exc, busy):
        return DatabaseBusy(str(exc))
    if isinstance(exc, pg_errors.IntegrityError):
        return IntegrityViolation(str(exc))
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.InsufficientPrivilege):
        return DatabaseReadOnly(str(exc))
    if isinstance(exc, pg_errors.DiskFull):
        return DiskFull(str(exc))
    if isinstance(exc, pg_errors.DataCorrupted | pg_errors.IndexCorrupted):
        return DatabaseDamaged(f"{exc}: the database is damaged; restore it from a backup")
    if isinstance(exc, psycopg.OperationalError):
        return DatabaseBusy(str(exc))  # the server went away or refused: worth a retry
    return StorageError(str(exc))


class Row(Sequence[Any]):
    """A result row that behaves like ``sqlite3.Row``: index and name access, ``keys()``,
    ``dict(row)``, iteration over values."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: Sequence[Any]):
        self._names = names
        self._values = tuple(values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._names.index(key)]
            except ValueError:
                lowered = key.lower()
                for name, value in zip(self._names, self._values, strict=True):
                    if name.lower() == lowered:
                        return value
                raise IndexError(f"no such column: {key}") from None
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._values == other._values and self._names == other._names
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def _row_factory(cursor: Any) -> Any:
    names = tuple(c.name for c in cursor.description or ())

    def make(values: Sequence[Any]) -> Row:
        return Row(names, values)

    return make


class _NumericLoader(Loader):
    """NUMERIC (what SUM/AVG of integers return) as int or float, like SQLite, not Decimal."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        if text in ("NaN", "Infinity", "-Infinity"):
            return float(text)
        return int(text) if "." not in text and "e" not in text.lower() else float(text)


class Cursor:
    """The result of one statement, with sqlite3's cursor surface (awaitable fetches)."""

    def __init__(self, rows: list[Row], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount
        # Keys come back by RETURNING on both backends; sqlite3's lastrowid has no equal here.
        self.lastrowid: int | None = None

    async def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int = 1) -> list[Row]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []


class Connection:
    """One PostgreSQL connection with sqlite3's surface (``?`` parameters, cursors)."""

    def __init__(self, raw: psycopg.AsyncConnection[Any]):
        self.raw = raw
        # Accepted for callers written for aiosqlite; rows always index by position and name.
        self.row_factory: Any = None

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Cursor:
        try:
            cursor = self.raw.cursor(row_factory=_row_factory)
            await cursor.execute(format_paramstyle(sql).encode(), tuple(params))
            rows = await cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as exc:
            raise translate_error(exc) from exc
        return Cursor(list(rows), cursor.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        batch = [tuple(r) for r in rows]
        if not batch:
            return Cursor([], 0)
        try:
            cursor = self.raw.cursor()
            await cursor.executemany(format_paramstyle(sql).encode(), batch)
        except psycopg.Error as exc:
            raise translate_error(exc) from exc
        return Cursor([], cursor.rowcount)


class PgDatabase(OpenConnections):
    """A PostgreSQL database with a small pool of connections (same surface as Database)."""

    def __init__(self, url: str, connections: list[psycopg.AsyncConnection[Any]]):
        self.url = url
        self.path = url  # what callers print where SQLite prints its file
        self.dialect: SqlDialect = POSTGRES
        self._pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        for conn in connections:
            self._pool.put_nowait(conn)
        self._all = list(connections)

    @classmethod
    async def open(cls, url: str, *, pool_size: int = 4, migrate: bool = True) -> PgDatabase:
        connections = []
        try:
            for _ in range(max(1, pool_size)):
                connections.append(await _connect(url))
        except psycopg.Error as exc:
            for conn in connections:
                await conn.close()
            raise translate_error(exc) from exc
        return await cls(url, connections)._migrated(migrate)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A raw connection from the pool (autocommit; reopened if the server dropped it)."""
        conn = await self._pool.get()
        try:
            if conn.closed or conn.broken:
                self._all.remove(conn)
                conn = await _connect(self.url)
                self._all.append(conn)
            yield conn
        except psycopg.Error as exc:
            raise translate_error(exc) from exc
        finally:
            self._pool.put_nowait(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One all-or-nothing READ COMMITTED transaction on a pooled connection."""
        async with self.connection() as raw:
            try:
                async with raw.transaction():
                    yield Connection(raw)
            except psycopg.Error as exc:
                raise translate_error(exc) from exc

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Connection]:
        """A pooled connection for reads outside a transaction (as Database.reader)."""
        async with self.connection() as raw:
            yield Connection(raw)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self.connection() as raw:
            cursor = await Connection(raw).execute(sql, params)
            return await cursor.fetchall()

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write statement in its own transaction; returns the rows changed.

        A single statement is safe to repeat, so a busy database is retried a few times."""
        params = tuple(params)
        for attempt in range(3):
            try:
                async with self.transaction() as conn:
                    return (await conn.execute(sql, params)).rowcount
            except DatabaseBusy:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if row is None or not row[0]:
            return 0
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    async def migrate(self) -> list[str]:
        """Apply every migration not yet applied, one transaction each, under an advisory lock
        so that workers starting together migrate once."""
        applied: list[str] = []
        async with self.connection() as raw:
            await raw.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                async with raw.transaction():
                    for function in COMPAT_FUNCTIONS:
                        await raw.execute(function.encode())
                    await raw.execute(
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
                        " applied_at DOUBLE PRECISION NOT NULL)"
                    )
                cursor = await raw.execute("SELECT version FROM schema_migrations")
                done = {int(r[0]) for r in await cursor.fetchall()}
                scripts = postgres_migration_scripts()
                newest = scripts[-1][0] if scripts else 0
                if max(done, default=0) > newest:
                    raise SchemaTooNew(f"schema version {max(done)} is newer than {newest}")
                for version, name, statements in scripts:
                    if version in done:
                        continue
                    async with raw.transaction():
                        for statement in statements:
                            await raw.execute(statement.encode())
                        await raw.execute(
                            "INSERT INTO schema_migrations(version, name, applied_at) VALUES (%s, %s, %s)",
                            (version, name, time.time()),
                        )
                    applied.append(name)
            finally:
                await raw.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        return applied

    async def integrity_check(self) -> str:
        """``ok`` when the server answers and every migration is applied (PostgreSQL checks
        its own pages; there is no PRAGMA integrity_check to run)."""
        newest = max((v for v, _, _ in postgres_migration_scripts()), default=0)
        current = await self.schema_version()
        return "ok" if current == newest else f"schema version {current}, expected {newest}"


def postgres_migration_scripts() -> list[tuple[int, str, list[str]]]:
    """(version, name, statements) of every PostgreSQL migration, oldest first: the files in
    ``storage/postgres/migrations``, one for each SQLite migration of the same number."""
    folder = resources.files("storage.postgres") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql") and entry.name[:4].isdigit():
            text = entry.read_text(encoding="utf-8")
            scripts.append((int(entry.name[:4]), entry.name, [s for s in _split_sql(text) if s.strip()]))
    return sorted(scripts)


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    conn.adapters.register_loader("numeric", _NumericLoader)
    # A writer waiting on another's row lock gives up (retryably) instead of hanging forever.
    await conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    await conn.execute("SET TIME ZONE 'UTC'")
    return conn
