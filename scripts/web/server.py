"""The HTTP server under the UI: uvicorn on a socket bound before it starts, with a deadline
for every request's headers.

Binding first lets ``serve`` say "address in use" in one line before anything else runs.
uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but once any byte
arrives it waits for the rest of the headers for ever, and a connection that never sends a
byte is never closed: a few hundred such clients would hold the server's file descriptors.
:class:`HeaderDeadlineProtocol` closes a connection whose request headers are not complete
``header_timeout_s`` after it opened or after its previous response.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class AddressInUse(Exception):
    """The UI's host and port are taken by another program."""


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that are too slow to send headers."""

    header_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_deadline()  # the headers are in: the request is being served

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE:
            self._arm_header_deadline()  # the next request's headers are due from now

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
            raise AddressInUse(f"{host}:{port} is already in use by another program") from exc
        raise
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
        timeout_keep_alive=max(1, round(keep_alive_s)),
    )
    instance = uvicorn.Server(config)
    instance.run(sockets=[sock])
    return instance.started
