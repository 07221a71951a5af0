"""Per-host gates: concurrency per host and in total, spacing between request starts,
Retry-After and exponential back-off with jitter.

Use ``async with gates.slot(host): ...`` around every request (robots.txt included), and
:class:`HopSlot` around a request that may be redirected: each redirect hop is a request to
its own host and waits for that host's slot. A slot is granted when

* fewer than ``per_host_concurrency`` requests to the host are in flight,
* at least ``max(per_host_delay, Crawl-delay)`` seconds passed since the previous request
  *start* to the host (starts are recorded under a per-host lock, so the spacing holds for
  concurrent waiters too),
* the host is not penalised (429/503 Retry-After, back-off after consecutive errors), and
* fewer than ``concurrency`` requests are in flight in total. The global slot is taken only
  once the host is ready, so a worker waiting out a host's delay never holds a global slot.

Time comes from an injectable :class:`Clock` so tests run on virtual time.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from crawler.errors import HostDeferred
from crawler.retry_after import parse_retry_after
from crawler.settings import CrawlerSettings
from crawler.urls import host_of

_PRUNE_ABOVE = 4096  # host states kept before idle ones are swept


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class _Host:
    concurrency: asyncio.Semaphore
    start_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float = -math.inf
    blocked_until: float = -math.inf
    errors: int = 0
    waiting: int = 0
    active: int = 0


class HostGates:
    def __init__(
        self,
        settings: CrawlerSettings | None = None,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ):
        settings = settings or CrawlerSettings()
        self.settings = settings
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._global = asyncio.Semaphore(max(1, settings.concurrency))
        self._hosts: dict[str, _Host] = {}
        self._crawl_delays: dict[str, float] = {}
        self.in_flight = 0  # requests holding a slot now (for progress and metrics)

    # --- configuration from robots.txt -----------------------------------------------

    def set_crawl_delay(self, host: str, seconds: float | None) -> None:
        """Record a host's robots.txt Crawl-delay (capped at ``max_crawl_delay``)."""
        host = host.lower()
        if seconds is None or not math.isfinite(seconds) or seconds <= 0:
            self._crawl_delays.pop(host, None)
            return
        if len(self._crawl_delays) >= 100_000 and host not in self._crawl_delays:
            self._crawl_delays.pop(next(iter(self._crawl_delays)))
        self._crawl_delays[host] = min(float(seconds), self.settings.max_crawl_delay)

    def spacing(self, host: str) -> float:
        """Minimum seconds between two request starts to the host."""
        return max(self.settings.per_host_delay, self._crawl_delays.get(host.lower(), 0.0))

    # --- outcomes ------------------------------------------------------------------------

    def penalise(self, host: str, retry_after: str | float | None = None) -> float:
        """Count an error (429, 5xx, network) and keep the host quiet; returns the wait.

        The wait is the larger of the server's Retry-After (capped at ``max_retry_after_s``)
        and an exponential back-off with jitter over consecutive errors.
        """
        state = self._state(host)
        state.errors += 1
        exponent = min(state.errors - 1, 30)
        backoff = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2**exponent)
        backoff *= 0.5 + 0.5 * self._rng.random()  # jitter: hosts that failed together spread
        asked = parse_retry_after(retry_after, cap_s=self.settings.max_retry_after_s)
        wait = max(backoff, asked or 0.0)
        state.blocked_until = max(state.blocked_until, self._clock.now() + wait)
        return wait

    def succeeded(self, host: str) -> None:
        """A normal response: consecutive-error back-off starts over."""
        state = self._hosts.get(host.lower())
        if state is not None:
            state.errors = 0

    def errors(self, host: str) -> int:
        state = self._hosts.get(host.lower())
        return state.errors if state else 0

    def delay_for(self, host: str) -> float:
        """Seconds until a request to the host could start (0 when it could start now)."""
        state = self._hosts.get(host.lower())
        if state is None:
            return 0.0
        return max(0.0, self._ready_at(host.lower(), state) - self._clock.now())

    # --- the gate ------------------------------------------------------------------------

    @asynccontextmanager
    async def slot(self, host: str, *, max_wait_s: float | None = None) -> AsyncIterator[None]:
        """Hold one request slot for the host. With ``max_wait_s``, raise HostDeferred
        instead of waiting longer than that (so a worker can pick other work)."""
        host = host.lower()
        state = self._state(host)
        state.waiting += 1
        try:
            async with state.concurrency:
                async with state.start_lock:
                    await self._wait_until_ready(host, state, max_wait_s)
                    await self._global.acquire()
                    state.last_start = self._clock.now()
                state.active += 1
                self.in_flight += 1
                try:
                    yield
                finally:
                    state.active -= 1
                    self.in_flight -= 1
                    self._global.release()
        finally:
            state.waiting -= 1

    async def _wait_until_ready(self, host: str, state: _Host, max_wait_s: float | None) -> None:
        # A loop, because penalise() may push the host back while we sleep.
        while True:
            wait = self._ready_at(host, state) - self._clock.now()
            if wait <= 0:
                return
            if max_wait_s is not None and wait > max_wait_s:
                raise HostDeferred(
                    f"{host}: next request allowed in {wait:.1f}s",
                    retry_at=self._clock.now() + wait,
                )
            await self._clock.sleep(wait)

    def _ready_at(self, host: str, state: _Host) -> float:
        return max(state.last_start + self.spacing(host), state.blocked_until)

    def _state(self, host: str) -> _Host:
        host = host.lower()
        state = self._hosts.get(host)
        if state is None:
            if len(self._hosts) >= _PRUNE_ABOVE:
                self._prune()
            state = _Host(asyncio.Semaphore(max(1, self.settings.per_host_concurrency)))
            self._hosts[host] = state
        return state

    def _prune(self) -> None:
        """Forget hosts with nothing pending: dropping them changes no future decision."""
        now = self._clock.now()
        for name, state in list(self._hosts.items()):
            if (
                state.waiting == 0
                and state.active == 0
                and state.errors == 0
                and self._ready_at(name, state) <= now
            ):
                del self._hosts[name]


