"""What kind of source a URL is: homepage, blog, newsroom, careers, feed, sitemap, forum, social
or a plain page. The kind drives how a source is parsed and how often it is revisited."""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.urls import host_of, in_domain, path_of

KINDS = ("homepage", "blog", "newsroom", "careers", "feed", "sitemap", "forum", "social", "page")

_SECTIONS: dict[str, tuple[str, ...]] = {
    "blog": ("blog", "blogs", "insights", "articles", "stories", "journal", "updates"),
    "newsroom": (
        "news",
        "newsroom",
        "press",
        "press-releases",
        "pressreleases",
        "press-room",
        "media",
        "media-centre",
        "media-center",
        "announcements",
    ),
    "careers": (
        "careers",
        "career",
        "jobs",
        "job",
        "vacancies",
        "join-us",
        "joinus",
        "work-with-us",
        "opportunities",
        "hiring",
    ),
}
_FEED_PATH = re.compile(
    r"(?:^|/)(?:feed|feeds|rss|atom)(?:/|\.xml|\.rss|\.atom|\.json)?$|\.(?:rss|atom)$|"
    r"(?:^|/)(?:rss|atom|feed)[._-][\w.-]*\.xml$|/@[\w.-]+\.rss$|/profile/[^/]+/rss$",
    re.IGNORECASE,
)
_SITEMAP_PATH = re.compile(r"sitemap[\w.-]*\.(?:xml|txt)(?:\.gz)?$|sitemap$", re.IGNORECASE)


def classify_source(
    url: str,
    domain: str,
    *,
    hint: str | None = None,
    forum_hosts: Iterable[str] = (),
) -> str:
    """The kind of the source at ``url`` for a customer whose registered domain is ``domain``.

    ``hint`` is what discovery already knows (a ``<link rel=alternate>`` is a feed, a robots
    Sitemap line is a sitemap, a linked social profile is social); it wins over the URL shape,
    except that a feed on a forum host is still a forum thread's feed.
    """
    host = host_of(url)
    path = path_of(url)
    if hint in ("feed", "sitemap", "social"):
        return hint
    if any(host == h.lower() for h in forum_hosts):
        return "forum"
    if _FEED_PATH.search(path):
        return "feed"
    if _SITEMAP_PATH.search(path):
        return "sitemap"
    if in_domain(host, domain) and path in ("", "/") and "?" not in url:
        return "homepage"
    if hint in KINDS:
        return hint
    return section_of(path)


def section_of(path: str) -> str:
    """blog / newsroom / careers when the first path segments name that section, else page."""
    segments = [s.lower() for s in path.split("/") if s][:2]
    for kind, names in _SECTIONS.items():
        if any(segment in names for segment in segments):
            return kind
    return "page"
