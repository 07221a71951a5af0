"""Two customers for the CRM matching tests: Contoso Ltd (contoso.co.uk) and Fabrikam."""

from __future__ import annotations

from pathlib import Path

from intent.imports import sub_segment
from storage.customers import Customer
from storage.store import open_store


def crm_customer(customer_id: str, name: str, domain: str) -> Customer:
    return Customer(
        customer_id,
        name,
        domain,
        50,
        "Retail",
        "Grocery",
        "Leeds",
        "",
        "LS1",
        "United Kingdom",
        False,
        0.0,
        "P1",
        "Partner One",
        sub_segment(50, 0.0),
    )


async def seed_two_customers(path: Path) -> None:
    store = await open_store(path)
    async with store:
        await store.customers.upsert_all(
            [
                crm_customer("C1", "Contoso Ltd", "contoso.co.uk"),
                crm_customer("C2", "Fabrikam", "fabrikam.com"),
            ]
        )
