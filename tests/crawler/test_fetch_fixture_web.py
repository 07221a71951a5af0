"""The network layer against the fixture web's catalogue of misbehaving endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from crawler.errors import (
    BlockedAddress,
    BodyTooLarge,
    DeadlineExceeded,
    DecompressionFailed,
    FetchError,
    ProtocolError,
    RedirectLoop,
    TooManyRedirects,
    UnsupportedScheme,
)
from crawler.fetch import FetchLimits, HttpFetcher
from crawler.guard import is_public_address
from crawler.robots import RobotsPolicy
from crawler.settings import CrawlerSettings

fixture_web = pytest.importorskip("scripts.fixture_web")
hostile = pytest.importorskip("scripts.fixture_web.hostile")

# The fixture web listens on 127.0.0.2, which the guard treats as public here; everything
# else non-public (127.0.0.1, 169.254.169.254...) stays refused, as by default.
WEB_ADDRESS = "127.0.0.2"


def stand_in(address: str) -> bool:
    return is_public_address(address) or address == WEB_ADDRESS


@pytest_asyncio.fixture(loop_scope="function")
async def web() -> AsyncIterator[object]:
    world = fixture_web.World.generate(companies=2, seed=3)
    async with fixture_web.FixtureWeb(world, host=WEB_ADDRESS, port=0, dns_port=None) as running:
        yield running


def settings_for(web: object) -> CrawlerSettings:
    return CrawlerSettings(resolve=web.resolve_map())  # type: ignore[attr-defined]


EXPECTED: dict[str, type[FetchError]] = {
    "slow-drip": DeadlineExceeded,
    "slow-headers": DeadlineExceeded,
    "hang": DeadlineExceeded,
    "redirect-loop": RedirectLoop,
    "redirect-chain": TooManyRedirects,
    "redirect-loopback": BlockedAddress,
    "redirect-metadata": BlockedAddress,
    "redirect-scheme": UnsupportedScheme,
    "huge-body": BodyTooLarge,
    "huge-chunked": BodyTooLarge,
    "gzip-bomb": BodyTooLarge,
    "brotli-bomb": BodyTooLarge,
    "bad-gzip": DecompressionFailed,
    "truncated-body": ProtocolError,
    "empty-reply": ProtocolError,
    "not-http": ProtocolError,
    "huge-headers": ProtocolError,
}


@pytest.mark.slow
async def test_every_misbehaving_endpoint_is_a_typed_error_in_bounded_time(web: object) -> None:
    import time

    # the bombs are built once per process; build them before the clock starts
    for builder in ("gzip_bomb", "brotli_bomb"):
        if hasattr(hostile, builder):
            getattr(hostile, builder)()
    limits = FetchLimits(max_body_bytes=2_000_000, deadline_s=1.5, connect_timeout_s=1.0)
    async with HttpFetcher(settings_for(web), limits, permits=stand_in) as client:
        for name, expected in EXPECTED.items():
            if name not in hostile.CATALOGUE:
                continue
            path = hostile.CATALOGUE[name][0]
            started = time.monotonic()
            with pytest.raises(expected):
                await client.fetch(f"http://{hostile.host_for(name)}{path}")
            assert time.monotonic() - started < 5.0, name


@pytest.mark.slow
async def test_charsets_of_the_fixture_web(web: object) -> None:
    async with HttpFetcher(settings_for(web), permits=stand_in) as client:
        meta = await client.fetch(f"http://{hostile.host_for('charset-meta-only')}/")
        sjis = await client.fetch(f"http://{hostile.host_for('charset-shift-jis')}/")
        bad = await client.fetch(f"http://{hostile.host_for('invalid-utf8')}/")
        missing = await client.fetch(f"http://{hostile.host_for('charset-missing')}/")
    assert meta.charset == "cp1252"
    assert sjis.charset == "shift_jis"
    assert bad.charset == "utf-8" and "\ufffd" in bad.text()
    assert missing.charset is not None and missing.text()


@pytest.mark.slow
async def test_robots_endpoints_of_the_fixture_web(web: object) -> None:
    settings = settings_for(web)
    async with HttpFetcher(settings, permits=stand_in) as client:
        robots = RobotsPolicy(settings, client)
        assert not await robots.allowed(f"http://{hostile.host_for('robots-5xx')}/page")
        assert not await robots.allowed(f"http://{hostile.host_for('robots-redirect')}/private/x")
        assert await robots.allowed(f"http://{hostile.host_for('robots-redirect')}/public")
        huge = await robots.rules(f"http://{hostile.host_for('robots-huge')}/")
        assert huge.verdict == "parsed"
