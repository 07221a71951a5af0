"""`ascent run`: the daemon that keeps crawling, classifying, scoring and exporting by itself.

apscheduler ticks the job runner; each job's calendar is an apscheduler trigger and its last run
is stored, so jobs never overlap themselves, a missed monthly run happens once at start-up, and
a restart does not repeat work that finished. SIGTERM/SIGINT stop intake, give in-flight work
``shutdown_grace_s`` to finish (the crawl releases its leases), then exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from scripts.schedule import (
    Clock,
    due,
    every,
    month_of,
    monthly_on,
    quarter_of,
    quarterly,
    weekly,
)
from scripts.settings import Settings
from storage.jobs import JobRepository

log = logging.getLogger("ascent.daemon")

JobAction = Callable[[datetime, asyncio.Event], Awaitable[dict[str, Any]]]


class Stages(Protocol):
    """The pipeline steps the daemon schedules (wired in scripts.pipeline)."""

    async def crawl(self, stop: asyncio.Event) -> dict[str, Any]: ...
    async def classify(self, stop: asyncio.Event) -> dict[str, Any]: ...
    async def technographics(self, stop: asyncio.Event) -> dict[str, Any]: ...
    async def monthly(self, month: str) -> dict[str, Any]: ...
    async def fit(self, quarter: str) -> dict[str, Any]: ...
    async def queue_depth(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class Job:
    name: str
    trigger: BaseTrigger
    action: JobAction


def standard_jobs(stages: Stages, settings: Settings) -> list[Job]:
    daemon = settings.daemon

    async def crawl(_: datetime, stop: asyncio.Event) -> dict[str, Any]:
        return await stages.crawl(stop)

    async def classify(_: datetime, stop: asyncio.Event) -> dict[str, Any]:
        return await stages.classify(stop)

    async def technographics(_: datetime, stop: asyncio.Event) -> dict[str, Any]:
        return await stages.technographics(stop)

    async def monthly(fire: datetime, _: asyncio.Event) -> dict[str, Any]:
        return await stages.monthly(month_of(fire))

    async def fit(fire: datetime, _: asyncio.Event) -> dict[str, Any]:
        return await stages.fit(quarter_of(fire))

    return [
        Job("crawl", every(daemon.crawl_interval_s), crawl),
        Job("classify", every(daemon.classify_interval_s), classify),
        Job("technographics", weekly(), technographics),
        Job("fit", quarterly(), fit),
        Job("monthly", monthly_on(settings.intent.monthly_day), monthly),
    ]


@dataclass
class Metrics:
    """Counters and gauges in Prometheus' text format; keys are series ('name{label="v"}')."""

    counters: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)

    def count(self, series: str, amount: float = 1) -> None:
        self.counters[series] = self.counters.get(series, 0) + amount

    def record(self, job: str, result: dict[str, Any]) -> None:
        for key, value in result.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.count(f'ascent_job_{_metric_name(key)}_total{{job="{job}"}}', value)

    def prometheus(self) -> str:
        lines: list[str] = []
        for kind, series in (("counter", self.counters), ("gauge", self.gauges)):
            typed: set[str] = set()
            for name, value in sorted(series.items()):
                base = name.split("{", 1)[0]
                if base not in typed:
                    lines.append(f"# TYPE {base} {kind}")
                    typed.add(base)
                lines.append(f"{name} {value:g}")
        return "\n".join(lines) + "\n"


def _metric_name(key: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in key.lower())


