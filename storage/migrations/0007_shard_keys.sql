-- Shard-friendly keys: every key of a customer-owned table includes customer_id, so a
-- distributed PostgreSQL (Citus) can distribute those tables by it. PostgreSQL runs its own
-- form of this migration (storage/postgres/migrations/0007_shard_keys.sql), which rebuilds the
-- primary keys as (id, customer_id). Here, on SQLite (one file, never sharded), the rowid
-- tables keep INTEGER PRIMARY KEY: a composite key would end the rowid alias and an extra
-- unique index would cost every insert for nothing. Only the keys the shared upsert SQL
-- names as its conflict target are added, so one statement runs on both backends.
CREATE UNIQUE INDEX IF NOT EXISTS agreements_key ON agreements(agreement_id, customer_id);
CREATE UNIQUE INDEX IF NOT EXISTS outcomes_key ON outcomes(opportunity_id, customer_id);
-- Reclassifying a document deletes its signals by document: without this, a full scan.
CREATE INDEX IF NOT EXISTS signals_document ON signals(document_id);
