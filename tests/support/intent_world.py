"""Small worlds of customers, products, technologies and signals for the intent tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from common.vocabulary import SIGNALS
from storage.customers import Agreement, Customer, FitScore, Outcome, Product
from storage.store import Store

_COUNTER = itertools.count(1)

FAMILY = {kind.id: kind.family for kind in SIGNALS}


def customer(customer_id: str, **overrides: Any) -> Customer:
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "account_name": f"Company {customer_id}",
        "domain": f"{customer_id.lower()}.example",
        "org_size": 40,
        "industry": "Manufacturing",
        "vertical": "Industrial",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
        "is_nonprofit": False,
        "azure_monthly_revenue": 0.0,
        "partner_id": "P1",
        "partner_name": "Partner One",
        "sub_segment": "Medium",
    }
    values.update(overrides)
    return Customer(**values)


@dataclass
class Sig:
    customer_id: str
    signal_type: str
    published: str
    areas: Sequence[str] = ()
    confidence: float = 0.9
    url: str = ""
    polarity: int = 1
    why_now: str = ""
    family: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


async def add_customers(store: Store, customers: Sequence[Customer]) -> None:
    await store.customers.upsert_all(list(customers))


async def add_records(store: Store, records: Sequence[Product | Agreement | FitScore | Outcome]) -> None:
    await store.customers.upsert_all(list(records))


async def add_technology(
    store: Store, customer_id: str, technology: str, method: str = "dns_mx", evidence: str = "mx record"
) -> None:
    await store.db.execute(
        "INSERT INTO technologies(customer_id, technology, category, method, evidence, first_seen_at,"
        " last_seen_at) VALUES (?, ?, '', ?, ?, 0, 0)",
        (customer_id, technology, method, evidence),
    )


async def add_signals(store: Store, signals: Sequence[Sig]) -> list[int]:
    """Each signal gets its own document and passage (the foreign keys need them)."""
    ids: list[int] = []
    async with store.db.transaction() as conn:
        for s in signals:
            n = next(_COUNTER)
            url = s.url or f"https://{s.customer_id.lower()}.example/news/{n}"
            cursor = await conn.execute(
                "INSERT INTO documents(customer_id, url, kind, fetched_at, content_hash)"
                " VALUES (?, ?, 'page', 0, ?)",
                (s.customer_id, url, f"h{n}"),
            )
            document_id = cursor.lastrowid
            cursor = await conn.execute(
                "INSERT INTO passages(document_id, customer_id, position, text, passage_hash)"
                " VALUES (?, ?, 0, 'text', ?)",
                (document_id, s.customer_id, f"p{n}"),
            )
            passage_id = cursor.lastrowid
            polarity = -1 if s.signal_type == "cost_cutting" else s.polarity
            cursor = await conn.execute(
                "INSERT INTO signals(customer_id, document_id, passage_id, signal_type, family, polarity,"
                " confidence, areas, passage, key_phrase, url, source_kind, published, detected_at, why_now)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'passage', 'phrase', ?, 'blog', ?, 0, ?)",
                (
                    s.customer_id,
                    document_id,
                    passage_id,
                    s.signal_type,
                    s.family or FAMILY[s.signal_type],
                    polarity,
                    s.confidence,
                    json.dumps(list(s.areas)),
                    url,
                    s.published,
                    s.why_now or f"{s.signal_type} on {s.published}",
                ),
            )
            ids.append(int(cursor.lastrowid or 0))
    return ids
