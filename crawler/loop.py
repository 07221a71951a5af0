"""The crawl pass: lease due sources, fetch them politely, store what changed, find more.

One visit of a source goes: robots.txt check -> per-host gate -> conditional fetch ->
status handling -> content hash (unchanged bytes are not processed again) -> parse (feed,
sitemap or page, in the parse runner) -> documents stored (one row per content version,
near-duplicates across URLs skipped) -> newly discovered sources added -> the source's
next-due time, validators and the fetch log written, lease released. A redirect to another
host first borrows that host from the frontier (see _HopLeases): on a shared frontier no
other worker may be asking it meanwhile.

Everything a visit writes is idempotent (documents and sources are keyed), and the lease is
released only after the rest is written, so a crawl killed at any point and restarted ends
with the same documents as one that was never interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from crawler.budget import (
    SECTION_KINDS,
    UNBUDGETED,
    ArticleShapes,
    SiteBudgets,
    content_links,
    follows_links,
    is_article,
    priority,
)
from crawler.discover import (
    Discovered,
    PageFacts,
    SitemapFacts,
    content_hash,
    hamming,
    parse_page,
    parse_sitemap,
    scope_links,
    social_feed_url,
)
from crawler.errors import (
    FetchError,
    ParseFailed,
    RobotsDisallowed,
    RobotsUnknown,
    TooManyRedirects,
)
from crawler.feeds import ParsedFeed, looks_like_feed, parse_feed
from crawler.fetch import Fetcher, FetchResponse
from crawler.politeness import HopSlot, hop_guard
from crawler.retry_after import parse_retry_after
from crawler.revisit import RevisitPolicy
from crawler.schemes import SchemeMemory, other_scheme
from crawler.settings import CrawlerSettings
from crawler.sources import classify_source
from crawler.stats import CrawlStats
from crawler.urls import host_of, in_domain, normalize_url
from storage.documents import DocumentRepository, NewDocument
from storage.errors import StorageError
from storage.frontier import FetchLogEntry, FetchOutcome, FrontierRepository, NewSource, Source
from storage.owners import new_owner, reclaim_dead

T = TypeVar("T")

FEED_KINDS = ("feed", "social")
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
MIN_WORDS_FOR_NEAR_DUPLICATE = 50
RETRY_AT_ONCE = frozenset({"connect", "protocol"})
MAX_KNOWN_REDIRECT_HOSTS = 50_000  # source hosts whose redirect targets are remembered
MAX_TARGETS_PER_HOST = 4
HOP_WAIT_MARGIN_S = 0.02  # a timer may fire a little early; asking again too soon defers
# A deferred visit comes due again by the holder's lease end, but within this at the latest:
# holders mostly finish long before their lease runs out, and the retry, its redirect now
# remembered, asks neither host anything until the borrow is granted.
MAX_DEFER_S = 60.0


class RobotsRules(Protocol):
    async def allowed(self, url: str) -> bool: ...
    async def sitemaps(self, host: str) -> list[str]: ...


class HostGate(Protocol):
    def slot(self, host: str) -> AbstractAsyncContextManager[Any]: ...
    def penalise(self, host: str, retry_after: str | float | None = None) -> Any: ...
    def succeeded(self, host: str) -> None: ...


class ParseRunner(Protocol):
    """Runs a parse of untrusted bytes (in production: in an isolated worker process)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...


class InlineParser:
    """Parses in this process; for tests and tools that trust their input. A parser's
    exception comes back as ParseFailed, as from the isolated pool."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except FetchError:
            raise
        except Exception as exc:
            raise _parse_failure(exc, fn) from exc


def _parse_failure(exc: Exception, fn: object = None) -> ParseFailed:
    name = getattr(fn, "__name__", None) or "parse"
    return ParseFailed(f"{name}: {type(exc).__name__}: {exc}"[:500])


HomepageHook = Callable[[str, FetchResponse], Awaitable[None]]


class HopDeferred(Exception):
    """A redirect leads to a host another worker holds, for longer than a visit waits.

    Not a FetchError on purpose: nothing between the hop and the visit may take it for a
    failed request (robots.txt, for one, would be remembered as unreachable)."""

    def __init__(self, host: str, retry_at: float):
        super().__init__(f"{host} is held by another worker")
        self.host = host
        self.retry_at = retry_at


class _HopLeases:
    """The hosts one visit reaches only through redirects, borrowed from the frontier.

    On a shared frontier the worker holding a source's host is the only one to send it
    requests; a redirect to another host (apex -> www) must take that host's lease too, or
    it could meet another worker's requests there. A busy host is waited for (at most
    ``max_hop_wait_s``, holding no politeness slot), then the visit is put off.
    """

    def __init__(self, crawler: Crawler, source: Source):
        self.crawler = crawler
        self.home = source.host.lower()
        self.held: list[str] = []
        self.closed = False

    async def borrow(self, host: str) -> None:
        host = host.lower()
        if not host or host == self.home or host in self.held:
            return
        crawler = self.crawler
        if self.closed:
            # A robots.txt load this visit started outlived it (the visit was cancelled): a
            # borrow now would never be returned, so that hop is refused.
            raise HopDeferred(host, crawler.clock())
        retry_at = await self._ask(host)
        if retry_at is not None:
            wait = retry_at - crawler.clock()
            if wait > crawler.settings.max_hop_wait_s:
                raise HopDeferred(host, retry_at)
            crawler.stats.hop_waits += 1
            await asyncio.sleep(max(wait, 0.0) + HOP_WAIT_MARGIN_S)
            retry_at = await self._ask(host)
            if retry_at is not None:
                raise HopDeferred(host, retry_at)
        self.held.append(host)
        crawler.stats.hops_borrowed += 1

    async def _ask(self, host: str) -> float | None:
        crawler = self.crawler
        return await crawler.frontier.borrow_host(
            host, crawler.owner, crawler.settings.lease_s, now=crawler.clock()
        )

    async def give_back(self) -> None:
        """Return every borrowed host; the visit's last request there was before now."""
        self.closed = True
        held, self.held = self.held, []
        for host in held:
            await self.crawler.frontier.return_host(host, self.crawler.owner, self.crawler.clock())


