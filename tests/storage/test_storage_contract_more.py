"""The rest of the repositories' contract, on both backends: batched imports, document
fingerprints, the frontier's batch completion and dead owners, interrupted runs, and the
UI's signal feed and CSV walk."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest

from storage.customers import ImportRecord, Product
from storage.documents import NewDocument
from storage.frontier import FetchLogEntry, FetchOutcome, NewSource
from storage.scores import MonthWrite
from storage.signals import DocumentAnalysis, NewPassage, NewSignal
from storage.store import Store
from storage.views import CustomerFilter, SqliteViewQueries
from tests.support.storage import a_customer


async def test_customers_import_in_batches_and_own_domains(any_store: Store) -> None:
    batches = [[a_customer("C1"), a_customer("C2")], [Product("C1", "Azure", 1, None, "active")]]
    assert await any_store.customers.upsert_batches(batches) == 3
    assert await any_store.customers.upsert_batches(batches) == 0
    await any_store.customers.upsert_all([replace(a_customer("C3"), domain="c1.example")])
    owners = await any_store.customers.domain_owners(["c1.example", "c2.example", "nowhere.example"])
    assert owners == {"c1.example": ["C1", "C3"], "c2.example": ["C2"]}


async def test_a_failed_batch_import_leaves_nothing(any_store: Store) -> None:
    def batches() -> Iterator[list[ImportRecord]]:
        yield [a_customer("C1")]
        raise ValueError("the file changed")

    with pytest.raises(ValueError, match="the file changed"):
        await any_store.customers.upsert_batches(batches())
    assert await any_store.customers.count() == 0


async def test_documents_known_hashes_and_fingerprints(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1"), a_customer("C2")])
    await any_store.documents.store(
        [
            NewDocument("C1", "https://c1.example/a", "page", 1.0, "h1", b"x"),
            NewDocument("C1", "https://c1.example/a", "page", 2.0, "h2", b"y"),
            NewDocument("C2", "https://c2.example/", "page", 1.0, "h3", b"z"),
        ]
    )
    known = await any_store.documents.known_hashes("C1", ["https://c1.example/a", "https://c1.example/b"])
    assert known == {("https://c1.example/a", "h1"), ("https://c1.example/a", "h2")}
    assert await any_store.documents.known_hashes("C2", ["https://c1.example/a"]) == set()
    assert await any_store.documents.fingerprints() == [
        ("C1", "https://c1.example/a", "h1"),
        ("C1", "https://c1.example/a", "h2"),
        ("C2", "https://c2.example/", "h3"),
    ]


async def test_frontier_completes_many_and_releases_a_dead_owner(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1")])
    now = 1_000_000.0
    sources = [NewSource("C1", f"https://c1.example/{i}", "c1.example", "page") for i in range(3)]
    await any_store.frontier.add_sources(sources, now=now)
    assert await any_store.frontier.known_urls("C1") == {s.url for s in sources}
    assert await any_store.frontier.known_urls("C2") == set()
    assert {s.url for s in await any_store.frontier.by_customer("C1")} == {s.url for s in sources}
    assert await any_store.frontier.by_customer("C2") == []
    assert await any_store.frontier.count() == 3 and await any_store.frontier.count("active") == 3
    assert await any_store.frontier.count("gone") == 0
    leased = await any_store.frontier.lease_due(3, "w1", 60.0, now=now, per_host=3)
    done, failed, kept = leased
    await any_store.frontier.complete_many(
        [
            FetchOutcome(done.source_id, now, now + 86400, 86400, http_status=200, etag='"e"', content_hash="h"),
            FetchOutcome(failed.source_id, now, now + 600, 86400, http_status=503, error="busy", failure_count=1),
        ],
        [FetchLogEntry(done.url, done.host, now, 5.0, "C1", done.source_id, 200, 10, worker="w1")],
    )
    got = await any_store.frontier.get(done.source_id)
    assert got is not None and (got.etag, got.content_hash, got.lease_owner) == ('"e"', "h", None)
    broken = await any_store.frontier.get(failed.source_id)
    assert broken is not None and (broken.last_error, broken.failure_count, broken.next_due_at) == ("busy", 1, now + 600)
    await any_store.frontier.complete_many([], [])  # nothing to do, nothing done
    assert await any_store.frontier.lease_owners() == ["w1"]
    assert await any_store.frontier.release_owner("w1") == 1
    assert await any_store.frontier.release_owner("w1") == 0
    assert await any_store.frontier.lease_owners() == []
    again = await any_store.frontier.get(kept.source_id)
    assert again is not None and again.lease_owner is None


async def test_runs_of_a_dead_process_are_closed_as_interrupted(any_store: Store) -> None:
    live = await any_store.runs.start("crawl")
    dead_owner = f"{socket.gethostname()}:999999999:1:process"  # no such pid on this host
    await any_store.db.execute(
        "INSERT INTO runs(kind, key, status, started_at, inputs, owner) VALUES ('monthly', '', 'running', 1, '{}', ?)",
        (dead_owner,),
    )
    elsewhere = "another-host.invalid:1:1:process"  # another host's process: nothing tells
    await any_store.db.execute(
        "INSERT INTO runs(kind, key, status, started_at, inputs, owner) VALUES ('crawl', '', 'running', 1, '{}', ?)",
        (elsewhere,),
    )
    closed = await any_store.runs.close_interrupted()
    assert len(closed) == 1
    statuses = {r.run_id: r.status for r in await any_store.runs.recent(10)}
    assert statuses[closed[0]] == "interrupted" and statuses[live] == "running"
    assert sorted(statuses.values()) == ["interrupted", "running", "running"]
    assert await any_store.runs.close_interrupted() == []


async def test_the_signal_feed_and_the_csv_walk(any_store: Store) -> None:
    await any_store.customers.upsert_all([a_customer("C1"), a_customer("C2", "Fabrikam")])
    await any_store.documents.store([NewDocument("C1", "https://c1.example/", "page", 1.0, "h", b"x")])
    [pending] = await any_store.signals.lease_pending("w", 1, 60.0)
    signals = [
        NewSignal(0, "cloud_migration", "tech", 1, 0.9, ["Azure"], "k", "why", [], "m"),
        NewSignal(0, "hiring", "org", 1, 0.8, ["M365"], "k", "why", [], "m"),
    ]
    analysis = DocumentAnalysis(pending.document_id, "t", "2026-11-01", "en", "p", [NewPassage(0, "p", "hp")], signals)
    assert await any_store.signals.save_analysis("w", analysis)
    views = SqliteViewQueries(any_store.db)
    assert await views.signal_types() == ["cloud_migration", "hiring"]
    assert {s.signal_type for s in await views.signal_feed(None, None, 10, 0)} == {"cloud_migration", "hiring"}
    [azure] = await views.signal_feed(None, "Azure", 10, 0)
    assert azure.signal_type == "cloud_migration"
    assert await views.signal_feed("hiring", "Azure", 10, 0) == []
    assert len(await views.signal_feed(None, None, 1, 1)) == 1

    month = "2026-11"
    await any_store.scores.write_month(
        MonthWrite(
            month,
            "2026Q4",
            intent_rows=[],
            propensity_rows=[
                ("C1", "Azure", month, 50.0, "High", 80.0, "High", "HH", "Act now"),
                ("C2", "Azure", month, 50.0, "High", 20.0, "Low", "HL", "Nurture"),
            ],
            customer_month_rows=[],
        )
    )
    flt = CustomerFilter(month=month, area="Azure")
    assert [row.customer_id async for row in views.iter_customers(flt, 10)] == ["C1", "C2"]
    assert [row.customer_id async for row in views.iter_customers(flt, 1)] == ["C1"]
    fabri = CustomerFilter(month=month, area="Azure", search="FABRI")  # case-insensitive on both
    assert [row.customer_id async for row in views.iter_customers(fabri, 10)] == ["C2"]
