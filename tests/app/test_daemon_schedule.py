"""The daemon's job runner: due decisions, no overlap, missed runs caught up once, failures kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from scripts.daemon import Job, JobRunner, Metrics, standard_jobs
from scripts.schedule import FakeClock, due, every, latest_fire_time, monthly_on, quarter_of, quarterly
from scripts.settings import load_settings
from storage.store import Store


class RecordingStages:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.crawl_gate = asyncio.Event()
        self.crawl_gate.set()

    async def crawl(self, stop: asyncio.Event) -> dict[str, Any]:
        self.calls.append(("crawl", None))
        await self.crawl_gate.wait()
        return {"pages": 3}

    async def classify(self, stop: asyncio.Event) -> dict[str, Any]:
        self.calls.append(("classify", None))
        return {"documents": 1}

    async def technographics(self, stop: asyncio.Event) -> dict[str, Any]:
        self.calls.append(("technographics", None))
        return {}

    async def monthly(self, month: str) -> dict[str, Any]:
        self.calls.append(("monthly", month))
        return {"customers": 5}

    async def fit(self, quarter: str) -> dict[str, Any]:
        self.calls.append(("fit", quarter))
        return {}

    async def queue_depth(self) -> dict[str, int]:
        return {"due_sources": 0}

    def named(self, name: str) -> list[Any]:
        return [arg for call, arg in self.calls if call == name]


async def settle(runner: JobRunner) -> None:
    while runner.running:
        await asyncio.wait(list(runner.running.values()))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_due_decisions() -> None:
    trigger = monthly_on(25)
    assert due(trigger, at(2026, 11, 25, 2, 0, 1), at(2026, 11, 30)) is None
    assert due(trigger, at(2026, 10, 25, 2, 0, 1), at(2026, 11, 25, 1)) is None
    caught_up = due(trigger, at(2026, 9, 25, 2, 0, 1), at(2026, 11, 26))
    assert caught_up is not None and caught_up.fire_time == at(2026, 11, 25, 2)
    assert due(every(60), at(2026, 1, 1), at(2026, 1, 1, 0, 0, 59)) is None
    assert due(every(60), at(2026, 1, 1), at(2026, 1, 1, 0, 1)) is not None
    assert latest_fire_time(quarterly(), at(2026, 11, 25), None) == at(2026, 10, 1, 3)
    assert quarter_of(at(2026, 11, 25)) == "2026Q4"


async def test_monthly_runs_once_across_the_25th(store: Store) -> None:
    clock = FakeClock(at(2026, 11, 24, 12))
    stages = RecordingStages()
    settings = load_settings(None, env={})
    runner = JobRunner(standard_jobs(stages, settings), store.jobs, clock, Metrics())
    # First start: last month's run is missing, so it is caught up once.
    await runner.run_due()
    await settle(runner)
    assert stages.named("monthly") == ["2026-10"]
    for _ in range(3):
        clock.advance(hours=6)
        await runner.run_due()
        await settle(runner)
    assert stages.named("monthly") == ["2026-10", "2026-11"]
    clock.advance(days=3)
    await runner.run_due()
    await settle(runner)
    assert stages.named("monthly") == ["2026-10", "2026-11"]


async def test_missed_run_is_caught_up_once_after_a_restart(store: Store) -> None:
    settings = load_settings(None, env={})
    clock = FakeClock(at(2026, 10, 26))
    first = RecordingStages()
    runner = JobRunner(standard_jobs(first, settings), store.jobs, clock, Metrics())
    await runner.run_due()
    await settle(runner)
    assert first.named("monthly") == ["2026-10"]
    # Down from Oct 26 to Nov 27: the Nov 25 run is missed and happens once at start-up.
    clock.set(at(2026, 11, 27))
    second = RecordingStages()
    restarted = JobRunner(standard_jobs(second, settings), store.jobs, clock, Metrics())
    await restarted.run_due()
    await settle(restarted)
    await restarted.run_due()
    await settle(restarted)
    assert second.named("monthly") == ["2026-11"]


async def test_a_running_job_never_overlaps_itself(store: Store) -> None:
    clock = FakeClock(at(2026, 11, 1))
    stages = RecordingStages()
    stages.crawl_gate.clear()
    runner = JobRunner(standard_jobs(stages, load_settings(None, env={})), store.jobs, clock, Metrics())
    await runner.run_due()
    clock.advance(hours=1)
    await runner.run_due()
    assert len(stages.named("crawl")) == 1
    stages.crawl_gate.set()
    await settle(runner)
    clock.advance(hours=1)
    await runner.run_due()
    await settle(runner)
    assert len(stages.named("crawl")) == 2


async def test_a_failing_job_is_recorded_and_the_runner_goes_on(store: Store) -> None:
    async def broken(fire: datetime, stop: asyncio.Event) -> dict[str, Any]:
        raise OSError("disk full")

    clock = FakeClock(at(2026, 11, 1))
    metrics = Metrics()
    runner = JobRunner([Job("broken", every(10), broken)], store.jobs, clock, metrics)
    await runner.run_due()
    await settle(runner)
    state = await store.jobs.get("broken")
    assert state is not None and state.failures == 1 and "disk full" in (state.last_error or "")
    assert state.last_success_at is None
    clock.advance(seconds=11)
    assert await runner.run_due() == ["broken"]
    await settle(runner)
    assert 'ascent_job_failures_total{job="broken"} 2' in metrics.prometheus()


async def test_drain_cancels_work_that_outlives_the_grace(store: Store) -> None:
    async def slow(fire: datetime, stop: asyncio.Event) -> dict[str, Any]:
        await asyncio.sleep(60)
        return {}

    async def polite(fire: datetime, stop: asyncio.Event) -> dict[str, Any]:
        await stop.wait()
        return {"released": 1}

    clock = FakeClock(at(2026, 11, 1))
    runner = JobRunner(
        [Job("slow", every(10), slow), Job("polite", every(10), polite)], store.jobs, clock, Metrics()
    )
    await runner.run_due()
    await asyncio.sleep(0.05)
    await asyncio.wait_for(runner.drain(grace_s=0.3), timeout=5)
    assert not runner.running
    assert (await store.jobs.get("polite")).last_success_at is not None  # type: ignore[union-attr]
    assert "cancelled" in ((await store.jobs.get("slow")).last_error or "")  # type: ignore[union-attr]
    assert await runner.run_due() == []
