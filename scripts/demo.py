"""`ascent demo`: the whole product end to end, offline, on a local fixture web.

The fixture web runs in its own process (so crawler and server use both cores); everything the
demo makes goes under ``--out``: the database, the settings it used, the reports, the fixture
web's ground truth and logs. ``ascent --db OUT/ascent.db serve`` or ``explain`` work afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from scripts.pipeline import PipelineStages
from scripts.settings import Settings, load_settings
from scripts.wiring import open_database, reports_dir
from storage.store import Store

DEMO_MONTH = "2026-11"
KINDS = ("customers", "products", "agreements", "fit", "outcomes")
READY_TIMEOUT_S = 120.0


@dataclass
class DemoResult:
    out: Path
    seconds: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def fixture_web_process(out: Path, companies: int, seed: int) -> Iterator[Path]:
    """Start `ascent fixture-web` on free ports; yield its folder once it answers."""
    out.mkdir(parents=True, exist_ok=True)
    log = (out / "fixture-web.log").open("w", encoding="utf-8")
    command = [
        sys.executable, "-m", "scripts.cli", "fixture-web",
        "--companies", str(companies), "--seed", str(seed),
        "--port", "0", "--dns-port", "0",
        "--out", str(out), "--write-csv", str(out / "csv"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=_env())
    try:
        _wait_ready(process)
        yield out
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the fixture web stopped before it was ready:\n" + "".join(lines[-20:]))
        lines.append(line)
        if line.startswith("ready"):
            return
    raise RuntimeError("the fixture web did not get ready in time")


def demo_settings(fixture: Path, out: Path) -> Settings:
    """The fixture web's resolve map and DNS, with politeness sized for a local demo."""
    base = load_settings(fixture / "ascent.toml", env={})
    hosts = json.loads((fixture / "ground-truth.json").read_text(encoding="utf-8"))["hosts"]
    crawler = dataclasses.replace(
        base.crawler,
        seed_scheme="http",  # the fixture web serves plain HTTP only
        forum_hosts=sorted(set(hosts.values())),
        # Every fictional site, and the shared forum all customers are discussed on, is one
        # local process: full politeness (1 s per host, Crawl-delays of several seconds) would
        # make a local demo take an hour. Real crawls keep the defaults.
        per_host_delay=0.05,
        per_host_concurrency=4,
        concurrency=48,
        max_crawl_delay=0.1,
    )
    reports = dataclasses.replace(base.reports, folder="reports")
    settings = dataclasses.replace(base, crawler=crawler, reports=reports)
    _write_settings(settings, out / "ascent.toml")
    return settings


def _write_settings(settings: Settings, path: Path) -> None:
    from scripts.settings import to_toml

    path.write_text(to_toml(settings), encoding="utf-8")


@contextlib.asynccontextmanager
async def _stage(
    result: DemoResult, name: str, progress: Progress, total: float | None = None
) -> AsyncIterator[Any]:
    task = progress.add_task(name, total=total)
    began = time.monotonic()
    try:
        yield lambda done, of=None: progress.update(
            task, completed=done, total=of if of is not None else total
        )
    finally:
        result.seconds[name] = round(time.monotonic() - began, 1)
        progress.update(
            task, completed=progress.tasks[task].total or 1, total=progress.tasks[task].total or 1
        )


async def run_demo(companies: int, out: Path, seed: int = 7, console: Console | None = None) -> DemoResult:
    console = console or Console()
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "ascent.db"
    for stale in (db_path, out / "ascent.db-wal", out / "ascent.db-shm"):
        stale.unlink(missing_ok=True)
    result = DemoResult(out)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed:>7.0f}"),
        TimeElapsedColumn(),
        console=console,
    )
    began = time.monotonic()
    with progress:
        async with _stage(result, "fixture web", progress):
            fixture_cm = fixture_web_process(out / "fixture", companies, seed)
            fixture = await asyncio.to_thread(fixture_cm.__enter__)
        try:
            settings = demo_settings(fixture, out)
            store = await open_database(str(db_path), settings)
            async with store:
                stages = PipelineStages(store, settings, reports_dir(settings, str(db_path)))
                await _pipeline(result, stages, store, fixture, progress)
        finally:
            fixture_cm.__exit__(None, None, None)
    result.seconds["total"] = round(time.monotonic() - began, 1)
    (out / "demo-summary.json").write_text(json.dumps(_jsonable(result), indent=2), encoding="utf-8")
    return result


async def _pipeline(
    result: DemoResult, stages: PipelineStages, store: Store, fixture: Path, progress: Progress
) -> None:
    from scripts.imports import import_file

    stop = asyncio.Event()
    async with _stage(result, "import", progress, total=len(KINDS)) as tick:
        for done, kind in enumerate(KINDS, 1):
            imported, _ = await import_file(store, kind, fixture / "csv" / f"{kind}.csv")
            if not imported.ok:
                raise RuntimeError("\n".join(imported.errors[:20]))
            tick(done)
        result.facts["customers"] = await store.customers.count()
    async with _stage(result, "crawl", progress) as tick:
        result.facts["crawl"] = await stages.crawl(stop, max_seconds=900, progress=lambda s: tick(s.fetches))
    async with _stage(result, "technographics", progress) as tick:
        result.facts["technographics"] = await stages.technographics(stop, progress=tick)
    async with _stage(result, "classify", progress) as tick:
        result.facts["classify"] = await stages.classify(stop, progress=lambda s: tick(s.documents))
        result.facts["signals_by_type"] = await store.signals.counts_by_type()
    async with _stage(result, "monthly", progress):
        await stages.score_month(DEMO_MONTH)
    async with _stage(result, "export", progress):
        written = await stages.export_month(DEMO_MONTH, result.out / "reports")
        result.facts["reports"] = [str(path) for path, _rows in written]
    async with _stage(result, "validate", progress):
        from intent.validate import validate_month

        report = await validate_month(store.scores, DEMO_MONTH, stages.settings.intent)
        (result.out / "validation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        result.facts["validation"] = report
    async with _stage(result, "ground truth", progress):
        from scripts.demo_truth import compare_with_truth

        truth = json.loads((fixture / "ground-truth.json").read_text(encoding="utf-8"))
        result.facts["truth"] = await compare_with_truth(store, truth)


def _jsonable(result: DemoResult) -> dict[str, Any]:
    return {"out": str(result.out), "seconds": result.seconds, "facts": result.facts}
