"""Settings of the crawler (section [crawler] of the settings file)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CrawlerSettings:
    user_agent: str = field(
        default="ascent/0.1 (+https://example.org/bot)",
        metadata={
            "header_safe": True,
            "doc": "User-Agent sent with every request; name the product and a contact URL.",
        },
    )
    resolve: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "doc": "Host (or 'host:port') to 'address:port' overrides, like curl's --resolve; "
            "the demo and tests point fictional domains at the fixture web with it."
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
    concurrency: int = field(
        default=64, metadata={"min": 1, "max": 10_000, "doc": "Requests in flight in total."}
    )
    per_host_concurrency: int = field(
        default=2, metadata={"min": 1, "max": 100, "doc": "Requests in flight per host."}
    )
    per_host_delay: float = field(
        default=1.0,
        metadata={
            "min": 0,
            "max": 3_600,
            "doc": "Minimum seconds between requests to one host (Crawl-delay wins when larger).",
        },
    )
    http_nameservers: list[str] = field(
        default_factory=list,
        metadata={
            "doc": "DNS servers ('ip' or 'ip:port') the fetcher resolves host names with; "
            "empty = the system resolver. The resolve map is consulted first."
        },
    )
    max_body_bytes: int = field(
        default=5_000_000,
        metadata={
            "min": 1,
            "max": 1_000_000_000,
            "doc": "Largest response body kept, counted after decompression and enforced while "
            "streaming; a larger body is a 'too_large' fetch error.",
        },
    )
    fetch_deadline_s: float = field(
        default=20.0,
        metadata={
            "gt": 0,
            "max": 3_600,
            "doc": "Total seconds one fetch may take, all redirects, headers and body included.",
        },
    )
    connect_timeout_s: float = field(
        default=5.0, metadata={"gt": 0, "max": 600, "doc": "Seconds to open one TCP (and TLS) connection."}
    )
    max_redirects: int = field(
        default=5,
        metadata={
            "min": 0,
            "max": 20,
            "doc": "Redirect hops followed per fetch (each hop is checked again).",
        },
    )
    robots_cache_s: float = field(
        default=86_400.0,
        metadata={
            "gt": 0,
            "max": 86_400,
            "doc": "Seconds a fetched robots.txt is trusted (RFC 9309: at most 24 hours).",
        },
    )
    robots_retry_s: float = field(
        default=600.0,
        metadata={
            "gt": 0,
            "max": 86_400,
            "doc": "After a robots.txt 5xx or network error the host is treated as disallowed; "
            "seconds until robots.txt is tried again.",
        },
    )
    robots_max_bytes: int = field(
        default=512_000,
        metadata={
            "min": 1,
            "max": 100_000_000,
            "doc": "Bytes of robots.txt parsed (RFC 9309: at least 500 KiB).",
        },
    )
    max_crawl_delay: float = field(
        default=60.0,
        metadata={
            "min": 0,
            "max": 86_400,
            "doc": "Largest Crawl-delay honoured, in seconds (larger values are capped).",
        },
    )
    max_retry_after_s: float = field(
        default=3_600.0,
        metadata={
            "min": 0,
            "max": 604_800,
            "doc": "Largest Retry-After (429/503) honoured per host, in seconds.",
        },
    )
    backoff_base_s: float = field(
        default=5.0,
        metadata={
            "min": 0,
            "max": 86_400,
            "max_field": "backoff_max_s",
            "doc": "Back-off after the first consecutive error on a host; doubles per error.",
        },
    )
    backoff_max_s: float = field(
        default=3_600.0,
        metadata={"min": 0, "max": 604_800, "doc": "Longest back-off after consecutive errors on a host."},
    )
    dns_timeout_s: float = field(
        default=5.0, metadata={"gt": 0, "max": 600, "doc": "Seconds one technographics DNS lookup may take."}
    )
    parse_timeout_s: float = field(
        default=10.0,
        metadata={
            "gt": 0,
            "max": 3_600,
            "doc": "Seconds an isolated parse of fetched bytes may take before its worker is killed.",
        },
    )
    parse_workers: int = field(
        default=1,
        metadata={"min": 1, "max": 64, "doc": "Worker processes that parse fetched bytes (feeds, HTML)."},
    )
    seed_scheme: str = field(
        default="https",
        metadata={
            "choices": ("http", "https"),
            "doc": "Scheme of the homepage URL seeded for each customer domain (http or https).",
        },
    )
    forum_hosts: list[str] = field(
        default_factory=list,
        metadata={
            "doc": "Public forum hosts whose threads are followed when a customer's pages link "
            "to them (their threads become 'forum' sources of that customer)."
        },
    )
    common_paths: list[str] = field(
        default_factory=lambda: [
            "/blog",
            "/news",
            "/press",
            "/newsroom",
            "/careers",
            "/jobs",
            "/feed",
            "/rss",
            "/atom.xml",
            "/sitemap.xml",
        ],
        metadata={"doc": "Paths probed on every customer domain for blogs, newsrooms, careers and feeds."},
    )
    lease_s: float = field(
        default=300.0,
        metadata={
            "gt": 0,
            "max": 86_400,
            "doc": "Seconds a leased source stays in flight; a crawler killed mid-visit "
            "gives it back when the lease expires (sooner after a restart on the same machine).",
        },
    )
    max_hop_wait_s: float = field(
        default=5.0,
        metadata={
            "min": 0,
            "max": 3_600,
            "doc": "On a shared (PostgreSQL) frontier, seconds a visit waits, holding no "
            "politeness slot, for another worker to give up the host a redirect leads to; "
            "when that host is busy longer, the visit is put off until it is free.",
        },
    )
    revisit_min_s: float = field(
        default=900.0,
        metadata={
            "gt": 0,
            "max": 31_536_000,
            "max_field": "revisit_max_s",
            "doc": "Shortest interval between two visits of one source.",
        },
    )
    revisit_max_s: float = field(
        default=14 * 86_400.0,
        metadata={"gt": 0, "max": 31_536_000, "doc": "Longest interval between two visits of one source."},
    )
    source_retry_base_s: float = field(
        default=300.0,
        metadata={
            "gt": 0,
            "max": 2_592_000,
            "max_field": "source_retry_max_s",
            "doc": "Delay before retrying a failed source; doubles per consecutive failure.",
        },
    )
    source_retry_max_s: float = field(
        default=86_400.0,
        metadata={"gt": 0, "max": 2_592_000, "doc": "Longest delay before retrying a failed source."},
    )
    max_feed_entries: int = field(
        default=200,
        metadata={
            "min": 1,
            "max": 100_000,
            "doc": "Entries read from one feed (newest first); the rest are ignored.",
        },
    )
    max_sitemap_urls: int = field(
        default=5_000,
        metadata={"min": 1, "max": 1_000_000, "doc": "URLs taken from one sitemap or sitemap index."},
    )
    max_sources_per_customer: int = field(
        default=2_000,
        metadata={
            "min": 1,
            "max": 1_000_000,
            "doc": "Sources kept per customer; links found beyond it are not followed.",
        },
    )
    near_duplicate_bits: int = field(
        default=3,
        metadata={
            "min": -1,
            "max": 64,
            "doc": "Pages whose 64-bit simhash differs from an already stored page of the same "
            "customer in at most this many bits are near-duplicates and not stored again; -1 disables.",
        },
    )
    fetch_retries: int = field(
        default=1,
        metadata={
            "min": 0,
            "max": 10,
            "doc": "Retries within one visit, after the host's back-off, when a connection "
            "fails or a response breaks off (other errors wait for the source's next try).",
        },
    )
    # --- Scheme fallback (crawler/schemes.py) ---
    scheme_recheck_s: float = field(
        default=7 * 86_400.0,
        metadata={
            "doc": "A host whose HTTPS failed to connect, handshake or verify is fetched over "
            "plain HTTP; after this many seconds HTTPS is tried on it again.",
            "gt": 0,
            "max": 31_536_000,
        },
    )
    # --- Request budget (crawler/budget.py) ---
    page_budget_initial: float = field(
        default=12.0,
        metadata={
            "doc": "Requests per host and pass that may find nothing new (a 404, a duplicate, a "
            "listing), for a host not crawled before; a visit that stores a new article gives "
            "its request back, and articles listed by the site's feeds and sitemaps are always "
            "visited. Pages left when it is spent wait for the next pass.",
            "max_field": "page_budget_max",
            "gt": 0,
        },
    )
    page_budget_min: float = field(
        default=4.0,
        metadata={
            "doc": "Smallest budget a host keeps: it halves after a pass in which fewer than a "
            "fifth of its budgeted visits found new articles.",
            "gt": 0,
            "max_field": "page_budget_max",
        },
    )
    page_budget_max: float = field(
        default=400.0,
        metadata={
            "doc": "Largest budget a host reaches: it grows by half after a pass in which at "
            "least half of its budgeted visits found new articles.",
            "gt": 0,
            "max": 100_000,
        },
    )
    page_budget_defer_s: float = field(
        default=43_200.0,
        metadata={
            "doc": "Seconds a page waits when its host's budget for the pass is spent (until "
            "the next pass); a crawl that keeps going (the daemon) starts a new pass this often.",
            "gt": 0,
            "max": 31_536_000,
        },
    )
