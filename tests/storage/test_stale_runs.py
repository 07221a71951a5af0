"""Runs left 'running' by a killed process are closed as 'interrupted' (issue #20 finding 7).

The next process that starts a run closes them, but only once their owner is gone: a run of a
live process (this host or another) is never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cli import main
from storage.owners import owner_is_dead, this_process
from storage.store import Store, open_store
from tests.support.import_rows import GOOD

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import asyncio, sys
from storage.store import open_store

async def hold():
    store = await open_store(sys.argv[1])
    run_id = await store.runs.start("crawl", "", {"once": True})
    print(run_id, flush=True)
    await asyncio.sleep(600)

asyncio.run(hold())
"""


def start_holder(target: str) -> tuple[subprocess.Popen[str], int]:
    """A process that starts a crawl run and never finishes it; (process, run id)."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, target], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    return child, int(child.stdout.readline())


def status(db: Path, run_id: int) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0])


def test_a_killed_commands_run_is_closed_by_the_next_command(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    child, run_id = start_holder(str(db))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert status(db, run_id) == "running"
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(GOOD, encoding="utf-8")
    assert main(["--db", str(db), "import", "customers", str(csv_file)]) == 0
    assert status(db, run_id) == "interrupted"
    with sqlite3.connect(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY run_id")]
    assert statuses == ["interrupted", "ok"]


async def test_a_live_processs_run_is_left_running(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    child, run_id = start_holder(str(db))
    store = await open_store(db)
    try:
        assert await store.runs.close_interrupted() == []
        assert status(db, run_id) == "running"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert await store.runs.close_interrupted() == [run_id]
        assert status(db, run_id) == "interrupted"
        finished = (await store.runs.recent())[0]
        assert finished.finished_at is not None and "interrupted" in finished.summary
    finally:
        child.kill()
        await store.close()


@pytest.mark.parametrize(
    ("owner", "gone"),
    [
        ("", False),  # a run recorded before owners were: nothing can tell
        ("elsewhere.example:1:1", False),  # another host's process cannot be seen from here
        (f"{socket.gethostname()}:{os.getpid()}:1:run", True),  # this pid, reused by another process
        ("garbage", False),
    ],
)
def test_only_owners_known_to_be_gone_are_judged_gone(owner: str, gone: bool) -> None:
    assert owner_is_dead(owner) is gone
    assert not owner_is_dead(this_process())


async def finished_pid_owner() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return f"{socket.gethostname()}:{int(done.stdout)}:1:run"


async def close_in(store: Store) -> None:
    dead = await finished_pid_owner()
    await store.db.execute(
        "INSERT INTO runs(kind, key, status, started_at, owner) VALUES ('monthly', '2026-11', 'running', 1, ?)",
        (dead,),
    )
    await store.db.execute(
        "INSERT INTO runs(kind, key, status, started_at, owner) VALUES ('crawl', '', 'running', 1, ?)",
        (this_process(),),
    )
    run_id = await store.runs.start("export", "2026-11")
    runs = {r.run_id: r for r in await store.runs.recent()}
    assert [runs[i].status for i in sorted(runs)] == ["interrupted", "running", "running"]
    assert runs[run_id].owner == this_process()


async def test_runs_closed_on_sqlite(store: Store) -> None:
    await close_in(store)


async def test_runs_closed_on_postgres(pg_url: str) -> None:
    store = await open_store(pg_url)
    try:
        await close_in(store)
    finally:
        await store.close()
