"""Disk and database faults: a read-only database file, a read-only directory, a full disk
and a database locked by another process. Each command must say what is wrong in one line,
exit with 4 (storage unavailable), print no traceback and leave the database intact; the
daemon must keep retrying while the database is locked and recover once it is released.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.devtools.soak import daemon_process, free_port, get_text, metric_sum, write_settings
from scripts.exits import EXIT_STORAGE
from scripts.settings import Settings
from storage.db import Database
from storage.errors import DatabaseReadOnly
from tests.support.faults import CAN_MOUNT, IS_ROOT, _read_only, _tmpfs
from tests.support.reliability import (
    Prepared,
    copy_db,
    integrity,
    prepared_world,
    query,
    run_ascent,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]



@pytest.fixture(scope="module")
def prep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    # Crawl-delay capped (some fixture sites ask 1-2 s): the bounded crawls here test faults,
    # not politeness, and would otherwise run to their time limit.
    with prepared_world(tmp_path_factory.mktemp("faults"), 10, max_crawl_delay=0.2) as prepared:
        yield prepared


def _assert_storage_failure(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == EXIT_STORAGE, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.startswith("ascent: database:"), done.stderr[-2000:]
    assert any(word in done.stderr.lower() for word in words), done.stderr










def _customers_csv(prep: Prepared) -> Path:
    return prep.config.parent / "csv" / "customers.csv"


@pytest.mark.skipif(IS_ROOT and not CAN_MOUNT, reason="root without mount: cannot make files read-only")
def test_read_only_directory_and_file(prep: Prepared, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = copy_db(prep.template_db, folder / "ascent.db")
    before = query(db, "SELECT COUNT(*) FROM customers")
    with _read_only(folder):
        for args in (
            ("import", "customers", str(_customers_csv(prep))),
            ("monthly", "--month", "2026-11"),
            ("crawl", "--once", "--quiet", "--max-seconds", "20"),
        ):
            done = run_ascent(db, prep.config, *args, timeout=60)
            _assert_storage_failure(done, "read-only", "readonly", "cannot")
    assert integrity(db) == "ok"
    assert query(db, "SELECT COUNT(*) FROM customers") == before


@pytest.mark.skipif(IS_ROOT and not CAN_MOUNT, reason="root without mount: cannot make files read-only")
def test_daemon_on_a_read_only_database_refuses_cleanly_or_keeps_retrying(
    prep: Prepared, tmp_path: Path
) -> None:
    """Where SQLite cannot open the file at all the daemon exits 4 with the one-line message
    (the service manager restarts it); where it opens it read-only every job fails with a
    read-only error, is retried at its interval, /healthz keeps answering and SIGTERM still
    ends it cleanly. Which of the two happens is SQLite's choice (whether the WAL index can
    be mapped), so both are accepted and each is checked in full."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = copy_db(prep.template_db, folder / "ascent.db")
    port = free_port()
    config = write_settings(_daemon_settings(prep, port, tmp_path), tmp_path / "daemon.toml")
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "daemon.log"
    with _read_only(folder):
        with daemon_process(db, config, log, tick=0.5) as daemon:
            wait_for(lambda: daemon.poll() is not None or _is_up(url), 120, step=0.5)
            if daemon.poll() is None:
                assert wait_for(lambda: _crawl_failures(url) >= 2, 120, step=1.0), log.read_text()[-3000:]
                assert daemon.poll() is None, log.read_text()[-3000:]
                assert _is_up(url)
        text = log.read_text()
        if daemon.returncode == EXIT_STORAGE:
            assert text.startswith("ascent: database:") and "Traceback" not in text, text[-3000:]
        else:
            assert daemon.returncode == 0, text[-3000:]
            assert "readonly database" in text, text[-3000:]
    assert integrity(db) == "ok"


