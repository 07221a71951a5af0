-- ascent schema, version 1.
-- Conventions: instants are REAL unix seconds (columns ending in _at); calendar values are
-- ISO-8601 TEXT ('YYYY-MM-DD', 'YYYY-MM', 'YYYY-MM-DDTHH:MM:SSZ'); JSON columns are TEXT.
-- Every customer-owned table carries customer_id so a distributed database can shard by it.

CREATE TABLE customers (
    customer_id            TEXT PRIMARY KEY,
    account_name           TEXT NOT NULL,
    domain                 TEXT NOT NULL,
    org_size               INTEGER NOT NULL,
    industry               TEXT NOT NULL DEFAULT '',
    vertical               TEXT NOT NULL DEFAULT '',
    city                   TEXT NOT NULL DEFAULT '',
    state                  TEXT NOT NULL DEFAULT '',
    postal_code            TEXT NOT NULL DEFAULT '',
    country                TEXT NOT NULL DEFAULT '',
    is_nonprofit           INTEGER NOT NULL DEFAULT 0,
    azure_monthly_revenue  REAL NOT NULL DEFAULT 0,
    partner_id             TEXT NOT NULL DEFAULT '',
    partner_name           TEXT NOT NULL DEFAULT '',
    sub_segment            TEXT NOT NULL
);
CREATE INDEX customers_domain ON customers(domain);

CREATE TABLE products (
    customer_id    TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    product        TEXT NOT NULL,
    quantity       INTEGER NOT NULL,
    purchase_date  TEXT,
    status         TEXT NOT NULL CHECK (status IN ('active', 'expired')),
    PRIMARY KEY (customer_id, product)
);

CREATE TABLE agreements (
    agreement_id           TEXT PRIMARY KEY,
    customer_id            TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    license_program        TEXT NOT NULL DEFAULT '',
    agreement_end_date     TEXT NOT NULL,
    rev_sum_division_name  TEXT NOT NULL DEFAULT '',
    expiring_revenue       REAL NOT NULL DEFAULT 0
);
CREATE INDEX agreements_customer ON agreements(customer_id);

CREATE TABLE fit_scores (
    customer_id  TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    area         TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    score        REAL NOT NULL CHECK (score >= 0 AND score <= 100),
    method       TEXT NOT NULL DEFAULT 'imported',   -- imported | lookalike | rule
    explanation  TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (customer_id, area, quarter)
);

CREATE TABLE fit_models (
    area           TEXT NOT NULL,
    quarter        TEXT NOT NULL,
    method         TEXT NOT NULL,
    model_version  TEXT NOT NULL,
    positives      INTEGER NOT NULL DEFAULT 0,
    details        TEXT NOT NULL DEFAULT '{}',
    created_at     REAL NOT NULL,
    PRIMARY KEY (area, quarter)
);

CREATE TABLE outcomes (
    opportunity_id  TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    area            TEXT NOT NULL,
    created_date    TEXT NOT NULL,
    closed_date     TEXT,
    outcome         TEXT NOT NULL CHECK (outcome IN ('won', 'lost', 'open')),
    revenue         REAL NOT NULL DEFAULT 0
);
CREATE INDEX outcomes_customer ON outcomes(customer_id);

-- Politeness state shared by every crawler worker: a host is leased to one worker at a time.
CREATE TABLE hosts (
    host              TEXT PRIMARY KEY,
    lease_owner       TEXT,
    lease_until       REAL,
    next_allowed_at   REAL NOT NULL DEFAULT 0,
    crawl_delay       REAL,
    backoff_until     REAL NOT NULL DEFAULT 0,
    error_count       INTEGER NOT NULL DEFAULT 0,
    robots_status     INTEGER,
    robots_body       BLOB,
    robots_fetched_at REAL
);

-- The frontier: every source a customer has, with its next-due time and lease.
CREATE TABLE sources (
    source_id           INTEGER PRIMARY KEY,
    customer_id         TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    url                 TEXT NOT NULL,
    host                TEXT NOT NULL,
    kind                TEXT NOT NULL,      -- homepage|blog|newsroom|careers|feed|sitemap|forum|social|page
    discovered_from     TEXT,
    status              TEXT NOT NULL DEFAULT 'active',   -- active|gone|blocked|error
    next_due_at         REAL NOT NULL DEFAULT 0,
    revisit_interval_s  REAL NOT NULL DEFAULT 86400,
    etag                TEXT,
    last_modified       TEXT,
    content_hash        TEXT,
    last_fetched_at     REAL,
    last_status         INTEGER,
    last_error          TEXT,
    failure_count       INTEGER NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    lease_until         REAL,
    created_at          REAL NOT NULL,
    UNIQUE (customer_id, url)
);
CREATE INDEX sources_due ON sources(status, next_due_at);
CREATE INDEX sources_host ON sources(host);

CREATE TABLE fetch_log (
    fetch_id      INTEGER PRIMARY KEY,
    customer_id   TEXT,
    source_id     INTEGER,
    url           TEXT NOT NULL,
    host          TEXT NOT NULL,
    started_at    REAL NOT NULL,
    duration_ms   REAL NOT NULL,
    status        INTEGER,
    bytes         INTEGER NOT NULL DEFAULT 0,
    error_class   TEXT,
    error_detail  TEXT,
    worker        TEXT
);
CREATE INDEX fetch_log_started ON fetch_log(started_at);

