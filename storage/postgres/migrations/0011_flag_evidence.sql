-- customer_month.flag_evidence for databases whose 0005 predates the column (0005 adds it
-- today). The SQLite form is storage/migrations/0011_flag_evidence.sql.
ALTER TABLE customer_month ADD COLUMN IF NOT EXISTS flag_evidence TEXT COLLATE "C" NOT NULL DEFAULT '{}';
