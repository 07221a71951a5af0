"""Classify leases die with their owner, and a run reports what it really stored.

A classifier killed with documents in hand (kill -9, a full disk) used to keep them leased for
``lease_s`` (600 s): the next ``classify`` said "classified 0 document(s)" and never mentioned
them. And a page classified, sent back to the queue by a higher-ranked page and classified
again was counted twice, with signals the database no longer held. The pipeline runs on a
real SQLite store with the real model; dead owners are real processes that have exited.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

import signals.pipeline
from storage.documents import NewDocument
from storage.owners import new_owner, owner_is_dead, process_start
from storage.signals import DocumentAnalysis, NewPassage, NewSignal
from storage.store import Store
from tests.support.pipeline import customer, pipeline, seed
from tests.support.signal_pages import PAGES, _documents
from tests.support.storage import a_customer


def _exited_process() -> int:
    """The pid of a process that has run and exited (its pid is free again)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _owner_of(pid: int, start: int | None = None) -> str:
    return f"{socket.gethostname()}:{pid}:{start if start is not None else 1}:deadbeef"


async def _leased(store: Store) -> int:
    row = await store.db.fetchone("SELECT COUNT(*) FROM documents WHERE classify_lease_owner IS NOT NULL")
    return int(row[0]) if row else -1


def test_owner_liveness() -> None:
    assert not owner_is_dead(new_owner())  # this process
    assert owner_is_dead(_owner_of(_exited_process()))
    assert owner_is_dead(f"{socket.gethostname()}:{_exited_process()}:cafe0123")  # older ids
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        try:
            start = process_start(alive.pid)
            assert start is not None
            assert not owner_is_dead(_owner_of(alive.pid, start))
            # the same pid with another start time: the owner died and the pid was reused
            assert owner_is_dead(_owner_of(alive.pid, start + 1))
        finally:
            alive.kill()
    assert not owner_is_dead(f"another-host:{_exited_process()}:1:deadbeef")  # cannot tell
    assert not owner_is_dead("w1") and not owner_is_dead("")


async def test_a_dead_classifiers_documents_are_classified_at_once(store: Store) -> None:
    await seed(store)
    pending = await store.signals.pending_count()
    dead = _owner_of(_exited_process())
    assert len(await store.signals.lease_pending(dead, 3, 600.0)) == 3
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        try:
            living = _owner_of(alive.pid, process_start(alive.pid))
            assert len(await store.signals.lease_pending(living, 1, 600.0)) == 1

            stats = await pipeline(store).run()

            assert stats.reclaimed == 3
            assert stats.documents == pending - 1 and stats.left == 1
            # a live owner keeps its lease until it ends it or the lease expires
            assert await store.signals.lease_owners() == [living]
        finally:
            alive.kill()


async def test_a_run_leaves_nothing_leased_when_it_stops_or_fails(store: Store) -> None:
    await seed(store)
    worker = pipeline(store, documents_per_batch=2)
    original = worker._classify_batch
    batches = 0

    async def failing_after_one(*args: object) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise RuntimeError("the disk filled up")
        await original(*args)  # type: ignore[arg-type]

    worker._classify_batch = failing_after_one  # type: ignore[method-assign]
    try:
        await worker.run()
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert batches == 2 and await _leased(store) == 0
    assert await store.signals.pending_count() > 0


async def test_the_summary_counts_each_document_and_signal_once_as_stored(store: Store) -> None:
    """The dated article is classified last and takes the shared signal over: the pages that
    held it are sent back and classified again. Each counts once, with what it holds now."""
    await store.customers.upsert_all([customer()])
    await store.documents.store(_documents(list(PAGES)[::-1]))

    stats = await pipeline(store, documents_per_batch=1).run()

    assert stats.saves > stats.documents  # the race ran: a page was classified twice
    classified = await store.db.fetchone("SELECT COUNT(*) FROM documents WHERE classified_at IS NOT NULL")
    assert classified is not None and stats.documents == classified[0] == len(PAGES)
    assert stats.by_type == await store.signals.counts_by_type()
    assert stats.signals == sum(stats.by_type.values())
    assert stats.passages == await store.signals.passage_count()
    assert stats.left == 0 and stats.requeued == 0


def test_new_owner_names_this_process() -> None:
    host, pid, start, nonce = new_owner().split(":")
    assert (host, int(pid)) == (socket.gethostname(), os.getpid())
    assert int(start) == (process_start(os.getpid()) or 0) and len(nonce) == 8
    assert new_owner() != new_owner()  # one id per caller, so two pipelines never share


async def test_dead_owners_that_appear_during_a_run_are_reclaimed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another classifier of this machine dies while this run goes on: its documents come
    back at the run's next reclaim (every RECLAIM_EVERY_S), not when its lease expires."""
    monkeypatch.setattr(signals.pipeline, "RECLAIM_EVERY_S", 0.0)
    await seed(store)
    worker = pipeline(store, documents_per_batch=2)
    original = worker._classify_batch
    dead = _owner_of(_exited_process())
    taken: list[int] = []

    async def another_worker_dies_after_the_first_batch(*args: object) -> None:
        await original(*args)  # type: ignore[arg-type]
        if not taken:
            taken.extend(d.document_id for d in await store.signals.lease_pending(dead, 2, 600.0))

    worker._classify_batch = another_worker_dies_after_the_first_batch  # type: ignore[method-assign]
    stats = await worker.run()

    assert len(taken) == 2 and stats.reclaimed == 2
    assert await store.signals.pending_count() == 0 and await _leased(store) == 0


async def test_lease_owners_release_and_stored_outcome(
    any_store: Store,
) -> None:
    store = any_store
    await store.customers.upsert_all([a_customer("C1")])
    await store.documents.store(
        [NewDocument("C1", f"https://c1.example/{n}", "page", 1000.0 + n, f"h{n}", b"x") for n in range(4)]
    )
    first = await store.signals.lease_pending("host:1:2:a", 2, 600.0)
    await store.signals.lease_pending("host:3:4:b", 2, 600.0)
    assert await store.signals.lease_owners() == ["host:1:2:a", "host:3:4:b"]
    assert await store.signals.release_owner("host:3:4:b") == 2
    assert await store.signals.lease_owners() == ["host:1:2:a"]
    document = first[0].document_id
    passages = [NewPassage(0, "Contoso is hiring.", "p0", False), NewPassage(1, "Footer.", "p1", True)]
    signal = NewSignal(0, "hiring_security", "talent", 1, 0.9, [], "hiring", "", [], "test-model")
    analysis = DocumentAnalysis(document, None, None, None, "", passages, [signal])
    assert await store.signals.save_analysis("host:1:2:a", analysis)
    outcome = await store.signals.stored_outcome([document, first[1].document_id, document])
    assert (outcome.documents, outcome.passages, outcome.boilerplate) == (1, 2, 1)
    assert outcome.by_type == {"hiring_security": 1}
    assert await store.signals.release_owner("host:1:2:a") == 1  # the one it did not save
    assert await store.signals.lease_owners() == []
