"""An in-memory web for crawl-loop tests: a Fetcher, robots rules and host gates."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.errors import ConnectFailed, FetchError
from crawler.fetch import FetchResponse, RedirectCheck


@dataclass
class FakePage:
    body: bytes
    status: int = 200
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)


class FakeWeb:
    """URL -> page; ETags from the body; redirects by 'location'; errors by exception."""

    def __init__(self) -> None:
        self.pages: dict[str, FakePage | FetchError] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.disallowed: dict[str, list[str]] = defaultdict(list)
        self.sitemap_lines: dict[str, list[str]] = defaultdict(list)
        self.delay_s = 0.0
        self.robots_unloaded: set[str] = set()  # hosts whose robots.txt is loaded when asked
        self.robots_asked: list[str] = []

    def html(self, url: str, body: str, **kw: object) -> None:
        self.pages[url] = FakePage(body.encode(), **kw)  # type: ignore[arg-type]

    def add(self, url: str, page: FakePage | FetchError) -> None:
        self.pages[url] = page

    # Fetcher
    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_redirect: RedirectCheck | None = None,
    ) -> FetchResponse:
        sent = {k: v for k, v in (("if-none-match", etag), ("if-modified-since", last_modified)) if v}
        self.requests.append((url, sent))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        current = url
        redirects: list[str] = []
        for _ in range(5):
            page = self.pages.get(current)
            if page is None:
                return _response(url, current, FakePage(b"not found", 404), redirects)
            if isinstance(page, FetchError):
                raise page
            if page.status in (301, 302) and "location" in page.headers:
                current = page.headers["location"]
                if check_redirect is not None:
                    await check_redirect(current)
                redirects.append(current)
                continue
            tag = '"' + hashlib.md5(page.body).hexdigest() + '"'
            if etag == tag and page.status == 200:
                return _response(url, current, FakePage(b"", 304, page.content_type), redirects, tag)
            return _response(url, current, page, redirects, tag if page.status == 200 else None)
        raise ConnectFailed("too many redirects in fake", url=url)

    async def aclose(self) -> None:
        return None

    # RobotsRules
    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        self.robots_unloaded.discard(parts.hostname or "")
        self.robots_asked.append(url)
        return not any(parts.path.startswith(p) for p in self.disallowed[parts.hostname or ""])

    def known(self, url: str) -> bool | None:
        """Like RobotsPolicy.known: hosts in ``robots_unloaded`` have no rules held yet."""
        host = urlsplit(url).hostname or ""
        if host in self.robots_unloaded:
            return None
        return not any(urlsplit(url).path.startswith(p) for p in self.disallowed[host])

    async def sitemaps(self, host: str) -> list[str]:
        return list(self.sitemap_lines[host])

    def count(self, prefix: str) -> int:
        return sum(1 for url, _ in self.requests if url.startswith(prefix))


def _response(
    url: str, final: str, page: FakePage, redirects: list[str], etag: str | None = None
) -> FetchResponse:
    headers = {k.lower(): v for k, v in page.headers.items()}
    if etag:
        headers["etag"] = etag
    return FetchResponse(
        url=url,
        final_url=final,
        status=page.status,
        headers=headers,
        body=page.body,
        content_type=page.content_type,
        charset="utf-8",
        elapsed_s=0.0,
        redirects=redirects,
        not_modified=page.status == 304,
    )


class FakeGates:
    """Per-host concurrency and spacing, recording the worst case seen."""

    def __init__(self, per_host: int = 2, delay_s: float = 0.0) -> None:
        self.per_host = per_host
        self.delay_s = delay_s
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.penalties: list[tuple[str, float]] = []
        self._locks: dict[str, asyncio.Semaphore] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem = self._locks.setdefault(host, asyncio.Semaphore(self.per_host))
        async with sem:
            wait = self._last.get(host, 0.0) + self.delay_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last[host] = time.monotonic()
            self.active[host] += 1
            self.peak[host] = max(self.peak[host], self.active[host])
            try:
                yield
            finally:
                self.active[host] -= 1

    def penalise(self, host: str, retry_after: str | float | None = None) -> float:
        wait = float(retry_after) if retry_after is not None else 0.0
        self.penalties.append((host, wait))
        return wait

    def succeeded(self, host: str) -> None:
        return None
