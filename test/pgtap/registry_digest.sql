\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.registry_digest(project): the one value pg_migrate compares with
-- the digest of its files (common/regdigest.c) to learn that a deploy
-- changed nothing.  It must change with everything the client's "unchanged
-- and applied" rule looks at, not with what it does not, and say nothing
-- to a role that may not read the checksums it covers.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(20);

CREATE FUNCTION d(project text DEFAULT NULL) RETURNS text LANGUAGE sql AS
$f$ SELECT migrate.registry_digest(project) $f$;

SELECT has_function('migrate', 'registry_digest', ARRAY['text'], 'registry_digest(project)');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'migrate.registry_digest(text)'::regprocedure), 's',
          'registry_digest() is STABLE');
SELECT ok(has_function_privilege('public', 'migrate.registry_digest(text)', 'EXECUTE'),
          'registry_digest() is executable by everyone');
SELECT matches(d(), '^[0-9a-f]{64}$', 'an empty project has a digest too (hex SHA-256)');

CREATE TEMP TABLE seen (what text, digest text);
INSERT INTO seen VALUES ('empty', d());
SELECT FROM migrate.add_file(E'-- migrate:revision r1\n-- migrate:message first\n-- migrate:upgrade\nCREATE TABLE rd1 (id int);\n', 'r1_first.sql');
INSERT INTO seen VALUES ('r1', d());
SELECT isnt(d(), (SELECT digest FROM seen WHERE what = 'empty'), 'a registered revision changes it');
SELECT is(d(), d(), 'the same catalog, the same digest');
SELECT FROM migrate.add_file(E'-- migrate:revision r1\n-- migrate:message first\n-- migrate:upgrade\nCREATE TABLE rd1 (id int);\n', 'r1_first.sql');
SELECT is(d(), (SELECT digest FROM seen WHERE what = 'r1'), 'registering the identical file again changes nothing');
SELECT FROM migrate.add_file(E'-- migrate:revision r1\n-- migrate:message first\n-- migrate:upgrade\nCREATE TABLE rd1 (id int);   \r\n\n', 'r1_first.sql');
SELECT is(d(), (SELECT digest FROM seen WHERE what = 'r1'), 'nor a body that differs in trailing blanks only (the same checksum)');

SELECT FROM migrate.add_file(E'-- migrate:revision r1\n-- migrate:message the first\n-- migrate:upgrade\nCREATE TABLE rd1 (id int);\n', 'r1_first.sql');
SELECT isnt(d(), (SELECT digest FROM seen WHERE what = 'r1'), 'another message changes it');
INSERT INTO seen VALUES ('message', d());
SELECT FROM migrate.add_file(E'-- migrate:revision r1\n-- migrate:message the first\n-- migrate:upgrade\nCREATE TABLE rd1 (id int);\n', 'r1_renamed.sql');
SELECT isnt(d(), (SELECT digest FROM seen WHERE what = 'message'), 'another file name changes it');
INSERT INTO seen VALUES ('source', d());
SELECT FROM migrate.add_file(E'-- migrate:revision r1\n-- migrate:message the first\n-- migrate:upgrade\nCREATE TABLE rd1 (id bigint);\n', 'r1_renamed.sql');
SELECT isnt(d(), (SELECT digest FROM seen WHERE what = 'source'), 'another body changes it');
INSERT INTO seen VALUES ('body', d());
SELECT is((SELECT count(*) FROM migrate.upgrade()), 1::bigint, 'r1 applied');
SELECT isnt(d(), (SELECT digest FROM seen WHERE what = 'body'), 'applying changes it');
INSERT INTO seen VALUES ('applied', d());
SELECT is(d(), (SELECT digest FROM seen WHERE what = 'applied'), 'and an upgrade with nothing to do does not');

--------------------------------------------------------------------------
-- projects
--------------------------------------------------------------------------
SELECT is(d('default'), d(), 'NULL is migrate.project (default)');
SELECT FROM migrate.add('b1', 'SELECT 1', project => 'billing');
SELECT is(d(), (SELECT digest FROM seen WHERE what = 'applied'), 'another project''s revision does not change it');
SELECT isnt(d('billing'), d(), 'each project has its own');
SET LOCAL migrate.project = 'billing';
SELECT is(d(), d('billing'), 'NULL follows migrate.project');
RESET migrate.project;
SELECT throws_ok($$SELECT migrate.registry_digest('bad project')$$, '42602', NULL, 'a bad project name is refused');

--------------------------------------------------------------------------
-- private checksums: nothing for a role that may not read them
--------------------------------------------------------------------------
CREATE ROLE migrate_rd_nobody;
SET LOCAL ROLE migrate_rd_nobody;
SELECT is(migrate.registry_digest(), NULL, 'NULL for a role that may not read every checksum it covers');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
