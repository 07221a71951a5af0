"""The pipeline steps, wired once for the daemon and the demo: crawl, technographics,
classify, the monthly run with its export, and the quarterly fit refresh.

Under sustained load the daemon's stages are *bounded*: the crawl pauses while the
classification backlog is at its limit (classification is the slower stage, so an unpaused
crawl would grow the backlog, the database and memory without end), classification works in
batches with memory released and the WAL checkpointed between them, and a model still
loading never holds up a shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from common.errors import StorageFailure
from common.vocabulary import REPORT_NAMES
from scripts.settings import Settings
from storage.store import Store

log = logging.getLogger("ascent.pipeline")

# How often a running crawl pass looks at the classification backlog.
BACKLOG_POLL_S = 0.5


class PipelineStages:
    """Implements the daemon's ``Stages``; the crawler's network stack stays open between passes."""

    def __init__(self, store: Store, settings: Settings, reports_dir: Path, *, bounded: bool = False):
        """``reports_dir``: where the monthly run exports (``wiring.reports_dir``).
        ``bounded`` (the daemon): backpressure from the classification backlog onto the
        crawl and classification in batches (see the module docstring); the demo, which
        crawls everything and then classifies everything, leaves it off."""
        self.store = store
        self.settings = settings
        self.bounded = bounded
        self.reports_dir = reports_dir

    async def aclose(self) -> None:
        """Nothing is held between passes; kept so callers need not know that."""

    async def crawl(
        self,
        stop: asyncio.Event,
        max_seconds: float | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> dict[str, Any]:
        """One pass over what is due (customers imported since the last pass are seeded).

        Bounded, the pass does not start while the classification backlog is at its limit and
        ends early (leases released, as on shutdown) when the backlog reaches it.
        """
        from scripts.wiring import open_crawler

        backlog_limit = self.settings.daemon.classify_backlog_limit if self.bounded else 0
        if backlog_limit > 0 and await self.store.signals.pending_count() >= backlog_limit:
            return {"paused_for_backlog": 1}
        run_id = await self.store.runs.start("crawl", "", {"once": True})
        limit = max_seconds if max_seconds is not None else self.settings.daemon.crawl_max_seconds
        status = "failed"
        summary: dict[str, Any] = {}
        pass_stop = asyncio.Event()
        guard = asyncio.create_task(
            _stop_when(stop, pass_stop, self.store.signals.pending_count, backlog_limit)
        )
        try:
            async with open_crawler(self.settings, self.store) as crawler:
                watcher = _watch(progress, crawler.stats)
                try:
                    stats = await crawler.run(once=True, max_seconds=limit, stop=pass_stop)
                finally:
                    watcher.cancel()
            summary = stats.as_dict()
            status = "ok"
        finally:
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                paused = await guard
                if paused:
                    summary["paused_for_backlog"] = 1
            await self.store.runs.finish(run_id, status, summary)
        if self.bounded:
            await self.checkpoint()
        return _numbers(summary)

    async def technographics(
        self, stop: asyncio.Event, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        """DNS records of every customer domain → technologies with evidence."""
        from crawler.technographics import detect_technologies

        crawler = self.settings.crawler
        customers = await self.store.customers.all()
        found = 0
        semaphore = asyncio.Semaphore(32)
        done = 0

        async def one(customer_id: str, domain: str) -> None:
            nonlocal found, done
            async with semaphore:
                if stop.is_set():
                    return
                technologies, _records = await detect_technologies(
                    domain, nameservers=crawler.nameservers, timeout_s=crawler.dns_timeout_s
                )
                if technologies:
                    found += await self.store.technologies.record(customer_id, technologies)
                done += 1
                if progress is not None:
                    progress(done, len(customers))

        await asyncio.gather(*(one(c.customer_id, c.domain) for c in customers))
        return {"customers": len(customers), "new_evidence": found}

    async def classify(
        self, stop: asyncio.Event, progress: Callable[[Any], None] | None = None
    ) -> dict[str, Any]:
        """Classify what is pending; bounded, in batches, and at most one backlog's worth.

        The cap lets the pass end (so its outcome is stored and the next one starts afresh)
        even while the crawl keeps the backlog topped up.
        """
        from scripts.wiring import classify_pipeline, load_models_unless_stopped

        if await self.store.signals.pending_count() == 0:
            return {"documents": 0}  # no model load (half a gigabyte) for nothing to do
        run_id = await self.store.runs.start("classify", "", {})
        totals: dict[str, Any] = {}
        status = "failed"
        try:
            models = await load_models_unless_stopped(self.settings.signals, stop)
            if models is None:
                totals["stopped_during_model_load"] = 1
            else:
                pipeline = classify_pipeline(self.store, models, self.settings.signals)
                await self._classify_batches(pipeline, stop, progress, totals)
            status = "ok"
        finally:
            await self.store.runs.finish(run_id, status, totals)
        return _numbers(totals)

    async def _classify_batches(
        self,
        pipeline: Any,
        stop: asyncio.Event,
        progress: Callable[[Any], None] | None,
        totals: dict[str, Any],
    ) -> None:
        daemon = self.settings.daemon
        batch = max(1, daemon.classify_batch_documents) if self.bounded else None
        cap = daemon.classify_backlog_limit if self.bounded and daemon.classify_backlog_limit > 0 else None
        while not stop.is_set():
            stats = await pipeline.run(max_documents=batch, progress=progress, stop=stop)
            _add_up(totals, stats.as_json())
            totals["batches"] = totals.get("batches", 0) + 1
            if batch is None or stats.saves + stats.lost_leases < batch:
                break  # nothing left (or unbounded: run() went until nothing was left)
            release_memory()
            await self.checkpoint()
            if cap is not None and totals.get("documents", 0) >= cap:
                break
        if self.bounded:
            release_memory()
            await self.checkpoint()

    async def checkpoint(self) -> None:
        """Fold the WAL back into the database and truncate it (SQLite; a no-op elsewhere).

        SQLite's automatic checkpoints never shrink the WAL file, and a reader that is busy
        at the time makes them stop short, so under steady load the file keeps its peak size.
        """
        fold = getattr(self.store.db, "checkpoint", None)
        if fold is None:
            return
        try:
            await fold()
        except Exception as exc:  # a busy or failing checkpoint is retried at the next batch
            log.warning("WAL checkpoint failed", extra={"error": str(exc)})

    async def monthly(self, month: str) -> dict[str, Any]:
        """The month's scores, then every report under ``reports_dir/<month>/`` (none while
        there are no customers to score: an empty month is not a failed job)."""
        from intent.months import checked_month
        from scripts.exports import MonthNotScored

        result = await self.score_month(checked_month(month))
        try:
            written = await self.export_month(month, self.reports_dir / month)
        except MonthNotScored:
            written = []
        return {"customers": result.summary.get("customers", 0), "reports": len(written)}

    async def score_month(self, month: str, refit: bool = False) -> Any:
        return await score_month_exclusively(self.store, self.settings, month, refit)

    async def export_month(self, month: str, out_dir: Path) -> list[tuple[Path, int]]:
        """Every report of a scored month, as CSV files under ``out_dir``."""
        from scripts.exports import export_month

        return await export_month(self.store, month, REPORT_NAMES, out_dir, self.settings.intent)

    async def fit(self, quarter: str) -> dict[str, Any]:
        """Retrain the quarter's lookalike models (rescoring the latest scored month with them)."""
        latest = await self.store.runs.latest("monthly")
        if latest is None:
            return {"refitted": 0}
        result = await self.score_month(latest.key, refit=True)
        return {"refitted": 1, "customers": result.summary.get("customers", 0)}

    async def queue_depth(self) -> dict[str, int]:
        return {
            "due_sources": await self.store.frontier.due_count(time.time()),
            "unclassified_documents": await self.store.signals.pending_count(),
        }


