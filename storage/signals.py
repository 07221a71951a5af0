"""Passages, the embedding cache and buying signals with their explanations.

Classification of a document is all-or-nothing: :meth:`SqliteSignalRepository.save_analysis`
replaces the document's passages and signals and marks it classified in one transaction, so a
crash leaves every document with all of its passages or none. Documents are leased to one
classifying worker at a time (``classify_lease_owner`` / ``classify_lease_until``).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field
from typing import Any, Protocol

import numpy as np

from storage.protocols import SqlDatabase

# A stored body larger than this after decompression is cut (the crawler caps bodies anyway).
MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class PendingDocument:
    document_id: int
    customer_id: str
    account_name: str
    domain: str
    url: str
    kind: str
    source_kind: str
    title: str | None
    published: str | None
    language: str | None
    content_type: str | None
    fetched_at: float
    body: bytes


@dataclass(frozen=True, order=True)
class EvidenceRank:
    """Which of a site's pages carries a passage they share: the lowest rank.

    A press release quoted on the newsroom, the blog and the home page is one event, and its
    signal belongs to one page. That page must not depend on the order pages were fetched or
    classified in (a restarted crawl, or a second worker, fetches in another order), so it is
    chosen by what the pages are: the earliest dated one first, dated before undated; then the
    most specific (the deepest path: the article rather than the listing quoting it); then the
    URL; a page before a feed entry of the same URL; versions of one URL in fetch order.
    """

    undated: int
    published: str
    shallowness: int
    url: str
    is_feed_entry: int
    fetched_at: float
    document_id: int

    @classmethod
    def of(
        cls, *, published: str | None, url: str, kind: str, fetched_at: float, document_id: int
    ) -> EvidenceRank:
        return cls(
            undated=int(published is None),
            published=published or "",
            shallowness=-url.count("/"),
            url=url,
            is_feed_entry=int(kind == "feed_entry"),
            fetched_at=float(fetched_at),
            document_id=int(document_id),
        )

    def params(self) -> tuple[Any, ...]:
        """The fields in order, as parameters for :data:`EVIDENCE_RANK_SQL`'s row value."""
        return astuple(self)


# The same rank in SQL, for the documents row ``d`` (compared as a row value).
EVIDENCE_RANK_SQL = (
    "(CASE WHEN d.published IS NULL THEN 1 ELSE 0 END, COALESCE(d.published, ''),"
    " LENGTH(REPLACE(d.url, '/', '')) - LENGTH(d.url), d.url,"
    " CASE WHEN d.kind = 'feed_entry' THEN 1 ELSE 0 END, d.fetched_at, d.document_id)"
)
_RANK_PARAMS = "(?, ?, ?, ?, ?, ?, ?)"

# A second signal of a type on one passage replaces the first (its every column but the key).
_SIGNAL_UPDATE = ", ".join(
    f"{c} = excluded.{c}"
    for c in [
        "document_id",
        "family",
        "polarity",
        "confidence",
        "areas",
        "passage",
        "key_phrase",
        "url",
        "source_kind",
        "published",
        "detected_at",
        "why_now",
        "nearest_examples",
        "model",
    ]
)


@dataclass(frozen=True)
class NewPassage:
    position: int
    text: str
    passage_hash: str
    is_boilerplate: bool = False


@dataclass(frozen=True)
class NewSignal:
    position: int  # the passage it comes from
    signal_type: str
    family: str
    polarity: int
    confidence: float
    areas: list[str]
    key_phrase: str
    why_now: str
    nearest_examples: list[dict[str, Any]]
    model: str


@dataclass(frozen=True)
class DocumentAnalysis:
    document_id: int
    title: str | None
    published: str | None
    language: str | None
    text: str
    passages: list[NewPassage] = field(default_factory=list)
    signals: list[NewSignal] = field(default_factory=list)


@dataclass
class StoredOutcome:
    """Documents classified, their passages and signals, as stored (see ``stored_outcome``)."""

    documents: int = 0
    passages: int = 0
    boilerplate: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    signal_id: int
    customer_id: str
    document_id: int
    passage_id: int
    signal_type: str
    family: str
    polarity: int
    confidence: float
    areas: list[str]
    passage: str
    key_phrase: str
    url: str
    source_kind: str
    published: str | None
    detected_at: float
    why_now: str
    nearest_examples: list[dict[str, Any]]
    model: str


