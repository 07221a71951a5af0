"""SSRF guard: which addresses the crawler may connect to, checked on the address actually used.

Customer domains are untrusted input: a domain (or a redirect) can point at loopback, the
cloud metadata service or an office network. Every TCP connection the fetcher opens goes
through :class:`GuardedBackend`, which

1. takes the target from the ``resolve`` map (the only opt-in besides
   ``allow_private_addresses``) or resolves the host name exactly once,
2. checks every candidate address with :func:`is_public_address`, and
3. connects to the checked IP literal itself, so no second DNS lookup can swap the address
   (DNS rebinding). The Host header and TLS SNI keep the original host name because the
   HTTP layer never sees the rewrite.

Because the check sits under the connection pool, it covers the first request, every
redirect hop and every new connection, whatever the URL looked like (decimal or octal IPv4,
IPv4-mapped IPv6, names that resolve to private space).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import httpcore
import httpx

from crawler.errors import BlockedAddress, ConnectFailed, DnsFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Prefixes whose low 32 bits carry an IPv4 address that the packet really reaches.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
# Python counts some ranges as global that a crawler must never reach.
_ALWAYS_BLOCKED = (
    ipaddress.ip_network("100.64.0.0/10"),  # CGNAT (is_global is already False; explicit)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("255.255.255.255/32"),
)
_MAX_CANDIDATES = 8  # a hostile resolver cannot make us try hundreds of addresses


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible (deprecated) ::a.b.c.d
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str | IPAddress) -> bool:
    """True only for globally routable unicast addresses (the crawler's default world)."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
    refused = [
        ip.is_loopback,
        ip.is_private,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_unspecified,
        ip.is_reserved,
    ]
    if isinstance(ip, ipaddress.IPv6Address):
        refused.append(ip.is_site_local)
    if any(refused):
        return False
    if any(ip in net for net in _ALWAYS_BLOCKED if net.version == ip.version):
        return False
    return ip.is_global


def check_address(
    address: str,
    *,
    allow_private: bool,
    host: str = "",
    permits: Callable[[str], bool] = is_public_address,
) -> str:
    """Return the address if the crawler may connect to it, else raise BlockedAddress."""
    try:
        ipaddress.ip_address(address)
    except ValueError as exc:
        raise BlockedAddress(f"{host or address}: not an IP address: {address!r}") from exc
    if allow_private or permits(address):
        return address
    raise BlockedAddress(f"{host or address} -> {address}: non-public address refused")


def split_host_port(value: str) -> tuple[str, int | None]:
    """'1.2.3.4', '1.2.3.4:53', '::1', '[::1]:53' -> (host, port or None)."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port else None
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, int(port)
    return value, None


def _ip_literal(host: str) -> str | None:
    """The address a host string denotes by itself, including the legacy IPv4 spellings
    ('2130706433', '0x7f.1', '017700000001') that resolvers and browsers accept."""
    host = host.strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


class Resolver(Protocol):
    """Turns a host name into candidate IP addresses (strings), at most once per connection."""

    async def resolve(self, host: str) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo in a thread)."""

    async def resolve(self, host: str) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise DnsFailed(f"{host}: {exc}") from exc
        seen: dict[str, None] = {}
        for _family, _type, _proto, _name, sockaddr in infos:
            seen.setdefault(str(sockaddr[0]).split("%")[0], None)
        return list(seen)


class DnsPythonResolver:
    """A/AAAA lookups against explicit nameservers ('ip' or 'ip:port') with dnspython."""

    def __init__(self, nameservers: Sequence[str], timeout_s: float = 5.0):
        import dns.asyncresolver
        import dns.nameserver

        self._resolver = dns.asyncresolver.Resolver(configure=False)
        servers: list[dns.nameserver.Nameserver] = []
        for entry in nameservers:
            host, port = split_host_port(entry)
            servers.append(dns.nameserver.Do53Nameserver(host, port or 53))
        self._resolver.nameservers = servers
        self._resolver.lifetime = timeout_s
        self._resolver.timeout = timeout_s

    async def resolve(self, host: str) -> list[str]:
        import dns.exception
        import dns.resolver

        found: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self._resolver.resolve(host, rdtype, search=False)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
                continue
            except dns.exception.DNSException as exc:
                raise DnsFailed(f"{host}: {exc}") from exc
            found.extend(str(rdata.address) for rdata in answer)
        if not found:
            raise DnsFailed(f"{host}: no A/AAAA records")
        return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that connects only to checked IP literals."""

    def __init__(
        self,
        *,
        resolve_map: Mapping[str, str],
        allow_private: bool,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
        permits: Callable[[str], bool] = is_public_address,
    ):
        """``permits`` decides which addresses count as public (tests can widen it to one
        loopback address to stand in for a public web site)."""
        self._resolve_map = {k.lower().rstrip("."): v for k, v in resolve_map.items()}
        self._allow_private = allow_private
        self._resolver = resolver
        self._permits = permits
        self._inner = inner or httpcore.AnyIOBackend()
        self.connected: list[tuple[str, str, int]] = []  # (host, ip, port), bounded below

    async def targets(self, host: str, port: int) -> list[tuple[str, int]]:
        """The checked (ip, port) pairs a connection to host:port may use, in order."""
        name = host.lower().rstrip(".")
        # 'host:port' (as curl's --resolve) wins over 'host': one port of a host can be
        # sent elsewhere (tests put a site's HTTPS and HTTP on different loopback ports).
        override = self._resolve_map.get(f"{name}:{port}") or self._resolve_map.get(name)
        if override is not None:
            ip, mapped_port = split_host_port(override)
            literal = _ip_literal(ip)
            if literal is None:
                raise BlockedAddress(f"{host}: resolve map entry {override!r} is not an IP")
            return [
                (
                    check_address(
                        literal, allow_private=self._allow_private, host=host, permits=self._permits
                    ),
                    mapped_port or port,
                )
            ]
        literal = _ip_literal(name)
        if name == "localhost" or name.endswith(".localhost"):
            literal = "127.0.0.1"  # RFC 6761: never sent to a resolver, always loopback
        candidates = [literal] if literal else (await self._resolver.resolve(name))
        allowed: list[tuple[str, int]] = []
        refused: list[str] = []
        for address in candidates[:_MAX_CANDIDATES]:
            try:
                allowed.append(
                    (check_address(address, allow_private=self._allow_private, permits=self._permits), port)
                )
            except BlockedAddress:
                refused.append(address)
        if not allowed:
            raise BlockedAddress(f"{host} -> {', '.join(refused) or 'nothing'}: refused")
        return allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                targets = await self.targets(host, port)
        except TimeoutError as exc:
            raise DnsFailed(f"{host}: no answer within {timeout}s") from exc
        last_error: Exception | None = None
        for ip, target_port in targets[:3]:
            try:
                stream = await self._inner.connect_tcp(
                    ip,
                    target_port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                last_error = exc
                continue
            if len(self.connected) < 10_000:
                self.connected.append((host, ip, target_port))
            return stream
        raise ConnectFailed(f"{host}:{port}: {last_error}") from last_error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are never used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _verified_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.2 s; one context is shared by every fetcher.
    return ssl.create_default_context()


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    return ssl._create_unverified_context()


class _OriginPool:
    """One origin's connection pool and the requests it is serving now."""

    def __init__(self, pool: httpcore.AsyncConnectionPool):
        self.pool = pool
        self.active = 0


class _CountedStream(httpx.AsyncByteStream):
    """A response body that tells its origin pool when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, origin: _OriginPool):
        self._inner = inner
        self._origin: _OriginPool | None = origin

    async def __aiter__(self) -> Any:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._origin is not None:
                self._origin.active -= 1
                self._origin = None


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose every connection goes through :class:`GuardedBackend`.

    No proxy and no environment configuration: a proxy would connect on our behalf to
    addresses the guard never saw.

    Each origin (scheme, host, port) gets its own small httpcore pool, sized by ``limits``.
    httpcore assigns a request by scanning every connection of its pool (and every queued
    request) on each request and each response close; with one pool for a crawl of many
    hosts that scan cost more CPU than the HTTP itself. At most ``max_origins`` pools are
    kept; beyond that the least recently used idle ones are closed.
    """

    def __init__(
        self,
        backend: GuardedBackend,
        *,
        limits: httpx.Limits,
        verify: bool = True,
        max_origins: int = 256,
    ):
        self.backend = backend
        self._context = _verified_context() if verify else _unverified_context()
        self._limits = limits
        self._max_origins = max(1, max_origins)
        self._origins: OrderedDict[tuple[bytes, bytes, int | None], _OriginPool] = OrderedDict()

    def _new_pool(self) -> httpcore.AsyncConnectionPool:
        limits = self._limits
        return httpcore.AsyncConnectionPool(
            ssl_context=self._context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=self.backend,
        )

    async def _origin(self, key: tuple[bytes, bytes, int | None]) -> _OriginPool:
        origin = self._origins.get(key)
        if origin is not None:
            self._origins.move_to_end(key)
            return origin
        if len(self._origins) >= self._max_origins:
            await self._evict_idle(len(self._origins) - self._max_origins + 1)
            if (origin := self._origins.get(key)) is not None:  # made while we closed others
                return origin
        origin = _OriginPool(self._new_pool())
        self._origins[key] = origin
        return origin

    async def _evict_idle(self, count: int) -> None:
        idle = [key for key, origin in self._origins.items() if origin.active == 0][:count]
        closing = [self._origins.pop(key) for key in idle]  # before any await: others evict too
        for origin in closing:
            await origin.pool.aclose()

    @property
    def origins(self) -> int:
        """Origins with a pool now (bounded by ``max_origins`` plus busy ones)."""
        return len(self._origins)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Same mapping as httpx's own transport (httpx._transports.default), kept here so the
        # pool can carry our network backend.
        from httpx._transports.default import AsyncResponseStream, map_httpcore_exceptions

        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        origin = await self._origin((url.raw_scheme, url.raw_host, url.port))
        origin.active += 1
        try:
            with map_httpcore_exceptions():
                response = await origin.pool.handle_async_request(core_request)
        except BaseException:
            origin.active -= 1
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CountedStream(AsyncResponseStream(response.stream), origin),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        origins, self._origins = list(self._origins.values()), OrderedDict()
        for origin in origins:
            await origin.pool.aclose()
