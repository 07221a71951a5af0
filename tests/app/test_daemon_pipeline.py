"""The daemon with the real pipeline against the fixture web: a fake clock across the 25th,
and a real `ascent run` process that answers /healthz and /metrics and drains on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.vocabulary import REPORT_NAMES
from scripts.daemon import JobRunner, Metrics, standard_jobs
from scripts.fixture_web import FixtureWeb, World
from scripts.imports import import_file
from scripts.pipeline import PipelineStages
from scripts.schedule import FakeClock
from scripts.settings import Settings, load_settings, to_toml
from scripts.wiring import reports_dir
from storage.store import open_store

pytestmark = pytest.mark.slow

COMPANIES = 12


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[FixtureWeb]:
    """The fixture web on the test's own event loop (a fixture's loop would be another one)."""
    world = World.generate(COMPANIES, seed=11)
    async with FixtureWeb(world, port=0, dns_port=0) as served:
        yield served


def settings_for(
    web: FixtureWeb, tmp_path: Path, max_crawl_delay: float | None = None, **daemon: object
) -> Settings:
    base = load_settings(None, env={})
    crawler = dataclasses.replace(
        base.crawler,
        max_crawl_delay=base.crawler.max_crawl_delay if max_crawl_delay is None else max_crawl_delay,
        allow_private_addresses=True,
        resolve=web.resolve_map(),
        nameservers=[web.nameserver],
        seed_scheme="http",
        forum_hosts=[web.world.forum_host],
        per_host_delay=0.02,
    )
    daemon_settings = dataclasses.replace(base.daemon, **daemon)
    reports = dataclasses.replace(base.reports, folder=str(tmp_path / "reports"))
    return dataclasses.replace(base, crawler=crawler, daemon=daemon_settings, reports=reports)


async def imported(web: FixtureWeb, db: Path, tmp_path: Path) -> None:
    csv_dir = tmp_path / "csv"
    await asyncio.to_thread(web.world.write_csv, csv_dir)
    async with await open_store(db) as store:
        for kind in ("customers", "products", "agreements", "fit", "outcomes"):
            result, _ = await import_file(store, kind, csv_dir / f"{kind}.csv")
            assert result.ok, result.errors[:5]


async def settle(runner: JobRunner) -> None:
    while runner.running:
        await asyncio.wait(list(runner.running.values()))


async def test_reports_appear_once_across_the_25th(tmp_path: Path) -> None:
    async with serving() as web:
        await reports_appear_once_across_the_25th(web, tmp_path)


async def reports_appear_once_across_the_25th(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "ascent.db"
    await imported(web, db, tmp_path)
    # Crawl-delay capped (some fixture sites ask 1-2 s): the schedule is under test here, and
    # each of the six crawl passes would otherwise wait on politeness for most of its run.
    settings = settings_for(web, tmp_path, max_crawl_delay=0.2)
    clock = FakeClock(datetime(2026, 11, 24, 12, tzinfo=UTC))
    async with await open_store(db) as store:
        stages = PipelineStages(store, settings, reports_dir(settings, str(db)))
        runner = JobRunner(standard_jobs(stages, settings), store.jobs, clock, Metrics())
        await runner.run_due()  # first start: crawl, classify, ... and last month's missed run
        await settle(runner)
        reports = tmp_path / "reports"
        assert sorted(p.name for p in (reports / "2026-10").iterdir())[0] == "azure-2026-10.csv"
        assert not (reports / "2026-11").exists()
        for _ in range(4):  # across 2026-11-25 02:00
            clock.advance(hours=8)
            await runner.run_due()
            await settle(runner)
        november = reports / "2026-11"
        files = sorted(p.name for p in november.iterdir())
        assert files == sorted(f"{r}-2026-11.csv" for r in REPORT_NAMES)
        stamps = {p: p.stat().st_mtime_ns for p in november.iterdir()}
        clock.advance(days=2)
        await runner.run_due()
        await settle(runner)
        assert {p: p.stat().st_mtime_ns for p in november.iterdir()} == stamps
        monthly_runs = [r for r in await store.runs.recent(200) if r.kind == "monthly"]
        assert sorted(r.key for r in monthly_runs) == ["2026-10", "2026-11"]
        assert await store.signals.counts_by_type(), "the daemon's classify job produced no signals"
        state = await store.jobs.get("monthly")
        assert state is not None and state.failures == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


async def test_run_answers_health_and_drains_on_sigterm(tmp_path: Path) -> None:
    async with serving() as web:
        await run_answers_health_and_drains_on_sigterm(web, tmp_path)


async def run_answers_health_and_drains_on_sigterm(web: FixtureWeb, tmp_path: Path) -> None:
    db = tmp_path / "ascent.db"
    await imported(web, db, tmp_path)
    port = free_port()
    settings = settings_for(web, tmp_path, health_port=port, shutdown_grace_s=5.0)
    config = tmp_path / "ascent.toml"
    config.write_text(to_toml(settings), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "--db", str(db), "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        health: dict[str, object] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            try:
                status, body = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/healthz")
            except OSError:
                continue
            health = json.loads(body)
            if status == 200 and health.get("jobs", {}).get("crawl", {}).get("running"):  # type: ignore[union-attr]
                break
        assert health.get("status") == "ok", health
        assert "due_sources" in health["queue"]  # type: ignore[operator]
        status, metrics = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and b"ascent_process_rss_bytes" in metrics
        await asyncio.sleep(1.0)  # mid-crawl
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 30)
        assert code == 0, process.stderr.read().decode()[-3000:] if process.stderr else ""
        assert time.monotonic() - began < 5.0 + 10.0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        now = time.time()
        held = conn.execute(
            "SELECT COUNT(*) FROM sources WHERE lease_owner IS NOT NULL AND lease_until > ?", (now,)
        ).fetchone()[0]
        documents_before = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    assert held == 0, "the drained daemon left sources leased"
    # A clean resume: one crawl pass finishes what the daemon left.
    finish = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "--db", str(db), "--config", str(config), "crawl", "--once"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert finish.returncode == 0, finish.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= documents_before
        assert (
            conn.execute("SELECT COUNT(*) FROM sources WHERE next_due_at <= ?", (time.time(),)).fetchone()[0]
            == 0
        )


async def test_sigterm_during_model_load_exits_within_grace(tmp_path: Path) -> None:
    async with serving() as web:
        await sigterm_during_model_load_exits_within_grace(web, tmp_path)


async def sigterm_during_model_load_exits_within_grace(web: FixtureWeb, tmp_path: Path) -> None:
    """A classifier that has to be fitted first (empty model cache) loads for tens of seconds;
    SIGTERM then must not wait for it: the daemon exits 0 within the grace period."""
    db = tmp_path / "ascent.db"
    await imported(web, db, tmp_path)
    grace = 2.0
    settings = settings_for(web, tmp_path, max_crawl_delay=0.2, health_port=0, shutdown_grace_s=grace)
    config = tmp_path / "ascent.toml"
    config.write_text(to_toml(settings), encoding="utf-8")
    command = [sys.executable, "-m", "scripts.cli", "--db", str(db), "--config", str(config)]
    crawled = await asyncio.to_thread(
        subprocess.run, [*command, "crawl", "--once", "--quiet"], capture_output=True, timeout=240
    )
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ASCENT_CACHE_DIR": str(tmp_path / "empty-cache")}
    process = subprocess.Popen(
        [*command, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    try:
        loading = await asyncio.to_thread(_wait_for_line, process, "loading the classifier's models", 120)
        assert loading, "the classify job never started loading its models"
        await asyncio.sleep(1.0)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 60)
        took = time.monotonic() - began
        rest = process.stdout.read() if process.stdout else ""
        assert code == 0, rest[-3000:]
        assert "stopped while the classifier's models were loading" in rest, rest[-3000:]
        assert took < grace + 5.0, f"shutdown took {took:.1f}s: it waited for the model load"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_for_line(process: subprocess.Popen[str], text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            return False
        if text in line:
            return True
    return False
