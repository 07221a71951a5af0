"""Host gates on a virtual clock, and a recorder of when each request started."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Awaitable
from typing import TypeVar

from crawler.politeness import HostGates
from crawler.settings import CrawlerSettings

T = TypeVar("T")


class VirtualClock:
    """Sleeps resolve in time order, instantly: virtual time jumps to the next wake-up once
    every runnable task has had its turn."""

    def __init__(self) -> None:
        self._now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + max(0.0, seconds), next(self._seq), future))
        await future

    async def run(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        for _ in range(100_000):
            for _ in range(50):
                await asyncio.sleep(0)
                if task.done():
                    return task.result()
            if not self._sleepers:
                continue
            wake = self._sleepers[0][0]
            self._now = max(self._now, wake)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                heapq.heappop(self._sleepers)[2].set_result(None)
        raise AssertionError("virtual clock: work never finished")


class Recorder:
    def __init__(self, gates: HostGates, clock: VirtualClock):
        self.gates, self.clock = gates, clock
        self.starts: dict[str, list[float]] = {}
        self.active: dict[str, int] = {}
        self.max_active: dict[str, int] = {}
        self.total_active = 0
        self.max_total = 0

    async def request(self, host: str, duration: float) -> None:
        async with self.gates.slot(host):
            self.starts.setdefault(host, []).append(self.clock.now())
            self.active[host] = self.active.get(host, 0) + 1
            self.max_active[host] = max(self.max_active.get(host, 0), self.active[host])
            self.total_active += 1
            self.max_total = max(self.max_total, self.total_active)
            await self.clock.sleep(duration)
            self.active[host] -= 1
            self.total_active -= 1


def setup(**overrides: object) -> tuple[HostGates, VirtualClock, Recorder]:
    settings = CrawlerSettings(**overrides)  # type: ignore[arg-type]
    clock = VirtualClock()
    gates = HostGates(settings, clock=clock, rng=random.Random(7))
    return gates, clock, Recorder(gates, clock)
