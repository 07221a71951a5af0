"""DNS records of a customer domain for technographics (MX, TXT, NS, CNAME of www).

dnspython's asyncio resolver against configurable nameservers ('ip' or 'ip:port'; empty =
the system's), one lifetime per query, and caps on what is kept: answers are data from an
untrusted zone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.resolver

from crawler.guard import split_host_port

MAX_RECORDS = 50  # per record type
MAX_RECORD_CHARS = 1_000
MAX_CNAME_HOPS = 8


@dataclass(frozen=True)
class DnsRecords:
    domain: str
    mx: tuple[str, ...] = ()  # exchange host names, lower-case, no trailing dot
    txt: tuple[str, ...] = ()  # each record's strings joined
    ns: tuple[str, ...] = ()
    www_cname: tuple[str, ...] = ()  # the CNAME chain of www.<domain>, in order
    errors: tuple[str, ...] = ()  # "TYPE: problem" for lookups that failed (not NXDOMAIN)

    @property
    def spf(self) -> tuple[str, ...]:
        return tuple(t for t in self.txt if t.lower().startswith("v=spf1"))


def make_resolver(nameservers: Sequence[str], timeout_s: float) -> dns.asyncresolver.Resolver:
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        servers: list[dns.nameserver.Nameserver] = []
        for entry in nameservers:
            host, port = split_host_port(entry)
            servers.append(dns.nameserver.Do53Nameserver(host, port or 53))
        resolver.nameservers = servers
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = timeout_s
    resolver.timeout = timeout_s
    return resolver


def _host(name: object) -> str:
    return str(name).rstrip(".").lower()[:MAX_RECORD_CHARS]


async def _query(
    resolver: dns.asyncresolver.Resolver, name: str, rdtype: str, errors: list[str]
) -> list[object]:
    try:
        answer = await resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        errors.append(f"{rdtype} {name}: {type(exc).__name__}")
        return []
    return list(answer)[:MAX_RECORDS]


async def _cname_chain(resolver: dns.asyncresolver.Resolver, name: str, errors: list[str]) -> tuple[str, ...]:
    chain: list[str] = []
    current = name
    for _ in range(MAX_CNAME_HOPS):
        rdatas = await _query(resolver, current, "CNAME", errors)
        if not rdatas:
            break
        target = _host(getattr(rdatas[0], "target", ""))
        if not target or target in chain:
            break
        chain.append(target)
        current = target
    return tuple(chain)


def _txt(rdata: object) -> str:
    strings = getattr(rdata, "strings", ())
    return b"".join(strings).decode("utf-8", errors="replace")[:MAX_RECORD_CHARS]


async def lookup_dns(domain: str, nameservers: Sequence[str] = (), *, timeout_s: float = 5.0) -> DnsRecords:
    """MX, TXT and NS of ``domain`` and the CNAME chain of ``www.domain``; never raises for
    DNS failures (they are listed in ``errors``)."""
    domain = domain.strip().rstrip(".").lower()
    errors: list[str] = []
    try:
        dns.name.from_text(domain)
    except (dns.exception.DNSException, ValueError) as exc:
        return DnsRecords(domain, errors=(f"name: {type(exc).__name__}",))
    resolver = make_resolver(nameservers, timeout_s)
    mx, txt, ns, cname = await asyncio.gather(
        _query(resolver, domain, "MX", errors),
        _query(resolver, domain, "TXT", errors),
        _query(resolver, domain, "NS", errors),
        _cname_chain(resolver, f"www.{domain}", errors),
    )
    return DnsRecords(
        domain=domain,
        mx=tuple(_host(getattr(r, "exchange", "")) for r in mx),
        txt=tuple(_txt(r) for r in txt),
        ns=tuple(_host(getattr(r, "target", "")) for r in ns),
        www_cname=cname,
        errors=tuple(errors),
    )
