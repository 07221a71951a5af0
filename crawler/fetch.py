"""HTTP fetching with hard limits: size cap after decompression, total deadline, redirects.

Everything a server sends is hostile until proven otherwise:

* the body is read raw and decompressed here, incrementally, with every decompressor told
  how much output it may produce, so a gzip/deflate/brotli bomb never allocates more than
  ``max_body_bytes`` (+1) of output;
* one deadline covers the whole request (every redirect hop, headers and body), so a
  slow-drip server cannot hold a worker (the crawler's own wait for a hop's politeness slot
  is not counted: that is not the server's time);
* redirects are followed by hand: each hop is checked for scheme, loop and count, and each
  new connection goes through the SSRF guard (:mod:`crawler.guard`);
* no cookies are kept, no proxy or environment configuration is used (no httpx.Client:
  requests go straight to the guarded transport).
"""

from __future__ import annotations

import asyncio
import codecs
import re
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from crawler.errors import (
    BodyTooLarge,
    ConnectFailed,
    DeadlineExceeded,
    DecompressionFailed,
    FetchError,
    InvalidUrl,
    ProtocolError,
    RedirectLoop,
    TlsFailed,
    TooManyRedirects,
    UnsupportedScheme,
)
from crawler.guard import (
    DnsPythonResolver,
    GuardedBackend,
    GuardedTransport,
    Resolver,
    SystemResolver,
    is_public_address,
)
from crawler.settings import CrawlerSettings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})
ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,"
    "application/atom+xml,text/plain;q=0.8,*/*;q=0.5"
)


@dataclass(frozen=True)
class FetchLimits:
    max_body_bytes: int = 5_000_000  # cap on the DECOMPRESSED body, enforced while streaming
    deadline_s: float = 20.0  # total per request, redirects included
    connect_timeout_s: float = 5.0
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: CrawlerSettings) -> FetchLimits:
        return cls(
            max_body_bytes=settings.max_body_bytes,
            deadline_s=settings.fetch_deadline_s,
            connect_timeout_s=settings.connect_timeout_s,
            max_redirects=settings.max_redirects,
        )


@dataclass(frozen=True)
class FetchResponse:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes  # decompressed, never longer than the cap
    content_type: str  # media type only, lower-case ('' when absent)
    charset: str | None  # Python codec name for text bodies, None for binary ones
    elapsed_s: float
    redirects: list[str] = field(default_factory=list)  # every hop's target, in order
    not_modified: bool = False  # 304 to a conditional request

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def text(self) -> str:
        """The body decoded with the detected charset (undecodable bytes replaced)."""
        return self.body.decode(self.charset or "utf-8", errors="replace")


RedirectCheck = Callable[[str], Awaitable[None]]
"""Asked about every redirect target before it is requested; raises a FetchError to refuse.
It is asked once the previous hop's response is closed, and the time it takes does not count
against the request deadline: the crawl loop waits there for the target host's politeness
slot, which is the crawler's own pacing, not time the server took."""


class Fetcher(Protocol):
    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_redirect: RedirectCheck | None = None,
    ) -> FetchResponse: ...

    async def aclose(self) -> None: ...


# --- decompression -------------------------------------------------------------------


class _Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...


class _ZlibDecoder:
    """gzip (multi-member) or deflate (zlib-wrapped or raw), output bounded per call."""

    def __init__(self, encoding: str):
        self._gzip = encoding in ("gzip", "x-gzip")
        self._first = True
        self._obj = self._new()

    def _new(self, raw: bool = False) -> Any:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        out = bytearray()
        try:
            out += self._obj.decompress(data, limit)
        except zlib.error:
            if self._gzip or not self._first:
                raise
            # "deflate" is often sent as raw deflate without the zlib wrapper.
            self._obj = self._new(raw=True)
            out += self._obj.decompress(data, limit)
        self._first = False
        # Further gzip members follow the first one's end.
        while self._gzip and self._obj.eof and self._obj.unused_data and len(out) < limit:
            rest = self._obj.unused_data
            self._obj = self._new()
            out += self._obj.decompress(rest, limit - len(out))
        return bytes(out)


class _BrotliDecoder:
    def __init__(self) -> None:
        import brotli

        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        return bytes(self._obj.process(data, output_buffer_limit=limit))


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data


def _decoders(content_encoding: str) -> list[_Decoder]:
    """Decoders in the order to apply them (Content-Encoding lists them as applied)."""
    names = [p.strip().lower() for p in content_encoding.split(",") if p.strip()]
    names = [n for n in names if n != "identity"]
    if len(names) > 3:
        raise DecompressionFailed(f"too many content encodings: {content_encoding[:100]!r}")
    decoders: list[_Decoder] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip", "deflate"):
            decoders.append(_ZlibDecoder(name))
        elif name == "br":
            decoders.append(_BrotliDecoder())
        else:
            raise DecompressionFailed(f"unsupported content encoding {name[:40]!r}")
    return decoders or [_Identity()]


