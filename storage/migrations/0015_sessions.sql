-- Signed-in sessions of the UI, the UI's own secrets, and the partners a saved report may read.
-- sessions: one row per sign-in, keyed by a hash of the cookie's token (the database never
-- holds a usable cookie); signing out, or disabling or removing the user, ends it at once.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash    TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL,
    created_at    REAL NOT NULL,
    last_seen_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_name);

-- Made once, at random, the first time the UI needs one (the session cookie's signing key).
-- A viewer's scope reads the ids of their partners' customers from this index alone.
CREATE INDEX IF NOT EXISTS customers_partner ON customers(partner_id, customer_id);

CREATE TABLE IF NOT EXISTS app_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  REAL NOT NULL
);

-- The PartnerIDs the creator of a report could see when it was saved (a JSON list); NULL: all.
ALTER TABLE report_definitions ADD COLUMN partners TEXT;
