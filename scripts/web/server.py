"""The HTTP server under the UI: uvicorn on a socket bound before it starts, with a deadline
for every request's headers and a keep-alive timeout longer than clients' own.

Binding first lets ``serve`` say "address in use" in one line before anything else runs.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but once a byte of
the next request arrives it waits for the rest of the headers for ever, and a connection that
never sends a byte is never closed: a few hundred such clients would hold every file
descriptor. :class:`HeaderDeadlineProtocol` closes a connection whose request headers are not
complete ``header_timeout_s`` after it opened, or after the first byte of a later request.

The keep-alive timeout is ``[web] keep_alive_s`` (75 s), not uvicorn's 5 s. A client that
reuses a connection after about as long as the server's timeout sends its request into a
connection the server is closing, and gets no answer. That is how requests were dropped while
`monthly` ran: the reads themselves were never refused, but a client that came back to its
connection about 5 s after its previous answer (a load client starved of CPU by the monthly
run; pooled clients such as httpx, 5 s, and aiohttp, 15 s, expire idle connections at about
that age themselves) lost its request. A server should keep connections longer than its
clients do.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from common.errors import AscentError


class AddressInUse(AscentError):
    """The UI's host and port are taken by another program (exit 5)."""


class CannotListen(AscentError):
    """The UI cannot listen on its host and port for another reason (no such address, no
    permission)."""


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that are too slow to send headers."""

    header_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_header_deadline()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # While idle between requests the keep-alive timeout applies; the first byte of the
        # next request starts its deadline (later bytes do not move it: a client sending one
        # byte every few seconds gets no more time than one sending none).
        if self.conn.their_state is h11.IDLE:
            self._arm_header_deadline()
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_deadline()  # the headers are in: the request is being served

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None and not self.transport.is_closing():
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (IPv4 or IPv6); AddressInUse when it is taken."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(
                f"{host}:{port} is already in use by another program; "
                "choose another with --port or [web] port"
            ) from exc
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def run(app: Any, sock: socket.socket, *, header_timeout_s: float, keep_alive_s: float) -> bool:
    """Serve ``app`` on an already bound socket until SIGINT or SIGTERM; False when the app
    failed to start (uvicorn has logged why)."""
    protocol = type("Protocol", (HeaderDeadlineProtocol,), {"header_timeout_s": header_timeout_s})
    config = uvicorn.Config(
        app,
        http=protocol,
        log_level="warning",
        server_header=False,
        # Which proxies are believed is the UI's own setting ([web] trusted_proxies), not
        # uvicorn's: the connection's address stays the peer's.
        proxy_headers=False,
        timeout_keep_alive=max(1, round(keep_alive_s)),
    )
    instance = uvicorn.Server(config)
    instance.run(sockets=[sock])
    return instance.started