class BodyReader:
    """Accumulates a body through its decoders, never holding more than ``cap + 1`` bytes."""

    def __init__(self, content_encoding: str, cap: int, url: str = ""):
        self._decoders = _decoders(content_encoding)
        self._cap = cap
        self._url = url
        self._raw_cap = cap + cap // 64 + 65_536
        self.raw_bytes = 0
        self.body = bytearray()

    def feed(self, raw: bytes) -> None:
        self.raw_bytes += len(raw)
        if self.raw_bytes > self._raw_cap:
            self._too_large()
        data = raw
        last = len(self._decoders) - 1
        for index, decoder in enumerate(self._decoders):
            # Asking for one byte more than the room left tells "exactly full" from "over";
            # an inner stage of a chained encoding may not expand past the raw cap either.
            limit = (self._cap - len(self.body) if index == last else self._raw_cap) + 1
            try:
                data = decoder.feed(data, limit)
            except Exception as exc:  # zlib.error, brotli.error: corrupt compressed data
                raise DecompressionFailed(f"{type(exc).__name__}: {exc}", url=self._url) from exc
            if len(data) >= limit:
                self._too_large(data if index == last else b"")
        self.body += data

    def _too_large(self, pending: bytes = b"") -> None:
        # No copies here: the memoryview slice and handing over the buffer itself keep the
        # peak at the body plus one decoder output.
        self.body += memoryview(pending)[: self._cap - len(self.body)]
        partial, self.body = self.body, bytearray()
        raise BodyTooLarge(
            f"body larger than {self._cap} bytes (after decompression)", url=self._url, partial=partial
        )


# --- charset ---------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_\-.]{1,40})""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# WHATWG: these labels mean windows-1252 on the web.
_WEB_ALIASES = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
_SNIFF_BYTES = 16_384  # guessing runs on the event loop: keep it short


