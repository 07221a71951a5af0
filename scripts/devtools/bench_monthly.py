"""Benchmark of the monthly run: synthetic customers and signals at three sizes.

    python -m scripts.devtools.bench_monthly [--sizes 10000:200000,30000:600000,100000:2000000] [--keep DIR]
        [--reuse] [--quiet-load 1.5 --patience 900]

For each size it writes a synthetic database (customers with products, technographics,
won outcomes before the quarter, and signals over the last ~400 days), then runs
``ascent monthly --month 2026-11`` in a child process and reports wall time and the child's
peak RSS, then runs the same month again (the quarter's fit model is reused) and checks
that the rows are identical. Ratios between sizes show whether the cost grows linearly.
The machine may be shared: CPU time and the load average around each run are printed, and
``--quiet-load`` waits for a quieter moment before each timed run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from storage.store import open_store

MONTH = "2026-11"
AS_OF_DAY = (np.datetime64("2026-11-30") - np.datetime64("1970-01-01")).astype(int)
TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "hiring_tech": ("hiring", ("Azure", "M365")),
    "hiring_security": ("hiring", ("Security",)),
    "hiring_sales": ("hiring", ("D365SP", "PowerApps")),
    "hiring_finance": ("hiring", ("D365BC",)),
    "leadership_change": (
        "people",
        ("Azure", "M365", "Security", "Surface", "D365BC", "D365SP", "PowerApps"),
    ),
    "funding": ("money", ("Azure", "M365")),
    "expansion": ("corporate", ("M365", "Surface")),
    "merger_acquisition": ("corporate", ("M365", "Azure")),
    "partnership": ("corporate", ("Azure",)),
    "product_launch": ("product", ("Azure",)),
    "cloud_migration": ("technology", ("Azure",)),
    "ai_data_initiative": ("technology", ("Azure", "M365")),
    "business_apps_need": ("technology", ("D365BC", "D365SP", "PowerApps")),
    "competitor_tech": ("technology", ("M365",)),
    "security_incident": ("risk", ("Security",)),
    "compliance": ("risk", ("Security",)),
    "modern_work": ("workplace", ("M365", "Surface")),
    "cost_cutting": ("negative", ()),
}
PRODUCTS = [
    "M365 Business Premium",
    "M365 E3",
    "M365 Business Standard",
    "Azure",
    "Surface",
    "Dynamics NAV",
    "Exchange Server",
    "Copilot",
    "M365 E5",
    "D365 Business Central",
]
TECHS = ["Google Workspace", "AWS", "Microsoft 365", "Salesforce", "Zoom", "Azure"]
INDUSTRIES = ["Manufacturing", "Retail", "Finance", "Healthcare", "Education", "Legal", "Construction"]


async def build(path: Path, customers: int, signals: int, seed: int = 7) -> float:
    """Write the synthetic database; returns seconds taken."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    store = await open_store(path)
    ids = [f"C{i:07d}" for i in range(customers)]
    sizes = np.maximum(1, rng.lognormal(3.5, 1.2, customers).astype(int))
    per_customer = rng.multinomial(signals, np.full(customers, 1.0 / customers))
    type_names = list(TYPES)
    try:
        async with store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO customers(customer_id, account_name, domain, org_size, industry, country,"
                " azure_monthly_revenue, sub_segment) VALUES (?, ?, ?, ?, ?, 'US', ?, ?)",
                [
                    (
                        cid,
                        f"Company {cid}",
                        f"{cid.lower()}.example",
                        int(size),
                        INDUSTRIES[i % 7],
                        float(rng.integers(0, 3) * 200),
                        "Upper Medium" if size >= 300 else ("Medium" if size >= 25 else "Small"),
                    )
                    for i, (cid, size) in enumerate(zip(ids, sizes, strict=True))
                ],
            )
            product_rows = []
            for i, cid in enumerate(ids):
                for p in rng.choice(len(PRODUCTS), size=int(rng.integers(0, 4)), replace=False):
                    product_rows.append(
                        (
                            cid,
                            PRODUCTS[p],
                            int(min(sizes[i], 1 + rng.integers(1, 80))),
                            "2025-03-01",
                            "active",
                        )
                    )
            await conn.executemany(
                "INSERT INTO products(customer_id, product, quantity, purchase_date, status)"
                " VALUES (?, ?, ?, ?, ?)",
                product_rows,
            )
            await conn.executemany(
                "INSERT INTO technologies(customer_id, technology, method, evidence, first_seen_at,"
                " last_seen_at)"
                " VALUES (?, ?, 'dns_mx', 'synthetic', 0, 0)",
                [(cid, TECHS[int(rng.integers(0, len(TECHS)))]) for cid in ids if rng.random() < 0.6],
            )
            won = [
                (f"O{i}", cid, "Azure" if i % 2 else "M365", "2026-05-01", "won")
                for i, cid in enumerate(ids)
                if i % 25 == 0
            ]
            await conn.executemany(
                "INSERT INTO outcomes(opportunity_id, customer_id, area, created_date, outcome)"
                " VALUES (?, ?, ?, ?, ?)",
                won,
            )
            await conn.executemany(
                "INSERT INTO documents(document_id, customer_id, url, kind, fetched_at, content_hash)"
                " VALUES (?, ?, ?, 'page', 0, 'h')",
                [(i + 1, cid, f"https://{cid.lower()}.example/") for i, cid in enumerate(ids)],
            )
            passage_rows, signal_rows = [], []
            passage_id = 0
            signal_id = 0
            ages = np.minimum(rng.exponential(120.0, signals).astype(int), 700)
            confidences = rng.uniform(0.4, 1.0, signals).round(3)
            news = rng.integers(0, 200, signals)
            on_own_site = rng.random(signals) < 0.7
            for i, cid in enumerate(ids):
                count = int(per_customer[i])
                for start in range(0, count, 10):
                    passage_id += 1
                    passage_rows.append((passage_id, i + 1, cid, start // 10, f"p{passage_id}"))
                    base = int(rng.integers(0, len(type_names)))
                    for j in range(min(10, count - start)):
                        kind = type_names[(base + j) % len(type_names)]
                        family, areas = TYPES[kind]
                        host = (
                            f"{cid.lower()}.example"
                            if on_own_site[signal_id]
                            else f"news{news[signal_id]}.example"
                        )
                        day = np.datetime64("2026-11-30") - np.timedelta64(int(ages[signal_id]), "D")
                        signal_rows.append(
                            (
                                signal_id + 1,
                                cid,
                                i + 1,
                                passage_id,
                                kind,
                                family,
                                -1 if family == "negative" else 1,
                                float(confidences[signal_id]),
                                json.dumps(list(areas)),
                                f"https://{host}/post/{signal_id}",
                                str(day),
                            )
                        )
                        signal_id += 1
            await conn.executemany(
                "INSERT INTO passages(passage_id, document_id, customer_id, position, text, passage_hash)"
                " VALUES (?, ?, ?, ?, 'synthetic', ?)",
                passage_rows,
            )
            await conn.executemany(
                "INSERT INTO signals(signal_id, customer_id, document_id, passage_id, signal_type, family,"
                " polarity, confidence, areas, passage, url, source_kind, published, detected_at, why_now)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'synthetic', ?, 'blog', ?, 0, 'synthetic')",
                signal_rows,
            )
    finally:
        await store.close()
    return time.perf_counter() - started


def wait_for_quiet(limit: float | None, patience_s: float) -> float:
    """Wait (at most patience_s) until the 1-minute load average is below limit: the machine
    is shared and wall time means little while others run. Returns the load average then."""
    deadline = time.monotonic() + patience_s
    while limit is not None and os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()[0]


def run_monthly(db: Path) -> tuple[float, int, float, dict[str, Any]]:
    """Run `ascent monthly` in a child process: (wall seconds, peak RSS bytes, CPU seconds,
    JSON output). CPU time is shown because wall time suffers when the machine is shared."""
    code = (
        "import sys, resource; from scripts.cli import main; rc = main(sys.argv[1:]); "
        "u = resource.getrusage(resource.RUSAGE_SELF); "
        "print('MAXRSS', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", str(db), "monthly", "--month", MONTH, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"monthly failed: {done.stderr}")
    fields = next(line for line in done.stderr.splitlines() if line.startswith("MAXRSS")).split()
    return wall, int(fields[1]) * 1024, float(fields[2]), json.loads(done.stdout)


async def forget_month(db: Path) -> None:
    """Remove the month and the quarter's models from a reused database, so its first run
    trains and writes from scratch like a fresh one."""
    store = await open_store(db)
    try:
        async with store.db.transaction() as conn:
            for table in ("intent_scores", "propensity", "customer_month"):
                await conn.execute(f"DELETE FROM {table} WHERE month = ?", (MONTH,))
            await conn.execute("DELETE FROM fit_scores WHERE method <> 'imported'")
            await conn.execute("DELETE FROM fit_models")
    finally:
        await store.close()


async def digest(db: Path) -> str:
    store = await open_store(db)
    try:
        return await store.scores.month_rows_digest(MONTH)
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000:200000,30000:600000,100000:2000000")
    parser.add_argument("--keep", type=Path, default=None, help="keep the databases in this folder")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the databases already in --keep (their month is cleared first)",
    )
    parser.add_argument(
        "--quiet-load",
        type=float,
        default=None,
        help="before each timed run, wait until the 1-minute load average is below this",
    )
    parser.add_argument("--patience", type=float, default=900.0, help="longest wait for --quiet-load (s)")
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in item.split(":")) for item in args.sizes.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ascent-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    print(
        "customers   signals  build_s  run_s  run_cpu_s  rss_MiB  rerun_s  rerun_cpu_s  rerun_rss_MiB"
        "  identical  load_avg (before run, before rerun, after)"
    )
    for customers, signals in sizes:
        db = folder / f"bench-{customers}-{signals}.db"
        built = 0.0
        if not (args.reuse and db.exists()):
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            built = asyncio.run(build(db, customers, signals))
        asyncio.run(forget_month(db))
        load_first = wait_for_quiet(args.quiet_load, args.patience)
        wall, rss, cpu, output = run_monthly(db)
        first = asyncio.run(digest(db))
        load_rerun = wait_for_quiet(args.quiet_load, args.patience)
        rewall, rerss, recpu, _ = run_monthly(db)
        identical = first == asyncio.run(digest(db))
        load = os.getloadavg()[0]
        results.append((customers, signals, wall, rss, rewall, rerss, identical, cpu, recpu))
        print(
            f"{customers:>9}  {signals:>8}  {built:>7.1f}  {wall:>5.1f}  {cpu:>9.1f}  {rss / 2**20:>7.0f}"
            f"  {rewall:>7.1f}  {recpu:>11.1f}  {rerss / 2**20:>13.0f}  {identical!s:>9}"
            f"  {load_first:.1f}, {load_rerun:.1f}, {load:.1f}",
            flush=True,
        )
        print("    phases of the first run (s):", json.dumps(output["summary"]["seconds"]), flush=True)
    base = results[0]
    for row in results[1:]:
        print(
            f"x{row[1] / base[1]:.0f} signals -> first run x{row[7] / base[7]:.2f} CPU"
            f" (x{row[2] / base[2]:.2f} wall), rerun x{row[8] / base[8]:.2f} CPU"
            f" (x{row[4] / base[4]:.2f} wall), peak RSS x{row[3] / base[3]:.2f}"
        )
    return 0 if all(r[6] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
