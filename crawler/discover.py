"""Discovery: what a fetched page, feed, sitemap or robots.txt tells us about more sources.

The parse functions here are pure (bytes in, picklable facts out) so they can run in an
isolated worker process; deciding which discovered URLs belong to a customer is done by
:func:`scope_links` with the customer's registered domain and the watched forum hosts.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.feeds import iso_date, looks_like_feed, parse_feed
from crawler.sources import classify_source
from crawler.urls import host_of, in_domain, normalize_url

COMMON_PATHS = (
    "/blog",
    "/news",
    "/press",
    "/newsroom",
    "/careers",
    "/jobs",
    "/feed",
    "/rss",
    "/atom.xml",
    "/sitemap.xml",
)
MAX_LINKS_PER_PAGE = 1000
MAX_SITEMAP_URLS = 50_000
MAX_TEXT_FOR_HASH = 200_000
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
_DROP_FOR_TEXT = "script, style, noscript, template, nav, header, footer, svg, form, iframe"
_CHROME = "header, nav, footer, aside"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Discovered:
    """A URL found while crawling, with what we already know about its kind."""

    url: str
    hint: str | None = None


@dataclass(frozen=True)
class PageFacts:
    url: str
    title: str | None = None
    published: str | None = None
    language: str | None = None
    canonical: str | None = None
    links: list[str] = field(default_factory=list)
    content_links: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    social: list[str] = field(default_factory=list)
    simhash: int | None = None
    text_chars: int = 0


@dataclass(frozen=True)
class SitemapFacts:
    kind: str  # urlset | index | text | feed | unknown
    urls: list[str] = field(default_factory=list)
    error: str | None = None


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def decode_html(body: bytes, charset: str | None) -> str:
    """Bytes to text with the declared charset when it works, else detected, else UTF-8."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return body.decode(best.encoding, errors="replace")
        except LookupError:
            pass
    return body.decode("utf-8", errors="replace")


def parse_page(body: bytes, url: str, charset: str | None = None) -> PageFacts:
    """Title, date, language, canonical, links, feeds, social profiles and a simhash of a page."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(decode_html(body, charset))
    base = url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        resolved = normalize_url(base_node.attributes.get("href") or "", url)
        if resolved:
            base = resolved
    links: list[str] = []
    feeds: list[str] = []
    social: list[str] = []
    canonical = None
    seen: set[str] = set()
    for node in tree.css("a[href], area[href], link[href]"):
        attrs = node.attributes
        href = attrs.get("href") or ""
        rel = (attrs.get("rel") or "").lower().split()
        target = normalize_url(href, base)
        if target is None:
            continue
        if node.tag == "link":
            if "canonical" in rel and canonical is None:
                canonical = target
            elif "alternate" in rel and _is_feed_type(attrs.get("type")):
                _add(feeds, target, seen, "feed")
            elif "me" in rel:
                _add(social, target, seen, "social")
            continue
        if "me" in rel or social_feed_url(target) is not None:
            _add(social, target, seen, "social")
        elif len(links) < MAX_LINKS_PER_PAGE:
            _add(links, target, seen, "link")
    title_node = tree.css_first("title")
    title = _clean(title_node.text()) if title_node is not None else None
    if not title:
        title = _meta(tree, "og:title")
    html_node = tree.css_first("html")
    language = (html_node.attributes.get("lang") or None) if html_node is not None else None
    content_links = _content_links(tree, base, set(links))
    text = _main_text(tree)
    return PageFacts(
        url=url,
        title=title[:500] if title else None,
        published=_published(tree),
        language=language[:20] if language else None,
        canonical=canonical,
        links=links,
        content_links=content_links,
        feeds=feeds,
        social=social,
        simhash=simhash(text) if text else None,
        text_chars=len(text),
    )


def _add(bucket: list[str], url: str, seen: set[str], tag: str) -> None:
    key = f"{tag}:{url}"
    if key not in seen:
        seen.add(key)
        bucket.append(url)


def _is_feed_type(value: str | None) -> bool:
    lowered = (value or "").lower().split(";")[0].strip()
    return lowered in FEED_TYPES


def _clean(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _meta(tree: object, name: str) -> str | None:
    for selector in (f'meta[property="{name}"]', f'meta[name="{name}"]', f'meta[itemprop="{name}"]'):
        node = tree.css_first(selector)  # type: ignore[attr-defined]
        if node is not None:
            value = _clean(node.attributes.get("content"))
            if value:
                return value
    return None


def _published(tree: object) -> str | None:
    for name in ("article:published_time", "datePublished", "date", "dc.date", "pubdate"):
        value = _meta(tree, name)
        if value:
            parsed = iso_date(value)
            if parsed:
                return parsed
    for node in tree.css("time[datetime]"):  # type: ignore[attr-defined]
        parsed = iso_date(node.attributes.get("datetime") or "")
        if parsed:
            return parsed
    return None


def _content_links(tree: object, base: str, known: set[str]) -> list[str]:
    """Links outside the site's header, navigation, footer and sidebars (in page order)."""
    for node in tree.css(_CHROME):  # type: ignore[attr-defined]
        node.decompose()
    found: list[str] = []
    seen: set[str] = set()
    for node in tree.css("a[href]"):  # type: ignore[attr-defined]
        target = normalize_url(node.attributes.get("href") or "", base)
        if target and target in known and target not in seen:
            seen.add(target)
            found.append(target)
    return found


