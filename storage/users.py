"""People who may use the UI: their role, the partners a viewer may see, and their password's
hash (made and checked elsewhere; storage only keeps it).

Names are unique. A :class:`User` never carries the hash, so listing or printing users cannot
leak it; :meth:`UserRepository.password_hash` is the one way to read it back. Every change
names its ``actor`` and writes its audit entry in the same transaction: a change is never
stored without its entry, nor an entry without its change.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.audit import OK, REFUSED, append
from storage.protocols import SqlDatabase
from storage.scope import EVERYTHING, NOTHING, Scope

VIEWER, GLOBAL_VIEWER, EXECUTIVE, ADMIN = "viewer", "global_viewer", "executive", "admin"
ROLES = (VIEWER, GLOBAL_VIEWER, EXECUTIVE, ADMIN)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    partners: tuple[str, ...]
    disabled: bool
    created_at: float
    updated_at: float
    failed_signins: int = 0
    locked_until: float | None = None


class UserRepository(Protocol):
    async def add(
        self, name: str, role: str, partners: Sequence[str], password_hash: str, *, actor: str
    ) -> bool: ...
    async def get(self, name: str) -> User | None: ...
    async def all(self) -> list[User]: ...
    async def count(self) -> int: ...
    async def password_hash(self, name: str) -> str | None: ...
    async def set_password_hash(self, name: str, password_hash: str, *, actor: str) -> bool: ...
    async def set_role(
        self, name: str, role: str, partners: Sequence[str] | None = None, *, actor: str
    ) -> bool: ...
    async def set_partners(self, name: str, partners: Sequence[str], *, actor: str) -> bool: ...
    async def set_disabled(self, name: str, disabled: bool, *, actor: str) -> bool: ...
    async def remove(self, name: str, *, actor: str) -> bool: ...
    async def partner_ids(self) -> set[str]: ...
    async def signin_failed(
        self, name: str, *, now: float, max_failures: int, lockout_s: float, detail: str
    ) -> bool: ...
    async def signin_succeeded(self, name: str, *, detail: str) -> None: ...


def scope_of(user: User) -> Scope:
    """What ``user`` may see: a viewer their partners, every other role everything; a
    disabled user nothing."""
    if user.disabled:
        return NOTHING
    if user.role == VIEWER:
        return Scope.of_partners(user.partners)
    return EVERYTHING


class SqliteUserRepository:
    """Plain SQL that SQLite and PostgreSQL both accept as written. Each change answers whether
    the named user existed (False: nothing changed, nothing audited)."""

    def __init__(self, db: SqlDatabase):
        self.db = db

    async def add(
        self, name: str, role: str, partners: Sequence[str], password_hash: str, *, actor: str
    ) -> bool:
        """Create a user; False when the name is taken (the existing user is left as it was)."""
        now = time.time()
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO users(name, role, partners, password_hash, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING user_id",
                (name, role, _partners_json(partners), password_hash, now, now),
            )
            if await cursor.fetchone() is None:
                return False
            await append(conn, actor, "user.add", name, OK, describe(role, partners))
            return True

    async def get(self, name: str) -> User | None:
        row = await self.db.fetchone(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,))
        return _user(row) if row is not None else None

    async def all(self) -> list[User]:
        rows = await self.db.fetchall(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")
        return [_user(r) for r in rows]

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM users")
        return int(row[0])

    async def password_hash(self, name: str) -> str | None:
        row = await self.db.fetchone("SELECT password_hash FROM users WHERE name = ?", (name,))
        return str(row[0]) if row is not None else None

    async def set_password_hash(self, name: str, password_hash: str, *, actor: str) -> bool:
        return await self._update(name, "password_hash = ?", (password_hash,), actor, "user.set_password", "")

    async def set_role(
        self, name: str, role: str, partners: Sequence[str] | None = None, *, actor: str
    ) -> bool:
        """Change the role, and the partners too when given (a new viewer needs them)."""
        if partners is None:
            return await self._update(name, "role = ?", (role,), actor, "user.set_role", f"role={role}")
        return await self._update(
            name,
            "role = ?, partners = ?",
            (role, _partners_json(partners)),
            actor,
            "user.set_role",
            describe(role, partners),
        )

    async def set_partners(self, name: str, partners: Sequence[str], *, actor: str) -> bool:
        return await self._update(
            name,
            "partners = ?",
            (_partners_json(partners),),
            actor,
            "user.set_partners",
            describe("", partners),
        )

    async def set_disabled(self, name: str, disabled: bool, *, actor: str) -> bool:
        action = "user.disable" if disabled else "user.enable"
        changed = await self._update(name, "disabled = ?", (int(disabled),), actor, action, "")
        if changed and disabled:
            await self.db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        return changed

    async def remove(self, name: str, *, actor: str) -> bool:
        """Remove a user and end their sessions at once."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM users WHERE name = ?", (name,))
            if cursor.rowcount == 0:
                return False
            await conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            await append(conn, actor, "user.remove", name, OK)
            return True

    async def signin_failed(
        self, name: str, *, now: float, max_failures: int, lockout_s: float, detail: str
    ) -> bool:
        """Count a wrong password for ``name`` (audited); True when this failure locks the
        account for ``lockout_s`` seconds (the count then starts again)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE users SET failed_signins = failed_signins + 1 WHERE name = ?"
                " RETURNING failed_signins",
                (name,),
            )
            row = await cursor.fetchone()
            await append(conn, name, "signin", name, REFUSED, detail)
            if row is None or int(row[0]) < max_failures:
                return False
            await conn.execute(
                "UPDATE users SET failed_signins = 0, locked_until = ? WHERE name = ?",
                (now + lockout_s, name),
            )
            await append(conn, name, "signin.lockout", name, REFUSED, f"{max_failures} failures; {detail}")
            return True

    async def signin_succeeded(self, name: str, *, detail: str) -> None:
        """Clear the failure count and any lock, and audit the sign-in."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE users SET failed_signins = 0, locked_until = NULL WHERE name = ?", (name,)
            )
            await append(conn, name, "signin", name, OK, detail)

    async def partner_ids(self) -> set[str]:
        """The PartnerIDs among the imported customers: the partners a viewer may be given."""
        rows = await self.db.fetchall("SELECT DISTINCT partner_id FROM customers WHERE partner_id <> ''")
        return {str(r[0]) for r in rows}

    async def _update(
        self, name: str, assignments: str, params: tuple[Any, ...], actor: str, action: str, detail: str
    ) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE users SET {assignments}, updated_at = ? WHERE name = ?", (*params, time.time(), name)
            )
            if cursor.rowcount == 0:
                return False
            await append(conn, actor, action, name, OK, detail)
            return True


def describe(role: str, partners: Sequence[str]) -> str:
    """An audit entry's detail: ``role=viewer partners=P1,P2`` (either part left out when empty)."""
    parts = [f"role={role}"] if role else []
    if partners:
        parts.append(f"partners={','.join(sorted(set(partners)))}")
    return " ".join(parts)


# Every column but the hash: reading users for display never fetches it.
_USER_COLUMNS = "name, role, partners, disabled, created_at, updated_at, failed_signins, locked_until"


def _partners_json(partners: Sequence[str]) -> str:
    return json.dumps(sorted(set(partners)))


def _user(row: Any) -> User:
    locked = row["locked_until"]
    return User(
        name=row["name"],
        role=row["role"],
        partners=tuple(str(p) for p in json.loads(row["partners"])),
        disabled=bool(row["disabled"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
        failed_signins=int(row["failed_signins"]),
        locked_until=float(locked) if locked is not None else None,
    )