@dataclass
class _Customer:
    customer_id: str
    domain: str
    known: set[str] | None = None
    simhashes: list[tuple[str, int]] | None = None
    homepage_hosts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Result:
    """What processing a fetched body produced, before it is written."""

    documents: list[NewDocument] = field(default_factory=list)
    discovered: list[Discovered] = field(default_factory=list)
    changed: bool = True
    article: bool = False  # a new article was stored (the visit's request is given back)


@dataclass
class _Write:
    """Everything one visit stores, committed together with other visits' writes."""

    documents: list[NewDocument]
    sources: list[NewSource]
    outcome: FetchOutcome
    log: FetchLogEntry | None
    done: asyncio.Future[None]


class _BatchWriter:
    """Commits visits' results in batches: three transactions per batch, not per visit.

    A visit waits until its batch is committed, so when a visit task ends its documents,
    its discoveries and its source's next-due time are all in the database (documents and
    sources first: a crash between them only makes the source come back due).
    """

    def __init__(self, frontier: FrontierRepository, documents: DocumentRepository, stats: CrawlStats):
        self.frontier = frontier
        self.documents = documents
        self.stats = stats
        self._pending: list[_Write] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(
        self,
        outcome: FetchOutcome,
        log: FetchLogEntry | None,
        documents: list[NewDocument] | None = None,
        sources: list[NewSource] | None = None,
    ) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Write(documents or [], sources or [], outcome, log, done))
        self._wake.set()
        await done

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(0.005)  # let the visits finishing alongside join this batch
            batch, self._pending = self._pending, []
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[_Write]) -> None:
        try:
            documents = [d for w in batch for d in w.documents]
            self.stats.documents += await self.documents.store(documents)
            sources = [n for w in batch for n in w.sources]
            self.stats.discovered += await self.frontier.add_sources(sources)
            await self.frontier.complete_many(
                [w.outcome for w in batch], [w.log for w in batch if w.log is not None]
            )
        except Exception as exc:
            for write in batch:
                if not write.done.done():
                    write.done.set_exception(exc)
            return
        for write in batch:
            if not write.done.done():
                write.done.set_result(None)

    async def close(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            await self._commit(batch)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None




class Crawler:
    """Crawls the due part of the frontier; see the module docstring for one visit."""

    def __init__(
        self,
        *,
        frontier: FrontierRepository,
        documents: DocumentRepository,
        domains: Mapping[str, str],
        fetcher: Fetcher,
        robots: RobotsRules,
        gates: HostGate,
        settings: CrawlerSettings,
        parser: ParseRunner | None = None,
        clock: Callable[[], float] = time.time,
        owner: str | None = None,
        stats: CrawlStats | None = None,
        on_homepage: HomepageHook | None = None,
        schemes: SchemeMemory | None = None,
    ):
        self.frontier = frontier
        self.documents = documents
        self.fetcher = fetcher
        self.robots = robots
        self.gates = gates
        self.settings = settings
        self.parser = parser or InlineParser()
        self.clock = clock
        self.owner = owner or new_owner()
        self.stats = stats or CrawlStats()
        self.on_homepage = on_homepage
        # Which scheme answers per host; the fetcher given here applies it (in production a
        # SchemeFallbackFetcher over this memory), the loop asks robots.txt on that scheme.
        self.schemes = schemes
        # Where requests go (crawler/budget.py): article shapes learned from feeds and
        # sitemaps, and each host's budget of requests that find nothing new.
        self.shapes = ArticleShapes()
        self.budgets = SiteBudgets(
            settings.page_budget_initial, settings.page_budget_min, settings.page_budget_max
        )
        self._spent: set[int] = set()  # visits in flight that took a request from the budget
        self._budget_pass_started: float | None = None
        self.policy = RevisitPolicy(
            min_interval_s=settings.revisit_min_s,
            max_interval_s=settings.revisit_max_s,
            error_base_s=settings.source_retry_base_s,
            error_max_s=settings.source_retry_max_s,
        )
        self._customers = {cid: _Customer(cid, d.lower()) for cid, d in domains.items()}
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._committing: set[int] = set()
        self._writer = _BatchWriter(frontier, documents, self.stats)
        self._fatal: BaseException | None = None
        self._robots_sitemaps_seen: set[tuple[str, str]] = set()
        self._crawl_delays_shared: dict[str, float | None] = {}
        # Source host -> hosts its visits were redirected to, borrowed before a later
        # visit's first request (a refusal after the first would make it twice).
        self._redirect_targets: dict[str, list[str]] = {}

    # --- the pass --------------------------------------------------------------------

    async def seed(self) -> int:
        """The homepage of every customer domain (known URLs are left alone).

        Common paths and robots.txt sitemaps are added once the homepage answered, on the
        host it finally landed on (so an apex domain redirecting to www is probed only once).
        """
        now = self.clock()
        new: list[NewSource] = []
        for customer in self._customers.values():
            homepage = normalize_url(f"{self.settings.seed_scheme}://{customer.domain}/")
            if homepage is not None:
                new.extend(await self._new_sources(customer, [Discovered(homepage, "homepage")], "seed", now))
        return await self._add_sources(new, now)

    async def reclaim_dead_leases(self) -> int:
        """Leases held by crawler processes of this machine that no longer exist come back now."""
        return await reclaim_dead(self.frontier)

    async def run(
        self,
        *,
        once: bool = True,
        max_seconds: float | None = None,
        stop: asyncio.Event | None = None,
        grace_s: float = 5.0,
    ) -> CrawlStats:
        """Crawl until nothing is due (``once``) or until stopped or out of time."""
        stop = stop or asyncio.Event()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        await self.reclaim_dead_leases()
        if self.schemes is not None:
            self.schemes.load(await self.frontier.host_schemes())
        self.budgets.load(await self.frontier.page_budgets())
        await self.seed()
        capacity = max(1, self.settings.concurrency) * 2
        per_host = max(1, self.settings.per_host_concurrency) * 2
        try:
            while not stop.is_set() and not _past(deadline) and self._fatal is None:
                await self._next_budget_pass()
                leased: list[Source] = []
                room = capacity - len(self._in_flight)
                # Lease in chunks: one lease per finished visit would cost a write each.
                if room >= max(1, capacity // 4) or not self._in_flight:
                    leased = await self.frontier.lease_due(
                        room, self.owner, self.settings.lease_s, now=self.clock(), per_host=per_host
                    )
                    for source in leased:
                        self._start(source)
                if not self._in_flight and not leased:
                    if once:
                        break
                    await self._idle(stop, deadline)
                    continue
                if self._in_flight and not leased:
                    await self._wait_any(stop, deadline)
        finally:
            await self._drain(grace_s)
            await self._writer.close()
            await self._store_schemes(final=True)
            await self.frontier.record_page_budgets(self.budgets.next_pass())
        if self._fatal is not None:
            raise self._fatal
        return self.stats

    async def _next_budget_pass(self) -> None:
        """A crawl that keeps going (the daemon) starts a new budget pass every
        ``page_budget_defer_s``: the pages put off come due then, and find fresh budgets."""
        now = self.clock()
        if self._budget_pass_started is None:
            self._budget_pass_started = now
        elif now - self._budget_pass_started >= self.settings.page_budget_defer_s:
            self._budget_pass_started = now
            budgets = self.budgets.next_pass()
            await self.frontier.record_page_budgets(budgets)
            self.budgets.start_pass(budgets)

    def _start(self, source: Source) -> None:
        if source.source_id in self._in_flight:
            return
        task = asyncio.create_task(self._visit_safely(source))
        self._in_flight[source.source_id] = task
        self.stats.in_flight = len(self._in_flight)
        task.add_done_callback(functools.partial(self._done, source.source_id))

    def _done(self, source_id: int, _task: object = None) -> None:
        self._in_flight.pop(source_id, None)
        self.stats.in_flight = len(self._in_flight)

    async def _wait_any(self, stop: asyncio.Event, deadline: float | None) -> None:
        waiter = asyncio.create_task(stop.wait())
        timeout = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
        try:
            await asyncio.wait(
                [waiter, *self._in_flight.values()],
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiter.cancel()

    async def _idle(self, stop: asyncio.Event, deadline: float | None) -> None:
        next_due = await self.frontier.next_due_at()
        wait = 5.0 if next_due is None else max(0.05, min(5.0, next_due - self.clock()))
        if deadline is not None:
            wait = max(0.0, min(wait, deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _drain(self, grace_s: float) -> None:
        """Let in-flight visits finish for ``grace_s``, then cancel those still waiting on the
        network and give their leases back. A visit already writing its results is never
        cancelled (a write cut in half would leave the connection mid-transaction)."""
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=grace_s)
        leftover = dict(self._in_flight)
        cancelled = [sid for sid in leftover if sid not in self._committing]
        for sid in cancelled:
            leftover[sid].cancel()
        if leftover:
            await asyncio.gather(*leftover.values(), return_exceptions=True)
        if cancelled:
            await self.frontier.release(cancelled, self.owner)

    # --- one visit -------------------------------------------------------------------

    async def _visit_safely(self, source: Source) -> None:
        try:
            await self._visit(source)
        except asyncio.CancelledError:
            raise
        except StorageError as exc:  # the database is unusable: stop the crawl, report it
            self._fatal = self._fatal or exc
        except Exception as exc:  # a bug or hostile input must never stop the crawl
            self._committing.add(source.source_id)
            try:
                await self._failed(source, "internal", f"{type(exc).__name__}: {exc}", 0.0, None)
            except StorageError as storage_exc:
                self._fatal = self._fatal or storage_exc
        finally:
            self._committing.discard(source.source_id)
            self._spent.discard(source.source_id)

    async def _visit(self, source: Source) -> None:
        """One visit, with the hosts its redirects lead to borrowed (see _HopLeases)."""
        leases = _HopLeases(self, source)
        guard = hop_guard.set(leases.borrow)
        try:
            for host in self._redirect_targets.get(leases.home, ()):
                await leases.borrow(host)
            await self._visit_leased(source, leases)
        except HopDeferred as exc:
            self._committing.add(source.source_id)
            self.stats.deferred += 1
            now = self.clock()
            await self.frontier.defer(source.source_id, self.owner, min(exc.retry_at, now + MAX_DEFER_S), now)
        finally:
            hop_guard.reset(guard)
            self._remember_redirects(leases)
            await leases.give_back()
            await self._store_schemes()

    async def _store_schemes(self, *, final: bool = False) -> None:
        """What this visit learned about its hosts' schemes, for the next passes and the
        crawl summary (written, and the report redone, only when something changed)."""
        if self.schemes is None:
            return
        changed = self.schemes.take_changes()
        if changed:
            await self.frontier.record_schemes(changed)
        if changed or final:
            self.stats.schemes = self.schemes.report()

    def _remember_redirects(self, leases: _HopLeases) -> None:
        if not leases.held:
            return
        targets = self._redirect_targets.pop(leases.home, [])
        targets = [*leases.held, *(t for t in targets if t not in leases.held)][:MAX_TARGETS_PER_HOST]
        if len(self._redirect_targets) >= MAX_KNOWN_REDIRECT_HOSTS:
            self._redirect_targets.pop(next(iter(self._redirect_targets)))  # the oldest
        self._redirect_targets[leases.home] = targets

    async def _visit_leased(self, source: Source, leases: _HopLeases) -> None:
        customer = self._customers.get(source.customer_id)
        if customer is None:
            await self.frontier.release([source.source_id], self.owner)
            return
        url = self.schemes.effective(source.url) if self.schemes is not None else source.url
        if not await self.robots.allowed(url):
            reason, detail = await self._robots_reason(url)
            self._committing.add(source.source_id)
            await self._blocked(source, reason, detail)
            return
        if not self._within_budget(source):
            self._committing.add(source.source_id)
            self.stats.budget_deferred += 1
            until = self.clock() + self.settings.page_budget_defer_s
            await self.frontier.defer(source.source_id, self.owner, until)
            return
        await self._share_crawl_delay(source)
        started = self.clock()
        tick = time.monotonic()
        retries = max(0, self.settings.fetch_retries)
        hops: dict[str, bool] = {}  # robots.txt verdicts on redirect targets, for this visit
        while True:
            # Each redirect hop waits for its own host's gate, holding no other slot
            # meanwhile (see HopSlot: that is what keeps two visits from deadlocking).
            slot = HopSlot(self.gates, source.host)
            try:
                async with slot:
                    response = await self.fetcher.fetch(
                        url,
                        etag=source.etag,
                        last_modified=source.last_modified,
                        check_redirect=functools.partial(self._check_hop, hops, slot, leases),
                    )
                break
            except RobotsUnknown as exc:
                # Asked here, holding no slot: that robots.txt waits for its own host's gate.
                target = exc.url or ""
                if len(hops) <= self.settings.max_redirects:
                    hops[target] = await self.robots.allowed(target)
                    continue
                moving = TooManyRedirects(f"redirects keep moving to new URLs ({target[:200]})")
                self._committing.add(source.source_id)
                duration = time.monotonic() - tick
                await self._failed(source, moving.error_class, moving.detail, duration, started)
                return
            except RobotsDisallowed as exc:
                reason, detail = await self._robots_reason(exc.url or url)
                self._committing.add(source.source_id)
                await self._blocked(source, reason, f"redirect to {(exc.url or '')[:300]}: {detail}")
                return
            except FetchError as exc:
                if exc.retryable:
                    # Network failures (connect, timeout, reset, DNS) back the host off with
                    # jitter, as 429 and 5xx answers do: the host the failing hop went to.
                    self.gates.penalise(slot.host)
                if exc.error_class in RETRY_AT_ONCE and retries > 0:
                    retries -= 1  # a dropped connection is often transient: after the
                    continue  # host's back-off, once more
                self._committing.add(source.source_id)
                duration = time.monotonic() - tick
                await self._failed(source, exc.error_class, exc.detail, duration, started)
                return
        self._committing.add(source.source_id)
        duration = time.monotonic() - tick
        self.stats.fetched(source.host, len(response.body))
        await self._handle(source, customer, response, started, duration)

    def _within_budget(self, source: Source) -> bool:
        """A first visit of a page, post or section page spends its host's budget; article
        candidates are visited regardless (see crawler/budget.py). Revisits follow the
        revisit schedule, which already slows down for pages that do not change."""
        if source.kind in UNBUDGETED or source.last_fetched_at is not None:
            return True
        if self.shapes.candidate(source.url):
            return True
        if not self.budgets.spend(source.host):
            return False
        self._spent.add(source.source_id)  # a new article found gives the request back
        return True

    async def _share_crawl_delay(self, source: Source) -> None:
        """Store the host's robots.txt Crawl-delay in the frontier when it changed: on a
        shared frontier the worker that takes the host over spaces its first request from
        our last one by it (this process's own gates already space by it)."""
        delay_of = getattr(self.robots, "crawl_delay", None)
        if delay_of is None:
            return
        try:
            asked = await delay_of(source.url)  # robots.txt was just loaded: no fetch
        except (FetchError, OSError):
            return
        capped = min(float(asked), self.settings.max_crawl_delay) if asked else 0.0
        delay = capped if capped > 0 else None  # as the gates honour it
        host = source.host.lower()
        if host in self._crawl_delays_shared and self._crawl_delays_shared[host] == delay:
            return
        if len(self._crawl_delays_shared) >= 100_000:
            self._crawl_delays_shared.clear()  # only costs a repeated write per host
        await self.frontier.record_crawl_delay(host, delay)
        self._crawl_delays_shared[host] = delay

    async def _check_hop(
        self, verdicts: dict[str, bool], slot: HopSlot, leases: _HopLeases, url: str
    ) -> None:
        """The target's host borrowed (before anything is asked of it, its robots.txt
        included; waiting for it holds no slot); robots.txt on the target, from what is known
        without fetching (a robots.txt fetch here would wait for a politeness slot while this
        visit holds one); then the visit moves to the target host's gate."""
        await slot.give_back()  # the hop it leaves is finished (see Fetcher.fetch)
        await leases.borrow(host_of(url))
        allowed = verdicts.get(url)
        if allowed is None:
            known = getattr(self.robots, "known", None)
            allowed = known(url) if known is not None else None
        if allowed is None:
            raise RobotsUnknown("robots.txt of the redirect target not loaded yet", url=url)
        if not allowed:
            raise RobotsDisallowed("redirect target disallowed by robots.txt", url=url)
        await slot.follow(url)

    async def _handle(
        self,
        source: Source,
        customer: _Customer,
        response: FetchResponse,
        started: float,
        duration: float,
    ) -> None:
        status = response.status
        # Back-off and Retry-After belong to the host that answered (after redirects).
        answered = host_of(response.final_url) or source.host
        if response.not_modified or status == 304:
            self.gates.succeeded(answered)
            self.stats.not_modified += 1
            await self._finish(source, response, started, duration, changed=False, digest=None)
            return
        if status in (429, 503):
            header = response.headers.get("retry-after")
            retry = parse_retry_after(header, cap_s=self.settings.max_retry_after_s, wall_now=self.clock())
            self.gates.penalise(answered, retry)
            await self._failed(source, f"http_{status}", f"HTTP {status}", duration, started, retry, status)
            return
        if status in (404, 410) and source.kind != "homepage":
            await self._gone(source, status, started, duration)
            return
        if not 200 <= status < 300:
            if status >= 500:
                self.gates.penalise(answered)
            await self._failed(source, f"http_{status}", f"HTTP {status}", duration, started, None, status)
            return
        self.gates.succeeded(answered)
        self.stats.pages += 1
        digest = content_hash(response.body)
        if digest == source.content_hash:
            self.stats.unchanged += 1
            await self._finish(source, response, started, duration, changed=False, digest=digest)
            return
        if source.kind == "homepage" and self.on_homepage is not None:
            with contextlib.suppress(Exception):
                await self.on_homepage(source.customer_id, response)
        try:
            result = await self._process(source, customer, response, digest)
        except StorageError:
            raise
        except Exception as exc:
            # Parse errors keep their class (parse, parse_timeout, parse_crash); anything
            # else raised while reading the fetched content is a parse error too.
            failure = exc if isinstance(exc, FetchError) else _parse_failure(exc)
            await self._failed(source, failure.error_class, failure.detail, duration, started, None, status)
            return
        if result.article and source.source_id in self._spent:
            self.budgets.found(source.host)
        if source.kind == "homepage":
            result.discovered.extend(await self._around_homepage(customer, response, result.discovered))
        self.stats.feed_entries += sum(1 for d in result.documents if d.kind == "feed_entry")
        now = self.clock()
        new = await self._new_sources(customer, result.discovered, source.url, now)
        await self._finish(
            source,
            response,
            started,
            duration,
            changed=result.changed,
            digest=digest,
            documents=result.documents,
            sources=new,
            kind=self._revisit_kind(source, result),
        )

    def _revisit_kind(self, source: Source, result: _Result) -> str:
        """An article in a section (a blog post, a press release, a job ad) is revisited as
        a page, not as its section: articles rarely change, the listings announcing new
        ones do. A section's own page (``/blog``, ``/careers/``) is a listing, however long."""
        if not result.article or source.kind not in SECTION_KINDS | {"page"}:
            return source.kind
        depth = len([s for s in urlsplit(source.url).path.split("/") if s])
        return "page" if depth >= 2 or self.shapes.candidate(source.url) else source.kind

    async def _process(
        self, source: Source, customer: _Customer, response: FetchResponse, digest: str
    ) -> _Result:
        body = response.body
        url = normalize_url(response.final_url) or source.url
        ctype = response.content_type
        if source.kind in FEED_KINDS or (source.kind != "sitemap" and looks_like_feed(body[:4096], ctype)):
            feed = await self.parser.run(parse_feed, body, url, self.settings.max_feed_entries)
            return await self._from_feed(source, customer, feed)
        if source.kind == "sitemap":
            facts = await self.parser.run(parse_sitemap, body, url, self.settings.max_sitemap_urls)
            return self._from_sitemap(customer, facts)
        if ctype not in HTML_TYPES:
            return _Result(changed=False)
        page = await self.parser.run(parse_page, body, url, response.charset)
        return await self._from_page(source, customer, response, url, digest, page)

    async def _from_feed(self, source: Source, customer: _Customer, feed: ParsedFeed) -> _Result:
        now = self.clock()
        docs = [
            NewDocument(
                customer_id=customer.customer_id,
                source_id=source.source_id,
                url=entry.link,
                kind="feed_entry",
                source_kind=source.kind,
                title=entry.title,
                published=entry.published,
                fetched_at=now,
                content_hash=entry.content_hash(),
                body=entry.body(),
                content_type="text/html",
            )
            for entry in feed.entries
        ]
        known = await self.documents.known_hashes(customer.customer_id, [d.url for d in docs])
        gained = any((d.url, d.content_hash) not in known for d in docs)
        links = [entry.link for entry in feed.entries]
        self.shapes.learn(link for link in links if in_domain(host_of(link), customer.domain))
        # A forum's feed (e.g. a tag feed about the customer) leads to its threads.
        forums = [source.host] if self._is_forum_host(source.host) else []
        discovered = scope_links(links, customer.domain, forum_hosts=forums)
        return _Result(documents=docs, discovered=discovered, changed=gained)

    def _from_sitemap(self, customer: _Customer, facts: SitemapFacts) -> _Result:
        hint = "sitemap" if facts.kind == "index" else None
        if hint is None:
            self.shapes.learn(u for u in facts.urls if in_domain(host_of(u), customer.domain))
        discovered = scope_links(
            facts.urls, customer.domain, forum_hosts=self.settings.forum_hosts, hint=hint
        )
        return _Result(discovered=discovered, changed=bool(discovered))

    async def _from_page(
        self,
        source: Source,
        customer: _Customer,
        response: FetchResponse,
        url: str,
        digest: str,
        page: PageFacts,
    ) -> _Result:
        discovered = [
            Discovered(f, "feed") for f in page.feeds if _site_feed(f, url, source.kind, customer.domain)
        ]
        if source.kind == "social":
            # A profile page: only its feed is followed.
            return _Result(discovered=[Discovered(f, "social") for f in page.feeds])
        own = in_domain(host_of(url), customer.domain)
        if source.kind == "forum" and in_domain(host_of(source.discovered_from or ""), customer.domain):
            # A forum page the customer links to (its tag or thread list): follow the
            # threads in its content, not the forum's navigation.
            forums = [host_of(url)] if self._is_forum_host(host_of(url)) else []
            discovered.extend(scope_links(page.content_links, "", forum_hosts=forums))
        article = is_article(page)
        if own:
            discovered.extend(self._links_to_follow(source, customer, page, article))
            # The customer's own profiles are site-wide (header, footer): the homepage has
            # them. An article's are often someone else's (an author, an embedded post).
            for profile in page.social if source.kind == "homepage" else ():
                if in_domain(host_of(profile), customer.domain):
                    discovered.append(Discovered(profile, None))
                    continue
                feed = social_feed_url(profile)
                discovered.append(Discovered(feed or profile, "social"))
        canonical = page.canonical
        if canonical and canonical != url and in_domain(host_of(canonical), customer.domain):
            # The page says it is a copy: crawl and store the canonical URL instead.
            discovered.append(Discovered(canonical, None))
            return _Result(discovered=discovered)
        if not own and source.kind != "forum":
            return _Result(discovered=discovered)
        if await self._near_duplicate(customer, url, page):
            self.stats.near_duplicates += 1
            return _Result(discovered=discovered, changed=False)
        doc = NewDocument(
            customer_id=customer.customer_id,
            source_id=source.source_id,
            url=url,
            canonical_url=canonical,
            kind="page",
            source_kind=source.kind,
            title=page.title,
            published=page.published,
            language=page.language,
            fetched_at=self.clock(),
            content_hash=digest,
            simhash=page.simhash,
            content_type=response.content_type or "text/html",
            body=response.body,
        )
        return _Result(documents=[doc], discovered=discovered, article=article)

    def _links_to_follow(
        self, source: Source, customer: _Customer, page: PageFacts, article: bool
    ) -> list[Discovered]:
        """All of a homepage's links; from an article found new or a section's listing
        only links into the site's content; from other pages none (crawler/budget.py).
        Links to watched forum hosts are followed from any page."""
        mode = follows_links(source.kind, article)
        forums = self.settings.forum_hosts
        if mode == "all":
            return scope_links(page.links, customer.domain, forum_hosts=forums)
        on_forums = [u for u in page.links if self._is_forum_host(host_of(u))]
        if mode == "content":
            return scope_links(
                [*content_links(page.links, customer.domain, self.shapes), *on_forums],
                customer.domain,
                forum_hosts=forums,
            )
        return scope_links(on_forums, customer.domain, forum_hosts=forums)

    def _is_forum_host(self, host: str) -> bool:
        return host in {h.lower() for h in self.settings.forum_hosts}

    async def _near_duplicate(self, customer: _Customer, url: str, page: PageFacts) -> bool:
        bits = self.settings.near_duplicate_bits
        if bits < 0 or page.simhash is None or page.text_chars < MIN_WORDS_FOR_NEAR_DUPLICATE * 4:
            return False
        if customer.simhashes is None:
            customer.simhashes = await self.documents.page_simhashes(customer.customer_id)
        for other_url, other in customer.simhashes:
            if other_url != url and hamming(other, page.simhash) <= bits:
                return True
        customer.simhashes.append((url, page.simhash))
        return False

    async def _around_homepage(
        self, customer: _Customer, response: FetchResponse, linked: list[Discovered]
    ) -> list[Discovered]:
        """robots.txt sitemaps and common paths of the host the homepage landed on.

        A common path is probed only when the homepage did not already reveal a source of
        that kind (a linked blog, a feed, a robots.txt sitemap): fewer blind requests.
        """
        final = normalize_url(response.final_url)
        if final is None or not in_domain(host_of(final), customer.domain):
            return []
        host = host_of(final)
        found: list[Discovered] = []
        key = (customer.customer_id, host)
        if key not in self._robots_sitemaps_seen:
            self._robots_sitemaps_seen.add(key)
            try:
                listed = await self.robots.sitemaps(host)
            except (FetchError, OSError, HopDeferred):
                listed = []  # HopDeferred: robots.txt redirects to a busy host; the page is done
            for url in listed:
                normalized = normalize_url(url, final)
                if normalized and in_domain(host_of(normalized), customer.domain):
                    found.append(Discovered(normalized, "sitemap"))
        seen_kinds = {
            classify_source(d.url, customer.domain, hint=d.hint)
            for d in [*linked, *found]
            if in_domain(host_of(d.url), customer.domain) or d.hint == "feed"
        }
        if seen_kinds & {"feed", "sitemap"}:
            return found  # the site lists its own content: no blind probes (crawler/budget.py)
        for path in self.settings.common_paths:
            probe = normalize_url(path, final)
            if probe and classify_source(probe, customer.domain) not in seen_kinds:
                found.append(Discovered(probe, None))
        return found

    # --- bookkeeping -----------------------------------------------------------------

    async def _new_sources(
        self, customer: _Customer, found: list[Discovered], origin: str, now: float
    ) -> list[NewSource]:
        if customer.known is None:
            customer.known = await self.frontier.known_urls(customer.customer_id)
        room = self.settings.max_sources_per_customer - len(customer.known)
        new: list[NewSource] = []
        for item in found:
            if room <= 0:
                break
            if item.url in customer.known:
                continue  # the common case, and discovered URLs are normalised already
            url = normalize_url(item.url)
            if url is None or url in customer.known or other_scheme(url) in customer.known:
                continue  # the same page over the other scheme is the same source
            customer.known.add(url)
            kind = classify_source(
                url, customer.domain, hint=item.hint, forum_hosts=self.settings.forum_hosts
            )
            new.append(
                NewSource(
                    customer_id=customer.customer_id,
                    url=url,
                    host=host_of(url),
                    kind=kind,
                    discovered_from=origin[:500],
                    next_due_at=priority(kind, url, self.shapes),  # lower comes first
                    revisit_interval_s=self.policy.initial(kind),
                )
            )
            room -= 1
        return new

    async def _add_sources(self, new: list[NewSource], now: float) -> int:
        return await self.frontier.add_sources(new, now=now) if new else 0

    async def _finish(
        self,
        source: Source,
        response: FetchResponse,
        started: float,
        duration: float,
        *,
        changed: bool,
        digest: str | None,
        documents: list[NewDocument] | None = None,
        sources: list[NewSource] | None = None,
        kind: str | None = None,
    ) -> None:
        now = self.clock()
        if source.last_fetched_at is None:
            interval = self.policy.initial(kind or source.kind)
        else:
            interval = self.policy.after_visit(source.revisit_interval_s, changed)
        outcome = FetchOutcome(
            source_id=source.source_id,
            fetched_at=now,
            next_due_at=now + interval,
            revisit_interval_s=interval,
            http_status=response.status,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_hash=digest,
        )
        log = self._log(source, started, duration, response.status, len(response.body))
        await self._writer.submit(outcome, log, documents, sources)

    async def _gone(self, source: Source, status: int, started: float, duration: float) -> None:
        now = self.clock()
        self.stats.error(f"http_{status}")
        outcome = FetchOutcome(
            source_id=source.source_id,
            fetched_at=now,
            next_due_at=now + self.policy.max_interval_s,
            revisit_interval_s=self.policy.max_interval_s,
            status="gone",
            http_status=status,
            error=f"http_{status}",
            failure_count=source.failure_count + 1,
        )
        log = self._log(source, started, duration, status, 0, f"http_{status}", f"HTTP {status}")
        await self._writer.submit(outcome, log)

    async def _robots_reason(self, url: str) -> tuple[str, str]:
        """Why robots.txt said no: a rule, or robots.txt unreachable (5xx, network) for now."""
        rules_of = getattr(self.robots, "rules", None)
        if rules_of is not None:
            with contextlib.suppress(Exception):
                rules = await rules_of(url)
                if getattr(rules, "verdict", "") == "disallow_all" and rules.error_class:
                    return "robots_unreachable", f"robots.txt unreachable ({rules.error_class})"
        return "robots_disallowed", "disallowed by robots.txt"

    async def _blocked(self, source: Source, reason: str, detail: str) -> None:
        """Not fetched. Asked again later: robots.txt may change (sooner when it was only
        unreachable, as RFC 9309 treats that as a temporary full disallow)."""
        now = self.clock()
        self.stats.robots_blocked += 1
        self.stats.error(reason)
        retry = self.settings.robots_retry_s if reason == "robots_unreachable" else 86_400.0
        outcome = FetchOutcome(
            source_id=source.source_id,
            fetched_at=now,
            next_due_at=now + max(retry, 1.0),
            revisit_interval_s=source.revisit_interval_s,
            status="blocked",
            error=reason,
            failure_count=source.failure_count,
        )
        log = self._log(source, now, 0.0, None, 0, reason, detail)
        await self._writer.submit(outcome, log)

    async def _failed(
        self,
        source: Source,
        error_class: str,
        detail: str,
        duration: float,
        started: float | None,
        retry_after_s: float | None = None,
        http_status: int | None = None,
    ) -> None:
        now = self.clock()
        self.stats.error(error_class)
        failures = source.failure_count + 1
        delay = self.policy.after_error(failures, retry_after_s)
        if retry_after_s is not None and error_class in ("http_429", "http_503"):
            delay = max(1.0, retry_after_s)
        outcome = FetchOutcome(
            source_id=source.source_id,
            fetched_at=now,
            next_due_at=now + delay,
            revisit_interval_s=source.revisit_interval_s,
            http_status=http_status,
            error=error_class,
            failure_count=failures,
        )
        log = self._log(
            source, started if started is not None else now, duration, http_status, 0, error_class, detail
        )
        await self._writer.submit(outcome, log)

    def _log(
        self,
        source: Source,
        started: float,
        duration: float,
        status: int | None,
        size: int,
        error_class: str | None = None,
        detail: str | None = None,
    ) -> FetchLogEntry:
        return FetchLogEntry(
            url=source.url,
            host=source.host,
            started_at=started,
            duration_ms=round(duration * 1000.0, 3),
            customer_id=source.customer_id,
            source_id=source.source_id,
            status=status,
            bytes=size,
            error_class=error_class,
            error_detail=detail,
            worker=self.owner,
        )


def _site_feed(feed: str, page_url: str, kind: str, domain: str) -> bool:
    """A feed link worth following: not a comments feed, nor one nested under the page's
    own URL (a WordPress article links its own comments feed as ``<article>/feed/``); on
    another host only when the homepage links it (a blog's feed may live elsewhere; an
    article's embeds and syndication links need not be the customer's)."""
    if "comment" in urlsplit(feed).path.lower():
        return False
    if kind not in ("homepage", "social") and not in_domain(host_of(feed), domain):
        return False
    nested = urlsplit(page_url).path.strip("/") != "" and feed.startswith(page_url.rstrip("/") + "/")
    return not nested


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline
