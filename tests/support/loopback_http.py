"""Loopback HTTP and DNS servers the network-layer tests drive (real sockets, no mocks).

Kept as a module of its own so the fetch, guard, robots and technographics tests share them;
it holds no tests itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    host_port: tuple[str, int]


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


async def send(
    writer: asyncio.StreamWriter,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    head = [f"HTTP/1.1 {status} X"]
    all_headers = {"Content-Length": str(len(body)), "Connection": "close"}
    all_headers.update(headers or {})
    head += [f"{k}: {v}" for k, v in all_headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


@dataclass
class LoopbackHttp:
    """An HTTP/1.1 server on a loopback address with per-path handlers and a request log."""

    host: str = "127.0.0.1"
    routes: dict[str, Handler] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register

    def static(self, path: str, status: int = 200, body: bytes = b"", **headers: str) -> None:
        async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
            await send(writer, status, body, {k.replace("_", "-"): v for k, v in headers.items()})

        self.routes[path] = handler

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> LoopbackHttp:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 1.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            request = Request(method, path, headers, writer.get_extra_info("sockname")[:2])
            self.log.append(request)
            handler = self.routes.get(path.split("?")[0])
            if handler is None:
                await send(writer, 404, b"not found")
            else:
                await handler(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: LoopbackDns):
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.server.queries.append((name, rdtype))
        answers = self.server.answer(name, rdtype)
        if answers is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif answers:
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", rdtype, answers))
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@dataclass
class LoopbackDns:
    """A UDP DNS server on 127.0.0.1: records[(name, type)] -> list of rdata texts.

    ``records`` values may also be callables returning the list, so a test can change the
    answer between two lookups (DNS rebinding).
    """

    records: dict[tuple[str, str], object] = field(default_factory=dict)
    queries: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0
    _transport: asyncio.BaseTransport | None = None

    def answer(self, name: str, rdtype: str) -> list[str] | None:
        known = {n for n, _ in self.records}
        value = self.records.get((name, rdtype))
        if callable(value):
            value = value()
        if value is None:
            return [] if name in known else None
        assert isinstance(value, list)
        return value

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> LoopbackDns:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._transport, _ = await loop.create_datagram_endpoint(lambda: _DnsProtocol(self), sock=sock)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._transport is not None
        self._transport.close()