class SignalRepository(Protocol):
    async def lease_pending(
        self, owner: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[PendingDocument]: ...
    async def release(self, owner: str, document_ids: Sequence[int]) -> None: ...
    async def lease_owners(self) -> list[str]: ...
    async def release_owner(self, owner: str) -> int: ...
    async def pending_count(self) -> int: ...
    async def stored_outcome(self, document_ids: Sequence[int]) -> StoredOutcome: ...
    async def get_embeddings(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...
    async def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> None: ...
    async def site_page_counts(
        self,
        customer_id: str,
        hashes: Sequence[str],
        exclude_url: str,
        before: EvidenceRank,
        exclude_documents: Sequence[int] = (),
    ) -> dict[str, int]: ...
    async def save_analysis(self, owner: str, analysis: DocumentAnalysis) -> bool: ...
    async def by_customer(self, customer_id: str, limit: int | None = None) -> list[Signal]: ...
    async def counts_by_type(self, customer_id: str | None = None) -> dict[str, int]: ...
    async def passage_count(self, document_id: int | None = None) -> int: ...


_CHUNK = 500


class SqliteSignalRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    # --------------------------------------------------------------- leasing documents

    async def lease_pending(
        self, owner: str, limit: int, lease_s: float, now: float | None = None
    ) -> list[PendingDocument]:
        """Lease up to ``limit`` unclassified documents (oldest first) whose lease is free or
        expired; another worker cannot take them until the lease ends."""
        now = time.time() if now is None else now
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT document_id FROM documents WHERE classified_at IS NULL"
                " AND (classify_lease_until IS NULL OR classify_lease_until < ?"
                "      OR classify_lease_owner = ?)"
                " ORDER BY fetched_at, document_id LIMIT ?",
                (now, owner, max(0, limit)),
            )
            ids = [int(r[0]) for r in await cursor.fetchall()]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                await conn.execute(
                    "UPDATE documents SET classify_lease_owner = ?, classify_lease_until = ?"
                    f" WHERE document_id IN ({','.join('?' * len(chunk))})",
                    (owner, now + lease_s, *chunk),
                )
        if not ids:
            return []
        rows: list[Any] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows.extend(
                await self.db.fetchall(
                    "SELECT d.document_id, d.customer_id, c.account_name, c.domain, d.url, d.kind,"
                    " d.source_kind, d.title, d.published, d.language, d.content_type,"
                    " d.fetched_at, d.body FROM documents d"
                    " JOIN customers c ON c.customer_id = d.customer_id"
                    f" WHERE d.document_id IN ({','.join('?' * len(chunk))})"
                    " ORDER BY d.fetched_at, d.document_id",
                    chunk,
                )
            )
        return [_pending(r) for r in rows]

    async def release(self, owner: str, document_ids: Sequence[int]) -> None:
        """Give leased documents back (e.g. on shutdown) without classifying them."""
        ids = list(document_ids)
        async with self.db.transaction() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                await conn.execute(
                    "UPDATE documents SET classify_lease_owner = NULL, classify_lease_until = NULL"
                    f" WHERE classify_lease_owner = ? AND document_id IN ({','.join('?' * len(chunk))})",
                    (owner, *chunk),
                )

    async def pending_count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM documents WHERE classified_at IS NULL")
        return int(row[0]) if row else 0

    async def lease_owners(self) -> list[str]:
        """Owners holding documents now (a classifier that died shows up here until it is
        reclaimed or its leases expire). Only pending documents carry a lease, so the
        ``classified_at`` index keeps this cheap."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT classify_lease_owner FROM documents"
            " WHERE classified_at IS NULL AND classify_lease_owner IS NOT NULL"
        )
        return sorted(str(r[0]) for r in rows)

    async def release_owner(self, owner: str) -> int:
        """Give back every document one owner holds (it is gone, or stopping); how many."""
        return await self.db.execute(
            "UPDATE documents SET classify_lease_owner = NULL, classify_lease_until = NULL"
            " WHERE classified_at IS NULL AND classify_lease_owner = ?",
            (owner,),
        )

    async def stored_outcome(self, document_ids: Sequence[int]) -> StoredOutcome:
        """What the database holds now for these documents: how many are classified, their
        passages and signals. A run reports this rather than what it saved, because a page it
        saved may since have been sent back to the queue (its passages and signals with it)
        by a higher-ranked page, and then classified again."""
        ids = sorted(set(document_ids))
        outcome = StoredOutcome()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            row = await self.db.fetchone(
                "SELECT COUNT(*) FROM documents WHERE classified_at IS NOT NULL"
                f" AND document_id IN ({marks})",
                chunk,
            )
            outcome.documents += int(row[0]) if row else 0
            row = await self.db.fetchone(
                "SELECT COUNT(*), COALESCE(SUM(is_boilerplate), 0) FROM passages"
                f" WHERE document_id IN ({marks})",
                chunk,
            )
            if row:
                outcome.passages += int(row[0])
                outcome.boilerplate += int(row[1])
            for kind, count in await self.db.fetchall(
                f"SELECT signal_type, COUNT(*) FROM signals WHERE document_id IN ({marks})"
                " GROUP BY signal_type",
                chunk,
            ):
                outcome.by_type[str(kind)] = outcome.by_type.get(str(kind), 0) + int(count)
        return outcome

    # --------------------------------------------------------------- embedding cache

    async def get_embeddings(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(hashes))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = await self.db.fetchall(
                "SELECT passage_hash, dim, vector FROM embeddings WHERE model = ?"
                f" AND passage_hash IN ({','.join('?' * len(chunk))})",
                (model, *chunk),
            )
            for row in rows:
                vector = np.frombuffer(bytes(row[2]), dtype="<f4")
                if len(vector) == int(row[1]):
                    found[str(row[0])] = vector.astype(np.float32)
        return found

    async def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        if not vectors:
            return
        rows = [
            (key, model, int(np.asarray(v).shape[-1]), np.asarray(v, dtype="<f4").tobytes())
            for key, v in vectors.items()
        ]
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO embeddings(passage_hash, model, dim, vector) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )

    async def embedding_count(self, model: str | None = None) -> int:
        if model is None:
            row = await self.db.fetchone("SELECT COUNT(*) FROM embeddings")
        else:
            row = await self.db.fetchone("SELECT COUNT(*) FROM embeddings WHERE model = ?", (model,))
        return int(row[0]) if row else 0

    # --------------------------------------------------------------- boilerplate

    async def site_page_counts(
        self,
        customer_id: str,
        hashes: Sequence[str],
        exclude_url: str,
        before: EvidenceRank,
        exclude_documents: Sequence[int] = (),
    ) -> dict[str, int]:
        """For each passage hash: on how many other URLs of the customer's site it was seen in
        documents ranked before ``before`` (see :class:`EvidenceRank`), not counting
        ``exclude_documents`` (the caller's own batch). Counting only lower-ranked documents
        makes the answer independent of the order documents are classified in."""
        counts: dict[str, int] = {}
        wanted = list(dict.fromkeys(hashes))
        skip = list(exclude_documents)[:_CHUNK] or [-1]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = await self.db.fetchall(
                "SELECT p.passage_hash, COUNT(DISTINCT d.url) FROM passages p"
                " JOIN documents d ON d.document_id = p.document_id"
                f" WHERE p.customer_id = ? AND p.passage_hash IN ({','.join('?' * len(chunk))})"
                f" AND d.url != ? AND {EVIDENCE_RANK_SQL} < {_RANK_PARAMS}"
                f" AND d.document_id NOT IN ({','.join('?' * len(skip))})"
                " GROUP BY p.passage_hash",
                (customer_id, *chunk, exclude_url, *before.params(), *skip),
            )
            counts.update((str(r[0]), int(r[1])) for r in rows)
        return counts

    # --------------------------------------------------------------- saving

    async def save_analysis(self, owner: str, analysis: DocumentAnalysis) -> bool:
        """Replace the document's passages and signals and mark it extracted and classified,
        in one transaction. Returns False and writes nothing when the lease was lost; returns
        False and only gives the lease back when a page ranked before this one
        (:class:`EvidenceRank`) was saved meanwhile with one of its signal passages: the
        document stays pending and is classified again.

        Saving a page also sends back to the queue every higher-ranked page of the site that
        holds a signal on one of its passages: that signal belongs to this page now, and the
        other page may have another passage of the type to give."""
        now = time.time()
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT d.customer_id, d.url, d.source_kind, d.classify_lease_owner,"
                " d.kind, d.fetched_at FROM documents d WHERE d.document_id = ?",
                (analysis.document_id,),
            )
            row = await cursor.fetchone()
            if row is None or row[3] != owner:
                return False
            customer_id, url, source_kind = str(row[0]), str(row[1]), str(row[2])
            await self._one_saver_per_site(conn, customer_id)
            rank = EvidenceRank.of(
                published=analysis.published,
                url=url,
                kind=str(row[4]),
                fetched_at=float(row[5]),
                document_id=analysis.document_id,
            )
            signal_positions = {s.position for s in analysis.signals}
            signal_hashes = {p.passage_hash for p in analysis.passages if p.position in signal_positions}
            if await self._held_by_lower_rank(conn, customer_id, rank, signal_hashes):
                await conn.execute(
                    "UPDATE documents SET classify_lease_owner = NULL, classify_lease_until = NULL"
                    " WHERE document_id = ?",
                    (analysis.document_id,),
                )
                return False
            await self._requeue_higher_ranked_holders(
                conn, customer_id, rank, {p.passage_hash for p in analysis.passages}
            )
            await conn.execute("DELETE FROM signals WHERE document_id = ?", (analysis.document_id,))
            await conn.execute("DELETE FROM passages WHERE document_id = ?", (analysis.document_id,))
            passage_ids: dict[int, int] = {}
            texts: dict[int, str] = {}
            for passage in analysis.passages:
                cursor = await conn.execute(
                    "INSERT INTO passages(document_id, customer_id, position, text, passage_hash,"
                    " is_boilerplate) VALUES (?, ?, ?, ?, ?, ?) RETURNING passage_id",
                    (
                        analysis.document_id,
                        customer_id,
                        passage.position,
                        passage.text,
                        passage.passage_hash,
                        int(passage.is_boilerplate),
                    ),
                )
                inserted = await cursor.fetchone()
                passage_ids[passage.position] = int(inserted[0])
                texts[passage.position] = passage.text
            for signal in analysis.signals:
                if signal.position not in passage_ids:
                    raise ValueError(f"signal for unknown passage {signal.position}")
                await conn.execute(
                    "INSERT INTO signals(customer_id, document_id, passage_id,"
                    " signal_type, family, polarity, confidence, areas, passage, key_phrase, url,"
                    " source_kind, published, detected_at, why_now, nearest_examples, model)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    f" ON CONFLICT ({self.db.dialect.unique_keys['signals']}) DO UPDATE SET {_SIGNAL_UPDATE}",
                    (
                        customer_id,
                        analysis.document_id,
                        passage_ids[signal.position],
                        signal.signal_type,
                        signal.family,
                        signal.polarity,
                        float(signal.confidence),
                        json.dumps(signal.areas),
                        texts[signal.position],
                        signal.key_phrase,
                        url,
                        source_kind,
                        analysis.published,
                        now,
                        signal.why_now,
                        json.dumps(signal.nearest_examples, ensure_ascii=False),
                        signal.model,
                    ),
                )
            await conn.execute(
                "UPDATE documents SET title = ?, published = ?, language = ?, text = ?,"
                " extracted_at = ?, classified_at = ?, classify_lease_owner = NULL,"
                " classify_lease_until = NULL WHERE document_id = ?",
                (
                    analysis.title,
                    analysis.published,
                    analysis.language,
                    analysis.text,
                    now,
                    now,
                    analysis.document_id,
                ),
            )
        return True

    async def _one_saver_per_site(self, conn: Any, customer_id: str) -> None:
        """Saves of one customer's pages must not interleave (see save_analysis); a SQLite
        write transaction already excludes every other writer."""

    async def _held_by_lower_rank(
        self, conn: Any, customer_id: str, rank: EvidenceRank, hashes: set[str]
    ) -> bool:
        wanted = sorted(hashes)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            cursor = await conn.execute(
                "SELECT 1 FROM passages p JOIN documents d ON d.document_id = p.document_id"
                f" WHERE p.customer_id = ? AND p.passage_hash IN ({','.join('?' * len(chunk))})"
                f" AND d.document_id != ? AND {EVIDENCE_RANK_SQL} < {_RANK_PARAMS} LIMIT 1",
                (customer_id, *chunk, rank.document_id, *rank.params()),
            )
            if await cursor.fetchone() is not None:
                return True
        return False

    async def _requeue_higher_ranked_holders(
        self, conn: Any, customer_id: str, rank: EvidenceRank, hashes: set[str]
    ) -> None:
        """Send back to the queue the pages ranked after this one that hold a signal on one of
        its passages. Their passages and signals go with it, so that every page is classified
        with all of its passages or has none, and no report sees the signal twice."""
        wanted = sorted(hashes)
        holders: set[int] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            cursor = await conn.execute(
                # From the passages (a few, by hash) to their signals, not from the site's
                # signals (thousands on a big site): CROSS JOIN fixes that order in SQLite.
                "SELECT DISTINCT s.document_id FROM passages p"
                " CROSS JOIN signals s CROSS JOIN documents d"
                f" WHERE p.customer_id = ? AND p.passage_hash IN ({','.join('?' * len(chunk))})"
                " AND s.passage_id = p.passage_id AND d.document_id = s.document_id"
                f" AND d.document_id != ? AND {EVIDENCE_RANK_SQL} > {_RANK_PARAMS}",
                (customer_id, *chunk, rank.document_id, *rank.params()),
            )
            holders.update(int(r[0]) for r in await cursor.fetchall())
        ids = sorted(holders)
        for start in range(0, len(ids), _CHUNK):
            requeued = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(requeued))
            await conn.execute(f"DELETE FROM signals WHERE document_id IN ({marks})", requeued)
            await conn.execute(f"DELETE FROM passages WHERE document_id IN ({marks})", requeued)
            await conn.execute(
                f"UPDATE documents SET classified_at = NULL WHERE document_id IN ({marks})", requeued
            )

    # --------------------------------------------------------------- reading

    async def by_customer(self, customer_id: str, limit: int | None = None) -> list[Signal]:
        """A customer's signals, newest first (by publish date, then detection time)."""
        sql = (
            "SELECT * FROM signals WHERE customer_id = ?"
            " ORDER BY published IS NULL, published DESC, detected_at DESC, signal_id DESC"
        )
        params: list[Any] = [customer_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_signal(r) for r in await self.db.fetchall(sql, params)]

    async def by_document(self, document_id: int) -> list[Signal]:
        rows = await self.db.fetchall(
            "SELECT * FROM signals WHERE document_id = ? ORDER BY passage_id", (document_id,)
        )
        return [_signal(r) for r in rows]

    async def counts_by_type(self, customer_id: str | None = None) -> dict[str, int]:
        if customer_id is None:
            rows = await self.db.fetchall("SELECT signal_type, COUNT(*) FROM signals GROUP BY signal_type")
        else:
            rows = await self.db.fetchall(
                "SELECT signal_type, COUNT(*) FROM signals WHERE customer_id = ? GROUP BY signal_type",
                (customer_id,),
            )
        return {str(r[0]): int(r[1]) for r in rows}

    async def passage_count(self, document_id: int | None = None) -> int:
        if document_id is None:
            row = await self.db.fetchone("SELECT COUNT(*) FROM passages")
        else:
            row = await self.db.fetchone(
                "SELECT COUNT(*) FROM passages WHERE document_id = ?", (document_id,)
            )
        return int(row[0]) if row else 0


def _pending(row: Any) -> PendingDocument:
    raw = bytes(row["body"] or b"")
    try:
        decompressor = zlib.decompressobj()
        body = decompressor.decompress(raw, MAX_BODY_BYTES)
    except zlib.error:
        body = b""
    return PendingDocument(
        document_id=int(row["document_id"]),
        customer_id=str(row["customer_id"]),
        account_name=str(row["account_name"]),
        domain=str(row["domain"]),
        url=str(row["url"]),
        kind=str(row["kind"]),
        source_kind=str(row["source_kind"]),
        title=row["title"],
        published=row["published"],
        language=row["language"],
        content_type=row["content_type"],
        fetched_at=float(row["fetched_at"]),
        body=body,
    )


def _signal(row: Any) -> Signal:
    data = dict(row)
    data["areas"] = json.loads(data["areas"] or "[]")
    data["nearest_examples"] = json.loads(data["nearest_examples"] or "[]")
    return Signal(**data)
