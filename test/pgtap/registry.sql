\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
CREATE EXTENSION migrate;
BEGIN;
SELECT plan(4);
SELECT is(migrate.add('a1', 'SELECT 1'), 'a1', 'add returns the id');
SELECT throws_ok($$SELECT migrate.add(NULL, 'SELECT 1')$$, '22004', NULL, 'NULL id');
SELECT throws_ok($$SELECT migrate.add('head', 'SELECT 1')$$, '42939', NULL, 'reserved id');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['a1'], 'heads');
SELECT * FROM finish();
ROLLBACK;
