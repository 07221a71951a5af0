"""Benchmark of the downloads hub: a Lifetime XLSX report built in the background.

    python -m scripts.devtools.bench_reports [--sizes 10000,100000] [--months 12] [--keep DIR]
        [--columns Month,CustomerID,...]

For each size it writes a synthetic scored database (customers, and for each of the months
every area's propensity row and every customer's flags, cohorts and revenue, as the monthly
run writes them), then builds one Lifetime XLSX report of it in a child process the way the
UI does: the build runs as a background task on the event loop while a ticker on the same
loop measures how late it gets to run (the UI's responsiveness during the build). The
parent reports the child's wall time, rows, file size, CPU time (``wait4``) and the peak RSS
of the builder and of its XLSX writer process (sampled twice a second), and the ratios
between the sizes: time should grow with the rows, peak memory should not.

The synthetic database keeps only the tables' primary keys (the UI's sort indexes are
dropped to write it faster); the report reads by primary key only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common.vocabulary import AREAS

DEFAULT_COLUMNS = (
    "CustomerID,AccountName,Domain,Country,SubSegment,AzureFit,AzureIntent,AzureCell,AzureCluster,"
    "HasAzure,Azure_M365NoAzure,PotentialRevenue"
)


def _matrix() -> dict[str, str]:
    """cell -> cluster of the default matrix."""
    from intent.matrix import Matrix
    from intent.settings import IntentSettings

    return Matrix.from_settings(IntentSettings()).cluster_of


CLUSTERS = _matrix()
CELLS = tuple(sorted(CLUSTERS))


def months_list(count: int) -> list[str]:
    first = 2025 * 12 + 11  # 2025-12 .. 2026-11 for 12 months
    return [f"{(first + i) // 12}-{(first + i) % 12 + 1:02d}" for i in range(count)]


def build(path: Path, customers: int, months: list[str]) -> float:
    """Write the synthetic scored database; returns seconds taken."""
    from storage.store import open_store

    started = time.perf_counter()

    async def migrate() -> None:
        store = await open_store(path)
        await store.close()

    asyncio.run(migrate())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('propensity', 'customer_month', 'customers')"
    ).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
    ids = [f"C{i:07d}" for i in range(customers)]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO customers(customer_id, account_name, domain, org_size, industry, country,"
        " sub_segment, partner_id, partner_name)"
        " VALUES (?, ?, ?, ?, 'Manufacturing', 'US', ?, 'P1', 'Partner')",
        (
            (cid, f"Company {cid}", f"{cid.lower()}.example", 10 + i % 500, "Medium")
            for i, cid in enumerate(ids)
        ),
    )
    for m, month in enumerate(months):
        conn.executemany(
            "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent, intent_band, cell,"
            " cluster) VALUES (?, ?, ?, ?, 'High', ?, 'Medium', ?, ?)",
            (
                (
                    cid,
                    area,
                    month,
                    (i * 7 + a) % 100,
                    (i * 13 + m + a) % 100,
                    cell,
                    CLUSTERS.get(cell, "Monitor"),
                )
                for i, cid in enumerate(ids)
                for a, area in enumerate(AREAS)
                for cell in (CELLS[(i + a + m) % len(CELLS)],)
            ),
        )
        conn.executemany(
            "INSERT INTO customer_month(customer_id, month, flags, cohorts, potential_revenue, top_signals)"
            " VALUES (?, ?, ?, ?, ?, '[]')",
            (
                (
                    cid,
                    month,
                    '{"HasAzure": true, "HasM365": false}' if i % 3 else '{"HasAzure": false}',
                    '["Azure_M365NoAzure"]' if i % 5 == 0 else "[]",
                    json.dumps({"Azure": float(i % 900), "M365": 12.5}),
                )
                for i, cid in enumerate(ids)
            ),
        )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def child(db: Path, columns: str) -> None:
    """Build the report as the UI does (a background task) and measure the loop's lag."""
    from intent.report_definition import make_definition
    from scripts.report_hub import build_claimed, claim, create_report
    from scripts.settings import load_settings
    from storage.store import open_store

    async def run() -> dict[str, Any]:
        settings = load_settings()
        store = await open_store(db)
        record = make_definition(
            source="azure", columns=columns.split(","), month="lifetime", name="bench", format="xlsx"
        )
        stored = await create_report(store, record)
        file_id = await claim(store, stored)
        assert file_id is not None
        started = time.perf_counter()
        job = asyncio.create_task(build_claimed(store, settings, stored, file_id))
        worst, ticks = 0.0, 0
        while not job.done():
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            worst = max(worst, time.perf_counter() - before - 0.05)
            ticks += 1
        built = job.result()
        seconds = time.perf_counter() - started
        await store.close()
        return {
            "seconds": round(seconds, 1),
            "rows": built.rows,
            "bytes": built.size,
            "status": built.status,
            "error": built.error,
            "loop_ticks": ticks,
            "worst_loop_lag_s": round(worst, 3),
        }

    print(json.dumps(asyncio.run(run())))


