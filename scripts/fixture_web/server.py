"""The fixture web's HTTP server: one asyncio listener serving every fictional host.

A minimal HTTP/1.1 implementation on ``asyncio.start_server`` (keep-alive, HEAD, conditional
GET, gzip when the site does it) keeps the per-request cost small enough that a crawl
benchmark on two cores measures the crawler, not this server. Rendered pages are cached per
(host, target, clock version); every request is logged cheaply for politeness checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from html import escape
from pathlib import Path
from types import TracebackType

from scripts.fixture_web import hostile, site
from scripts.fixture_web.clock import Clock
from scripts.fixture_web.dns import DnsServer
from scripts.fixture_web.responses import REASONS, Response
from scripts.fixture_web.world import Company, World

MAX_HEAD_BYTES = 64 * 1024
MAX_REQUEST_BODY = 1024 * 1024
IDLE_TIMEOUT = 30.0
CACHE_ENTRIES = 8192


@dataclass(slots=True)
class LogRecord:
    time: float
    host: str
    path: str
    status: int
    user_agent: str
    bytes: int
    method: str = "GET"
    conditional: bool = False


@dataclass(slots=True)
class Request:
    method: str
    target: str
    path: str
    query: str
    version: str
    headers: dict[str, str]

    @property
    def host(self) -> str:
        raw = self.headers.get("host", "").strip().lower()
        if raw.startswith("["):
            return raw
        return raw.rsplit(":", 1)[0] if ":" in raw else raw


@dataclass(slots=True)
class _Prepared:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    last_modified: datetime | None
    gzip_ok: bool
    gzipped: bytes | None = None


def parse_head(head: bytes) -> Request | None:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
        return None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return None
        headers[name.strip().lower()] = value.strip()
    if target.startswith("http://") or target.startswith("https://"):
        # absolute-form: the host in the target wins
        rest = target.split("://", 1)[1]
        authority, _, tail = rest.partition("/")
        headers["host"] = authority
        target = "/" + tail
    path, _, query = target.partition("?")
    return Request(method, target, path or "/", query, version, headers)


class _DateHeader:
    """The Date header, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def __call__(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._value = formatdate(second, usegmt=True)
        return self._value


def _http_date(when: datetime) -> str:
    return formatdate(when.timestamp(), usegmt=True)


def _moved(company: Company, target: str) -> bytes:
    location = escape(f"{company.base_url}{target}")
    return (
        f"<!DOCTYPE html><html><head><title>301 Moved Permanently</title></head><body>"
        f"<h1>Moved Permanently</h1><p>{escape(company.name)} is now at "
        f'<a href="{location}">{location}</a>.</p></body></html>'
    ).encode()


def _strip_weak(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


class FixtureWeb:
    """Serve a ``World`` over HTTP (by Host header) and DNS on loopback.

    ``port=0`` / ``dns_port=0`` pick free ports; ``dns_port=None`` runs no DNS server.
    """

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        dns_port: int | None = 0,
        clock: Clock | None = None,
        max_log: int | None = None,
    ) -> None:
        self.world = world
        self.max_log = max_log  # keep at most this many log records (oldest dropped)
        self.host = host
        self.port = port
        self.dns_port = dns_port
        self.clock = clock or Clock(world.now)
        self.request_log: list[LogRecord] = []
        self._server: asyncio.Server | None = None
        self._dns: DnsServer | None = None
        self._cache: OrderedDict[tuple[str, str, int], _Prepared] = OrderedDict()
        self._date = _DateHeader()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, limit=MAX_HEAD_BYTES, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.dns_port is not None:
            self._dns = DnsServer(self.world, self.host, self.dns_port)
            await self._dns.start()
            self.dns_port = self._dns.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None
        if self._dns is not None:
            self._dns.close()
            self._dns = None

    async def __aenter__(self) -> FixtureWeb:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- what clients need ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.dns_port}"

    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def resolve_map(self) -> dict[str, str]:
        """Every host this web serves -> 'address:port' (the crawler's `resolve` setting)."""
        address = self.address()
        return {name: address for name in self.world.hosts()}

    # -- HTTP -------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.CancelledError, TimeoutError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
            except asyncio.LimitOverrunError:
                writer.write(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                return
            except (asyncio.IncompleteReadError, TimeoutError):
                return
            request = parse_head(head)
            if request is None:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            length = request.headers.get("content-length")
            if length:
                try:
                    size = int(length)
                except ValueError:
                    return
                if size > MAX_REQUEST_BODY:
                    return
                await reader.readexactly(size)
            try:
                response = self.respond(request)
            except Exception as exc:  # a rendering bug must not look like a network failure
                response = Response(
                    500, [("Content-Type", "text/plain")], f"fixture web error: {exc!r}".encode()
                )
            keep = await self._write(writer, request, response)
            if not keep:
                return

    def respond(self, request: Request) -> Response:
        host = request.host
        name = hostile.name_of(host)
        if name is not None:
            return hostile.respond(name, request.path)
        if request.method not in {"GET", "HEAD"}:
            return Response(
                405, [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")], b"method not allowed"
            )
        world = self.world
        company = world.by_host.get(host)
        if company is not None and host != company.www_host:
            return Response(
                301,
                [
                    ("Location", f"{company.base_url}{request.target}"),
                    ("Content-Type", "text/html; charset=utf-8"),
                ],
                _moved(company, request.target),
            )
        prepared = self._prepared(host, request, company)
        return self._conditional(request, prepared, company)

    def _prepared(self, host: str, request: Request, company: Company | None) -> _Prepared:
        key = (host, request.target, self.clock.version)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        now = self.clock.now
        world = self.world
        if company is not None:
            page = site.company_page(world, company, request.path, now)
        elif host == world.forum_host:
            page = site.forum_page(world, request.path, request.query, now)
        elif host == world.social_host:
            page = site.social_page(world, request.path, now)
        else:
            page = site.not_found(f"No site is configured for host {host!r}")
        headers = [("Content-Type", page.content_type), *page.headers]
        etag = '"' + hashlib.blake2b(page.body, digest_size=8).hexdigest() + '"'
        prepared = _Prepared(page.status, headers, page.body, etag, page.last_modified, page.gzip_ok)
        self._cache[key] = prepared
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return prepared

    def _conditional(self, request: Request, page: _Prepared, company: Company | None) -> Response:
        headers = list(page.headers)
        if page.status != 200:
            return Response(page.status, headers, page.body)
        use_gzip = (
            page.gzip_ok
            and company is not None
            and company.gzip_responses
            and len(page.body) > 1024
            and "gzip" in request.headers.get("accept-encoding", "")
        )
        etag = f"W/{page.etag}" if use_gzip else page.etag
        headers.append(("ETag", etag))
        if page.last_modified is not None:
            headers.append(("Last-Modified", _http_date(page.last_modified)))
        if company is not None and company.gzip_responses:
            headers.append(("Vary", "Accept-Encoding"))
        if self._not_modified(request, page):
            kept = [(k, v) for k, v in headers if k in {"ETag", "Last-Modified", "Vary"}]
            return Response(304, kept)
        if use_gzip:
            if page.gzipped is None:
                page.gzipped = gzip.compress(page.body, 5, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
            return Response(200, headers, page.gzipped)
        return Response(200, headers, page.body)

    @staticmethod
    def _not_modified(request: Request, page: _Prepared) -> bool:
        match = request.headers.get("if-none-match")
        if match is not None:
            tags = {_strip_weak(t) for t in match.split(",")}
            return "*" in tags or page.etag in tags
        since = request.headers.get("if-modified-since")
        if since and page.last_modified is not None:
            try:
                when = parsedate_to_datetime(since)
            except (TypeError, ValueError, IndexError):
                return False
            if when.tzinfo is None:
                return False
            return int(page.last_modified.timestamp()) <= when.timestamp()
        return False

    async def _write(self, writer: asyncio.StreamWriter, request: Request, response: Response) -> bool:
        keep = not response.close and request.headers.get("connection", "").lower() != "close"
        if (
            request.version == "HTTP/1.0"
            and "keep-alive" not in request.headers.get("connection", "").lower()
        ):
            keep = False
        sent = 0
        if response.raw is not None:
            try:
                sent = await response.raw(writer)
            finally:
                self._log(request, response.status, sent)
            return False
        lines = [
            f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Unknown')}",
            f"Date: {self._date()}",
        ]
        lines += [f"{k}: {v}" for k, v in response.headers]
        if response.body_writer is not None:
            if response.length is not None:
                lines.append(f"Content-Length: {response.length}")
            else:
                lines.append("Transfer-Encoding: chunked")
        elif response.status != 304:
            lines.append(f"Content-Length: {len(response.body)}")
        lines.append("Connection: keep-alive" if keep else "Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        head_only = request.method == "HEAD" or response.status == 304
        try:
            if response.body_writer is not None and not head_only:
                writer.write(head)
                await writer.drain()
                sent = await response.body_writer(writer)
            else:
                body = b"" if head_only else response.body
                writer.write(head + body)
                sent = len(body)
                if writer.transport.get_write_buffer_size() > 256 * 1024:
                    await writer.drain()
        finally:
            self._log(request, response.status, sent)
        return keep

    def write_request_log(self, path: str | Path) -> Path:
        """The request log as JSON lines (one object per request)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as handle:
            for record in self.request_log:
                handle.write(json.dumps(asdict(record)) + "\n")
        return target

    def _log(self, request: Request, status: int, sent: int) -> None:
        headers = request.headers
        if self.max_log is not None and len(self.request_log) >= self.max_log:
            del self.request_log[: max(1, self.max_log // 2)]
        self.request_log.append(
            LogRecord(
                time.time(),
                request.host,
                request.target,
                status,
                headers.get("user-agent", ""),
                sent,
                request.method,
                "if-none-match" in headers or "if-modified-since" in headers,
            )
        )