class MonthBusy(StorageFailure):
    """Another process holds this month's lock (shared PostgreSQL); it will write the rows."""

    retryable = True

    def __init__(self, month: str):
        super().__init__(f"{month} is being scored by another process")
        self.month = month


async def score_month_exclusively(store: Store, settings: Settings, month: str, refit: bool) -> Any:
    """The monthly run under the month's advisory lock; MonthBusy when another process holds it."""
    from intent.monthly import run_month
    from storage.postgres.locks import exclusive, monthly_lock_name

    async with exclusive(store.db, monthly_lock_name(month)) as held:
        if not held:
            raise MonthBusy(month)
        result = await run_month(store.scores, store.runs, month, settings.intent, refit=refit)
    from scripts.report_hub import after_monthly

    await after_monthly(store, settings, month)  # the downloads hub's scheduled reports
    return result


def release_memory() -> None:
    """Return freed memory to the system between batches.

    The collector breaks cycles (parsed pages, tensors' Python wrappers), and glibc's
    ``malloc_trim`` hands the freed arenas back: without it RSS stays at the largest batch's
    peak for good, and a batch of unusually big pages would look like a leak.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache  # looked up once: finding libc runs ldconfig
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None)  # type: ignore[no-any-return]
    except OSError:
        return None


async def _stop_when(
    stop: asyncio.Event,
    pass_stop: asyncio.Event,
    pending: Callable[[], Awaitable[int]],
    backlog_limit: int,
) -> bool:
    """Set ``pass_stop`` when ``stop`` is set or the backlog reaches ``backlog_limit`` (>0).

    Returns True when the backlog ended the pass.
    """
    while True:
        if stop.is_set():
            pass_stop.set()
            return False
        if backlog_limit > 0:
            with contextlib.suppress(Exception):  # a failed count must not stop the crawl
                if await pending() >= backlog_limit:
                    pass_stop.set()
                    return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), BACKLOG_POLL_S)


# Counts the pipeline's embedder keeps since it was made, so each batch reports the running
# total, and the backlog left after the batch: the last batch's value is the pass's.
_RUNNING_TOTALS = frozenset({"embedded", "reused", "left"})


def _add_up(totals: dict[str, Any], batch: dict[str, Any]) -> None:
    for key, value in batch.items():
        if key in _RUNNING_TOTALS:
            totals[key] = value
        elif isinstance(value, dict):
            inner = totals.setdefault(key, {})
            for name, count in value.items():
                inner[name] = inner.get(name, 0) + count
        elif isinstance(value, int | float) and not isinstance(value, bool):
            totals[key] = totals.get(key, 0) + value


def _numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _watch(progress: Callable[[Any], None] | None, stats: Any) -> asyncio.Task[None]:
    async def loop() -> None:
        while progress is not None:
            progress(stats)
            await asyncio.sleep(0.5)

    return asyncio.create_task(loop())
