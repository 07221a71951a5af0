"""Settings of the crawler (section [crawler] of the settings file)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CrawlerSettings:
    user_agent: str = field(
        default="ascent/0.1 (+https://example.org/bot)",
        metadata={"doc": "User-Agent sent with every request; name the product and a contact URL."},
    )
    resolve: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "doc": "Host to 'address:port' overrides, like curl's --resolve; the demo and tests "
            "point fictional domains at the fixture web with it."
        },
    )
    allow_private_addresses: bool = field(
        default=False,
        metadata={
            "doc": "Allow connections to loopback, private, link-local, CGNAT and other "
            "non-public addresses. Off by default: customer domains are untrusted input."
        },
    )
    nameservers: list[str] = field(
        default_factory=list,
        metadata={"doc": "DNS servers ('ip' or 'ip:port') for technographics; empty = system resolver."},
    )
    concurrency: int = field(default=64, metadata={"doc": "Requests in flight in total."})
    per_host_concurrency: int = field(default=2, metadata={"doc": "Requests in flight per host."})
    per_host_delay: float = field(
        default=1.0,
        metadata={"doc": "Minimum seconds between requests to one host (Crawl-delay wins when larger)."},
    )
