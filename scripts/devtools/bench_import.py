"""Benchmark of `ascent import customers`: peak memory against the file's size.

    python -m scripts.devtools.bench_import [--sizes-mb 1,10,50] [--work DIR] [--code DIR]

Writes synthetic customer files of about each size (fictional companies on .com domains,
cached under ``--work``), imports each into a fresh database in a child process and reports
the child's peak RSS and wall time. A one-row file gives the baseline (interpreter, libraries,
schema); "above baseline" per MB of file shows whether memory grows with the file.
``--code`` runs another checkout of ascent (e.g. an older commit) with the same files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "CustomerID,AccountName,Domain,OrgSize,Industry,Vertical,City,State,PostalCode,Country,"
    "IsNonprofit,AzureMonthlyRevenue,PartnerID,PartnerName\n"
)
REPO = Path(__file__).resolve().parents[2]


def customer_row(number: int) -> str:
    return (
        f"C{number:08d},Example Holding {number} Ltd,https://www.example-holding-{number}.com/about,"
        f"{10 + number % 4000},Manufacturing,Industrial machinery,Springfield,IL,{60000 + number % 999},"
        f"US,{'yes' if number % 17 == 0 else 'no'},{(number * 37) % 5000}.50,"
        f"P{number % 40},Partner {number % 40}\n"
    )


def customers_file(folder: Path, megabytes: float) -> tuple[Path, int]:
    """A customers CSV of about ``megabytes`` MB (reused when already written)."""
    path = folder / f"customers-{megabytes:g}mb.csv"
    target = int(megabytes * 1_000_000)
    rows = 0
    if path.exists():
        with path.open("rb") as handle:
            rows = sum(1 for _ in handle) - 1
        return path, rows
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        written = len(HEADER)
        while written < target or rows == 0:
            rows += 1
            line = customer_row(rows)
            handle.write(line)
            written += len(line)
    return path, rows


def import_once(path: Path, code: Path) -> tuple[float, float, int, float]:
    """(peak RSS MB, wall seconds, exit code, CPU seconds) of one import into a fresh database."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "scripts.cli", "--db", f"{scratch}/a.db"]
        command += ["import", "customers", str(path)]
        env = {**os.environ, "PYTHONPATH": str(code)}
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0 and child.stderr is not None:
            sys.stderr.write(child.stderr.read().decode(errors="replace")[-2000:])
        return usage.ru_maxrss / 1024, wall, child.returncode, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes-mb", default="1,10,50", help="file sizes in MB, comma separated")
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "ascent-dev" / "import-bench")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout of ascent to run (default: this)")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes_mb.split(",")]
    one_row, _ = customers_file(args.work, 0.0001)
    base, _, _, _ = import_once(one_row, args.code)
    load = os.getloadavg()[0]
    print(f"code: {args.code}  load average: {load:.2f}  baseline (1 row): {base:.0f} MB peak RSS")
    print("| file MB | rows | peak RSS MB | above baseline MB | above / file size | wall s | CPU s | exit |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for megabytes in sizes:
        path, rows = customers_file(args.work, megabytes)
        size = path.stat().st_size / 1_000_000
        peak, wall, code, cpu = import_once(path, args.code)
        above = peak - base
        ratio = above / size
        cells = [f"{size:.1f}", f"{rows:,}", f"{peak:.0f}", f"{above:.0f}", f"{ratio:.2f}x"]
        cells += [f"{wall:.0f}", f"{cpu:.0f}", str(code)]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