class JobRunner:
    """Starts due jobs as tasks; a job never overlaps itself; outcomes are stored."""

    def __init__(self, jobs: list[Job], states: JobRepository, clock: Clock, metrics: Metrics):
        self.jobs = {job.name: job for job in jobs}
        self.states = states
        self.clock = clock
        self.metrics = metrics
        self.running: dict[str, asyncio.Task[None]] = {}
        self.stop = asyncio.Event()

    async def run_due(self) -> list[str]:
        """Start every due job that is not already running; returns the names started."""
        if self.stop.is_set():
            return []
        started = []
        for name, job in self.jobs.items():
            if name in self.running:
                continue
            state = await self.states.get(name)
            last = state.last_started_at if state else None
            last_dt = datetime.fromtimestamp(last, UTC) if last is not None else None
            decision = due(job.trigger, last_dt, self.clock.now())
            if decision is None:
                continue
            await self.states.started(name, self.clock.now().timestamp())
            self.running[name] = asyncio.create_task(self._run(job, decision.fire_time), name=name)
            started.append(name)
        return started

    async def _run(self, job: Job, fire_time: datetime) -> None:
        began = time.monotonic()
        try:
            result = await job.action(fire_time, self.stop)
        except asyncio.CancelledError:
            await self.states.failed(job.name, self.clock.now().timestamp(), "cancelled at shutdown")
            raise
        except Exception as exc:  # a failing job must never take the daemon down
            log.exception("job failed", extra={"job": job.name})
            self.metrics.count(f'ascent_job_failures_total{{job="{job.name}"}}')
            await self._store_failure(job.name, f"{type(exc).__name__}: {exc}")
        else:
            self.metrics.record(job.name, result or {})
            self.metrics.count(f'ascent_job_runs_total{{job="{job.name}"}}')
            await self.states.succeeded(job.name, self.clock.now().timestamp())
            log.info(
                "job finished",
                extra={"job": job.name, "seconds": round(time.monotonic() - began, 3), "result": result},
            )
        finally:
            self.running.pop(job.name, None)

    async def _store_failure(self, name: str, error: str) -> None:
        with contextlib.suppress(Exception):  # the database itself may be what failed
            await self.states.failed(name, self.clock.now().timestamp(), error)

    async def drain(self, grace_s: float) -> None:
        """Stop intake, let running jobs finish within ``grace_s``, then cancel the rest."""
        self.stop.set()
        tasks = list(self.running.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)


class Daemon:
    def __init__(
        self,
        runner: JobRunner,
        stages: Stages,
        settings: Settings,
        tick_s: float = 1.0,
    ):
        self.runner = runner
        self.stages = stages
        self.settings = settings
        self.tick_s = tick_s
        self.started_at = time.time()
        self.loop_lag_s = 0.0
        self.health_address: tuple[str, int] | None = None

    async def health(self) -> dict[str, Any]:
        jobs = {
            state.name: {
                "last_started_at": state.last_started_at,
                "last_success_at": state.last_success_at,
                "last_error": state.last_error,
                "last_error_at": state.last_error_at,
                "runs": state.runs,
                "failures": state.failures,
                "running": state.name in self.runner.running,
            }
            for state in await self.runner.states.all()
        }
        try:
            queue: dict[str, int] | dict[str, str] = await self.stages.queue_depth()
        except Exception as exc:
            queue = {"error": str(exc)}
        return {
            "status": "stopping" if self.runner.stop.is_set() else "ok",
            "uptime_s": round(time.time() - self.started_at, 1),
            "event_loop_lag_s": round(self.loop_lag_s, 4),
            "jobs": jobs,
            "queue": queue,
        }

    async def metrics_text(self) -> str:
        import psutil

        gauges = self.runner.metrics.gauges
        gauges["ascent_process_rss_bytes"] = float(psutil.Process().memory_info().rss)
        gauges["ascent_event_loop_lag_seconds"] = self.loop_lag_s
        with contextlib.suppress(Exception):
            for key, value in (await self.stages.queue_depth()).items():
                gauges[f"ascent_queue_{key}"] = float(value)
        return self.runner.metrics.prometheus()

    async def _measure_lag(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.5)
            self.loop_lag_s = max(0.0, time.monotonic() - before - 0.5)

    async def serve(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then drain and return."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self.runner.run_due,
            "interval",
            seconds=self.tick_s,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        lag = asyncio.create_task(self._measure_lag())
        health = await self._start_health_server()
        log.info("daemon started")
        try:
            await stop.wait()
        finally:
            log.info("daemon stopping")
            scheduler.shutdown(wait=False)
            await self.runner.drain(self.settings.daemon.shutdown_grace_s)
            lag.cancel()
            if health is not None:
                health.close()
            log.info("daemon stopped")

    async def _start_health_server(self) -> asyncio.Server | None:
        """A tiny HTTP/1.1 server for /healthz and /metrics (no framework: it must not own signals)."""
        port = self.settings.daemon.health_port
        if port == 0:
            return None
        server = await asyncio.start_server(self._answer, self.settings.daemon.health_host, port)
        self.health_address = server.sockets[0].getsockname()[:2]
        log.info("health endpoint listening", extra={"address": f"{self.health_address}"})
        return server

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            method, _, rest = request.decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            if method not in {"GET", "HEAD"}:
                status, body, kind = 405, b"method not allowed\n", "text/plain"
            elif path == "/healthz":
                report = await self.health()
                status = 200 if report["status"] == "ok" else 503
                body, kind = json.dumps(report, default=str).encode(), "application/json"
            elif path == "/metrics":
                status, body = 200, (await self.metrics_text()).encode()
                kind = "text/plain; version=0.0.4"
            else:
                status, body, kind = 404, b"not found\n", "text/plain"
            head = (
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
