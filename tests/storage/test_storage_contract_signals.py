"""The signal repository's contract, on both backends: the classification queue's leases,
saving an analysis, embeddings, boilerplate counts and what is read back."""

from __future__ import annotations

import numpy as np

from storage.documents import NewDocument
from storage.signals import DocumentAnalysis, EvidenceRank, NewPassage, NewSignal
from storage.store import Store
from tests.support.storage import a_customer


def _signal(position: int, signal_type: str = "cloud_migration", why_now: str = "why") -> NewSignal:
    return NewSignal(position, signal_type, "tech", 1, 0.9, ["Azure"], "moving", why_now, [{"text": "é"}], "m")


async def _pending_documents(store: Store, count: int) -> list[int]:
    await store.customers.upsert_all([a_customer("C1"), a_customer("C2")])
    await store.documents.store(
        [NewDocument("C1", f"https://c1.example/p{i}", "page", 1.0 + i, f"h{i}", b"x") for i in range(count)]
    )
    return sorted(d.document_id for d in await store.documents.by_customer("C1"))


async def test_leases_are_released_by_document_and_by_owner(any_store: Store) -> None:
    await _pending_documents(any_store, 3)
    leased = await any_store.signals.lease_pending("w1", 2, 60.0)
    await any_store.signals.lease_pending("w2", 1, 60.0)
    assert await any_store.signals.lease_owners() == ["w1", "w2"]
    await any_store.signals.release("w1", [leased[0].document_id])
    await any_store.signals.release("w2", [leased[1].document_id])  # not w2's: kept
    assert await any_store.signals.release_owner("w1") == 1
    assert await any_store.signals.lease_owners() == ["w2"]
    assert await any_store.signals.release_owner("nobody") == 0
    assert len(await any_store.signals.lease_pending("w3", 5, 60.0)) == 2


async def test_an_analysis_is_saved_whole_and_read_back(any_store: Store) -> None:
    await _pending_documents(any_store, 2)
    [first, second] = await any_store.signals.lease_pending("w", 2, 60.0)
    analysis = DocumentAnalysis(
        first.document_id,
        "Title",
        "2026-11-03",
        "en",
        "one. two.",
        [NewPassage(0, "one.", "ha"), NewPassage(1, "two.", "hb", is_boilerplate=True)],
        [_signal(0), _signal(0, "hiring", "second"), _signal(0, why_now="replaced")],
    )
    assert await any_store.signals.save_analysis("w", analysis)
    # A lease that is not the saver's writes nothing.
    lost = DocumentAnalysis(second.document_id, None, None, None, "x", [NewPassage(0, "x", "hx")], [_signal(0)])
    assert not await any_store.signals.save_analysis("other", lost)

    signals = await any_store.signals.by_document(first.document_id)
    assert sorted((s.signal_type, s.why_now) for s in signals) == [("cloud_migration", "replaced"), ("hiring", "second")]
    assert all(s.passage == "one." and s.published == "2026-11-03" for s in signals)
    assert signals[0].nearest_examples == [{"text": "é"}] and signals[0].areas == ["Azure"]
    assert await any_store.signals.by_document(second.document_id) == []
    assert await any_store.signals.counts_by_type() == {"cloud_migration": 1, "hiring": 1}
    assert await any_store.signals.counts_by_type("C1") == {"cloud_migration": 1, "hiring": 1}
    assert await any_store.signals.counts_by_type("C2") == {}
    assert await any_store.signals.passage_count() == 2
    assert await any_store.signals.passage_count(first.document_id) == 2
    assert await any_store.signals.passage_count(second.document_id) == 0
    outcome = await any_store.signals.stored_outcome([first.document_id, second.document_id])
    assert (outcome.documents, outcome.passages, outcome.boilerplate) == (1, 2, 1)
    assert outcome.by_type == {"cloud_migration": 1, "hiring": 1}
    assert await any_store.signals.pending_count() == 1


async def test_embeddings_are_stored_once_per_passage_and_model(any_store: Store) -> None:
    vector = np.arange(4, dtype=np.float32)
    await any_store.signals.put_embeddings("m1", {"ha": vector, "hb": vector + 1})
    await any_store.signals.put_embeddings("m1", {"ha": vector + 9})  # kept: the first one stays
    await any_store.signals.put_embeddings("m2", {"ha": vector})
    found = await any_store.signals.get_embeddings("m1", ["ha", "hb", "hz", "ha"])
    assert sorted(found) == ["ha", "hb"]
    assert found["ha"].tolist() == vector.tolist() and found["ha"].dtype == np.float32
    assert await any_store.signals.embedding_count() == 3
    assert await any_store.signals.embedding_count("m1") == 2
    assert await any_store.signals.get_embeddings("m3", ["ha"]) == {}


async def test_site_page_counts_count_only_lower_ranked_pages(any_store: Store) -> None:
    ids = await _pending_documents(any_store, 3)
    leased = {d.document_id: d for d in await any_store.signals.lease_pending("w", 3, 60.0)}
    for document_id in ids[:2]:
        passages = [NewPassage(0, "shared footer", "shared"), NewPassage(1, "own", f"own{document_id}")]
        analysis = DocumentAnalysis(document_id, None, None, None, "t", passages, [])
        assert await any_store.signals.save_analysis("w", analysis)
    last = leased[ids[2]]

    def rank(document_id: int, url: str, fetched_at: float) -> EvidenceRank:
        return EvidenceRank.of(published=None, url=url, kind="page", fetched_at=fetched_at, document_id=document_id)

    after_all = rank(ids[2], last.url, last.fetched_at)
    counts = await any_store.signals.site_page_counts("C1", ["shared", "nothing"], last.url, after_all)
    assert counts == {"shared": 2}
    mine = await any_store.signals.site_page_counts("C1", ["shared"], last.url, after_all, exclude_documents=[ids[0]])
    assert mine == {"shared": 1}
    assert await any_store.signals.site_page_counts("C2", ["shared"], last.url, after_all) == {}
    before_all = rank(0, "https://c1.example/", 0.0)
    assert await any_store.signals.site_page_counts("C1", ["shared"], last.url, before_all) == {}
