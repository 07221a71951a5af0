"""The request budget: what counts as noise, article shapes learned from feeds and sitemaps,
which links are followed, and a per-host budget that grows with yield and shrinks without."""

from __future__ import annotations

import dataclasses

import pytest

from crawler.budget import ArticleShapes, SiteBudgets, content_links, follows_links, is_noise, priority
from storage.store import Store
from tests.support.crawl_fakes import FakeGates, FakePage, FakeWeb
from tests.support.crawl_loop import SETTINGS, Clock, _crawler, _customer

W = "http://www.contoso.com"
WORDS = " ".join(f"word{n}" for n in range(400))  # an article's worth of main text


@pytest.mark.parametrize(
    "url",
    [
        W + "/tag/cloud/",
        W + "/author/jane",
        W + "/category/news/page/2/",
        W + "/blog/page/3",
        W + "/news?page=2",
        W + "/media/video-3/",
        W + "/images/photo.jpg",
        W + "/privacy",
        W + "/search?q=x",
    ],
)
def test_noise(url: str) -> None:
    assert is_noise(url)
    assert priority("page", url, ArticleShapes()) == 4.0


@pytest.mark.parametrize(
    "url", [W + "/blog/post-1", W + "/news/2024/05/launch.html", W + "/about", W + "/media"]
)
def test_not_noise(url: str) -> None:
    assert not is_noise(url)


def test_article_shapes_come_from_what_feeds_and_sitemaps_list() -> None:
    shapes = ArticleShapes()
    assert not shapes.candidate(W + "/press/1003-new-office")
    shapes.learn([W + "/press/1001-partnership", W + "/press/1002-results"])
    assert shapes.candidate(W + "/press/1001-partnership")  # listed
    assert shapes.candidate(W + "/press/1003-new-office")  # shaped like two listed ones
    assert not shapes.candidate(W + "/press/1003-new-office/comments")  # another depth
    assert not shapes.candidate("http://other.example/press/1003-new-office")  # another host
    assert priority("newsroom", W + "/press/1003-new-office", shapes) == 1.0
    assert priority("feed", W + "/feed.xml", shapes) == 0.0
    assert priority("blog", W + "/blog/", shapes) == 2.0
    assert priority("page", W + "/about", shapes) == 3.0


def test_links_followed_from_articles_go_into_content_only() -> None:
    shapes = ArticleShapes()
    shapes.learn([W + "/stories/a", W + "/stories/b"])
    links = [
        W + "/blog/next-post",
        W + "/stories/c",
        W + "/tag/cloud/",
        W + "/about",
        W + "/luebeck/2012/05/",
        "http://elsewhere.example/blog/x",
    ]
    assert content_links(links, "contoso.com", shapes) == [W + "/blog/next-post", W + "/stories/c"]
    assert follows_links("homepage", False) == "all"
    assert follows_links("page", True) == "content"
    assert follows_links("blog", False) == "content"  # a section's listing
    assert follows_links("page", False) == "none"  # a tag listing, a stub, a 404 page


def test_budget_grows_with_yield_and_shrinks_without() -> None:
    budgets = SiteBudgets(initial=4.0, minimum=2.0, maximum=6.0)
    budgets.load({"quiet.example": 4.0})
    assert [budgets.spend("yielding.example") for _ in range(4)] == [True] * 4
    for _ in range(3):
        budgets.found("yielding.example")  # each article found gives its request back
    assert budgets.spend("yielding.example") and budgets.spend("yielding.example")
    assert [budgets.spend("quiet.example") for _ in range(5)] == [True] * 4 + [False]
    after = budgets.next_pass()
    assert after == {"yielding.example": 6.0, "quiet.example": 2.0}


def _article(title: str) -> str:
    return f"<html><head><title>{title}</title></head><body><main><p>{WORDS}</p></main></body></html>"


def _noisy_site(web: FakeWeb, articles: int, noise: int) -> list[str]:
    posts = [f"{W}/press/{1000 + n}-story" for n in range(articles)]
    tags = [f"{W}/tag/t{n}/" for n in range(noise)]
    links = "".join(f"<a href='{u}'>x</a>" for u in tags)  # the articles: in the feed
    feed = "<link rel='alternate' type='application/rss+xml' href='/feed.xml'>"
    web.html(W + "/", f"<html><head><title>Home</title>{feed}</head><body>{links}</body></html>")
    web.add("http://contoso.com/", FakePage(b"", 301, headers={"location": W + "/"}))
    items = "".join(f"<item><title>{u}</title><link>{u}</link></item>" for u in posts)
    web.add(
        W + "/feed.xml",
        FakePage(
            f"<rss version='2.0'><channel><title>f</title>{items}</channel></rss>".encode(),
            content_type="application/rss+xml",
        ),
    )
    for url in posts:
        web.html(url, _article(url) + "<a href='/tag/other/'>t</a>")
    for url in tags:
        web.html(url, "<html><body><a href='/tag/deeper/'>more</a></body></html>")
    return posts


async def test_a_noisy_site_costs_its_articles_plus_its_budget(store: Store) -> None:
    await _customer(store)
    web, gates, clock = FakeWeb(), FakeGates(), Clock()
    posts = _noisy_site(web, articles=8, noise=30)
    settings = dataclasses.replace(SETTINGS, page_budget_initial=5.0, page_budget_min=2.0)
    stats = await _crawler(store, web, gates, clock, settings=settings).run(once=True)
    fetched = [url for url, _ in web.requests]
    assert set(posts) <= set(fetched)  # every article: listed by the feed, never budgeted
    tags = [u for u in fetched if "/tag/" in u]
    assert len(tags) == 5  # the budget: tag listings found nothing new
    assert not any(u.endswith("/tag/deeper/") or u.endswith("/tag/other/") for u in fetched)
    assert stats.budget_deferred == 25
    budget = (await store.frontier.page_budgets())["www.contoso.com"]
    assert budget == 2.5  # none of its budgeted visits found an article: halved
    # The next pass spends the smaller budget on what was left, and no more.
    web.requests.clear()
    clock.now += 86_400
    await _crawler(store, web, gates, clock, settings=settings).run(once=True)
    assert len([u for u, _ in web.requests if "/tag/" in u]) == 2


async def test_a_crawl_that_keeps_going_starts_a_new_budget_pass(store: Store) -> None:
    """The daemon's crawl never ends a pass: after page_budget_defer_s the pages put off
    come due and find a fresh budget, instead of being put off for ever."""
    await _customer(store)
    web, gates, clock = FakeWeb(), FakeGates(), Clock()
    _noisy_site(web, articles=2, noise=12)
    settings = dataclasses.replace(
        SETTINGS, page_budget_initial=4.0, page_budget_min=2.0, page_budget_defer_s=600
    )
    crawler = _crawler(store, web, gates, clock, settings=settings)
    await crawler.run(once=True)
    assert len([u for u, _ in web.requests if "/tag/" in u]) == 4
    clock.now += 601  # the same crawler, as the daemon keeps it: a new pass begins
    await crawler.run(once=True)
    assert len([u for u, _ in web.requests if "/tag/" in u]) == 6  # the halved budget: 2 more
