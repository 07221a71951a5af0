-- Monthly scores are replaced and read a whole month at a time.
CREATE INDEX IF NOT EXISTS intent_scores_month ON intent_scores(month);
CREATE INDEX IF NOT EXISTS customer_month_month ON customer_month(month);
CREATE INDEX IF NOT EXISTS fit_scores_quarter ON fit_scores(quarter, area);
CREATE INDEX IF NOT EXISTS outcomes_created ON outcomes(created_date);
-- Each Yes/No flag's evidence (products, technologies) kept beside the flags themselves.
ALTER TABLE customer_month ADD COLUMN flag_evidence TEXT NOT NULL DEFAULT '{}';
