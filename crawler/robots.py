"""robots.txt per RFC 9309, parsed by protego, cached per origin.

Status handling (RFC 9309 §2.3.1):

* 2xx: parse the first ``robots_max_bytes`` (at least 500 KiB; a longer file is cut at a
  line end), decoded leniently (BOM-aware, invalid UTF-8 replaced);
* 4xx except 429 ("unavailable"): everything is allowed;
* 429, 5xx and network errors ("unreachable"): everything is disallowed for now and the
  file is fetched again after ``robots_retry_s``;
* redirects are followed by the fetcher (up to its limit, every hop SSRF-checked); too many
  redirects or a loop count as unavailable.

A result is trusted for ``robots_cache_s`` (at most 24 hours). Concurrent questions about
one origin share a single fetch. The product token matched against ``User-agent`` lines is
the first word of the configured User-Agent (``ascent/0.1 (+url)`` -> ``ascent``).
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections import OrderedDict
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from protego import Protego

from crawler.errors import BodyTooLarge, FetchError, RedirectLoop, TooManyRedirects
from crawler.fetch import Fetcher, FetchResponse
from crawler.politeness import Clock, HopSlot, HostGates, SystemClock
from crawler.settings import CrawlerSettings

_MAX_ORIGINS = 50_000
_MAX_SITEMAPS = 1_000


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (RFC 9309 §2.2.1)."""
    match = re.match(r"\s*([A-Za-z_-]+)", user_agent)
    return match.group(1).lower() if match else "*"


