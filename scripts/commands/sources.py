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
    from scripts.lookups import NoSuchCustomer, domain_argument, source_listing

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
