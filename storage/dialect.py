"""The few SQL fragments in which SQLite and PostgreSQL truly differ, one object per backend.

Every statement is written once, in SQL both backends accept (``ON CONFLICT … DO``,
``IS [NOT] DISTINCT FROM``, ``RETURNING``, ``COALESCE``); where they differ, a repository asks
its database's dialect for the fragment. Nothing rewrites a statement's text afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SqlDialect:
    """What one backend writes for each differing fragment."""

    name: str
    # SQLite's LIKE ignores ASCII case; PostgreSQL's does not, its ILIKE does.
    like: str
    # SQLite's scalar MAX(a, b)/MIN(a, b) are PostgreSQL's GREATEST/LEAST.
    greatest_function: str
    least_function: str
    # A join whose order is fixed (SQLite: CROSS JOIN) and an index hint (SQLite: INDEXED BY)
    # steer SQLite's planner where its statistics mislead it; PostgreSQL plans for itself.
    fixed_join: str
    hints_indexes: bool
    # SQLite's page cache is per connection and worth enlarging for a bulk write, and a month's
    # rows load faster into tables whose secondary indexes are dropped and built again after.
    tunes_page_cache: bool
    rebuilds_indexes_in_bulk_writes: bool
    # The columns of each unique key an upsert names (PostgreSQL's keys include customer_id,
    # migration 0007), for tables whose keys differ between the backends.
    unique_keys: dict[str, str] = field(default_factory=dict)

    def greatest(self, *expressions: str) -> str:
        return f"{self.greatest_function}({', '.join(expressions)})"

    def least(self, *expressions: str) -> str:
        return f"{self.least_function}({', '.join(expressions)})"

    def index_hint(self, index: str) -> str:
        """`` INDEXED BY index`` where the planner takes hints, else nothing."""
        return f" INDEXED BY {index}" if self.hints_indexes else ""

    def utc_day(self, unix_seconds: str) -> str:
        """The UTC calendar day (``YYYY-MM-DD`` text) of a unix-seconds expression."""
        if self.name == "sqlite":
            return f"date({unix_seconds}, 'unixepoch')"
        return f"to_char(to_timestamp({unix_seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


SQLITE = SqlDialect(
    name="sqlite",
    like="LIKE",
    greatest_function="MAX",
    least_function="MIN",
    fixed_join="CROSS JOIN",
    hints_indexes=True,
    tunes_page_cache=True,
    rebuilds_indexes_in_bulk_writes=True,
    unique_keys={"signals": "passage_id, signal_type"},
)

POSTGRES = SqlDialect(
    name="postgresql",
    like="ILIKE",
    greatest_function="GREATEST",
    least_function="LEAST",
    fixed_join="JOIN",
    hints_indexes=False,
    tunes_page_cache=False,
    rebuilds_indexes_in_bulk_writes=False,
    unique_keys={"signals": "passage_id, signal_type, customer_id"},
)
