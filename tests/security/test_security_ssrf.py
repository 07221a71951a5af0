"""SSRF (SPEC §3) end to end through HttpFetcher with default settings: the spellings of
internal addresses that tests/crawler/test_guard.py does not cover (octal, hex and short IPv4, IPv6
zone ids and mapped forms, trailing dots, upper case, user-info tricks, CGNAT, multicast),
as URLs, as resolve-map entries, as DNS answers and as redirect targets.

The victim is a loopback server that must never see a connection. Addresses that are not
on this machine (10/8, 100.64/10, 224/4...) would fail to connect anyway, so for them the
test asserts the error *class*: BlockedAddress, raised before any connection is tried.
"""

from __future__ import annotations

import pytest

from crawler.errors import BlockedAddress, FetchError
from crawler.fetch import FetchLimits, HttpFetcher
from crawler.guard import is_public_address
from crawler.settings import CrawlerSettings
from tests.support.loopback_http import LoopbackDns, LoopbackHttp

LIMITS = FetchLimits(deadline_s=5.0, connect_timeout_s=2.0)

# URL spellings of internal targets; {port} is the victim's loopback port.
INTERNAL_URLS = [
    "http://0177.0.0.1:{port}/",  # octal
    "http://0177.0.0.01:{port}/",
    "http://017700000001:{port}/",  # one octal number
    "http://0x7f000001:{port}/",  # one hex number
    "http://0x7F.0x0.0x0.0x1:{port}/",
    "http://127.1:{port}/",  # short form
    "http://127.0.1:{port}/",
    "http://127.0.0.1.:{port}/",  # trailing dot
    "http://LOCALHOST:{port}/",
    "http://LocalHost.:{port}/",
    "http://localhost..:{port}/",
    "http://sub.localhost:{port}/",
    "http://evil.example@127.0.0.1:{port}/",  # user-info trick
    "http://evil.example:pass@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}#@evil.example/",
    "http://127.0.0.1:{port}?@evil.example/",
    "http://[::1%25lo]:{port}/",  # IPv6 zone id
    "http://[fe80::1%25eth0]:{port}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[0000::1]:{port}/",
    "http://[::]:{port}/",
    "http://0.0.0.0:{port}/",
    "http://0x0:{port}/",
    "http://10.0.0.1/",
    "http://012.0.0.1/",  # 10.0.0.1 in octal
    "http://167772161/",  # 10.0.0.1 in decimal
    "http://100.64.0.1/",  # CGNAT
    "http://224.0.0.1/",  # multicast
    "http://169.254.169.254./latest/meta-data/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254 in decimal
    "http://0xa9fea9fe/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
]


def _refused(error: FetchError) -> bool:
    """The request was refused as non-public, or rejected as an unusable URL: never sent."""
    return isinstance(error, BlockedAddress) or error.error_class in {"invalid_url", "unsupported_scheme"}


@pytest.mark.parametrize("url", INTERNAL_URLS)
async def test_internal_url_spellings_are_refused(victim: LoopbackHttp, url: str) -> None:
    async with HttpFetcher(CrawlerSettings(), LIMITS) as client:
        with pytest.raises(FetchError) as caught:
            await client.fetch(url.format(port=victim.port))
    assert _refused(caught.value), f"{url}: {type(caught.value).__name__}: {caught.value}"
    assert not caught.value.retryable
    assert victim.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f000001:{port}/",
        "http://2130706433:{port}/",
        "http://127.0.0.1.:{port}/",
        "http://LOCALHOST:{port}/",
        "http://evil.example@127.0.0.1:{port}/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/",
    ],
)
async def test_numeric_and_named_internal_hosts_raise_blocked_address(victim: LoopbackHttp, url: str) -> None:
    """The spellings the guard must see through: the error says *why* (BlockedAddress).

    Dotted octal ('0177.0.0.1') is not here: httpx rejects it as an invalid URL before any
    lookup (InvalidUrl, also never sent), which the table above accepts.
    """
    async with HttpFetcher(CrawlerSettings(), LIMITS) as client:
        with pytest.raises(BlockedAddress):
            await client.fetch(url.format(port=victim.port))
    assert victim.connections == 0


@pytest.mark.parametrize(
    "target", ["100.64.0.1", "224.0.0.1", "127.0.0.2", "192.168.0.1", "[fe80::1]", "[::ffff:10.0.0.1]"]
)
async def test_resolve_map_entries_to_more_internal_ranges_are_refused(target: str) -> None:
    settings = CrawlerSettings(resolve={"customer.example": f"{target}:80"})
    async with HttpFetcher(settings, LIMITS) as client:
        for url in ("http://customer.example/", "http://CUSTOMER.EXAMPLE./", "http://x@customer.example/"):
            with pytest.raises(BlockedAddress):
                await client.fetch(url)


@pytest.mark.parametrize(
    ("rdtype", "answer"),
    [("A", "100.64.0.1"), ("A", "224.0.0.1"), ("A", "127.0.0.1"), ("AAAA", "fe80::1"), ("AAAA", "::")],
)
async def test_dns_answers_in_internal_ranges_are_refused_whatever_the_spelling(
    victim: LoopbackHttp, dns: LoopbackDns, rdtype: str, answer: str
) -> None:
    dns.records[("internal.example", rdtype)] = [answer]
    settings = CrawlerSettings(http_nameservers=[dns.nameserver])
    async with HttpFetcher(settings, LIMITS) as client:
        for host in ("internal.example", "INTERNAL.Example", "internal.example."):
            with pytest.raises(BlockedAddress):
                await client.fetch(f"http://{host}:{victim.port}/")
    assert victim.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://0177.0.0.1:{port}/",
        "http://0x7f000001:{port}/",
        "http://127.1:{port}/",
        "http://127.0.0.1.:{port}/",
        "http://LOCALHOST.:{port}/",
        "http://evil.example@127.0.0.1:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://2852039166/latest/meta-data/",
        "//127.0.0.1:{port}/",  # scheme-relative
        "HTTP://127.0.0.1:{port}/",
    ],
)
async def test_redirects_to_internal_spellings_are_refused(
    victim: LoopbackHttp, dns: LoopbackDns, location: str
) -> None:
    # 127.0.0.2 stands in for a public web site; only it is treated as public.
    def stand_in(address: str) -> bool:
        return is_public_address(address) or address == "127.0.0.2"

    dns.records[("site.example", "A")] = ["127.0.0.2"]
    async with LoopbackHttp(host="127.0.0.2") as public:
        public.static("/", 302, Location=location.format(port=victim.port))
        settings = CrawlerSettings(http_nameservers=[dns.nameserver])
        async with HttpFetcher(settings, LIMITS, permits=stand_in) as client:
            with pytest.raises(FetchError) as caught:
                await client.fetch(f"http://site.example:{public.port}/")
        assert _refused(caught.value), f"{location}: {type(caught.value).__name__}: {caught.value}"
        assert [r.path for r in public.log] == ["/"]
    assert victim.connections == 0
