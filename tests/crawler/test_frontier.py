"""The frontier and document repositories on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.documents import NewDocument, to_signed64, to_unsigned64
from storage.frontier import FetchLogEntry, FetchOutcome, NewSource
from storage.postgres.frontier import PgFrontierRepository
from storage.postgres.scratch import scratch_schema, unavailable_reason
from storage.store import Store, open_store


async def _customer(store: Store, cid: str = "C1", domain: str = "contoso.com") -> None:
    await store.db.execute(
        "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
        " VALUES (?, ?, ?, 10, 'Small')",
        (cid, cid, domain),
    )


def _src(url: str, host: str = "contoso.com", due: float = 0.0, cid: str = "C1") -> NewSource:
    return NewSource(customer_id=cid, url=url, host=host, kind="page", next_due_at=due)


async def test_add_is_idempotent_and_lease_is_exclusive(store: Store) -> None:
    await _customer(store)
    urls = [f"https://contoso.com/{i}" for i in range(5)]
    assert await store.frontier.add_sources([_src(u) for u in urls], now=100) == 5
    assert await store.frontier.add_sources([_src(u) for u in urls], now=100) == 0
    first = await store.frontier.lease_due(3, "a", 60, now=100)
    second = await store.frontier.lease_due(10, "b", 60, now=100)
    assert len(first) == 3 and len(second) == 2
    assert not {s.source_id for s in first} & {s.source_id for s in second}
    assert await store.frontier.lease_due(10, "c", 60, now=100) == []
    # A dead crawler's leases expire and the sources come back.
    again = await store.frontier.lease_due(10, "c", 60, now=161)
    assert len(again) == 5
    assert await store.frontier.lease_owners() == ["c"]
    assert await store.frontier.release_owner("c") == 5
    assert await store.frontier.due_count(now=161) == 5


async def test_lease_respects_due_time_and_per_host_cap(store: Store) -> None:
    await _customer(store)
    await store.frontier.add_sources(
        [_src(f"https://a.contoso.com/{i}", "a.contoso.com") for i in range(10)]
        + [_src(f"https://b.contoso.com/{i}", "b.contoso.com") for i in range(10)]
        + [_src("https://c.contoso.com/later", "c.contoso.com", due=500)],
        now=0,
    )
    batch = await store.frontier.lease_due(100, "w", 60, now=100, per_host=2)
    assert sorted(s.host for s in batch) == ["a.contoso.com"] * 2 + ["b.contoso.com"] * 2
    # Hosts already at their cap get nothing more until a lease is released.
    assert await store.frontier.lease_due(100, "w", 60, now=100, per_host=2) == []
    await store.frontier.release([batch[0].source_id], "w")
    assert len(await store.frontier.lease_due(100, "w", 60, now=100, per_host=2)) == 1


async def test_complete_records_validators_and_log(store: Store) -> None:
    await _customer(store)
    await store.frontier.add_sources([_src("https://contoso.com/")], now=0)
    (source,) = await store.frontier.lease_due(1, "w", 60, now=1)
    await store.frontier.complete(
        FetchOutcome(
            source_id=source.source_id,
            fetched_at=2,
            next_due_at=1000,
            revisit_interval_s=998,
            http_status=200,
            etag='"v1"',
            last_modified="Mon, 01 Jan 2026 00:00:00 GMT",
            content_hash="h1",
        ),
        FetchLogEntry(url=source.url, host=source.host, started_at=1, duration_ms=5, status=200, bytes=10),
    )
    # A later 304 keeps the validators it does not repeat.
    await store.frontier.complete(
        FetchOutcome(
            source_id=source.source_id,
            fetched_at=3,
            next_due_at=2000,
            revisit_interval_s=1000,
            http_status=304,
        ),
        FetchLogEntry(url=source.url, host=source.host, started_at=3, duration_ms=1, error_class="deadline"),
    )
    after = await store.frontier.get(source.source_id)
    assert after is not None
    assert (after.etag, after.content_hash, after.last_status, after.lease_owner) == ('"v1"', "h1", 304, None)
    assert await store.frontier.error_counts() == {"deadline": 1}
    assert len(await store.frontier.fetch_log()) == 2
    assert await store.frontier.next_due_at() == 2000


async def test_host_backoff_skips_the_host(store: Store) -> None:
    await _customer(store)
    await store.frontier.add_sources([_src("https://contoso.com/")], now=0)
    await store.frontier.record_host("contoso.com", ok=False, backoff_until=50)
    assert await store.frontier.lease_due(10, "w", 60, now=10) == []
    state = await store.frontier.host_state("contoso.com")
    assert state is not None and state.error_count == 1
    assert len(await store.frontier.lease_due(10, "w", 60, now=60)) == 1
    await store.frontier.record_host("contoso.com", ok=True)
    state = await store.frontier.host_state("contoso.com")
    assert state is not None and state.error_count == 0


async def test_crawl_delay_is_stored_and_cleared_without_touching_health(store: Store) -> None:
    await store.frontier.record_host("contoso.com", ok=False, backoff_until=50)
    await store.frontier.record_crawl_delay("contoso.com", 7.0)
    await store.frontier.record_crawl_delay("fabrikam.com", 2.5)  # a host not seen before
    state = await store.frontier.host_state("contoso.com")
    assert state is not None and (state.crawl_delay, state.error_count, state.backoff_until) == (7.0, 1, 50)
    other = await store.frontier.host_state("fabrikam.com")
    assert other is not None and other.crawl_delay == 2.5
    await store.frontier.record_crawl_delay("contoso.com", None)  # robots.txt dropped it
    state = await store.frontier.host_state("contoso.com")
    assert state is not None and state.crawl_delay is None


@pytest.fixture
async def pg_store() -> AsyncIterator[Store]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL skipped: {reason}")
    with scratch_schema() as url:
        opened = await open_store(url)
        try:
            yield opened
        finally:
            await opened.close()


async def _hand_over_gap(store: Store, host: str, crawl_delay: float | None) -> float:
    """Seconds after worker a's last request on ``host`` at which worker b may lease it."""
    await store.frontier.record_crawl_delay(host, crawl_delay)
    await store.frontier.add_sources([_src(f"https://{host}/{i}", host=host) for i in range(2)], now=0)
    [first] = await store.frontier.lease_due(1, "a", 600, now=100)
    await store.frontier.complete(FetchOutcome(first.source_id, 100, 10_000, 3600))
    for gap in (0.5, 1.5, 2.5, 3.5):
        if await store.frontier.lease_due(1, "b", 600, now=100 + gap):
            return gap
    return float("inf")