def _main_text(tree: object) -> str:
    root = tree.css_first("main") or tree.css_first("article") or tree.body  # type: ignore[attr-defined]
    if root is None:
        return ""
    for node in root.css(_DROP_FOR_TEXT):
        node.decompose()
    return " ".join((root.text(separator=" ") or "").split())[:MAX_TEXT_FOR_HASH]


def simhash(text: str, shingle: int = 3) -> int:
    """64-bit simhash of word 3-shingles: near-identical texts differ in only a few bits.

    Each distinct word is hashed once; a shingle's hash combines its words' hashes rotated
    by position, so the cost is one hash per distinct word plus vector arithmetic.
    """
    import numpy as np

    words = _WORD.findall(text.lower())
    if not words:
        return 0
    index: dict[str, int] = {}
    ids = [index.setdefault(w, len(index)) for w in words]
    digests = b"".join(hashlib.blake2b(w.encode(), digest_size=8).digest() for w in index)
    table = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    sequence = table[np.asarray(ids, dtype=np.int64)]
    width = min(shingle, len(sequence))
    grams = sequence[: len(sequence) - width + 1].copy()
    for offset in range(1, width):
        part = sequence[offset : len(sequence) - width + 1 + offset]
        turn = np.uint64(offset * 21)
        grams ^= (part << turn) | (part >> (np.uint64(64) - turn))
    bits = np.unpackbits(grams.astype(">u8").view(np.uint8).reshape(-1, 8), axis=1)
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(grams)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def social_feed_url(url: str) -> str | None:
    """The public feed of a social profile URL (Mastodon, Bluesky, Medium, YouTube), if any."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    origin = f"{parts.scheme}://{parts.netloc}"
    if host in ("bsky.app", "staging.bsky.app") and len(segments) == 2 and segments[0] == "profile":
        return f"{origin}/profile/{segments[1]}/rss"
    if host.endswith("medium.com") and len(segments) == 1 and segments[0].startswith("@"):
        return f"{origin}/feed/{segments[0]}"
    if host.endswith("youtube.com") and len(segments) == 2 and segments[0] == "channel":
        return f"https://www.youtube.com/feeds/videos.xml?channel_id={segments[1]}"
    if len(segments) == 1 and re.fullmatch(r"@[A-Za-z0-9_]{1,30}", segments[0]):
        if host.endswith(("twitter.com", "x.com", "instagram.com", "tiktok.com", "threads.net")):
            return None
        return f"{origin}/{segments[0]}.rss"
    return None


def scope_links(
    links: Iterable[str],
    domain: str,
    *,
    forum_hosts: Iterable[str] = (),
    hint: str | None = None,
) -> list[Discovered]:
    """Links a customer's crawl follows: its registered domain and the watched forum hosts."""
    forums = {h.lower() for h in forum_hosts}
    kept = []
    for link in links:
        host = host_of(link)
        if in_domain(host, domain) or host in forums:
            kept.append(Discovered(link, hint))
    return kept