HopGuard = Callable[[str], Awaitable[None]]

# What a redirect hop to another host must do first, for the task making the request: the
# crawl loop sets it per visit to borrow the target host's lease on a shared frontier. A
# context variable reaches requests the visit makes through other code too (robots.txt
# fetches, which often redirect apex -> www); it may raise to refuse the hop.
hop_guard: contextvars.ContextVar[HopGuard | None] = contextvars.ContextVar("hop_guard", default=None)


class Slots(Protocol):
    def slot(self, host: str) -> AbstractAsyncContextManager[Any]: ...


class HopSlot:
    """The politeness slot of the host a request, or its latest redirect hop, goes to.

    ``async with HopSlot(gates, host) as slot:`` takes the host's slot; pass ``slot.follow``
    as the fetcher's redirect check and every hop waits for its own host's gate (a hop on
    the same host too: its start is spaced like any other request's).

    The slot held so far is given back *before* the next one is waited for. A request
    holding host A's slot while it waits for B's, next to one holding B's while it waits
    for A's, would deadlock once both hosts are at their concurrency; one that holds nothing
    while it waits cannot block anyone. Switching slots inside the fetch (rather than
    restarting at the hop's URL) keeps one redirect count, one loop check and one deadline
    for the whole chain.
    """

    def __init__(self, gates: Slots, host: str):
        self._gates = gates
        self.host = host.lower()  # where the request in flight (or the last one) went
        self._held: AbstractAsyncContextManager[Any] | None = None

    async def __aenter__(self) -> HopSlot:
        await self._take()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.give_back()

    async def follow(self, url: str) -> None:
        """Move to the slot of the host ``url`` is on (the fetcher's redirect check); a move
        to another host passes the task's :data:`hop_guard` first, holding no slot."""
        await self.give_back()
        target = host_of(url) or self.host
        guard = hop_guard.get()
        if guard is not None and target != self.host:
            await guard(target)
        self.host = target
        await self._take()

    async def _take(self) -> None:
        slot = self._gates.slot(self.host)
        # Entered by hand: the slot is given back in another method than the one taking it.
        await slot.__aenter__()
        self._held = slot

    async def give_back(self) -> None:
        """Give the slot held back now (before a wait that needs none); ``follow`` takes the
        next one, and leaving the ``async with`` gives back nothing twice."""
        slot, self._held = self._held, None
        if slot is not None:
            await slot.__aexit__(None, None, None)
