"""The parse pool: results come back, crashes and hangs cost one call, not the process."""

from __future__ import annotations

import ctypes
import os
import time

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
