"""A customer site of a few dated pages and a classify pipeline over a real store."""

from __future__ import annotations

import hashlib

from signals.classify import get_classifier
from signals.embed import default_embedder
from signals.pipeline import ClassifyPipeline
from signals.settings import SignalSettings
from storage.customers import Customer
from storage.documents import NewDocument
from storage.store import Store

FOOTER = "Westbrook Joinery is a family business serving the county since 1974 with care."

SIGNAL_PAGES = {
    "/news/hiring": (
        "hiring_tech",
        "Westbrook Joinery is recruiting two software developers to build our online ordering platform.",
    ),
    "/news/breach": (
        "security_incident",
        "Last week a ransomware attack encrypted the workshop's file server and halted production.",
    ),
    "/news/funding": (
        "funding",
        "Westbrook Joinery has secured a £3 million loan facility from its bank to fund expansion.",
    ),
    "/news/m365": (
        "competitor_tech",
        "All of our staff now share documents and email through Google Workspace.",
    ),
}

FILLER = (
    "The weather in the valley was mild this autumn.",
    "Our showroom displays oak tables, chairs and dressers made by hand.",
)


def page(title: str, sentence: str, published: str) -> bytes:
    return f"""<!doctype html><html lang="en"><head><title>{title}</title>
<meta property="article:published_time" content="{published}"></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>{title}</h1><p>{FILLER[0]} {sentence} {FILLER[1]}</p>
<p>{FOOTER}</p></article>
<footer>Copyright Westbrook Joinery</footer></body></html>""".encode()


def customer(customer_id: str = "C1", domain: str = "westbrook.example") -> Customer:
    return Customer(
        customer_id=customer_id,
        account_name="Westbrook Joinery",
        domain=domain,
        org_size=40,
        industry="Manufacturing",
        vertical="",
        city="Leeds",
        state="",
        postal_code="",
        country="GB",
        is_nonprofit=False,
        azure_monthly_revenue=0.0,
        partner_id="P1",
        partner_name="Partner",
        sub_segment="SMB",
    )


def document(path: str, body: bytes, *, fetched_at: float, kind: str = "page") -> NewDocument:
    return NewDocument(
        customer_id="C1",
        url=f"https://westbrook.example{path}",
        kind=kind,
        fetched_at=fetched_at,
        content_hash=hashlib.sha256(body).hexdigest(),
        body=body,
        source_kind="newsroom",
        content_type="text/html; charset=utf-8",
    )


async def seed(store: Store) -> None:
    await store.customers.upsert_all([customer()])
    docs = []
    for n, (path, (_, sentence)) in enumerate(SIGNAL_PAGES.items()):
        docs.append(document(path, page(path, sentence, f"2026-10-{10 + n:02d}"), fetched_at=1000.0 + n))
    docs.append(document("/about", page("About", FILLER[1], "2026-01-01"), fetched_at=1100.0))
    docs.append(document("/junk", bytes(range(256)) * 50, fetched_at=1200.0))
    docs.append(document("/empty", b"", fetched_at=1300.0))
    assert await store.documents.store(docs) == len(docs)


def pipeline(store: Store, **settings: object) -> ClassifyPipeline:
    embedder = default_embedder()
    return ClassifyPipeline(
        store.signals,
        embedder,
        get_classifier(embedder),
        SignalSettings(**settings),  # type: ignore[arg-type]
    )
