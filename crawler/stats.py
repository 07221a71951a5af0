"""Counters of a crawl pass, for the progress bar, the summary and the daemon's metrics."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_HOSTS_LISTED = 200  # hosts named in a run's stored summary


@dataclass
class CrawlStats:
    started: float = field(default_factory=time.monotonic)
    hosts: set[str] = field(default_factory=set)
    fetches: int = 0
    pages: int = 0
    not_modified: int = 0
    unchanged: int = 0
    documents: int = 0
    feed_entries: int = 0
    near_duplicates: int = 0
    discovered: int = 0
    robots_blocked: int = 0
    hops_borrowed: int = 0  # redirect targets' hosts leased for a visit (shared frontier)
    hop_waits: int = 0  # times a visit waited for such a host to be free
    deferred: int = 0  # visits put off because that host stayed busy (not errors)
    budget_deferred: int = 0  # pages left for the next pass: their host's budget was spent
    bytes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    # Hosts fetched over plain HTTP (HTTPS refused or no TLS), and hosts whose certificate
    # does not verify (crawler/schemes.py): named in the summary, for the site's owner.
    schemes: dict[str, list[str]] = field(default_factory=dict)

    def fetched(self, host: str, size: int) -> None:
        self.hosts.add(host)
        self.fetches += 1
        self.bytes += size

    def error(self, error_class: str) -> None:
        self.errors[error_class] += 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def elapsed_s(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)

    @property
    def pages_per_s(self) -> float:
        return self.fetches / self.elapsed_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "hosts": len(self.hosts),
            "fetches": self.fetches,
            "pages": self.pages,
            "not_modified": self.not_modified,
            "unchanged": self.unchanged,
            "documents": self.documents,
            "feed_entries": self.feed_entries,
            "near_duplicates": self.near_duplicates,
            "discovered": self.discovered,
            "robots_blocked": self.robots_blocked,
            "hops_borrowed": self.hops_borrowed,
            "hop_waits": self.hop_waits,
            "deferred": self.deferred,
            "budget_deferred": self.budget_deferred,
            "bytes": self.bytes,
            "errors": dict(sorted(self.errors.items())),
            "http_only_hosts": self.schemes.get("http_only", [])[:MAX_HOSTS_LISTED],
            "broken_certificate_hosts": self.schemes.get("broken_certificate", [])[:MAX_HOSTS_LISTED],
            "elapsed_s": round(self.elapsed_s, 3),
            "pages_per_s": round(self.pages_per_s, 2),
        }

    def summary_line(self) -> str:
        errors = ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"hosts={len(self.hosts)} fetches={self.fetches} pages={self.pages} "
            f"documents={self.documents} feed_entries={self.feed_entries} "
            f"not_modified={self.not_modified} unchanged={self.unchanged} "
            f"budget_deferred={self.budget_deferred} "
            f"bytes={self.bytes} pages/s={self.pages_per_s:.1f} "
            f"errors={self.error_count} ({errors})"
            f"{_hosts_named('http_only', self.schemes.get('http_only', []))}"
            f"{_hosts_named('broken_certificate', self.schemes.get('broken_certificate', []))}"
        )


def _hosts_named(label: str, hosts: list[str], shown: int = 5) -> str:
    if not hosts:
        return ""
    more = f" +{len(hosts) - shown} more" if len(hosts) > shown else ""
    return f" {label}={len(hosts)} ({', '.join(hosts[:shown])}{more})"
