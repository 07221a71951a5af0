-- The PostgreSQL form of storage/migrations/0006_ui_indexes.sql (the reasons are given there): INTEGER is
-- BIGINT, REAL DOUBLE PRECISION, TEXT compares bytewise (COLLATE "C", SQLite's order).

CREATE INDEX IF NOT EXISTS propensity_ui_intent ON propensity(month, area, intent, customer_id, cell, cluster);

CREATE INDEX IF NOT EXISTS propensity_ui_fit ON propensity(month, area, fit, customer_id, cell, cluster);

CREATE INDEX IF NOT EXISTS customer_month_rev_azure ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.Azure') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_rev_m365 ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.M365') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_rev_security ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.Security') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_rev_surface ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.Surface') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_rev_d365bc ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.D365BC') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_rev_d365sp ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.D365SP') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_rev_powerapps ON customer_month(month, (CASE WHEN json_valid(potential_revenue) THEN json_extract(potential_revenue, '$.PowerApps') END), customer_id);

CREATE INDEX IF NOT EXISTS customer_month_ui_labels ON customer_month(month, customer_id, cohorts, flags);

CREATE INDEX IF NOT EXISTS customers_ui_sub_segment ON customers(sub_segment, country, industry, customer_id);

CREATE INDEX IF NOT EXISTS customers_ui_industry ON customers(industry, sub_segment, country, customer_id);

CREATE INDEX IF NOT EXISTS customers_ui_country ON customers(country, industry, sub_segment, customer_id);

CREATE INDEX IF NOT EXISTS customers_ui_search ON customers(account_name, domain, customer_id);

CREATE INDEX IF NOT EXISTS signals_ui_published ON signals(published, signal_id);

CREATE INDEX IF NOT EXISTS signals_ui_type_published ON signals(signal_type, published, signal_id);
