-- What the crawler learned about each host, kept across passes (docs/crawler.md):
-- the scheme that answers there ('https', or 'http' when HTTPS cannot connect, handshake or
-- verify), why HTTPS was given up, and when that was last tried; and the host's page budget
-- per pass, which grows while the host yields new documents and shrinks while it answers
-- 404s, duplicates and listings.
ALTER TABLE hosts ADD COLUMN scheme TEXT;
ALTER TABLE hosts ADD COLUMN scheme_reason TEXT;
ALTER TABLE hosts ADD COLUMN scheme_checked_at REAL;
ALTER TABLE hosts ADD COLUMN page_budget REAL;
