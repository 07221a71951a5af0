"""Overhead of parsing fetched bytes in the isolated worker pool versus in-process.

Offline: real pages from ../shared/data/extract-trafilatura (read in place). Prints the
per-page time of each way and their ratio, measured in one run:

    .venv/bin/python scripts/devtools/bench_isolation.py [--pages 200] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tarfile
import time
from pathlib import Path

from crawler.isolation import ParsePool

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "extract-trafilatura" / "html.tar.gz"


def parse(body: bytes, url: str) -> int:
    """The crawl loop's page parse when available, else a selectolax link scan."""
    try:
        from crawler.discover import parse_page
    except ImportError:
        from selectolax.lexbor import LexborHTMLParser

        tree = LexborHTMLParser(body)
        return len([a.attributes.get("href") for a in tree.css("a[href]")])
    facts = parse_page(body, url)
    return len(getattr(facts, "links", ()) or ())


def load_pages(limit: int) -> list[bytes]:
    pages: list[bytes] = []
    with tarfile.open(DATA) as tar:
        for member in tar:
            if member.isfile():
                handle = tar.extractfile(member)
                if handle is not None:
                    pages.append(handle.read())
            if len(pages) >= limit:
                break
    return pages


async def run(pages: list[bytes], workers: int) -> None:
    url = "https://www.example.org/page"
    pool = ParsePool(workers=workers, timeout_s=30.0)
    warm_start = time.perf_counter()
    await pool.start()
    startup = time.perf_counter() - warm_start
    # Alternate the two ways page by page so load from other processes hits both alike.
    inline: list[float] = []
    isolated: list[float] = []
    for body in pages:
        began = time.perf_counter()
        parse(body, url)
        inline.append(time.perf_counter() - began)
        began = time.perf_counter()
        await pool.run(parse, body, url)
        isolated.append(time.perf_counter() - began)
    started = time.perf_counter()
    await asyncio.gather(*(pool.run(parse, body, url) for body in pages))
    concurrent = time.perf_counter() - started
    roundtrips = []
    for _ in range(200):
        began = time.perf_counter()
        await pool.run(len, b"")
        roundtrips.append(time.perf_counter() - began)
    await pool.aclose()

    n = len(pages)
    mean_kb = statistics.mean(len(p) for p in pages) / 1024
    total_inline, total_isolated = sum(inline), sum(isolated)
    print(f"pages: {n} (mean {mean_kb:.0f} KiB), workers: {workers}")
    print(f"pool start-up: {startup * 1000:.0f} ms (once per daemon)")
    print(f"empty round trip: median {statistics.median(roundtrips) * 1e6:.0f} us")
    print(f"inline:   median {statistics.median(inline) * 1000:.2f} ms/page, total {total_inline:.2f} s")
    print(f"isolated: median {statistics.median(isolated) * 1000:.2f} ms/page, total {total_isolated:.2f} s")
    print(f"ratio isolated/inline (totals): {total_isolated / total_inline:.2f}")
    print(f"isolated, all pages submitted at once: {concurrent / n * 1000:.2f} ms/page")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"data not present: {DATA}", file=sys.stderr)
        return 1
    asyncio.run(run(load_pages(args.pages), args.workers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
