"""What a handler gives the HTTP server: a status, headers and a body (bytes or a writer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# Writes the body itself (after the server wrote the head) and returns the bytes it sent.
BodyWriter = Callable[[asyncio.StreamWriter], Awaitable[int]]
# Takes over the connection completely (no head written by the server); returns bytes sent.
RawWriter = Callable[[asyncio.StreamWriter], Awaitable[int]]


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    body_writer: BodyWriter | None = None
    raw: RawWriter | None = None
    # Content-Length to announce for a streamed body; None with body_writer means chunked.
    length: int | None = None
    close: bool = False


REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
