"""Loopback TLS endpoints for the scheme-fallback tests: certificates made at test time
(trustme), a TLS server, and a port that answers a TLS handshake with plain HTTP.

The test CA is added to the crawler's one verified TLS context (as a system CA store would
hold it), so a certificate from it verifies unless it is expired: the crawler's own
verification runs, never ``verify=False``. It holds no tests itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import trustme

from crawler.guard import _verified_context
from tests.support.loopback_http import Handler, LoopbackHttp, Request, send


@dataclass
class Certificates:
    ca: trustme.CA
    valid: ssl.SSLContext
    expired: ssl.SSLContext


def certificates(*hosts: str) -> Certificates:
    """Server contexts with a valid and an expired certificate for ``hosts``; the CA is
    trusted by the crawler from now on."""
    ca = trustme.CA()
    ca.configure_trust(_verified_context())
    now = datetime.now(UTC)
    valid = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(valid)
    expired = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    old = ca.issue_cert(*hosts, not_before=now - timedelta(days=400), not_after=now - timedelta(days=30))
    old.configure_cert(expired)
    return Certificates(ca, valid, expired)


@dataclass
class TlsHttp(LoopbackHttp):
    """:class:`LoopbackHttp` over TLS: its log holds only requests whose handshake passed."""

    context: ssl.SSLContext | None = None

    async def __aenter__(self) -> TlsHttp:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, ssl=self.context, ssl_handshake_timeout=5.0
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self


@dataclass
class NotTls(LoopbackHttp):
    """A port where a plain HTTP server listens: a TLS ClientHello gets a plain ``400`` back
    (as nginx answers on a plain port), so the client's handshake fails at once.
    ``connections`` counts the handshakes tried."""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(Exception):
            await reader.read(1)
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        with contextlib.suppress(Exception):
            writer.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redirect_all(scheme_host: str) -> Handler:
    """A handler sending every request to the same path on ``scheme_host``."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        await send(writer, 301, b"", {"Location": f"{scheme_host}{request.path}"})

    return handler
