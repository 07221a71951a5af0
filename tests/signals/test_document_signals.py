"""Document-level decisions through the real classify pipeline on a real SQLite store: the
headline of a news story, job ads typed by their title, schema.org data read from the page."""

from __future__ import annotations

import hashlib
import json

import pytest

from signals.document import ARTICLE, JOB_AD, OTHER, page_kind
from signals.structured import NO_STRUCTURED_DATA
from storage.documents import NewDocument
from storage.signals import Signal
from storage.store import Store
from tests.support.pipeline import customer, pipeline

NEUTRAL = (
    "The weather in the valley was mild this autumn.",
    "Our showroom displays oak tables, chairs and dressers made by hand.",
    "Visitors can tour the workshop on the first Saturday of every month.",
)


def news_page(headline: str, paragraphs: tuple[str, ...], published: str = "2026-10-12") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><title>{headline} | Westbrook Joinery</title>
<meta property="article:published_time" content="{published}"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{headline}</h1>{body}</article>
<footer>Copyright Westbrook Joinery</footer></body></html>""".encode()


def job_page(title: str, paragraphs: tuple[str, ...], posted: str | None = "2026-09-30") -> bytes:
    posting = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": title,
        "hiringOrganization": {"@type": "Organization", "name": "Westbrook Joinery"},
        "description": " ".join(paragraphs),
    }
    if posted:
        posting["datePosted"] = posted
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><title>{title} - Careers</title>
<script type="application/ld+json">{json.dumps(posting)}</script></head>
<body><main><h1>{title}</h1>{body}<p><a href="/apply">Apply now</a></p></main></body></html>""".encode()


async def classify(store: Store, path: str, body: bytes, source_kind: str) -> list[Signal]:
    await store.customers.upsert_all([customer()])
    document = NewDocument(
        customer_id="C1",
        url=f"https://westbrook.example{path}",
        kind="page",
        fetched_at=1000.0,
        content_hash=hashlib.sha256(body).hexdigest(),
        body=body,
        source_kind=source_kind,
        content_type="text/html; charset=utf-8",
    )
    assert await store.documents.store([document]) == 1
    await pipeline(store).run()
    return await store.signals.by_customer("C1")


async def test_a_headline_that_alone_states_the_event_gives_its_signal_once(store: Store) -> None:
    headline = "Westbrook Joinery acquires Northwind Timber in $40 million deal"
    signals = await classify(store, "/news/northwind", news_page(headline, NEUTRAL), "newsroom")
    assert [s.signal_type for s in signals] == ["merger_acquisition"]
    # the headline is the sentence that states the event, so it is the evidence shown
    assert signals[0].passage == headline
    assert signals[0].published and signals[0].published.startswith("2026-10-12")


async def test_headline_and_body_stating_one_event_give_one_signal_from_the_body(store: Store) -> None:
    headline = "Westbrook Joinery acquires Northwind Timber"
    statement = (
        "Westbrook Joinery today announced it has acquired Northwind Timber, a sawmill in Cumbria, "
        "for $40 million."
    )
    page = news_page(headline, (NEUTRAL[0], statement, NEUTRAL[1]))
    signals = await classify(store, "/news/northwind", page, "newsroom")
    assert [s.signal_type for s in signals] == ["merger_acquisition"]
    assert "announced it has acquired" in signals[0].passage  # the full statement, not the headline


async def test_a_job_posting_is_a_hiring_signal_typed_by_its_title_and_dated_by_date_posted(
    store: Store,
) -> None:
    page = job_page("Payroll Specialist", NEUTRAL)
    signals = await classify(store, "/careers/payroll-specialist", page, "careers")
    assert [s.signal_type for s in signals] == ["hiring_finance"]
    assert signals[0].passage == "Payroll Specialist"
    assert signals[0].published and signals[0].published.startswith("2026-09-30")
    assert "2026-09-30" in signals[0].why_now


async def test_a_careers_page_for_a_role_without_a_type_gives_no_hiring_signal(store: Store) -> None:
    # the body mentions the IT team, which alone reads as a tech hire; the ad is for a driver
    body = (
        "You will join the warehouse team and work closely with our IT support and software "
        "developers on the new scanning system.",
        NEUTRAL[2],
    )
    signals = await classify(store, "/careers/delivery-driver", job_page("Delivery Driver", body), "careers")
    assert not [s for s in signals if s.signal_type.startswith("hiring_")]


async def test_a_careers_page_without_structured_data_that_is_one_ad_is_typed_by_its_title(
    store: Store,
) -> None:
    page = news_page("Cloud Security Engineer", NEUTRAL).replace(b"Westbrook Joinery</title>", b"Careers</title>")
    signals = await classify(store, "/careers/cloud-security-engineer", page, "careers")
    assert [s.signal_type for s in signals] == ["hiring_security"]
    assert signals[0].passage == "Cloud Security Engineer"


async def test_a_job_ad_gives_no_company_news_signals_from_its_duties(store: Store) -> None:
    body = (
        "Last year Westbrook Joinery acquired Northwind Timber in a $40 million deal.",
        NEUTRAL[0],
    )
    signals = await classify(store, "/careers/payroll-clerk", job_page("Payroll Clerk", body), "careers")
    assert [s.signal_type for s in signals] == ["hiring_finance"]


@pytest.mark.parametrize(
    ("url", "source_kind", "title", "expected"),
    [
        ("https://x.example/careers/payroll-clerk", "careers", "Payroll Clerk", JOB_AD),
        ("https://x.example/careers", "careers", "Careers", OTHER),
        ("https://x.example/careers/life-here", "careers", "Life at Westbrook", OTHER),
        ("https://x.example/news/a", "newsroom", "Westbrook wins award", ARTICLE),
        ("https://x.example/about", "page", "About us", OTHER),
    ],
)
def test_page_kind_from_source_kind_url_and_title(url: str, source_kind: str, title: str, expected: str) -> None:
    kind = page_kind(url=url, source_kind=source_kind, document_kind="page", title=title, structured=NO_STRUCTURED_DATA)
    assert kind == expected
