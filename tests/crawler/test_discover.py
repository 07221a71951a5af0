"""Discovery from pages, feeds and sitemaps, on real-world samples and hostile input."""

from __future__ import annotations

import glob
import gzip
import json
import os

import pytest

from crawler.discover import (
    common_path_urls,
    hamming,
    parse_page,
    parse_sitemap,
    scope_links,
    simhash,
    social_feed_url,
)
from crawler.feeds import iso_date, looks_like_feed, parse_feed
from crawler.sources import classify_source
from crawler.urls import normalize_url
from tests.conftest import shared_data

BASE = "http://www.example.com/sitemap.xml"


@pytest.mark.parametrize(
    ("name", "kind", "count"),
    [
        ("sitemap.index.xml", "index", 15),
        ("sitemap.badns.xml", "urlset", 2),
        ("sitemap.ns.xml", "urlset", 2),
        ("sitemap.txt", "text", 2),
        ("sitemap-with-bom.txt", "text", 2),
        ("sitemap.txt.gz", "text", 5),
        ("xmlSitemap.gz", "urlset", 5),
        ("atom.xml", "feed", 1),
        ("extension/hebdenbridgetimes-articles-sitemap.xml", "urlset", 74),
        ("extension/sitemap-images.xml", "urlset", 1),
        ("extension/sitemap-links.xml", "urlset", 3),
    ],
)
def test_crawler_commons_sitemaps(name: str, kind: str, count: int) -> None:
    path = shared_data("sitemaps-crawlercommons", "sitemaps", name)
    facts = parse_sitemap(path.read_bytes(), BASE)
    assert (facts.kind, len(facts.urls)) == (kind, count)
    assert all(u.startswith("http") for u in facts.urls)


@pytest.mark.parametrize(
    ("name", "kind", "count"),
    [
        ("sitemap.xml", "urlset", 84),
        ("sitemap.xml.gz", "urlset", 84),
        ("sitemap2.xml", "index", 2),
        ("sitemap-hreflang.xml", "urlset", 6),
        ("feed1.atom", "feed", None),
        ("feed2.rss", "feed", None),
    ],
)
def test_trafilatura_samples(name: str, kind: str, count: int | None) -> None:
    path = shared_data("feeds-sitemaps-trafilatura", name)
    facts = parse_sitemap(path.read_bytes(), BASE)
    assert facts.kind == kind
    assert len(facts.urls) == count if count is not None else len(facts.urls) > 0


def test_index_children_keep_cdata_and_entities() -> None:
    body = (
        b"<sitemapindex><sitemap><loc><![CDATA[https://c.com/s1.xml]]></loc></sitemap>"
        b"<sitemap><loc>https://c.com/s.xml?a=1&amp;b=2</loc></sitemap></sitemapindex>"
    )
    assert parse_sitemap(body, "https://c.com/").urls == [
        "https://c.com/s1.xml",
        "https://c.com/s.xml?a=1&b=2",
    ]


def test_sitemap_caps_and_bombs() -> None:
    many = (
        b"<urlset>"
        + b"".join(b"<url><loc>https://c.com/%d</loc></url>" % i for i in range(500))
        + b"</urlset>"
    )
    assert len(parse_sitemap(many, "https://c.com/", max_urls=100).urls) == 100
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    facts = parse_sitemap(bomb, "https://c.com/", max_bytes=100_000)
    assert facts.urls == []
    assert parse_sitemap(b"\x1f\x8bnot gzip", "https://c.com/").urls == []
    assert parse_sitemap(b"<loc>" * 100_000, "https://c.com/").urls == []


def test_real_feeds_parse_with_links_titles_and_dates() -> None:
    folder = shared_data("feeds-feedrs", "fixture")
    hits = total = 0
    for path in sorted(glob.glob(str(folder / "*" / "*"))):
        expected_path = os.path.splitext(path)[0] + ".serde.json"
        if path.endswith(".serde.json") or not os.path.exists(expected_path):
            continue
        with open(path, "rb") as handle:
            feed = parse_feed(handle.read(), "http://example.com/feed", max_entries=10_000)
        with open(expected_path, encoding="utf-8") as handle:
            expected = json.load(handle)
        got = {e.link: e for e in feed.entries}
        for entry in expected.get("entries", []):
            links = [link["href"] for link in entry.get("links", [])]
            if not links:
                continue
            total += 3
            mine = got.get(normalize_url(links[0], "http://example.com/feed") or "")
            if mine is None:
                continue
            hits += 1
            title = (entry.get("title") or {}).get("content")
            hits += mine.title == (" ".join(title.split()) if title else None)
            published = entry.get("published") or entry.get("updated")
            hits += mine.published == (published.replace("+00:00", "Z") if published else None)
    assert total > 150
    assert hits / total >= 0.97


def test_malformed_and_hostile_feeds_never_raise() -> None:
    for body in (b"", b"<rss><channel><item><link>", b"\x00\xff" * 1000, b"{", b"[1,2]", b"<feed>" * 10_000):
        feed = parse_feed(body, "https://c.com/feed")
        assert isinstance(feed.entries, list)
    many = (
        b"<rss><channel>"
        + b"".join(b"<item><link>https://c.com/p%d</link><title>t</title></item>" % i for i in range(300))
        + b"</channel></rss>"
    )
    assert len(parse_feed(many, "https://c.com/feed", max_entries=50).entries) == 50


