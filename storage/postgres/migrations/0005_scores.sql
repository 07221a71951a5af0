-- The PostgreSQL form of storage/migrations/0005_scores.sql (the reasons are given there): INTEGER is
-- BIGINT, REAL DOUBLE PRECISION, TEXT compares bytewise (COLLATE "C", SQLite's order).

CREATE INDEX IF NOT EXISTS intent_scores_month ON intent_scores(month);

CREATE INDEX IF NOT EXISTS customer_month_month ON customer_month(month);

CREATE INDEX IF NOT EXISTS fit_scores_quarter ON fit_scores(quarter, area);

CREATE INDEX IF NOT EXISTS outcomes_created ON outcomes(created_date);

ALTER TABLE customer_month ADD COLUMN flag_evidence TEXT COLLATE "C" NOT NULL DEFAULT '{}';
