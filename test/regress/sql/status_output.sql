-- What a person sees from the status functions: history with branches, a
-- merge and applied state, current, heads, status and the last run.
-- Runs in a transaction on a fresh catalog and rolls back at the end.
\set ON_ERROR_ROLLBACK on
\pset null '(null)'
BEGIN;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT current, heads, at_head, pending, applied, registered, errors, warnings,
       last_run_id, last_run_kind, last_run_status, last_run_error
  FROM migrate.status();
SELECT migrate.add('001_extensions', 'CREATE EXTENSION IF NOT EXISTS pgcrypto', 'SELECT 1',
                   message => 'extensions', source => 'versions/001_extensions.sql');
SELECT migrate.add('002_parties', 'CREATE TABLE parties (id int)', 'DROP TABLE parties',
                   '{001_extensions}', 'parties and roles', source => 'versions/002_parties.sql');
SELECT migrate.add('003_documents', 'CREATE TABLE documents (id int)', 'DROP TABLE documents',
                   '{002_parties}', 'documents', branch_labels => '{docs}');
SELECT migrate.add('003_signals', 'CREATE TABLE signals (id int)', NULL,
                   '{002_parties}', 'signals', depends_on => '{003_documents}');
SELECT migrate.add('004_merge', 'SELECT 1', 'SELECT 1',
                   '{003_signals,003_documents}', 'merge documents and signals');
SELECT migrate.add('005_links', 'CREATE INDEX CONCURRENTLY links_i ON signals (id)',
                   'DROP INDEX CONCURRENTLY links_i', '{004_merge}', 'links index',
                   transactional => false);
INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision
     WHERE id IN ('001_extensions', '002_parties', '003_documents');
SELECT revision, down_revision, message, applied, applied_at IS NOT NULL AS has_applied_at,
       is_head, is_current, is_base
  FROM migrate.history();
SELECT revision, branch_labels, depends_on, transactional, reversible, source
  FROM migrate.history();
SELECT * FROM migrate.current();
SELECT * FROM migrate.heads();
SELECT * FROM migrate.bases();
SELECT * FROM migrate.plan();
SELECT * FROM migrate.validate();
INSERT INTO migrate.run_log (kind, target, status, error_revision, error_sqlstate, error_message)
    VALUES ('upgrade', 'head', 'failed', '003_signals', '42P07', 'relation "signals" already exists');
SELECT current, heads, at_head, pending, applied, registered, errors, warnings,
       last_run_kind, last_run_status, last_run_error
  FROM migrate.status();
INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE NOT EXISTS
        (SELECT 1 FROM migrate.applied a WHERE a.revision = id);
INSERT INTO migrate.applied (revision, checksum) VALUES ('000_forgotten', NULL);
SELECT revision, applied, is_head, is_current, is_base, transactional, reversible
  FROM migrate.history();
SELECT current, heads, at_head, pending, applied, registered, errors, warnings
  FROM migrate.status();
ROLLBACK;
