"""The crawl loop over an in-memory web: discovery, politeness, revisits, errors, resume."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip

from crawler.errors import ConnectFailed, DeadlineExceeded, ParseTimeout
from crawler.loop import Crawler, retry_after_seconds
from crawler.robots import RobotsPolicy
from crawler.settings import CrawlerSettings
from storage.store import Store
from tests.test_crawl_fakes import FakeGates, FakePage, FakeWeb

W = "http://www.contoso.com"
SETTINGS = CrawlerSettings(
    seed_scheme="http",
    forum_hosts=["forum.example"],
    concurrency=8,
    per_host_concurrency=2,
    per_host_delay=0.0,
)


def _page(title: str, body: str, head: str = "") -> str:
    return (
        f"<html><head><title>{title}</title>{head}</head><body>"
        f"<header><nav><a href='/'>Home</a><a href='/about'>About</a></nav></header>"
        f"<main>{body}</main><footer><a href='http://forum.example/tag/contoso'>Forum</a>"
        f"<a rel='me' href='http://social.example/@contoso'>Social</a></footer></body></html>"
    )


def _rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>"
        f"<description>About {t}</description></item>"
        for link, t in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{entries}</channel></rss>".encode()
    )


def build_web() -> FakeWeb:
    web = FakeWeb()
    web.add("http://contoso.com/", FakePage(b"", 301, headers={"location": W + "/"}))
    feed_link = "<link rel='alternate' type='application/rss+xml' href='/blog/feed.xml'>"
    web.html(
        W + "/",
        _page(
            "Contoso",
            "<a href='/blog/'>Blog</a><a href='/careers/cloud-engineer'>Job</a>"
            "<a href='/private/secret'>Secret</a><a href='https://elsewhere.net/'>Out</a>"
            "<a href='/careers/broken'>Broken</a><a href='/print/post-2'>Print</a>",
            feed_link,
        ),
    )
    web.html(W + "/about", _page("About", "We are Contoso."))
    web.html(W + "/blog/", _page("Blog", "<a href='/blog/post-1'>1</a><a href='/blog/post-2'>2</a>"))
    for n in (1, 2, 3):
        web.html(W + f"/blog/post-{n}", _page(f"Post {n}", f"<article>Post number {n} text.</article>"))
    web.html(
        W + "/print/post-2",
        _page(
            "Post 2",
            "<article>Post number 2 text.</article>",
            f"<link rel='canonical' href='{W}/blog/post-2'>",
        ),
    )
    web.html(W + "/careers/cloud-engineer", _page("Cloud engineer", "We are hiring."))
    web.html(W + "/private/secret", _page("Secret", "never fetch me"))
    web.add(W + "/careers/broken", ConnectFailed("refused"))
    web.add(
        W + "/blog/feed.xml",
        FakePage(
            _rss([(W + "/blog/post-1", "Post 1"), (W + "/blog/post-2", "Post 2")]),
            content_type="application/rss+xml",
        ),
    )
    web.disallowed["www.contoso.com"] = ["/private/"]
    web.sitemap_lines["www.contoso.com"] = [W + "/sitemap.xml"]
    web.add(
        W + "/sitemap.xml",
        FakePage(
            b"<sitemapindex><sitemap><loc>"
            + W.encode()
            + b"/sitemap-posts.xml.gz</loc></sitemap></sitemapindex>",
            content_type="application/xml",
        ),
    )
    web.add(
        W + "/sitemap-posts.xml.gz",
        FakePage(
            gzip.compress(b"<urlset><url><loc>" + W.encode() + b"/blog/post-3</loc></url></urlset>"),
            content_type="application/gzip",
        ),
    )
    web.html(
        "http://forum.example/tag/contoso",
        "<html><body><header><nav><a href='/latest'>Latest</a></nav></header>"
        "<div><a href='/t/1'>Contoso moves to Azure</a></div></body></html>",
    )
    web.html("http://forum.example/t/1", "<html><body><h1>Contoso moves to Azure</h1></body></html>")
    web.add(
        "http://social.example/@contoso.rss",
        FakePage(
            _rss([("http://social.example/@contoso/1", "We launched")]), content_type="application/rss+xml"
        ),
    )
    return web


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def _customer(store: Store) -> None:
    await store.db.execute(
        "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
        " VALUES ('C1', 'Contoso', 'contoso.com', 10, 'Small')"
    )


def _crawler(store: Store, web: FakeWeb, gates: FakeGates, clock: Clock, **kw: object) -> Crawler:
    return Crawler(
        frontier=store.frontier,
        documents=store.documents,
        domains={"C1": "contoso.com"},
        fetcher=web,
        robots=kw.pop("robots", web),  # type: ignore[arg-type]
        gates=gates,
        settings=kw.pop("settings", SETTINGS),  # type: ignore[arg-type]
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )


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
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0) == 0.0
    assert retry_after_seconds("30", 0) == 30.0


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
    web.html(W + "/blog/", _page("Blog", "<a href='/careers/'>Careers</a><a href='/go'>Go</a>"))
    web.add(W + "/careers/", FakePage(b"", 302, headers={"location": "http://jobs.contoso.com/private/x"}))
    web.add(W + "/go", FakePage(b"", 302, headers={"location": "http://jobs.contoso.com/open"}))
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
