"""The fixture web's loopback DNS server, queried with dnspython as the crawler will."""

from __future__ import annotations

from collections.abc import AsyncIterator

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from scripts.fixture_web import Company, FixtureWeb, World

pytestmark = pytest.mark.asyncio(loop_scope="session")
WORLD = World.generate(companies=60, seed=5)


@pytest.fixture
async def web() -> AsyncIterator[FixtureWeb]:
    async with FixtureWeb(WORLD, port=0, dns_port=0) as running:
        yield running


async def ask(web: FixtureWeb, name: str, kind: str, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, kind)
    send = dns.asyncquery.tcp if tcp else dns.asyncquery.udp
    assert web.dns_port
    return await send(query, "127.0.0.1", port=web.dns_port, timeout=2)


def texts(message: dns.message.Message, kind: str) -> list[str]:
    wanted = dns.rdatatype.from_text(kind)
    return [r.to_text() for rrset in message.answer if rrset.rdtype == wanted for r in rrset]


def company(predicate: object) -> Company:
    return next(c for c in WORLD.companies if predicate(c))  # type: ignore[operator]


async def test_microsoft_365_mail_records(web: FixtureWeb) -> None:
    c = company(lambda c: c.mail == "Microsoft 365")
    mx = texts(await ask(web, c.domain, "MX"), "MX")
    assert mx == [f"0 {c.domain.replace('.', '-')}.mail.protection.outlook.com."]
    txt = " ".join(texts(await ask(web, c.domain, "TXT"), "TXT"))
    assert '"MS=ms' in txt and "include:spf.protection.outlook.com" in txt
    cname = texts(await ask(web, f"autodiscover.{c.domain}", "CNAME"), "CNAME")
    assert cname == ["autodiscover.outlook.com."]


async def test_google_workspace_and_name_servers(web: FixtureWeb) -> None:
    c = company(lambda c: c.mail == "Google Workspace")
    assert "1 aspmx.l.google.com." in texts(await ask(web, c.domain, "MX"), "MX")
    assert "google-site-verification=" in " ".join(texts(await ask(web, c.domain, "TXT"), "TXT"))
    aws = company(lambda c: c.dns_provider == "AWS")
    assert all("awsdns" in ns for ns in texts(await ask(web, aws.domain, "NS"), "NS"))
    azure = company(lambda c: c.dns_provider == "Azure")
    assert all("azure-dns" in ns for ns in texts(await ask(web, azure.domain, "NS"), "NS"))


async def test_verification_records_match_the_stack(web: FixtureWeb) -> None:
    zoom = company(lambda c: "Zoom" in c.tech)
    assert "ZOOM_verify_" in " ".join(texts(await ask(web, zoom.domain, "TXT"), "TXT"))
    sf = company(lambda c: "Salesforce" in c.tech)
    assert "_spf.salesforce.com" in " ".join(texts(await ask(web, sf.domain, "TXT"), "TXT"))
    hub = company(lambda c: "HubSpot" in c.tech)
    assert "hubspotemail.net" in " ".join(texts(await ask(web, hub.domain, "TXT"), "TXT"))


async def test_hosts_resolve_to_loopback_and_unknown_names_do_not(web: FixtureWeb) -> None:
    c = WORLD.companies[0]
    assert texts(await ask(web, c.domain, "A"), "A") == ["127.0.0.1"]
    assert texts(await ask(web, WORLD.forum_host, "A"), "A") == ["127.0.0.1"]
    assert texts(await ask(web, "hang.badhost.com", "A"), "A") == ["127.0.0.1"]
    missing = await ask(web, f"nothing-here.{c.domain}", "A")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert (await ask(web, "not-a-fixture.example", "A")).rcode() == dns.rcode.NXDOMAIN


async def test_tcp_answers_like_udp(web: FixtureWeb) -> None:
    c = WORLD.companies[1]
    udp = await ask(web, c.domain, "TXT")
    tcp = await ask(web, c.domain, "TXT", tcp=True)
    assert sorted(texts(udp, "TXT")) == sorted(texts(tcp, "TXT")) and texts(tcp, "TXT")