-- One row per content version of a page or feed entry; unchanged content is never re-stored.
CREATE TABLE documents (
    document_id           INTEGER PRIMARY KEY,
    customer_id           TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    source_id             INTEGER REFERENCES sources(source_id) ON DELETE SET NULL,
    url                   TEXT NOT NULL,
    canonical_url         TEXT,
    kind                  TEXT NOT NULL,     -- page | feed_entry
    source_kind           TEXT NOT NULL DEFAULT 'page',
    title                 TEXT,
    published             TEXT,
    language              TEXT,
    fetched_at            REAL NOT NULL,
    content_hash          TEXT NOT NULL,
    simhash               INTEGER,
    content_type          TEXT,
    body                  BLOB,              -- zlib-compressed raw bytes
    text                  TEXT,              -- extracted main text (filled by signals)
    extracted_at          REAL,
    classified_at         REAL,
    classify_lease_owner  TEXT,
    classify_lease_until  REAL,
    UNIQUE (customer_id, url, content_hash)
);
CREATE INDEX documents_unclassified ON documents(classified_at);
CREATE INDEX documents_customer ON documents(customer_id);

CREATE TABLE passages (
    passage_id      INTEGER PRIMARY KEY,
    document_id     INTEGER NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    customer_id     TEXT NOT NULL,
    position        INTEGER NOT NULL,
    text            TEXT NOT NULL,
    passage_hash    TEXT NOT NULL,
    is_boilerplate  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (document_id, position)
);
CREATE INDEX passages_hash ON passages(passage_hash);

-- Embedding cache: unchanged text is never embedded twice.
CREATE TABLE embeddings (
    passage_hash  TEXT NOT NULL,
    model         TEXT NOT NULL,
    dim           INTEGER NOT NULL,
    vector        BLOB NOT NULL,     -- float32 little-endian
    PRIMARY KEY (passage_hash, model)
);

CREATE TABLE signals (
    signal_id          INTEGER PRIMARY KEY,
    customer_id        TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    document_id        INTEGER NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    passage_id         INTEGER NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    signal_type        TEXT NOT NULL,
    family             TEXT NOT NULL,
    polarity           INTEGER NOT NULL DEFAULT 1,
    confidence         REAL NOT NULL,
    areas              TEXT NOT NULL DEFAULT '[]',
    passage            TEXT NOT NULL,
    key_phrase         TEXT NOT NULL DEFAULT '',
    url                TEXT NOT NULL,
    source_kind        TEXT NOT NULL,
    published          TEXT,
    detected_at        REAL NOT NULL,
    why_now            TEXT NOT NULL DEFAULT '',
    nearest_examples   TEXT NOT NULL DEFAULT '[]',
    model              TEXT NOT NULL DEFAULT '',
    UNIQUE (passage_id, signal_type)
);
CREATE INDEX signals_customer ON signals(customer_id, published);
CREATE INDEX signals_type ON signals(signal_type);

CREATE TABLE technologies (
    customer_id    TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    technology     TEXT NOT NULL,
    category       TEXT NOT NULL DEFAULT '',
    method         TEXT NOT NULL,      -- dns_mx | dns_txt | dns_ns | dns_cname | http_header | html_script | html_meta ...
    evidence       TEXT NOT NULL,
    first_seen_at  REAL NOT NULL,
    last_seen_at   REAL NOT NULL,
    PRIMARY KEY (customer_id, technology, method, evidence)
);

CREATE TABLE runs (
    run_id       INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,      -- import|crawl|classify|monthly|fit|export|technographics
    key          TEXT NOT NULL DEFAULT '',   -- e.g. the month '2026-11' of a monthly run
    status       TEXT NOT NULL DEFAULT 'running',   -- running|ok|failed
    started_at   REAL NOT NULL,
    finished_at  REAL,
    inputs       TEXT NOT NULL DEFAULT '{}',
    summary      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_kind ON runs(kind, key);

CREATE TABLE intent_scores (
    customer_id    TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    area           TEXT NOT NULL,
    month          TEXT NOT NULL,
    score          REAL NOT NULL,
    band           TEXT NOT NULL,
    raw            REAL NOT NULL DEFAULT 0,
    surge          REAL NOT NULL DEFAULT 0,
    breadth        INTEGER NOT NULL DEFAULT 0,
    contributions  TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (customer_id, area, month)
);

CREATE TABLE propensity (
    customer_id  TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    area         TEXT NOT NULL,
    month        TEXT NOT NULL,
    fit          REAL NOT NULL,
    fit_band     TEXT NOT NULL,
    intent       REAL NOT NULL,
    intent_band  TEXT NOT NULL,
    cell         TEXT NOT NULL,
    cluster      TEXT NOT NULL,
    PRIMARY KEY (customer_id, area, month)
);
CREATE INDEX propensity_month_area ON propensity(month, area, cell);

-- Per customer and month: Yes/No flags, cohorts and whitespace revenue, as computed by the run.
CREATE TABLE customer_month (
    customer_id        TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    month              TEXT NOT NULL,
    flags              TEXT NOT NULL DEFAULT '{}',
    cohorts            TEXT NOT NULL DEFAULT '[]',
    potential_revenue  TEXT NOT NULL DEFAULT '{}',
    top_signals        TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (customer_id, month)
);

-- The daemon's memory of each scheduled job, so missed runs are caught up after a restart.
CREATE TABLE jobs (
    name             TEXT PRIMARY KEY,
    last_started_at  REAL,
    last_success_at  REAL,
    last_error       TEXT,
    last_error_at    REAL,
    runs             INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0
);
