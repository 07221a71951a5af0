"""Per-host gates on virtual time: spacing, concurrency, Retry-After, back-off."""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import time

import pytest

from crawler.errors import ConnectFailed, HostDeferred
from crawler.fetch import FetchLimits, FetchResponse, HttpFetcher
from crawler.politeness import HopSlot, HostGates
from crawler.retry_after import parse_retry_after
from crawler.robots import RobotsPolicy
from crawler.settings import CrawlerSettings
from tests.support.loopback_http import LoopbackHttp, Request, send
from tests.support.politeness import setup


def gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(starts)]




async def test_spacing_between_starts_and_per_host_concurrency() -> None:
    _gates, clock, rec = setup(per_host_delay=1.0, per_host_concurrency=2, concurrency=64)
    await clock.run(asyncio.gather(*(rec.request("a.example", 5.0) for _ in range(8))))
    starts = rec.starts["a.example"]
    assert len(starts) == 8
    assert min(gaps(starts)) >= 1.0 - 1e-9
    assert rec.max_active["a.example"] == 2
    # two in flight from t=0 and t=1; the third waits for the first to finish at t=5
    assert starts[:3] == [0.0, 1.0, 5.0]


async def test_crawl_delay_wins_when_larger_and_is_capped() -> None:
    gates, clock, rec = setup(per_host_delay=1.0, per_host_concurrency=4, max_crawl_delay=10.0)
    gates.set_crawl_delay("slow.example", 3.0)
    gates.set_crawl_delay("greedy.example", 86_400.0)
    await clock.run(
        asyncio.gather(
            *(rec.request("slow.example", 0.1) for _ in range(4)),
            *(rec.request("greedy.example", 0.1) for _ in range(3)),
            *(rec.request("plain.example", 0.1) for _ in range(3)),
        )
    )
    assert gaps(rec.starts["slow.example"]) == pytest.approx([3.0, 3.0, 3.0])
    assert gaps(rec.starts["greedy.example"]) == pytest.approx([10.0, 10.0])
    assert gaps(rec.starts["plain.example"]) == pytest.approx([1.0, 1.0])
    # hosts do not wait for each other
    assert rec.starts["slow.example"][0] == rec.starts["plain.example"][0] == 0.0


async def test_global_concurrency_limit() -> None:
    _gates, clock, rec = setup(per_host_delay=0.0, per_host_concurrency=2, concurrency=3)
    hosts = [f"h{i}.example" for i in range(5)]
    await clock.run(asyncio.gather(*(rec.request(h, 2.0) for h in hosts for _ in range(2))))
    assert rec.max_total == 3
    assert max(rec.max_active.values()) <= 2
    assert sum(len(s) for s in rec.starts.values()) == 10


async def test_waiting_for_spacing_holds_no_global_slot() -> None:
    _gates, clock, rec = setup(per_host_delay=10.0, per_host_concurrency=1, concurrency=1)
    # the second a.example request waits 10 s for spacing; b.example must not wait behind it
    await clock.run(
        asyncio.gather(
            rec.request("a.example", 0.5), rec.request("a.example", 0.5), rec.request("b.example", 0.5)
        )
    )
    assert rec.starts["b.example"] == [0.5]
    assert rec.starts["a.example"] == [0.0, 10.0]


async def test_redirect_hops_wait_for_their_own_hosts_gate_without_deadlock() -> None:
    # a.example redirects to b.example and b.example to a.example, one request per host at
    # a time: taking the next host's slot while still holding the first would deadlock.
    _gates, clock, rec = setup(per_host_delay=1.0, per_host_concurrency=1, concurrency=64)
    active = {"a.example": 0, "b.example": 0}
    peak = dict(active)

    async def answer(host: str) -> None:
        rec.starts.setdefault(host, []).append(clock.now())
        active[host] += 1
        peak[host] = max(peak[host], active[host])
        await clock.sleep(0.5)
        active[host] -= 1

    async def redirected(first: str, then: str) -> None:
        async with HopSlot(rec.gates, first) as slot:
            await answer(first)
            await slot.follow(f"http://{then}/landing")
            assert slot.host == then
            await answer(then)

    pairs = [("a.example", "b.example"), ("b.example", "a.example")] * 4
    await asyncio.wait_for(clock.run(asyncio.gather(*(redirected(a, b) for a, b in pairs))), timeout=10)
    assert peak == {"a.example": 1, "b.example": 1}
    for host in ("a.example", "b.example"):
        assert len(rec.starts[host]) == 8
        assert min(gaps(rec.starts[host])) >= 1.0 - 1e-9
    assert rec.gates.in_flight == 0


