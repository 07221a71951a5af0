"""The classify step end to end on a real SQLite store: documents in, passages and explained
signals out, one transaction per document, leases, boilerplate and the embedding cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from signals.pipeline import classify_pending
from signals.settings import SignalSettings
from storage.signals import DocumentAnalysis, NewPassage, NewSignal
from storage.store import Store
from tests.support.pipeline import FILLER, SIGNAL_PAGES, customer, document, page, pipeline, seed


async def test_classifies_every_document_with_explained_signals(store: Store) -> None:
    await seed(store)
    assert await store.signals.pending_count() == 7
    seen: list[int] = []
    stats = await pipeline(store).run(progress=lambda s: seen.append(s.documents))
    assert stats.documents == 7 and seen[-1] == 7 and seen == sorted(seen)
    assert await store.signals.pending_count() == 0

    signals = await store.signals.by_customer("C1")
    found = {(s.url.removeprefix("https://westbrook.example"), s.signal_type) for s in signals}
    for path, (signal_type, _) in SIGNAL_PAGES.items():
        assert (path, signal_type) in found, (path, sorted(found))
    assert all(not s.url.endswith(("/about", "/junk", "/empty")) for s in signals)
    for signal in signals:
        assert signal.passage and signal.key_phrase and signal.why_now
        assert signal.key_phrase.lower() in signal.passage.lower() or signal.key_phrase in signal.passage
        assert "Westbrook Joinery" in signal.why_now
        assert signal.published and signal.published.startswith("2026-10-")
        assert signal.published[:10] in signal.why_now
        assert len(signal.nearest_examples) == 3
        assert {"text", "label", "similarity"} <= set(signal.nearest_examples[0])
        assert 0.5 <= signal.confidence <= 1.0
        assert signal.source_kind == "newsroom"
        assert signal.areas
    # newest first
    dates = [s.published or "" for s in signals]
    assert dates == sorted(dates, reverse=True)
    counts = await store.signals.counts_by_type("C1")
    assert counts["security_incident"] >= 1 and sum(counts.values()) == len(signals)
    m365 = [s for s in signals if s.signal_type == "competitor_tech"]
    assert m365 and m365[0].areas == ["M365"]

    rows = await store.db.fetchall(
        "SELECT url, title, published, language, text, extracted_at, classified_at,"
        " classify_lease_owner FROM documents ORDER BY document_id"
    )
    for row in rows:
        assert row["classified_at"] is not None and row["extracted_at"] is not None
        assert row["classify_lease_owner"] is None
    hiring = next(r for r in rows if r["url"].endswith("/news/hiring"))
    assert hiring["title"] and "software developers" in hiring["text"]
    assert hiring["published"].startswith("2026-10-10") and hiring["language"] == "en"


async def test_second_pass_embeds_nothing_again(store: Store) -> None:
    await seed(store)
    first = await pipeline(store).run()
    assert first.embedded > 0
    await store.db.execute("UPDATE documents SET classified_at = NULL")
    second = await pipeline(store).run()
    assert second.documents == first.documents
    assert second.embedded == 0 and second.reused == first.embedded + first.reused
    assert second.signals == first.signals
    # passages were replaced, not duplicated
    assert await store.signals.passage_count() == first.passages


async def test_boilerplate_repeated_across_pages_is_not_classified(store: Store) -> None:
    await store.customers.upsert_all([customer()])
    hiring = "Westbrook Joinery is recruiting two software developers to build our online ordering platform."
    docs = [
        document(f"/p{n}", page(f"Page {n}", hiring if n == 0 else FILLER[1], "2026-10-01"), fetched_at=n)
        for n in range(6)
    ]
    await store.documents.store(docs)
    stats = await pipeline(store).run()
    assert stats.boilerplate >= 2
    rows = await store.db.fetchall(
        "SELECT d.url, p.is_boilerplate FROM passages p JOIN documents d USING (document_id)"
        " WHERE p.text LIKE '%since 1974%' ORDER BY d.fetched_at"
    )
    flags = [int(r["is_boilerplate"]) for r in rows]
    assert flags[:3] == [0, 0, 0] and all(flags[3:]), flags


async def test_save_is_all_or_nothing(store: Store) -> None:
    await seed(store)
    leased = await store.signals.lease_pending("w1", 1, 60.0)
    doc_id = leased[0].document_id
    bad = DocumentAnalysis(
        document_id=doc_id,
        title="t",
        published=None,
        language="en",
        text="one. two.",
        passages=[NewPassage(0, "one.", "h0"), NewPassage(1, "two.", "h1")],
        # a signal pointing at a passage that does not exist fails mid-transaction
        signals=[NewSignal(7, "funding", "money", 1, 0.9, [], "", "", [], "m")],
    )
    with pytest.raises(ValueError):
        await store.signals.save_analysis("w1", bad)
    assert await store.signals.passage_count(doc_id) == 0
    row = await store.db.fetchone(
        "SELECT classified_at, text FROM documents WHERE document_id = ?", (doc_id,)
    )
    assert row is not None and row["classified_at"] is None and row["text"] is None


async def test_leases_keep_workers_apart(store: Store) -> None:
    await seed(store)
    now = time.time()
    first = await store.signals.lease_pending("w1", 3, 60.0, now=now)
    second = await store.signals.lease_pending("w2", 10, 600.0, now=now)
    assert len(first) == 3 and len(second) == 4
    assert not {d.document_id for d in first} & {d.document_id for d in second}
    assert await store.signals.lease_pending("w3", 10, 60.0, now=now) == []
    # w1 died: after its lease ends, w3 takes its documents over and w1 can no longer save
    taken = await store.signals.lease_pending("w3", 10, 60.0, now=now + 61)
    assert {d.document_id for d in taken} == {d.document_id for d in first}
    late = DocumentAnalysis(first[0].document_id, None, None, None, "", [], [])
    assert await store.signals.save_analysis("w1", late) is False
    assert await store.signals.save_analysis("w3", late) is True
    await store.signals.release("w2", [d.document_id for d in second])
    again = await store.signals.lease_pending("w4", 10, 60.0, now=now + 1)
    assert {d.document_id for d in again} == {d.document_id for d in second}


async def test_embedding_cache_round_trip(store: Store) -> None:
    vector = np.arange(4, dtype=np.float32) / 10
    await store.signals.put_embeddings("m", {"h": vector})
    await store.signals.put_embeddings("m", {"h": vector * 0})  # first write wins
    got = await store.signals.get_embeddings("m", ["h", "missing"])
    assert list(got) == ["h"] and got["h"].dtype == np.float32
    assert np.array_equal(got["h"], vector)
    assert await store.signals.get_embeddings("other-model", ["h"]) == {}


async def test_classify_pending_entry_point_and_max_documents(store: Store) -> None:
    await seed(store)
    stats = await classify_pending(store.signals, SignalSettings(documents_per_batch=2), max_documents=3)
    assert stats.documents == 3
    assert await store.signals.pending_count() == 4


def test_cli_classify_json_summary(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from scripts.cli import main
    from storage.store import open_store

    async def prepare() -> None:
        async with await open_store(db_path) as store:
            await seed(store)

    asyncio.run(prepare())
    assert main(["--db", str(db_path), "classify", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["documents"] == 7 and summary["signals"] >= 4
    assert main(["--db", str(db_path), "classify"]) == 0
    assert "classified 0 document(s)" in capsys.readouterr().out