@pytest.mark.skipif(IS_ROOT and not CAN_MOUNT, reason="root without mount: cannot make files read-only")
async def test_a_database_opened_read_only_writes_again_once_access_returns(tmp_path: Path) -> None:
    """SQLite opens a file it may not write read-only (here: its WAL is kept open by another
    process, as the UI server does) and that connection stays read-only for good; the next
    write after a read-only error opens a fresh one, so no restart is needed once an
    operator gives write access back."""
    folder = tmp_path / "ro"
    folder.mkdir()
    keeper = await Database.open(folder / "ascent.db")  # another process holding the WAL open
    try:
        await keeper.execute("CREATE TABLE notes(text TEXT)")
        with _read_only(folder):
            db = await Database.open(folder / "ascent.db")
            with pytest.raises(DatabaseReadOnly):
                await db.execute("INSERT INTO notes VALUES ('while read-only')")
            with pytest.raises(DatabaseReadOnly):  # still read-only: fails the same way
                await db.execute("INSERT INTO notes VALUES ('still read-only')")
        await db.execute("INSERT INTO notes VALUES ('after')")
        assert [tuple(r) for r in await db.fetchall("SELECT text FROM notes")] == [("after",)]
        assert await db.integrity_check() == "ok"
        await db.close()
    finally:
        await keeper.close()


@pytest.mark.skipif(IS_ROOT, reason="root writes through file modes; covered by the mount test")
def test_read_only_database_file_in_writable_directory(prep: Prepared, tmp_path: Path) -> None:
    db = copy_db(prep.template_db, tmp_path / "ascent.db")
    db.chmod(0o444)
    try:
        done = run_ascent(db, prep.config, "import", "customers", str(_customers_csv(prep)))
        _assert_storage_failure(done, "read-only", "readonly")
    finally:
        db.chmod(0o644)
    assert integrity(db) == "ok"


@pytest.mark.skipif(not CAN_MOUNT, reason="needs root and mount for a tiny tmpfs")
def test_disk_full_during_crawl(prep: Prepared, tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "tiny", "1200k") as tiny:
        db = copy_db(prep.template_db, tiny / "ascent.db")
        done = run_ascent(db, prep.config, "crawl", "--once", "--quiet", "--max-seconds", "60")
        _assert_storage_failure(done, "full")
        assert integrity(db) == "ok"
        # Once space is freed, the same database carries on (copied as it lies: a checkpoint
        # would need space the full disk does not have).
        saved = tmp_path / "after.db"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db}{suffix}").exists():
                shutil.copyfile(f"{db}{suffix}", f"{saved}{suffix}")
    resumed = run_ascent(saved, prep.config, "crawl", "--once", "--quiet", "--max-seconds", "60")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert integrity(saved) == "ok"


@pytest.mark.skipif(not CAN_MOUNT, reason="needs root and mount for a tiny tmpfs")
def test_daemon_retries_on_a_full_disk_and_recovers(prep: Prepared, tmp_path: Path) -> None:
    """The disk fills while the daemon runs: jobs fail and are retried, the daemon stays up,
    and once the filesystem grows the next crawl pass succeeds on the same database."""
    with _tmpfs(tmp_path / "tiny", "1200k") as tiny:
        db = copy_db(prep.template_db, tiny / "ascent.db")
        port = free_port()
        config = write_settings(_daemon_settings(prep, port, tmp_path), tmp_path / "daemon.toml")
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / "daemon.log"
        with daemon_process(db, config, log, tick=0.5) as daemon:
            assert wait_for(lambda: _is_up(url), 120, step=0.5), log.read_text()[-3000:]
            assert wait_for(lambda: _crawl_failures(url) >= 1, 120, step=1.0), log.read_text()[-3000:]
            time.sleep(3)  # a few more ticks on the full disk
            assert daemon.poll() is None, log.read_text()[-3000:]
            assert _is_up(url)
            subprocess.run(["mount", "-o", "remount,size=64m", str(tiny)], check=True)
            grown = time.time()

            def crawled_after_growing() -> bool:
                rows = query(db, "SELECT last_success_at FROM jobs WHERE name = 'crawl'")
                return bool(rows) and rows[0][0] is not None and rows[0][0] > grown

            assert wait_for(crawled_after_growing, 120, step=1.0), log.read_text()[-3000:]
            assert daemon.poll() is None
        assert daemon.returncode == 0, log.read_text()[-3000:]
        assert integrity(db) == "ok"


