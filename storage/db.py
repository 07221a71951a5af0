"""SQLite connections: WAL, foreign keys, busy timeout, one writer, many readers.

Every write goes through :meth:`Database.transaction`, which serialises writers inside the
process with a lock and across processes with ``BEGIN IMMEDIATE``; readers use their own
connections so they never block the writer (WAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import aiosqlite

from storage.dialect import SQLITE, SqlDialect
from storage.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseReadOnly,
    DiskFull,
    IntegrityViolation,
    SchemaTooNew,
    StorageError,
)

BUSY_TIMEOUT_MS = 10_000


def is_storage_failure(exc: BaseException) -> bool:
    """An error of the file or its surroundings (locked, read-only, full, I/O, damaged), as
    opposed to one of the SQL itself (a constraint, a programming error)."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def translate(exc: sqlite3.Error) -> StorageError:
    """The storage error an sqlite3 error stands for (one line for the user)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityViolation(str(exc))
    message = str(exc).lower()
    if "malformed" in message or "not a database" in message:
        return DatabaseDamaged(f"{exc}: the file is damaged; restore it from a backup")
    if "locked" in message or "busy" in message:
        return DatabaseBusy(str(exc))
    if "readonly" in message or "read-only" in message:
        return DatabaseReadOnly(str(exc))
    if "full" in message:
        return DiskFull(str(exc))
    return StorageError(str(exc))


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every bundled migration, oldest first."""
    folder = resources.files("storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


async def _configure(conn: aiosqlite.Connection) -> None:
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    conn.row_factory = aiosqlite.Row


class OpenConnections:
    """What both backends' databases share: the connections they own, closed together, and
    the migration run on opening (a database that cannot be migrated is closed again)."""

    _all: list[Any]

    async def migrate(self) -> list[str]:
        raise NotImplementedError

    async def _migrated(self, migrate: bool) -> Self:
        return await self._checked(self.migrate if migrate else None)

    async def _checked(self, check: Callable[[], Awaitable[object]] | None) -> Self:
        """Run ``check`` (the migration, a schema check) on the freshly opened connections;
        they are closed again when it fails."""
        if check is not None:
            try:
                await check()
            except BaseException:
                await self.close()
                raise
        return self

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Database(OpenConnections):
    """An open SQLite database file with one writer connection and a small reader pool."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, readers: list[aiosqlite.Connection]):
        self.path = path
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in readers:
            self._readers.put_nowait(reader)
        self._all = [writer, *readers]
        self._writer_read_only = False
        self.read_only = False  # opened read-only because its folder cannot be written
        self.dialect: SqlDialect = SQLITE

    @classmethod
    async def open(
        cls, path: str | Path, *, readers: int = 2, migrate: bool = True, reading: bool = False
    ) -> Database:
        """Open (and migrate) a database file. For a caller that only reads (``reading``), a
        file whose folder cannot be written (a read-only mount or folder) is opened read-only
        (:meth:`open_read_only`), so it can still be read there."""
        path = Path(path)
        if reading and path.is_file() and not os.access(path.parent, os.W_OK):
            return await cls.open_read_only(path, readers=readers)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseReadOnly(f"{path.parent}: cannot create the folder: {exc.strerror}") from exc
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
            opened.append(writer)
            await _configure(writer)
            mode = await (await writer.execute("PRAGMA journal_mode = WAL")).fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise DatabaseReadOnly(f"{path}: cannot switch to WAL journal mode")
            for _ in range(readers):
                reader = await aiosqlite.connect(path, isolation_level=None)
                opened.append(reader)
                await _configure(reader)
                await reader.execute("PRAGMA query_only = ON")
        except (sqlite3.Error, DatabaseReadOnly) as exc:
            # An open connection keeps aiosqlite's thread (and so the process) alive.
            for conn in opened:
                with contextlib.suppress(Exception):
                    await conn.close()
            if isinstance(exc, DatabaseReadOnly):
                raise
            raise _with_reason(translate(exc), path) from exc
        return await cls(path, opened[0], opened[1:])._migrated(migrate)

    @classmethod
    async def open_read_only(cls, path: Path, *, readers: int = 2) -> Database:
        """Open a database whose folder cannot be written, for reading only.

        WAL mode needs a ``-shm`` file beside the database; where none can be created SQLite
        cannot even read (“unable to open database file”). With no unsaved write-ahead log
        the main file is complete, so it is opened ``immutable`` (no locks, no ``-shm``);
        with one, the log must be read through the ``-shm`` another process keeps, else the
        newest writes would be missed, and opening says so instead. Nothing is migrated:
        a schema older than this ascent's is refused with the reason.
        """
        wal = Path(f"{path}-wal")
        pending_log = wal.exists() and wal.stat().st_size > 0
        mode = "mode=ro" if pending_log else "mode=ro&immutable=1"
        uri = f"file:{quote(str(path.resolve()))}?{mode}"
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in range(readers + 1):
                conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                opened.append(conn)
                await _configure(conn)
            await (await opened[0].execute("SELECT COUNT(*) FROM sqlite_master")).fetchone()
        except sqlite3.Error as exc:
            for conn in opened:
                with contextlib.suppress(Exception):
                    await conn.close()
            if pending_log and "unable to open" in str(exc).lower():
                raise DatabaseReadOnly(
                    f"{path}: its folder is read-only and {wal.name} holds writes not yet in the"
                    " database; open it once where the folder is writable, then read it here"
                ) from exc
            raise translate(exc) from exc
        database = cls(path, opened[0], opened[1:])
        database.read_only = True
        return await database._checked(database._check_schema_readable)

    async def _check_schema_readable(self) -> None:
        current = await self.schema_version()
        scripts = migration_scripts()
        newest = scripts[-1][0] if scripts else 0
        if current > newest:
            raise SchemaTooNew(f"{self.path}: schema version {current} is newer than {newest}")
        if current < newest:
            raise DatabaseReadOnly(
                f"{self.path}: written by an older ascent (schema {current}, this one needs"
                f" {newest}) and its folder is read-only, so it cannot be upgraded here"
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One all-or-nothing write transaction on the single writer connection."""
        if self.read_only:
            raise DatabaseReadOnly(f"{self.path}: opened read-only, as its folder cannot be written")
        async with self._write_lock:
            if self._writer_read_only:
                await self._reopen_writer()
            conn = self._writer
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._write_failed(exc) from exc
            try:
                yield conn
            except sqlite3.IntegrityError as exc:
                await _rollback(conn)
                raise IntegrityViolation(str(exc)) from exc
            except sqlite3.DatabaseError as exc:
                await _rollback(conn)
                if not is_storage_failure(exc):
                    raise
                # locked, read-only, disk full, I/O, a damaged file
                raise self._write_failed(exc) from exc
            except BaseException:
                await _rollback(conn)
                raise
            try:
                await conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await _rollback(conn)
                raise self._write_failed(exc) from exc

    def _write_failed(self, exc: sqlite3.Error) -> StorageError:
        error = _with_reason(translate(exc), self.path)
        if isinstance(error, DatabaseReadOnly):
            self._writer_read_only = True
        return error

    async def _reopen_writer(self) -> None:
        """Replace the writer connection after a read-only error.

        SQLite opens a file it may not write read-only and keeps that connection read-only
        for good, so a daemon started while the file or its folder was read-only would fail
        every write until restarted. A fresh connection sees write access once an operator
        restores it; until then it fails the same way and is replaced again next time.
        """
        try:
            fresh = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        try:
            await _configure(fresh)
        except sqlite3.Error as exc:
            with contextlib.suppress(Exception):
                await fresh.close()
            raise translate(exc) from exc
        stale, self._writer = self._writer, fresh
        self._all[self._all.index(stale)] = fresh
        self._writer_read_only = False
        with contextlib.suppress(Exception):
            await stale.close()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only connection from the pool (never blocks the writer)."""
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self.reader() as conn:
            try:
                cursor = await conn.execute(sql, tuple(params))
                return list(await cursor.fetchall())
            except sqlite3.Error as exc:
                raise translate(exc) from exc

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write statement in its own transaction; returns the rows changed."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, tuple(params))
            return cursor.rowcount

    async def schema_version(self) -> int:
        row = await self.fetchone(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
        )
        if row is None:
            return 0
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    async def migrate(self) -> list[str]:
        """Apply every bundled migration not yet applied, each in its own transaction."""
        applied: list[str] = []
        async with self._write_lock:
            await self._writer.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
        applied_versions = {int(r[0]) for r in await self.fetchall("SELECT version FROM schema_migrations")}
        scripts = migration_scripts()
        newest = scripts[-1][0] if scripts else 0
        current = max(applied_versions, default=0)
        if current > newest:
            raise SchemaTooNew(f"{self.path}: schema version {current} is newer than {newest}")
        for version, name, sql in scripts:
            # Every missing migration is applied, also one numbered below the newest applied.
            if version in applied_versions:
                continue
            async with self.transaction() as conn:
                for statement in _split_sql(sql):
                    if await _adds_an_existing_column(conn, statement):
                        continue
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, time.time()),
                )
            applied.append(name)
        return applied

    async def checkpoint(self) -> tuple[int, int, int]:
        """``PRAGMA wal_checkpoint(TRUNCATE)``: copy the WAL into the database, then empty it.

        Returns SQLite's (busy, WAL frames, frames copied); busy is 1 when another process's
        reader or writer kept it from finishing (it is then a harmless partial checkpoint).
        Taken under the write lock so it never waits on this process's own writer.
        """
        async with self._write_lock:
            try:
                cursor = await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = await cursor.fetchone()
            except sqlite3.Error as exc:
                raise translate(exc) from exc
        return (int(row[0]), int(row[1]), int(row[2])) if row else (1, 0, 0)

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


def _with_reason(error: StorageError, path: Path) -> StorageError:
    """SQLite says "unable to open database file" or "attempt to write a readonly database"
    without saying why; where the folder cannot be written, that is why."""
    if isinstance(error, DatabaseBusy | DiskFull | DatabaseDamaged) or os.access(path.parent, os.W_OK):
        return error
    return DatabaseReadOnly(f"{path}: {error}: its folder cannot be written")


async def _rollback(conn: aiosqlite.Connection) -> None:
    """Roll back if a transaction is still open (SQLite ends it itself on a full disk)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            await conn.execute("ROLLBACK")


async def _adds_an_existing_column(conn: aiosqlite.Connection, statement: str) -> bool:
    """Whether ``statement`` is ``ALTER TABLE t ADD COLUMN c …`` and ``t`` has ``c`` already:
    SQLite has no ``ADD COLUMN IF NOT EXISTS``, so a migration that makes sure of a column
    (0011) is written plainly and skipped where the column exists."""
    words = statement.split(None, 6)
    if len(words) < 6 or [w.upper() for w in (words[0], words[1], words[3], words[4])] != [
        "ALTER",
        "TABLE",
        "ADD",
        "COLUMN",
    ]:
        return False
    table, column = words[2], words[5]
    cursor = await conn.execute("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column))
    return await cursor.fetchone() is not None


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows about quoting)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
