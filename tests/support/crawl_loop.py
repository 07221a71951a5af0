"""A fake web, a virtual clock and a crawler over them, for the crawl-loop tests."""

from __future__ import annotations

import gzip

from crawler.errors import ConnectFailed
from crawler.loop import Crawler
from crawler.settings import CrawlerSettings
from storage.store import Store
from tests.support.crawl_fakes import FakeGates, FakePage, FakeWeb

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
