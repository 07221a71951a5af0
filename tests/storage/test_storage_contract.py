"""The storage contract, run against both backends: SQLite (a temporary file) and PostgreSQL
(one scratch schema per test session, emptied before each test; see tests/support/storage.py for
what happens when no server answers)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

from storage.customers import Agreement, FitScore, ImportRecord, Outcome, Product
from storage.documents import NewDocument
from storage.frontier import FetchLogEntry, FetchOutcome, HostScheme, NewSource
from storage.store import Store
from storage.views import CustomerFilter, SqliteViewQueries
from tests.support.storage import a_customer


async def test_customer_upsert_is_idempotent(any_store: Store) -> None:
    records: list[ImportRecord] = [
        a_customer("C1"),
        a_customer("C2", "Fabrikam"),
        Product("C1", "M365 E3", 40, "2025-01-01", "active"),
        Agreement("A1", "C1", "EA", "2026-12-31", "Azure", 1000.0),
        FitScore("C1", "Azure", "2026Q4", 71.5),
        Outcome("O1", "C1", "Azure", "2026-01-02", None, "open", 0.0),
    ]
    assert await any_store.customers.upsert_all(records) == 6
    assert await any_store.customers.upsert_all(records) == 0  # nothing changed
    assert await any_store.customers.upsert_all([a_customer("C1", "Contoso Ltd")]) == 1
    assert await any_store.customers.count() == 2
    got = await any_store.customers.get("C1")
    assert got is not None and got.account_name == "Contoso Ltd" and got.is_nonprofit is False
    assert got.azure_monthly_revenue == 12.5
    assert (await any_store.customers.by_domain("C2.EXAMPLE")) == a_customer("C2", "Fabrikam")
    assert [c.customer_id for c in await any_store.customers.all()] == ["C1", "C2"]
    assert await any_store.customers.existing_ids(["C2", "C9", "C1"]) == {"C1", "C2"}
    assert await any_store.customers.products("C1") == [records[2]]
    assert await any_store.customers.agreements() == [records[3]]
    assert await any_store.customers.fit_scores("2026Q4") == [records[4]]
    assert await any_store.customers.outcomes() == [records[5]]


async def test_customer_sort_order_is_bytewise(any_store: Store) -> None:
    # Reports must sort identically on both backends: byte order, upper case first.
    await any_store.customers.upsert_all([a_customer("b"), a_customer("B"), a_customer("a"), a_customer("É")])
    assert [c.customer_id for c in await any_store.customers.all()] == ["B", "a", "b", "É"]


async def test_runs(any_store: Store) -> None:
    first = await any_store.runs.start("monthly", "2026-11", {"customers": 2})
    second = await any_store.runs.start("crawl")
    assert first >= 1 and second > first
    await any_store.runs.finish(first, "ok", {"scored": 2})
    latest = await any_store.runs.latest("monthly", "2026-11")
    assert latest is not None and latest.run_id == first and latest.summary == {"scored": 2}
    assert latest.inputs == {"customers": 2} and latest.finished_at is not None
    assert await any_store.runs.latest("crawl") is None  # still running
    assert [r.run_id for r in await any_store.runs.recent(5)] == [second, first]


async def test_jobs(any_store: Store) -> None:
    await any_store.jobs.started("crawl", 10.0)
    await any_store.jobs.started("crawl", 20.0)
    await any_store.jobs.succeeded("crawl", 21.0)
    await any_store.jobs.failed("crawl", 30.0, "boom")
    state = await any_store.jobs.get("crawl")
    assert state is not None
    assert (state.runs, state.failures, state.last_started_at) == (2, 1, 20.0)
    assert (state.last_success_at, state.last_error, state.last_error_at) == (21.0, "boom", 30.0)
    assert [j.name for j in await any_store.jobs.all()] == ["crawl"]
    assert await any_store.jobs.get("missing") is None


@dataclass(frozen=True)
class _Tech:
    name: str
    category: str
    method: str
    evidence: str


async def test_technologies_keep_first_seen(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1"), a_customer("C2")])
    seen = [_Tech("Microsoft 365", "email", "dns_mx", "mx.outlook.com")]
    assert await any_store.technologies.record("C1", seen, seen_at=100.0) == 1
    assert await any_store.technologies.record("C1", seen, seen_at=200.0) == 0
    assert await any_store.technologies.record("C1", seen, seen_at=50.0) == 0
    [record] = await any_store.technologies.for_customer("C1")
    assert (record.first_seen_at, record.last_seen_at) == (50.0, 200.0)
    await any_store.technologies.record("C2", [_Tech("Google Workspace", "email", "dns_mx", "g")])
    assert await any_store.technologies.names_by_customer() == {
        "C1": {"Microsoft 365"},
        "C2": {"Google Workspace"},
    }
    assert await any_store.technologies.customers_using("Microsoft 365") == {"C1"}


async def _month_of_scores(store: Store) -> None:
    await store.customers.upsert_all([a_customer("C1"), a_customer("C2", "Fabrikam")])
    for cid, intent, revenue in (("C1", 80.0, 5000.0), ("C2", 20.0, 100.0)):
        await store.db.execute(
            "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent, intent_band,"
            " cell, cluster) VALUES (?, 'Azure', '2026-11', 50, 'High', ?, 'High', 'HH', 'Act now')",
            (cid, intent),
        )
        await store.db.execute(
            "INSERT INTO customer_month(customer_id, month, flags, cohorts, potential_revenue)"
            " VALUES (?, '2026-11', '{\"HasM365\": true}', '[\"Growth\"]', ?)",
            (cid, f'{{"Azure": {revenue}}}'),
        )


async def test_views(any_store: Store) -> None:
    await _month_of_scores(any_store)
    views = SqliteViewQueries(any_store.db)
    assert await views.months() == ["2026-11"]
    assert await views.areas("2026-11") == ["Azure"]
    [cell] = await views.matrix("2026-11", "Azure")
    assert cell.count == 2
    assert await views.distinct_values("industry") == ["Retail"]
    flt = CustomerFilter(month="2026-11", area="Azure")
    assert await views.count_customers(flt) == 2
    page = await views.customer_page(flt, page=1, page_size=10)
    assert [row.customer_id for row in page.rows] == ["C1", "C2"]
    by_revenue = CustomerFilter(month="2026-11", area="Azure", sort="revenue", descending=False)
    page = await views.customer_page(by_revenue, page=1, page_size=10)
    assert [row.customer_id for row in page.rows] == ["C2", "C1"]
    searched = CustomerFilter(month="2026-11", area="Azure", search="fabri")
    assert await views.count_customers(searched) == 1
    flagged = CustomerFilter(month="2026-11", area="Azure", flag="HasM365")
    assert await views.count_customers(flagged) == 2
    detail = await views.customer("C1", "2026-11", 10)
    assert detail is not None


async def test_views_within_a_scope_read_only_its_partners_customers(any_store: Store) -> None:
    from dataclasses import replace

    from storage.scope import NOTHING, Scope

    await _month_of_scores(any_store)
    await any_store.customers.upsert_all([replace(a_customer("C2", "Fabrikam"), partner_id="P2")])
    views = SqliteViewQueries(any_store.db)
    everything, views = views, views.within(Scope.of_partners(["P2"]))
    [cell] = await views.matrix("2026-11", "Azure")
    assert cell.count == 1
    flt = CustomerFilter(month="2026-11", area="Azure")
    assert await views.count_customers(flt) == 1
    for sort in ("intent", "revenue"):
        page = await views.customer_page(CustomerFilter(month="2026-11", area="Azure", sort=sort), 1, 10)
        assert [row.customer_id for row in page.rows] == ["C2"]
    assert [row.customer_id async for row in views.iter_customers(flt, 10)] == ["C2"]
    assert await views.customer("C1", "2026-11", 10) is None  # another partner's: as if unknown
    assert await views.customer("C2", "2026-11", 10) is not None
    assert [c.customer_id for c in await views.customers()] == ["C2"]
    assert [c.customer_id for c in await everything.customers()] == ["C1", "C2"]
    nothing = everything.within(NOTHING)
    assert await nothing.count_customers(flt) == 0 and await nothing.distinct_values("industry") == []
    assert await nothing.matrix("2026-11", "Azure") == [] and await nothing.signal_types() == []


async def test_frontier_leases_each_due_source_once(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1")])
    now = 1_000_000.0
    sources = [
        NewSource("C1", f"https://h{i % 2}.example/p{i}", f"h{i % 2}.example", "page") for i in range(6)
    ]
    assert await any_store.frontier.add_sources(sources, now=now) == 6
    assert await any_store.frontier.add_sources(sources, now=now) == 0
    assert await any_store.frontier.due_count(now) == 6
    first = await any_store.frontier.lease_due(10, "w1", 60.0, now=now, per_host=2)
    assert len(first) == 4 and {s.host for s in first} == {"h0.example", "h1.example"}
    assert all(s.lease_owner == "w1" for s in first)
    assert await any_store.frontier.lease_due(10, "w2", 60.0, now=now, per_host=2) == []
    done = first[0]
    await any_store.frontier.complete(
        FetchOutcome(done.source_id, now, now + 86400, 86400, http_status=200, content_hash="x"),
        FetchLogEntry(done.url, done.host, now, 12.0, "C1", done.source_id, 200, 10, worker="w1"),
    )
    got = await any_store.frontier.get(done.source_id)
    assert got is not None and got.lease_owner is None and got.next_due_at == now + 86400
    assert await any_store.frontier.release([s.source_id for s in first[1:]], "w1") == 3
    assert await any_store.frontier.due_count(now) == 5
    assert [e.status for e in await any_store.frontier.fetch_log()] == [200]
    # A dead worker's leases run out and the sources are due again.
    leased = await any_store.frontier.lease_due(10, "w3", 5.0, now=now + 10, per_host=10)
    assert len(leased) == 5
    assert await any_store.frontier.lease_owners() == ["w3"]
    assert await any_store.frontier.due_count(now + 10) == 0
    assert await any_store.frontier.expire_leases(now + 100) == 5
    assert await any_store.frontier.due_count(now + 100) == 5
    assert await any_store.frontier.next_due_at() == 0.0


async def test_frontier_defers_a_leased_source(any_store: Store) -> None:
    """A visit put off (its redirect target busy) gives its lease back and is not due again
    before the given time; an earlier time never brings a source forward."""
    await any_store.customers.upsert_all([a_customer("C1")])
    now = 1_000_000.0
    await any_store.frontier.add_sources([NewSource("C1", "https://c1.example/", "c1.example", "homepage")])
    [source] = await any_store.frontier.lease_due(10, "w1", 60.0, now=now)
    assert not await any_store.frontier.defer(source.source_id, "w2", now + 30)  # not its lease
    assert await any_store.frontier.defer(source.source_id, "w1", now + 30, last_request_at=now)
    got = await any_store.frontier.get(source.source_id)
    assert got is not None and got.lease_owner is None and got.next_due_at == now + 30
    assert got.failure_count == 0 and got.last_error is None and got.last_fetched_at is None
    assert await any_store.frontier.due_count(now + 29) == 0
    [again] = await any_store.frontier.lease_due(10, "w1", 60.0, now=now + 30)
    assert await any_store.frontier.defer(again.source_id, "w1", now + 10)
    got = await any_store.frontier.get(source.source_id)
    assert got is not None and got.next_due_at == now + 30
    assert await any_store.frontier.fetch_log() == []


async def test_frontier_borrowed_host_is_given_back(any_store: Store) -> None:
    """Borrowing a free host is granted on both backends, and every borrow is returned."""
    frontier = any_store.frontier
    assert await frontier.borrow_host("www.c1.example", "w1", 60.0, now=100.0) is None
    assert await frontier.borrow_host("www.c1.example", "w1", 60.0, now=100.0) is None
    await frontier.return_host("www.c1.example", "w1", 101.0)
    await frontier.return_host("www.c1.example", "w1", 101.0)
    await frontier.return_host("www.c1.example", "w1", 101.0)  # one too many: harmless
    assert await frontier.borrow_host("www.c1.example", "w2", 60.0, now=200.0) is None


async def test_frontier_host_state(any_store: Store) -> None:
    await any_store.frontier.record_host("h.example", ok=False, backoff_until=50.0, crawl_delay=2.0)
    await any_store.frontier.record_host("h.example", ok=False, backoff_until=60.0)
    state = await any_store.frontier.host_state("h.example")
    assert state is not None and (state.error_count, state.backoff_until, state.crawl_delay) == (2, 60.0, 2.0)
    await any_store.frontier.record_host("h.example", ok=True)
    state = await any_store.frontier.host_state("h.example")
    assert state is not None and state.error_count == 0
    await any_store.frontier.log_fetch(
        [FetchLogEntry("https://h.example/", "h.example", 5.0, 1.0, error_class="timeout")]
    )
    assert await any_store.frontier.error_counts() == {"timeout": 1}


async def test_frontier_host_schemes_and_page_budgets(any_store: Store) -> None:
    frontier = any_store.frontier
    await frontier.record_crawl_delay("plain.example", 2.0)  # a host row that exists already
    await frontier.record_schemes(
        [HostScheme("plain.example", "http", "tls", 10.0), HostScheme("secure.example", "https", None, 11.0)]
    )
    await frontier.record_schemes([HostScheme("plain.example", "http", "certificate", 20.0)])
    assert await frontier.host_schemes() == [
        HostScheme("plain.example", "http", "certificate", 20.0),
        HostScheme("secure.example", "https", None, 11.0),
    ]
    assert [s.host for s in await frontier.host_schemes({"secure.example"})] == ["secure.example"]
    state = await frontier.host_state("plain.example")
    assert state is not None and state.crawl_delay == 2.0  # the rest of the row is kept
    await frontier.record_page_budgets({"plain.example": 6.0, "new.example": 18.0})
    await frontier.record_page_budgets({"plain.example": 3.0})
    assert await frontier.page_budgets() == {"plain.example": 3.0, "new.example": 18.0}


async def test_documents_store_once(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1")])
    doc = NewDocument(
        "C1", "https://c1.example/", "page", time.time(), "hash1", b"<html>hi</html>", simhash=2**63 + 5
    )
    assert await any_store.documents.store([doc]) == 1
    assert await any_store.documents.store([doc]) == 0
    assert await any_store.documents.count("C1") == 1
    [summary] = await any_store.documents.by_customer("C1")
    full = await any_store.documents.get(summary.document_id)
    assert full is not None and full.body == b"<html>hi</html>"
    assert await any_store.documents.page_simhashes("C1") == [("https://c1.example/", 2**63 + 5)]


async def test_signals_lease_pending_documents(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1")])
    now = time.time()
    docs = [NewDocument("C1", f"https://c1.example/{i}", "page", now + i, f"h{i}", b"x") for i in range(3)]
    await any_store.documents.store(docs)
    first = await any_store.signals.lease_pending("w1", 2, 60.0, now=now)
    second = await any_store.signals.lease_pending("w2", 5, 60.0, now=now)
    assert len(first) == 2 and len(second) == 1
    assert {d.document_id for d in first}.isdisjoint({d.document_id for d in second})
    assert await any_store.signals.pending_count() == 3
    assert len(await any_store.signals.lease_pending("w3", 5, 60.0, now=now + 61)) == 3


async def test_an_agreement_or_outcome_moved_to_another_customer_stays_one_row(any_store: Store) -> None:
    # Their keys include customer_id (shard-friendly), yet their ids stay unique across customers.
    await any_store.customers.upsert_all([a_customer("C1"), a_customer("C2")])
    agreement = Agreement("A1", "C1", "EA", "2026-12-31", "Azure", 1000.0)
    outcome = Outcome("O1", "C1", "Azure", "2026-01-02", None, "open", 0.0)
    assert await any_store.customers.upsert_all([agreement, outcome]) == 2
    moved = [replace(agreement, customer_id="C2"), replace(outcome, customer_id="C2")]
    assert await any_store.customers.upsert_all(moved) == 2
    assert await any_store.customers.upsert_all(moved) == 0
    assert await any_store.customers.agreements() == [moved[0]]
    assert await any_store.customers.outcomes() == [moved[1]]
    assert await any_store.customers.agreements("C1") == []


def test_every_repository_method_has_a_contract_test() -> None:
    """Each method of each repository Protocol is called by a contract test (these files run
    every test on both backends)."""
    from storage import customers, documents, frontier, jobs, runs, scores, signals, technologies, views

    protocols = {
        "customers": customers.CustomerRepository,
        "documents": documents.DocumentRepository,
        "frontier": frontier.FrontierRepository,
        "jobs": jobs.JobRepository,
        "runs": runs.RunRepository,
        "scores": scores.ScoreRepository,
        "signals": signals.SignalRepository,
        "technologies": technologies.TechnologyRepository,
        "views": views.ViewQueries,
    }
    text = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_storage_contract*.py"))
    missing = [
        f"{name}.{method}"
        for name, protocol in protocols.items()
        for method, value in vars(protocol).items()
        if not method.startswith("_") and callable(value)
        and not re.search(rf"\b{name}\.{method}\(", text)
    ]
    assert missing == []
