"""A database seeded with hostile crawled text (markup, formulas, javascript: links) for the escaping tests."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from storage.store import open_store

SCRIPT = "<script>alert(1)</script>"

ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'

JS_URL = "javascript:alert(1)"

ANSI = "\x1b[31mRED\x1b[0m\x1b]0;pwned\x07\x1b[2J\x9b31m"

MARKUP = "[bold red]loud[/bold red] [link=https://evil.example]click[/link]"

HOSTILE = f"Moving to the cloud {SCRIPT} then {ATTRIBUTE_BREAK} and {ANSI} with {MARKUP} now."

FORMULA = '=HYPERLINK("http://evil.example","x")'

DOMAIN = "hostile-corp.com"

CUSTOMER = "H1"

MONTH = "2026-11"

AREAS = ("Azure", "M365")


async def seed(db_file: Path) -> None:
    """One customer whose every crawled field is hostile, plus one plain neighbour."""
    store = await open_store(db_file)
    try:
        db = store.db
        customers = [
            (CUSTOMER, f"{FORMULA} {SCRIPT}", DOMAIN, "+Industry" + ATTRIBUTE_BREAK, "@Country"),
            ("H2", "-Plain Co", "plain-corp.com", "\tRetail", "\rUS"),
        ]
        for cid, name, domain, industry, country in customers:
            await db.execute(
                "INSERT INTO customers(customer_id, account_name, domain, org_size, industry,"
                " country, sub_segment, city, partner_id, partner_name)"
                " VALUES (?, ?, ?, 120, ?, ?, 'Medium', ?, 'P1', ?)",
                (cid, name, domain, industry, country, ANSI, MARKUP),
            )
            for area in AREAS:
                await db.execute(
                    "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent,"
                    " intent_band, cell, cluster) VALUES (?, ?, ?, 80, 'High', 90, 'High', 'A1',"
                    " 'Act now')",
                    (cid, area, MONTH),
                )
                await db.execute(
                    "INSERT INTO intent_scores(customer_id, area, month, score, band, raw, surge,"
                    " breadth, contributions) VALUES (?, ?, ?, 90, 'High', 0, 0, 1, '[]')",
                    (cid, area, MONTH),
                )
            await db.execute(
                "INSERT INTO customer_month(customer_id, month, flags, cohorts, potential_revenue,"
                " top_signals) VALUES (?, ?, '{}', ?, ?, '[]')",
                (
                    cid,
                    MONTH,
                    json.dumps(["=cohort" if cid == CUSTOMER else "M365_Copilot"]),
                    json.dumps({"Azure": -5.0}),
                ),
            )
        await db.execute(
            "INSERT INTO technologies(customer_id, technology, category, method, evidence,"
            " first_seen_at, last_seen_at) VALUES (?, ?, 'email', 'dns_txt', ?, 0, 0)",
            (CUSTOMER, f"Tech {MARKUP}", f"TXT {ANSI} {SCRIPT}"),
        )
        signals = [
            (1, HOSTILE, "[bold red]loud", JS_URL, f"why {MARKUP} {ANSI}"),
            (
                2,
                f"{ATTRIBUTE_BREAK} plain words here",
                SCRIPT,
                f"https://{DOMAIN}/a?q={ATTRIBUTE_BREAK}",
                SCRIPT,
            ),
        ]
        for number, passage, phrase, url, why in signals:
            await db.execute(
                "INSERT INTO documents(document_id, customer_id, url, kind, fetched_at,"
                " content_hash) VALUES (?, ?, ?, 'page', 0, ?)",
                (number, CUSTOMER, url, f"h{number}"),
            )
            await db.execute(
                "INSERT INTO passages(passage_id, document_id, customer_id, position, text,"
                " passage_hash) VALUES (?, ?, ?, 0, ?, ?)",
                (number, number, CUSTOMER, passage, f"p{number}"),
            )
            await db.execute(
                "INSERT INTO signals(signal_id, customer_id, document_id, passage_id, signal_type,"
                " family, polarity, confidence, areas, passage, key_phrase, url, source_kind,"
                " published, detected_at, why_now, nearest_examples, model)"
                " VALUES (?, ?, ?, ?, 'cloud_migration', 'technology', 1, 0.9, ?, ?, ?, ?, ?,"
                " '2026-11-02', 1790000000, ?, ?, 'm')",
                (
                    number,
                    CUSTOMER,
                    number,
                    number,
                    json.dumps(list(AREAS)),
                    passage,
                    phrase,
                    url,
                    f"careers {ANSI}",
                    why,
                    json.dumps([{"text": f"{SCRIPT} {ANSI} {MARKUP}", "label": "none", "similarity": 0.5}]),
                ),
            )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "ascent.db"
    asyncio.run(seed(path))
    return path
