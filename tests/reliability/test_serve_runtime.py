"""`ascent serve` as a real process on loopback: header deadline, keep-alive during `monthly`,
a port in use, a read-only folder (and one whose database has accounts, which is refused).

Before: a connection sending partial headers (or nothing) stayed open for good; a client that
came back to its keep-alive connection about 5 s after its last answer (uvicorn's timeout)
lost its request, which is how requests were dropped while `monthly` ran; a port in use
was exit 3 ("not found"); on a read-only folder serve printed its URL, then a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import re
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.devtools.soak import write_settings
from scripts.settings import Settings
from tests.support.faults import CAN_MOUNT, IS_ROOT, _read_only
from tests.support.reliability import ascent, child_env, run_ascent
from tests.support.scored_db import MONTH, Scored

pytestmark = pytest.mark.slow

HEADER_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings()
    web = dataclasses.replace(settings.web, header_timeout_s=HEADER_TIMEOUT_S)
    return write_settings(dataclasses.replace(settings, web=web), tmp_path_factory.mktemp("serve") / "a.toml")


@contextlib.contextmanager
def _serving(db: Path, config: Path) -> Iterator[tuple[int, str]]:
    """`ascent serve --port 0`; yields its port and its first line."""
    process = subprocess.Popen(
        ascent(db, config, "serve", "--port", "0"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line + (process.stderr.read() if process.poll() is not None else "")
        port = int(found.group(1))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        yield port, line
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _closed_after(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes ``sock`` (reads nothing else); fails after ``limit``."""
    began = time.monotonic()
    sock.settimeout(limit)
    try:
        assert sock.recv(1024) == b""
    except TimeoutError:
        pytest.fail(f"still open after {limit} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - began


def _get(sock: socket.socket, path: str) -> bytes:
    """One request on a keep-alive connection; the status line, or b"" when the server closed
    the connection without answering."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                return b""
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                return b""
            body += piece
    except ConnectionResetError:
        return b""
    return head.split(b"\r\n", 1)[0]


def test_connections_too_slow_with_their_headers_are_closed(scored: Scored, config: Path) -> None:
    with _serving(scored.db, config) as (port, _):
        partial = socket.create_connection(("127.0.0.1", port))
        partial.sendall(b"GET /matrix HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        silent = socket.create_connection(("127.0.0.1", port))
        dripping = socket.create_connection(("127.0.0.1", port))
        began = time.monotonic()
        for byte in b"GET /matrix HTTP/1.1\r\n":  # one byte every 0.2 s: more than the deadline
            with contextlib.suppress(OSError):
                dripping.sendall(bytes([byte]))
            time.sleep(0.2)
        assert time.monotonic() - began > HEADER_TIMEOUT_S
        for sock in (partial, silent, dripping):
            with sock:
                assert _closed_after(sock, 10) < HEADER_TIMEOUT_S + 3
        # a complete request on a fresh connection is answered as ever
        with socket.create_connection(("127.0.0.1", port), timeout=30) as fine:
            assert _get(fine, "/healthz") == b"HTTP/1.1 200 OK"


def test_no_keep_alive_request_is_dropped_while_monthly_writes(
    scored: Scored,
    config: Path,
    tmp_path: Path,
) -> None:
    """Eight keep-alive clients pause 0-6.5 s between requests (a client starved of CPU by
    the monthly run, or a pool reusing a connection it kept idle) while `monthly` rewrites the
    month again and again."""
    db = tmp_path / "busy.db"
    shutil.copyfile(scored.db, db)
    seconds = 25.0
    statuses: Counter[bytes] = Counter()
    paths = ["/matrix", f"/customers?month={MONTH}", "/signals", "/customers/C00001", "/healthz"]
    with _serving(db, config) as (port, _):
        stop = time.monotonic() + seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                while time.monotonic() < stop:
                    statuses[_get(sock, rng.choice(paths))] += 1
                    if statuses[b""]:
                        return
                    time.sleep(rng.uniform(0, 6.5) if rng.random() < 0.3 else 0)

        clients = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in clients:
            thread.start()
        runs = 0
        while time.monotonic() < stop:
            done = run_ascent(db, scored.config, "monthly", "--month", MONTH, timeout=120)
            assert done.returncode == 0, done.stderr
            runs += 1
        for thread in clients:
            thread.join(90)
    assert runs >= 2
    assert statuses[b""] == 0, statuses
    assert set(statuses) <= {b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found"}, statuses
    assert statuses[b"HTTP/1.1 200 OK"] > 100, statuses


def test_a_port_in_use_is_its_own_line_and_exit_5(scored: Scored, config: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_ascent(scored.db, config, "serve", "--port", str(port), timeout=60)
    assert done.returncode == 5, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"ascent serve: 127.0.0.1:{port} is already in use by another program; choose another"
        " with --port or [web] port"
    ]


@pytest.mark.skipif(IS_ROOT and not CAN_MOUNT, reason="root without mount: cannot make a folder read-only")
def test_serve_on_a_read_only_folder(scored: Scored, config: Path, tmp_path: Path) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copyfile(scored.db, folder / "ascent.db")
    with _read_only(folder), _serving(folder / "ascent.db", config) as (port, line):
        assert "read-only: its folder cannot be written" in line
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for path in ("/healthz", "/matrix", f"/customers?month={MONTH}", "/customers/C00001"):
                assert _get(sock, path) == b"HTTP/1.1 200 OK", path


@pytest.mark.skipif(IS_ROOT and not CAN_MOUNT, reason="root without mount: cannot make a folder read-only")
def test_serve_refuses_a_read_only_database_that_has_accounts(
    scored: Scored, config: Path, tmp_path: Path
) -> None:
    """Sign-ins and sessions must be recorded, so a read-only database with accounts is one
    line and exit 4 before anything listens, not a UI whose every sign-in fails."""
    folder = tmp_path / "media"
    folder.mkdir()
    db = folder / "ascent.db"
    shutil.copyfile(scored.db, db)
    added = subprocess.run(
        ascent(db, config, "users", "add", "lee", "--role", "admin", "--password-stdin"),
        input="a long enough passphrase\n",
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    with _read_only(folder):
        done = run_ascent(db, config, "serve", "--port", "0", timeout=120)
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "accounts exist" in lines[0] and "serve it from a folder that can be written" in lines[0]
    assert "http://" not in done.stderr
