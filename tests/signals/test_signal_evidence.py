"""Which page carries a passage that several pages of a site share: the one ranked first
(earliest dated, then most specific), whatever order the pages were fetched or classified in,
so a restarted crawl or a second classify worker ends with the same signals. The storage
contract runs on both backends; the pipeline runs on a real SQLite store with the real model."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from storage.documents import NewDocument
from storage.signals import DocumentAnalysis, EvidenceRank, NewPassage, NewSignal
from storage.store import Store, open_store
from tests.support.pipeline import customer, pipeline
from tests.support.signal_pages import PAGES, _documents
from tests.support.storage import a_customer

SHARED = "h-shared"


def _analysis(document_id: int, *, published: str | None, signal: bool) -> DocumentAnalysis:
    passages = [NewPassage(0, "Contoso has agreed to acquire Fabrikam.", SHARED)]
    signals = [NewSignal(0, "merger_acquisition", "change", 1, 0.9, [], "acquire", "", [], "test-model")]
    return DocumentAnalysis(document_id, None, published, None, "", passages, signals if signal else [])


async def test_a_shared_passage_signal_moves_to_the_page_ranked_first(
    any_store: Store,
) -> None:
    store = any_store
    await store.customers.upsert_all([a_customer("C1")])
    now = time.time()
    await store.documents.store(
        [
            NewDocument("C1", "https://c1.example/", "page", now, "a", b"x"),
            NewDocument("C1", "https://c1.example/news/deal", "page", now + 1, "b", b"y"),
        ]
    )
    home, news = await store.signals.lease_pending("w1", 5, 60.0, now=now)
    assert home.url.endswith("/") and news.url.endswith("/news/deal")

    # the home page, classified first, holds the signal until the dated article is saved
    assert await store.signals.save_analysis("w1", _analysis(home.document_id, published=None, signal=True))
    assert await store.signals.save_analysis(
        "w1", _analysis(news.document_id, published="2026-10-01", signal=True)
    )
    assert await store.signals.pending_count() == 1  # the home page goes back to the queue
    # with its passages and signal: no page is half classified, no report counts the event twice
    assert await store.signals.passage_count(home.document_id) == 0
    assert [s.url for s in await store.signals.by_customer("C1")] == ["https://c1.example/news/deal"]

    # a save that still claims the passage is refused, and the page is free for any worker
    [again] = await store.signals.lease_pending("w1", 5, 60.0, now=now)
    assert again.document_id == home.document_id
    assert not await store.signals.save_analysis(
        "w1", _analysis(home.document_id, published=None, signal=True)
    )
    [retry] = await store.signals.lease_pending("w2", 5, 60.0, now=now)
    assert await store.signals.save_analysis("w2", _analysis(retry.document_id, published=None, signal=False))

    assert [s.url for s in await store.signals.by_customer("C1")] == ["https://c1.example/news/deal"]
    assert await store.signals.pending_count() == 0

    def rank(document_id: int, url: str, published: str | None) -> EvidenceRank:
        return EvidenceRank.of(
            published=published, url=url, kind="page", fetched_at=0.0, document_id=document_id
        )

    counts = await store.signals.site_page_counts(
        "C1", [SHARED], "", rank(home.document_id, home.url, None), []
    )
    assert counts == {SHARED: 1}
    first = rank(news.document_id, news.url, "2026-10-01")
    assert await store.signals.site_page_counts("C1", [SHARED], "", first, []) == {}


def test_rank_prefers_dated_then_specific_then_page_over_feed_entry() -> None:
    def rank(
        url: str, published: str | None = None, kind: str = "page", fetched_at: float = 0.0
    ) -> EvidenceRank:
        return EvidenceRank.of(published=published, url=url, kind=kind, fetched_at=fetched_at, document_id=1)

    article = rank("https://a.example/news/deal", "2026-10-01")
    assert article < rank("https://a.example/blog/2026/12/review", "2026-12-01")  # earlier date
    assert article < rank("https://a.example/")  # dated before undated
    assert rank("https://a.example/news/deal") < rank("https://a.example/press")  # more specific
    assert article < rank("https://a.example/news/deal", "2026-10-01", kind="feed_entry")
    # versions of one URL keep their fetch order
    assert rank("https://a.example/p", fetched_at=1.0) < rank("https://a.example/p", fetched_at=2.0)








async def _signals_after(db: Path, rounds: list[list[str]], batch: int) -> set[tuple[str, str, str]]:
    store = await open_store(db)
    try:
        await store.customers.upsert_all([customer()])
        stored: list[str] = []
        for paths in rounds:
            # fetch times continue across rounds, as a later crawl's would
            await store.documents.store(_documents(stored + paths)[len(stored) :])
            stored += paths
            await pipeline(store, documents_per_batch=batch).run()
        assert await store.signals.pending_count() == 0
        return {(s.url, s.signal_type, s.passage) for s in await store.signals.by_customer("C1")}
    finally:
        await store.close()


async def test_the_same_signals_whatever_the_fetch_and_classify_order(tmp_path: Path) -> None:
    paths = list(PAGES)
    runs = {
        "in order, one batch": await _signals_after(tmp_path / "a.db", [paths], 8),
        "reversed, one page per batch": await _signals_after(tmp_path / "b.db", [paths[::-1]], 1),
        # the later pages were classified before the article existed; it takes the signal over
        "article fetched last": await _signals_after(
            tmp_path / "c.db", [["/", "/blog/2026/12/year-in-review"], ["/press", "/news/acquisition"]], 8
        ),
    }
    reference = runs["in order, one batch"]
    acquisitions = [s for s in reference if s[1] == "merger_acquisition"]
    assert [url for url, _, _ in acquisitions] == ["https://westbrook.example/news/acquisition"], reference
    for name, found in runs.items():
        assert found == reference, name


async def test_concurrent_classify_workers_agree_with_one(
    any_store: Store,
    tmp_path: Path,
) -> None:
    """Three workers classifying the same sites at once, a page at a time, pages fetched in
    the worst order (the article last): saves of one site are serialised and a stale save is
    refused, so they end where one worker does."""
    store = any_store
    reference = await _signals_after(tmp_path / "reference.db", [list(PAGES)], 8)
    sites = {f"C{n}": f"site{n}.example" for n in range(1, 4)}
    await store.customers.upsert_all([customer(cid, domain) for cid, domain in sites.items()])
    for cid, domain in sites.items():
        await store.documents.store(_documents(list(PAGES)[::-1], cid, domain))
    workers = [pipeline(store, documents_per_batch=1) for _ in range(3)]
    runs = await asyncio.gather(*(worker.run() for worker in workers))
    # each site's dated article comes last, so on every site a page that claimed the signal
    # first was sent back or had its save refused: the races were run, not dodged
    assert sum(run.saves + run.lost_leases for run in runs) >= 4 * len(sites) + len(sites)
    assert await store.signals.pending_count() == 0
    for cid, domain in sites.items():
        found = {
            (s.url.replace(domain, "westbrook.example"), s.signal_type, s.passage)
            for s in await store.signals.by_customer(cid)
        }
        assert found == reference, cid
