"""The ground truth of a world: every planted signal, hard negative, page and technology."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from common.vocabulary import COMPETITOR_TECH, SIGNAL_IDS, signal_kind
from scripts.fixture_web import content

if TYPE_CHECKING:
    from scripts.fixture_web.world import Company, Post, World


def signal_areas(signal_type: str, text: str) -> tuple[str, ...]:
    """Solution areas a planted signal raises (competitor_tech: the product it names)."""
    if signal_type == COMPETITOR_TECH:
        for name, _category, _use, area in content.COMPETITORS:
            if name in text:
                return (area,)
        return ()
    return content.TYPE_AREAS[signal_type]


def _iso(when: datetime) -> str:
    return when.isoformat()


def _company_pages(company: Company) -> list[tuple[str, str]]:
    c = company
    paths = [
        ("/", "homepage"),
        ("/about", "page"),
        ("/contact", "page"),
        (c.blog_path, "blog"),
        (c.news_path, "news"),
        (c.jobs_path, "careers"),
        (c.blog_feed, "feed"),
        (c.news_feed, "feed"),
    ]
    return [(c.base_url + p, kind) for p, kind in paths]


def ground_truth(world: World) -> dict[str, Any]:
    signals: list[dict[str, Any]] = []
    negatives: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    companies: list[dict[str, Any]] = []
    for company in world.companies:
        site = world.site(company)
        companies.append(_company_entry(world, company))
        for url, kind in _company_pages(company):
            path = url[len(company.base_url) :]
            pages.append(
                {
                    "url": url,
                    "kind": kind,
                    "customer_id": company.customer_id,
                    "domain": company.domain,
                    "published": None,
                    "robots_allowed": company.allowed(path),
                }
            )
        for post in site.posts:
            pages.append(_page_entry(company, post))
            for planted in post.planted:
                signals.append(
                    {
                        "customer_id": company.customer_id,
                        "domain": company.domain,
                        "signal_type": planted.signal_type,
                        "date": _iso(post.published),
                        "url": post.url,
                        "text": planted.text,
                        "kind": post.kind,
                        "phrasing": f"{planted.signal_type}/{planted.phrasing:02d}",
                        "areas": list(signal_areas(planted.signal_type, planted.text)),
                        "robots_allowed": post.robots_allowed,
                    }
                )
            for text, topic in post.negatives:
                negatives.append(
                    {
                        "customer_id": company.customer_id,
                        "domain": company.domain,
                        "signal_type": "none",
                        "resembles": topic,
                        "date": _iso(post.published),
                        "url": post.url,
                        "text": text,
                        "kind": post.kind,
                    }
                )
    return {
        "seed": world.seed,
        "now": _iso(world.now),
        "companies": companies,
        "signal_types": list(SIGNAL_IDS),
        "signals": signals,
        "negatives": negatives,
        "technologies": {c.domain: sorted(c.tech) for c in world.companies},
        "pages": pages,
        "hosts": {"forum": world.forum_host, "social": world.social_host},
        "hostile": world.hostile,
    }


def _page_entry(company: Company, post: Post) -> dict[str, Any]:
    return {
        "url": post.url,
        "kind": post.kind,
        "customer_id": company.customer_id,
        "domain": company.domain,
        "published": _iso(post.published),
        "robots_allowed": post.robots_allowed,
    }


def _company_entry(world: World, c: Company) -> dict[str, Any]:
    return {
        "customer_id": c.customer_id,
        "name": c.name,
        "domain": c.domain,
        "www_host": c.www_host,
        "base_url": c.base_url,
        "industry": c.industry,
        "country": c.country,
        "org_size": c.org_size,
        "mail": c.mail,
        "dns_provider": c.dns_provider,
        "cms": c.cms,
        "blog": c.base_url + c.blog_path,
        "blog_feed": c.base_url + c.blog_feed,
        "newsroom": c.base_url + c.news_path,
        "news_feed": c.base_url + c.news_feed,
        "careers": c.base_url + c.jobs_path,
        "sitemap": c.sitemap_style,
        "robots": c.robots_style,
        "disallowed": c.disallowed,
        "crawl_delay": c.crawl_delay,
        "gzip": c.gzip_responses,
        "social": f"http://{world.social_host}/@{c.social_handle}" if c.social_handle else None,
        "forum_tag": f"http://{world.forum_host}/tag/{c.slug}",
        "heat": round(c.heat, 3),
        "focus_areas": list(c.focus_areas),
    }


def intent_by_area(
    world: World, company: Company, as_of: datetime, half_life_days: float = 60.0
) -> dict[str, float]:
    """A simple recency-weighted count of planted signals per area, as of a date."""
    totals: dict[str, float] = {}
    for post in world.site(company).posts:
        if post.published > as_of:
            continue
        age = (as_of - post.published).total_seconds() / 86400
        weight = math.pow(0.5, age / half_life_days)
        for planted in post.planted:
            kind = signal_kind(planted.signal_type)
            # A negative signal lowers every area it names; the truth tables list none for it.
            areas = kind.areas if kind.polarity < 0 else signal_areas(planted.signal_type, planted.text)
            for area in areas:
                totals[area] = totals.get(area, 0.0) + kind.polarity * weight
    return totals
