-- What a person sees from validate(), check() and status() on a broken
-- chain: the field notes' overwritten base file, and the rest of the codes.
-- Runs in a transaction on a fresh catalog and rolls back at the end.
\set ON_ERROR_ROLLBACK on
\pset null '(null)'
BEGIN;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.check();
-- the file 189b1231afd4_bootstrap_tables.sql was overwritten with another revision
SELECT migrate.add('2a3f4c9d1cde', 'CREATE TABLE parties (id uuid)', 'DROP TABLE parties',
                   message => 'bootstrap tables', source => 'versions/189b1231afd4_bootstrap_tables.sql');
SELECT migrate.add('3c4d5e6f7a8b', 'ALTER TABLE parties ADD name text', 'ALTER TABLE parties DROP name',
                   down_revision => '{189b1231afd4}', message => 'add cascade deletes',
                   source => 'versions/3c4d5e6f7a8b_add_cascade_deletes.sql');
SELECT * FROM migrate.validate();
SELECT migrate.check();
SELECT * FROM migrate.plan('head');
-- the rest of the codes
SELECT migrate.add('4d', E'CREATE TABLE x (id int);\nCREAT INDEX ON x (id);', 'DROP TABLE x',
                   '{3c4d5e6f7a8b}', branch_labels => '{api}');
SELECT migrate.add('5e', 'CREATE INDEX CONCURRENTLY xi ON x (id)', NULL, '{4d}',
                   branch_labels => '{api}', depends_on => '{nowhere}');
SELECT migrate.add('6f', 'BEGIN; UPDATE x SET id = 1; COMMIT;', 'SELECT 1', '{4d}');
SELECT migrate.add('7a', 'SELECT 1', 'SELECT 1', '{7b}');
SELECT migrate.add('7b', 'SELECT 1', 'SELECT 1', '{7a}');
SELECT migrate.add('8c', 'SELECT 1', 'SELECT 1');
INSERT INTO migrate.applied (revision, checksum) VALUES ('0f0f0f', NULL);
INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = '4d';
UPDATE migrate.revision SET downgrade = 'DROP TABLE x CASCADE' WHERE id = '4d';
SELECT * FROM migrate.validate();
SELECT migrate.check();
SELECT current, heads, at_head, pending, applied, registered, errors, warnings
  FROM migrate.status();
ROLLBACK;
