"""Real `ascent classify` processes killed, stopped and restarted, with the default 600 s lease.

Before: after kill -9 (or SIGINT, SIGTERM, a full disk) the documents in hand stayed leased to
the dead process for 600 s, and a rerun printed "classified 0 document(s)" without a word
about them; SIGTERM killed classify outright (rc -15). Now a rerun takes a dead classifier's
documents back at once and says so, and SIGINT/SIGTERM let the batch in hand finish, give the
rest back and exit 130.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.devtools.soak import write_settings
from tests.support.faults import CAN_MOUNT, _tmpfs
from tests.support.reliability import (
    Prepared,
    ascent,
    child_env,
    copy_db,
    integrity,
    prepared_world,
    query,
    run_ascent,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CLASSIFY = ("classify", "--no-progress")
# More for a longer run: ASCENT_CLASSIFY_KILLS=20 (BENCHMARKS.md).
KILLS = int(os.environ.get("ASCENT_CLASSIFY_KILLS", "4"))


@dataclasses.dataclass
class Crawled:
    prep: Prepared
    db: Path  # crawled, nothing classified
    config: Path  # the default 600 s classify lease, small batches


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    folder = tmp_path_factory.mktemp("classify-kills")
    with prepared_world(folder, 3, max_crawl_delay=0.2) as prep:
        db = copy_db(prep.template_db, folder / "crawled.db")
        done = run_ascent(db, prep.config, "crawl", "--once", "--quiet")
        assert done.returncode == 0, done.stderr
        settings = dataclasses.replace(
            prep.settings,
            signals=dataclasses.replace(prep.settings.signals, lease_s=600.0, documents_per_batch=4),
        )
        yield Crawled(prep, db, write_settings(settings, folder / "long-lease.toml"))


def _pending(db: Path) -> int:
    return int(query(db, "SELECT COUNT(*) FROM documents WHERE classified_at IS NULL")[0][0])


def _classified(db: Path) -> int:
    return int(query(db, "SELECT COUNT(*) FROM documents WHERE classified_at IS NOT NULL")[0][0])


def _leased(db: Path) -> int:
    return int(query(db, "SELECT COUNT(*) FROM documents WHERE classify_lease_owner IS NOT NULL")[0][0])


def _start(db: Path, config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ascent(db, config, *CLASSIFY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def _stop_when_classifying(process: subprocess.Popen[str], db: Path, after: int, sig: int) -> None:
    """Send ``sig`` once ``after`` more documents are classified (the model is loaded, leases
    are held), or fail if the process ends first."""
    start = _classified(db)
    assert wait_for(lambda: process.poll() is not None or _classified(db) >= start + after, 300)
    assert process.poll() is None, "classify finished before it could be stopped"
    process.send_signal(sig)


def test_kill_9_at_random_points_then_a_rerun_classifies_everything(crawled: Crawled, tmp_path: Path) -> None:
    db = copy_db(crawled.db, tmp_path / "killed.db")
    total = _pending(db)
    assert total >= 8, total
    rng = random.Random(int(os.environ.get("ASCENT_CRASH_SEED", "2026")))
    leased_after_kills = []
    for kill in range(KILLS):
        process = _start(db, crawled.config)
        try:
            _stop_when_classifying(process, db, rng.randint(1, total // 4), signal.SIGKILL)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
        leased_after_kills.append(_leased(db))
        assert integrity(db) == "ok"
        if kill % 2 == 0:
            # the next run takes the dead process's documents back at once and says so
            held = _leased(db)
            rerun = _start(db, crawled.config)
            stdout, stderr = rerun.communicate(timeout=600)
            assert rerun.returncode == 0, stderr
            if held:
                assert f"took back {held} document(s)" in stdout, stdout
            assert _pending(db) == 0 and _leased(db) == 0, stdout
            # make more work for the next kills: everything pending again
            _requeue_all(db)
    # the kills landed mid-batch: a dead process held documents (what used to stay for 600 s)
    assert any(leased_after_kills), leased_after_kills
    final = run_ascent(db, crawled.config, *CLASSIFY)
    assert final.returncode == 0, final.stderr
    assert _pending(db) == 0 and _leased(db) == 0, final.stdout
    assert _classified(db) == total
    print(f"{KILLS} kills; documents leased to the dead process after each: {leased_after_kills}")


def _requeue_all(db: Path) -> None:
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        conn.execute("DELETE FROM signals")
        conn.execute("DELETE FROM passages")
        conn.execute("UPDATE documents SET classified_at = NULL")
        conn.commit()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_drains_classify_with_exit_130_and_nothing_leased(
    crawled: Crawled, tmp_path: Path, sig: int
) -> None:
    db = copy_db(crawled.db, tmp_path / "stopped.db")
    total = _pending(db)
    process = _start(db, crawled.config)
    try:
        _stop_when_classifying(process, db, 1, sig)
        began = time.monotonic()
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, (process.returncode, stderr)
    assert time.monotonic() - began < 60  # one batch of 4 documents, then out
    assert _leased(db) == 0
    assert "Traceback" not in stderr
    classified = _classified(db)
    assert 0 < classified < total, "stopped before the end"
    assert stdout.startswith("classify stopped: ") and f"left for later {total - classified}" in stdout
    row = query(db, "SELECT status FROM runs WHERE kind = 'classify' ORDER BY run_id DESC LIMIT 1")
    assert row == [("stopped",)]


@pytest.mark.skipif(not CAN_MOUNT, reason="needs root and mount for a tiny tmpfs")
def test_a_full_disk_stops_classify_and_the_next_run_takes_its_documents_back(
    crawled: Crawled, tmp_path: Path
) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    roomy = tmp_path / "roomy"
    roomy.mkdir()
    with _tmpfs(tiny, f"{crawled.db.stat().st_size // 1024 + 160}k"):
        db = copy_db(crawled.db, tiny / "ascent.db")
        full = run_ascent(db, crawled.config, *CLASSIFY)
        assert full.returncode == 4, (full.returncode, full.stderr)
        # (the lines before it are the model loader's progress)
        assert full.stderr.strip().splitlines()[-1] == "ascent: database: database or disk is full"
        assert "Traceback" not in full.stderr
        assert integrity(db) == "ok"
        for name in ("ascent.db", "ascent.db-wal"):  # as an operator would, to a disk with room
            if (tiny / name).exists():
                shutil.copyfile(tiny / name, roomy / name)
    db = roomy / "ascent.db"
    held, pending = _leased(db), _pending(db)
    print(f"after the full disk: {held} leased, {pending} pending")
    assert pending > 0, "the disk did not fill before classify finished"
    rerun = run_ascent(db, crawled.config, *CLASSIFY)
    assert rerun.returncode == 0, rerun.stderr
    if held:
        assert f"took back {held} document(s)" in rerun.stdout, rerun.stdout
    assert _pending(db) == 0 and _leased(db) == 0, rerun.stdout
