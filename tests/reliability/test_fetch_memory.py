"""Peak resident memory of a fresh process fetching bombs and huge bodies stays near the cap.

tracemalloc (tests/crawler/test_fetch.py) sees Python allocations only; this test measures the whole
process (C buffers of zlib and brotli included) through its peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import sys
import zlib
from collections.abc import AsyncIterator

import brotli
import pytest
import pytest_asyncio

from tests.support.loopback_http import LoopbackHttp

BOMB_BYTES = 256 * 1024 * 1024
CAP = 5_000_000

CHILD = r"""
import asyncio, json, resource, sys
from crawler.errors import BodyTooLarge
from crawler.fetch import FetchLimits, HttpFetcher
from crawler.settings import CrawlerSettings

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def main(origin, cap):
    out = {}
    settings = CrawlerSettings(allow_private_addresses=True)
    async with HttpFetcher(settings, FetchLimits(max_body_bytes=cap, deadline_s=30)) as client:
        await client.fetch(origin + "/small")
        out["baseline"] = peak_mb()
        for path in ("/gzip", "/br", "/huge"):
            try:
                await client.fetch(origin + path)
                out[path] = "no error"
            except BodyTooLarge:
                out[path] = "too_large"
        out["peak"] = peak_mb()
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _bomb(make: object) -> bytes:
    chunk = bytes(1 << 20)
    parts = []
    compressor = make()  # type: ignore[operator]
    for _ in range(BOMB_BYTES // len(chunk)):
        parts.append(
            compressor.compress(chunk) if hasattr(compressor, "compress") else compressor.process(chunk)
        )
    parts.append(compressor.flush() if hasattr(compressor, "flush") else compressor.finish())
    return b"".join(parts)


@pytest_asyncio.fixture(loop_scope="function")
async def server() -> AsyncIterator[LoopbackHttp]:
    gzip_bomb = _bomb(lambda: zlib.compressobj(9, zlib.DEFLATED, 31, 9, zlib.Z_RLE))
    brotli_bomb = _bomb(lambda: brotli.Compressor(quality=1))
    async with LoopbackHttp() as running:
        running.static("/small", 200, b"<p>ok</p>", Content_Type="text/html")
        running.static("/gzip", 200, gzip_bomb, Content_Encoding="gzip")
        running.static("/br", 200, brotli_bomb, Content_Encoding="br")
        running.static("/huge", 200, bytes(50_000_000), Content_Type="text/html")
        yield running


@pytest.mark.slow
async def test_bombs_and_huge_bodies_do_not_grow_a_fresh_process_past_the_cap(
    server: LoopbackHttp,
) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, server.origin, str(CAP),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, stderr.decode()[-2000:]
    result = json.loads(stdout)
    assert result["/gzip"] == result["/br"] == result["/huge"] == "too_large"
    grown_mb = result["peak"] - result["baseline"]
    # 256 MB bombs and a 50 MB body against a 5 MB cap: growth stays a few caps at most
    assert grown_mb < 4 * CAP / 1e6 + 16, result
