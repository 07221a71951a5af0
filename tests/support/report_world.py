"""A small scored world of customers, agreements and signals for the report tests."""

from __future__ import annotations

from intent.monthly import run_month
from storage.customers import Agreement, Product
from storage.store import Store
from tests.support.intent_world import (
    Sig,
    add_customers,
    add_records,
    add_signals,
    add_technology,
    customer,
)

MONTH = "2026-11"


async def report_world(store: Store) -> None:
    await add_customers(
        store,
        [
            customer(
                "C1",
                account_name='=HYPERLINK("http://evil.example","click")',
                city="+City",
                state="@state",
                vertical="-vert",
                industry="\tTabbed",
            ),
            customer("C2", account_name="Müller & Söhne, GmbH", org_size=120),
            customer(
                "C3", account_name="Line\nBreak Ltd", org_size=8, sub_segment="Small", is_nonprofit=True
            ),
        ],
    )
    await add_records(
        store,
        [
            Product("C1", "M365 E3", 35, "2025-02-01", "active"),
            Product("C2", "Surface", 30, "2025-05-01", "active"),
            Agreement("AG1", "C1", "=cmd|' /C calc'!A0", "2027-03-31", "SMB", 12000.0),
            Agreement("AG2", "C2", "CSP", "2026-12-15", "SMB", 500.5),
            Agreement("AG3", "C3", "CSP", "2030-01-01", "SMB", 1.0),  # outside the 12-month window
        ],
    )
    await add_technology(store, "C2", "Zoom", "html_script", "zoom.us/sdk.js")
    await add_signals(
        store,
        [
            Sig(
                "C1",
                "cloud_migration",
                "2026-11-20",
                ["Azure"],
                url="https://c1.example/=evil",
                why_now='=HYPERLINK("x") moves to the cloud',
            ),
            Sig("C1", "funding", "2026-11-05", ["Azure", "M365"]),
            Sig("C2", "modern_work", "2026-11-02", ["M365", "Surface"]),
        ],
    )
    await run_month(store.scores, store.runs, MONTH)
