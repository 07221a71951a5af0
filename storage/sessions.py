"""Signed-in sessions of the UI and the UI's own secrets.

A session row is keyed by a hash of the token its cookie carries, so reading the database
gives no cookie that would sign anyone in. Whether a session is still good (its idle and
absolute lifetimes, its user still enabled) is decided by the caller, which owns the clock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from storage.protocols import SqlDatabase


@dataclass(frozen=True)
class Session:
    token_hash: str
    user_name: str
    created_at: float
    last_seen_at: float


class SessionRepository(Protocol):
    async def start(self, token_hash: str, user_name: str, now: float) -> None: ...
    async def get(self, token_hash: str) -> Session | None: ...
    async def touch(self, token_hash: str, now: float) -> None: ...
    async def end(self, token_hash: str) -> bool: ...
    async def end_all(self, user_name: str) -> int: ...
    async def forget_older(self, started_before: float, seen_before: float) -> int: ...
    async def secret(self, name: str) -> str: ...


class SqliteSessionRepository:
    """Plain SQL that SQLite and PostgreSQL both accept as written."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def start(self, token_hash: str, user_name: str, now: float) -> None:
        await self.db.execute(
            "INSERT INTO sessions(token_hash, user_name, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
            (token_hash, user_name, now, now),
        )

    async def get(self, token_hash: str) -> Session | None:
        row = await self.db.fetchone(
            "SELECT token_hash, user_name, created_at, last_seen_at FROM sessions WHERE token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return Session(str(row[0]), str(row[1]), float(row[2]), float(row[3]))

    async def touch(self, token_hash: str, now: float) -> None:
        await self.db.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", (now, token_hash))

    async def end(self, token_hash: str) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
            return bool(cursor.rowcount)

    async def end_all(self, user_name: str) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM sessions WHERE user_name = ?", (user_name,))
            return int(cursor.rowcount)

    async def forget_older(self, started_before: float, seen_before: float) -> int:
        """Remove sessions past either lifetime (they would be refused anyway)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM sessions WHERE created_at < ? OR last_seen_at < ?", (started_before, seen_before)
            )
            return int(cursor.rowcount)

    async def secret(self, name: str) -> str:
        """The secret called ``name``, made at random the first time it is asked for."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO app_secrets(name, value, created_at) VALUES (?, ?, 0)"
                " ON CONFLICT (name) DO NOTHING",
                (name, secrets.token_hex(32)),
            )
            cursor = await conn.execute("SELECT value FROM app_secrets WHERE name = ?", (name,))
            row = await cursor.fetchone()
            assert row is not None  # inserted above or already there
            return str(row[0])
