"""The daemon's bounds under sustained load (scripts/pipeline.py, ``bounded=True``): the crawl
pauses on a full classification backlog, classification goes in batches and stops after one
backlog's worth, and the WAL is truncated. The soak (scripts/devtools/soak.py) shows the effect over
half an hour; these check the mechanisms on a real database in seconds."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from scripts.pipeline import PipelineStages, _stop_when
from scripts.settings import Settings
from storage.store import Store
from tests.support.pipeline import customer, document, page


def bounded_settings(limit: int, batch: int) -> Settings:
    base = Settings()
    daemon = dataclasses.replace(base.daemon, classify_backlog_limit=limit, classify_batch_documents=batch)
    return dataclasses.replace(base, daemon=daemon)


async def pending_documents(store: Store, count: int) -> None:
    await store.customers.upsert_all([customer()])
    docs = [
        document(
            f"/news/{n}",
            page(f"News {n}", f"We opened office number {n} in Leeds this month.", "2026-10-01"),
            fetched_at=1000.0 + n,
        )
        for n in range(count)
    ]
    assert await store.documents.store(docs) == count


async def test_crawl_does_not_start_while_the_backlog_is_full(store: Store, tmp_path: Path) -> None:
    await pending_documents(store, 5)
    stages = PipelineStages(store, bounded_settings(limit=5, batch=2), tmp_path / "reports", bounded=True)
    assert await stages.crawl(asyncio.Event()) == {"paused_for_backlog": 1}
    assert [r for r in await store.runs.recent(10) if r.kind == "crawl"] == []


async def test_a_running_crawl_is_stopped_when_the_backlog_fills_or_the_daemon_stops() -> None:
    counts = iter([10, 40, 99, 100, 150])

    async def pending() -> int:
        return next(counts)

    daemon_stop, pass_stop = asyncio.Event(), asyncio.Event()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("scripts.pipeline.BACKLOG_POLL_S", 0.01)
        assert await asyncio.wait_for(_stop_when(daemon_stop, pass_stop, pending, 100), 5) is True
        assert pass_stop.is_set() and next(counts) == 150  # stopped at the first count >= 100
        daemon_stop.set()
        other = asyncio.Event()
        assert await asyncio.wait_for(_stop_when(daemon_stop, other, pending, 0), 5) is False
        assert other.is_set()


@pytest.mark.slow
async def test_classify_goes_in_batches_and_stops_after_one_backlog(store: Store, tmp_path: Path) -> None:
    await pending_documents(store, 7)
    stages = PipelineStages(store, bounded_settings(limit=5, batch=2), tmp_path / "reports", bounded=True)
    result = await stages.classify(asyncio.Event())
    # batches of 2 until at least one backlog's worth (5): 3 batches, 6 documents, 1 left
    assert (result["batches"], result["documents"]) == (3, 6)
    assert await store.signals.pending_count() == 1
    again = await stages.classify(asyncio.Event())
    assert again["documents"] == 1 and await store.signals.pending_count() == 0
    assert await stages.classify(asyncio.Event()) == {"documents": 0}  # nothing pending: no model load


async def test_checkpoint_truncates_the_wal(store: Store, tmp_path: Path) -> None:
    await pending_documents(store, 20)
    wal = Path(f"{store.db.path}-wal")
    assert wal.stat().st_size > 0
    stages = PipelineStages(store, bounded_settings(limit=5, batch=2), tmp_path / "reports", bounded=True)
    await stages.checkpoint()
    assert wal.stat().st_size == 0
    assert await store.signals.pending_count() == 20  # nothing lost on the way into the file


def soak_rows(rss: list[float]) -> list[dict[str, float]]:
    """Soak samples a minute apart where only RSS varies (everything else constant)."""
    from scripts.devtools.soak import FLAT_SERIES, GROWING_SERIES

    return [
        {"t_s": 60.0 * n, **dict.fromkeys((*FLAT_SERIES, *GROWING_SERIES), 1.0), "rss_mb": value}
        for n, value in enumerate(rss)
    ]


def test_soak_verdicts_tell_a_leak_from_a_sawtooth_and_a_spike() -> None:
    from scripts.devtools.soak import flatness

    leak = [700.0 + 10 * n for n in range(30)]  # +600 MB/h, new highs all along
    # high while a crawl pass runs its parse workers, low between; ends mid-tooth
    sawtooth = [790.0 if (n // 5) % 2 else 710.0 for n in range(30)]
    spike = [720.0] * 30
    spike[20] = 1500.0  # one new peak, no trend
    assert flatness(soak_rows(leak), 0.25)["rss_mb"]["flat"] is False
    assert flatness(soak_rows(sawtooth), 0.25)["rss_mb"]["flat"] is True
    assert flatness(soak_rows(spike), 0.25)["rss_mb"]["flat"] is True
