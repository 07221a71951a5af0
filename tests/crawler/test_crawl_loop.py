"""The crawl loop over an in-memory web: discovery, politeness, revisits, errors, resume."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from crawler.errors import DeadlineExceeded, ParseTimeout
from crawler.fetch import FetchLimits, HttpFetcher
from crawler.loop import MAX_DEFER_S, Crawler
from crawler.politeness import HostGates
from crawler.robots import RobotsPolicy
from crawler.stats import CrawlStats
from storage.frontier import Source
from storage.store import Store, open_store
from tests.support.crawl_fakes import FakeGates, FakePage
from tests.support.crawl_loop import SETTINGS, Clock, W, _crawler, _customer, _page, _rss, build_web
from tests.support.loopback_http import LoopbackHttp, Request, send


async def test_one_pass_discovers_everything_politely(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(per_host=2), Clock()
    stats = await _crawler(store, web, gates, clock).run(once=True)
    docs = await store.documents.by_customer("C1")
    pages = {d.url for d in docs if d.kind == "page"}
    entries = {d.url for d in docs if d.kind == "feed_entry"}
    assert {
        W + "/",
        W + "/about",
        W + "/blog/",
        W + "/blog/post-1",
        W + "/blog/post-2",
        W + "/blog/post-3",
        W + "/careers/cloud-engineer",
        "http://forum.example/t/1",
    } <= pages
    assert W + "/print/post-2" not in pages  # canonical elsewhere
    assert entries == {W + "/blog/post-1", W + "/blog/post-2", "http://social.example/@contoso/1"}
    assert web.count(W + "/private") == 0
    assert web.count("https://elsewhere.net") == 0
    assert web.count("http://forum.example/latest") == 0
    assert max(gates.peak.values()) <= 2
    sources = {s.url: s for s in await store.frontier.by_customer("C1")}
    assert sources[W + "/private/secret"].status == "blocked"
    assert sources[W + "/careers/broken"].last_error == "connect"
    assert sources["http://social.example/@contoso.rss"].kind == "social"
    assert sources["http://forum.example/tag/contoso"].kind == "forum"
    assert sources[W + "/blog/feed.xml"].kind == "feed"
    assert sources[W + "/sitemap-posts.xml.gz"].kind == "sitemap"
    assert stats.errors["connect"] == 1 and stats.errors["robots_disallowed"] == 1
    assert (
        await store.frontier.error_counts() | {"connect": 1, "robots_disallowed": 1}
        == await store.frontier.error_counts()
    )
    leased = await store.db.fetchone("SELECT COUNT(*) FROM sources WHERE lease_owner IS NOT NULL")
    assert leased is not None and leased[0] == 0


async def test_unchanged_revisit_is_conditional_and_stores_nothing(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    await _crawler(store, web, gates, clock).run(once=True)
    before = await store.documents.fingerprints()
    web.requests.clear()
    clock.now += 30 * 86400
    stats = await _crawler(store, web, gates, clock).run(once=True)
    assert await store.documents.fingerprints() == before
    ok_urls = [
        u for u, sent in web.requests if not u.endswith("/careers/broken") and u != "http://contoso.com/"
    ]
    conditional = [u for u, sent in web.requests if "if-none-match" in sent]
    assert stats.not_modified > 0
    assert set(conditional) >= {W + "/", W + "/about", W + "/blog/feed.xml"}
    assert len(conditional) >= len(ok_urls) - 2


async def test_new_post_found_on_next_due_feed_visit(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    await _crawler(store, web, gates, clock).run(once=True)
    feed = W + "/blog/feed.xml"
    web.add(
        feed,
        FakePage(
            _rss(
                [
                    (W + "/blog/post-4", "Post 4"),
                    (W + "/blog/post-1", "Post 1"),
                    (W + "/blog/post-2", "Post 2"),
                ]
            ),
            content_type="application/rss+xml",
        ),
    )
    web.html(W + "/blog/post-4", _page("Post 4", "<article>Fresh news about Azure.</article>"))
    web.requests.clear()
    clock.now += 2 * 3600  # not due yet
    await _crawler(store, web, gates, clock).run(once=True)
    assert web.count(feed) == 0
    clock.now += 5 * 3600  # the feed's 6 h interval has passed; most pages are not due
    await _crawler(store, web, gates, clock).run(once=True)
    docs = await store.documents.by_customer("C1")
    assert (W + "/blog/post-4", "feed_entry") in {(d.url, d.kind) for d in docs}
    assert (W + "/blog/post-4", "page") in {(d.url, d.kind) for d in docs}
    assert web.count(W + "/about") == 0
    source = next(s for s in await store.frontier.by_customer("C1") if s.url == feed)
    assert source.revisit_interval_s < 6 * 3600  # gained entries: polled sooner


async def test_rate_limits_are_honoured_and_recorded(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    web.add(W + "/about", FakePage(b"slow down", 429, headers={"Retry-After": "120"}))
    web.add(W + "/blog/", DeadlineExceeded("slow drip"))
    stats = await _crawler(store, web, gates, clock).run(once=True)
    assert ("www.contoso.com", 120.0) in gates.penalties
    assert stats.errors["http_429"] == 1 and stats.errors["deadline"] == 1
    about = next(s for s in await store.frontier.by_customer("C1") if s.url == W + "/about")
    assert about.next_due_at >= clock.now + 120 and about.status == "active"


async def test_graceful_stop_releases_leases(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    web.delay_s = 0.2
    stop = asyncio.Event()
    crawler = _crawler(store, web, gates, clock)
    task = asyncio.create_task(crawler.run(once=True, stop=stop, grace_s=0.0))
    await asyncio.sleep(0.3)
    stop.set()
    await task
    leased = await store.db.fetchone("SELECT COUNT(*) FROM sources WHERE lease_owner IS NOT NULL")
    assert leased is not None and leased[0] == 0
    assert await store.frontier.due_count(now=clock.now) > 0


async def test_max_seconds_bounds_the_pass_and_resume_completes(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    web.delay_s = 0.05
    await _crawler(store, web, gates, clock).run(once=True, max_seconds=0.12, grace_s=0.0)
    partial = await store.documents.count()
    web.delay_s = 0.0
    await _crawler(store, web, gates, clock).run(once=True)
    reference_store_docs = await store.documents.fingerprints()
    assert partial < len(reference_store_docs)
    assert await store.frontier.due_count(now=clock.now) == 0


async def test_dead_owner_leases_are_reclaimed(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    crawler = _crawler(store, web, gates, clock)
    await crawler.seed()
    await store.frontier.lease_due(
        10, f"{__import__('socket').gethostname()}:999999:dead", 3600, now=clock.now
    )
    assert await store.frontier.due_count(now=clock.now) == 0
    assert await crawler.reclaim_dead_leases() == 1
    await crawler.run(once=True)
    assert await store.documents.count() > 5


async def test_redirects_to_disallowed_paths_are_refused_on_any_host(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    # Same host: /about now redirects into /private/. Another host: /careers/ redirects to
    # a host whose robots.txt is not loaded yet and disallows the target.
    web.add(W + "/about", FakePage(b"", 302, headers={"location": W + "/private/moved"}))
    web.html(W + "/blog/", _page("Blog", "<a href='/careers/'>Careers</a><a href='/blog/go'>Go</a>"))
    web.add(W + "/careers/", FakePage(b"", 302, headers={"location": "http://jobs.contoso.com/private/x"}))
    web.add(W + "/blog/go", FakePage(b"", 302, headers={"location": "http://jobs.contoso.com/open"}))
    web.html("http://jobs.contoso.com/open", _page("Open roles", "We are hiring."))
    web.disallowed["jobs.contoso.com"] = ["/private/"]
    web.robots_unloaded.add("jobs.contoso.com")

    stats = await _crawler(store, web, gates, clock).run(once=True)

    assert web.count(W + "/private") == 0
    assert web.count("http://jobs.contoso.com/private") == 0
    assert "http://jobs.contoso.com/private/x" in web.robots_asked  # asked before following
    sources = {s.url: s for s in await store.frontier.by_customer("C1")}
    for url in (W + "/about", W + "/careers/"):
        assert sources[url].status == "blocked" and sources[url].last_error == "robots_disallowed", url
    rows = await store.db.fetchall(
        "SELECT error_detail FROM fetch_log WHERE url = ? AND error_class = 'robots_disallowed'",
        (W + "/careers/",),
    )
    assert rows and "http://jobs.contoso.com/private/x" in rows[0][0]
    assert stats.errors["robots_disallowed"] == 3  # the two hops and /private/secret
    # An allowed cross-host hop is followed once that host's robots.txt is known.
    docs = {d.url for d in await store.documents.by_customer("C1")}
    assert "http://jobs.contoso.com/open" in docs


async def test_network_failures_back_the_host_off(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    web.add(W + "/about", DeadlineExceeded("timed out"))
    await _crawler(store, web, gates, clock).run(once=True)
    hosts = [host for host, _ in gates.penalties]
    # /careers/broken (connect, retried once) and /about (deadline) each back the host off.
    assert hosts.count("www.contoso.com") >= 3


async def test_parse_errors_are_recorded_by_class(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()

    class Failing:
        async def run(self, fn: object, *args: object) -> object:
            if getattr(fn, "__name__", "") == "parse_feed":
                raise ParseTimeout("parse_feed did not finish in 10s")
            if getattr(fn, "__name__", "") == "parse_sitemap":
                raise ValueError("bad sitemap")  # a parser bug, not an isolation failure
            return fn(*args)  # type: ignore[operator]

    stats = await _crawler(store, web, gates, clock, parser=Failing()).run(once=True)
    assert stats.errors["parse_timeout"] >= 1 and stats.errors["parse"] >= 1
    assert "internal" not in stats.errors
    rows = await store.db.fetchall("SELECT DISTINCT error_class FROM fetch_log WHERE url LIKE '%sitemap%'")
    assert {r[0] for r in rows} == {"parse"}


async def test_a_redirect_targets_rate_limit_backs_off_that_host(store: Store) -> None:
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    # The seed (contoso.com) redirects to www.contoso.com, which answers 429: the back-off
    # and its Retry-After belong to the host that answered, not to the one redirecting.
    web.add(W + "/", FakePage(b"busy", 429, headers={"Retry-After": "120"}))
    stats = await _crawler(store, web, gates, clock).run(once=True)
    assert stats.errors["http_429"] == 1
    assert gates.penalties == [("www.contoso.com", 120.0)]


async def test_robots_crawl_delay_is_stored_for_the_next_worker(store: Store) -> None:
    """A shared frontier spaces a host's hand-over by its stored Crawl-delay: the crawl stores
    the delay it honours (capped) from robots.txt, and clears it when robots.txt drops it."""
    await _customer(store)
    web, gates, clock = build_web(), FakeGates(), Clock()
    robots_txt = W + "/robots.txt"
    web.add(robots_txt, FakePage(b"User-agent: *\nCrawl-delay: 7\n", content_type="text/plain"))
    settings = dataclasses.replace(SETTINGS, max_crawl_delay=5.0)
    robots = RobotsPolicy(settings, web)
    await _crawler(store, web, gates, clock, robots=robots, settings=settings).run(once=True)
    state = await store.frontier.host_state("www.contoso.com")
    assert state is not None and state.crawl_delay == 5.0
    forum = await store.frontier.host_state("forum.example")  # its robots.txt: 404
    assert forum is None or forum.crawl_delay is None

    web.add(robots_txt, FakePage(b"User-agent: *\nDisallow: /nothing\n", content_type="text/plain"))
    clock.now += 400 * 86_400  # everything due again, robots.txt read afresh by a new process
    fresh = RobotsPolicy(settings, web)
    await _crawler(store, web, gates, clock, robots=fresh, settings=settings).run(once=True)
    state = await store.frontier.host_state("www.contoso.com")
    assert state is not None and state.crawl_delay is None


# --- a shared frontier: a redirect hop borrows its target host ------------------------


@dataclasses.dataclass
class _ApexToWww:
    """contoso.com redirects every path (robots.txt too, or not) to www.contoso.com, on one
    loopback server; each request is logged with its host and wall time."""

    robots_redirects: bool
    server: LoopbackHttp = dataclasses.field(default_factory=LoopbackHttp)
    requests: list[tuple[str, str, float]] = dataclasses.field(default_factory=list)

    async def handle(self, request: Request, writer: asyncio.StreamWriter) -> None:
        host = request.headers.get("host", "").split(":")[0]
        self.requests.append((host, request.path, time.time()))
        www = f"http://www.contoso.com:{self.server.port}"
        if request.path == "/robots.txt" and (host == "www.contoso.com" or not self.robots_redirects):
            await send(writer, 200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
        elif host == "contoso.com":
            await send(writer, 301, b"", {"Location": www + request.path})
        else:
            page = (
                b"<html><head><title>Contoso</title></head><body><p>Contoso builds clouds.</p></body></html>"
            )
            await send(writer, 200, page, {"Content-Type": "text/html"})

    def hosts(self) -> set[str]:
        return {host for host, _, _ in self.requests}


def _loopback_crawler(store: Store, web: _ApexToWww) -> Crawler:
    address = f"127.0.0.1:{web.server.port}"
    settings = dataclasses.replace(
        SETTINGS,
        allow_private_addresses=True,
        resolve={"contoso.com": address, "www.contoso.com": address},
        common_paths=[],
        max_hop_wait_s=5.0,
    )
    fetcher = HttpFetcher(settings, FetchLimits.from_settings(settings))
    gates = HostGates(settings)
    return Crawler(
        frontier=store.frontier,
        documents=store.documents,
        domains={"C1": "contoso.com"},
        fetcher=fetcher,
        robots=RobotsPolicy(settings, fetcher, gates),
        gates=gates,
        settings=settings,
        owner="crawler",
    )


async def _crawl_once(store: Store, web: _ApexToWww) -> CrawlStats:
    crawler = _loopback_crawler(store, web)
    try:
        return await crawler.run(once=True)
    finally:
        await crawler.fetcher.aclose()  # type: ignore[attr-defined]


async def _homepage(store: Store) -> Source:
    [source] = [s for s in await store.frontier.by_customer("C1") if s.kind == "homepage"]
    return source


@pytest.mark.postgres
@pytest.mark.parametrize("robots_redirects", [True, False], ids=["robots-redirects", "robots-on-apex"])
async def test_a_hop_to_a_host_another_worker_holds_waits_or_is_deferred(
    pg_url: str, robots_redirects: bool
) -> None:
    """A visit of contoso.com/ leased by this worker never sends www.contoso.com a request
    while another worker holds that host: it is put off (no error, no failure) until the
    holder's lease ends; once the holder lets go it waits out the hand-over gap and
    fetches; and a later visit borrows the known target before its first request, so a
    busy www host puts it off without the apex being asked again."""
    web = _ApexToWww(robots_redirects)
    web.server.routes.update({"/": web.handle, "/robots.txt": web.handle})
    store = await open_store(pg_url)
    try:
        await _customer(store)
        async with web.server:
            frontier = store.frontier
            # Another worker holds www.contoso.com for 5 minutes: the visit is put off until
            # its lease ends, but a minute at most (holders mostly finish long before).
            assert await frontier.borrow_host("www.contoso.com", "other", 300.0) is None
            stats = await _crawl_once(store, web)
            assert "www.contoso.com" not in web.hosts() and web.hosts() == {"contoso.com"}
            assert stats.deferred == 1 and stats.error_count == 0 and stats.fetches == 0
            source = await _homepage(store)
            assert source.lease_owner is None and source.failure_count == 0 and source.last_error is None
            assert time.time() + 50 <= source.next_due_at <= time.time() + MAX_DEFER_S
            assert await frontier.fetch_log() == []

            # The other worker lets go: the visit waits out the hand-over gap, then fetches.
            released_at = time.time()
            await frontier.return_host("www.contoso.com", "other", released_at)
            await store.db.execute("UPDATE sources SET next_due_at = 0")
            web.requests.clear()
            crawler = _loopback_crawler(store, web)
            stats = await crawler.run(once=True)
            assert stats.deferred == 0 and stats.hop_waits == 1 and stats.error_count == 0
            www = [(path, at) for host, path, at in web.requests if host == "www.contoso.com"]
            assert "/" in {path for path, _ in www}
            assert min(at for _, at in www) >= released_at + 1.0 - 0.05  # the hand-over gap
            assert await frontier.host_leases() == {}  # both hosts given back
            assert (await _homepage(store)).last_status == 200

            # Held again (once its hand-over gap passed): the next visit borrows www before
            # anything, and asks nothing.
            after_gap = time.time() + 1.5
            assert await frontier.borrow_host("www.contoso.com", "other", 60.0, now=after_gap) is None
            await store.db.execute("UPDATE sources SET next_due_at = 0")
            web.requests.clear()
            stats = await crawler.run(once=True)
            assert stats.deferred == 1 and web.requests == []
            await crawler.fetcher.aclose()  # type: ignore[attr-defined]
    finally:
        await store.close()