@pytest.mark.postgres
async def test_shared_frontier_hands_a_host_over_after_its_stored_crawl_delay(pg_store: Store) -> None:
    await _customer(pg_store)
    pg_store.frontier.host_gap_s = 1.0  # type: ignore[attr-defined]
    assert await _hand_over_gap(pg_store, "slow.contoso.com", 3.0) == 3.5
    assert await _hand_over_gap(pg_store, "plain.contoso.com", None) == 1.5
    # A Crawl-delay shorter than the default gap does not make a hand-over less polite.
    assert await _hand_over_gap(pg_store, "quick.contoso.com", 0.2) == 1.5


async def test_sqlite_frontier_always_lends_a_redirect_target(store: Store) -> None:
    """One crawler per SQLite file: its own gates keep hops polite, there is no one to wait for."""
    await _customer(store)
    await store.frontier.add_sources([_src("https://www.contoso.com/", host="www.contoso.com")], now=0)
    assert await store.frontier.lease_due(1, "a", 600, now=100)
    assert await store.frontier.borrow_host("www.contoso.com", "b", 600, now=100) is None
    await store.frontier.return_host("www.contoso.com", "b", 100)


def _pg_frontier(store: Store) -> PgFrontierRepository:
    frontier = store.frontier
    assert isinstance(frontier, PgFrontierRepository)
    frontier.host_gap_s = 1.0
    return frontier


@pytest.mark.postgres
async def test_a_host_held_by_another_worker_is_not_lent(pg_store: Store) -> None:
    await _customer(pg_store)
    frontier = _pg_frontier(pg_store)
    await frontier.add_sources([_src("https://www.contoso.com/", host="www.contoso.com")], now=0)
    [held] = await frontier.lease_due(1, "a", 50, now=100)
    # Refused while a's lease lasts, with its end as the time to ask again.
    assert await frontier.borrow_host("www.contoso.com", "b", 50, now=120) == 150
    assert (await frontier.host_leases())["www.contoso.com"] == ("a", 150)
    # a holds it already: granted, and its lease is not cut short.
    assert await frontier.borrow_host("www.contoso.com", "a", 10, now=120) is None
    assert (await frontier.host_leases())["www.contoso.com"] == ("a", 150)
    await frontier.return_host("www.contoso.com", "a", 121)
    assert "www.contoso.com" in await frontier.host_leases()  # its source is still leased
    await frontier.complete(FetchOutcome(held.source_id, 122, 10_000, 3600))
    assert "www.contoso.com" not in await frontier.host_leases()
    # The hand-over gap counts from a's last request; a itself may go on at once.
    assert await frontier.borrow_host("www.contoso.com", "b", 50, now=122.5) == 123
    assert await frontier.borrow_host("www.contoso.com", "a", 50, now=122.5) is None
    await frontier.return_host("www.contoso.com", "a", 122.5)
    # A dead holder's lease runs out; a host never seen before is lent too.
    assert await frontier.borrow_host("www.contoso.com", "b", 50, now=124) is None
    assert await frontier.borrow_host("cdn.contoso.com", "b", 50, now=124) is None
    assert await frontier.borrow_host("www.contoso.com", "c", 50, now=180) is None


