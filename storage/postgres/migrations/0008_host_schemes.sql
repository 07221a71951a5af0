-- The PostgreSQL form of storage/migrations/0008_host_schemes.sql (the reasons are given there): INTEGER is
-- BIGINT, REAL DOUBLE PRECISION, TEXT compares bytewise (COLLATE "C", SQLite's order).

ALTER TABLE hosts ADD COLUMN scheme TEXT COLLATE "C";

ALTER TABLE hosts ADD COLUMN scheme_reason TEXT COLLATE "C";

ALTER TABLE hosts ADD COLUMN scheme_checked_at DOUBLE PRECISION;

ALTER TABLE hosts ADD COLUMN page_budget DOUBLE PRECISION;
