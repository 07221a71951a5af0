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
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from common.errors import InputError
from scripts.exits import EXIT_INTERRUPTED, EXIT_OK

if TYPE_CHECKING:
    from crawler.stats import CrawlStats

NAME = "crawl"
HELP = "crawl the customers' web presence: one pass with --once, else keep going"
GRACE_S = 5.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="one pass over what is due, then exit")
    parser.add_argument("--max-seconds", type=float, default=None, metavar="N", help="stop after N seconds")
    parser.add_argument("--quiet", action="store_true", help="no progress display, only the final summary")


def main(args: argparse.Namespace) -> int:
    if args.max_seconds is not None and args.max_seconds <= 0:
        raise InputError("--max-seconds must be positive")
    return asyncio.run(_crawl(args))


async def _crawl(args: argparse.Namespace) -> int:
    from scripts.context import settings_from, store_from
    from scripts.wiring import open_crawler

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