def _daemon_settings(prep: Prepared, port: int, tmp_path: Path) -> Settings:
    return dataclasses.replace(
        prep.settings,
        daemon=dataclasses.replace(
            prep.settings.daemon,
            health_port=port,
            crawl_interval_s=2.0,
            crawl_max_seconds=5.0,
            classify_interval_s=3600.0,
        ),
        reports=dataclasses.replace(prep.settings.reports, folder=str(tmp_path / "reports")),
    )


def _crawl_failures(url: str) -> float:
    with contextlib.suppress(OSError, ValueError):
        return metric_sum(get_text(f"{url}/metrics"), "ascent_job_failures_total")
    return 0.0


@contextlib.contextmanager
def _locked(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding BEGIN EXCLUSIVE on ``db`` until the block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); c.execute(\"INSERT INTO runs (kind, started_at) VALUES ('lock', 0)\")\n"
            "print('locked', flush=True); sys.stdin.readline(); c.execute('ROLLBACK')\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    line = holder.stdout.readline()
    assert line.strip() == "locked", holder.stderr.read() if holder.stderr else line
    try:
        yield holder
    finally:
        with contextlib.suppress(BrokenPipeError):
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(10)


def test_locked_database_gives_exit_4_then_works(prep: Prepared, tmp_path: Path) -> None:
    db = copy_db(prep.template_db, tmp_path / "ascent.db")
    with _locked(db):
        began = time.monotonic()
        done = run_ascent(db, prep.config, "import", "customers", str(_customers_csv(prep)))
        waited = time.monotonic() - began
        _assert_storage_failure(done, "locked", "busy")
    assert waited >= 5, "a locked database is waited for (busy_timeout) before giving up"
    again = run_ascent(db, prep.config, "import", "customers", str(_customers_csv(prep)))
    assert again.returncode == 0, again.stderr
    assert integrity(db) == "ok"
    assert query(db, "SELECT COUNT(*) FROM runs WHERE kind = 'lock'") == [(0,)]


def _health(url: str) -> dict[str, object]:
    return dict(json.loads(get_text(f"{url}/healthz")))


def test_daemon_retries_while_locked_and_recovers(prep: Prepared, tmp_path: Path) -> None:
    db = copy_db(prep.template_db, tmp_path / "ascent.db")
    port = free_port()
    config = write_settings(_daemon_settings(prep, port, tmp_path), tmp_path / "daemon.toml")
    url = f"http://127.0.0.1:{port}"
    with daemon_process(db, config, tmp_path / "daemon.log", tick=0.5) as daemon:
        assert wait_for(lambda: _is_up(url), 120, step=0.5), (tmp_path / "daemon.log").read_text()
        with _locked(db):
            time.sleep(25)  # longer than busy_timeout: jobs fail while it is held
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
            assert _is_up(url)
        # Released: a crawl pass completes and is recorded.
        released = time.time()

        def crawled_after_release() -> bool:
            rows = query(db, "SELECT last_success_at FROM jobs WHERE name = 'crawl'")
            return bool(rows) and rows[0][0] is not None and rows[0][0] > released

        assert wait_for(crawled_after_release, 90, step=1.0), (tmp_path / "daemon.log").read_text()[-3000:]
        assert daemon.poll() is None
        health = _health(url)
        assert health["status"] == "ok"
    assert integrity(db) == "ok"


def _is_up(url: str) -> bool:
    with contextlib.suppress(OSError, ValueError):
        return _health(url)["status"] == "ok"
    return False
