-- The PostgreSQL form of storage/migrations/0016_report_workers.sql (the reasons are given there).

ALTER TABLE report_files ADD COLUMN worker TEXT COLLATE "C" NOT NULL DEFAULT '';
