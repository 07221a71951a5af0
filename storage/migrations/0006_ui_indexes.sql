-- Indexes behind the analyst web UI's read queries (storage/views.py), so every page stays fast
-- at 100,000 customers: the customer list sorted by intent, fit or potential revenue within one
-- month and area (optionally one cell or cluster), the matrix counts, the signal feed, and the
-- distinct values offered in the list's filters.

-- The list walks one of these in sort order; cell and cluster ride along so that a cell or
-- cluster filter is checked inside the index (and counted from it) without reading rows.
-- Only two indexes on propensity: the monthly run rewrites every row of a month.
CREATE INDEX IF NOT EXISTS propensity_ui_intent ON propensity(month, area, intent, customer_id, cell, cluster);
CREATE INDEX IF NOT EXISTS propensity_ui_fit ON propensity(month, area, fit, customer_id, cell, cluster);

-- Potential revenue is stored per area as JSON ({"Azure": 1234.0, ...}); one expression index
-- (tolerant of malformed JSON, so it can never make a write fail)
-- per solution area (covering customer_id) lets the list sort and page by it without decoding
-- or even reading the rows.
CREATE INDEX IF NOT EXISTS customer_month_rev_azure ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.Azure') END, customer_id);
CREATE INDEX IF NOT EXISTS customer_month_rev_m365 ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.M365') END, customer_id);
CREATE INDEX IF NOT EXISTS customer_month_rev_security ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.Security') END, customer_id);
CREATE INDEX IF NOT EXISTS customer_month_rev_surface ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.Surface') END, customer_id);
CREATE INDEX IF NOT EXISTS customer_month_rev_d365bc ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.D365BC') END, customer_id);
CREATE INDEX IF NOT EXISTS customer_month_rev_d365sp ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.D365SP') END, customer_id);
CREATE INDEX IF NOT EXISTS customer_month_rev_powerapps ON customer_month(month, CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.PowerApps') END, customer_id);

-- Cohort and flag filters read the JSON lists from this covering index, not the wide rows.
CREATE INDEX IF NOT EXISTS customer_month_ui_labels ON customer_month(month, customer_id, cohorts, flags);

-- Sub-segment, industry and country filters, in any combination, are answered inside one of
-- these indexes (each holds all three and the customer id) without reading customer rows.
CREATE INDEX IF NOT EXISTS customers_ui_sub_segment ON customers(sub_segment, country, industry, customer_id);
CREATE INDEX IF NOT EXISTS customers_ui_industry ON customers(industry, sub_segment, country, customer_id);
CREATE INDEX IF NOT EXISTS customers_ui_country ON customers(country, industry, sub_segment, customer_id);
-- The name/domain search scans this narrow covering index instead of the customer rows.
CREATE INDEX IF NOT EXISTS customers_ui_search ON customers(account_name, domain, customer_id);

CREATE INDEX IF NOT EXISTS signals_ui_published ON signals(published, signal_id);
CREATE INDEX IF NOT EXISTS signals_ui_type_published ON signals(signal_type, published, signal_id);
