"""Scheme fallback on real loopback servers: HTTPS first, plain HTTP where HTTPS refuses,
fails its handshake or has an expired certificate; never after HTTPS answered; no loop
through a redirect back to a dead HTTPS. Through the production stack (open_crawler)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from crawler.errors import BlockedAddress, TlsFailed
from crawler.fetch import HttpFetcher
from crawler.schemes import SchemeFallbackFetcher, SchemeMemory
from crawler.settings import CrawlerSettings
from crawler.stats import CrawlStats
from scripts.lookups import source_listing
from scripts.settings import Settings
from scripts.wiring import open_crawler
from storage.store import Store
from tests.support.crawl_loop import Clock
from tests.support.loopback_http import LoopbackHttp
from tests.support.tls import NotTls, TlsHttp, certificates, closed_port, redirect_all

HOST = "shop.example"
HOME = f"http://{HOST}/"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PAGE = (
    "<html><head><title>{title}</title></head><body><main><p>{text}</p>"
    "<a href='/blog/first-post'>First post</a><a href='/private/admin'>Admin</a></main></body></html>"
)


def plain_site() -> LoopbackHttp:
    """The customer's site over plain HTTP: robots.txt, a homepage and one post."""
    site = LoopbackHttp()
    site.static("/robots.txt", body=ROBOTS, content_type="text/plain")
    site.static("/", body=PAGE.format(title="Shop", text="Welcome").encode(), content_type="text/html")
    site.static(
        "/blog/first-post",
        body=PAGE.format(title="First", text="We moved our shop to the cloud.").encode(),
        content_type="text/html",
    )
    return site


def settings_for(https_port: int, http_port: int, **kw: Any) -> CrawlerSettings:
    base = CrawlerSettings(
        allow_private_addresses=True,
        resolve={f"{HOST}:443": f"127.0.0.1:{https_port}", f"{HOST}:80": f"127.0.0.1:{http_port}"},
        per_host_delay=0.0,
        connect_timeout_s=3.0,
        fetch_deadline_s=5.0,
        fetch_retries=0,
    )
    assert base.seed_scheme == "https"  # the default: every host is tried on HTTPS first
    return dataclasses.replace(base, **kw)


async def add_customer(store: Store) -> None:
    await store.db.execute(
        "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
        f" VALUES ('C1', 'Shop', '{HOST}', 10, 'Small')"
    )


async def crawl(store: Store, settings: CrawlerSettings, clock: Clock) -> CrawlStats:
    async with open_crawler(Settings(crawler=settings), store, clock=clock) as crawler:
        return await crawler.run(once=True)


async def page_urls(store: Store) -> set[str]:
    return {d.url for d in await store.documents.by_customer("C1") if d.kind == "page"}


def paths(site: LoopbackHttp) -> list[str]:
    return [r.path for r in site.log]


async def test_http_only_host_refusing_https_is_crawled_over_http(store: Store) -> None:
    async with plain_site() as site:
        await add_customer(store)
        clock = Clock()
        stats = await crawl(store, settings_for(closed_port(), site.port), clock)
        assert await page_urls(store) == {HOME, f"http://{HOST}/blog/first-post"}, stats.summary_line()
        assert paths(site).count("/robots.txt") == 1  # on the scheme that works, asked once
        assert not any(p.startswith("/private/") for p in paths(site))
        assert stats.schemes == {"http_only": [HOST], "broken_certificate": []}
        assert f"http_only=1 ({HOST})" in stats.summary_line()
        listing = await source_listing(store, "C1")
        assert {s["scheme"] for s in listing} == {"http"}
        assert {s["url"] for s in listing} >= {f"https://{HOST}/", f"http://{HOST}/blog/first-post"}
        assert {s["url"]: s["status"] for s in listing}[f"https://{HOST}/"] == "active"


async def test_failed_handshake_falls_back_and_is_remembered_until_the_recheck(store: Store) -> None:
    async with plain_site() as site:
        await add_customer(store)
        clock = Clock()
        async with NotTls() as tls:
            settings = settings_for(tls.port, site.port, scheme_recheck_s=3 * 86400.0)
            await crawl(store, settings, clock)
            assert await page_urls(store) == {HOME, f"http://{HOST}/blog/first-post"}
            tried = tls.connections
            assert 1 <= tried <= 2  # robots.txt and the homepage at most: then it is known
            # The next pass (a new process): the host's scheme comes from the frontier.
            clock.now += 1.1 * 86400
            site.log.clear()
            await crawl(store, settings, clock)
            assert tls.connections == tried
            assert "/" in paths(site)
            # After scheme_recheck_s, HTTPS is tried again (and still fails over to HTTP).
            clock.now += 3 * 86400
            await crawl(store, settings, clock)
            assert tls.connections > tried
        states = await store.frontier.host_schemes()
        assert [(s.host, s.scheme, s.reason) for s in states] == [(HOST, "http", "tls")]


async def test_expired_certificate_is_an_error_for_https_and_reported(store: Store) -> None:
    async with plain_site() as site:
        await add_customer(store)
        certs = certificates(HOST)
        async with TlsHttp(context=certs.expired) as tls:
            tls.static("/", body=b"<html>over https</html>", content_type="text/html")
            settings = settings_for(tls.port, site.port)
            # HTTPS alone: the certificate is checked and refused (no silent verify=False).
            async with HttpFetcher(settings) as fetcher:
                with pytest.raises(TlsFailed, match=r"(?i)certificate"):
                    await fetcher.fetch(f"https://{HOST}/")
            stats = await crawl(store, settings, Clock())
        assert tls.log == []  # no request ever went over the broken TLS
        assert await page_urls(store) == {HOME, f"http://{HOST}/blog/first-post"}
        assert stats.schemes == {"http_only": [], "broken_certificate": [HOST]}
        assert f"broken_certificate=1 ({HOST})" in stats.summary_line()


