"""The pipeline steps, wired once for the daemon and the demo: crawl, technographics,
classify, the monthly run with its export, and the quarterly fit refresh."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scripts.settings import Settings
from storage.store import Store

REPORTS = ("azure", "m365", "d365", "security", "surface", "renewal")


class PipelineStages:
    """Implements the daemon's ``Stages``; the crawler's network stack stays open between passes."""

    def __init__(self, store: Store, settings: Settings, db_path: Path):
        self.store = store
        self.settings = settings
        self.reports_dir = _reports_dir(settings.daemon.reports_dir, db_path)

    async def aclose(self) -> None:
        """Nothing is held between passes; kept so callers need not know that."""

    async def crawl(
        self,
        stop: asyncio.Event,
        max_seconds: float | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> dict[str, Any]:
        """One pass over what is due (customers imported since the last pass are seeded)."""
        from scripts.commands.crawl import open_crawler

        run_id = await self.store.runs.start("crawl", "", {"once": True})
        limit = max_seconds if max_seconds is not None else self.settings.daemon.crawl_max_seconds
        status = "failed"
        summary: dict[str, Any] = {}
        try:
            async with open_crawler(self.settings, self.store) as crawler:
                watcher = _watch(progress, crawler.stats)
                try:
                    stats = await crawler.run(once=True, max_seconds=limit, stop=stop)
                finally:
                    watcher.cancel()
            summary = stats.as_dict()
            status = "ok"
        finally:
            await self.store.runs.finish(run_id, status, summary)
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
        from signals.pipeline import classify_pending

        run_id = await self.store.runs.start("classify", "", {})
        stats = await classify_pending(
            self.store.signals, self.settings.signals, progress=progress, stop=stop
        )
        summary = stats.as_json()
        await self.store.runs.finish(run_id, "ok", summary)
        return _numbers(summary)

    async def monthly(self, month: str) -> dict[str, Any]:
        """The month's scores, then every report under ``reports_dir/<month>/``."""
        result = await self.score_month(month)
        written = await self.export_month(month, self.reports_dir / month)
        return {"customers": result.summary.get("customers", 0), "reports": len(written)}

    async def score_month(self, month: str, refit: bool = False) -> Any:
        result = await score_month_exclusively(self.store, self.settings, month, refit)
        if result is None:
            raise MonthBusy(f"{month} is being scored by another process")
        return result

    async def export_month(self, month: str, out_dir: Path) -> list[tuple[Path, int]]:
        from intent.reports import load_month, write_reports

        data = await load_month(self.store.scores, self.store.customers, month, self.settings.intent)
        run_id = await self.store.runs.start("export", month, {"reports": list(REPORTS), "out": str(out_dir)})
        written = await asyncio.to_thread(write_reports, data, REPORTS, out_dir, self.settings.intent)
        await self.store.runs.finish(run_id, "ok", {"files": {str(p): rows for p, rows in written}})
        return written

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


class MonthBusy(RuntimeError):
    """Another process holds this month's lock (shared PostgreSQL); it will write the rows."""


async def score_month_exclusively(store: Store, settings: Settings, month: str, refit: bool) -> Any:
    """The monthly run under the month's advisory lock; None when another process holds it."""
    from intent.monthly import run_month
    from storage.postgres.locks import exclusive, monthly_lock_name

    async with exclusive(store.db, monthly_lock_name(month)) as held:
        if not held:
            return None
        return await run_month(store.scores, store.runs, month, settings.intent, refit=refit)


def _reports_dir(setting: str, db_path: Path) -> Path:
    path = Path(setting)
    return path if path.is_absolute() else db_path.resolve().parent / path


def _numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _watch(progress: Callable[[Any], None] | None, stats: Any) -> asyncio.Task[None]:
    async def loop() -> None:
        while progress is not None:
            progress(stats)
            await asyncio.sleep(0.5)

    return asyncio.create_task(loop())
