-- What a person sees when registering: notices, refusals and their hints.
-- Runs in a transaction on a fresh catalog and rolls back at the end.
\set ON_ERROR_ROLLBACK on
\pset null '(null)'
BEGIN;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.add('0001_init', E'CREATE TABLE t1 (id int);\n', 'DROP TABLE t1',
                   message => 'create t1', source => 'migrations/0001_init.sql');
-- identical again (line endings and trailing blanks do not matter): no notice
SELECT migrate.add('0001_init', E'CREATE TABLE t1 (id int);  \r\n\r\n', 'DROP TABLE t1',
                   message => 'create t1', source => 'migrations/0001_init.sql');
-- a new message is taken silently; NULL keeps the old one
SELECT migrate.add('0001_init', 'CREATE TABLE t1 (id int);', 'DROP TABLE t1',
                   message => 'create table t1');
SELECT id, message, source FROM migrate.revision;
-- a changed body replaces the unapplied revision, with a notice
SELECT migrate.add('0001_init', 'CREATE TABLE t1 (id bigint);', 'DROP TABLE t1',
                   message => 'create table t1');
SELECT id, upgrade, message FROM migrate.revision;
-- once applied, a change is refused and the hint says what to do
INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = '0001_init';
SELECT migrate.add('0001_init', 'CREATE TABLE t1 (id bigint, name text);', 'DROP TABLE t1');
SELECT migrate.remove('0001_init');
-- ... while the identical content is still fine
SELECT migrate.add('0001_init', 'CREATE TABLE t1 (id bigint);', 'DROP TABLE t1');
-- bad ids and arguments
SELECT migrate.add('', 'SELECT 1');
SELECT migrate.add(repeat('x', 129), 'SELECT 1');
SELECT migrate.add('_private', 'SELECT 1');
SELECT migrate.add('add users', 'SELECT 1');
SELECT migrate.add('0002', 'SELECT 1', down_revision => '{0001_init,0001_init}');
SELECT migrate.add('0002', 'SELECT 1', down_revision => '{0002}');
SELECT migrate.add('0002', 'SELECT 1', depends_on => '{0002}');
SELECT migrate.add('0002', 'SELECT 1', down_revision => ARRAY['0001_init', NULL]);
SELECT migrate.add('0002', 'SELECT 1', branch_labels => '{Base}');
SELECT migrate.add('0002', 'SELECT 1', transactional => NULL);
SELECT migrate.add('0002', NULL);
SELECT migrate.remove('0002');
ROLLBACK;
