"""The app's parts, built from settings in one place: the store, the crawler, the classifier.

Commands, the daemon (``scripts/pipeline.py``), the demo and the benchmarks build what they
need here, so a part is wired the same way wherever it runs. The database is always named by
its *target*: a SQLite file path or a ``postgresql://`` URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.errors import DatabaseMissing
from storage.store import Store, open_store

if TYPE_CHECKING:
    from crawler.loop import Crawler
    from scripts.settings import Settings
    from signals.classify import SignalClassifier
    from signals.embed import Embedder
    from signals.pipeline import ClassifyPipeline
    from signals.settings import SignalSettings

log = logging.getLogger("ascent.wiring")

DEFAULT_DB = "ascent.db"


def is_url(target: str) -> bool:
    """True for a database server's URL (``postgresql://…``), False for a SQLite file path."""
    return "://" in target


async def open_database(target: str, settings: Settings, *, reading: bool = False) -> Store:
    """The store at ``target``, migrated. A caller that only reads (``reading``) gets
    DatabaseMissing rather than a new empty file, and can read a database whose folder cannot
    be written; a URL is checked when it is connected to."""
    if reading and not is_url(target) and not Path(target).exists():
        # Reading from a mistyped path would otherwise create an empty database there.
        raise DatabaseMissing(
            f"no database at {target} (import customers or run `ascent demo` first, or pass --db)"
        )
    return await open_store(target, settings.storage, reading=reading)


def reports_dir(settings: Settings, target: str) -> Path:
    """The reports folder (``[reports] folder``; the monthly export writes its months in it):
    as it is when absolute, else beside a SQLite file, or under the working folder for a
    database URL (a server has no folder of ours)."""
    path = Path(settings.reports.folder)
    if path.is_absolute():
        return path
    base = Path.cwd() if is_url(target) else Path(target).resolve().parent
    return base / path


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

    It owns the HTTP client, the host gates, the robots.txt policy and the isolated parser,
    and closes them on exit. ``wrap_fetcher`` may wrap the HTTP client (to observe or meter
    every request, robots.txt included); ``domains`` (customer id → domain) defaults to the
    stored customers'.
    """
    from crawler.fetch import FetchLimits, HttpFetcher
    from crawler.isolation import ParsePool
    from crawler.loop import Crawler
    from crawler.politeness import HostGates
    from crawler.robots import RobotsPolicy
    from crawler.schemes import SchemeFallbackFetcher, SchemeMemory

    crawler_settings = settings.crawler
    if domains is None:
        domains = {c.customer_id: c.domain for c in await store.customers.all()}
    http = HttpFetcher(crawler_settings, FetchLimits.from_settings(crawler_settings))
    schemes = SchemeMemory(crawler_settings.scheme_recheck_s, clock)
    # HTTPS first, plain HTTP where HTTPS cannot connect: for pages and robots.txt alike.
    fetcher = SchemeFallbackFetcher(wrap_fetcher(http) if wrap_fetcher is not None else http, schemes)
    gates = HostGates(crawler_settings)
    # Untrusted bytes are parsed in a worker process with a deadline (a crash or a hang in a
    # C parser costs one document, never the crawl).
    parser = ParsePool(workers=crawler_settings.parse_workers, timeout_s=crawler_settings.parse_timeout_s)
    try:
        yield Crawler(
            frontier=store.frontier,
            documents=store.documents,
            domains=domains,
            fetcher=fetcher,
            robots=RobotsPolicy(crawler_settings, fetcher, gates),
            gates=gates,
            settings=crawler_settings,
            parser=parser,
            clock=clock,
            on_homepage=_technographics_hook(store, parser),
            schemes=schemes,
        )
    finally:
        await parser.aclose()
        await http.aclose()


def _technographics_hook(store: Store, parser: Any) -> Any:
    """Homepage responses feed technographics: headers, scripts and meta tags."""
    from crawler.fetch import FetchResponse
    from crawler.technographics import detect_from_http

    async def on_homepage(customer_id: str, response: FetchResponse) -> None:
        found = await parser.run(detect_from_http, dict(response.headers), response.body)
        if found:
            await store.technologies.record(customer_id, found)

    return on_homepage


def classify_pipeline(
    store: Store, models: tuple[Embedder, SignalClassifier], settings: SignalSettings
) -> ClassifyPipeline:
    """The pipeline that turns the store's pending documents into signals with ``models``."""
    from signals.pipeline import ClassifyPipeline

    return ClassifyPipeline(store.signals, *models, settings)


async def load_models_unless_stopped(
    settings: SignalSettings, stop: asyncio.Event
) -> tuple[Embedder, SignalClassifier] | None:
    """The classifier's models, or None when ``stop`` is set before they are loaded.

    The load runs in a daemon thread, not the loop's executor: a shutdown that stops waiting
    for it must not then wait for it anyway, as the loop's executor shutdown and the
    interpreter's exit both join executor threads. The abandoned load ends with the process.
    """
    from signals.pipeline import load_models

    loop = asyncio.get_running_loop()
    loaded: asyncio.Future[tuple[Embedder, SignalClassifier]] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if loaded.done():
            return
        if error is not None:
            loaded.set_exception(error)
        else:
            loaded.set_result(result)

    def load() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = load_models(settings)
        except BaseException as exc:  # handed to the waiting coroutine
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    log.info("loading the classifier's models")
    threading.Thread(target=load, name="model-load", daemon=True).start()
    stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    waiting: set[asyncio.Future[Any]] = {loaded, stopped}
    try:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if not loaded.done():
        log.info("stopped while the classifier's models were loading")
        return None
    return loaded.result()
