\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.verify(): the health report a deploy script gates on.
CREATE EXTENSION migrate;
BEGIN;
SELECT plan(32);

SELECT has_function('migrate', 'verify', ARRAY['text[]', 'text[]', 'text[]', 'text'], 'verify(extensions, tables, indexes, project) exists');
SELECT is(
    (SELECT string_agg(n, ',' ORDER BY o)
       FROM pg_proc f, unnest(f.proargnames, f.proargmodes::text[]) WITH ORDINALITY AS p(n, m, o)
      WHERE f.oid = 'migrate.verify(text[], text[], text[], text)'::regprocedure AND p.m = 'o'),
    'severity,code,object,message', 'verify: columns are severity, code, object, message');

-- a clean database: no errors, the extension reported
SELECT is((SELECT count(*)::int FROM migrate.verify() WHERE severity = 'error'), 0, 'clean: no errors');
SELECT is((SELECT message FROM migrate.verify() WHERE code = 'extension' AND object = 'migrate'),
          (SELECT format('extension "migrate" %s is installed in schema migrate', extversion)
             FROM pg_extension WHERE extname = 'migrate'),
          'clean: the migrate extension and its version');
SELECT is((SELECT message FROM migrate.verify() WHERE code = 'revisions'),
          '0 registered, 0 applied, 0 pending', 'clean: revision counts');

-- extensions, tables and indexes asked for
SELECT is((SELECT count(*)::int FROM migrate.verify(extensions => '{plpgsql}') WHERE severity = 'error'), 0, 'extensions: an installed one is no error');
SELECT is((SELECT severity FROM migrate.verify(extensions => '{plpgsql}') WHERE code = 'extension' AND object = 'plpgsql'), 'info', 'extensions: an installed one is reported as info');
SELECT is((SELECT object FROM migrate.verify(extensions => '{plpgsql,no_such_ext}') WHERE code = 'missing_extension'),
          'no_such_ext', 'extensions: a missing one is an error row');
CREATE TABLE public.parties (id int PRIMARY KEY, name text);
CREATE VIEW public.v_parties AS SELECT id FROM public.parties;
CREATE INDEX parties_name_idx ON public.parties (name);
SELECT is((SELECT count(*)::int FROM migrate.verify(tables => '{parties,public.parties}') WHERE severity = 'error'), 0, 'tables: existing tables are no error');
SELECT is((SELECT array_agg(object ORDER BY object) FROM migrate.verify(tables => '{parties,roles,v_parties}') WHERE code = 'missing_table'),
          '{roles,v_parties}'::text[], 'tables: a missing table and a view are errors');
SELECT is((SELECT count(*)::int FROM migrate.verify(indexes => '{parties_name_idx,parties_pkey}') WHERE severity = 'error'), 0, 'indexes: existing indexes are no error');
SELECT is((SELECT object FROM migrate.verify(indexes => '{parties_name_idx,parties_kind_idx}') WHERE code = 'missing_index'),
          'parties_kind_idx', 'indexes: a missing index is an error');
SELECT throws_ok($$SELECT * FROM migrate.verify(tables => ARRAY['a b'])$$, '42602', NULL, 'tables: a malformed name is an error');
SELECT lives_ok($$SELECT * FROM migrate.verify(NULL, NULL, NULL)$$, 'NULL arguments are fine');

-- pending revisions
SELECT is(migrate.add('v1', 'CREATE TABLE v1_t (a int)', 'DROP TABLE v1_t', message => 'first'), 'v1', 'pending: v1 registered');
SELECT is(migrate.add('v2', 'CREATE TABLE v2_t (a int)', 'DROP TABLE v2_t', '{v1}'), 'v2', 'pending: v2 registered');
SELECT results_eq($$SELECT object, severity FROM migrate.verify() WHERE code = 'pending'$$,
                  $$VALUES ('v1', 'error'), ('v2', 'error')$$,
                  'pending: one error row per unapplied revision, in upgrade order');
SELECT is((SELECT message FROM migrate.verify() WHERE code = 'pending' AND object = 'v1'),
          'revision "v1" (first) is registered but not applied', 'pending: the message names the revision');
SELECT is((SELECT message FROM migrate.verify() WHERE code = 'revisions'),
          '2 registered, 0 applied, 2 pending', 'pending: counts');
SELECT is((SELECT pending FROM migrate.status()),
          (SELECT count(*)::int FROM migrate.verify() WHERE code = 'pending'), 'pending: agrees with status()');
SELECT is((SELECT count(*)::int FROM migrate.upgrade('head')), 2, 'pending: upgrade applies both');
SELECT is((SELECT count(*)::int FROM migrate.verify() WHERE severity = 'error'), 0, 'pending: none after the upgrade');

-- validation findings
SELECT is(migrate.add('v3', 'SELECT 1', NULL, '{nosuch_parent}'), 'v3', 'validation: v3 names a missing parent');
SELECT is((SELECT severity FROM migrate.verify() WHERE code = 'missing_parent' AND object = 'v3'), 'error', 'validation: missing_parent is an error row');
SELECT is((SELECT count(*)::int FROM migrate.verify() WHERE code = 'irreversible'), 0, 'validation: info findings of validate() are left out');
SELECT is(migrate.add('v4', 'SELECT 1', 'SELECT 1', '{v1}'), 'v4', 'validation: v4 makes a second head');
SELECT is((SELECT severity FROM migrate.verify() WHERE code = 'multiple_heads' LIMIT 1), 'warning', 'validation: multiple_heads is a warning row');

-- INVALID indexes anywhere in the database
CREATE SCHEMA other;
CREATE TABLE other.t (a int);
CREATE INDEX t_a_idx ON other.t (a);
UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = 'other.t_a_idx'::regclass;
SELECT is((SELECT severity FROM migrate.verify() WHERE code = 'invalid_index' AND object = 'other.t_a_idx'), 'error', 'invalid index: reported as an error with its qualified name');
SELECT alike((SELECT message FROM migrate.verify() WHERE code = 'invalid_index'), '%is INVALID%REINDEX INDEX CONCURRENTLY other.t_a_idx', 'invalid index: the message says how to repair it');

-- order: errors, then warnings, then info
SELECT is((SELECT array_agg(DISTINCT severity) FROM (SELECT severity FROM migrate.verify() LIMIT 1) s), '{error}'::text[], 'order: errors come first');
SELECT ok((SELECT bool_and(r) FROM (
              SELECT (CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END)
                     >= lag(CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, 1, 0) OVER () AS r
                FROM migrate.verify()) s), 'order: by severity');

-- everyone may run it
CREATE ROLE migrate_tap_monitor NOLOGIN;
SET LOCAL ROLE migrate_tap_monitor;
SELECT is((SELECT count(*)::int FROM migrate.verify() WHERE code = 'invalid_index'), 1, 'privileges: a role without grants runs the report');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
