"""What the repositories need of a database, so one repository class runs on either backend.

:class:`storage.db.Database` (SQLite, aiosqlite connections) and
:class:`storage.postgres.db.PgDatabase` (psycopg connections) both satisfy :class:`SqlDatabase`
structurally; the type checker holds each of them to it where a store is built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from storage.dialect import SqlDialect


class SqlCursor(Protocol):
    """The result of one statement."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...

    async def fetchmany(self, size: int) -> Iterable[Any]: ...

    async def close(self) -> None: ...


class SqlConnection(Protocol):
    """One connection inside a transaction (or a reader's): rows index by position and name."""

    row_factory: Any

    def execute(self, sql: str, parameters: Iterable[Any] = ..., /) -> Awaitable[SqlCursor]: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Awaitable[SqlCursor]: ...


class SqlDatabase(Protocol):
    """An open, migrated database: all-or-nothing write transactions, pooled reads."""

    @property
    def path(self) -> Path | str: ...

    @property
    def dialect(self) -> SqlDialect:
        """The fragments in which this backend's SQL differs from the other's."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[SqlConnection]: ...

    def reader(self) -> AbstractAsyncContextManager[SqlConnection]: ...

    async def fetchall(self, sql: str, params: Iterable[Any] = ...) -> list[Any]: ...

    async def fetchone(self, sql: str, params: Iterable[Any] = ...) -> Any: ...

    async def execute(self, sql: str, params: Iterable[Any] = ...) -> int: ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> list[str]: ...

    async def integrity_check(self) -> str: ...

    async def close(self) -> None: ...
