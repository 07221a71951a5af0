"""The PostgreSQL schema is shard-friendly: every key of a customer-owned table includes
``customer_id``, so a distributed PostgreSQL (Citus) can distribute those tables by it; and a
database created before migration 0007 upgrades with its rows intact."""

from __future__ import annotations

from typing import Any

import pytest

from storage.customers import Customer
from storage.documents import NewDocument
from storage.frontier import NewSource
from storage.postgres import db as pg_db
from storage.signals import DocumentAnalysis, NewPassage, NewSignal
from storage.store import Store, open_store

pytestmark = [pytest.mark.postgres]

# Shared by every customer by design (reference tables in Citus terms); see docs/postgres.md.
SHARED_TABLES = {
    "hosts",
    "embeddings",
    "fit_models",
    "runs",
    "jobs",
    "schema_migrations",
    "report_definitions",  # the downloads hub's reports belong to users, not customers
    "report_files",
    "users",  # people and their audit trail belong to the organisation, not to a customer
    "audit",
    "sessions",  # the UI's sign-ins and its signing key belong to the organisation too
    "app_secrets",
}
# Carries customer_id but is a log, not customer data: robots.txt fetches belong to no customer.
LOG_TABLES = {"fetch_log"}


async def _rows(store: Store, sql: str) -> list[Any]:
    return list(await store.db.fetchall(sql))


async def _customer_tables(store: Store) -> tuple[set[str], set[str]]:
    """(tables with a customer_id column, every table) of the current schema."""
    rows = await _rows(
        store,
        "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
        " AND a.attname = 'customer_id' AND NOT a.attisdropped)"
        " FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'",
    )
    return {str(r[0]) for r in rows if r[1]}, {str(r[0]) for r in rows}


async def test_every_key_of_a_customer_owned_table_includes_customer_id(pg_url: str) -> None:
    store = await open_store(pg_url)
    async with store:
        owned, tables = await _customer_tables(store)
        owned -= LOG_TABLES
        # A new table either carries customer_id or is deliberately shared.
        assert tables - owned - LOG_TABLES == SHARED_TABLES
        assert {"customers", "agreements", "outcomes", "sources", "documents", "passages", "signals"} <= owned

        # Every unique index (primary keys and UNIQUE constraints included) on an owned table.
        indexes = await _rows(
            store,
            "SELECT t.relname, i.relname, x.indisprimary,"
            " ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.oid"
            "  AND a.attnum = ANY(x.indkey)) FROM pg_index x"
            " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE t.relnamespace = current_schema()::regnamespace AND x.indisunique",
        )
        unique = [(str(r[0]), str(r[1]), bool(r[2]), list(r[3])) for r in indexes if r[0] in owned]
        assert {table for table, _, primary, _ in unique if primary} == owned  # each has a key
        assert [u for u in unique if "customer_id" not in u[3]] == []

        # Foreign keys between owned tables carry customer_id on both sides.
        foreign = await _rows(
            store,
            "SELECT conrelid::regclass::text, confrelid::regclass::text, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND contype = 'f'",
        )
        assert foreign
        assert [f for f in foreign if f[1] in owned and "customer_id" not in str(f[2])] == []

        not_null = await _rows(
            store,
            "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND column_name = 'customer_id' AND is_nullable = 'YES'",
        )
        assert {str(r[0]) for r in not_null} <= LOG_TABLES


def _customer(cid: str) -> Customer:
    return Customer(
        cid, cid, f"{cid.lower()}.example", 10, "", "", "", "", "", "US", False, 0.0, "", "", "SMB"
    )


async def _one_classified_document(store: Store) -> int:
    """A customer with a source, a document, a passage and a signal, written with plain SQL
    (the repositories' upserts already name the keys of migration 0007)."""
    await store.customers.upsert_all([_customer("C1")])
    await store.frontier.add_sources([NewSource("C1", "https://c1.example/", "c1.example", "homepage")])
    [source] = await store.frontier.by_customer("C1")
    await store.documents.store(
        [NewDocument("C1", source.url, "page", 1.0, "h1", b"<p>hi</p>", source_id=source.source_id)]
    )
    [document] = await store.documents.by_customer("C1")
    async with store.db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO passages(document_id, customer_id, position, text, passage_hash)"
            " VALUES (?, 'C1', 0, 'hi', 'p0') RETURNING passage_id",
            (document.document_id,),
        )
        [passage_id] = await cursor.fetchone()
        await conn.execute(
            "INSERT INTO signals(customer_id, document_id, passage_id, signal_type, family,"
            " confidence, passage, url, source_kind, detected_at)"
            " VALUES ('C1', ?, ?, 'cloud_migration', 'tech', 0.9, 'hi', ?, 'page', 1.0)",
            (document.document_id, passage_id, source.url),
        )
    return document.document_id


async def test_a_database_from_before_0007_upgrades_with_its_rows(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = pg_db.postgres_migration_scripts()
    assert every[-1][0] >= 7
    monkeypatch.setattr(pg_db, "postgres_migration_scripts", lambda: [m for m in every if m[0] < 7])
    store = await open_store(pg_url)
    async with store:
        document_id = await _one_classified_document(store)
    monkeypatch.undo()

    store = await open_store(pg_url)
    async with store:
        assert await store.db.integrity_check() == "ok"
        [signal] = await store.signals.by_customer("C1")
        assert signal.document_id == document_id and signal.passage == "hi"
        # The repositories' upserts find the new keys.
        [pending] = await store.signals.lease_pending("w", 1, 60.0)
        analysis = DocumentAnalysis(
            document_id,
            "t",
            None,
            "en",
            "hi again",
            [NewPassage(0, "hi again", "p1")],
            [NewSignal(0, "cloud_migration", "tech", 1, 0.8, ["Azure"], "cloud", "now", [], "m")],
        )
        assert pending.document_id == document_id and await store.signals.save_analysis("w", analysis)
        assert [s.passage for s in await store.signals.by_customer("C1")] == ["hi again"]
        primary = await store.db.fetchone(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'signals_pkey'"
            " AND connamespace = current_schema()::regnamespace"
        )
        assert primary is not None and primary[0] == "PRIMARY KEY (signal_id, customer_id)"
        # The rebuilt foreign keys still cascade: a customer's removal takes everything along.
        await store.db.execute("DELETE FROM customers WHERE customer_id = 'C1'")
        for table in ("sources", "documents", "passages", "signals"):
            row = await store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
            assert row is not None and row[0] == 0, table