async def test_valid_certificate_stays_on_https(store: Store) -> None:
    async with plain_site() as site:
        await add_customer(store)
        certs = certificates(HOST)
        async with TlsHttp(context=certs.valid) as tls:
            tls.static("/robots.txt", body=ROBOTS, content_type="text/plain")
            tls.static("/", body=PAGE.format(title="Shop", text="Secure").encode(), content_type="text/html")
            tls.static("/blog/first-post", body=b"<html><p>post</p></html>", content_type="text/html")
            stats = await crawl(store, settings_for(tls.port, site.port), Clock())
        assert site.log == []
        assert await page_urls(store) == {f"https://{HOST}/", f"https://{HOST}/blog/first-post"}
        assert stats.schemes == {"http_only": [], "broken_certificate": []}
        assert [(s.host, s.scheme) for s in await store.frontier.host_schemes()] == [(HOST, "https")]


async def test_https_answering_an_error_status_is_never_downgraded(store: Store) -> None:
    async with plain_site() as site:
        await add_customer(store)
        certs = certificates(HOST)
        async with TlsHttp(context=certs.valid) as tls:
            tls.static("/robots.txt", status=404, body=b"no robots")
            tls.static("/", status=500, body=b"oops")
            stats = await crawl(store, settings_for(tls.port, site.port), Clock())
            assert paths(tls) == ["/robots.txt", "/"]
        assert site.log == []  # plain HTTP never asked
        assert stats.errors == {"http_500": 1}
        assert await page_urls(store) == set()
        assert [(s.host, s.scheme) for s in await store.frontier.host_schemes()] == [(HOST, "https")]


async def test_http_redirecting_to_a_dead_https_does_not_loop(store: Store) -> None:
    await add_customer(store)
    async with NotTls() as tls, LoopbackHttp() as site:
        for path in ("/robots.txt", "/"):
            site.routes[path] = redirect_all(f"https://{HOST}")
        clock = Clock()
        stats = await asyncio.wait_for(crawl(store, settings_for(tls.port, site.port), clock), 30)
        # HTTPS tried once for robots.txt, found dead; HTTP redirects back to it: refused,
        # not followed again. The homepage visit is stopped by robots.txt being unreachable.
        assert tls.connections == 1
        assert paths(site) == ["/robots.txt"]
        assert stats.errors.keys() <= {"robots_unreachable", "tls"}
        assert "redirect_loop" not in stats.errors and "too_many_redirects" not in stats.errors
        assert stats.schemes == {"http_only": [HOST], "broken_certificate": []}
        # The next pass asks nothing of the dead HTTPS and stops at HTTP's redirect again.
        clock.now += 2 * 86400
        await crawl(store, settings_for(tls.port, site.port), clock)
        assert tls.connections == 1
        assert paths(site) == ["/robots.txt", "/robots.txt"]


async def test_redirect_to_another_hosts_dead_https_continues_on_its_http(store: Store) -> None:
    """apex (HTTP only) -> https://www (dead HTTPS): the chain goes on at www over HTTP."""
    await add_customer(store)
    www = f"www.{HOST}"
    async with NotTls() as tls, LoopbackHttp() as apex, plain_site() as site:
        apex.routes["/"] = redirect_all(f"https://{www}")
        apex.routes["/robots.txt"] = redirect_all(f"https://{www}")

        settings = settings_for(
            tls.port,
            apex.port,
            resolve={
                f"{HOST}:443": f"127.0.0.1:{tls.port}",
                f"{HOST}:80": f"127.0.0.1:{apex.port}",
                f"{www}:443": f"127.0.0.1:{tls.port}",
                f"{www}:80": f"127.0.0.1:{site.port}",
            },
        )
        stats = await asyncio.wait_for(crawl(store, settings, Clock()), 30)
    assert f"http://{www}/blog/first-post" in await page_urls(store)
    assert sorted(stats.schemes["http_only"]) == sorted([HOST, www])
    assert not any(p.startswith("/private/") for p in paths(site))


async def test_the_ssrf_guard_checks_every_attempt() -> None:
    """A host on a private address is refused on HTTPS; no fallback asks its HTTP."""
    async with plain_site() as site:
        settings = settings_for(closed_port(), site.port, allow_private_addresses=False)
        memory = SchemeMemory(settings.scheme_recheck_s)
        async with HttpFetcher(settings) as http:
            fetcher = SchemeFallbackFetcher(http, memory)
            with pytest.raises(BlockedAddress):
                await fetcher.fetch(f"https://{HOST}/")
            memory.record(HOST, "http", "connect")  # even once known as HTTP-only
            with pytest.raises(BlockedAddress):
                await fetcher.fetch(f"https://{HOST}/")
        assert site.log == []


async def test_a_host_down_on_both_schemes_is_not_called_http_only(store: Store) -> None:
    await add_customer(store)
    stats = await crawl(store, settings_for(closed_port(), closed_port()), Clock())
    assert stats.schemes == {"http_only": [], "broken_certificate": []}
    assert await store.frontier.host_schemes() == []
    assert set(stats.errors) == {"robots_unreachable"}  # robots.txt unreachable: RFC 9309 says wait
