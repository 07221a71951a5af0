"""``ascent monthly`` and ``ascent export`` write byte-identical reports on SQLite and
PostgreSQL for the same imported data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storage.postgres.scratch import scratch_schema, unavailable_reason

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(240)]

KINDS = ("customers", "products", "agreements", "fit", "outcomes")

# One interpreter per backend runs every command through the CLI's own entry point.
SCRIPT = r"""
import sys
from scripts.cli import main
db, csvs, out = sys.argv[1:]
for kind in ("customers", "products", "agreements", "fit", "outcomes"):
    assert main(["--db", db, "import", kind, f"{csvs}/{kind}.csv"]) == 0, kind
assert main(["--db", db, "monthly", "--month", "2026-11"]) == 0
assert main(["--db", db, "export", "--month", "2026-11", "--report", "all", "--out", out]) == 0
"""


def test_reports_are_byte_identical(tmp_path: Path) -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL report test skipped: {reason}")
    from scripts.fixture_web import World

    csvs = World.generate(companies=30, seed=11).write_csv(tmp_path / "csv")
    assert set(KINDS) <= set(csvs)
    folder = str(tmp_path / "csv")
    with scratch_schema() as url:
        for db, out in ((str(tmp_path / "a.db"), "sqlite"), (url, "postgres")):
            done = subprocess.run(
                [sys.executable, "-c", SCRIPT, db, folder, str(tmp_path / out)],
                capture_output=True,
                text=True,
                timeout=200,
            )
            assert done.returncode == 0, done.stderr[-2000:]
    sqlite_files = sorted(p.name for p in (tmp_path / "sqlite").iterdir())
    assert sqlite_files and sqlite_files == sorted(p.name for p in (tmp_path / "postgres").iterdir())
    for name in sqlite_files:
        assert (tmp_path / "sqlite" / name).read_bytes() == (tmp_path / "postgres" / name).read_bytes(), name
