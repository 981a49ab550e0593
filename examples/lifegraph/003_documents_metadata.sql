-- migrate:revision 003
-- migrate:down_revision 002
-- migrate:message documents: nine metadata columns, hash, owner and date indexes
-- migrate:upgrade
ALTER TABLE documents
    ADD COLUMN owner_id      uuid        REFERENCES parties (id) ON DELETE SET NULL,
    ADD COLUMN commitment_id uuid        REFERENCES commitments (id) ON DELETE SET NULL,
    ADD COLUMN kind          text        NOT NULL DEFAULT 'note'
        CHECK (kind IN ('note', 'contract', 'invoice', 'receipt', 'letter', 'id', 'photo', 'other')),
    ADD COLUMN mime_type     text,
    ADD COLUMN byte_size     bigint      CHECK (byte_size >= 0),
    ADD COLUMN sha256        text        CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN storage_uri   text,
    ADD COLUMN issued_on     date,
    ADD COLUMN archived_at   timestamptz;

-- the same bytes are stored once
CREATE UNIQUE INDEX documents_sha256_idx ON documents (sha256);
-- a party's live documents
CREATE INDEX documents_owner_live_idx ON documents (owner_id) WHERE archived_at IS NULL;
-- newest first
CREATE INDEX documents_issued_on_idx ON documents (issued_on DESC NULLS LAST);

-- migrate:downgrade
DROP INDEX documents_issued_on_idx;
DROP INDEX documents_owner_live_idx;
DROP INDEX documents_sha256_idx;
ALTER TABLE documents
    DROP COLUMN archived_at,
    DROP COLUMN issued_on,
    DROP COLUMN storage_uri,
    DROP COLUMN sha256,
    DROP COLUMN byte_size,
    DROP COLUMN mime_type,
    DROP COLUMN kind,
    DROP COLUMN commitment_id,
    DROP COLUMN owner_id;
