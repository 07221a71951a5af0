"""Realistic rows for the analyst UI's tests: customers, monthly scores, signals (some hostile).

The UI only reads what the monthly run and the classifier write, so the tests write those rows
directly. Two months of propensity for every area, flags/cohorts/revenue per month, products,
technographics, and signals including a crawled passage with a script tag and a javascript:
link.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from pathlib import Path
from typing import Any

from common import vocabulary
from common.vocabulary import AREAS, cluster_of_cell
from storage.store import open_store

MONTHS = ("2026-10", "2026-11")
# Each (fit band, intent band) with its default cell and cluster.
CELLS = {bands: (cell, cluster_of_cell()[cell]) for cell, bands in vocabulary.CELLS.items()}
HOSTILE_PASSAGE = (
    "Breaking news <script>alert(1)</script> we are moving every server to the cloud "
    '<img src=x onerror="alert(2)"> this quarter.'
)
HOSTILE_URL = "javascript:alert(3)"
FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'

# (customer_id, account_name, domain, org_size, industry, country, sub_segment)
CUSTOMERS = [
    ("C001", "Contoso Ltd", "contoso.example", 250, "Manufacturing", "US", "SMB Upper"),
    ("C002", "Fabrikam <b>Inc</b>", "fabrikam.example", 40, "Retail", "GB", "SMB Core"),
    ("C003", "Northwind Traders", "northwind.example", 900, "Logistics", "DE", "Mid-Market"),
    ("C004", "Adventure Works", "adventure-works.example", 120, "Retail", "US", "SMB Upper"),
    ("C005", FORMULA_NAME, "formula.example", 15, "Healthcare", "FR", "SMB Core"),
    ("C006", "Tailspin Toys", "tailspin.example", 60, "Manufacturing", "DE", "SMB Core"),
    ("C007", "Wide World Importers", "wideworld.example", 1500, "Logistics", "US", "Mid-Market"),
    ("C008", "Litware Health", "litware.example", 300, "Healthcare", "GB", "SMB Upper"),
]
# November Azure scores (fit, intent) chosen to land in known cells.
AZURE_NOV = {
    "C001": (88.0, 91.0),  # A1
    "C002": (80.0, 60.0),  # A2
    "C003": (60.0, 80.0),  # A3
    "C004": (90.0, 40.0),  # B1
    "C005": (20.0, 95.0),  # C2
    "C006": (10.0, 10.0),  # D4
    "C007": (78.0, 85.0),  # A1
    "C008": (40.0, 20.0),  # D2
}
COHORTS = {
    "C001": ["Azure_M365NoAzure", "M365_Copilot"],
    "C002": ["M365_MoveToCloud"],
    "C003": ["M365_Copilot", "Security_UpsellE5"],
    "C007": ["M365_Copilot"],
}


def band(score: float) -> str:
    if score >= 75:
        return "High"
    if score >= 55:
        return "Medium"
    if score >= 30:
        return "Low"
    return "Very low"


def scores(customer_id: str, area: str, month: str) -> tuple[float, float]:
    """Deterministic fit and intent for any customer, area and month."""
    if area == "Azure" and month == MONTHS[-1]:
        return AZURE_NOV[customer_id]
    number = int(customer_id[1:])
    seed = number * 31 + AREAS.index(area) * 17 + MONTHS.index(month) * 7
    return float((seed * 13) % 100), float((seed * 29) % 100)


def revenue(customer_id: str, area: str) -> float:
    return float(int(customer_id[1:]) * 1000 + AREAS.index(area) * 10)


async def seed(db_file: Path | str, link_url: str = "https://contoso.example/careers/cloud") -> None:
    """Write the test rows into a migrated database file."""
    store = await open_store(db_file)
    try:
        db = store.db
        for cid, name, domain, size, industry, country, segment in CUSTOMERS:
            await db.execute(
                "INSERT INTO customers(customer_id, account_name, domain, org_size, industry,"
                " country, sub_segment, city, partner_id, partner_name)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'Springfield', 'P1', 'Ascent Partner')",
                (cid, name, domain, size, industry, country, segment),
            )
            for month in MONTHS:
                for area in AREAS:
                    fit, intent = scores(cid, area, month)
                    cell, cluster = CELLS[(band(fit), band(intent))]
                    await db.execute(
                        "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent,"
                        " intent_band, cell, cluster) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (cid, area, month, fit, band(fit), intent, band(intent), cell, cluster),
                    )
                    await db.execute(
                        "INSERT INTO intent_scores(customer_id, area, month, score, band, raw,"
                        " surge, breadth, contributions) VALUES (?, ?, ?, ?, ?, 0, ?, 2, ?)",
                        (
                            cid,
                            area,
                            month,
                            intent,
                            band(intent),
                            1.0 if cid == "C001" else 0.0,
                            json.dumps([{"signal_id": 1, "signal_type": "hiring_tech", "weight": 12.5}]),
                        ),
                    )
                await db.execute(
                    "INSERT INTO customer_month(customer_id, month, flags, cohorts,"
                    " potential_revenue, top_signals) VALUES (?, ?, ?, ?, ?, '[]')",
                    (
                        cid,
                        month,
                        json.dumps({"HasAzure": cid in ("C003", "C007"), "HasM365": cid != "C002"}),
                        json.dumps(COHORTS.get(cid, [])),
                        json.dumps({area: revenue(cid, area) for area in AREAS}),
                    ),
                )
        await db.execute(
            "UPDATE customer_month SET flag_evidence = ? WHERE customer_id = 'C001'",
            (json.dumps({"HasM365": ["product: Microsoft 365 Business Standard <180 seats>"]}),),
        )
        await db.execute(
            "INSERT INTO products(customer_id, product, quantity, purchase_date, status)"
            " VALUES ('C001', 'Microsoft 365 Business Standard', 180, '2024-03-01', 'active')"
        )
        await db.execute(
            "INSERT INTO technologies(customer_id, technology, category, method, evidence,"
            " first_seen_at, last_seen_at) VALUES ('C001', 'Google Workspace', 'email', 'dns_mx',"
            " 'MX aspmx.l.google.com <script>alert(4)</script>', 0, 0)"
        )
        signals: list[dict[str, Any]] = [
            {
                "customer_id": "C001",
                "signal_type": "hiring_tech",
                "family": "hiring",
                "passage": "Contoso is hiring three cloud engineers to move its workloads to Azure.",
                "key_phrase": "hiring three cloud engineers",
                "url": link_url,
                "published": "2026-11-03",
                "confidence": 0.91,
                "areas": ["Azure", "M365"],
                "why_now": "Posted this month: three open cloud roles.",
            },
            {
                "customer_id": "C001",
                "signal_type": "cloud_migration",
                "family": "technology",
                "passage": HOSTILE_PASSAGE,
                "key_phrase": "<script>alert(1)</script>",
                "url": HOSTILE_URL,
                "published": "2026-10-20",
                "confidence": 0.77,
                "areas": ["Azure"],
                "why_now": "<b>Moving</b> servers this quarter.",
            },
            {
                "customer_id": "C003",
                "signal_type": "funding",
                "family": "money",
                "passage": "Northwind Traders closed a $20M Series B round led by Example Ventures.",
                "key_phrase": "closed a $20M Series B",
                "url": "https://northwind.example/news/b",
                "published": "2026-11-10",
                "confidence": 0.88,
                "areas": ["Azure", "M365"],
                "why_now": "Fresh funding this month.",
            },
            {
                "customer_id": "C006",
                "signal_type": "cost_cutting",
                "family": "negative",
                "passage": "Tailspin Toys announced layoffs of 20% of its staff.",
                "key_phrase": "layoffs",
                "url": "http://tailspin.example/press/layoffs",
                "published": "2026-09-01",
                "confidence": 0.83,
                "areas": ["Azure", "M365"],
                "why_now": "Negative: cost cutting.",
                "polarity": -1,
            },
        ]
        for number, sig in enumerate(signals, start=1):
            await db.execute(
                "INSERT INTO documents(document_id, customer_id, url, kind, fetched_at,"
                " content_hash) VALUES (?, ?, ?, 'page', 0, ?)",
                (number, sig["customer_id"], sig["url"], f"h{number}"),
            )
            await db.execute(
                "INSERT INTO passages(passage_id, document_id, customer_id, position, text,"
                " passage_hash) VALUES (?, ?, ?, 0, ?, ?)",
                (number, number, sig["customer_id"], sig["passage"], f"p{number}"),
            )
            await db.execute(
                "INSERT INTO signals(signal_id, customer_id, document_id, passage_id, signal_type,"
                " family, polarity, confidence, areas, passage, key_phrase, url, source_kind,"
                " published, detected_at, why_now, nearest_examples, model)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'careers', ?, 1790000000, ?, ?, 'm')",
                (
                    number,
                    sig["customer_id"],
                    number,
                    number,
                    sig["signal_type"],
                    sig["family"],
                    sig.get("polarity", 1),
                    sig["confidence"],
                    json.dumps(sig["areas"]),
                    sig["passage"],
                    sig["key_phrase"],
                    sig["url"],
                    sig["published"],
                    sig["why_now"],
                    json.dumps(
                        [
                            {
                                "text": "We are recruiting a cloud engineer",
                                "label": "hiring_tech",
                                "similarity": 0.82,
                            },
                            {"text": '<img src=x onerror="alert(5)">', "label": "none", "similarity": 0.31},
                        ]
                    ),
                ),
            )
    finally:
        await store.close()


def seed_file(db_file: Path, link_url: str = "https://contoso.example/careers/cloud") -> Path:
    """Seed from synchronous code (a fresh event loop in a worker thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, seed(db_file, link_url)).result()
    return db_file


def expected_cell_counts(area: str = "Azure", month: str = MONTHS[-1]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cid, *_ in CUSTOMERS:
        fit, intent = scores(cid, area, month)
        cell = CELLS[(band(fit), band(intent))][0]
        counts[cell] = counts.get(cell, 0) + 1
    return counts