@pytest.mark.postgres
async def test_a_borrowed_host_stays_leased_until_its_last_borrow_returns(pg_store: Store) -> None:
    await _customer(pg_store)
    frontier = _pg_frontier(pg_store)
    await frontier.add_sources(
        [_src(f"https://www.contoso.com/{i}", host="www.contoso.com") for i in range(2)]
    )
    assert await frontier.borrow_host("www.contoso.com", "a", 600, now=100) is None  # one visit's hop
    assert await frontier.borrow_host("www.contoso.com", "a", 600, now=100) is None  # another's
    # a leases and completes the host's own sources meanwhile: the hops still need the host.
    leased = await frontier.lease_due(2, "a", 600, now=101)
    assert len(leased) == 2
    await frontier.complete_many([FetchOutcome(s.source_id, 102, 10_000, 3600) for s in leased])
    assert await frontier.borrow_host("www.contoso.com", "b", 600, now=103) == 701
    await frontier.return_host("www.contoso.com", "a", 104)
    assert await frontier.borrow_host("www.contoso.com", "b", 600, now=105) == 701
    await frontier.return_host("www.contoso.com", "a", 106)  # the last one: released
    assert "www.contoso.com" not in await frontier.host_leases()
    state = await frontier.host_state("www.contoso.com")
    assert state is not None and state.next_allowed_at == 107
    assert await frontier.borrow_host("www.contoso.com", "b", 600, now=107) is None


@pytest.mark.postgres
async def test_a_deferred_source_gives_its_host_back(pg_store: Store) -> None:
    await _customer(pg_store)
    frontier = _pg_frontier(pg_store)
    await frontier.add_sources([_src("https://contoso.com/")], now=0)
    [source] = await frontier.lease_due(1, "a", 600, now=100)
    assert await frontier.defer(source.source_id, "a", 400, last_request_at=101)
    assert "contoso.com" not in await frontier.host_leases()
    state = await frontier.host_state("contoso.com")
    assert state is not None and state.next_allowed_at == 102
    assert await frontier.lease_due(1, "b", 600, now=300) == []
    assert [s.source_id for s in await frontier.lease_due(1, "b", 600, now=400)] == [source.source_id]


async def test_documents_one_row_per_version(store: Store) -> None:
    await _customer(store)

    def doc(url: str, digest: str, body: bytes = b"<p>x</p>", sim: int | None = None) -> NewDocument:
        return NewDocument(
            customer_id="C1", url=url, kind="page", fetched_at=1, content_hash=digest, body=body, simhash=sim
        )

    big = (1 << 64) - 5
    assert await store.documents.store([doc("https://contoso.com/a", "h1", sim=big)]) == 1
    assert await store.documents.store([doc("https://contoso.com/a", "h1")]) == 0
    assert await store.documents.store([doc("https://contoso.com/a", "h2", b"<p>y</p>")]) == 1
    assert await store.documents.count("C1") == 2
    assert await store.documents.known_hashes("C1", ["https://contoso.com/a"]) == {
        ("https://contoso.com/a", "h1"),
        ("https://contoso.com/a", "h2"),
    }
    assert await store.documents.page_simhashes("C1") == [("https://contoso.com/a", big)]
    summaries = await store.documents.by_customer("C1")
    full = await store.documents.get(summaries[-1].document_id)
    assert full is not None and full.body == b"<p>y</p>"
    raw = await store.db.fetchone("SELECT body FROM documents WHERE content_hash = 'h2'")
    assert raw is not None and bytes(raw[0]) != b"<p>y</p>"  # stored compressed
    assert to_unsigned64(to_signed64(big)) == big