async def test_a_hops_wait_for_its_gate_is_not_counted_against_the_fetch_deadline() -> None:
    # The same host: the hop waits out the spacing (0.8 s), longer than the whole deadline.
    gates = HostGates(CrawlerSettings(per_host_delay=0.8, per_host_concurrency=1))
    started: list[float] = []
    async with LoopbackHttp() as server:

        @server.route("/old")
        async def old(request: Request, writer: asyncio.StreamWriter) -> None:
            started.append(time.monotonic())
            await send(writer, 301, headers={"Location": "/new"})

        @server.route("/new")
        async def new(request: Request, writer: asyncio.StreamWriter) -> None:
            started.append(time.monotonic())
            await send(writer, 200, b"moved here")

        settings = CrawlerSettings(allow_private_addresses=True)
        async with (
            HttpFetcher(settings, FetchLimits(deadline_s=0.3)) as client,
            HopSlot(gates, "127.0.0.1") as slot,
        ):
            response = await client.fetch(server.origin + "/old", check_redirect=slot.follow)
    assert response.body == b"moved here" and response.redirects == [server.origin + "/new"]
    # Server-side arrival times: the margin is for a loaded machine, not for the gate.
    assert started[1] - started[0] >= 0.5


async def test_retry_after_seconds_and_date_push_the_host_back() -> None:
    gates, clock, rec = setup(per_host_delay=1.0, backoff_base_s=1.0)
    await clock.run(rec.request("busy.example", 0.0))
    assert gates.penalise("busy.example", "120") == 120.0
    assert gates.delay_for("busy.example") == pytest.approx(120.0)
    await clock.run(rec.request("busy.example", 0.0))
    assert rec.starts["busy.example"] == [0.0, 120.0]
    http_date = email.utils.formatdate(time.time() + 300, usegmt=True)
    wait = gates.penalise("busy.example", http_date)
    assert 295 <= wait <= 301
    # a hostile Retry-After is capped
    assert gates.penalise("other.example", "999999999") == 3600.0


async def test_exponential_backoff_with_jitter_and_reset() -> None:
    gates, _clock, _ = setup(backoff_base_s=2.0, backoff_max_s=60.0)
    waits = [gates.penalise("flaky.example") for _ in range(8)]
    for n, wait in enumerate(waits):
        full = min(60.0, 2.0 * 2**n)
        assert full / 2 <= wait <= full
    assert waits[-1] >= 30.0
    assert gates.errors("flaky.example") == 8
    gates.succeeded("flaky.example")
    assert gates.errors("flaky.example") == 0
    assert gates.penalise("flaky.example") <= 2.0


async def test_max_wait_defers_instead_of_blocking_a_worker() -> None:
    gates, _clock, _ = setup(per_host_delay=1.0)
    gates.penalise("down.example", 600)
    with pytest.raises(HostDeferred) as caught:
        async with gates.slot("down.example", max_wait_s=5.0):
            pass
    assert caught.value.retry_at == pytest.approx(600.0)
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("17", 17.0), (3.5, 3.5), ("soon", None), ("", None), (None, None), ("-5", None)],
)
def test_parse_retry_after(value: str | float | None, expected: float | None) -> None:
    assert parse_retry_after(value, cap_s=3600.0) == expected


def test_parse_retry_after_http_dates() -> None:
    now = 1_800_000_000.0
    past = email.utils.formatdate(now - 60, usegmt=True)
    future = email.utils.formatdate(now + 90, usegmt=True)
    assert parse_retry_after(future, cap_s=3600.0, wall_now=now) == 90.0
    assert parse_retry_after(past, cap_s=3600.0, wall_now=now) == 0.0


class _RobotsFetcher:
    """robots.txt answers: a network failure for one host, a 503 for another."""

    async def fetch(self, url: str, **_: object) -> FetchResponse:
        if "down.example" in url:
            raise ConnectFailed("refused", url=url)
        return FetchResponse(
            url=url,
            final_url=url,
            status=503,
            headers={"retry-after": "300"},
            body=b"",
            content_type="text/plain",
            charset=None,
            elapsed_s=0.0,
        )

    async def aclose(self) -> None:
        return None


async def test_robots_network_failures_and_5xx_back_the_host_off() -> None:
    gates, clock, _rec = setup(backoff_base_s=5.0, max_retry_after_s=3600.0)
    robots = RobotsPolicy(gates.settings, _RobotsFetcher(), gates, clock=clock)
    assert not await clock.run(robots.allowed("http://down.example/page"))
    assert not await clock.run(robots.allowed("http://busy.example/page"))
    assert gates.errors("down.example") == 1 and 2.5 <= gates.delay_for("down.example") <= 5.0
    assert gates.errors("busy.example") == 1 and gates.delay_for("busy.example") == 300.0
