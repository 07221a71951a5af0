-- Sessions, the UI's secrets and a report's partners (see storage/migrations/0015_sessions.sql):
-- the same tables with PostgreSQL's types.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash    TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL,
    created_at    DOUBLE PRECISION NOT NULL,
    last_seen_at  DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_name);

-- A viewer's scope reads the ids of their partners' customers from this index alone.
CREATE INDEX IF NOT EXISTS customers_partner ON customers(partner_id, customer_id);

CREATE TABLE IF NOT EXISTS app_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL
);

ALTER TABLE report_definitions ADD COLUMN IF NOT EXISTS partners TEXT;
