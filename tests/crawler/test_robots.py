"""robots.txt semantics (RFC 9309) through the real fetcher and loopback servers."""

from __future__ import annotations

import asyncio
import tarfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from crawler.fetch import FetchLimits, HttpFetcher
from crawler.politeness import HostGates
from crawler.robots import RobotsPolicy, decode_robots, origin_of, parse_robots, product_token
from crawler.settings import CrawlerSettings
from tests.conftest import shared_data
from tests.support.loopback_http import LoopbackHttp, Request

SETTINGS = CrawlerSettings(
    allow_private_addresses=True,
    user_agent="ascent/0.1 (+https://example.org/bot)",
    robots_cache_s=3600.0,
    robots_retry_s=60.0,
)


class StepClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


@pytest_asyncio.fixture(loop_scope="function")
async def site() -> AsyncIterator[LoopbackHttp]:
    async with LoopbackHttp() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="function")
async def fetcher() -> AsyncIterator[HttpFetcher]:
    async with HttpFetcher(SETTINGS, FetchLimits(deadline_s=5.0)) as client:
        yield client


def robots_requests(server: LoopbackHttp) -> int:
    return sum(1 for r in server.log if r.path == "/robots.txt")


def test_product_token_and_origin() -> None:
    assert product_token("ascent/0.1 (+https://example.org/bot)") == "ascent"
    assert product_token("My_Bot-2/1") == "my_bot-"
    assert origin_of("https://Example.COM:443/a?b") == "https://example.com"
    assert origin_of("example.com") == "http://example.com"
    assert origin_of("http://[::1]:8080/x") == "http://[::1]:8080"


async def test_rules_are_applied_cached_and_fetched_once(site: LoopbackHttp, fetcher: HttpFetcher) -> None:
    site.static(
        "/robots.txt",
        200,
        b"User-agent: *\nDisallow: /\n\nUser-agent: ascent\nDisallow: /private\nAllow: /private/ok\n"
        b"Crawl-delay: 7\nSitemap: /sitemap.xml\nSitemap: https://cdn.example/s.xml\n",
    )
    robots = RobotsPolicy(SETTINGS, fetcher)
    base = site.origin
    answers = await asyncio.gather(
        *(robots.allowed(f"{base}/private/{i}") for i in range(10)),
        *(robots.allowed(f"{base}/blog/{i}") for i in range(10)),
    )
    assert answers == [False] * 10 + [True] * 10
    assert await robots.allowed(base + "/private/ok/page")
    assert await robots.allowed(base + "/robots.txt")
    assert await robots.crawl_delay(base) == 7.0
    assert await robots.sitemaps(base + "/anything") == [
        base + "/sitemap.xml",
        "https://cdn.example/s.xml",
    ]
    assert robots_requests(site) == 1 and robots.fetches == 1
    assert site.log[0].headers["user-agent"].startswith("ascent/0.1")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
async def test_4xx_allows_everything(site: LoopbackHttp, fetcher: HttpFetcher, status: int) -> None:
    site.static("/robots.txt", status, b"User-agent: *\nDisallow: /\n")
    robots = RobotsPolicy(SETTINGS, fetcher)
    assert await robots.allowed(site.origin + "/anything")
    assert (await robots.rules(site.origin)).verdict == "allow_all"


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_5xx_and_429_disallow_for_now_then_retry(
    site: LoopbackHttp, fetcher: HttpFetcher, status: int
) -> None:
    state = {"status": status}

    @site.route("/robots.txt")
    async def robots_txt(request: Request, writer: asyncio.StreamWriter) -> None:
        from tests.support.loopback_http import send

        await send(writer, state["status"], b"User-agent: *\nDisallow: /admin\n")

    clock = StepClock()
    robots = RobotsPolicy(SETTINGS, fetcher, clock=clock)
    assert not await robots.allowed(site.origin + "/page")
    clock.t += 30  # still within the retry interval: no new request
    assert not await robots.allowed(site.origin + "/page")
    assert robots_requests(site) == 1
    state["status"] = 200
    clock.t += 31
    assert await robots.allowed(site.origin + "/page")
    assert not await robots.allowed(site.origin + "/admin/x")
    assert robots_requests(site) == 2


async def test_network_error_disallows(fetcher: HttpFetcher) -> None:
    robots = RobotsPolicy(SETTINGS, fetcher)
    assert not await robots.allowed("http://127.0.0.1:1/page")  # nothing listens on port 1
    assert (await robots.rules("http://127.0.0.1:1")).error_class == "connect"


async def test_cache_expires_after_the_configured_ttl(site: LoopbackHttp, fetcher: HttpFetcher) -> None:
    site.static("/robots.txt", 200, b"User-agent: *\nDisallow: /old\n")
    clock = StepClock()
    robots = RobotsPolicy(SETTINGS, fetcher, clock=clock)
    assert not await robots.allowed(site.origin + "/old")
    site.static("/robots.txt", 200, b"User-agent: *\nDisallow: /new\n")
    clock.t += 3599
    assert not await robots.allowed(site.origin + "/old")
    clock.t += 2
    assert await robots.allowed(site.origin + "/old")
    assert not await robots.allowed(site.origin + "/new")
    assert robots_requests(site) == 2


async def test_size_cap_ignores_rules_past_the_limit(site: LoopbackHttp) -> None:
    filler = b"# " + b"x" * 98 + b"\n"
    body = b"User-agent: *\nDisallow: /early\n" + filler * 6000 + b"Disallow: /late\n"  # ~600 KB
    site.static("/robots.txt", 200, body)
    settings = CrawlerSettings(**{**SETTINGS.__dict__, "robots_max_bytes": 512_000})
    async with HttpFetcher(settings) as client:
        robots = RobotsPolicy(settings, client)
        assert not await robots.allowed(site.origin + "/early")
        assert await robots.allowed(site.origin + "/late")
    # a robots.txt larger than the fetch cap is still read up to the cap
    async with HttpFetcher(settings, FetchLimits(max_body_bytes=300_000)) as small:
        robots = RobotsPolicy(settings, small)
        assert not await robots.allowed(site.origin + "/early")
        assert (await robots.rules(site.origin)).verdict == "parsed"


