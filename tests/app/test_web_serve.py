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


def test_serve_refuses_a_non_loopback_address_until_an_admin_exists(tmp_path: Path, capsys: object) -> None:
    from scripts.commands.serve import is_loopback
    from scripts.exits import EXIT_BAD_INPUT
    from scripts.passwords import hash_password
    from storage.store import open_store

    db = tmp_path / "ascent.db"

    async def add_viewer() -> None:
        async with await open_store(db) as store:
            await store.users.add("vera", "viewer", ["P1"], hash_password("x" * 12), actor="terminal")

    asyncio.run(add_viewer())  # a viewer is not enough: nobody could manage the accounts
    for host in ("0.0.0.0", "::", "192.0.2.10"):
        assert main(["--db", str(db), "serve", "--host", host, "--port", "0"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "is not a loopback address" in err and "--role admin" in err
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("no such host.invalid")


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
