"""RSS, Atom and JSON Feed parsing of bytes we fetched (feedparser never sees a URL).

Every value is untrusted: entry counts and field sizes are capped, links are normalised and
resolved against the feed's own URL, and a malformed feed yields what could be read (possibly
nothing) instead of an exception.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.urls import normalize_url

MAX_TITLE_CHARS = 500
MAX_CONTENT_CHARS = 200_000

_FEED_SNIFF = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str | None
    published: str | None
    content_html: str
    entry_id: str | None = None

    def content_hash(self) -> str:
        """Changes when anything a reader would see in the entry changes."""
        digest = hashlib.sha256()
        for part in (self.link, self.title or "", self.published or "", self.content_html):
            digest.update(part.encode("utf-8", "replace"))
            digest.update(b"\x00")
        return digest.hexdigest()

    def body(self) -> bytes:
        """The entry as a small HTML document, stored as the feed entry's raw body."""
        title = _escape(self.title or "")
        published = _escape(self.published or "")
        return (
            f"<html><head><title>{title}</title>"
            f'<meta property="article:published_time" content="{published}"></head>'
            f"<body><article><h1>{title}</h1>{self.content_html}</article></body></html>"
        ).encode()


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    home_url: str | None = None
    error: str | None = None


def looks_like_feed(body: bytes, content_type: str | None = None) -> bool:
    """Whether bytes are an RSS/Atom/RDF or JSON feed, from the type and the first bytes."""
    ctype = (content_type or "").lower()
    if any(t in ctype for t in ("rss", "atom", "feed+json", "application/feed")):
        return True
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return b"jsonfeed.org" in head
    return bool(_FEED_SNIFF.search(head)) and not head[:200].lower().startswith(b"<!doctype html")


def parse_feed(body: bytes, url: str, max_entries: int = 200) -> ParsedFeed:
    """Parse feed bytes fetched from ``url``; at most ``max_entries`` entries, newest first."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return _parse_json_feed(stripped, url, max_entries)
    import feedparser

    try:
        parsed = feedparser.parse(
            # A file object, never bytes: feedparser treats bytes that look like a path or URL
            # as something to open, and a hostile server must not make us read local files.
            io.BytesIO(_without_doctype(body)),
            response_headers={"content-location": url, "content-type": "application/xml"},
            # Stored HTML is never rendered (every view escapes crawled text) and entry links
            # are resolved by us: skipping feedparser's rewriting makes parsing ~5x faster.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # a hostile feed must never take the crawl down
        return ParsedFeed(title=None, error=f"{type(exc).__name__}: {exc}"[:300])
    feed_info = parsed.get("feed", {}) or {}
    entries: list[FeedEntry] = []
    for raw in list(parsed.get("entries", []) or [])[: max_entries * 2]:
        entry = _entry_from_feedparser(raw, url)
        if entry is not None:
            entries.append(entry)
    error = None
    if not entries and parsed.get("bozo"):
        error = str(parsed.get("bozo_exception", "malformed feed"))[:300]
    home = feed_info.get("link")
    return ParsedFeed(
        title=_clip(feed_info.get("title"), MAX_TITLE_CHARS),
        entries=_newest_first(entries)[:max_entries],
        home_url=normalize_url(home, url) if isinstance(home, str) else None,
        error=error,
    )


def _entry_from_feedparser(raw: Any, feed_url: str) -> FeedEntry | None:
    link = raw.get("link")
    if not isinstance(link, str) or not link:
        for candidate in raw.get("links", []) or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if not isinstance(link, str) and isinstance(raw.get("id"), str) and "://" in raw["id"]:
        link = raw["id"]
    normalized = normalize_url(link, feed_url) if isinstance(link, str) else None
    if normalized is None:
        return None
    content = ""
    for item in raw.get("content", []) or []:
        value = item.get("value")
        if isinstance(value, str) and len(value) > len(content):
            content = value
    if not content:
        summary = raw.get("summary")
        content = summary if isinstance(summary, str) else ""
    stamp = raw.get("published_parsed") or raw.get("updated_parsed")
    return FeedEntry(
        link=normalized,
        title=_clip(raw.get("title"), MAX_TITLE_CHARS),
        published=_iso(stamp),
        content_html=content[:MAX_CONTENT_CHARS],
        entry_id=_clip(raw.get("id"), MAX_TITLE_CHARS),
    )


_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.IGNORECASE | re.DOTALL)
_DOCTYPE_WINDOW = 65_536


def _without_doctype(body: bytes) -> bytes:
    """Feeds need no DTD; dropping it defuses entity expansion ("billion laughs") up front."""
    head = body[:_DOCTYPE_WINDOW]
    cleaned = _DOCTYPE.sub(b"", head, count=1)
    return body if cleaned == head else cleaned + body[_DOCTYPE_WINDOW:]


def _parse_json_feed(body: bytes, url: str, max_entries: int) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as exc:
        return ParsedFeed(title=None, error=f"invalid JSON feed: {exc}"[:300])
    if not isinstance(data, dict):
        return ParsedFeed(title=None, error="JSON feed is not an object")
    entries: list[FeedEntry] = []
    items = data.get("items")
    for item in (items if isinstance(items, list) else [])[: max_entries * 2]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url") or item.get("id")
        normalized = normalize_url(link, url) if isinstance(link, str) else None
        if normalized is None:
            continue
        content = item.get("content_html") or item.get("content_text") or item.get("summary")
        entries.append(
            FeedEntry(
                link=normalized,
                title=_clip(item.get("title"), MAX_TITLE_CHARS),
                published=_iso_text(item.get("date_published") or item.get("date_modified")),
                content_html=(content if isinstance(content, str) else "")[:MAX_CONTENT_CHARS],
                entry_id=_clip(item.get("id"), MAX_TITLE_CHARS),
            )
        )
    home = data.get("home_page_url")
    return ParsedFeed(
        title=_clip(data.get("title"), MAX_TITLE_CHARS),
        entries=_newest_first(entries)[:max_entries],
        home_url=normalize_url(home, url) if isinstance(home, str) else None,
    )


def _newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry.link not in seen:
            seen.add(entry.link)
            unique.append(entry)
    return sorted(unique, key=lambda e: e.published or "", reverse=True)


def _iso(stamp: Any) -> str | None:
    if not stamp:
        return None
    try:
        seconds = calendar.timegm(stamp)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    except (TypeError, ValueError, OverflowError):
        return None


def _iso_text(value: Any) -> str | None:
    return iso_date(value) if isinstance(value, str) else None


def iso_date(value: str) -> str | None:
    """An ISO 8601 or RFC 2822 date/time as 'YYYY-MM-DDTHH:MM:SSZ' (UTC), a bare date as is."""
    text = value.strip()[:64]
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        return None


def _clip(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value[:limit] or None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
