-- migrate:revision 004
-- migrate:down_revision 003
-- migrate:message signals, document_links, interactions
-- migrate:upgrade

-- Things that need attention: reminders, deadlines, anomalies.
CREATE TABLE signals (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    party_id        uuid        REFERENCES parties (id) ON DELETE CASCADE,
    commitment_id   uuid        REFERENCES commitments (id) ON DELETE CASCADE,
    kind            text        NOT NULL
        CHECK (kind IN ('reminder', 'deadline', 'anomaly', 'milestone')),
    severity        smallint    NOT NULL DEFAULT 1 CHECK (severity BETWEEN 0 AND 5),
    payload         jsonb       NOT NULL DEFAULT '{}',
    observed_at     timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    CONSTRAINT signals_about_something
        CHECK (party_id IS NOT NULL OR commitment_id IS NOT NULL)
);
CREATE INDEX signals_open_idx ON signals (observed_at DESC) WHERE acknowledged_at IS NULL;

-- What a document is about: a party, a commitment or another document.
CREATE TABLE document_links (
    document_id uuid        NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    target_kind text        NOT NULL CHECK (target_kind IN ('party', 'commitment', 'document')),
    target_id   uuid        NOT NULL,
    relation    text        NOT NULL DEFAULT 'about',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, target_kind, target_id, relation)
);
CREATE INDEX document_links_target_idx ON document_links (target_kind, target_id);

-- Meetings, calls, messages between parties.
CREATE TABLE interactions (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    party_id        uuid        NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    counterpart_id  uuid        REFERENCES parties (id) ON DELETE SET NULL,
    commitment_id   uuid        REFERENCES commitments (id) ON DELETE SET NULL,
    channel         text        NOT NULL
        CHECK (channel IN ('meeting', 'call', 'email', 'message', 'letter')),
    happened_during tstzrange   NOT NULL,
    summary         text
);
-- "what happened with this party in that period" (uuid in GiST: btree_gist)
CREATE INDEX interactions_party_period_idx ON interactions
    USING gist (party_id, happened_during);

-- migrate:downgrade
DROP TABLE interactions;
DROP TABLE document_links;
DROP TABLE signals;
