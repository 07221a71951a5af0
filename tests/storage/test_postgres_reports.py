"""``ascent monthly`` and ``ascent export`` write byte-identical reports on SQLite and
PostgreSQL for the same data: the fixture world's five CSVs imported with ``ascent import``,
plus its planted buying signals and technologies written through the storage API (as the
classifier and the crawler would), so every report has rows with intent, top signals,
cohorts and flags in them."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from common.vocabulary import REPORT_NAMES
from signals.taxonomy import default_taxonomy
from storage.documents import NewDocument
from storage.postgres.scratch import scratch_schema
from storage.signals import DocumentAnalysis, NewPassage, NewSignal
from storage.store import open_store
from tests.support.storage import check_postgres

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

MONTH = "2026-11"
KINDS = ("customers", "products", "agreements", "fit", "outcomes")
REPORTS = REPORT_NAMES


@dataclass(frozen=True)
class _Seen:
    name: str
    category: str
    method: str
    evidence: str


def _ascent(db: str, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, (args, done.stderr[-2000:])


def _confidence(text: str) -> float:
    """A fixed confidence per passage in [0.55, 0.95), the same on every run."""
    return 0.55 + int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) % 400 / 1000


async def _write_signals(db: str, truth: dict[str, Any]) -> int:
    """One document per planted URL, its planted signals as passages and signals, saved the
    way the classifier saves them (lease, then one analysis per document)."""
    types = {t.id: t for t in default_taxonomy().types}
    by_url: dict[str, list[dict[str, Any]]] = {}
    for planted in truth["signals"]:
        by_url.setdefault(planted["url"], []).append(planted)
    domains = {c["domain"]: c["customer_id"] for c in truth["companies"]}
    store = await open_store(db)
    async with store:
        for domain, names in sorted(truth["technologies"].items()):
            seen = [_Seen(n, "", "html_script", f"{domain}:{n}") for n in names]
            await store.technologies.record(domains[domain], seen, seen_at=1_700_000_000.0)
        fetched = datetime.fromisoformat(truth["now"]).timestamp()
        documents = [
            NewDocument(
                found[0]["customer_id"], url, "page", fetched, url, url.encode(), source_kind=found[0]["kind"]
            )
            for url, found in sorted(by_url.items())
        ]
        await store.documents.store(documents)
        pending = await store.signals.lease_pending("seed", len(documents), 600.0)
        assert len(pending) == len(documents)
        for document in pending:
            found = by_url[document.url]
            analysis = DocumentAnalysis(
                document.document_id,
                title=document.url.rsplit("/", 1)[-1],
                published=found[0]["date"],
                language="en",
                text=" ".join(p["text"] for p in found),
                passages=[NewPassage(i, p["text"], f"{document.url}#{i}") for i, p in enumerate(found)],
                signals=[_signal(i, p, types[p["signal_type"]]) for i, p in enumerate(found)],
            )
            assert await store.signals.save_analysis("seed", analysis)
        return sum(len(found) for found in by_url.values())


def _signal(position: int, planted: dict[str, Any], kind: Any) -> NewSignal:
    return NewSignal(
        position=position,
        signal_type=kind.id,
        family=kind.family,
        polarity=kind.polarity,
        confidence=_confidence(planted["text"]),
        areas=list(planted["areas"]),
        key_phrase=planted["text"][:40],
        why_now=f"{planted['domain']}: {kind.description}",
        nearest_examples=[{"text": planted["phrasing"], "label": kind.id, "similarity": 0.9}],
        model="planted",
    )


def test_reports_are_byte_identical(tmp_path: Path) -> None:
    check_postgres()
    from scripts.fixture_web import World

    world = World.generate(companies=30, seed=11)
    csvs = world.write_csv(tmp_path / "csv")
    truth = world.ground_truth()
    with scratch_schema() as url:
        for db, out in ((str(tmp_path / "a.db"), "sqlite"), (url, "postgres")):
            for kind in KINDS:
                _ascent(db, "import", kind, str(csvs[kind]))
            assert asyncio.run(_write_signals(db, truth)) > 100
            _ascent(db, "monthly", "--month", MONTH)
            _ascent(db, "export", "--month", MONTH, "--report", "all", "--out", str(tmp_path / out))
    names = sorted(p.name for p in (tmp_path / "sqlite").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "postgres").iterdir())
    assert len(names) == len(REPORTS)
    for name in names:
        sqlite_bytes = (tmp_path / "sqlite" / name).read_bytes()
        assert sqlite_bytes == (tmp_path / "postgres" / name).read_bytes(), name
        _assert_non_trivial(name, sqlite_bytes)


def _assert_non_trivial(name: str, data: bytes) -> None:
    """Rows whose intent came from signals, so the comparison covered signal handling."""
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
    assert rows, name
    columns = {c.lower(): c for c in rows[0]}
    intent = next((c for key, c in columns.items() if "intent" in key and "band" not in key), None)
    if intent is not None:
        assert any(row[intent] not in ("", "0", "0.0") for row in rows), (name, intent)
    if "topsignals" in columns:
        assert any(row[columns["topsignals"]] for row in rows), name
