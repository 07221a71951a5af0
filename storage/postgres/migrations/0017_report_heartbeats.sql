-- The PostgreSQL form of storage/migrations/0017_report_heartbeats.sql (the reasons are given there).

ALTER TABLE report_files ADD COLUMN heartbeat_at DOUBLE PRECISION;
