"""SSRF guard: non-public targets are refused before any connection, on every hop."""

from __future__ import annotations

import itertools

import pytest

from crawler.errors import BlockedAddress
from crawler.fetch import FetchLimits, HttpFetcher
from crawler.guard import check_address, is_public_address, split_host_port
from crawler.settings import CrawlerSettings
from tests.support.loopback_http import LoopbackDns, LoopbackHttp

LIMITS = FetchLimits(deadline_s=5.0, connect_timeout_s=2.0)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.5.4", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0",
        "224.0.0.251", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.0.8",
        "198.18.0.1", "192.0.2.10", "::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        "::ffff:169.254.169.254", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "fec0::1",
        "64:ff9b::7f00:1", "2002:7f00:1::1", "::127.0.0.1", "not-an-ip",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)
    with pytest.raises(BlockedAddress):
        check_address(address, allow_private=False)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)
    assert check_address(address, allow_private=False) == address


def test_allow_private_is_the_opt_in() -> None:
    assert check_address("127.0.0.1", allow_private=True) == "127.0.0.1"


def test_split_host_port() -> None:
    assert split_host_port("127.0.0.1:8081") == ("127.0.0.1", 8081)
    assert split_host_port("10.0.0.1") == ("10.0.0.1", None)
    assert split_host_port("[::1]:53") == ("::1", 53)
    assert split_host_port("::1") == ("::1", None)


BLOCKED_TARGETS = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "0.0.0.0", "::1", "::ffff:127.0.0.1"]


@pytest.mark.parametrize("target", BLOCKED_TARGETS)
async def test_resolve_map_to_a_private_address_is_refused_by_default(
    victim: LoopbackHttp, target: str
) -> None:
    mapped = f"[{target}]:{victim.port}" if ":" in target else f"{target}:{victim.port}"
    settings = CrawlerSettings(resolve={"customer.example": mapped})
    async with HttpFetcher(settings, LIMITS) as client:
        with pytest.raises(BlockedAddress) as caught:
            await client.fetch("http://customer.example/")
    assert not caught.value.retryable
    assert victim.connections == 0


async def test_resolve_map_to_loopback_works_with_the_opt_in(victim: LoopbackHttp) -> None:
    settings = CrawlerSettings(
        resolve={"customer.example": f"127.0.0.1:{victim.port}"}, allow_private_addresses=True
    )
    async with HttpFetcher(settings, LIMITS) as client:
        response = await client.fetch("http://customer.example/")
    assert response.body == b"internal secrets"
    assert victim.log[0].headers["host"] == "customer.example"  # Host header kept


@pytest.mark.parametrize("target", BLOCKED_TARGETS)
async def test_names_resolving_to_private_addresses_are_refused(
    victim: LoopbackHttp, dns: LoopbackDns, target: str
) -> None:
    rdtype = "AAAA" if ":" in target else "A"
    dns.records[("evil.example", rdtype)] = [target]
    settings = CrawlerSettings(http_nameservers=[dns.nameserver])
    async with HttpFetcher(settings, LIMITS) as client:
        with pytest.raises(BlockedAddress):
            await client.fetch(f"http://evil.example:{victim.port}/")
    assert ("evil.example", rdtype) in dns.queries
    assert victim.connections == 0


async def test_mixed_answers_connect_only_to_the_allowed_address(dns: LoopbackDns) -> None:
    def stand_in(address: str) -> bool:
        return is_public_address(address) or address == "127.0.0.2"

    async with LoopbackHttp(host="127.0.0.2") as public:
        public.static("/", 200, b"public")
        dns.records[("mixed.example", "A")] = ["127.0.0.1", "127.0.0.2"]
        settings = CrawlerSettings(http_nameservers=[dns.nameserver])
        async with HttpFetcher(settings, LIMITS, permits=stand_in) as client:
            response = await client.fetch(f"http://mixed.example:{public.port}/")
    assert response.body == b"public"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f.1:{port}/",
        "http://0:{port}/",
        "http://localhost:{port}/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
async def test_ip_literals_and_localhost_are_refused(victim: LoopbackHttp, url: str) -> None:
    async with HttpFetcher(CrawlerSettings(), LIMITS) as client:
        with pytest.raises(BlockedAddress):
            await client.fetch(url.format(port=victim.port))
    assert victim.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://0.0.0.0:{port}/",
        "http://internal.example:{port}/",
    ],
)
async def test_redirects_to_private_addresses_are_refused(
    victim: LoopbackHttp, dns: LoopbackDns, location: str
) -> None:
    # 127.0.0.2 stands in for a public web site; the guard treats only it as public.
    def stand_in(address: str) -> bool:
        return is_public_address(address) or address == "127.0.0.2"

    dns.records[("internal.example", "A")] = ["127.0.0.1"]
    dns.records[("site.example", "A")] = ["127.0.0.2"]
    async with LoopbackHttp(host="127.0.0.2") as public:
        public.static("/", 302, Location=location.format(port=victim.port))
        settings = CrawlerSettings(http_nameservers=[dns.nameserver])
        async with HttpFetcher(settings, LIMITS, permits=stand_in) as client:
            with pytest.raises(BlockedAddress):
                await client.fetch(f"http://site.example:{public.port}/")
        assert [r.path for r in public.log] == ["/"]
    assert victim.connections == 0


async def test_dns_answer_changing_after_the_check_does_not_move_the_connection(
    dns: LoopbackDns,
) -> None:
    """Rebinding: the first answer is checked and connected to; a later answer is unused."""

    def stand_in(address: str) -> bool:
        return is_public_address(address) or address == "127.0.0.2"

    answers = itertools.chain([["127.0.0.2"]], itertools.repeat(["127.0.0.1"]))
    dns.records[("rebind.example", "A")] = lambda: next(answers)
    async with LoopbackHttp(host="127.0.0.2") as public:
        public.static("/", 200, b"checked address")
        async with LoopbackHttp(host="127.0.0.1", port=public.port) as internal:
            internal.static("/", 200, b"internal")
            settings = CrawlerSettings(http_nameservers=[dns.nameserver])
            async with HttpFetcher(settings, LIMITS, permits=stand_in) as client:
                response = await client.fetch(f"http://rebind.example:{public.port}/")
                assert response.body == b"checked address"
                assert dns.queries.count(("rebind.example", "A")) == 1
                assert client.backend.connected == [("rebind.example", "127.0.0.2", public.port)]
                # A new connection resolves again; the new answer is checked, and refused.
                with pytest.raises(BlockedAddress):
                    await client.fetch(f"http://rebind.example:{public.port}/again")
            assert internal.connections == 0


class HangingResolver:
    async def resolve(self, host: str) -> list[str]:
        import asyncio

        await asyncio.sleep(60)
        return []


async def test_a_resolver_that_never_answers_is_bounded_by_the_connect_timeout() -> None:
    import time

    from crawler.errors import DnsFailed

    limits = FetchLimits(deadline_s=10.0, connect_timeout_s=0.5)
    async with HttpFetcher(CrawlerSettings(), limits, resolver=HangingResolver()) as client:
        started = time.monotonic()
        with pytest.raises(DnsFailed) as caught:
            await client.fetch("http://slow-dns.example/")
    assert time.monotonic() - started < 2.0
    assert caught.value.retryable
