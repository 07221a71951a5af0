"""Every misbehaving endpoint of the fixture web does what the catalogue says it does."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

import brotli
import httpx
import pytest

from scripts.fixture_web import FixtureWeb, World
from scripts.fixture_web.hostile import BIG_BODY_BYTES, CATALOGUE, REDIRECT_CHAIN, host_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
WORLD = World.generate(companies=10, seed=3)


@pytest.fixture
async def web() -> AsyncIterator[FixtureWeb]:
    async with FixtureWeb(WORLD, dns_port=None) as running:
        yield running


@pytest.fixture
async def client(web: FixtureWeb) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.base_url, timeout=5) as http:
        yield http


async def get(client: httpx.AsyncClient, name: str, path: str = "/") -> httpx.Response:
    return await client.get(path, headers={"Host": host_for(name)})


async def raw(web: FixtureWeb, name: str, path: str = "/", wait: float = 1.0) -> bytes:
    """Bytes the server sends within `wait` seconds on a raw connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", web.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host_for(name)}\r\n\r\n".encode())
    await writer.drain()
    data = b""
    deadline = time.monotonic() + wait
    try:
        while (left := deadline - time.monotonic()) > 0:
            chunk = await asyncio.wait_for(reader.read(65536), left)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    writer.close()
    return data


async def test_catalogue_is_in_the_ground_truth() -> None:
    hostile = {entry["name"]: entry for entry in WORLD.ground_truth()["hostile"]}
    assert set(hostile) == set(CATALOGUE)
    assert all(e["host"].endswith(".badhost.com") and e["expect"] for e in hostile.values())


async def test_slow_drip_and_slow_headers_trickle(web: FixtureWeb) -> None:
    drip = await raw(web, "slow-drip", wait=1.2)
    head, _, body = drip.partition(b"\r\n\r\n")
    assert b"Content-Length: 1048576" in head and 2 <= len(body) <= 10
    headers = await raw(web, "slow-headers", wait=1.0)
    assert 1 <= len(headers) <= 6 and headers.startswith(b"HTTP")


