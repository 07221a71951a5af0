"""Fit models, intent scores, propensity rows and per-customer monthly flags and cohorts.

The monthly run reads whole tables at once (never one query per customer), streams signals
in batches, and replaces one month's rows in a single transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import aiosqlite

from storage.protocols import SqlConnection, SqlDatabase

SIGNAL_BATCH = 50_000
MONTH_TABLES = ("intent_scores", "propensity", "customer_month")
# Rewriting a month (a rerun) first deletes its old rows from every index of the month tables
# (the UI's sort and filter indexes among them), one entry at a time. When the month is most of
# those tables, dropping the indexes, replacing the rows and building the indexes again from
# sorted rows is cheaper: the write drops them when its rows are at least this many times the
# rows other months keep. Measured (CPU of the write, same machine and run): a rerun at 20,000
# customers with no other month, 2.4 s rebuilt against 3.1 s row by row; with two other months
# kept, 4.7 s against 3.6 s (break-even near 1.3x). A month written for the first time goes
# row by row: into empty or small indexes that is as cheap as a rebuild (100,000 customers:
# 42-45 s of CPU for the whole run either way).
REBUILD_INDEX_SHARE = 1.5
_IN_CHUNK = 900
WRITE_CACHE_KIB = 65_536


@dataclass(frozen=True)
class ScoringCustomer:
    customer_id: str
    org_size: int
    azure_monthly_revenue: float
    is_nonprofit: bool
    sub_segment: str
    industry: str


@dataclass(frozen=True)
class FitModelRecord:
    area: str
    quarter: str
    method: str
    model_version: str
    positives: int
    details: dict[str, Any]


@dataclass(frozen=True)
class SignalDetail:
    signal_id: int
    signal_type: str
    published: str
    url: str
    why_now: str


@dataclass(frozen=True)
class MonthWrite:
    """Everything one monthly run writes, replaced as a whole."""

    month: str
    quarter: str
    # (customer_id, area, month, score, band, raw, surge, breadth, contributions_json)
    intent_rows: Sequence[tuple[Any, ...]]
    # (customer_id, area, month, fit, fit_band, intent, intent_band, cell, cluster)
    propensity_rows: Sequence[tuple[Any, ...]]
    # (customer_id, month, flags_json, cohorts_json, revenue_json, top_signals_json, flag_evidence_json)
    customer_month_rows: Sequence[tuple[Any, ...]]
    fit_models: Sequence[FitModelRecord] = ()
    # (customer_id, area, quarter, score, method, explanation_json); never imported rows
    fit_rows: Sequence[tuple[Any, ...]] = ()


@dataclass(frozen=True)
class PropensityRow:
    customer_id: str
    area: str
    fit: float
    intent: float
    cell: str
    cluster: str


@dataclass(frozen=True)
class CustomerMonth:
    customer_id: str
    flags: dict[str, bool]
    cohorts: list[str]
    potential_revenue: dict[str, float]
    top_signals: list[dict[str, Any]]
    flag_evidence: dict[str, list[str]]


@dataclass(frozen=True)
class OutcomeRow:
    opportunity_id: str
    customer_id: str
    area: str
    created_date: str
    outcome: str
    revenue: float


class ScoreRepository(Protocol):
    async def scoring_customers(self) -> list[ScoringCustomer]: ...
    async def product_rows(self) -> list[tuple[str, str, int, str | None, str]]: ...
    async def technology_rows(self) -> list[tuple[str, str, str, str]]: ...
    async def imported_fit(self, quarter: str) -> list[tuple[str, str, float]]: ...
    async def stored_fit(self, quarter: str) -> list[tuple[str, str, float, str, str]]: ...
    async def fit_models(self, quarter: str) -> list[FitModelRecord]: ...
    async def won_before(self, day: str) -> list[tuple[str, str]]: ...
    def stream_signals(
        self, since_day: str, until_day: str, batch: int = SIGNAL_BATCH
    ) -> AsyncIterator[list[tuple[Any, ...]]]: ...
    async def scored_months_before(self, month: str, limit: int) -> list[str]: ...
    async def intent_raw(self, months: Sequence[str]) -> list[tuple[str, str, str, float]]: ...
    async def signal_details(self, ids: Iterable[int]) -> dict[int, SignalDetail]: ...
    async def write_month(self, data: MonthWrite) -> None: ...
    async def propensity(self, month: str) -> list[PropensityRow]: ...
    async def customer_months(self, month: str) -> dict[str, CustomerMonth]: ...
    async def contributions(self, month: str) -> dict[tuple[str, str], list[dict[str, Any]]]: ...
    async def month_scored(self, month: str) -> bool: ...
    async def outcomes_created_between(self, first_day: str, last_day: str) -> list[OutcomeRow]: ...
    async def month_rows_digest(self, month: str) -> str: ...


class SqliteScoreRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db
        # The index rebuild reads SQLite's catalogue; PostgreSQL (same SQL, translated) keeps
        # its indexes and inserts row by row.
        self._rebuilds_indexes = db.dialect.rebuilds_indexes_in_bulk_writes

    # --- inputs of the monthly run ------------------------------------------------------------

    async def scoring_customers(self) -> list[ScoringCustomer]:
        rows = await self.db.fetchall(
            "SELECT customer_id, org_size, azure_monthly_revenue, is_nonprofit, sub_segment, industry"
            " FROM customers ORDER BY customer_id"
        )
        return [ScoringCustomer(r[0], int(r[1]), float(r[2]), bool(r[3]), r[4], r[5]) for r in rows]

    async def product_rows(self) -> list[tuple[str, str, int, str | None, str]]:
        rows = await self.db.fetchall(
            "SELECT customer_id, product, quantity, purchase_date, status FROM products"
            " ORDER BY customer_id, product"
        )
        return [(r[0], r[1], int(r[2]), r[3], r[4]) for r in rows]

    async def technology_rows(self) -> list[tuple[str, str, str, str]]:
        rows = await self.db.fetchall(
            "SELECT customer_id, technology, method, evidence FROM technologies"
            " ORDER BY customer_id, technology, method, evidence"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def imported_fit(self, quarter: str) -> list[tuple[str, str, float]]:
        rows = await self.db.fetchall(
            "SELECT customer_id, area, score FROM fit_scores WHERE quarter = ? AND method = 'imported'",
            (quarter,),
        )
        return [(r[0], r[1], float(r[2])) for r in rows]

    async def stored_fit(self, quarter: str) -> list[tuple[str, str, float, str, str]]:
        rows = await self.db.fetchall(
            "SELECT customer_id, area, score, method, explanation FROM fit_scores"
            " WHERE quarter = ? AND method <> 'imported'",
            (quarter,),
        )
        return [(r[0], r[1], float(r[2]), r[3], r[4]) for r in rows]

    async def fit_models(self, quarter: str) -> list[FitModelRecord]:
        rows = await self.db.fetchall(
            "SELECT area, quarter, method, model_version, positives, details FROM fit_models"
            " WHERE quarter = ? ORDER BY area",
            (quarter,),
        )
        return [FitModelRecord(r[0], r[1], r[2], r[3], int(r[4]), json.loads(r[5])) for r in rows]

    async def won_before(self, day: str) -> list[tuple[str, str]]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT customer_id, area FROM outcomes WHERE outcome = 'won' AND created_date < ?"
            " ORDER BY customer_id, area",
            (day,),
        )
        return [(r[0], r[1]) for r in rows]

    async def stream_signals(
        self, since_day: str, until_day: str, batch: int = SIGNAL_BATCH
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Signals published in (since_day, until_day], in batches of (signal_id, customer_id,
        signal_type, family, polarity, confidence, areas, url, day) where day is the ISO publish
        date. A signal without a publish date counts from
        the day it was detected."""
        # Plain columns only: per-row SQL functions cost more than the Python that reads them.
        sql = (
            "SELECT signal_id, customer_id, signal_type, family, polarity, confidence, areas, url, day"
            " FROM (SELECT signal_id, customer_id, signal_type, family, polarity, confidence, areas, url,"
            f"  COALESCE(substr(published, 1, 10), {self.db.dialect.utc_day('detected_at')}) AS day"
            " FROM signals) AS dated"
            " WHERE day > ? AND day <= ? AND signal_type <> 'none'"
        )
        async with self.db.reader() as conn:
            conn.row_factory = None  # plain tuples: this query returns millions of rows
            cursor = await conn.execute(sql, (since_day, until_day))
            try:
                while True:
                    rows = await cursor.fetchmany(batch)
                    if not rows:
                        break
                    yield cast(list[tuple[Any, ...]], list(rows))
            finally:
                await cursor.close()
                conn.row_factory = aiosqlite.Row

    async def scored_months_before(self, month: str, limit: int) -> list[str]:
        """The latest months before ``month`` that have a successful monthly run, newest first."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT key FROM runs WHERE kind = 'monthly' AND status = 'ok' AND key < ?"
            " ORDER BY key DESC LIMIT ?",
            (month, limit),
        )
        return [r[0] for r in rows]

    async def intent_raw(self, months: Sequence[str]) -> list[tuple[str, str, str, float]]:
        if not months:
            return []
        marks = ",".join("?" for _ in months)
        rows = await self.db.fetchall(
            f"SELECT customer_id, area, month, raw FROM intent_scores WHERE month IN ({marks})",
            list(months),
        )
        return [(r[0], r[1], r[2], float(r[3])) for r in rows]

    async def signal_details(self, ids: Iterable[int]) -> dict[int, SignalDetail]:
        wanted = sorted(set(ids))
        found: dict[int, SignalDetail] = {}
        async with self.db.reader() as conn:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                cursor = await conn.execute(
                    "SELECT signal_id, signal_type, COALESCE(substr(published, 1, 10),"
                    f" {self.db.dialect.utc_day('detected_at')}), url, why_now FROM signals"
                    f" WHERE signal_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for r in await cursor.fetchall():
                    found[int(r[0])] = SignalDetail(int(r[0]), r[1], r[2] or "", r[3], r[4])
        return found

    # --- the monthly write --------------------------------------------------------------------

    async def write_month(self, data: MonthWrite) -> None:
        """Replace the month's intent, propensity and customer rows (and the quarter's
        computed fit) in one all-or-nothing transaction."""
        async with self.db.transaction() as conn:
            # A month is hundreds of thousands of rows over several indexes: a larger page cache
            # for this transaction saves re-reading index pages (restored below).
            if self.db.dialect.tunes_page_cache:
                await conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
            rebuild = await _indexes_to_rebuild(conn, data) if self._rebuilds_indexes else []
            for name, _sql in rebuild:
                await conn.execute(f'DROP INDEX "{name}"')
            for table in MONTH_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE month = ?", (data.month,))
            await conn.executemany(
                "INSERT INTO intent_scores(customer_id, area, month, score, band, raw, surge, breadth,"
                " contributions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                data.intent_rows,
            )
            await conn.executemany(
                "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent, intent_band,"
                " cell, cluster) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                data.propensity_rows,
            )
            await conn.executemany(
                "INSERT INTO customer_month(customer_id, month, flags, cohorts, potential_revenue,"
                " top_signals, flag_evidence) VALUES (?, ?, ?, ?, ?, ?, ?)",
                data.customer_month_rows,
            )
            for _name, sql in rebuild:
                await conn.execute(sql)
            for model in data.fit_models:
                await conn.execute(
                    "INSERT INTO fit_models(area, quarter, method, model_version, positives, details,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(area, quarter) DO UPDATE SET"
                    " method = excluded.method, model_version = excluded.model_version,"
                    " positives = excluded.positives, details = excluded.details,"
                    " created_at = excluded.created_at",
                    (
                        model.area,
                        model.quarter,
                        model.method,
                        model.model_version,
                        model.positives,
                        json.dumps(model.details, sort_keys=True),
                        time.time(),
                    ),
                )
            await conn.executemany(
                "INSERT INTO fit_scores(customer_id, area, quarter, score, method, explanation)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(customer_id, area, quarter) DO UPDATE SET"
                " score = excluded.score, method = excluded.method, explanation = excluded.explanation"
                " WHERE fit_scores.method <> 'imported'",
                data.fit_rows,
            )
            if self.db.dialect.tunes_page_cache:
                await conn.execute("PRAGMA cache_size = -2000")

    # --- reading a scored month ---------------------------------------------------------------

    async def propensity(self, month: str) -> list[PropensityRow]:
        rows = await self.db.fetchall(
            "SELECT customer_id, area, fit, intent, cell, cluster FROM propensity WHERE month = ?"
            " ORDER BY customer_id, area",
            (month,),
        )
        return [PropensityRow(r[0], r[1], float(r[2]), float(r[3]), r[4], r[5]) for r in rows]

    async def customer_months(self, month: str) -> dict[str, CustomerMonth]:
        rows = await self.db.fetchall(
            "SELECT customer_id, flags, cohorts, potential_revenue, top_signals, flag_evidence"
            " FROM customer_month WHERE month = ? ORDER BY customer_id",
            (month,),
        )
        return {
            r[0]: CustomerMonth(
                r[0], json.loads(r[1]), json.loads(r[2]), json.loads(r[3]), json.loads(r[4]), json.loads(r[5])
            )
            for r in rows
        }

    async def contributions(self, month: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """The stored contributing signals of every customer and area of a month."""
        rows = await self.db.fetchall(
            "SELECT customer_id, area, contributions FROM intent_scores WHERE month = ?", (month,)
        )
        return {(r[0], r[1]): json.loads(r[2]) for r in rows}

    async def month_scored(self, month: str) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM propensity WHERE month = ? LIMIT 1", (month,))
        return row is not None

    async def outcomes_created_between(self, first_day: str, last_day: str) -> list[OutcomeRow]:
        rows = await self.db.fetchall(
            "SELECT opportunity_id, customer_id, area, created_date, outcome, revenue FROM outcomes"
            " WHERE substr(created_date, 1, 10) >= ? AND substr(created_date, 1, 10) <= ?"
            " ORDER BY opportunity_id",
            (first_day, last_day),
        )
        return [OutcomeRow(r[0], r[1], r[2], r[3], r[4], float(r[5])) for r in rows]

    async def month_rows_digest(self, month: str) -> str:
        """A fingerprint of every row the month's run wrote (to prove idempotence)."""
        import hashlib

        digest = hashlib.sha256()
        for table, order in (
            ("intent_scores", "customer_id, area"),
            ("propensity", "customer_id, area"),
            ("customer_month", "customer_id"),
        ):
            async with self.db.reader() as conn:
                cursor = await conn.execute(
                    f"SELECT * FROM {table} WHERE month = ? ORDER BY {order}", (month,)
                )
                while rows := await cursor.fetchmany(10_000):
                    for row in rows:
                        digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()


async def _indexes_to_rebuild(conn: SqlConnection, data: MonthWrite) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the month tables' own indexes when the write replaces a
    month that is most of those tables (see REBUILD_INDEX_SHARE); else nothing."""
    cursor = await conn.execute("SELECT COUNT(*), SUM(month = ?) FROM propensity", (data.month,))
    row = await cursor.fetchone()
    total, replaced = (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)
    new_rows = len(data.propensity_rows)
    if replaced == 0 or new_rows == 0 or new_rows < REBUILD_INDEX_SHARE * (total - replaced):
        return []
    marks = ", ".join("?" for _ in MONTH_TABLES)
    cursor = await conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks}) ORDER BY name",
        MONTH_TABLES,
    )
    return [(str(r[0]), str(r[1])) for r in await cursor.fetchall()]
