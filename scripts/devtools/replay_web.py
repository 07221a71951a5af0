"""A replay web of real pages for the crawl benchmarks, served over plain HTTP on loopback.

Built at run time from ``../shared/data`` (read in place, never copied into the repository):
real article pages from extract-trafilatura's ``html.tar.gz`` and real robots.txt files from
robots-protego-realworld. Each fictional customer domain gets:

* a homepage linking its articles and the noise a real site has: tag, author and category
  listings, pagination, media pages and images, other sections, and one link into a path
  its robots.txt disallows;
* its articles under one URL shape per site (``/news/2019/05/slug.html``, ``/blog/slug/``,
  ``/press/123-slug``, ``/articles/2019-05-31/slug``), each the real page with links to its
  original site rewritten onto the replay domain (so a link-following spider meets the
  page's own tags, sections and related stories; paths the replay does not have are 404s);
* an RSS or Atom feed and a sitemap (with ``lastmod``) listing the articles, in the standard
  formats (the feeds list the replay's own URLs, so they are generated, not replayed);
* a real robots.txt (one whose rules let the articles be crawled and that has Disallow lines
  for every crawler), with a ``Sitemap:`` line added.

The server answers a TLS ClientHello with a plain 400, as a plain-HTTP site's port 443 does
when it is mapped there, honours If-Modified-Since, keeps connections alive and logs every
request (host, path, status).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scripts.fixture_web.server import parse_head

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
AGENTS = ("ascent", "benchspider")  # the two crawlers' robots.txt tokens
NAMES = (
    "harbor", "juniper", "kestrel", "lumen", "meridian", "nimbus", "orchard", "pioneer",
    "quarry", "redwood", "summit", "tidewater", "umber", "vantage", "willow", "yarrow",
    "zephyr", "alder", "beacon", "cobalt", "delta", "ember", "falcon", "granite",
    "heron", "ironwood", "jasper", "keystone", "larch", "maple", "northstar", "onyx",
)  # fmt: skip
TAGS = ("cloud", "security", "events", "people", "product", "partners", "local", "archive")
NOISE_PAGES = 3  # pages of each tag / author / category listing
MEDIA = 4
STATIC = ("about", "contact", "events", "shop")


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    published: datetime
    original_url: str
    member: str  # the page in html.tar.gz


@dataclass
class Site:
    domain: str
    shape: int
    feed_path: str
    robots: bytes
    blocked_path: str  # a path its robots.txt disallows, linked from the homepage
    articles: list[Article] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.domain}"


class ReplayData:
    """The real pages and robots.txt files, read in place."""

    def __init__(self, data: Path = DATA):
        self.pages = data / "extract-trafilatura" / "html.tar.gz"
        self.meta = json.loads((data / "extract-trafilatura" / "evaldata.json").read_text("utf-8"))
        self.robots = data / "robots-protego-realworld" / "robots_txt_files.tar.gz"
        self._bodies: dict[str, bytes] = {}

    def available(self) -> bool:
        return self.pages.exists() and self.robots.exists()

    def load_bodies(self, members: set[str]) -> None:
        with tarfile.open(self.pages) as tar:
            for member in tar:
                if member.name in members and member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        self._bodies[member.name] = handle.read()

    def body(self, member: str) -> bytes:
        return self._bodies[member]

    def robots_files(self) -> Iterator[bytes]:
        with tarfile.open(self.robots) as tar:
            for member in sorted(tar.getmembers(), key=lambda m: m.name):
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    yield handle.read(200_000)


def build_sites(data: ReplayData, sites: int, articles: int, seed: int = 16) -> list[Site]:
    """``sites`` fictional domains with ``articles`` real pages each (deterministic)."""
    rng = random.Random(seed)
    entries = sorted(data.meta.items(), key=lambda kv: kv[1]["file"])
    rng.shuffle(entries)
    members = _members(data)
    picked = [(url, meta) for url, meta in entries if _member(meta["file"], members)]
    robots = _usable_robots(data, sites)
    built: list[Site] = []
    for index in range(min(sites, len(robots), len(picked) // max(articles, 1))):
        domain = f"{NAMES[index % len(NAMES)]}-{index + 1:02d}-replay.com"
        rules, blocked = robots[index]
        site = Site(domain, index % 4, ("/feed.xml", "/atom.xml")[index % 2], rules, blocked)
        for number, (url, meta) in enumerate(picked[index * articles : (index + 1) * articles]):
            site.articles.append(_article(site, number, url, meta, _member(meta["file"], members), rng))
        built.append(site)
    data.load_bodies({a.member for s in built for a in s.articles})
    return built


def _members(data: ReplayData) -> set[str]:
    with tarfile.open(data.pages) as tar:
        return set(tar.getnames())


def _member(file: str, members: set[str]) -> str:
    for folder in ("cache", "eval"):
        if f"{folder}/{file}" in members:
            return f"{folder}/{file}"
    return ""


def _article(
    site: Site, number: int, url: str, meta: dict[str, object], member: str, rng: random.Random
) -> Article:
    date_text = str(meta.get("date") or "")
    try:
        published = datetime.fromisoformat(date_text[:10]).replace(tzinfo=UTC)
    except ValueError:
        published = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(1500))
    last = [s for s in urlsplit(url).path.split("/") if s]
    slug = re.sub(r"[^a-z0-9]+", "-", (last[-1] if last else meta["file"]).__str__().lower()).strip("-")
    slug = (slug.removesuffix("-html") or "story")[:60] + f"-{number + 1}"
    day = published.strftime
    path = (
        f"/news/{day('%Y')}/{day('%m')}/{slug}.html",
        f"/blog/{slug}/",
        f"/press/{1000 + number}-{slug}",
        f"/articles/{day('%Y-%m-%d')}/{slug}",
    )[site.shape]
    title = str(meta.get("title") or slug.replace("-", " ").title())
    return Article(path, title, published, url, member)


def _usable_robots(data: ReplayData, wanted: int) -> list[tuple[bytes, str]]:
    """Real robots.txt files that leave the replay's paths crawlable for both crawlers and
    disallow some plain path prefix for both: (the file, that prefix)."""
    from protego import Protego

    found: list[tuple[bytes, str]] = []
    probes = ["/", "/feed.xml", "/atom.xml", "/sitemap.xml", "/news/2019/05/a-1.html", "/blog/a-1/"]
    probes += ["/press/1000-a-1", "/articles/2019-05-31/a-1"]
    for body in data.robots_files():
        text = body.decode("utf-8", errors="replace")
        lowered = text.lower()
        if (
            "sitemap" in lowered
            or "crawl-delay" in lowered
            or "request-rate" in lowered
            or len(text) > 20_000
        ):
            continue  # their sitemaps would point off the replay; delays would slow one side only
        try:
            rules = Protego.parse(text)
        except Exception:
            continue
        if not all(rules.can_fetch(f"http://x{p}", agent) for p in probes for agent in AGENTS):
            continue
        blocked = _blocked_prefix(text, rules)
        if blocked:
            found.append((body, blocked))
        if len(found) >= wanted:
            break
    return found


def _blocked_prefix(text: str, rules: Any) -> str:
    for line in text.splitlines():
        key, _, value = line.partition(":")
        value = value.split("#")[0].strip()
        if key.strip().lower() != "disallow" or not re.fullmatch(r"/[A-Za-z0-9_/.-]{2,40}", value):
            continue
        url = f"http://x{value}"
        if not any(rules.can_fetch(url, agent) for agent in AGENTS):
            return value
    return ""


# --- pages ---------------------------------------------------------------------------------


def _listing(site: Site, title: str, picks: list[Article], more: list[str]) -> bytes:
    items = "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in picks)
    links = "".join(f'<a href="{m}">{escape(m)}</a> ' for m in more)
    return _html(site, title, f"<h1>{escape(title)}</h1><ul>{items}</ul><nav>{links}</nav>")


def _html(site: Site, title: str, body: str) -> bytes:
    feed_type = "rss+xml" if site.feed_path == "/feed.xml" else "atom+xml"
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<link rel='alternate' type='application/{feed_type}' href='{site.feed_path}'></head>"
        f"<body><header><a href='/'>{escape(site.domain)}</a></header>{body}</body></html>"
    ).encode()


def homepage(site: Site) -> bytes:
    cards = "".join(
        f'<article><a href="{a.path}">{escape(a.title)}</a> <time>{a.published.date()}</time>'
        f' <a href="/tag/{TAGS[i % len(TAGS)]}/">{TAGS[i % len(TAGS)]}</a>'
        f' <a href="/author/writer-{i % 4}/">by writer {i % 4}</a></article>'
        for i, a in enumerate(site.articles)
    )
    noise = [f"/tag/{t}/" for t in TAGS] + [f"/category/{t}/" for t in TAGS[:4]]
    noise += [f"/page/{n}/" for n in range(2, NOISE_PAGES + 2)]
    noise += [f"/media/video-{n}/" for n in range(MEDIA)] + [f"/images/photo-{n}.jpg" for n in range(MEDIA)]
    noise += [f"/{s}/" for s in STATIC] + [site.blocked_path]
    links = "".join(f'<li><a href="{n}">{escape(n)}</a></li>' for n in noise)
    return _html(site, site.domain, f"<main>{cards}</main><aside><ul>{links}</ul></aside>")


def noise_page(site: Site, path: str) -> bytes | None:
    """Tag, author, category listings with pagination; media pages; static pages."""
    parts = [p for p in path.split("/") if p]
    seed = int(hashlib.sha256(f"{site.domain}{path}".encode()).hexdigest()[:8], 16)
    picks = [site.articles[(seed + k) % len(site.articles)] for k in range(3)] if site.articles else []
    if len(parts) in (2, 4) and parts[0] in ("tag", "author", "category"):
        page = int(parts[3]) if len(parts) == 4 and parts[2] == "page" and parts[3].isdigit() else 1
        if page > NOISE_PAGES or (len(parts) == 4 and parts[2] != "page"):
            return None
        base = f"/{parts[0]}/{parts[1]}/"
        more = [f"{base}page/{page + 1}/"] if page < NOISE_PAGES else []
        more += [f"/tag/{TAGS[(seed + k) % len(TAGS)]}/" for k in range(2)]
        return _listing(site, f"{parts[0]} {parts[1]} page {page}", picks, more)
    if (
        len(parts) == 2
        and parts[0] == "page"
        and parts[1].isdigit()
        and 2 <= int(parts[1]) <= NOISE_PAGES + 1
    ):
        return _listing(site, f"page {parts[1]}", picks, [f"/page/{int(parts[1]) + 1}/"])
    if len(parts) == 2 and parts[0] == "media" and parts[1].startswith("video-"):
        return _listing(site, "video", picks[:1], ["/tag/events/", f"/images/photo-{seed % MEDIA}.jpg"])
    if len(parts) == 1 and parts[0] in STATIC:
        return _html(site, parts[0].title(), f"<main><p>{parts[0].title()} of {site.domain}.</p></main>")
    return None


def article_page(site: Site, article: Article, body: bytes) -> bytes:
    """The real page, its links to its original site moved onto the replay domain."""
    original = urlsplit(article.original_url)
    host = (original.hostname or "").removeprefix("www.")
    for form in {article.original_url, article.original_url.rstrip("/"), article.original_url + "/"}:
        body = body.replace(form.encode(), article.path.encode())
    if host:
        body = re.sub(rb"https?://(?:www\.)?" + re.escape(host.encode()) + rb"(?=[/\"'\s>])", b"", body)
    return body


def feed(site: Site) -> bytes:
    ordered = sorted(site.articles, key=lambda a: a.published, reverse=True)
    if site.feed_path == "/feed.xml":
        items = "".join(
            f"<item><title>{escape(a.title)}</title><link>{site.base}{a.path}</link>"
            f"<guid>{site.base}{a.path}</guid><pubDate>{format_datetime(a.published, usegmt=True)}"
            f"</pubDate></item>"
            for a in ordered
        )
        return (
            f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{site.domain}"
            f"</title><link>{site.base}/</link>{items}</channel></rss>"
        ).encode()
    entries = "".join(
        f"<entry><title>{escape(a.title)}</title><link href='{site.base}{a.path}'/>"
        f"<id>{site.base}{a.path}</id><updated>{a.published.isoformat()}</updated></entry>"
        for a in ordered
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{site.domain}</title><id>{site.base}/</id>{entries}</feed>"
    ).encode()


def sitemap(site: Site) -> bytes:
    urls = "".join(
        f"<url><loc>{site.base}{a.path}</loc><lastmod>{a.published.date()}</lastmod></url>"
        for a in site.articles
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
    ).encode()


# --- the server ------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 600 + b"\xff\xd9"
MODIFIED = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass
class ReplayWeb:
    """Serves the sites by Host header on one loopback port; ``log`` holds every request."""

    sites: list[Site]
    data: ReplayData
    port: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)
    tls_attempts: int = 0  # TLS handshakes tried on this plain-HTTP port (not requests)
    _server: asyncio.Server | None = None

    def __post_init__(self) -> None:
        self._by_host = {s.domain: s for s in self.sites}
        self._articles = {(s.domain, a.path): a for s in self.sites for a in s.articles}

    async def __aenter__(self) -> ReplayWeb:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def respond(self, host: str, path: str) -> tuple[int, str, bytes]:
        site = self._by_host.get(host)
        if site is None:
            return 404, "text/plain", b"unknown host"
        if path == "/robots.txt":
            return 200, "text/plain", site.robots + f"\n\nSitemap: {site.base}/sitemap.xml\n".encode()
        if path == "/":
            return 200, "text/html; charset=utf-8", homepage(site)
        if path == site.feed_path:
            kind = "application/rss+xml" if path == "/feed.xml" else "application/atom+xml"
            return 200, kind, feed(site)
        if path == "/sitemap.xml":
            return 200, "application/xml", sitemap(site)
        article = self._articles.get((host, path))
        if article is not None:
            return 200, "text/html", article_page(site, article, self.data.body(article.member))
        if path.startswith("/images/") and path.endswith(".jpg"):
            return 200, "image/jpeg", JPEG
        page = noise_page(site, path)
        return (200, "text/html; charset=utf-8", page) if page else (404, "text/html", b"<h1>Not found</h1>")

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            first = await reader.readexactly(1)
            if first == b"\x16":  # a TLS ClientHello on a plain-HTTP port
                self.tls_attempts += 1
                writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            head = first + await reader.readuntil(b"\r\n\r\n")
            while head:
                if not await self._answer(head, writer):
                    break
                head = await reader.readuntil(b"\r\n\r\n")
        with contextlib.suppress(Exception):
            writer.close()

    async def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        request = parse_head(head[:-4])
        if request is None:
            return False
        status, ctype, body = self.respond(request.host, request.path)
        since = request.headers.get("if-modified-since")
        if status == 200 and since and _not_after(since, MODIFIED):
            status, body = 304, b""
        self.log.append((request.host, request.target, status))
        headers = [
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'X'}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
            f"Last-Modified: {format_datetime(MODIFIED, usegmt=True)}",
        ]
        writer.write(
            ("\r\n".join(headers) + "\r\n\r\n").encode() + (b"" if request.method == "HEAD" else body)
        )
        await writer.drain()
        return request.headers.get("connection", "").lower() != "close"


def _not_after(since: str, modified: datetime) -> bool:
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
