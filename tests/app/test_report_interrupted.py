"""A report build whose process is killed does not stay running: listing it (and the
daemon's or the UI's start-up) marks it failed with the reason, and removes its partial file.
A build on another machine is judged by its heartbeat, which a running build keeps fresh."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

import scripts.report_hub as report_hub
from intent.monthly import run_month
from intent.report_definition import make_definition
from intent.report_writers import ChildProcessWriter
from scripts.cli import main as cli
from scripts.report_hub import build_claimed, claim, create_report, recover_interrupted
from scripts.settings import load_settings
from storage.reports import DONE, FAILED, INTERRUPTED, QUEUED, STALE_AFTER_S, STOPPED_BEATING
from storage.store import Store, open_store
from tests.support.intent_world import add_customers, customer
from tests.support.report_world import MONTH
from tests.support.storage import BACKENDS, empty_target

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


async def test_the_start_up_fails_a_silent_build_of_another_host_and_removes_its_partial(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reports" / "hub"
    folder.mkdir(parents=True)
    async with await open_store(tmp_path / "hub.db") as store:
        record = await create_report(
            store, make_definition(source="azure", columns=["CustomerID"], month="lifetime", name="far")
        )
        file_id = await claim(store, record)
        # Its machine went down mid-build: the pid means nothing here, the heartbeat stopped.
        await store.db.execute(
            "UPDATE report_files SET status = 'running', worker = ?, heartbeat_at = ? WHERE file_id = ?",
            ("another-host.invalid:4242:777:process", time.time() - STALE_AFTER_S - 1, file_id),
        )
        partial = folder / f"report-{record.report_id}-lifetime.xlsx.partial"
        partial.write_bytes(b"PK")
        assert await recover_interrupted(store, load_settings()) == 1
        [failed] = await store.reports.files(record.report_id)
        assert (failed.status, failed.error) == (FAILED, STOPPED_BEATING)
        assert not partial.exists()
        assert await claim(store, record) == file_id  # built again by whoever asks next


async def _scored_customers(store: Store) -> None:
    """A scored month of a few customers (without signals, so it is the same on both backends)."""
    await add_customers(store, [customer(f"C{n}") for n in range(1, 6)])
    await run_month(store.scores, store.runs, MONTH)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_build_beats_for_its_files_while_the_xlsx_writer_works(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_hub, "HEARTBEAT_S", 0.05)
    closing = ChildProcessWriter.close

    def long_write(self: ChildProcessWriter) -> None:
        time.sleep(0.8)  # the workbook takes its time: the builder waits in a worker thread
        closing(self)

    monkeypatch.setattr(ChildProcessWriter, "close", long_write)
    defaults = load_settings()
    settings = replace(defaults, reports=replace(defaults.reports, folder=str(tmp_path / "reports")))
    with empty_target(backend, tmp_path) as target:
        async with await open_store(target) as store:
            await _scored_customers(store)
            built_now, behind = [
                await create_report(
                    store,
                    make_definition(
                        source="azure", columns=["CustomerID"], month=MONTH, name=name, format="xlsx"
                    ),
                )
                for name in ("slow", "behind")
            ]
            file_id, queued_id = await claim(store, built_now), await claim(store, behind)
            assert file_id is not None and queued_id is not None
            build = asyncio.create_task(build_claimed(store, settings, built_now, file_id))
            beats: dict[int, set[float]] = {file_id: set(), queued_id: set()}
            while not build.done():
                for row in await store.db.fetchall(
                    "SELECT file_id, heartbeat_at FROM report_files WHERE status IN ('queued', 'running')"
                ):
                    beats[int(row[0])].add(float(row[1]))
                await asyncio.sleep(0.02)
            assert (build.result().status, build.result().rows) == (DONE, 5)
            # Both the file being built and the one queued behind it kept a fresh heartbeat.
            assert len(beats[file_id]) >= 4 and len(beats[queued_id]) >= 4
            last = await store.db.fetchone(
                "SELECT heartbeat_at FROM report_files WHERE file_id = ?", (queued_id,)
            )
            await asyncio.sleep(0.2)
            # With no build left the beat stops (the queued file then goes stale, as a lost one would).
            again = await store.db.fetchone(
                "SELECT heartbeat_at FROM report_files WHERE file_id = ?", (queued_id,)
            )
            assert last is not None and again is not None and float(again[0]) == float(last[0])
            assert not report_hub._beats


async def test_builds_running_together_share_one_beat(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "hub.db") as store:
        async with report_hub.heartbeat(store.reports):
            [first] = report_hub._beats.values()
            async with report_hub.heartbeat(store.reports):
                assert list(report_hub._beats.values()) == [first] and first.builds == 2
            assert first.builds == 1 and not first.task.done()
        assert first.task.done() and not report_hub._beats
