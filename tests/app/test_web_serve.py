"""`ascent serve`: a real uvicorn process on loopback over a real database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.cli import main
from scripts.exits import EXIT_NOT_FOUND
from tests.support.web_rows import seed, seed_file

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_without_a_database_says_so(tmp_path: Path, capsys: object) -> None:
    missing = tmp_path / "missing.db"
    assert main(["--db", str(missing), "serve", "--port", "0"]) == EXIT_NOT_FOUND
    assert not missing.exists()  # serving never creates a database


@contextlib.contextmanager
def serving(db: str, cwd: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`ascent --db DB serve` on a free loopback port, started in ``cwd``; stopped by SIGTERM."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "scripts.cli",
        "--db",
        db,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert health.text == "ok\n"
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status reports it.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"Traceback" not in (process.stderr.read() if process.stderr else b"")


def test_serve_answers_pages_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = seed_file(tmp_path / "ascent.db")
    with serving(str(db), tmp_path) as (port, _):
        page = httpx.get(f"http://127.0.0.1:{port}/customers?area=Azure&cell=A1", timeout=5)
        assert page.status_code == 200
        assert "Contoso Ltd" in page.text
        assert "server" not in page.headers  # no server banner
        assert httpx.post(f"http://127.0.0.1:{port}/customers", timeout=5).status_code == 405


@pytest.mark.postgres
def test_serve_on_postgresql_serves_that_database(pg_url: str, tmp_path: Path) -> None:
    # No SQLite file anywhere near: the UI must read the server's customers, not ./ascent.db.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, seed(pg_url)).result()
    with serving(pg_url, tmp_path) as (port, _):
        page = httpx.get(f"http://127.0.0.1:{port}/customers?area=Azure&cell=A1", timeout=10)
        assert page.status_code == 200
        assert "Contoso Ltd" in page.text
    assert not (tmp_path / "ascent.db").exists()