def origin_of(site: str) -> str:
    """'https://Example.com:8443/x?y' -> 'https://example.com:8443'; a bare host -> http."""
    if "://" not in site:
        site = "http://" + site
    parts = urlsplit(site)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def decode_robots(body: bytes | bytearray, max_bytes: int) -> str:
    """Lenient decoding: UTF-16/UTF-8 BOMs honoured, the rest read as UTF-8 with replacement."""
    if len(body) > max_bytes:
        cut = body.rfind(b"\n", 0, max_bytes)
        body = body[: cut + 1 if cut > 0 else max_bytes]
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says (or what we assume when it could not be read)."""

    origin: str
    verdict: str  # "parsed" | "allow_all" | "disallow_all"
    status: int | None  # HTTP status of the robots.txt response; None after a network error
    fetched_at: float
    expires_at: float
    error_class: str | None = None
    parser: Protego | None = field(default=None, compare=False, repr=False)
    # The origin whose /robots.txt finally answered, when redirects (apex -> www) or the
    # scheme fallback (https -> http) led elsewhere: these are that origin's rules too.
    answered_by: str | None = None

    def allows(self, url: str, token: str) -> bool:
        if self.verdict == "allow_all":
            return True
        if self.verdict == "disallow_all":
            return False
        if urlsplit(url).path == "/robots.txt":
            return True
        assert self.parser is not None
        return bool(self.parser.can_fetch(url, token))

    def crawl_delay(self, token: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(token)
        rate = self.parser.request_rate(token)
        if rate is not None and rate.requests:
            per_request = rate.seconds / rate.requests
            delay = max(delay or 0.0, per_request)
        return float(delay) if delay else None

    def sitemaps(self) -> list[str]:
        if self.parser is None:
            return []
        found: list[str] = []
        robots_url = self.origin + "/robots.txt"
        for entry in self.parser.sitemaps:
            try:
                url = urljoin(robots_url, str(entry).strip())
                parts = urlsplit(url)
            except ValueError:  # e.g. "http://[::1" — one bad line must not hide the others
                continue
            if parts.scheme in ("http", "https") and parts.netloc and url not in found:
                found.append(url)
            if len(found) >= _MAX_SITEMAPS:
                break
        return found


def parse_robots(
    origin: str, body: bytes | bytearray, *, max_bytes: int, status: int, now: float, ttl: float
) -> RobotsRules:
    """Parse a fetched robots.txt body (pure; also used for corpus tests)."""
    try:
        parser = Protego.parse(decode_robots(body, max_bytes))
    except Exception:  # a parser bug must not stop the crawl: treat as no rules
        return RobotsRules(origin, "allow_all", status, now, now + ttl, error_class="robots_parse")
    return RobotsRules(origin, "parsed", status, now, now + ttl, parser=parser)


class RobotsPolicy:
    """Answers "may we fetch this URL?" from each origin's robots.txt, fetched on demand.

    With ``gates``, the robots.txt fetch itself waits for the host's politeness slot, and
    each of its redirect hops for its own host's (so do not ask about a host while holding
    one of its slots: ask before taking it), and each loaded Crawl-delay is handed to the
    gates, which then space that host's requests by it.
    """

    def __init__(
        self,
        settings: CrawlerSettings,
        fetcher: Fetcher,
        gates: HostGates | None = None,
        *,
        clock: Clock | None = None,
    ):
        self.settings = settings
        self.token = product_token(self.settings.user_agent)
        self._fetcher = fetcher
        self._clock = clock or SystemClock()
        self._gates = gates
        self._cache: OrderedDict[str, RobotsRules] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[RobotsRules]] = {}
        self.fetches = 0  # robots.txt requests made (for metrics and tests)

    async def allowed(self, url: str) -> bool:
        return (await self.rules(url)).allows(url, self.token)

    async def crawl_delay(self, site: str) -> float | None:
        """Crawl-delay (or Request-rate) for our token; ``site`` is a URL, origin or host."""
        return (await self.rules(site)).crawl_delay(self.token)

    async def sitemaps(self, site: str) -> list[str]:
        """Absolute http(s) Sitemap URLs listed in the origin's robots.txt."""
        return (await self.rules(site)).sitemaps()

    def known(self, url: str) -> bool | None:
        """The verdict for ``url`` from rules already held, or None when its origin's
        robots.txt would have to be fetched first (never fetches, never waits)."""
        rules = self._cache.get(origin_of(url))
        if rules is None or rules.expires_at <= self._clock.now():
            return None
        return rules.allows(url, self.token)

    async def rules(self, site: str) -> RobotsRules:
        origin = origin_of(site)
        if "://" not in site:
            # A bare host: any scheme's rules we already hold will do.
            for scheme in ("https", "http"):
                known = self._cache.get(origin_of(f"{scheme}://{site}"))
                if known is not None and known.expires_at > self._clock.now():
                    return known
        cached = self._cache.get(origin)
        if cached is not None and cached.expires_at > self._clock.now():
            self._cache.move_to_end(origin)
            return cached
        pending = self._inflight.get(origin)
        if pending is None:
            pending = asyncio.ensure_future(self._load(origin))
            self._inflight[origin] = pending
            pending.add_done_callback(lambda _: self._inflight.pop(origin, None))
        return await asyncio.shield(pending)

    async def _load(self, origin: str) -> RobotsRules:
        rules = await self._fetch(origin)
        self._keep(origin, rules)
        other = rules.answered_by
        if other and other != origin and other not in self._cache and other not in self._inflight:
            # Saves asking the origin that answered again when its own URLs come up.
            self._keep(other, replace(rules, origin=other, answered_by=None))
        return rules

    def _keep(self, origin: str, rules: RobotsRules) -> None:
        if self._gates is not None:
            self._gates.set_crawl_delay(urlsplit(origin).hostname or "", rules.crawl_delay(self.token))
        self._cache[origin] = rules
        self._cache.move_to_end(origin)
        while len(self._cache) > _MAX_ORIGINS:
            self._cache.popitem(last=False)

    def _penalise(self, host: str, retry_after: str | None = None) -> None:
        if self._gates is not None:
            self._gates.penalise(host, retry_after)

    async def _fetch(self, origin: str) -> RobotsRules:
        settings = self.settings
        url = origin + "/robots.txt"
        self.fetches += 1
        # robots.txt often redirects (apex -> www): each hop waits for its own host's gate,
        # and a failure backs off the host that failed.
        slot = HopSlot(self._gates, urlsplit(origin).hostname or "") if self._gates is not None else None
        try:
            async with AsyncExitStack() as stack:
                if slot is not None:
                    await stack.enter_async_context(slot)
                response = await self._fetcher.fetch(url, check_redirect=slot.follow if slot else None)
        except BodyTooLarge as exc:
            now = self._clock.now()
            return parse_robots(
                origin,
                exc.partial,
                max_bytes=settings.robots_max_bytes,
                status=200,
                now=now,
                ttl=settings.robots_cache_s,
            )
        except (TooManyRedirects, RedirectLoop) as exc:
            now = self._clock.now()
            return RobotsRules(origin, "allow_all", None, now, now + settings.robots_cache_s, exc.error_class)
        except FetchError as exc:
            if exc.retryable:
                # network failure: the host backs off, as for a 5xx
                self._penalise(slot.host if slot is not None else "")
            now = self._clock.now()
            return RobotsRules(
                origin, "disallow_all", None, now, now + settings.robots_retry_s, exc.error_class
            )
        rules = self._from_response(origin, response)
        final = urlsplit(response.final_url)
        if final.path == "/robots.txt" and not final.query:
            rules = replace(rules, answered_by=origin_of(response.final_url))
        return rules

    def _from_response(self, origin: str, response: FetchResponse) -> RobotsRules:
        settings = self.settings
        now = self._clock.now()
        status = response.status
        if status == 429 or status >= 500:
            self._penalise(urlsplit(response.final_url).hostname or "", response.headers.get("retry-after"))
        if 200 <= status < 300:
            return parse_robots(
                origin,
                response.body,
                max_bytes=settings.robots_max_bytes,
                status=status,
                now=now,
                ttl=settings.robots_cache_s,
            )
        if status == 429 or status >= 500:
            return RobotsRules(
                origin, "disallow_all", status, now, now + settings.robots_retry_s, "robots_unreachable"
            )
        return RobotsRules(origin, "allow_all", status, now, now + settings.robots_cache_s)
