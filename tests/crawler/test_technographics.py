"""Technographics: fingerprints over DNS records and pages, DNS lookups, and storage."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from crawler.dns import DnsRecords, lookup_dns
from crawler.technographics import (
    Technology,
    detect_from_dns,
    detect_from_http,
    detect_technologies,
    fingerprints,
)
from storage.customers import Customer
from storage.store import Store
from tests.support.loopback_http import LoopbackDns

REQUIRED = {
    "Microsoft 365", "Google Workspace", "Microsoft Azure", "Amazon Web Services", "Salesforce",
    "HubSpot", "Zoom", "Slack", "WordPress", "Shopify", "QuickBooks", "Xero", "Google Analytics",
    "Cloudflare", "Atlassian", "DocuSign", "Mailchimp", "Zendesk",
}  # fmt: skip


def names(found: list[Technology]) -> set[str]:
    return {t.name for t in found}


def test_fingerprint_table_loads_and_covers_the_required_products() -> None:
    rules = fingerprints()
    assert {r.name for r in rules} >= REQUIRED
    assert all(r.dns or r.html or r.headers or r.meta for r in rules)


@pytest.mark.parametrize(
    ("records", "expected", "method"),
    [
        (DnsRecords("c.com", mx=("c-com.mail.protection.outlook.com",)), "Microsoft 365", "dns_mx"),
        (DnsRecords("c.com", txt=("MS=ms48201931",)), "Microsoft 365", "dns_txt"),
        (DnsRecords("c.com", txt=("v=spf1 include:spf.protection.outlook.com -all",)), "Microsoft 365", "dns_spf"),
        (DnsRecords("c.com", mx=("aspmx.l.google.com", "alt1.aspmx.l.google.com")), "Google Workspace", "dns_mx"),
        (DnsRecords("c.com", txt=("v=spf1 include:_spf.google.com ~all",)), "Google Workspace", "dns_spf"),
        (DnsRecords("c.com", ns=("ns1-03.azure-dns.com", "ns2-03.azure-dns.net")), "Microsoft Azure", "dns_ns"),
        (DnsRecords("c.com", www_cname=("contoso-web.azurewebsites.net",)), "Microsoft Azure", "dns_cname"),
        (DnsRecords("c.com", ns=("ns-1234.awsdns-12.org",)), "Amazon Web Services", "dns_ns"),
        (DnsRecords("c.com", www_cname=("d111111abcdef8.cloudfront.net",)), "Amazon Web Services", "dns_cname"),
        (DnsRecords("c.com", txt=("v=spf1 include:_spf.salesforce.com ~all",)), "Salesforce", "dns_spf"),
        (DnsRecords("c.com", txt=("ZOOM_verify_abcDEF123",)), "Zoom", "dns_txt"),
        (DnsRecords("c.com", txt=("slack-domain-verification=abc",)), "Slack", "dns_txt"),
        (DnsRecords("c.com", txt=("atlassian-domain-verification=xyz",)), "Atlassian", "dns_txt"),
        (DnsRecords("c.com", txt=("docusign=1b2c3d4e-aaaa",)), "DocuSign", "dns_txt"),
        (DnsRecords("c.com", txt=("v=spf1 include:servers.mcsv.net ?all",)), "Mailchimp", "dns_spf"),
        (DnsRecords("c.com", txt=("zendeskverification=abc",)), "Zendesk", "dns_txt"),
        (DnsRecords("c.com", ns=("ada.ns.cloudflare.com",)), "Cloudflare", "dns_ns"),
        (DnsRecords("c.com", www_cname=("shops.myshopify.com",)), "Shopify", "dns_cname"),
        (DnsRecords("c.com", txt=("intuit-verification=123",)), "QuickBooks", "dns_txt"),
        (DnsRecords("c.com", txt=("xero-verification=123",)), "Xero", "dns_txt"),
        (DnsRecords("c.com", www_cname=("c.hs-sites.com",)), "HubSpot", "dns_cname"),
    ],
)  # fmt: skip
def test_dns_fingerprints(records: DnsRecords, expected: str, method: str) -> None:
    found = detect_from_dns(records)
    hits = [t for t in found if t.name == expected and t.method == method]
    assert hits, found
    evidence = records.mx + records.txt + records.ns + records.www_cname
    assert hits[0].evidence in evidence


def test_dns_without_fingerprints_finds_nothing() -> None:
    plain = DnsRecords(
        "c.com",
        mx=("mail.c.com",),
        txt=("v=spf1 mx -all", "some-verification=1"),
        ns=("ns1.c.com",),
        www_cname=("c.com",),
    )
    assert detect_from_dns(plain) == []
    # a look-alike must not match: the pattern is anchored to the real suffix
    assert detect_from_dns(DnsRecords("c.com", mx=("mail.protection.outlook.com.evil.example",))) == []


PAGE = b"""<!doctype html><html><head>
<meta name="generator" content="WordPress 6.5.2">
<link rel='stylesheet' href='https://c.example/wp-content/themes/acme/style.css?ver=1' />
<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABCDEF1234"></script>
<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)};gtag('config', 'G-ABCDEF1234');</script>
<script type="text/javascript" id="hs-script-loader" async defer src="//js.hs-scripts.com/4711.js"></script>
<script src=https://cdn.shopify.com/s/files/1/shop.js></script>
<script src="https://static.zdassets.com/ekr/snippet.js?key=abc"></script>
<script src="https://chimpstatic.com/mcjs-connected/js/users/1/2.js"></script>
</head><body>Pay with <a href="https://quickbooks.intuit.com/pay">QuickBooks</a></body></html>"""


def test_http_fingerprints_from_headers_and_html() -> None:
    headers = {
        "Server": "cloudflare",
        "CF-RAY": "8a1b2c3d4e5f-AMS",
        "x-azure-ref": "20261125T080000Z-abc",
        "x-amz-cf-id": "abc==",
        "X-Powered-By": "PHP/8.2",
    }
    found = detect_from_http(headers, PAGE)
    assert {
        "WordPress", "Google Analytics", "HubSpot", "Shopify", "Zendesk", "Mailchimp",
        "QuickBooks", "Cloudflare", "Microsoft Azure", "Amazon Web Services",
    } <= names(found)  # fmt: skip
    by = {(t.name, t.method): t.evidence for t in found}
    assert by[("WordPress", "html_meta")] == '<meta name="generator" content="WordPress 6.5.2">'
    assert by[("Microsoft Azure", "http_header")] == "x-azure-ref: 20261125T080000Z-abc"
    assert by[("HubSpot", "html_script")] == "//js.hs-scripts.com/4711.js"
    assert all(len(t.evidence) <= 200 for t in found)


def test_plain_page_finds_nothing_and_evidence_is_truncated() -> None:
    assert detect_from_http({"server": "nginx"}, b"<html><p>Hello</p></html>") == []
    long_src = b"<script src='https://x.cloudfront.net/" + b"a" * 5000 + b".js'></script>"
    found = detect_from_http({"x-amz-cf-id": "z" * 5000}, long_src)
    assert found and all(len(t.evidence) <= 200 for t in found)


def test_hostile_html_is_scanned_in_bounded_time() -> None:
    hostile = b"<script " * 200_000 + b"<meta content='" + b"x" * 500_000
    started = time.perf_counter()
    detect_from_http({}, hostile)
    detect_from_http({}, b"<" * 2_000_000)
    assert time.perf_counter() - started < 5.0


@pytest_asyncio.fixture(loop_scope="function")
async def dns_server() -> AsyncIterator[LoopbackDns]:
    async with LoopbackDns() as server:
        server.records.update(
            {
                ("contoso.example", "MX"): ["0 contoso-example.mail.protection.outlook.com."],
                ("contoso.example", "TXT"): [
                    '"MS=ms99887766"',
                    '"v=spf1 include:spf.protection.outlook.com " "include:_spf.salesforce.com -all"',
                    '"ZOOM_verify_Q1w2E3"',
                ],
                ("contoso.example", "NS"): ["ns1-07.azure-dns.com.", "ns2-07.azure-dns.net."],
                ("www.contoso.example", "CNAME"): ["contoso-web.trafficmanager.net."],
                ("contoso-web.trafficmanager.net", "CNAME"): ["contoso-web.azurewebsites.net."],
            }
        )
        yield server


async def test_lookup_dns_against_a_loopback_nameserver(dns_server: LoopbackDns) -> None:
    records = await lookup_dns("Contoso.Example.", [dns_server.nameserver], timeout_s=2.0)
    assert records.mx == ("contoso-example.mail.protection.outlook.com",)
    assert "MS=ms99887766" in records.txt
    assert records.spf == ("v=spf1 include:spf.protection.outlook.com include:_spf.salesforce.com -all",)
    assert set(records.ns) == {"ns1-07.azure-dns.com", "ns2-07.azure-dns.net"}
    assert records.www_cname == ("contoso-web.trafficmanager.net", "contoso-web.azurewebsites.net")
    assert records.errors == ()
    found, _ = await detect_technologies(
        "contoso.example",
        nameservers=[dns_server.nameserver],
        headers={"x-ms-request-id": "1"},
        html=b"<meta name=generator content='WordPress 6'>",
    )
    assert {"Microsoft 365", "Microsoft Azure", "Salesforce", "Zoom", "WordPress"} <= names(found)


async def test_unknown_domain_and_dead_nameserver(dns_server: LoopbackDns) -> None:
    empty = await lookup_dns("nobody.example", [dns_server.nameserver], timeout_s=2.0)
    assert (empty.mx, empty.txt, empty.ns, empty.www_cname, empty.errors) == ((), (), (), (), ())
    started = time.monotonic()
    dead = await lookup_dns("contoso.example", ["127.0.0.1:9"], timeout_s=0.5)
    assert time.monotonic() - started < 3.0
    assert dead.mx == () and len(dead.errors) >= 3


def customer(customer_id: str, domain: str) -> Customer:
    return Customer(
        customer_id, customer_id, domain, 50, "", "", "", "", "", "US", False, 0.0, "", "", "Medium"
    )


async def test_storage_keeps_first_seen_and_moves_last_seen(store: Store) -> None:
    await store.customers.upsert_all([customer("C1", "contoso.example"), customer("C2", "f.example")])
    m365 = Technology("Microsoft 365", "productivity", "dns_mx", "c.mail.protection.outlook.com")
    zoom = Technology("Zoom", "communication", "dns_txt", "ZOOM_verify_1")
    assert await store.technologies.record("C1", [m365, zoom, m365], seen_at=100.0) == 2
    assert await store.technologies.record("C1", [m365], seen_at=200.0) == 0
    assert await store.technologies.record("C2", [zoom], seen_at=150.0) == 1
    rows = await store.technologies.for_customer("C1")
    assert [(r.name, r.first_seen_at, r.last_seen_at) for r in rows] == [
        ("Microsoft 365", 100.0, 200.0),
        ("Zoom", 100.0, 100.0),
    ]
    assert rows[0].evidence == "c.mail.protection.outlook.com" and rows[0].method == "dns_mx"
    assert await store.technologies.customers_using("Zoom") == {"C1", "C2"}
    assert await store.technologies.names_by_customer() == {
        "C1": {"Microsoft 365", "Zoom"},
        "C2": {"Zoom"},
    }
    assert await store.technologies.record("C1", []) == 0
