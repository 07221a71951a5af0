"""A report build whose process is killed does not stay running: listing it (and the
daemon's or the UI's start-up) marks it failed with the reason, and removes its partial file."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from intent.report_definition import make_definition
from scripts.cli import main as cli
from scripts.report_hub import claim, create_report, recover_interrupted
from scripts.settings import load_settings
from storage.reports import FAILED, INTERRUPTED, QUEUED
from storage.store import open_store

ROOT = Path(__file__).resolve().parents[2]
# A build's worker as the UI runs it: it claims the file, starts writing, and is then killed.
_WORKER = """
import asyncio, sys
from pathlib import Path
from intent.report_definition import make_definition
from scripts.report_hub import claim, create_report
from storage.store import open_store

async def main():
    async with await open_store(Path(sys.argv[1])) as store:
        record = await create_report(store, make_definition(
            source="azure", columns=["CustomerID"], month="lifetime", name="killed", format="xlsx"))
        file_id = await claim(store, record)
        (Path(sys.argv[2]) / f"report-{record.report_id}-lifetime.xlsx.partial").write_bytes(b"PK")
        print(record.report_id, file_id, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def test_a_killed_build_is_marked_failed_and_a_live_one_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hub.db"
    folder = tmp_path / "reports" / "hub"
    folder.mkdir(parents=True)
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(db), str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        report_id, _ = map(int, worker.stdout.readline().split())
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    async def live_build() -> int:
        async with await open_store(db) as store:
            record = await create_report(
                store, make_definition(source="azure", columns=["CustomerID"], month="lifetime", name="live")
            )
            await claim(store, record)  # claimed by this process, which still runs
            return record.report_id

    live_id = asyncio.run(live_build())
    assert cli(["--db", str(db), "report", "list", "--json"]) == 0
    listed = {r["report_id"]: r["latest"] for r in json.loads(capsys.readouterr().out)}
    assert listed[report_id]["status"] == FAILED
    assert listed[live_id]["status"] == QUEUED

    async def recovered() -> tuple[int, str]:
        async with await open_store(db) as store:
            await store.db.execute("UPDATE report_files SET status = 'running', error = ''")
            count = await recover_interrupted(store, load_settings())
            files = await store.reports.files(report_id)
            return count, files[0].error

    count, error = asyncio.run(recovered())
    assert (count, error) == (1, INTERRUPTED)
    assert not list(folder.glob("*.partial"))


_PARENT = """
import sys, time
from pathlib import Path
from intent.report_writers import ChildProcessWriter

writer = ChildProcessWriter("xlsx", Path(sys.argv[1]), ["CustomerID"], row_bound=10)
writer.write_rows([["C1"]])
print(writer._process.pid, flush=True)
time.sleep(60)
"""


def test_the_xlsx_writer_process_ends_when_its_builder_is_killed(tmp_path: Path) -> None:
    import psutil

    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path / "r.xlsx.partial")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        writer = psutil.Process(int(parent.stdout.readline()))
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    try:
        writer.wait(timeout=15)  # psutil.TimeoutExpired if it waited for rows for ever
    finally:
        if writer.is_running():
            writer.kill()
