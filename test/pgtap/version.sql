\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The library against the catalog's version (src/version.c): with a catalog
-- older than the library (as after `make install` of a new build, before
-- ALTER EXTENSION migrate UPDATE), every function that touches the catalog
-- says which ALTER EXTENSION to run (55000), never "column does not exist";
-- with a newer one, that the library is older.  The catalog's version is
-- changed by hand here, inside the transaction; test/scenario/upgrade_path.sh
-- meets a real 0.1 catalog.
CREATE EXTENSION migrate;
SELECT migrate.add('v1', 'CREATE TABLE v1 (id int)', 'DROP TABLE v1');
BEGIN;
SET client_min_messages = warning;
SELECT plan(27);

SELECT is(extversion, (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate'),
          'a new install is at the library''s version')
  FROM pg_extension WHERE extname = 'migrate';

UPDATE pg_extension SET extversion = '0.1' WHERE extname = 'migrate';
CREATE FUNCTION hint_of(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE h text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END $f$;

SELECT throws_ok(call, '55000',
                 'the migrate catalog of this database is at version 0.1, the installed migrate library at version '
                 || (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate'),
                 'catalog 0.1: ' || call)
  FROM unnest(ARRAY[
    'SELECT * FROM migrate.current()', 'SELECT * FROM migrate.heads()', 'SELECT * FROM migrate.bases()',
    'SELECT * FROM migrate.history()', 'SELECT * FROM migrate.status()', 'SELECT * FROM migrate.resolve(''head'')',
    'SELECT * FROM migrate.plan(''head'')', 'SELECT * FROM migrate.validate()', 'SELECT migrate.check()',
    'SELECT * FROM migrate.verify()', 'SELECT migrate.add(''v2'', ''SELECT 1'')', 'SELECT migrate.remove(''v1'')',
    $$SELECT migrate.add_file(E'-- migrate:revision v3\n-- migrate:upgrade\nSELECT 1', 'v3.sql')$$,
    'SELECT * FROM migrate.upgrade(''head'')', 'SELECT * FROM migrate.downgrade(''base'')',
    'SELECT * FROM migrate.stamp(''head'')', 'SELECT migrate.sql(''head'')']) AS call;
SELECT is(hint_of('SELECT * FROM migrate.status()'),
          'Run ALTER EXTENSION migrate UPDATE; in this database (as the extension''s owner or a superuser).',
          'the hint says which ALTER EXTENSION to run');
SELECT is((SELECT count(*) FROM pg_tables WHERE tablename = 'v1'), 0::bigint, 'nothing ran');
SELECT lives_ok($$SELECT migrate.table_exists('v1')$$, 'the existence helpers do not read the catalog and still work');

UPDATE pg_extension SET extversion = '99.0' WHERE extname = 'migrate';
SELECT throws_ok('SELECT * FROM migrate.heads()', '55000',
                 'the migrate catalog of this database is at version 99.0, newer than the installed migrate library (version '
                 || (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate') || ')',
                 'a catalog newer than the library');
SELECT is(hint_of('SELECT * FROM migrate.heads()'), 'Install the migrate build of version 99.0 and start a new session.',
          'says which build to install');

-- versions compare as numbers, part by part
UPDATE pg_extension SET extversion = '0.10' WHERE extname = 'migrate';
SELECT is(hint_of('SELECT * FROM migrate.heads()'), 'Install the migrate build of version 0.10 and start a new session.',
          '0.10 is newer than 0.2 (numbers, not text)');
UPDATE pg_extension SET extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate') || '.1'
 WHERE extname = 'migrate';
SELECT is(hint_of('SELECT * FROM migrate.heads()'),
          'Install the migrate build of version ' || (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate')
          || '.1 and start a new session.', 'a longer version with the same start is newer');


UPDATE pg_extension SET extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate')
 WHERE extname = 'migrate';
SELECT results_eq('SELECT * FROM migrate.heads()', ARRAY['v1'], 'at the library''s version again, everything works');
SELECT is((SELECT count(*) FROM migrate.upgrade('head')), 1::bigint, 'upgrade included');

SELECT * FROM finish();
ROLLBACK;
