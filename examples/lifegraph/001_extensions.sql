-- The "life graph" example chain (see examples/lifegraph/README.md).
-- migrate:revision 001
-- migrate:message extensions: pgcrypto, pg_trgm, btree_gist
-- migrate:branch_labels lifegraph
-- migrate:upgrade
-- All three ship with PostgreSQL (contrib) and are trusted extensions: a
-- database owner may create them without being a superuser.
CREATE EXTENSION pgcrypto;      -- digest() for document hashes
CREATE EXTENSION pg_trgm;       -- fuzzy search on names
CREATE EXTENSION btree_gist;    -- uuid equality in GiST exclusion constraints

-- migrate:downgrade
DROP EXTENSION btree_gist;
DROP EXTENSION pg_trgm;
DROP EXTENSION pgcrypto;
