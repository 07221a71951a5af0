"""A catalogue of misbehaving endpoints, each on its own host under ``badhost.com``.

Each entry says what the endpoint does and what a well-behaved crawler is expected to do
about it; the list goes into the ground truth under "hostile". Big bodies are streamed (never
held in memory) and the compression bombs are built once per process and cached.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from email.utils import formatdate
from functools import cache
from time import time

import brotli

from scripts.fixture_web.responses import Response

HOSTILE_DOMAIN = "badhost.com"
BIG_BODY_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 256 * 1024 * 1024
HUGE_ROBOTS_BYTES = 10 * 1024 * 1024
HUGE_FEED_ITEMS = 200_000
SLOW_DRIP_SECONDS = 600.0
HANG_SECONDS = 3600.0
REDIRECT_CHAIN = 25

# name -> (path to start from, what it does, what a crawler should do)
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "slow-drip": (
        "/",
        "200 with Content-Length 1 MB, then one byte every 0.2 s (slow-loris body)",
        "abort on the total request deadline",
    ),
    "slow-headers": (
        "/",
        "sends the status line and headers one byte every 0.3 s",
        "abort on the total request deadline",
    ),
    "hang": ("/", "reads the request and never answers", "abort on the request deadline"),
    "error-500": ("/", "500 Internal Server Error on every path", "record the error, back off"),
    "error-503": ("/", "503 with Retry-After: 120", "wait at least 120 s before retrying"),
    "rate-limit": ("/", "429 with Retry-After: 30 (seconds)", "pause the host for 30 s"),
    "rate-limit-date": (
        "/",
        "429 with Retry-After as an HTTP-date 60 s ahead",
        "pause the host until that date",
    ),
    "redirect-loop": ("/", "/ -> /loop/a -> /loop/b -> /loop/a ...", "detect the loop and stop"),
    "redirect-chain": ("/", f"{REDIRECT_CHAIN} redirects before a 200 page", "stop at the redirect limit"),
    "redirect-loopback": ("/", "302 to http://127.0.0.1/", "refuse (SSRF guard)"),
    "redirect-metadata": ("/", "302 to http://169.254.169.254/latest/meta-data/", "refuse (SSRF guard)"),
    "redirect-scheme": ("/", "302 to file:///etc/passwd", "refuse: only http and https"),
    "robots-redirect-hop": (
        "/",
        "302 to /private/moved, which its robots.txt disallows",
        "check robots.txt on every hop: never request the target",
    ),
    "robots-redirect-hop-elsewhere": (
        "/",
        "302 to /private/ on robots-redirect-hop.badhost.com, which that host's robots.txt disallows",
        "check the other host's robots.txt: never request the target",
    ),
    "huge-body": ("/", "200 text/html with a 50 MB body (Content-Length given)", "stop at the body size cap"),
    "huge-chunked": (
        "/",
        "200 text/html, 50 MB chunked without Content-Length",
        "stop at the body size cap while streaming",
    ),
    "gzip-bomb": (
        "/",
        "Content-Encoding: gzip, ~260 KB that inflates to 256 MB",
        "stop at the decompressed size cap",
    ),
    "brotli-bomb": (
        "/",
        "Content-Encoding: br, ~50 KB that inflates to 256 MB",
        "stop at the decompressed size cap",
    ),
    "bad-gzip": ("/", "Content-Encoding: gzip on a body that is not gzip", "record a decoding error"),
    "charset-wrong": ("/", "header says utf-8, body is windows-1252", "decode without crashing"),
    "charset-missing": ("/", "no charset anywhere, body is ISO-8859-1", "detect the charset"),
    "charset-meta-only": ("/", "charset only in <meta> (windows-1252)", "honour the meta tag"),
    "charset-shift-jis": ("/", "Shift_JIS declared in the header", "decode as Shift_JIS"),
    "invalid-utf8": (
        "/",
        "declared utf-8 with invalid byte sequences",
        "decode with replacement, never crash",
    ),
    "deep-nesting": ("/", "HTML nested 100,000 <div>s deep", "parse without recursion errors"),
    "huge-attribute": ("/", "one attribute value of 5 MB", "cap or skip, never hang"),
    "broken-html": ("/", "unclosed and mismatched tags, stray bytes", "extract what it can"),
    "binary-as-html": ("/", "PNG bytes served as text/html", "detect binary and skip"),
    "truncated-body": (
        "/",
        "Content-Length 100000 but only 500 bytes, then close",
        "record a truncated response",
    ),
    "empty-reply": ("/", "closes the connection without answering", "record a protocol error"),
    "not-http": ("/", "answers with bytes that are not HTTP", "record a protocol error"),
    "huge-headers": ("/", "a 1 MB response header", "reject the response"),
    "feed-truncated": (
        "/feed.xml",
        "an RSS feed cut off in the middle of an item",
        "parse leniently or record a feed error",
    ),
    "feed-malformed": ("/feed.xml", "RSS that is not well-formed XML", "record a feed error"),
    "feed-huge": (
        "/feed.xml",
        f"an RSS feed of {HUGE_FEED_ITEMS} items (chunked, ~40 MB)",
        "stop at the body size cap",
    ),
    "feed-entity-expansion": (
        "/feed.xml",
        "RSS with a billion-laughs entity expansion DTD",
        "never expand entities",
    ),
    "feed-external-entity": (
        "/feed.xml",
        "RSS with an external entity (file:///etc/passwd)",
        "never resolve external entities",
    ),
    "robots-huge": ("/robots.txt", "a 10 MB robots.txt", "read only up to the robots size cap"),
    "robots-5xx": (
        "/robots.txt",
        "robots.txt answers 503; pages answer 200",
        "treat the host as disallowed for now",
    ),
    "robots-redirect": (
        "/robots.txt",
        "robots.txt redirects to /real-robots.txt, which disallows /private/",
        "follow the redirect and obey it",
    ),
}


def host_for(name: str) -> str:
    return f"{name}.{HOSTILE_DOMAIN}"


def catalogue() -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "host": host_for(name),
            "url": f"http://{host_for(name)}{path}",
            "behaviour": behaviour,
            "expect": expect,
        }
        for name, (path, behaviour, expect) in CATALOGUE.items()
    ]


def name_of(host: str) -> str | None:
    if not host.endswith("." + HOSTILE_DOMAIN):
        return None
    name = host[: -len(HOSTILE_DOMAIN) - 1]
    return name if name in CATALOGUE else None


# -- cached payloads --------------------------------------------------------------------------
@cache
def gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(BOMB_BYTES >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


@cache
def brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=1)
    block = bytes(1 << 20)
    parts = [compressor.process(block) for _ in range(BOMB_BYTES >> 20)]
    parts.append(compressor.finish())
    return b"".join(parts)


def _html(text: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Test page</title></head><body>{text}</body></html>"


_SIMPLE_PAGE = _html(
    '<h1>Nothing to see</h1><p>A plain page with a <a href="/private/x">private link</a>.</p>'
)
_LATIN = "Café déjà vu – “quoted” résumé, naïve façade, 10 € and £5."
_LATIN_1 = "Café déjà vu, résumé, naïve façade, Müller & Søn, 10 EUR and £5."
_BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + ']><rss version="2.0"><channel><title>&lol9;</title><item><title>x</title></item>'
    "</channel></rss>"
)
_XXE = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<rss version="2.0"><channel><title>Feed</title><item><title>&xxe;</title>'
    "<link>http://feed-external-entity.badhost.com/x</link></item></channel></rss>"
)
_RSS_ITEM = (
    "<item><title>Item {i}</title><link>http://feed-huge.badhost.com/item/{i}</link>"
    "<description>Filler text for item {i} of a feed that never seems to end.</description>"
    "</item>"
)
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(4000)


def _text(
    status: int,
    body: bytes | str,
    content_type: str = "text/html; charset=utf-8",
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Response(status, [("Content-Type", content_type), *(headers or [])], data)


def _redirect(location: str, status: int = 302) -> Response:
    return Response(status, [("Location", location), ("Content-Type", "text/html")], b"")


async def _drip(writer: asyncio.StreamWriter, data: bytes, pause: float) -> int:
    sent = 0
    for i in range(len(data)):
        writer.write(data[i : i + 1])
        await writer.drain()
        sent += 1
        await asyncio.sleep(pause)
    return sent


async def _repeat(writer: asyncio.StreamWriter, chunk: bytes, total: int, chunked: bool = False) -> int:
    sent = 0
    while sent < total:
        piece = chunk[: total - sent]
        writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
        await writer.drain()
        sent += len(piece)
    if chunked:
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    return sent


def respond(name: str, path: str) -> Response:
    """The response of hostile endpoint ``name`` for ``path``."""
    if path == "/robots.txt" and not name.startswith("robots-"):
        return _text(404, "not found", "text/plain")
    handler = _HANDLERS.get(name)
    if handler is None:  # pragma: no cover - every catalogue entry has a handler
        return _text(404, "unknown")
    return handler(path)


def _slow_drip(path: str) -> Response:
    async def body(writer: asyncio.StreamWriter) -> int:
        return await _drip(writer, b"x" * int(SLOW_DRIP_SECONDS / 0.2), 0.2)

    return Response(
        200, [("Content-Type", "text/html; charset=utf-8")], body_writer=body, length=1024 * 1024, close=True
    )


def _slow_headers(path: str) -> Response:
    async def raw(writer: asyncio.StreamWriter) -> int:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: "
            + b"a" * 2000
            + b"\r\nContent-Length: 2\r\n\r\nok"
        )
        return await _drip(writer, head, 0.3)

    return Response(200, raw=raw, close=True)


def _hang(path: str) -> Response:
    async def raw(writer: asyncio.StreamWriter) -> int:
        await asyncio.sleep(HANG_SECONDS)
        return 0

    return Response(200, raw=raw, close=True)


def _redirect_loop(path: str) -> Response:
    return _redirect("/loop/b" if path == "/loop/a" else "/loop/a")


def _redirect_chain(path: str) -> Response:
    if path.startswith("/hop/"):
        try:
            hop = int(path[5:])
        except ValueError:
            hop = REDIRECT_CHAIN
        if hop >= REDIRECT_CHAIN:
            return _text(200, _html("<p>You made it to the end of the chain.</p>"))
        return _redirect(f"/hop/{hop + 1}", 301)
    return _redirect("/hop/1", 301)


def _huge_body(path: str) -> Response:
    chunk = (b"<p>" + b"filler " * 9000 + b"</p>\n")[: 64 * 1024]

    async def body(writer: asyncio.StreamWriter) -> int:
        return await _repeat(writer, chunk, BIG_BODY_BYTES)

    return Response(
        200, [("Content-Type", "text/html; charset=utf-8")], body_writer=body, length=BIG_BODY_BYTES
    )


def _huge_chunked(path: str) -> Response:
    chunk = (b"<p>" + b"more " * 13000 + b"</p>\n")[: 64 * 1024]

    async def body(writer: asyncio.StreamWriter) -> int:
        return await _repeat(writer, chunk, BIG_BODY_BYTES, chunked=True)

    return Response(200, [("Content-Type", "text/html; charset=utf-8")], body_writer=body)


def _feed_huge(path: str) -> Response:
    async def body(writer: asyncio.StreamWriter) -> int:
        def chunk(data: bytes) -> bytes:
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        sent = 0
        head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>'
        writer.write(chunk(head))
        for start in range(0, HUGE_FEED_ITEMS, 500):
            items = "".join(_RSS_ITEM.format(i=i) for i in range(start, start + 500)).encode()
            writer.write(chunk(items))
            sent += len(items)
            await writer.drain()
        writer.write(chunk(b"</channel></rss>") + b"0\r\n\r\n")
        await writer.drain()
        return sent

    return Response(200, [("Content-Type", "application/rss+xml")], body_writer=body)


def _truncated(path: str) -> Response:
    async def body(writer: asyncio.StreamWriter) -> int:
        writer.write(b"<html><body>" + b"a" * 488)
        await writer.drain()
        return 500

    return Response(200, [("Content-Type", "text/html")], body_writer=body, length=100_000, close=True)


def _empty(path: str) -> Response:
    async def raw(writer: asyncio.StreamWriter) -> int:
        return 0

    return Response(0, raw=raw, close=True)


def _not_http(path: str) -> Response:
    async def raw(writer: asyncio.StreamWriter) -> int:
        data = b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n"
        writer.write(data)
        await writer.drain()
        return len(data)

    return Response(0, raw=raw, close=True)


def _bomb(build: Callable[[], bytes], encoding: str) -> Response:
    """The first bomb is built in a thread, so the server keeps answering everyone else."""

    async def raw(writer: asyncio.StreamWriter) -> int:
        body = await asyncio.to_thread(build)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Encoding: {encoding}\r\nContent-Length: {len(body)}\r\n".encode()
            + b"Connection: close\r\n\r\n"
        )
        writer.write(body)
        await writer.drain()
        return len(body)

    return Response(200, raw=raw, close=True)


def _robots_huge(path: str) -> Response:
    if path != "/robots.txt":
        return _text(200, _SIMPLE_PAGE)
    line = b"Disallow: /a-very-long-path-that-goes-on-and-on/" + b"x" * 40 + b"\n"

    async def body(writer: asyncio.StreamWriter) -> int:
        writer.write(b"User-agent: *\n")
        return await _repeat(writer, line * 700, HUGE_ROBOTS_BYTES)

    return Response(200, [("Content-Type", "text/plain")], body_writer=body, length=HUGE_ROBOTS_BYTES + 14)


def _robots_5xx(path: str) -> Response:
    if path == "/robots.txt":
        return _text(503, "temporarily unavailable", "text/plain", [("Retry-After", "3600")])
    return _text(200, _SIMPLE_PAGE)


def _robots_redirect_hop(path: str) -> Response:
    if path == "/robots.txt":
        return _text(200, "User-agent: *\nDisallow: /private/\n", "text/plain")
    if path == "/":
        return _redirect("/private/moved")
    return _text(200, _SIMPLE_PAGE)  # the disallowed pages answer, so a request would show


def _robots_redirect_hop_elsewhere(path: str) -> Response:
    if path == "/":
        return _redirect(f"http://{host_for('robots-redirect-hop')}/private/from-elsewhere")
    return _text(404, _html("<h1>Not found</h1>"))


def _robots_redirect(path: str) -> Response:
    if path == "/robots.txt":
        return _redirect("/real-robots.txt", 301)
    if path == "/real-robots.txt":
        return _text(200, "User-agent: *\nDisallow: /private/\n", "text/plain")
    return _text(200, _SIMPLE_PAGE)


_HANDLERS = {
    "slow-drip": _slow_drip,
    "slow-headers": _slow_headers,
    "hang": _hang,
    "error-500": lambda p: _text(500, _html("<h1>Internal Server Error</h1>")),
    "error-503": lambda p: _text(
        503, _html("<h1>Down for maintenance</h1>"), headers=[("Retry-After", "120")]
    ),
    "rate-limit": lambda p: _text(429, _html("<h1>Slow down</h1>"), headers=[("Retry-After", "30")]),
    "rate-limit-date": lambda p: _text(
        429, _html("<h1>Slow down</h1>"), headers=[("Retry-After", formatdate(time() + 60, usegmt=True))]
    ),
    "redirect-loop": _redirect_loop,
    "redirect-chain": _redirect_chain,
    "redirect-loopback": lambda p: _redirect("http://127.0.0.1/"),
    "redirect-metadata": lambda p: _redirect("http://169.254.169.254/latest/meta-data/"),
    "redirect-scheme": lambda p: _redirect("file:///etc/passwd"),
    "robots-redirect-hop": _robots_redirect_hop,
    "robots-redirect-hop-elsewhere": _robots_redirect_hop_elsewhere,
    "huge-body": _huge_body,
    "huge-chunked": _huge_chunked,
    "gzip-bomb": lambda p: _bomb(gzip_bomb, "gzip"),
    "brotli-bomb": lambda p: _bomb(brotli_bomb, "br"),
    "bad-gzip": lambda p: _text(200, _SIMPLE_PAGE, headers=[("Content-Encoding", "gzip")]),
    "charset-wrong": lambda p: _text(200, _html(f"<p>{_LATIN}</p>").encode("cp1252")),
    "charset-missing": lambda p: _text(200, _html(f"<p>{_LATIN_1}</p>").encode("latin-1"), "text/html"),
    "charset-meta-only": lambda p: _text(
        200,
        _html(f"<p>{_LATIN}</p>").replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252"),
        "text/html",
    ),
    "charset-shift-jis": lambda p: _text(
        200,
        _html("<p>株式会社テストは新しいオフィスを開設しました。</p>").encode("shift_jis"),
        "text/html; charset=Shift_JIS",
    ),
    "invalid-utf8": lambda p: _text(
        200, _html("<p>Broken: ").encode() + b"\xff\xfe\xc3\x28\xa0\xa1 \xe2\x82 end</p>"
    ),
    "deep-nesting": lambda p: _text(
        200, "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>"
    ),
    "huge-attribute": lambda p: _text(
        200, '<html><body><div data-x="' + "A" * (5 << 20) + '">text</div></body></html>'
    ),
    "broken-html": lambda p: _text(
        200,
        "<html><head><title>Broken<body><p>Unclosed <b>bold <i>italic</b></i>"
        "<table><tr><td>cell<div></table></span>\x00\x01 <p <a href='x>link</a> <!-- never "
        "closed comment <script>var x = '</div>",
    ),
    "binary-as-html": lambda p: _text(200, _PNG),
    "truncated-body": _truncated,
    "empty-reply": _empty,
    "not-http": _not_http,
    "huge-headers": lambda p: _text(200, _SIMPLE_PAGE, headers=[("X-Huge", "h" * (1 << 20))]),
    "feed-truncated": lambda p: _text(
        200,
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Cut</title><item>'
        "<title>First</title><link>http://feed-truncated.badhost.com/1</link></item><item>"
        "<title>Sec",
        "application/rss+xml",
    ),
    "feed-malformed": lambda p: _text(
        200,
        '<?xml version="1.0"?><rss><channel><title>Fish & Chips</title><item><title>'
        "<<bad>></titel></item></channel>",
        "application/rss+xml",
    ),
    "feed-huge": _feed_huge,
    "feed-entity-expansion": lambda p: _text(200, _BILLION_LAUGHS, "application/rss+xml"),
    "feed-external-entity": lambda p: _text(200, _XXE, "application/rss+xml"),
    "robots-huge": _robots_huge,
    "robots-5xx": _robots_5xx,
    "robots-redirect": _robots_redirect,
}
