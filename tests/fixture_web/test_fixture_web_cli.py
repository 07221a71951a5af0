"""`ascent fixture-web` as a user runs it: starts, serves, writes its files, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx

from intent.imports import KINDS, parse_file

REPO = Path(__file__).resolve().parents[2]


def test_fixture_web_command_serves_until_sigterm(tmp_path: Path) -> None:
    out, csv_dir = tmp_path / "out", tmp_path / "csv"
    command = [
        sys.executable,
        "-m",
        "scripts.cli",
        "fixture-web",
        "--companies",
        "12",
        "--port",
        "0",
        "--dns-port",
        "0",
        "--out",
        str(out),
        "--write-csv",
        str(csv_dir),
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        text = "".join(lines)
        assert "ready" in text, text
        base = re.search(r"^http: (http://\S+)", text, re.M)
        host = re.search(r"Host: ([^']+)'", text)
        assert base and host and re.search(r"^dns: 127\.0\.0\.1:\d+", text, re.M)
        home = httpx.get(base.group(1) + "/", headers={"Host": host.group(1)})
        assert home.status_code == 200 and "<html" in home.text
        truth = json.loads((out / "ground-truth.json").read_text())
        assert len(truth["companies"]) == 12 and truth["signals"]
        settings = tomllib.loads((out / "ascent.toml").read_text())["crawler"]
        assert settings["allow_private_addresses"] is True
        assert settings["resolve"][host.group(1)] == base.group(1).removeprefix("http://")
        for kind in KINDS:
            assert parse_file(kind, csv_dir / f"{kind}.csv").ok
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
        log = (out / "requests.jsonl").read_text().splitlines()
        assert json.loads(log[0])["host"] == host.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_fixture_web_rejects_bad_company_counts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "fixture-web", "--companies", "5"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 2 and "between 10 and 10000" in result.stderr