def common_path_urls(homepage: str) -> list[Discovered]:
    """Where blogs, newsrooms, careers pages, feeds and sitemaps usually live."""
    found = []
    for path in COMMON_PATHS:
        url = normalize_url(path, homepage)
        if url:
            found.append(Discovered(url, classify_source(url, host_of(homepage))))
    return found


# --- sitemaps --------------------------------------------------------------------------------

_PREFIX = r"(?:(?!image:|video:|news:|mobile:|xhtml:)[\w-]+:)?"
_LOC = re.compile(
    rf"<{_PREFIX}loc\s*>\s*(?:<!\[CDATA\[)?\s*([^<\]\s][^<\]]*?)\s*(?:\]\]>)?\s*</{_PREFIX}loc\s*>",
    re.IGNORECASE,
)
_INDEX = re.compile(rf"<{_PREFIX}sitemapindex[\s>]", re.IGNORECASE)
_URLSET = re.compile(rf"<{_PREFIX}urlset[\s>]", re.IGNORECASE)
_BARE_SITEMAP = re.compile(r"<sitemap\s*>\s*([^<\s]+)\s*</sitemap\s*>", re.IGNORECASE)
_ALTERNATE = re.compile(r"<(?:xhtml:)?link\b[^>]*\bhref\s*=\s*[\"']([^\"'<>]+)[\"']", re.IGNORECASE)


def inflate(body: bytes, limit: int) -> bytes:
    """Undo gzip (a .gz sitemap) with an output cap; other bytes are returned as they are."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error):
        return b""
    return data[:limit]


def parse_sitemap(
    body: bytes, url: str, max_urls: int = MAX_SITEMAP_URLS, max_bytes: int = 50_000_000
) -> SitemapFacts:
    """URLs of an XML sitemap or index (gzip or not), a text sitemap, or a feed used as one."""
    data = inflate(body, max_bytes)
    if looks_like_feed(data):
        feed = parse_feed(data, url, max_entries=max_urls)
        return SitemapFacts("feed", [e.link for e in feed.entries], feed.error)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    head = text[:4096]
    is_index, is_urlset = bool(_INDEX.search(head)), bool(_URLSET.search(head))
    if is_index or is_urlset or text.startswith("<"):
        kind = "index" if is_index else "urlset" if is_urlset else "unknown"
        raw = [m.group(1) for m in _LOC.finditer(text)]
        if kind == "index" and not raw:
            raw = [m.group(1) for m in _BARE_SITEMAP.finditer(text)]
        if kind == "urlset":
            raw += [m.group(1) for m in _ALTERNATE.finditer(text)]
        return SitemapFacts(kind, _clean_urls(raw, url, max_urls))
    lines = [line.strip() for line in text.splitlines()]
    raw = [line for line in lines if line.lower().startswith(("http://", "https://"))]
    return SitemapFacts("text", _clean_urls(raw, url, max_urls))


def _clean_urls(raw: Iterable[str], base: str, limit: int) -> list[str]:
    urls: list[str] = []
    seen: set[str] = set()
    for value in raw:
        normalized = normalize_url(html.unescape(value.strip()), base)
        if normalized and normalized not in seen:
            seen.add(normalized)
            urls.append(normalized)
            if len(urls) >= limit:
                break
    return urls
