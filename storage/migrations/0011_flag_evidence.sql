-- customer_month.flag_evidence for databases whose 0005 predates the column (0005 adds it
-- today). SQLite has no ADD COLUMN IF NOT EXISTS: the migration runner skips an ADD COLUMN
-- whose column is already there. The PostgreSQL form is
-- storage/postgres/migrations/0011_flag_evidence.sql.
ALTER TABLE customer_month ADD COLUMN flag_evidence TEXT NOT NULL DEFAULT '{}';
