"""`ascent crawl [--once] [--max-seconds N]`: crawl what is due in the frontier.

With ``--once`` the command does one pass (until nothing is due, newly discovered sources
included) and exits; without it, it keeps crawling as sources fall due. ``--max-seconds``
bounds either. SIGINT/SIGTERM stop intake, let in-flight requests finish briefly and give
the remaining leases back. On a terminal a live progress line shows hosts, pages, errors,
bytes and pages/s; when piped, a plain summary is printed at the end.

Exit codes: 0 done (fetch errors are recorded, not fatal), 1 failure, 2 bad settings,
4 storage unavailable, 130 stopped by a signal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from scripts.exits import EXIT_INTERRUPTED, EXIT_OK

if TYPE_CHECKING:
    from crawler.loop import Crawler
    from crawler.stats import CrawlStats
    from scripts.settings import Settings
    from storage.store import Store

NAME = "crawl"
HELP = "crawl the customers' web presence: one pass with --once, else keep going"
GRACE_S = 5.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="one pass over what is due, then exit")
    parser.add_argument("--max-seconds", type=float, default=None, metavar="N", help="stop after N seconds")
    parser.add_argument("--quiet", action="store_true", help="no progress display, only the final summary")


def main(args: argparse.Namespace) -> int:
    if args.max_seconds is not None and args.max_seconds <= 0:
        print("ascent crawl: --max-seconds must be positive", file=sys.stderr)
        return 2
    return asyncio.run(_crawl(args))


async def _crawl(args: argparse.Namespace) -> int:
    from scripts.context import settings_from, store_from

    settings = settings_from(args)
    stop = asyncio.Event()
    signalled: list[int] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, _on_signal(sig, stop, signalled))
    store = await store_from(args, settings)
    async with store:
        run_id = await store.runs.start(
            "crawl", "", {"once": bool(args.once), "max_seconds": args.max_seconds}
        )
        status = "failed"
        stats: CrawlStats | None = None
        try:
            async with open_crawler(settings, store) as crawler:
                stats = crawler.stats
                async with _progress(stats, enabled=sys.stdout.isatty() and not args.quiet):
                    await crawler.run(
                        once=args.once, max_seconds=args.max_seconds, stop=stop, grace_s=GRACE_S
                    )
            status = "ok" if not signalled else "stopped"
        finally:
            summary = stats.as_dict() if stats is not None else {}
            await store.runs.finish(run_id, status, summary)
    if stats is not None:
        print(f"crawl {status}: {stats.summary_line()}")
    return EXIT_INTERRUPTED if signalled else EXIT_OK


def _on_signal(sig: int, stop: asyncio.Event, signalled: list[int]) -> Callable[[], None]:
    def handler() -> None:
        signalled.append(sig)
        stop.set()

    return handler


@contextlib.asynccontextmanager
async def open_crawler(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], float] = time.time,
    domains: dict[str, str] | None = None,
    wrap_fetcher: Callable[[Any], Any] | None = None,
) -> AsyncIterator[Crawler]:
    """A crawler over the store's frontier with the production network stack.

    The daemon and the benchmark use this too: it owns the HTTP client, the host gates, the
    robots.txt policy and the isolated parser, and closes them on exit. ``wrap_fetcher``
    may wrap the HTTP client (to observe or meter every request, robots.txt included).
    """
    from crawler.fetch import FetchLimits, HttpFetcher
    from crawler.loop import Crawler
    from crawler.politeness import HostGates
    from crawler.schemes import SchemeFallbackFetcher, SchemeMemory

    crawler_settings = settings.crawler
    if domains is None:
        domains = {c.customer_id: c.domain for c in await store.customers.all()}
    http = HttpFetcher(crawler_settings, FetchLimits.from_settings(crawler_settings))
    schemes = SchemeMemory(crawler_settings.scheme_recheck_s, clock)
    # HTTPS first, plain HTTP where HTTPS cannot connect: for pages and robots.txt alike.
    fetcher = SchemeFallbackFetcher(wrap_fetcher(http) if wrap_fetcher is not None else http, schemes)
    gates = HostGates(crawler_settings)
    robots = _robots_policy(crawler_settings, fetcher, gates)
    parser, close_parser = _parser(crawler_settings)
    try:
        yield Crawler(
            frontier=store.frontier,
            documents=store.documents,
            domains=domains,
            fetcher=fetcher,
            robots=robots,
            gates=gates,
            settings=crawler_settings,
            parser=parser,
            clock=clock,
            on_homepage=_technographics_hook(store, parser),
            schemes=schemes,
        )
    finally:
        await close_parser()
        await http.aclose()


def _robots_policy(settings: Any, fetcher: Any, gates: Any) -> Any:
    from crawler.robots import RobotsPolicy

    return RobotsPolicy(settings, fetcher, gates)


def _parser(settings: Any) -> tuple[Any, Callable[[], Any]]:
    """Untrusted bytes are parsed in a worker process with a deadline (a crash or a hang in
    a C parser costs one document, never the crawl)."""
    from crawler.isolation import ParsePool

    pool = ParsePool(workers=settings.parse_workers, timeout_s=settings.parse_timeout_s)
    return pool, pool.aclose


def _technographics_hook(store: Store, parser: Any) -> Any:
    """Homepage responses feed technographics: headers, scripts and meta tags."""
    from crawler.fetch import FetchResponse
    from crawler.technographics import detect_from_http

    async def on_homepage(customer_id: str, response: FetchResponse) -> None:
        found = await parser.run(detect_from_http, dict(response.headers), response.body)
        if found:
            await store.technologies.record(customer_id, found)

    return on_homepage


@contextlib.asynccontextmanager
async def _progress(stats: CrawlStats, *, enabled: bool) -> AsyncIterator[None]:
    """A live status line on a terminal (refreshed twice a second); nothing otherwise."""
    if not enabled:
        yield
        return
    from rich.console import Console
    from rich.live import Live

    console = Console()
    with Live(_status(stats), console=console, refresh_per_second=4, transient=True) as live:

        async def refresh() -> None:
            while True:
                await asyncio.sleep(0.5)
                live.update(_status(stats))

        task = asyncio.create_task(refresh())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _status(stats: CrawlStats) -> str:
    return (
        f"[bold]crawling[/bold]  hosts {len(stats.hosts)}  pages {stats.fetches}  "
        f"documents {stats.documents}  errors {stats.error_count}  "
        f"{_size(stats.bytes)}  {stats.pages_per_s:.1f} pages/s  in flight {stats.in_flight}"
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