def test_feed_sniffing_and_dates() -> None:
    assert looks_like_feed(b'<?xml version="1.0"?><rss version="2.0">')
    assert looks_like_feed(b"<feed xmlns='http://www.w3.org/2005/Atom'>")
    assert looks_like_feed(b"", "application/atom+xml")
    assert not looks_like_feed(b"<!DOCTYPE html><html><body>rss feed</body></html>")
    assert iso_date("Tue, 10 Jun 2003 04:00:00 GMT") == "2003-06-10T04:00:00Z"
    assert iso_date("2024-03-01T10:00:00+02:00") == "2024-03-01T08:00:00Z"
    assert iso_date("2024-03-01") == "2024-03-01"
    assert iso_date("yesterday") is None


PAGE = b"""<!doctype html><html lang="en"><head><title> Contoso  News </title>
<link rel="canonical" href="/news/">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="me" href="https://mastodon.example/@contoso">
<meta property="article:published_time" content="2026-10-01T09:00:00Z">
</head><body><nav><a href="/about">About</a></nav>
<a href="/blog/post-1?utm_source=x#top">Post</a><a href="https://blog.contoso.com/x">Sub</a>
<a href="https://elsewhere.net/y">Out</a><a href="mailto:x@contoso.com">Mail</a>
<a href="https://bsky.app/profile/contoso.com">Bluesky</a>
<a href="https://forum.example/t/contoso-rocks">Forum</a>
</body></html>"""


def test_page_facts() -> None:
    facts = parse_page(PAGE, "https://contoso.com/news", None)
    assert facts.title == "Contoso News"
    assert facts.language == "en"
    assert facts.published == "2026-10-01T09:00:00Z"
    assert facts.canonical == "https://contoso.com/news/"
    assert facts.feeds == ["https://contoso.com/feed.xml"]
    assert "https://mastodon.example/@contoso" in facts.social
    assert "https://bsky.app/profile/contoso.com" in facts.social
    assert "https://contoso.com/blog/post-1" in facts.links
    assert not any(link.startswith("mailto") for link in facts.links)
    scoped = [d.url for d in scope_links(facts.links, "contoso.com", forum_hosts=["forum.example"])]
    assert scoped == [
        "https://contoso.com/about",
        "https://contoso.com/blog/post-1",
        "https://blog.contoso.com/x",
        "https://forum.example/t/contoso-rocks",
    ]


def test_hostile_html_never_raises() -> None:
    for body in (
        b"",
        b"<",
        b"\xff\xfe\x00<html",
        b"<a href='" + b"x" * 100_000,
        b"<base href='javascript:x'><a href=y>",
    ):
        facts = parse_page(body, "https://c.com/", None)
        assert isinstance(facts.links, list)


def test_social_profiles_map_to_their_feeds() -> None:
    assert social_feed_url("https://mastodon.social/@contoso") == "https://mastodon.social/@contoso.rss"
    assert (
        social_feed_url("https://bsky.app/profile/contoso.com") == "https://bsky.app/profile/contoso.com/rss"
    )
    assert social_feed_url("https://twitter.com/@contoso") is None
    assert social_feed_url("https://contoso.com/about") is None


def test_simhash_spots_near_duplicates_only() -> None:
    words = " ".join(f"word{i}" for i in range(300))
    a = simhash(words)
    b = simhash(words + " one more")
    c = simhash(" ".join(f"other{i}" for i in range(300)))
    assert hamming(a, b) <= 3
    assert hamming(a, c) > 10


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://contoso.com/", "homepage"),
        ("https://contoso.com/blog/", "blog"),
        ("https://contoso.com/blog/2026/new-office", "blog"),
        ("https://contoso.com/press/q3", "newsroom"),
        ("https://contoso.com/careers/cloud-engineer", "careers"),
        ("https://contoso.com/jobs", "careers"),
        ("https://contoso.com/feed", "feed"),
        ("https://contoso.com/blog/rss.xml", "feed"),
        ("https://contoso.com/atom.xml", "feed"),
        ("https://contoso.com/sitemap.xml", "sitemap"),
        ("https://contoso.com/sitemap_index.xml.gz", "sitemap"),
        ("https://forum.example/t/1", "forum"),
        ("https://contoso.com/about", "page"),
    ],
)
def test_source_kinds(url: str, kind: str) -> None:
    assert classify_source(url, "contoso.com", forum_hosts=["forum.example"]) == kind


def test_hints_win_and_common_paths() -> None:
    assert classify_source("https://contoso.com/x.xml", "contoso.com", hint="feed") == "feed"
    assert classify_source("https://m.example/@c.rss", "contoso.com", hint="social") == "social"
    urls = [d.url for d in common_path_urls("https://contoso.com/")]
    assert "https://contoso.com/careers" in urls and "https://contoso.com/atom.xml" in urls
