"""Where a site's requests go: a request budget that follows yield.

The rules (docs/crawler.md, "Request budget"):

* **Order.** New sources of a host are visited in this order: feeds, sitemaps, the homepage
  and social feeds; then article candidates (URLs a feed or sitemap of the site listed, or
  links with the URL shape of those); then section pages (blog, newsroom, careers, forum);
  then other pages; noise last (tag, author, category, pagination, search, login, media and
  legal pages, images and other files).
* **Which links are followed.** All in-site links of a homepage (noise last); from any
  other page only links into the site's content (a content section, or the shape of its
  articles, never noise), and only from a page that is itself an article found new, or a
  section's listing. A chain of links goes on only as long as each page on it yields a new
  article.
* **The budget.** The first visit of a page, post or section page costs one request from
  its host's budget for the pass; a visit that stores a new article gives it back. Article
  candidates are always visited (they are the yield) and cost nothing; anything else
  finding the budget spent waits for the next pass. After a pass a host's budget grows by
  half when at least half of its budgeted visits found new articles, and halves when fewer
  than a fifth did (404s, duplicates, listings), within ``page_budget_min`` …
  ``page_budget_max``. Revisits are not budgeted: the revisit schedule already slows down
  for pages that do not change.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from crawler.discover import PageFacts
from crawler.sources import section_of
from crawler.urls import host_of, in_domain

FIRST = 0.0  # feeds, sitemaps, homepage, social
ARTICLE = 1.0  # listed by a feed or sitemap, or shaped like what they list
SECTION = 2.0
PAGE = 3.0
NOISE = 4.0
UNBUDGETED = frozenset({"homepage", "feed", "sitemap", "social", "forum"})
SECTION_KINDS = frozenset({"blog", "newsroom", "careers", "forum"})
ARTICLE_MIN_TEXT_CHARS = 1500  # about 250 words of main text
MAX_LISTED = 200_000  # URLs remembered as listed by a feed or sitemap
MIN_SHAPE_EXAMPLES = 2  # a URL shape is an article pattern once a feed or sitemap listed two

_NOISE_SEGMENT = re.compile(
    r"^(?:tags?|authors?|category|categories|page|search|login|log-in|signin|sign-in|register|"
    r"cart|checkout|account|my-account|share|print|comments?|replies|wp-admin|wp-login\.php|"
    r"wp-json|wp-content|wp-includes|cgi-bin|videos?|video-[\w-]*|gallery|galleries|images?|"
    r"img|photos?|uploads|attachment|label|privacy|privacy-policy|terms|terms-of-use|"
    r"terms-of-service|cookies?|cookie-policy|legal|imprint|impressum|datenschutz|disclaimer|"
    r"accessibility)$",
    re.IGNORECASE,
)
_NOISE_QUERY = re.compile(r"(?:^|&)(?:page|paged|p|sort|order|filter|replytocom|share|print|s|q)=", re.I)
_FILE = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|mp4|m4v|webm|mov|avi|mp3|m4a|wav|ogg|zip|gz|"
    r"tgz|rar|7z|exe|dmg|css|js|woff2?|ttf|eot|json)$",
    re.IGNORECASE,
)


def is_noise(url: str) -> bool:
    """Tag, author, category, pagination, search, login, media, legal pages and files."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if any(_NOISE_SEGMENT.match(s) for s in segments) or _FILE.search(parts.path):
        return True
    return bool(parts.query and _NOISE_QUERY.search(parts.query))


def is_article(page: PageFacts) -> bool:
    """A page worth its request: dated, or with a long main text (not a listing or stub)."""
    return page.published is not None or page.text_chars >= ARTICLE_MIN_TEXT_CHARS


def _shape(url: str) -> tuple[str, str, int, str]:
    """(host, first path segment, number of segments, ending) of a URL."""
    path = urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    ending = "/" if path.endswith("/") else (last.rsplit(".", 1)[1].lower() if "." in last else "")
    return host_of(url), segments[0].lower() if segments else "", len(segments), ending


