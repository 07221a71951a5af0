"""Every command against a damaged, a missing and a read-only database: one line, the
documented exit code (README: 3 not found, 4 storage unavailable), never a traceback.

Before: `monthly` on a database whose score tables were damaged raised a raw
``sqlite3.DatabaseError`` (exit 1) where `sources` and `crawl` gave one line and exit 4;
reading commands pointed at a mistyped path created an empty database there; on a read-only
folder every reading command failed with "unable to open database file" (WAL needs a
writable ``-shm``) and `serve` printed its URL, then a traceback, exit 3.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.support.faults import CAN_MOUNT, IS_ROOT, _read_only
from tests.support.reliability import run_ascent
from tests.support.scored_db import MONTH, Scored

pytestmark = pytest.mark.slow

# The tables `monthly` writes: damaged, its first read succeeds and its write fails.
MONTHLY_OUTPUT = ("propensity", "intent_scores", "customer_month", "cohorts")






def _commands(s: Scored, out: Path) -> dict[str, tuple[str, ...]]:
    return {
        "import": ("import", "customers", str(s.csv)),
        "crawl": ("crawl", "--once", "--quiet"),
        "classify": ("classify", "--no-progress"),
        "sources": ("sources", s.domain),
        "monthly": ("monthly", "--month", MONTH),
        "export": ("export", "--month", MONTH, "--report", "all", "--out", str(out)),
        "explain": ("explain", s.domain),
        "validate": ("validate", "--month", MONTH),
        "serve": ("serve", "--port", "0"),
    }


READING = ("sources", "export", "explain", "validate")


def _damage(db: Path, tables: tuple[str, ...] | None, seed: int = 5) -> None:
    """Overwrite every page of these tables and their indexes (None: every page after the
    first, the schema included) with random bytes."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        if tables is None:
            count = int(conn.execute("PRAGMA page_count").fetchone()[0])
            pages = list(range(2, count + 1))
        else:
            names = [
                str(r[0])
                for r in conn.execute(
                    f"SELECT name FROM sqlite_master WHERE tbl_name IN ({','.join('?' * len(tables))})",
                    tables,
                )
            ]
            pages = [
                int(r[0])
                for r in conn.execute(
                    f"SELECT pageno FROM dbstat WHERE name IN ({','.join('?' * len(names))})", names
                )
            ]
    assert pages
    noise = random.Random(seed)
    with db.open("r+b") as file:
        for page in pages:
            file.seek((page - 1) * size)
            file.write(noise.randbytes(size))


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("damage", ["schema", "data"])
@pytest.mark.parametrize(
    "command", ["import", "crawl", "classify", "sources", "monthly", "export", "explain", "validate", "serve"]
)
def test_a_damaged_database_is_one_line_and_exit_4(
    scored: Scored, tmp_path: Path, command: str, damage: str
) -> None:
    db = tmp_path / "damaged.db"
    shutil.copyfile(scored.db, db)
    _damage(db, None if damage == "schema" else (*MONTHLY_OUTPUT, "customers", "documents", "sources"))
    done = run_ascent(db, scored.config, *_commands(scored, tmp_path / "out")[command], timeout=120)
    assert done.returncode == 4, (done.returncode, done.stdout, done.stderr)
    assert _one_line(done).startswith("ascent: database: ")


def test_the_daemon_on_a_damaged_database_is_one_line_and_exit_4(scored: Scored, tmp_path: Path) -> None:
    """`ascent run` opens the store before anything else (with damaged data tables it starts
    and retries its jobs, as on a locked or full database: docs/reliability.md)."""
    db = tmp_path / "damaged.db"
    shutil.copyfile(scored.db, db)
    _damage(db, None)
    done = run_ascent(db, scored.config, "run", timeout=120)
    assert done.returncode == 4, (done.returncode, done.stderr)
    assert _one_line(done).startswith("ascent: database: ")


def test_monthly_on_damaged_score_tables_is_one_line_and_exit_4(scored: Scored, tmp_path: Path) -> None:
    """The issue's case: the month's reads succeed, its write meets the damage."""
    db = tmp_path / "damaged.db"
    shutil.copyfile(scored.db, db)
    _damage(db, MONTHLY_OUTPUT)
    done = run_ascent(db, scored.config, "monthly", "--month", MONTH, timeout=120)
    assert done.returncode == 4, (done.returncode, done.stderr)
    line = _one_line(done)
    assert line.startswith("ascent: database: ") and "damaged" in line


@pytest.mark.parametrize("command", [*READING, "serve"])
def test_a_reading_command_on_a_missing_file_says_so_and_creates_nothing(
    scored: Scored, tmp_path: Path, command: str
) -> None:
    db = tmp_path / "typo.db"
    done = run_ascent(db, scored.config, *_commands(scored, tmp_path / "out")[command], timeout=120)
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert _one_line(done).endswith(
        f"no database at {db} (import customers or run `ascent demo` first, or pass --db)"
    )
    assert not db.exists()


@pytest.mark.skipif(IS_ROOT and not CAN_MOUNT, reason="root without mount: cannot make a folder read-only")
def test_on_a_read_only_folder_reading_commands_work_and_writing_ones_say_why(
    scored: Scored, tmp_path: Path
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / "ascent.db"
    shutil.copyfile(scored.db, db)
    out = tmp_path / "out"
    commands = _commands(scored, out)
    with _read_only(folder):
        for name in READING:
            done = run_ascent(db, scored.config, *commands[name], timeout=120)
            assert done.returncode == 0, (name, done.stderr)
        assert len(list(out.glob("*.csv"))) == 6
        for name in ("import", "monthly", "crawl"):
            done = run_ascent(db, scored.config, *commands[name], timeout=120)
            assert done.returncode == 4, (name, done.stderr)
            assert _one_line(done).endswith("its folder cannot be written"), done.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["ascent.db"]  # no -wal, no -shm


@pytest.mark.skipif(not CAN_MOUNT, reason="needs root and mount for a read-only bind mount")
def test_a_read_only_folder_with_a_pending_log_says_why_in_one_line(scored: Scored, tmp_path: Path) -> None:
    """Writes still in the -wal can only be read through a -shm, which a read-only folder
    cannot get: reading the main file alone would show stale data, so it is refused."""
    work, media = tmp_path / "work", tmp_path / "media"
    work.mkdir()
    media.mkdir()
    shutil.copyfile(scored.db, work / "ascent.db")
    with contextlib.closing(sqlite3.connect(work / "ascent.db", isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("UPDATE customers SET account_name = account_name || ' (renamed)'")
        for name in ("ascent.db", "ascent.db-wal"):  # copied while open: the log is not folded
            shutil.copyfile(work / name, media / name)
    assert (media / "ascent.db-wal").stat().st_size > 0
    with _read_only(media):
        done = run_ascent(media / "ascent.db", scored.config, "validate", "--month", MONTH, timeout=120)
    assert done.returncode == 4, done.stderr
    assert "holds writes not yet in the database" in _one_line(done)
