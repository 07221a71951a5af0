"""The fetcher's limits against real loopback servers: caps, bombs, deadlines, redirects."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import brotli
import pytest
import pytest_asyncio

from crawler.errors import (
    BodyTooLarge,
    ConnectFailed,
    DeadlineExceeded,
    DecompressionFailed,
    InvalidUrl,
    ProtocolError,
    RedirectLoop,
    TlsFailed,
    TooManyRedirects,
    UnsupportedScheme,
)
from crawler.fetch import FetchLimits, HttpFetcher, detect_charset
from crawler.settings import CrawlerSettings
from tests.support.loopback_http import LoopbackHttp, Request, send

CAP = 1_000_000
LOOPBACK = CrawlerSettings(allow_private_addresses=True, user_agent="ascent-test/1 (+http://x)")


@pytest_asyncio.fixture(loop_scope="function")
async def server() -> AsyncIterator[LoopbackHttp]:
    async with LoopbackHttp() as running:
        yield running


def fetcher(**limits: float) -> HttpFetcher:
    return HttpFetcher(LOOPBACK, FetchLimits(max_body_bytes=CAP, **limits))  # type: ignore[arg-type]


async def test_plain_fetch_sends_our_headers_and_reports_the_response(server: LoopbackHttp) -> None:
    server.static("/", 200, b"<p>hi</p>", Content_Type="text/html; charset=ISO-8859-1", ETag='"v1"')
    async with fetcher() as client:
        response = await client.fetch(server.origin + "/")
    assert response.status == 200 and response.body == b"<p>hi</p>"
    assert response.content_type == "text/html"
    assert response.charset == "cp1252"  # the web's meaning of ISO-8859-1
    assert response.etag == '"v1"' and response.headers["content-type"].startswith("text/html")
    assert response.final_url == server.origin + "/" and response.redirects == []
    sent = server.log[0].headers
    assert sent["user-agent"] == "ascent-test/1 (+http://x)"
    assert set(sent["accept-encoding"].replace(" ", "").split(",")) == {"gzip", "deflate", "br"}


async def test_conditional_get_and_304(server: LoopbackHttp) -> None:
    @server.route("/feed")
    async def feed(request: Request, writer: asyncio.StreamWriter) -> None:
        if request.headers.get("if-none-match") == '"abc"':
            await send(writer, 304, b"", {"ETag": '"abc"'})
        else:
            await send(writer, 200, b"<rss/>", {"ETag": '"abc"', "Content-Type": "application/rss+xml"})

    async with fetcher() as client:
        first = await client.fetch(server.origin + "/feed")
        second = await client.fetch(
            server.origin + "/feed", etag=first.etag, last_modified="Tue, 01 Dec 2026 00:00:00 GMT"
        )
    assert not first.not_modified and first.body == b"<rss/>"
    assert second.not_modified and second.status == 304 and second.body == b""
    assert server.log[1].headers["if-modified-since"] == "Tue, 01 Dec 2026 00:00:00 GMT"


async def _peak_during(coro: object) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    error: BaseException | None = None
    try:
        await coro  # type: ignore[misc]
    except BaseException as exc:
        error = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return error, peak


BOMB_SIZE = 100_000_000  # what each bomb would expand to


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    # Compress in 1 MB steps so building the bombs does not itself need 200 MB.
    zero = bytes(1_000_000)
    # Run-length strategy and brotli quality 1: same bombs, built in a fraction of the time.
    gz = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9, zlib.Z_RLE)
    zl = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_RLE)
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_RLE)
    br = brotli.Compressor(quality=1)
    parts: dict[str, list[bytes]] = {"gzip": [], "deflate": [], "rawdeflate": [], "br": []}
    for _ in range(BOMB_SIZE // len(zero)):
        parts["gzip"].append(gz.compress(zero))
        parts["deflate"].append(zl.compress(zero))
        parts["rawdeflate"].append(raw.compress(zero))
        parts["br"].append(br.process(zero))
    parts["gzip"].append(gz.flush())
    parts["deflate"].append(zl.flush())
    parts["rawdeflate"].append(raw.flush())
    parts["br"].append(br.finish())
    return {name: b"".join(chunks) for name, chunks in parts.items()}


@pytest.mark.parametrize("kind", ["gzip", "deflate", "rawdeflate", "br"])
async def test_compression_bombs_never_exceed_the_cap_in_memory(
    server: LoopbackHttp, bombs: dict[str, bytes], kind: str
) -> None:
    encoding = "deflate" if kind == "rawdeflate" else kind
    server.static("/bomb", 200, bombs[kind], Content_Encoding=encoding)
    async with fetcher() as client:
        error, peak = await _peak_during(client.fetch(server.origin + "/bomb"))
    assert isinstance(error, BodyTooLarge), error
    assert len(error.partial) == CAP and error.partial == bytes(CAP)
    # body + one bounded decompressor output + the partial copy; nowhere near 200 MB
    assert peak < 3 * CAP + len(bombs[kind]) + 1_000_000, peak


async def test_gzip_multi_member_and_exact_cap_are_accepted(server: LoopbackHttp) -> None:
    body = gzip.compress(b"a" * 600_000) + gzip.compress(b"b" * 400_000)
    server.static("/two", 200, body, Content_Encoding="gzip", Content_Type="text/plain")
    server.static("/br", 200, brotli.compress(b"c" * CAP), Content_Encoding="br")
    async with fetcher() as client:
        two = await client.fetch(server.origin + "/two")
        exact = await client.fetch(server.origin + "/br")
    assert two.body == b"a" * 600_000 + b"b" * 400_000
    assert exact.body == b"c" * CAP


async def test_corrupt_and_unknown_encodings_are_typed_errors(server: LoopbackHttp) -> None:
    server.static("/bad", 200, b"\x1f\x8bnot gzip at all", Content_Encoding="gzip")
    server.static("/zstd", 200, b"whatever", Content_Encoding="zstd")
    async with fetcher() as client:
        with pytest.raises(DecompressionFailed):
            await client.fetch(server.origin + "/bad")
        with pytest.raises(DecompressionFailed):
            await client.fetch(server.origin + "/zstd")


async def test_fifty_megabyte_body_is_cut_at_the_cap_while_streaming(server: LoopbackHttp) -> None:
    total = 50_000_000
    sent = 0

    @server.route("/huge")
    async def huge(request: Request, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
        chunk = bytes(1_000_000)
        with contextlib.suppress(ConnectionError):
            while sent < total:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)

    async with fetcher() as client:
        error, peak = await _peak_during(client.fetch(server.origin + "/huge"))
    assert isinstance(error, BodyTooLarge)
    assert peak < 3 * CAP + 1_000_000
    await asyncio.sleep(0.05)
    assert sent < total  # we hung up instead of swallowing 50 MB


async def test_slow_drip_body_hits_the_total_deadline_in_time(server: LoopbackHttp) -> None:
    @server.route("/drip")
    async def drip(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(1000):  # one byte every 50 ms: each read is "fast", the whole is not
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)

    @server.route("/silent")
    async def silent(request: Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with fetcher(deadline_s=0.8) as client:
        for path in ("/drip", "/silent"):
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded) as caught:
                await client.fetch(server.origin + path)
            assert 0.7 < time.monotonic() - started < 1.5
            assert caught.value.retryable


async def test_redirects_are_followed_and_counted(server: LoopbackHttp) -> None:
    for hop in range(7):
        server.static(f"/r{hop}", 302, Location=f"/r{hop + 1}")
    server.static("/r7", 200, b"end")
    async with fetcher(max_redirects=7) as client:
        response = await client.fetch(server.origin + "/r0")
    assert response.body == b"end" and response.final_url == server.origin + "/r7"
    assert len(response.redirects) == 7
    async with fetcher(max_redirects=5) as client:
        with pytest.raises(TooManyRedirects):
            await client.fetch(server.origin + "/r0")
    assert not any(r.path == "/r6" for r in server.log[8:])  # the 6th hop was never requested


async def test_redirect_loops_are_detected(server: LoopbackHttp) -> None:
    server.static("/a", 301, Location="/b")
    server.static("/b", 307, Location=server.origin + "/a#frag")
    server.static("/self", 308, Location="/self")
    async with fetcher() as client:
        with pytest.raises(RedirectLoop):
            await client.fetch(server.origin + "/a")
        with pytest.raises(RedirectLoop):
            await client.fetch(server.origin + "/self")
    assert [r.path for r in server.log] == ["/a", "/b", "/self"]


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://example.org/x", "gopher://127.0.0.1:70/", "javascript:alert(1)"]
)
async def test_only_http_and_https_even_after_a_redirect(server: LoopbackHttp, target: str) -> None:
    server.static("/go", 302, Location=target)
    async with fetcher() as client:
        with pytest.raises(UnsupportedScheme):
            await client.fetch(target)
        with pytest.raises(UnsupportedScheme):
            await client.fetch(server.origin + "/go")


async def test_bad_urls_and_refused_connections(server: LoopbackHttp) -> None:
    async with fetcher() as client:
        with pytest.raises(InvalidUrl):
            await client.fetch("http://")
        with pytest.raises(ConnectFailed) as caught:
            await client.fetch("http://127.0.0.1:1/")  # nothing listens on port 1
        assert caught.value.retryable


async def test_cookies_are_never_sent_back(server: LoopbackHttp) -> None:
    server.static("/set", 200, b"ok", Set_Cookie="session=secret; Path=/")
    server.static("/next", 200, b"ok")
    async with fetcher() as client:
        await client.fetch(server.origin + "/set")
        await client.fetch(server.origin + "/next")
    assert "cookie" not in server.log[1].headers


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/html; charset=utf-8", "é".encode(), "utf-8"),
        ("text/html", b'<html><head><meta charset="windows-1252"></head>', "cp1252"),
        (
            "text/html",
            b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
            "shift_jis",
        ),
        ("application/xml", b'<?xml version="1.0" encoding="ISO-8859-15"?><a/>', "iso8859-15"),
        ("text/html", b"\xef\xbb\xbf<p>bom</p>", "utf-8-sig"),
        ("text/plain; charset=bogus-charset", b"plain ascii", "utf-8"),
        ("image/png", b"\x89PNG\r\n", None),
    ],
)
def test_charset_detection(content_type: str, body: bytes, expected: str | None) -> None:
    assert detect_charset(content_type, body) == expected


def test_charset_guess_for_undeclared_legacy_text() -> None:
    text = "Ärger über Straßenbäume, Öffnungszeiten und Größe — süß! " * 20
    guessed = detect_charset("text/html", text.encode("cp1252"))
    assert guessed is not None
    assert text.encode("cp1252").decode(guessed) == text


async def test_tls_failure_is_its_own_class() -> None:
    async def not_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    plain = await asyncio.start_server(not_tls, "127.0.0.1", 0)
    port = plain.sockets[0].getsockname()[1]
    try:
        async with fetcher(connect_timeout_s=2.0) as client:
            with pytest.raises(TlsFailed) as caught:
                await client.fetch(f"https://127.0.0.1:{port}/")
        assert not caught.value.retryable
    finally:
        plain.close()


async def test_malformed_responses_are_protocol_errors(server: LoopbackHttp) -> None:
    @server.route("/garbage")
    async def garbage(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()

    @server.route("/short")
    async def short(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little")
        await writer.drain()

    async with fetcher() as client:
        for path in ("/garbage", "/short"):
            with pytest.raises(ProtocolError):
                await client.fetch(server.origin + path)


def test_binary_served_as_html_gets_no_charset_guess() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 100
    assert detect_charset("text/html", png) is None


async def test_a_pool_per_origin_bounded_and_reused(server: LoopbackHttp) -> None:
    server.static("/", 200, b"ok", Content_Type="text/plain")
    hosts = [f"site{n}.example" for n in range(6)]
    newcomer = "site6.example"
    settings = CrawlerSettings(
        allow_private_addresses=True,
        resolve={host: f"127.0.0.1:{server.port}" for host in [*hosts, newcomer]},
        concurrency=1,  # at most max(concurrency, 8) * 2 = 16 pools
    )
    async with HttpFetcher(settings) as client:
        transport = client._transport
        for _ in range(2):
            for host in hosts:
                assert (await client.fetch(f"http://{host}:{server.port}/")).body == b"ok"
        assert transport.origins == len(hosts)  # one pool per origin, reused
        transport._max_origins = 2  # a smaller bound: idle pools are closed, least recent first
        await client.fetch(f"http://{newcomer}:{server.port}/")
        assert transport.origins == 2