def _codec(label: str | bytes | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", errors="ignore")
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
    except (LookupError, ValueError):
        return None
    return _WEB_ALIASES.get(name, name)


def _is_text(content_type: str) -> bool:
    return (
        content_type.startswith("text/")
        or content_type.endswith(("+xml", "/xml", "/json", "+json", "javascript"))
        or content_type in ("", "application/xhtml+xml")
    )


def detect_charset(content_type_header: str, body: bytes) -> str | None:
    """Header charset, then BOM, then <meta>/XML declaration, then a guess; None for binary."""
    media, _, params = content_type_header.partition(";")
    media = media.strip().lower()
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and (found := _codec(value)):
            return found
    if not _is_text(media):
        return None
    head = body[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match and (found := _codec(match.group(1))):
        return found
    sample = body[:_SNIFF_BYTES]
    if b"\x00" in sample[:4096]:
        return None  # binary served as text (UTF-16 without a BOM is not worth a guess)
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4 and len(body) > len(sample):
            return "utf-8"  # only the sample's cut split a multi-byte character
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return _codec(best.encoding) if best is not None else "utf-8"


# --- the fetcher -------------------------------------------------------------------------


def _parse_url(url: str) -> httpx.URL:
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError as exc:
        raise InvalidUrl(f"{url[:200]!r}: {exc}", url=url) from exc
    if scheme not in ALLOWED_SCHEMES:
        raise UnsupportedScheme(f"{scheme or 'no'} scheme: {url[:200]!r}", url=url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
        raise InvalidUrl(f"{url[:200]!r}: {exc}", url=url) from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise UnsupportedScheme(f"{parsed.scheme or 'no'} scheme: {url[:200]!r}", url=url)
    if not parsed.host:
        raise InvalidUrl(f"no host: {url[:200]!r}", url=url)
    return parsed.copy_with(fragment=None)


def _translate(exc: Exception, url: str) -> FetchError:
    """httpx/ssl exceptions -> our tree (the class decides retry)."""
    message = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, ssl.SSLError) or "SSL" in message or "CERTIFICATE" in message.upper():
        return TlsFailed(message, url=url)
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return ConnectFailed(message, url=url)
    if isinstance(exc, httpx.TimeoutException):
        return DeadlineExceeded(message, url=url)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return UnsupportedScheme(message, url=url)
    if isinstance(exc, httpx.InvalidURL):
        return InvalidUrl(message, url=url)
    return ProtocolError(message, url=url)


async def _drain(response: httpx.Response, limit: int = 65_536) -> None:
    """Read a small redirect body so its connection can be reused; a large one is dropped
    (closing the response then closes the connection instead)."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > limit:
            return


async def _off_the_clock(deadline: asyncio.Timeout, step: Awaitable[None]) -> None:
    """Await ``step`` with the request deadline stopped, then give back what was left of it.

    The deadline is stopped rather than extended afterwards because a deadline that fired
    during the step could not be moved any more (and would refuse the hop as if the server
    were slow)."""
    loop = asyncio.get_running_loop()
    when = deadline.when()
    left = None if when is None else when - loop.time()
    deadline.reschedule(None)
    try:
        await step
    finally:
        deadline.reschedule(None if left is None else loop.time() + left)


class HttpFetcher:
    """The production :class:`Fetcher`: httpx over the SSRF-guarded transport."""

    def __init__(
        self,
        settings: CrawlerSettings,
        limits: FetchLimits | None = None,
        *,
        resolver: Resolver | None = None,
        permits: Callable[[str], bool] = is_public_address,
    ):
        self.settings = settings
        self.limits = limits or FetchLimits.from_settings(settings)
        if resolver is None:
            resolver = (
                DnsPythonResolver(settings.http_nameservers, timeout_s=self.limits.connect_timeout_s)
                if settings.http_nameservers
                else SystemResolver()
            )
        self.backend = GuardedBackend(
            resolve_map=settings.resolve,
            allow_private=settings.allow_private_addresses,
            resolver=resolver,
            permits=permits,
        )
        # Per origin: the host gates allow per_host_concurrency requests; redirects from
        # other hosts and robots.txt may add a few more.
        per_host = max(settings.per_host_concurrency, 1)
        pool = httpx.Limits(
            max_connections=per_host * 2, max_keepalive_connections=per_host, keepalive_expiry=30.0
        )
        budget = self.limits.deadline_s
        self._timeout = httpx.Timeout(
            connect=self.limits.connect_timeout_s, read=budget, write=budget, pool=budget
        ).as_dict()
        # The transport is used directly (no httpx.Client): no cookies, no proxies or
        # environment settings, no automatic redirects; each hop is built and checked here.
        self._transport = GuardedTransport(
            self.backend, limits=pool, max_origins=max(settings.concurrency, 8) * 2
        )
        self._headers = {
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate, br",
        }

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_redirect: RedirectCheck | None = None,
    ) -> FetchResponse:
        """GET ``url``, following redirects; ``check_redirect`` may refuse any hop (the crawl
        loop uses it to apply robots.txt to every redirect target)."""
        headers = dict(self._headers)
        if etag:
            headers["If-None-Match"] = etag[:1024]
        if last_modified:
            headers["If-Modified-Since"] = last_modified[:200]
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.limits.deadline_s) as deadline:
                return await self._follow(url, headers, started, check_redirect, deadline)
        except FetchError:
            raise
        except TimeoutError as exc:
            raise DeadlineExceeded(
                f"no complete response within {self.limits.deadline_s:g}s", url=url
            ) from exc
        except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
            raise _translate(exc, url) from exc

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        started: float,
        check_redirect: RedirectCheck | None,
        deadline: asyncio.Timeout,
    ) -> FetchResponse:
        current = _parse_url(url)
        seen = {str(current)}
        redirects: list[str] = []
        while True:
            request = httpx.Request("GET", current, headers=headers, extensions={"timeout": self._timeout})
            response = await self._transport.handle_async_request(request)
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    return await self._complete(url, current, response, redirects, started)
                target = self._next_hop(current, location, seen, redirects, url)
                await _drain(response)
            finally:
                await response.aclose()
            # The hop the visit leaves is finished before the check: the crawl loop gives
            # that host's politeness slot back there, so nothing may still use it after.
            if check_redirect is not None:
                await _off_the_clock(deadline, check_redirect(str(target)))
            redirects.append(str(target))
            seen.add(str(target))
            current = target

    def _next_hop(
        self, current: httpx.URL, location: str, seen: set[str], redirects: list[str], url: str
    ) -> httpx.URL:
        try:
            joined = urljoin(str(current), location.strip())
        except (ValueError, TypeError, UnicodeError) as exc:
            raise InvalidUrl(f"bad Location {location[:200]!r}: {exc}", url=url) from exc
        target = _parse_url(str(joined))
        if str(target) in seen:
            raise RedirectLoop(f"redirect loop back to {str(target)[:200]}", url=url)
        if len(redirects) >= self.limits.max_redirects:
            raise TooManyRedirects(f"more than {self.limits.max_redirects} redirects", url=url)
        return target

    async def _complete(
        self,
        url: str,
        current: httpx.URL,
        response: httpx.Response,
        redirects: list[str],
        started: float,
    ) -> FetchResponse:
        headers = {k.lower(): v for k, v in response.headers.items()}
        content_type_header = headers.get("content-type", "")
        content_type = content_type_header.partition(";")[0].strip().lower()
        not_modified = response.status_code == 304
        body = b""
        if not not_modified:
            reader = BodyReader(headers.get("content-encoding", ""), self.limits.max_body_bytes, url=url)
            async for chunk in response.aiter_raw():
                reader.feed(chunk)
            body = bytes(reader.body)
        return FetchResponse(
            url=url,
            final_url=str(current),
            status=response.status_code,
            headers=headers,
            body=body,
            content_type=content_type,
            charset=detect_charset(content_type_header, body) if body else None,
            elapsed_s=time.monotonic() - started,
            redirects=redirects,
            not_modified=not_modified,
        )
