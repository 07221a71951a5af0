"""Documents: one row per content version of a fetched page or feed entry.

A version is keyed by (customer, URL, content hash): storing the same content again is a
no-op, so a crawl that is killed and restarted never duplicates a document. The raw body is
kept zlib-compressed so text can be re-extracted without fetching again.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.protocols import SqlDatabase

_SIGNED_LIMIT = 1 << 63


def to_signed64(value: int) -> int:
    """SQLite integers are signed 64-bit; a 64-bit simhash is stored in two's complement."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= _SIGNED_LIMIT else value


def to_unsigned64(value: int) -> int:
    return value & ((1 << 64) - 1)


@dataclass(frozen=True)
class NewDocument:
    customer_id: str
    url: str
    kind: str
    fetched_at: float
    content_hash: str
    body: bytes
    source_id: int | None = None
    canonical_url: str | None = None
    source_kind: str = "page"
    title: str | None = None
    published: str | None = None
    language: str | None = None
    simhash: int | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class DocumentSummary:
    document_id: int
    customer_id: str
    source_id: int | None
    url: str
    kind: str
    source_kind: str
    title: str | None
    published: str | None
    fetched_at: float
    content_hash: str


@dataclass(frozen=True)
class Document:
    document_id: int
    customer_id: str
    source_id: int | None
    url: str
    canonical_url: str | None
    kind: str
    source_kind: str
    title: str | None
    published: str | None
    language: str | None
    fetched_at: float
    content_hash: str
    simhash: int | None
    content_type: str | None
    body: bytes
    text: str | None


class DocumentRepository(Protocol):
    async def store(self, documents: Sequence[NewDocument]) -> int: ...
    async def known_hashes(self, customer_id: str, urls: Sequence[str]) -> set[tuple[str, str]]: ...
    async def page_simhashes(self, customer_id: str) -> list[tuple[str, int]]: ...
    async def by_customer(self, customer_id: str) -> list[DocumentSummary]: ...
    async def get(self, document_id: int) -> Document | None: ...
    async def count(self, customer_id: str | None = None) -> int: ...
    async def fingerprints(self) -> list[tuple[str, str, str]]: ...


_SUMMARY_COLUMNS = (
    "document_id, customer_id, source_id, url, kind, source_kind, title, published, fetched_at, content_hash"
)


class SqliteDocumentRepository:
    def __init__(self, db: SqlDatabase):
        self.db = db

    async def store(self, documents: Sequence[NewDocument]) -> int:
        """Store new content versions in one transaction; returns how many were new."""
        if not documents:
            return 0
        rows = [
            (
                doc.customer_id,
                doc.source_id,
                doc.url,
                doc.canonical_url,
                doc.kind,
                doc.source_kind,
                doc.title,
                doc.published,
                doc.language,
                doc.fetched_at,
                doc.content_hash,
                None if doc.simhash is None else to_signed64(doc.simhash),
                doc.content_type,
                zlib.compress(doc.body, 6),
            )
            for doc in documents
        ]
        async with self.db.transaction() as conn:
            cursor = await conn.executemany(
                "INSERT INTO documents(customer_id, source_id, url, canonical_url,"
                " kind, source_kind, title, published, language, fetched_at, content_hash,"
                " simhash, content_type, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                rows,
            )
            return max(cursor.rowcount, 0)

    async def known_hashes(self, customer_id: str, urls: Sequence[str]) -> set[tuple[str, str]]:
        """(url, content_hash) pairs already stored for these URLs of a customer."""
        wanted = list(dict.fromkeys(urls))
        found: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self.db.fetchall(
                "SELECT url, content_hash FROM documents WHERE customer_id = ?"
                f" AND url IN ({','.join('?' * len(chunk))})",
                (customer_id, *chunk),
            )
            found.update((str(r[0]), str(r[1])) for r in rows)
        return found

    async def page_simhashes(self, customer_id: str) -> list[tuple[str, int]]:
        """(url, simhash) of a customer's stored pages, for near-duplicate detection."""
        rows = await self.db.fetchall(
            "SELECT url, simhash FROM documents WHERE customer_id = ? AND kind = 'page'"
            " AND simhash IS NOT NULL",
            (customer_id,),
        )
        return [(str(r[0]), to_unsigned64(int(r[1]))) for r in rows]

    async def by_customer(self, customer_id: str) -> list[DocumentSummary]:
        """Every stored version of a customer's documents, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_SUMMARY_COLUMNS} FROM documents WHERE customer_id = ? ORDER BY document_id",
            (customer_id,),
        )
        return [DocumentSummary(**dict(r)) for r in rows]

    async def get(self, document_id: int) -> Document | None:
        row = await self.db.fetchone(
            "SELECT document_id, customer_id, source_id, url, canonical_url, kind, source_kind,"
            " title, published, language, fetched_at, content_hash, simhash, content_type, body,"
            " text FROM documents WHERE document_id = ?",
            (document_id,),
        )
        return _document(row) if row else None

    async def count(self, customer_id: str | None = None) -> int:
        if customer_id is None:
            row = await self.db.fetchone("SELECT COUNT(*) FROM documents")
        else:
            row = await self.db.fetchone(
                "SELECT COUNT(*) FROM documents WHERE customer_id = ?", (customer_id,)
            )
        return int(row[0]) if row else 0

    async def fingerprints(self) -> list[tuple[str, str, str]]:
        """(customer_id, url, content_hash) of every stored version, sorted; compares crawls."""
        rows = await self.db.fetchall(
            "SELECT customer_id, url, content_hash FROM documents ORDER BY customer_id, url, content_hash"
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _document(row: Any) -> Document:
    data = dict(row)
    body = data["body"]
    data["body"] = zlib.decompress(body) if body else b""
    if data["simhash"] is not None:
        data["simhash"] = to_unsigned64(int(data["simhash"]))
    return Document(**data)