def measure(db: Path, columns: str) -> dict[str, Any]:
    """Run the child; its wall time, CPU (with the writer process it reaps) and the peak RSS
    of the builder and of the writer process, sampled twice a second."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.devtools.bench_reports", "--child", str(db), "--columns", columns],
        stdout=subprocess.PIPE,
    )
    peaks: dict[str, float] = {"builder": 0, "writer": 0, "writer_cpu": 0.0}
    sampler = threading.Thread(target=_sample_rss, args=(process.pid, peaks), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    sampler.join(timeout=5)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode}): {out}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_builder_mib"] = round(peaks["builder"] / 2**20, 1)
    result["peak_rss_writer_mib"] = round(peaks["writer"] / 2**20, 1)
    result["child_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    # The writer's own CPU as last sampled (up to half a second before it ended).
    result["writer_cpu_s"] = round(peaks["writer_cpu"], 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    return result


def _sample_rss(pid: int, peaks: dict[str, float]) -> None:
    import psutil

    try:
        builder = psutil.Process(pid)
        while builder.status() != psutil.STATUS_ZOMBIE:
            peaks["builder"] = max(peaks["builder"], builder.memory_info().rss)
            for writer in builder.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a writer may end between two calls
                    peaks["writer"] = max(peaks["writer"], writer.memory_info().rss)
                    cpu = writer.cpu_times()
                    peaks["writer_cpu"] = max(peaks["writer_cpu"], cpu.user + cpu.system)
            time.sleep(0.5)
    except psutil.Error:  # the child ended between two samples
        return


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="customer counts, comma-separated")
    parser.add_argument("--months", type=int, default=12, help="scored months (Lifetime covers them all)")
    parser.add_argument("--columns", default=DEFAULT_COLUMNS, help="the report's columns (Month is added)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the databases in this folder")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.columns)
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Any]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        db = folder / f"reports-{size}.db"
        if db.exists():
            db.unlink()
        written = build(db, size, months_list(args.months))
        result = measure(db, args.columns)
        result["build_db_s"] = round(written, 1)
        results[size] = result
        print(json.dumps({"customers": size, "months": args.months, **result}), flush=True)
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = results[sizes[0]], results[sizes[-1]]
        print(
            json.dumps(
                {
                    "customers_ratio": sizes[-1] / sizes[0],
                    "rows_ratio": round(large["rows"] / max(small["rows"], 1), 2),
                    "seconds_ratio": round(large["seconds"] / max(small["seconds"], 0.1), 2),
                    "peak_rss_builder_ratio": round(
                        large["peak_rss_builder_mib"] / small["peak_rss_builder_mib"], 2
                    ),
                    "peak_rss_writer_ratio": round(
                        large["peak_rss_writer_mib"] / small["peak_rss_writer_mib"], 2
                    ),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
