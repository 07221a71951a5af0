"""Customers and what is imported with them: products, agreements, fit scores, outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Protocol

from storage.protocols import SqlDatabase


@dataclass(frozen=True)
class Customer:
    customer_id: str
    account_name: str
    domain: str
    org_size: int
    industry: str
    vertical: str
    city: str
    state: str
    postal_code: str
    country: str
    is_nonprofit: bool
    azure_monthly_revenue: float
    partner_id: str
    partner_name: str
    sub_segment: str


@dataclass(frozen=True)
class Product:
    customer_id: str
    product: str
    quantity: int
    purchase_date: str | None
    status: str


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    customer_id: str
    license_program: str
    agreement_end_date: str
    rev_sum_division_name: str
    expiring_revenue: float


@dataclass(frozen=True)
class FitScore:
    customer_id: str
    area: str
    quarter: str
    score: float
    method: str = "imported"
    explanation: str = "{}"


@dataclass(frozen=True)
class Outcome:
    opportunity_id: str
    customer_id: str
    area: str
    created_date: str
    closed_date: str | None
    outcome: str
    revenue: float


ImportRecord = Customer | Product | Agreement | FitScore | Outcome

# Every key includes customer_id, so a distributed database can shard by it (migration 0007).
_TABLES: dict[type, tuple[str, tuple[str, ...]]] = {
    Customer: ("customers", ("customer_id",)),
    Product: ("products", ("customer_id", "product")),
    Agreement: ("agreements", ("agreement_id", "customer_id")),
    FitScore: ("fit_scores", ("customer_id", "area", "quarter")),
    Outcome: ("outcomes", ("opportunity_id", "customer_id")),
}

# Records whose own id is unique across customers although their key also holds customer_id:
# a re-import that moves one to another customer replaces it instead of adding a second row.
_MOVABLE: dict[type, tuple[str, str]] = {
    Agreement: ("agreements", "agreement_id"),
    Outcome: ("outcomes", "opportunity_id"),
}


def _upsert_sql(record_type: type) -> str:
    table, key = _TABLES[record_type]
    columns = [f.name for f in fields(record_type)]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    changed = " OR ".join(f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates} WHERE {changed}"
    )


def _row(record: ImportRecord) -> tuple[object, ...]:
    return tuple(int(v) if isinstance(v, bool) else v for v in astuple(record))


class CustomerRepository(Protocol):
    async def upsert_all(self, records: Sequence[ImportRecord]) -> int: ...
    async def upsert_batches(self, batches: Iterable[Sequence[ImportRecord]]) -> int: ...
    async def domain_owners(self, domains: Iterable[str]) -> dict[str, list[str]]: ...
    async def existing_ids(self, ids: Iterable[str]) -> set[str]: ...
    async def get(self, customer_id: str) -> Customer | None: ...
    async def by_domain(self, domain: str) -> Customer | None: ...
    async def all(self) -> list[Customer]: ...
    async def count(self) -> int: ...
    async def products(self, customer_id: str | None = None) -> list[Product]: ...
    async def agreements(self, customer_id: str | None = None) -> list[Agreement]: ...
    async def fit_scores(self, quarter: str | None = None) -> list[FitScore]: ...
    async def outcomes(self) -> list[Outcome]: ...


class SqliteCustomerRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    async def upsert_all(self, records: Sequence[ImportRecord]) -> int:
        """Insert or update every record in one transaction; returns the rows that changed."""
        return await self.upsert_batches([records])

    async def upsert_batches(self, batches: Iterable[Sequence[ImportRecord]]) -> int:
        """Every batch in one transaction (all or nothing), one batch in memory at a time.

        An exception raised while ``batches`` is iterated (a file that changed since it was
        validated) rolls the whole transaction back.
        """
        changed = 0
        async with self.db.transaction() as conn:
            for records in batches:
                for record_type, (table, id_column) in _MOVABLE.items():
                    # One statement per table and batch: one per record would cost half again.
                    # (The importer rejects an id given twice in one file.)
                    owners = {getattr(r, id_column): r.customer_id for r in records if type(r) is record_type}
                    if owners:
                        await conn.executemany(
                            f"DELETE FROM {table} WHERE {id_column} = ? AND customer_id <> ?",
                            list(owners.items()),
                        )
                for record in records:
                    cursor = await conn.execute(_upsert_sql(type(record)), _row(record))
                    changed += max(cursor.rowcount, 0)
        return changed

    async def domain_owners(self, domains: Iterable[str]) -> dict[str, list[str]]:
        """Stored customers of each of ``domains`` (registrable domains), by domain."""
        owners: dict[str, list[str]] = {}
        wanted = list(dict.fromkeys(domains))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self.db.fetchall(
                f"SELECT domain, customer_id FROM customers WHERE domain IN ({','.join('?' * len(chunk))})"
                " ORDER BY customer_id",
                chunk,
            )
            for row in rows:
                owners.setdefault(str(row[0]), []).append(str(row[1]))
        return owners

    async def existing_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self.db.fetchall(
                f"SELECT customer_id FROM customers WHERE customer_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update(r[0] for r in rows)
        return found

    async def get(self, customer_id: str) -> Customer | None:
        row = await self.db.fetchone("SELECT * FROM customers WHERE customer_id = ?", (customer_id,))
        return _customer(row) if row else None

    async def by_domain(self, domain: str) -> Customer | None:
        row = await self.db.fetchone(
            "SELECT * FROM customers WHERE domain = ? ORDER BY customer_id LIMIT 1", (domain.lower(),)
        )
        return _customer(row) if row else None

    async def all(self) -> list[Customer]:
        rows = await self.db.fetchall("SELECT * FROM customers ORDER BY customer_id")
        return [_customer(r) for r in rows]

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM customers")
        return int(row[0]) if row else 0

    async def products(self, customer_id: str | None = None) -> list[Product]:
        sql, params = _scoped("SELECT * FROM products", customer_id, "customer_id, product")
        return [Product(**dict(r)) for r in await self.db.fetchall(sql, params)]

    async def agreements(self, customer_id: str | None = None) -> list[Agreement]:
        sql, params = _scoped("SELECT * FROM agreements", customer_id, "agreement_id")
        return [Agreement(**dict(r)) for r in await self.db.fetchall(sql, params)]

    async def fit_scores(self, quarter: str | None = None) -> list[FitScore]:
        if quarter is None:
            rows = await self.db.fetchall("SELECT * FROM fit_scores ORDER BY customer_id, area")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM fit_scores WHERE quarter = ? ORDER BY customer_id, area", (quarter,)
            )
        return [FitScore(**dict(r)) for r in rows]

    async def outcomes(self) -> list[Outcome]:
        rows = await self.db.fetchall("SELECT * FROM outcomes ORDER BY opportunity_id")
        return [Outcome(**dict(r)) for r in rows]


def _scoped(sql: str, customer_id: str | None, order: str) -> tuple[str, tuple[str, ...]]:
    if customer_id is None:
        return f"{sql} ORDER BY {order}", ()
    return f"{sql} WHERE customer_id = ? ORDER BY {order}", (customer_id,)


def _customer(row: object) -> Customer:
    data = dict(row)  # type: ignore[call-overload]
    data["is_nonprofit"] = bool(data["is_nonprofit"])
    return Customer(**data)