class ArticleShapes:
    """URL shapes of a site's articles, learned from what its feeds and sitemaps list."""

    def __init__(self) -> None:
        self._seen: Counter[tuple[str, str, int, str]] = Counter()
        self._listed: set[str] = set()

    def learn(self, urls: Iterable[str]) -> None:
        for url in urls:
            if len(self._listed) >= MAX_LISTED:
                self._listed.clear()  # only costs re-learning: listed URLs come back each visit
            if url not in self._listed:
                self._listed.add(url)
                self._seen[_shape(url)] += 1

    def candidate(self, url: str) -> bool:
        """Listed by a feed or sitemap, or shaped like at least two URLs that were."""
        return url in self._listed or (
            not is_noise(url) and self._seen.get(_shape(url), 0) >= MIN_SHAPE_EXAMPLES
        )


def priority(kind: str, url: str, shapes: ArticleShapes) -> float:
    """When a new source comes in its host's queue (lower first); its first next-due time."""
    if kind in UNBUDGETED - {"forum"}:
        return FIRST
    if shapes.candidate(url):
        return ARTICLE
    if is_noise(url):
        return NOISE
    return SECTION if kind in SECTION_KINDS else PAGE


def content_links(links: Iterable[str], domain: str, shapes: ArticleShapes) -> list[str]:
    """The links into a site's content: a content section or an article's shape, no noise."""
    kept = []
    for url in links:
        if not in_domain(host_of(url), domain):
            continue
        if shapes.candidate(url) or (
            not is_noise(url) and section_of(urlsplit(url).path) in SECTION_KINDS
        ):
            kept.append(url)
    return kept


def follows_links(kind: str, article: bool) -> str:
    """Which in-site links a page of ``kind`` leads to: 'all' (the homepage), 'content' (an
    article found new, or a section's listing) or 'none'."""
    if kind == "homepage":
        return "all"
    if article or kind in SECTION_KINDS:
        return "content"
    return "none"


class SiteBudgets:
    """Each host's budget of requests that may find nothing new, for one pass."""

    def __init__(self, initial: float, minimum: float, maximum: float):
        self.initial = initial
        self.minimum = minimum
        self.maximum = maximum
        self._start: dict[str, float] = {}
        self._left: dict[str, float] = {}
        self._visits: Counter[str] = Counter()
        self._yields: Counter[str] = Counter()

    def load(self, budgets: Mapping[str, float]) -> None:
        """The budgets the previous pass left (hosts absent start at ``initial``)."""
        self._start.update({h.lower(): self._bound(b) for h, b in budgets.items()})

    def start_pass(self, budgets: Mapping[str, float]) -> None:
        """A new pass (a crawl that keeps going): ``budgets`` from :meth:`next_pass`."""
        self.load(budgets)
        self._left.clear()
        self._visits.clear()
        self._yields.clear()

    def spend(self, host: str) -> bool:
        """Take one request from the host's budget; False when it is spent."""
        host = host.lower()
        left = self._left.setdefault(host, self._start.get(host, self.initial))
        if left < 1.0:
            return False
        self._left[host] = left - 1.0
        self._visits[host] += 1
        return True

    def found(self, host: str) -> None:
        """A visit that spent the budget stored a new article: its request is given back."""
        host = host.lower()
        self._left[host] = self._left.get(host, 0.0) + 1.0
        self._yields[host] += 1

    def next_pass(self) -> dict[str, float]:
        """The budget of every host visited in this pass, for the next one."""
        budgets = {}
        for host, visits in self._visits.items():
            ratio = self._yields[host] / visits
            budget = self._start.get(host, self.initial)
            if ratio >= 0.5:
                budget *= 1.5
            elif ratio < 0.2:
                budget *= 0.5
            budgets[host] = self._bound(budget)
        return budgets

    def _bound(self, budget: float) -> float:
        return min(self.maximum, max(self.minimum, budget))
