"""`ascent sources DOMAIN [--json]`: the sources and documents known for a customer domain.

JSON (SPEC §10): ``[{"url", "kind", "status", "last_fetched", "scheme", "documents": [{"url",
"title", "published"}]}]`` — one object per source, each with the latest version of every
document found through it. ``last_fetched`` is ISO 8601 UTC or null; ``scheme`` is the scheme
that answers on the source's host (``https``, ``http`` when HTTPS fails there, null before
the host was tried). Exit 3 for an unknown domain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from scripts.exits import EXIT_OK

NAME = "sources"
HELP = "list the sources and documents known for a customer domain"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domain", help="customer domain, e.g. contoso.com")
    parser.add_argument("--json", action="store_true", help="print JSON (see SPEC §10)")


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_sources(args))


async def _sources(args: argparse.Namespace) -> int:
    from scripts.context import settings_from, store_from
    from scripts.lookups import NoSuchCustomer, domain_argument

    domain = domain_argument(args.domain)
    settings = settings_from(args)
    store = await store_from(args, settings, reading=True)
    async with store:
        customer = await store.customers.by_domain(domain)
        if customer is None:
            raise NoSuchCustomer(domain)
        listing = await source_listing(store, customer.customer_id)
    if args.json:
        json.dump(listing, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        _print_table(customer.account_name, domain, listing)
    return EXIT_OK


async def source_listing(store: Any, customer_id: str) -> list[dict[str, Any]]:
    """The SPEC §10 structure for one customer (also used by the web UI and tests)."""
    sources = await store.frontier.by_customer(customer_id)
    schemes = {s.host: s.scheme for s in await store.frontier.host_schemes({s.host for s in sources})}
    documents = await store.documents.by_customer(customer_id)
    latest: dict[tuple[int | None, str, str], Any] = {}
    for doc in documents:  # oldest first: later versions replace earlier ones
        latest[(doc.source_id, doc.url, doc.kind)] = doc
    by_source: dict[int | None, list[Any]] = {}
    for doc in latest.values():
        by_source.setdefault(doc.source_id, []).append(doc)
    listing = []
    for source in sources:
        docs = sorted(
            by_source.get(source.source_id, []),
            key=lambda d: (d.published or "", d.url),
            reverse=True,
        )
        listing.append(
            {
                "url": source.url,
                "kind": source.kind,
                "status": source.status,
                "last_fetched": _iso(source.last_fetched_at),
                "scheme": schemes.get(source.host.lower()),
                "documents": [{"url": d.url, "title": d.title, "published": d.published} for d in docs],
            }
        )
    return listing


def _iso(instant: float | None) -> str | None:
    if instant is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(instant))


def _print_table(name: str, domain: str, listing: list[dict[str, Any]]) -> None:
    from scripts.terminal import inert

    documents = sum(len(s["documents"]) for s in listing)
    print(f"{inert(name)} ({domain}): {len(listing)} sources, {documents} documents")
    for source in listing:
        fetched = source["last_fetched"] or "never"
        print(f"  [{source['kind']:<8}] {source['status']:<7} {fetched:<20} {inert(source['url'])}")
        for doc in source["documents"][:20]:
            title = inert(doc["title"] or "")[:70]
            print(f"      {doc['published'] or '':<20} {title}  <{inert(doc['url'])}>")
        if len(source["documents"]) > 20:
            print(f"      ... {len(source['documents']) - 20} more")
