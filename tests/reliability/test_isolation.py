"""The parse pool: results come back, crashes and hangs cost one call, not the process."""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from crawler.errors import ParseFailed, ParserCrashed, ParseTimeout
from crawler.isolation import ParsePool


def count_tags(body: bytes) -> int:
    return body.count(b"<")


def crash(body: bytes) -> int:
    ctypes.string_at(0)  # segfault, like a bug in a C parser
    return 0


def hang(body: bytes) -> int:
    while True:
        pass


def fail(body: bytes) -> int:
    raise ValueError("malformed")


def pid(body: bytes) -> int:
    return os.getpid()


@pytest.mark.slow
async def test_results_crashes_hangs_and_errors() -> None:
    pool = ParsePool(workers=1, timeout_s=1.0, preload=())
    try:
        await pool.start()
        assert await pool.run(count_tags, b"<a><b>") == 2
        first_worker = await pool.run(pid, b"")
        assert first_worker != os.getpid()

        with pytest.raises(ParserCrashed) as crashed:
            await pool.run(crash, b"")
        assert crashed.value.error_class == "parse_crash"
        assert await pool.run(count_tags, b"<x>") == 1  # a fresh pool took over

        started = time.monotonic()
        with pytest.raises(ParseTimeout):
            await pool.run(hang, b"", timeout_s=0.5)
        assert time.monotonic() - started < 2.0
        assert await pool.run(count_tags, b"<<<") == 3
        assert await pool.run(pid, b"") != first_worker

        with pytest.raises(ParseFailed) as failed:
            await pool.run(fail, b"")
        assert "malformed" in str(failed.value) and failed.value.error_class == "parse"
        assert pool.restarts >= 2
    finally:
        await pool.aclose()


_OWNER = """
import asyncio, sys, time
import psutil
from crawler.isolation import ParsePool

async def main():
    pool = ParsePool(workers=2, timeout_s=120.0, preload=())
    await pool.start()
    busy = asyncio.ensure_future(pool.run(time.sleep, 60))  # one worker stuck in a call
    await asyncio.sleep(0.5)
    children = psutil.Process().children(recursive=True)
    print(" ".join(str(c.pid) for c in children), flush=True)
    await busy

asyncio.run(main())
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_sigkill_of_the_owner_leaves_no_parse_process_behind() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline().decode()
        children = [int(p) for p in line.split()]
        # The fork server and two workers at least (the resource tracker may be there too).
        assert len(children) >= 3, line
        assert not any(_gone(pid) for pid in children)
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and not all(_gone(pid) for pid in children):
        time.sleep(0.1)
    left = [pid for pid in children if not _gone(pid)]
    for pid in left:  # do not leak them into the rest of the suite
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()
    assert left == []
