"""Technographics: which technologies a customer uses, from DNS records and its homepage.

The fingerprint table is data (``fingerprints.toml``). Matching is plain regular
expressions over bounded input: HTML is scanned with tag patterns that cannot run past the
next ``<``, so hostile pages cost linear time and no C parser ever sees them.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from common.errors import InputError
from crawler.dns import DnsRecords, lookup_dns

EVIDENCE_CHARS = 200
HTML_SCAN_BYTES = 1_000_000
MAX_EVIDENCE_PER_RULE = 3
MAX_ANCHORS = 5_000  # links looked at per page

DNS_FIELDS = {"mx": "dns_mx", "txt": "dns_txt", "spf": "dns_spf", "ns": "dns_ns", "cname": "dns_cname"}
HTML_FIELDS = {
    "script": "html_script",
    "link": "html_link",
    "anchor": "html_link",
    "html": "html_script",
}
KNOWN_KEYS = {"name", "category", "headers", "meta", *DNS_FIELDS, *HTML_FIELDS}

_TAG = re.compile(r"<(script|meta|link|a)\b([^<>]{0,4000})>", re.I)
_ATTR = re.compile(r"""([a-zA-Z_:][a-zA-Z0-9_:.-]{0,40})\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


@dataclass(frozen=True)
class Technology:
    name: str
    category: str
    method: str  # dns_mx | dns_txt | dns_spf | dns_ns | dns_cname | http_header | html_*
    evidence: str  # the record, header or snippet that matched (at most 200 characters)


@dataclass(frozen=True)
class _Rule:
    name: str
    category: str
    dns: dict[str, tuple[re.Pattern[str], ...]]
    html: dict[str, tuple[re.Pattern[str], ...]]
    headers: tuple[tuple[str, re.Pattern[str] | None], ...]
    meta: tuple[tuple[str, re.Pattern[str] | None], ...]


class FingerprintError(InputError):
    """fingerprints.toml is malformed (caught by the tests, never at crawl time)."""


def _compile(patterns: Iterable[str], where: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.I))
        except re.error as exc:
            raise FingerprintError(f"{where}: bad pattern {pattern!r}: {exc}") from exc
    return tuple(compiled)


def _pairs(entries: Iterable[Mapping[str, str]], key: str, where: str) -> tuple[Any, ...]:
    out = []
    for entry in entries:
        value = entry.get(key, "")
        out.append((entry["name"].lower(), _compile([value], where)[0] if value else None))
    return tuple(out)


def parse_fingerprints(text: str) -> tuple[_Rule, ...]:
    rules = []
    for index, entry in enumerate(tomllib.loads(text).get("technology", [])):
        where = f"technology #{index + 1} ({entry.get('name', '?')})"
        unknown = set(entry) - KNOWN_KEYS
        if unknown or "name" not in entry or "category" not in entry:
            raise FingerprintError(f"{where}: unknown keys {sorted(unknown)} or no name/category")
        rules.append(
            _Rule(
                name=entry["name"],
                category=entry["category"],
                dns={f: _compile(entry.get(f, []), where) for f in DNS_FIELDS if entry.get(f)},
                html={f: _compile(entry.get(f, []), where) for f in HTML_FIELDS if entry.get(f)},
                headers=_pairs(entry.get("headers", []), "value", where),
                meta=_pairs(entry.get("meta", []), "content", where),
            )
        )
    return tuple(rules)


@functools.cache
def fingerprints() -> tuple[_Rule, ...]:
    text = (resources.files("crawler") / "fingerprints.toml").read_text(encoding="utf-8")
    return parse_fingerprints(text)


def _evidence(text: str) -> str:
    return " ".join(text.split())[:EVIDENCE_CHARS]


class _Found:
    """Collects matches, one per (technology, method, evidence), a few per rule."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], Technology] = {}
        self._per_rule: dict[tuple[str, str], int] = {}

    def add(self, rule: _Rule, method: str, evidence: str) -> None:
        key = (rule.name, method)
        if self._per_rule.get(key, 0) >= MAX_EVIDENCE_PER_RULE:
            return
        tech = Technology(rule.name, rule.category, method, _evidence(evidence))
        if (tech.name, tech.method, tech.evidence) not in self.items:
            self.items[(tech.name, tech.method, tech.evidence)] = tech
            self._per_rule[key] = self._per_rule.get(key, 0) + 1


def detect_from_dns(records: DnsRecords, rules: Sequence[_Rule] | None = None) -> list[Technology]:
    found = _Found()
    values = {
        "mx": records.mx,
        "txt": tuple(t for t in records.txt if not t.lower().startswith("v=spf1")),
        "spf": records.spf,
        "ns": records.ns,
        "cname": records.www_cname,
    }
    for rule in rules or fingerprints():
        for field_name, patterns in rule.dns.items():
            for value in values[field_name]:
                if any(p.search(value) for p in patterns):
                    found.add(rule, DNS_FIELDS[field_name], value)
    return list(found.items.values())


def _tags(html: str) -> dict[str, list[dict[str, str]]]:
    tags: dict[str, list[dict[str, str]]] = {"script": [], "meta": [], "link": [], "a": []}
    for match in _TAG.finditer(html):
        attrs: dict[str, str] = {}
        for attr in _ATTR.finditer(match.group(2)):
            value = next((g for g in attr.groups()[1:] if g is not None), "")
            attrs.setdefault(attr.group(1).lower(), value.strip())
        attrs["_tag"] = match.group(0)
        tags[match.group(1).lower()].append(attrs)
    return tags


def detect_from_http(
    headers: Mapping[str, str], html: bytes, rules: Sequence[_Rule] | None = None
) -> list[Technology]:
    """Technologies visible in response headers and the page source."""
    found = _Found()
    lowered = {k.lower(): str(v)[:2000] for k, v in headers.items()}
    text = html[:HTML_SCAN_BYTES].decode("utf-8", errors="replace")
    tags = _tags(text)
    scripts = [t["src"] for t in tags["script"] if t.get("src")]
    links = [t["href"] for t in tags["link"] if t.get("href")]
    anchors = [t["href"] for t in tags["a"][:MAX_ANCHORS] if t.get("href")]
    for rule in rules or fingerprints():
        for name, pattern in rule.headers:
            value = lowered.get(name)
            if value is not None and (pattern is None or pattern.search(value)):
                found.add(rule, "http_header", f"{name}: {value}")
        for name, pattern in rule.meta:
            for meta in tags["meta"]:
                key = (meta.get("name") or meta.get("property") or "").lower()
                content = meta.get("content", "")
                if key == name and (pattern is None or pattern.search(content)):
                    found.add(rule, "html_meta", meta["_tag"])
        for field_name, candidates in (("script", scripts), ("link", links), ("anchor", anchors)):
            for pattern in rule.html.get(field_name, ()):
                for value in candidates:
                    if pattern.search(value):
                        found.add(rule, HTML_FIELDS[field_name], value)
        for pattern in rule.html.get("html", ()):
            hit = pattern.search(text)
            if hit:
                start = max(0, hit.start() - 40)
                found.add(rule, "html_script", text[start : hit.end() + 40])
    return list(found.items.values())


async def detect_technologies(
    domain: str,
    *,
    nameservers: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    html: bytes = b"",
    timeout_s: float = 5.0,
) -> tuple[list[Technology], DnsRecords]:
    """The domain ping: DNS lookups plus (when given) the homepage's headers and body."""
    records = await lookup_dns(domain, nameservers, timeout_s=timeout_s)
    found = detect_from_dns(records)
    if headers is not None or html:
        found += detect_from_http(headers or {}, html)
    return found, records