async def test_redirects_are_followed_and_too_many_mean_unavailable(
    site: LoopbackHttp, fetcher: HttpFetcher
) -> None:
    site.static("/robots.txt", 301, Location="/moved-robots.txt")
    site.static("/moved-robots.txt", 200, b"User-agent: *\nDisallow: /secret\n")
    robots = RobotsPolicy(SETTINGS, fetcher)
    assert not await robots.allowed(site.origin + "/secret")
    async with LoopbackHttp() as looping:
        looping.static("/robots.txt", 302, Location="/robots.txt?again")
        assert await robots.allowed(looping.origin + "/secret")


async def test_robots_fetch_waits_for_the_host_gate(site: LoopbackHttp, fetcher: HttpFetcher) -> None:
    site.static("/robots.txt", 200, b"User-agent: *\nDisallow:\n")
    clock = StepClock()
    gates = HostGates(SETTINGS, clock=clock)
    gates.penalise("127.0.0.1", 50)
    robots = RobotsPolicy(SETTINGS, fetcher, gates, clock=clock)
    before = clock.t
    assert await robots.allowed(site.origin + "/")
    assert clock.t - before >= 50 * 0.99  # it slept out the penalty before fetching


async def test_crawl_delay_is_handed_to_the_gates(site: LoopbackHttp, fetcher: HttpFetcher) -> None:
    site.static("/robots.txt", 200, b"User-agent: ascent\nCrawl-delay: 4\n")
    gates = HostGates(SETTINGS)
    robots = RobotsPolicy(SETTINGS, fetcher, gates)
    assert gates.spacing("127.0.0.1") == SETTINGS.per_host_delay
    assert await robots.allowed(site.origin + "/")
    assert gates.spacing("127.0.0.1") == 4.0
    # a bare host reuses the rules already loaded for its origin
    assert await robots.crawl_delay(f"127.0.0.1:{site.port}") == 4.0
    assert robots.fetches == 1


# --- real-world files ------------------------------------------------------------------


def _rules(path: Path, origin: str = "http://site.example"):  # type: ignore[no-untyped-def]
    return parse_robots(origin, path.read_bytes(), max_bytes=512_000, status=200, now=0, ttl=1)


def test_real_file_group_merging_and_crawl_delay() -> None:
    folder = shared_data("sitemaps-crawlercommons", "robots")
    rules = _rules(folder / "crawl-delay-group-merging.txt")
    assert rules.crawl_delay("mybot") == 10.0
    assert rules.crawl_delay("otherbot") == 30.0
    # groups for the same token are merged (RFC 9309 §2.2.1); protego ends a group at the
    # Crawl-delay line, so only yourbot gets the merged rules (mybot keeps its crawl delay)
    assert not rules.allows("http://site.example/private/x", "yourbot")
    assert not rules.allows("http://site.example/login/x", "yourbot")
    assert rules.allows("http://site.example/private/x", "otherbot")


def test_real_file_rfc9309_examples() -> None:
    folder = shared_data("sitemaps-crawlercommons", "robots")
    simple = _rules(folder / "rfc9309-example-simple-robots.txt")
    assert simple.allows("http://site.example/example/page.html", "foobot")
    assert not simple.allows("http://site.example/other", "foobot")
    assert not simple.allows("http://site.example/example/page.html", "bazbot")
    assert not simple.allows("http://site.example/a.gif", "ascent")
    assert simple.allows("http://site.example/publications/x", "ascent")
    longest = _rules(folder / "rfc9309-example-longest-match-robots.txt")
    assert longest.allows("http://site.example/example/page/", "foobot")
    assert not longest.allows("http://site.example/example/page/disallowed.gif", "foobot")


@pytest.mark.parametrize(
    "name", ["robots-with-utf16le-bom.txt", "robots-with-utf16be-bom.txt", "robots-with-utf8-bom.txt"]
)
def test_real_files_with_byte_order_marks(name: str) -> None:
    path = shared_data("sitemaps-crawlercommons", "robots", name)
    text = decode_robots(path.read_bytes(), 512_000)
    assert "\x00" not in text and "ser-agent" in text.lower()
    rules = _rules(path)
    assert rules.verdict == "parsed"


def test_real_file_relative_sitemap_is_made_absolute() -> None:
    rules = _rules(shared_data("sitemaps-crawlercommons", "robots", "relative-sitemap-robots.txt"))
    assert rules.sitemaps() == ["http://site.example/sitemap.xml"]
    assert not rules.allows("http://site.example/cache/x", "ascent")


def test_real_world_corpus_parses_in_bounded_time() -> None:
    archive = shared_data("robots-protego-realworld", "robots_txt_files.tar.gz")
    started = time.perf_counter()
    parsed = worst = 0.0
    with tarfile.open(archive) as tar:
        for index, member in enumerate(tar):
            if not member.isfile() or index % 10:
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            body = handle.read()
            began = time.perf_counter()
            rules = parse_robots("http://x.example", body, max_bytes=512_000, status=200, now=0, ttl=1)
            rules.allows("http://x.example/some/path?q=1", "ascent")
            rules.crawl_delay("ascent")
            rules.sitemaps()
            worst = max(worst, time.perf_counter() - began)
            parsed += 1
    assert parsed > 400
    assert worst < 2.0
    assert time.perf_counter() - started < 30
