"""Crash safety: SIGKILL `ascent crawl`, `ascent classify` and `ascent monthly` at random
points, restart each, and prove that nothing is corrupt, nothing is half-written and the end
state equals an uninterrupted run's on the same inputs.

Kill points are chosen two ways: by time since start, and by watching the database grow
(documents stored, documents classified, the WAL file changing during the monthly run).
Set ASCENT_CRASH_SEED to replay a particular sequence of kill points.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.reliability import (
    MONTH,
    Prepared,
    ascent,
    child_env,
    copy_db,
    integrity,
    prepared_world,
    query,
    run_ascent,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

COMPANIES = 3
CRAWL = ("crawl", "--once", "--quiet")
CLASSIFY = ("classify", "--no-progress")
MONTHLY = ("monthly", "--month", MONTH)
KILLS = {"crawl": 8, "classify": 4, "monthly": 9}


@dataclass
class KillPoint:
    command: str
    how: str
    after_s: float
    progress: int


def _documents(db: Path) -> set[tuple[str, str]]:
    return set(query(db, "SELECT url, content_hash FROM documents"))


def _signals(db: Path) -> set[tuple[str, str, str]]:
    return set(query(db, "SELECT url, signal_type, passage FROM signals"))


def _passages_per_document(db: Path) -> dict[tuple[str, str], int]:
    rows = query(
        db,
        "SELECT d.url, d.content_hash, COUNT(p.passage_id) FROM documents d"
        " LEFT JOIN passages p ON p.document_id = d.document_id"
        " WHERE d.classified_at IS NOT NULL GROUP BY d.document_id",
    )
    return {(url, digest): count for url, digest, count in rows}


def _month_counts(db: Path) -> tuple[int, int, int]:
    return (
        query(db, "SELECT COUNT(*) FROM propensity WHERE month = ?", (MONTH,))[0][0],
        query(db, "SELECT COUNT(*) FROM intent_scores WHERE month = ?", (MONTH,))[0][0],
        query(db, "SELECT COUNT(*) FROM customer_month WHERE month = ?", (MONTH,))[0][0],
    )


def _check_consistent(db: Path, reference: Path, full_month: tuple[int, int, int]) -> None:
    """What must hold after any kill: intact file, no half-written document or month."""
    assert integrity(db) == "ok"
    assert query(db, "PRAGMA foreign_key_check") == []
    # A document is classified with all its passages, or not at all.
    unclassified_with_passages = query(
        db,
        "SELECT COUNT(*) FROM passages p JOIN documents d ON d.document_id = p.document_id"
        " WHERE d.classified_at IS NULL",
    )[0][0]
    assert unclassified_with_passages == 0
    orphan_signals = query(
        db,
        "SELECT COUNT(*) FROM signals s JOIN documents d ON d.document_id = s.document_id"
        " WHERE d.classified_at IS NULL",
    )[0][0]
    assert orphan_signals == 0
    expected = _passages_per_document(reference)
    for key, count in _passages_per_document(db).items():
        if key in expected:
            assert count == expected[key], f"{key} has {count} passages, expected {expected[key]}"
    # A month is scored for every customer and area, or not at all.
    assert _month_counts(db) in {(0, 0, 0), full_month}


def _count(db: Path, sql: str) -> int:
    try:
        return int(query(db, sql)[0][0])
    except Exception:  # the file may not be readable for a moment while it is created
        return -1


def _wal_size(db: Path) -> int:
    try:
        return Path(f"{db}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def _kill_run(
    db: Path,
    config: Path,
    args: tuple[str, ...],
    trigger: Callable[[subprocess.Popen[str], float], bool],
    timeout: float = 120,
) -> tuple[bool, float]:
    """Start one command, SIGKILL it when ``trigger`` says so; returns (killed, seconds)."""
    began = time.monotonic()
    process = subprocess.Popen(
        ascent(db, config, *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        while process.poll() is None:
            elapsed = time.monotonic() - began
            if trigger(process, elapsed):
                process.send_signal(signal.SIGKILL)
                process.wait(30)
                return True, elapsed
            assert elapsed < timeout, f"{args[0]} did not finish in {timeout}s"
            time.sleep(0.02)
        _, stderr = process.communicate()
        assert process.returncode == 0, stderr
        return False, time.monotonic() - began
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _by_time(limit: float) -> Callable[[subprocess.Popen[str], float], bool]:
    return lambda _process, elapsed: elapsed >= limit


def _by_growth(measure: Callable[[], int], grow_by: int) -> Callable[[subprocess.Popen[str], float], bool]:
    start = measure()

    def trigger(_process: subprocess.Popen[str], _elapsed: float) -> bool:
        return measure() >= start + grow_by

    return trigger


def _kill_repeatedly(
    prep: Prepared,
    db: Path,
    reference: Path,
    name: str,
    args: tuple[str, ...],
    rng: random.Random,
    measure: Callable[[], int],
    grow: tuple[int, int],
    delay: tuple[float, float],
    full_month: tuple[int, int, int],
    left: Callable[[], int] | None = None,
) -> list[KillPoint]:
    """Kill ``args`` KILLS[name] times mid-run (checking consistency after each), then let a
    final run finish. ``left`` counts the work still to do where a finished run uses it up:
    each growth kill then leaves some for the kills after it."""
    points: list[KillPoint] = []
    attempts = 0
    while len(points) < KILLS[name]:
        attempts += 1
        # A small month commits in milliseconds, so many attempts finish first; that is fine.
        assert attempts <= KILLS[name] * 25, f"{name} kept finishing before it could be killed"
        remaining = left() if left is not None else None
        assert remaining != 0, f"{name} finished all its work before {KILLS[name]} kills landed"
        if len(points) % 2 == 0:
            grow_by = rng.randint(*grow)
            if remaining is not None:
                grow_by = min(grow_by, max(1, remaining // (KILLS[name] - len(points) + 1)))
            how, trigger = "growth", _by_growth(measure, grow_by)
        else:
            how, trigger = "time", _by_time(rng.uniform(*delay))
        killed, after = _kill_run(db, prep.config, args, trigger)
        _check_consistent(db, reference, full_month)
        if killed:
            points.append(KillPoint(name, how, round(after, 2), measure()))
    finished = run_ascent(db, prep.config, *args)
    assert finished.returncode == 0, finished.stderr
    _check_consistent(db, reference, full_month)
    return points


@dataclass
class Scenario:
    reference: Path
    crashed: Path
    reports: tuple[Path, Path]
    points: list[KillPoint]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The same inputs run once uninterrupted and once with 21 SIGKILLs and restarts."""
    tmp_path = tmp_path_factory.mktemp("crash")
    seed = int(os.environ.get("ASCENT_CRASH_SEED", "2026"))
    rng = random.Random(seed)
    with prepared_world(tmp_path, COMPANIES) as prep:
        reference = copy_db(prep.template_db, tmp_path / "reference.db")
        for args in (CRAWL, CLASSIFY, MONTHLY):
            done = run_ascent(reference, prep.config, *args)
            assert done.returncode == 0, done.stderr
        exported = run_ascent(
            reference, prep.config, "export", "--month", MONTH, "--report", "all",
            "--out", str(tmp_path / "reports-reference"),
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        full_month = _month_counts(reference)
        assert full_month[0] > 0 and len(_signals(reference)) > 0

        db = copy_db(prep.template_db, tmp_path / "crashed.db")
        points: list[KillPoint] = []
        points += _kill_repeatedly(
            prep, db, reference, "crawl", CRAWL, rng,
            lambda: _count(db, "SELECT COUNT(*) FROM documents"),
            grow=(1, 25), delay=(0.5, 3.5), full_month=full_month,
        )  # fmt: skip
        points += _kill_repeatedly(
            prep, db, reference, "classify", CLASSIFY, rng,
            lambda: _count(db, "SELECT COUNT(*) FROM documents WHERE classified_at IS NOT NULL"),
            # Time kills land while the model loads or soon after: later, a fast machine may
            # have classified everything.
            grow=(1, 40), delay=(0.5, 3.0), full_month=full_month,
            left=lambda: _count(db, "SELECT COUNT(*) FROM documents WHERE classified_at IS NULL"),
        )  # fmt: skip
        points += _kill_repeatedly(
            prep, db, reference, "monthly", MONTHLY, rng,
            lambda: _wal_size(db) + sum(_month_counts(db)),
            grow=(1, 1), delay=(0.2, 1.2), full_month=full_month,
        )  # fmt: skip
        exported = run_ascent(
            db, prep.config, "export", "--month", MONTH, "--report", "all",
            "--out", str(tmp_path / "reports-crashed"),
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
    print(f"seed {seed}: {len(points)} kill points survived")
    for point in points:
        print(f"  {point}")
    return Scenario(reference, db, (tmp_path / "reports-reference", tmp_path / "reports-crashed"), points)


def test_kills_leave_no_corruption_and_no_partial_rows(scenario: Scenario) -> None:
    """Checked after every kill inside the scenario; here the totals."""
    assert len(scenario.points) >= 20, scenario.points
    assert integrity(scenario.crashed) == "ok"
    assert _month_counts(scenario.crashed) == _month_counts(scenario.reference)
    assert _passages_per_document(scenario.crashed) == _passages_per_document(scenario.reference)


def test_same_documents_as_an_uninterrupted_run(scenario: Scenario) -> None:
    assert _documents(scenario.crashed) == _documents(scenario.reference)


def test_same_signals_as_an_uninterrupted_run(scenario: Scenario) -> None:
    assert _signals(scenario.crashed) == _signals(scenario.reference)


def test_same_report_bytes_as_an_uninterrupted_run(scenario: Scenario) -> None:
    reference, crashed = scenario.reports
    names = sorted(p.name for p in crashed.iterdir())
    assert names == sorted(p.name for p in reference.iterdir()) and names
    for name in names:
        assert (crashed / name).read_bytes() == (reference / name).read_bytes(), name
