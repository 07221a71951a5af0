-- The downloads hub: report definitions (per creator) and the files built from them, one per
-- definition and month ('lifetime' for a Lifetime report built on demand), so a scheduled
-- report is built once per monthly run however often the run is repeated.
CREATE TABLE IF NOT EXISTS report_definitions (
    report_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by  TEXT NOT NULL,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    columns     TEXT NOT NULL,
    filters     TEXT NOT NULL DEFAULT '[]',
    month       TEXT NOT NULL DEFAULT '',
    format      TEXT NOT NULL,
    bom         INTEGER NOT NULL DEFAULT 0,
    scheduled   INTEGER NOT NULL DEFAULT 0,
    crm_column  TEXT NOT NULL DEFAULT '',
    crm_ids     TEXT NOT NULL DEFAULT '{}',
    created_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS report_definitions_creator ON report_definitions(created_by, report_id);

CREATE TABLE IF NOT EXISTS report_files (
    file_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id    INTEGER NOT NULL REFERENCES report_definitions(report_id) ON DELETE CASCADE,
    month        TEXT NOT NULL,
    status       TEXT NOT NULL,
    row_count    INTEGER NOT NULL DEFAULT 0,
    byte_size    INTEGER NOT NULL DEFAULT 0,
    path         TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    created_at   REAL NOT NULL,
    finished_at  REAL,
    UNIQUE (report_id, month)
);