async def test_hang_never_answers(client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/", headers={"Host": host_for("hang")}, timeout=0.5)


@pytest.mark.parametrize(
    ("name", "status", "retry_after"),
    [("error-500", 500, None), ("error-503", 503, "120"), ("rate-limit", 429, "30")],
)
async def test_error_statuses(
    client: httpx.AsyncClient, name: str, status: int, retry_after: str | None
) -> None:
    response = await get(client, name, "/any/path")
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after


async def test_retry_after_http_date(client: httpx.AsyncClient) -> None:
    response = await get(client, "rate-limit-date")
    assert response.status_code == 429
    when = parsedate_to_datetime(response.headers["retry-after"]).timestamp()
    assert 30 < when - time.time() <= 61


async def test_redirects(client: httpx.AsyncClient) -> None:
    first = await get(client, "redirect-loop")
    second = await get(client, "redirect-loop", first.headers["location"])
    third = await get(client, "redirect-loop", second.headers["location"])
    assert third.headers["location"] == first.headers["location"]
    path, hops = "/", 0
    while (response := await get(client, "redirect-chain", path)).is_redirect:
        path, hops = response.headers["location"], hops + 1
    assert hops == REDIRECT_CHAIN and response.status_code == 200
    assert (await get(client, "redirect-loopback")).headers["location"] == "http://127.0.0.1/"
    assert "169.254.169.254" in (await get(client, "redirect-metadata")).headers["location"]
    assert (await get(client, "redirect-scheme")).headers["location"].startswith("file:")


async def test_huge_bodies_are_streamed(client: httpx.AsyncClient) -> None:
    total = 0
    async with client.stream("GET", "/", headers={"Host": host_for("huge-body")}) as response:
        assert response.headers["content-length"] == str(BIG_BODY_BYTES)
        async for chunk in response.aiter_raw():
            total += len(chunk)
    assert total == BIG_BODY_BYTES
    async with client.stream("GET", "/", headers={"Host": host_for("huge-chunked")}) as response:
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        seen = 0
        async for chunk in response.aiter_raw():
            seen += len(chunk)
            if seen > 2_000_000:
                break
    assert seen > 2_000_000


def _inflate_at_least(data: bytes, decompress: object, minimum: int) -> int:
    produced = 0
    for start in range(0, len(data), 4096):
        produced += len(decompress(data[start : start + 4096]))  # type: ignore[operator]
        if produced >= minimum:
            break
    return produced


async def test_compression_bombs_are_small_and_inflate_hugely(client: httpx.AsyncClient) -> None:
    for name, encoding, decompress in (
        ("gzip-bomb", "gzip", zlib.decompressobj(31).decompress),
        ("brotli-bomb", "br", brotli.Decompressor().process),
    ):
        async with client.stream("GET", "/", headers={"Host": host_for(name)}) as response:
            assert response.headers["content-encoding"] == encoding
            data = b"".join([chunk async for chunk in response.aiter_raw()])
        assert len(data) < 1_000_000
        assert _inflate_at_least(data, decompress, 100_000_000) >= 100_000_000


async def test_bad_gzip_is_not_gzip(client: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.DecodingError):
        await get(client, "bad-gzip")


async def test_charsets(client: httpx.AsyncClient) -> None:
    wrong = await get(client, "charset-wrong")
    assert "charset=utf-8" in wrong.headers["content-type"]
    with pytest.raises(UnicodeDecodeError):
        wrong.content.decode("utf-8")
    assert "Café" in wrong.content.decode("cp1252")
    missing = await get(client, "charset-missing")
    assert missing.headers["content-type"] == "text/html"
    assert b"<meta" not in missing.content and "Café" in missing.content.decode("latin-1")
    meta = await get(client, "charset-meta-only")
    assert (
        b'charset="windows-1252"' in meta.content and b"charset" not in meta.headers["content-type"].encode()
    )
    sjis = await get(client, "charset-shift-jis")
    assert "株式会社" in sjis.content.decode("shift_jis")
    invalid = await get(client, "invalid-utf8")
    with pytest.raises(UnicodeDecodeError):
        invalid.content.decode("utf-8")


async def test_malformed_html(client: httpx.AsyncClient) -> None:
    assert (await get(client, "deep-nesting")).content.count(b"<div>") == 100_000
    assert len((await get(client, "huge-attribute")).content) > 5_000_000
    broken = (await get(client, "broken-html")).content
    assert b"</html>" not in broken and b"\x00" in broken
    assert (await get(client, "binary-as-html")).content.startswith(b"\x89PNG")


async def test_protocol_violations(web: FixtureWeb, client: httpx.AsyncClient) -> None:
    for name in ("truncated-body", "empty-reply", "not-http"):
        with pytest.raises(httpx.RemoteProtocolError):
            await get(client, name)
    huge = await raw(web, "huge-headers", wait=2.0)
    assert len(huge.partition(b"\r\n\r\n")[0]) > 1_000_000


async def test_feeds(client: httpx.AsyncClient) -> None:
    truncated = (await get(client, "feed-truncated", "/feed.xml")).content
    assert truncated.endswith(b"<title>Sec")
    assert b"</titel>" in (await get(client, "feed-malformed", "/feed.xml")).content
    assert b"<!ENTITY lol9" in (await get(client, "feed-entity-expansion", "/feed.xml")).content
    assert b"file:///etc/passwd" in (await get(client, "feed-external-entity", "/feed.xml")).content
    seen = 0
    async with client.stream("GET", "/feed.xml", headers={"Host": host_for("feed-huge")}) as r:
        async for chunk in r.aiter_raw():
            seen += len(chunk)
            if seen > 5_000_000:
                break
    assert seen > 5_000_000


async def test_robots_variants(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/robots.txt", headers={"Host": host_for("robots-huge")}) as response:
        assert int(response.headers["content-length"]) > 10_000_000
    assert (await get(client, "robots-5xx", "/robots.txt")).status_code == 503
    assert (await get(client, "robots-5xx", "/")).status_code == 200
    moved = await get(client, "robots-redirect", "/robots.txt")
    assert moved.status_code == 301
    real = await get(client, "robots-redirect", moved.headers["location"])
    assert "Disallow: /private/" in real.text
    assert (await get(client, "error-500", "/robots.txt")).status_code == 404
