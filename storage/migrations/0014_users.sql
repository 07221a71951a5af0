-- People who may use the UI, and the audit trail of every change to them (and, later, of every
-- sign-in and refused access). partners: the PartnerIDs a viewer may see, as a JSON list.
-- failed_signins and locked_until serve the sign-in page's lock-out.
CREATE TABLE IF NOT EXISTS users (
    user_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'global_viewer', 'executive', 'admin')),
    partners        TEXT NOT NULL DEFAULT '[]',
    password_hash   TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    failed_signins  INTEGER NOT NULL DEFAULT 0,
    locked_until    REAL
);

-- Append-only: nothing in ascent updates or deletes an audit row.
CREATE TABLE IF NOT EXISTS audit (
    audit_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    at        REAL NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at, audit_id);
