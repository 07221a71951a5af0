"""A loopback DNS server (UDP and TCP) that is authoritative for the fictional domains.

Answers MX, TXT (SPF, domain verification), NS, CNAME, SOA and A records that reveal each
company's stack the way real zones do: Microsoft 365 mail through
``*.mail.protection.outlook.com`` and ``MS=ms…``, Google Workspace through
``aspmx.l.google.com`` and ``google-site-verification=``, AWS and Azure name servers, and
verification records for Salesforce, HubSpot, Zoom, Atlassian, Slack and DocuSign. Every web
host answers A 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from functools import lru_cache

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from scripts.fixture_web.world import Company, World

TTL = 300
LOOPBACK = "127.0.0.1"
Zone = dict[str, dict[str, list[str]]]


def company_zone(company: Company) -> Zone:
    """name (lower-case, no trailing dot) -> record type -> rdata in presentation form."""
    d = company.domain
    token = company.token
    zone: Zone = {d: {"A": [LOOPBACK]}}
    apex = zone[d]
    txt: list[str] = []
    spf = []
    if company.mail == "Microsoft 365":
        apex["MX"] = [f"0 {d.replace('.', '-')}.mail.protection.outlook.com."]
        txt.append(f"MS=ms{int(token[:8], 16) % 100_000_000:08d}")
        spf.append("include:spf.protection.outlook.com")
        zone[f"autodiscover.{d}"] = {"CNAME": ["autodiscover.outlook.com."]}
        zone[f"enterpriseregistration.{d}"] = {"CNAME": ["enterpriseregistration.windows.net."]}
        zone[f"selector1._domainkey.{d}"] = {
            "CNAME": [f"selector1-{d.replace('.', '-')}._domainkey.{company.slug}.onmicrosoft.com."]
        }
    elif company.mail == "Google Workspace":
        apex["MX"] = [
            "1 aspmx.l.google.com.",
            "5 alt1.aspmx.l.google.com.",
            "5 alt2.aspmx.l.google.com.",
            "10 alt3.aspmx.l.google.com.",
            "10 alt4.aspmx.l.google.com.",
        ]
        txt.append(f"google-site-verification={token}{token[:11]}AbCdEfGhIjKlMnOp"[:65])
        spf.append("include:_spf.google.com")
    else:
        apex["MX"] = [f"10 mail.{d}."]
        zone[f"mail.{d}"] = {"A": [LOOPBACK]}
        spf.append("mx")
    tech = set(company.tech)
    if "Salesforce" in tech:
        spf.append("include:_spf.salesforce.com")
    if "HubSpot" in tech:
        hub = int(token[:7], 16)
        spf.append(f"include:{hub}.spf01.hubspotemail.net")
        zone[f"hs1-{hub}._domainkey.{d}"] = {"CNAME": [f"{d.replace('.', '-')}.hs01a.dkim.hubspotemail.net."]}
    if "Zoom" in tech:
        txt.append(f"ZOOM_verify_{token}")
    if "Atlassian" in tech:
        txt.append(f"atlassian-domain-verification={token}{token}")
    if "Slack" in tech:
        txt.append(f"slack-domain-verification={token[:12]}")
    if "DocuSign" in tech:
        txt.append(f"docusign={token[:8]}-{token[8:12]}-{token[12:16]}-aaaa-{token[:12]}")
    if "Zendesk" in tech:
        zone[f"support.{d}"] = {"CNAME": [f"{company.slug}.zendesk.com."]}
    txt.append("v=spf1 " + " ".join(spf) + " -all")
    apex["TXT"] = [_quote(t) for t in txt]
    zone[f"_dmarc.{d}"] = {"TXT": [_quote("v=DMARC1; p=quarantine; rua=mailto:dmarc@" + d)]}
    apex["NS"] = _name_servers(company)
    apex["SOA"] = [f"{apex['NS'][0]} hostmaster.{d}. 2026110101 7200 3600 1209600 300"]
    if company.www_host != d:
        www: dict[str, list[str]] = {}
        if company.cms == "Shopify":
            www["CNAME"] = ["shops.myshopify.com."]
        elif company.dns_provider == "Azure" and company.cms == "custom":
            www["CNAME"] = [f"{company.slug}.azurewebsites.net."]
        else:
            www["A"] = [LOOPBACK]
        zone[company.www_host] = www
    return zone


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _name_servers(company: Company) -> list[str]:
    n = int(company.token[-4:], 16)
    if company.dns_provider == "AWS":
        return [
            f"ns-{n % 2000}.awsdns-{n % 64:02d}.com.",
            f"ns-{(n + 7) % 2000}.awsdns-{(n + 3) % 64:02d}.net.",
            f"ns-{(n + 11) % 2000}.awsdns-{(n + 5) % 64:02d}.org.",
            f"ns-{(n + 13) % 2000}.awsdns-{(n + 9) % 64:02d}.co.uk.",
        ]
    if company.dns_provider == "Azure":
        k = n % 10 + 1
        return [
            f"ns1-{k:02d}.azure-dns.com.",
            f"ns2-{k:02d}.azure-dns.net.",
            f"ns3-{k:02d}.azure-dns.org.",
            f"ns4-{k:02d}.azure-dns.info.",
        ]
    if company.dns_provider == "Cloudflare":
        names = ("ada", "bob", "kai", "lia", "max", "rita", "sam", "vera")
        return [f"{names[n % 8]}.ns.cloudflare.com.", f"{names[(n + 3) % 8]}.ns.cloudflare.com."]
    return ["ns1.registrar-servers.com.", "ns2.registrar-servers.com."]


# Targets of CNAMEs we hand out that must resolve too (they point at the fixture web).
_CNAME_TARGETS_TO_LOOPBACK = ("shops.myshopify.com", ".azurewebsites.net")


class DnsResolver:
    """Answers questions from the world's zones; no network."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._plain_hosts = {world.forum_host, world.social_host}
        self._plain_hosts.update(entry["host"] for entry in world.hostile)
        self.zone = lru_cache(maxsize=4096)(self._zone)

    def _zone(self, domain: str) -> Zone | None:
        company = self.world.by_host.get(domain)
        return company_zone(company) if company is not None else None

    def records(self, name: str, rdtype: str) -> tuple[dns.rcode.Rcode, list[tuple[str, str, list[str]]]]:
        """(rcode, [(owner, type, rdatas)]) for a question."""
        name = name.rstrip(".").lower()
        if name in self._plain_hosts or name.endswith(_CNAME_TARGETS_TO_LOOPBACK):
            return dns.rcode.NOERROR, ([(name, "A", [LOOPBACK])] if rdtype == "A" else [])
        zone = self._find_zone(name)
        if zone is None:
            return dns.rcode.NXDOMAIN, []
        node = zone.get(name)
        if node is None:
            return dns.rcode.NXDOMAIN, []
        if rdtype in node:
            return dns.rcode.NOERROR, [(name, rdtype, node[rdtype])]
        if "CNAME" in node:
            answers = [(name, "CNAME", node["CNAME"])]
            target = node["CNAME"][0].rstrip(".")
            if rdtype == "A" and target.endswith(_CNAME_TARGETS_TO_LOOPBACK):
                answers.append((target, "A", [LOOPBACK]))
            return dns.rcode.NOERROR, answers
        return dns.rcode.NOERROR, []

    def _find_zone(self, name: str) -> Zone | None:
        labels = name.split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            company = self.world.by_host.get(candidate)
            if company is not None:
                return self.zone(company.domain)
        return None

    def answer(self, wire: bytes, max_size: int | None = None) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        rdtype = dns.rdatatype.to_text(question.rdtype)
        rcode, answers = self.records(question.name.to_text(), rdtype)
        response.set_rcode(rcode)
        for owner, kind, rdatas in answers:
            response.answer.append(
                dns.rrset.from_text_list(dns.name.from_text(owner), TTL, dns.rdataclass.IN, kind, rdatas)
            )
        limit = max_size or (max(512, query.payload) if query.edns >= 0 else 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer.clear()
            response.flags |= dns.flags.TC
            return response.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, resolver: DnsResolver) -> None:
        self.resolver = resolver
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.resolver.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class DnsServer:
    def __init__(self, world: World, host: str = LOOPBACK, port: int = 0) -> None:
        self.resolver = DnsResolver(world)
        self.host = host
        self.port = port
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self.queries = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self.resolver), local_addr=(self.host, self.port)
        )
        self._udp = transport
        self.port = transport.get_extra_info("sockname")[1]
        with contextlib.suppress(OSError):  # TCP on the same port when it is free
            self._tcp = await asyncio.start_server(self._tcp_client, self.host, self.port)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                reply = self.resolver.answer(await reader.readexactly(size), max_size=65535)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            self._tcp = None
