-- Shard-friendly keys on PostgreSQL: every primary key, unique key and foreign key between
-- customer-owned tables includes customer_id, so Citus can distribute them by it (it accepts
-- only keys that contain the distribution column). Each table's own id comes first in its
-- key, so a lookup by id alone (WHERE source_id = ?) still uses the key's index.
-- The SQLite form of this migration is storage/migrations/0007_shard_keys.sql.

-- Foreign keys point at the primary keys being replaced: drop them first, re-add them below.
ALTER TABLE documents DROP CONSTRAINT documents_source_id_fkey;
ALTER TABLE passages DROP CONSTRAINT passages_document_id_fkey;
ALTER TABLE signals DROP CONSTRAINT signals_document_id_fkey, DROP CONSTRAINT signals_passage_id_fkey;

ALTER TABLE agreements DROP CONSTRAINT agreements_pkey, ADD PRIMARY KEY (agreement_id, customer_id);
ALTER TABLE outcomes DROP CONSTRAINT outcomes_pkey, ADD PRIMARY KEY (opportunity_id, customer_id);
ALTER TABLE sources DROP CONSTRAINT sources_pkey, ADD PRIMARY KEY (source_id, customer_id);
ALTER TABLE documents DROP CONSTRAINT documents_pkey, ADD PRIMARY KEY (document_id, customer_id);
ALTER TABLE passages DROP CONSTRAINT passages_pkey, ADD PRIMARY KEY (passage_id, customer_id),
    DROP CONSTRAINT passages_document_id_position_key, ADD UNIQUE (document_id, position, customer_id);
ALTER TABLE signals DROP CONSTRAINT signals_pkey, ADD PRIMARY KEY (signal_id, customer_id),
    DROP CONSTRAINT signals_passage_id_signal_type_key, ADD UNIQUE (passage_id, signal_type, customer_id);

-- A document outlives its source (the source's id alone is cleared, never its customer).
ALTER TABLE documents ADD FOREIGN KEY (source_id, customer_id)
    REFERENCES sources(source_id, customer_id) ON DELETE SET NULL (source_id);
ALTER TABLE passages ADD FOREIGN KEY (document_id, customer_id)
    REFERENCES documents(document_id, customer_id) ON DELETE CASCADE;
ALTER TABLE signals ADD FOREIGN KEY (document_id, customer_id)
    REFERENCES documents(document_id, customer_id) ON DELETE CASCADE;
ALTER TABLE signals ADD FOREIGN KEY (passage_id, customer_id)
    REFERENCES passages(passage_id, customer_id) ON DELETE CASCADE;

-- Reclassifying a document deletes its signals by document (and a deleted document cascades
-- to them): without this, a full scan.
CREATE INDEX IF NOT EXISTS signals_document ON signals(document_id);
