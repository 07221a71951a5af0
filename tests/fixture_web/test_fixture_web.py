"""The fixture web's HTTP behaviour: sites by Host header, robots, sitemaps, feeds, 304s, clock."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from datetime import timedelta
from xml.etree import ElementTree

import feedparser
import httpx
import pytest

from scripts.fixture_web import Company, FixtureWeb, World

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
pytestmark = pytest.mark.asyncio(loop_scope="session")
WORLD = World.generate(companies=40, seed=11)


@pytest.fixture
async def web() -> AsyncIterator[FixtureWeb]:
    async with FixtureWeb(WORLD, dns_port=None) as running:
        yield running


@pytest.fixture
async def client(web: FixtureWeb) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.base_url, timeout=5) as http:
        yield http


async def get(client: httpx.AsyncClient, host: str, path: str = "/", **headers: str) -> httpx.Response:
    return await client.get(path, headers={"Host": host, **headers})


def first(predicate: object) -> Company:
    return next(c for c in WORLD.companies if predicate(c))  # type: ignore[operator]


async def test_homepage_is_chosen_by_host_header(client: httpx.AsyncClient) -> None:
    a, b = WORLD.companies[0], WORLD.companies[1]
    page_a = await get(client, a.www_host)
    page_b = await get(client, b.www_host)
    assert page_a.status_code == page_b.status_code == 200
    assert a.name in page_a.text and a.name not in page_b.text
    assert f'href="{a.blog_feed}"' in page_a.text and 'rel="alternate"' in page_a.text
    unknown = await get(client, "nobody.example.com")
    assert unknown.status_code == 404


async def test_apex_redirects_to_www_and_fingerprints_are_served(client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.www_host != c.domain and c.cms == "WordPress")
    response = await get(client, company.domain, "/about")
    assert response.status_code == 301
    assert response.headers["location"] == f"http://{company.www_host}/about"
    home = await get(client, company.www_host)
    assert 'content="WordPress' in home.text
    assert "api.w.org" in home.headers["link"]
    hubspot = first(lambda c: "HubSpot" in c.tech)
    assert "js.hs-scripts.com" in (await get(client, hubspot.www_host)).text


async def test_robots_disallows_a_section_that_has_pages(client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.robots_style == "section")
    robots = (await get(client, company.www_host, "/robots.txt")).text
    assert f"Disallow: {company.disallowed}" in robots
    hidden = [p for p in WORLD.site(company).posts if not p.robots_allowed]
    assert all(p.path.startswith(company.disallowed or "?") for p in hidden)
    missing = first(lambda c: c.robots_style == "missing")
    assert (await get(client, missing.www_host, "/robots.txt")).status_code == 404
    delayed = first(lambda c: c.crawl_delay)
    assert f"Crawl-delay: {delayed.crawl_delay}" in (await get(client, delayed.www_host, "/robots.txt")).text


async def test_gzipped_sitemap_index_lists_every_visible_post(client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.sitemap_style == "index-gzip")
    robots = (await get(client, company.www_host, "/robots.txt")).text
    assert f"Sitemap: {company.base_url}/sitemap.xml.gz" in robots
    index = await get(client, company.www_host, "/sitemap.xml.gz")
    root = ElementTree.fromstring(gzip.decompress(index.content))
    assert root.tag == f"{SM}sitemapindex"
    urls: set[str] = set()
    for loc in root.iter(f"{SM}loc"):
        assert loc.text is not None
        child = await get(client, company.www_host, loc.text.replace(company.base_url, ""))
        urls |= {
            e.text or "" for e in ElementTree.fromstring(gzip.decompress(child.content)).iter(f"{SM}loc")
        }
    site = WORLD.site(company)
    expected = {p.url for p in site.blog + site.news + site.jobs if p.published <= WORLD.now}
    assert expected <= urls
    assert not any(p.url in urls for p in site.posts if p.published > WORLD.now)


async def test_plain_sitemap(client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.sitemap_style == "plain")
    root = ElementTree.fromstring((await get(client, company.www_host, "/sitemap.xml")).content)
    assert root.tag == f"{SM}urlset"
    assert len(list(root.iter(f"{SM}url"))) >= 6


async def test_feeds_parse_and_link_to_posts(client: httpx.AsyncClient) -> None:
    company = WORLD.companies[2]
    rss = feedparser.parse((await get(client, company.www_host, company.blog_feed)).content)
    atom = feedparser.parse((await get(client, company.www_host, company.news_feed)).content)
    assert not rss.bozo and not atom.bozo
    assert rss.version.startswith("rss") and atom.version.startswith("atom")
    visible_blog = [p for p in WORLD.site(company).blog if p.published <= WORLD.now]
    assert [e.link for e in rss.entries] == [p.url for p in visible_blog][:20]
    entry = atom.entries[0]
    assert entry.published_parsed and entry.link.startswith(company.base_url)
    post = await get(client, company.www_host, entry.link.replace(company.base_url, ""))
    assert post.status_code == 200 and "cookie-banner" in post.text


async def test_forum_and_social_feeds(client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.social_handle and WORLD.site(c).forum)
    tag = await get(client, WORLD.forum_host, f"/tag/{company.slug}.rss")
    threads = feedparser.parse(tag.content)
    assert threads.entries and not threads.bozo
    thread = await get(client, WORLD.forum_host, threads.entries[0].link.split(WORLD.forum_host)[1])
    assert thread.status_code == 200 and company.name in thread.text
    home = (await get(client, company.www_host)).text
    assert f'rel="me" href="http://{WORLD.social_host}/@{company.social_handle}"' in home
    social = feedparser.parse(
        (await get(client, WORLD.social_host, f"/@{company.social_handle}.rss")).content
    )
    assert social.entries and not social.bozo


async def test_conditional_get_answers_304(client: httpx.AsyncClient) -> None:
    company = WORLD.companies[3]
    first_fetch = await get(client, company.www_host, company.news_feed)
    etag, modified = first_fetch.headers["etag"], first_fetch.headers["last-modified"]
    assert (
        await get(client, company.www_host, company.news_feed, **{"If-None-Match": etag})
    ).status_code == 304
    by_date = await get(client, company.www_host, company.news_feed, **{"If-Modified-Since": modified})
    assert by_date.status_code == 304 and by_date.content == b""
    stale = await get(client, company.www_host, company.news_feed, **{"If-None-Match": '"x"'})
    assert stale.status_code == 200


async def test_advancing_the_clock_reveals_a_scheduled_post(
    web: FixtureWeb, client: httpx.AsyncClient
) -> None:
    company, post = next(
        (c, p) for c in WORLD.companies for p in WORLD.site(c).news if p.published > WORLD.now
    )
    before = await get(client, company.www_host, company.news_feed)
    assert (await get(client, company.www_host, post.path)).status_code == 404
    web.clock.advance(days=(post.published - web.clock.now) / timedelta(days=1) + 0.01)
    assert (await get(client, company.www_host, post.path)).status_code == 200
    after = await get(
        client, company.www_host, company.news_feed, **{"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert post.url in {e.link for e in feedparser.parse(after.content).entries}


async def test_gzip_encoding_and_request_log(web: FixtureWeb, client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.gzip_responses)
    response = await get(client, company.www_host, "/", **{"User-Agent": "ascent-test/1"})
    assert response.headers["content-encoding"] == "gzip"
    assert company.name in response.text
    record = web.request_log[-1]
    assert (record.host, record.path, record.status, record.user_agent) == (
        company.www_host,
        "/",
        200,
        "ascent-test/1",
    )
    assert record.bytes < len(response.content)


async def test_keep_alive_serves_many_requests_on_one_connection(web: FixtureWeb) -> None:
    company = WORLD.companies[5]
    async with httpx.AsyncClient(base_url=web.base_url, limits=httpx.Limits(max_connections=1)) as http:
        for _ in range(20):
            assert (await get(http, company.www_host, "/about")).status_code == 200
    assert len(web.request_log) == 20


async def test_resolve_map_names_every_host(web: FixtureWeb) -> None:
    resolve = web.resolve_map()
    address = f"127.0.0.1:{web.port}"
    for company in WORLD.companies:
        assert resolve[company.domain] == resolve[company.www_host] == address
    assert resolve[WORLD.forum_host] == resolve[WORLD.social_host] == address
    assert resolve["gzip-bomb.badhost.com"] == address


async def test_apex_redirect_page_names_the_company(client: httpx.AsyncClient) -> None:
    company = first(lambda c: c.www_host != c.domain)
    moved = await get(client, company.domain, "/")
    assert moved.status_code == 301 and company.name in moved.text


async def test_bad_requests_and_methods(web: FixtureWeb, client: httpx.AsyncClient) -> None:
    import asyncio

    company = WORLD.companies[0]
    head = await client.head("/about", headers={"Host": company.www_host})
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    post = await client.post("/about", headers={"Host": company.www_host}, content=b"x=1")
    assert post.status_code == 405
    reader, writer = await asyncio.open_connection("127.0.0.1", web.port)
    writer.write(b"NONSENSE\r\n\r\n")
    assert (await reader.read()).startswith(b"HTTP/1.1 400")
    writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", web.port)
    writer.write(b"GET / HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n")
    assert (await reader.read()).startswith(b"HTTP/1.1 431")
    writer.close()


async def test_request_log_is_bounded_and_written(tmp_path: object) -> None:
    from pathlib import Path

    async with FixtureWeb(WORLD, dns_port=None, max_log=10) as web:
        async with httpx.AsyncClient(base_url=web.base_url) as http:
            for _ in range(25):
                await get(http, WORLD.companies[0].www_host, "/about")
        assert 0 < len(web.request_log) <= 10
        path = web.write_request_log(Path(str(tmp_path)) / "log.jsonl")
        assert len(path.read_text().splitlines()) == len(web.request_log)


@pytest.mark.slow
async def test_ten_thousand_companies_start_in_seconds() -> None:
    import time

    started = time.monotonic()
    big = World.generate(companies=10_000, seed=2)
    async with FixtureWeb(big, dns_port=None) as web:
        last = big.companies[-1]
        async with httpx.AsyncClient(base_url=web.base_url) as http:
            home = await get(http, last.www_host)
        elapsed = time.monotonic() - started
    assert home.status_code == 200 and last.name in home.text
    assert len({c.domain for c in big.companies}) == 10_000
    assert elapsed < 20, elapsed
