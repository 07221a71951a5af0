"""Benchmark: the UI's read queries for a viewer of one partner against those for everyone.

Builds (or reuses) bench_ui's synthetic database, spreads its customers over ``--partners``
PartnerIDs, and times each query (the median of ``--repeat``) unscoped and limited to one
partner's customers, as a signed-in viewer's pages run them.

    .venv/bin/python -m scripts.devtools.bench_scope --customers 100000 --partners 10
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from scripts.devtools.bench_ui import build
from storage.scope import EVERYTHING, Scope
from storage.store import open_store
from storage.views import CustomerFilter, SqliteViewQueries

MONTH = "2026-11"
CASES: dict[str, Callable[[SqliteViewQueries], Awaitable[Any]]] = {
    "count (Azure)": lambda v: v.count_customers(CustomerFilter(MONTH, "Azure")),
    "list page 1, by intent": lambda v: v.customer_page(CustomerFilter(MONTH, "Azure"), 1, 50),
    "list page 1, by revenue": lambda v: v.customer_page(
        CustomerFilter(MONTH, "Azure", sort="revenue"), 1, 50
    ),
    "list page 1, country=DE": lambda v: v.customer_page(CustomerFilter(MONTH, "Azure", country="DE"), 1, 50),
    "list page 1, cell A1": lambda v: v.customer_page(CustomerFilter(MONTH, "Azure", cell="A1"), 1, 50),
    "matrix (Azure)": lambda v: v.matrix(MONTH, "Azure"),
    "signal feed page 1": lambda v: v.signal_feed(None, None, 51, 0),
    "filter choices (country)": lambda v: v.distinct_values("country"),
}


def prepare(path: Path, customers: int, partners: int) -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        build(path, customers, 1, 7)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE customers SET partner_id = 'P' || (rowid % ?)", (partners,))


async def measure(path: Path, repeat: int) -> list[tuple[str, float, float]]:
    store = await open_store(path, reading=True)
    views = SqliteViewQueries(store.db)
    found = []
    try:
        for name, call in CASES.items():
            medians = []
            for scope in (EVERYTHING, Scope.of_partners(["P3"])):
                scoped = views.within(scope)
                await call(scoped)  # warm the page cache
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    await call(scoped)
                    times.append(time.perf_counter() - started)
                medians.append(1000 * statistics.median(times))
            found.append((name, medians[0], medians[1]))
    finally:
        await store.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ascent-bench-scope"))
    args = parser.parse_args(argv)
    path = args.work / f"ui-{args.customers}.db"
    prepare(path, args.customers, args.partners)
    print(f"{'query':28} {'everyone':>10} {'one partner':>12}  (median ms, {args.customers} customers)")
    for name, everyone, one in asyncio.run(measure(path, args.repeat)):
        print(f"{name:28} {everyone:10.1f} {one:12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
