"""`ascent explain DOMAIN`: why a customer is where it is, with the evidence, in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from typing import Any

from scripts.context import settings_from, store_from

NAME = "explain"
HELP = "show a customer's fit, intent, cell and cluster per area with every signal and its evidence"

MAX_SIGNALS = 100_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("domain", help="the customer's domain (any URL or host of it works)")
    parser.add_argument("--month", help="YYYY-MM (default: the latest scored month)")
    parser.add_argument("--json", action="store_true", help="print JSON (SPEC §10 contract)")


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_explain(args))


async def _explain(args: argparse.Namespace) -> int:
    from intent.months import checked_month, latest_month
    from scripts.lookups import NoSuchCustomer, domain_argument, explanation
    from storage.views import SqliteViewQueries

    domain = domain_argument(args.domain)
    if args.month is not None:
        checked_month(args.month)
    store = await store_from(args, settings_from(args), reading=True)
    async with store:
        customer = await store.customers.by_domain(domain)
        if customer is None:
            raise NoSuchCustomer(domain)
        views = SqliteViewQueries(store.db)
        detail = await views.customer(customer.customer_id, args.month, MAX_SIGNALS, latest_month())
    if detail is None:
        raise NoSuchCustomer(domain)
    report = explanation(domain, customer.customer_id, detail)
    if args.json:
        print(json_text(report))
    else:
        from scripts.explain_view import render

        render(report, detail)
    return 0


_C1 = re.compile(r"[\x7f-\x9f]")


def json_text(report: dict[str, Any]) -> str:
    """JSON with non-ASCII kept readable but C1 controls (e.g. the 8-bit CSI) escaped."""
    text = json.dumps(report, ensure_ascii=False, indent=2)
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
