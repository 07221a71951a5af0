-- The PostgreSQL form of storage/migrations/0010_run_owner.sql (the reasons are given there): INTEGER is
-- BIGINT, REAL DOUBLE PRECISION, TEXT compares bytewise (COLLATE "C", SQLite's order).

ALTER TABLE runs ADD COLUMN owner TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX IF NOT EXISTS runs_running ON runs(status) WHERE status = 'running';
