-- migrate:revision 002
-- migrate:down_revision 001
-- migrate:message parties, roles, commitments (and a minimal documents table)
-- migrate:upgrade

-- A party is a person or an organisation.
CREATE TABLE parties (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind       text        NOT NULL CHECK (kind IN ('person', 'org')),
    name       text        NOT NULL CHECK (btrim(name) <> ''),
    tax_id     text,
    email      text        CHECK (email LIKE '%_@_%'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parties_name_trgm_idx ON parties USING gin (name gin_trgm_ops);
CREATE UNIQUE INDEX parties_tax_id_idx ON parties (tax_id) WHERE tax_id IS NOT NULL;

-- The roles a party plays (employer, landlord, doctor, ...), over time.
CREATE TABLE roles (
    id           uuid      PRIMARY KEY DEFAULT gen_random_uuid(),
    party_id     uuid      NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    role         text      NOT NULL,
    tags         text[]    NOT NULL DEFAULT '{}',
    valid_during tstzrange NOT NULL DEFAULT tstzrange(now(), NULL),
    -- one party never holds the same role twice at once (needs btree_gist)
    CONSTRAINT roles_no_overlap
        EXCLUDE USING gist (party_id WITH =, role WITH =, valid_during WITH &&)
);
CREATE INDEX roles_tags_idx ON roles USING gin (tags);

CREATE TYPE commitment_type AS ENUM ('promise', 'obligation', 'contract', 'habit');
CREATE TYPE commitment_state AS ENUM ('proposed', 'active', 'fulfilled', 'broken', 'cancelled');

-- Who owes what to whom, by when.
CREATE TABLE commitments (
    id           uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    type         commitment_type  NOT NULL,
    state        commitment_state NOT NULL DEFAULT 'proposed',
    debtor_id    uuid             NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    creditor_id  uuid             REFERENCES parties (id) ON DELETE SET NULL,
    role_id      uuid             REFERENCES roles (id) ON DELETE SET NULL,
    title        text             NOT NULL CHECK (btrim(title) <> ''),
    amount       numeric(14, 2)   CHECK (amount >= 0),
    due_at       timestamptz,
    fulfilled_at timestamptz,
    created_at   timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT commitments_distinct_parties CHECK (creditor_id <> debtor_id),
    CONSTRAINT commitments_fulfilled_at
        CHECK ((state = 'fulfilled') = (fulfilled_at IS NOT NULL))
);
CREATE INDEX commitments_open_due_idx ON commitments (due_at)
    WHERE state IN ('proposed', 'active');
CREATE INDEX commitments_debtor_idx ON commitments (debtor_id);

-- Documents start as the bare table many projects already have (made by
-- hand or by an ORM); 003 gives them their metadata.
CREATE TABLE documents (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    title      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE documents;
DROP TABLE commitments;
DROP TYPE commitment_state;
DROP TYPE commitment_type;
DROP TABLE roles;
DROP TABLE parties;
