\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Ranges A:B (as Alembic takes them): migrate.history('A:B')
-- lists A and the revisions an upgrade from state A to state B applies; migrate.sql('A:B') writes the
-- script from state A whatever the database has applied.  Every other
-- function that takes a target refuses a range.  Running a range script:
-- test/scenario/offline_sql.sh.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(35);

-- a -- b -- c -- d, with e branching from b (label side) and f depending on c
SELECT migrate.add(id, format('CREATE TABLE %I (i int)', id), format('DROP TABLE %I', id), p,
                   'rev ' || id, l, dep)
  FROM (VALUES ('a', NULL::text[], NULL::text[], NULL::text[]),
               ('b', '{a}', NULL, NULL),
               ('c', '{b}', NULL, NULL),
               ('d', '{c}', NULL, NULL),
               ('e', '{b}', '{side}', NULL),
               ('f', '{e}', NULL, '{c}')) AS v(id, p, l, dep);
SELECT migrate.upgrade('c');

CREATE FUNCTION hist(r text) RETURNS text LANGUAGE sql AS
$$SELECT coalesce(string_agg(revision, ',' ORDER BY revision), '-') FROM migrate.history(r)$$;

--------------------------------------------------------------------------
-- history over a range
--------------------------------------------------------------------------
SELECT is(hist('a:c'), 'a,b,c', 'a:c lists a, b and c (A itself included, as alembic history -r)');
SELECT is(hist('b:d'), 'b,c,d', 'b:d');
SELECT is(hist(':b'), 'a,b', ':b is base up to b');
SELECT is(hist('c:'), 'c,d,e,f', 'c: is c and what an upgrade from c to every head applies (e too: f needs it)');
SELECT is(hist('base:heads'), 'a,b,c,d,e,f', 'base:heads is everything');
SELECT is(hist(':'), 'a,b,c,d,e,f', '":" is everything');
SELECT is(hist('current:'), 'c,d,e,f', 'current: is the applied state''s top and what is pending');
SELECT is(hist('current:heads'), hist('c:'), 'current reads the applied revisions (c)');
SELECT is(hist(':current'), 'a,b,c', ':current is what is applied');
SELECT is(hist('-1:current'), 'b,c', '-1:current: the revision below the current one, and the current one');
SELECT is(hist('side@head:'), 'd,f', 'side@head: is its head and what else is pending (d)');
SELECT is(hist('b:side@head'), 'b,c,e,f', 'b:side@head includes c, which f depends on');
SELECT is(hist('d:b'), '-', 'd:b (B below A) is empty');
SELECT is((SELECT string_agg(revision, ',' ORDER BY revision) FROM migrate.history(project => 'a:b')), 'a,b',
          'an argument with a colon is a range, named or not: no project name has a colon');
SET LOCAL migrate.project = 'other';
SELECT migrate.add('o1', 'SELECT 1', NULL, NULL, NULL, NULL, NULL, true, NULL, 'other');
SELECT is(hist(':'), 'o1', 'a range reads the project migrate.project');
RESET migrate.project;
SELECT is((SELECT count(*) FROM migrate.history()), 6::bigint, 'history() lists every revision');
SELECT is((SELECT count(*) FROM migrate.history(NULL)), 6::bigint, 'history(NULL) is the whole history');
SELECT throws_ok($$SELECT * FROM migrate.history('no such project')$$, '42602', NULL, 'an argument without a colon is still a project');
SELECT is((SELECT string_agg(revision, ',' ORDER BY ord) FROM migrate.history('a:d') WITH ORDINALITY AS h(revision, down_revision, message, applied, applied_at, is_head, is_current, is_base, branch_labels, depends_on, transactional, reversible, source, registered_at, ord)),
          'a,b,c,d', 'a range keeps history''s order, base first');

SELECT throws_ok($$SELECT * FROM migrate.history('a:b:c')$$, '22023',
                 'malformed range "a:b:c"', 'two colons: 22023');
SELECT throws_ok($$SELECT * FROM migrate.history('zz:')$$, '42704',
                 NULL, 'an unknown end: the target error');
SELECT throws_ok($$SELECT * FROM migrate.history('x''; DROP TABLE migrate.revision; --:')$$,
                 '22023', NULL, 'an injection attempt is a malformed end');
SELECT throws_ok(format($$SELECT * FROM migrate.history(%L)$$, repeat('a', 100000) || ':'),
                 '22023', NULL, 'a huge end is refused');
SELECT is((SELECT count(*) FROM migrate.revision WHERE project = 'default'), 6::bigint, 'nothing was lost');

--------------------------------------------------------------------------
-- sql over a range
--------------------------------------------------------------------------
SELECT alike(migrate.sql('c:d'), E'-- migrate: upgrade over the range ''c:d'', 1 revision\n%',
            'sql(''c:d'') plans d alone');
SELECT alike(migrate.sql(':b'), E'-- migrate: upgrade over the range '':b'', 2 revisions\n%',
            'sql('':b'') plans from base (whatever is applied)');
SELECT alike(migrate.sql('a:'), E'-- migrate: upgrade over the range ''a:'', 5 revisions\n%',
            'sql(''a:'') goes to every head');
SELECT alike(migrate.sql('d:a', 'down'), E'-- migrate: downgrade over the range ''d:a'', 3 revisions\n%',
            'sql(''d:a'', ''down'') reverts d, c and b');
SELECT alike(migrate.sql('c:d'), E'%ARRAY[''c'']::pg_catalog.text[] THEN%',
            'the script expects the range''s start as the current state');
SELECT alike(migrate.sql('d:c'), E'%-- nothing to do%', 'an upgrade range that goes down has nothing to do');
SELECT is((SELECT string_agg(c, ',') FROM migrate.current() c), 'c', 'writing scripts changed nothing');

--------------------------------------------------------------------------
-- the other functions refuse a range
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT migrate.upgrade('a:c')$$, '22023', 'target "a:c" is a range', 'upgrade refuses a range');
SELECT throws_ok($$SELECT migrate.downgrade('c:a')$$, '22023', 'target "c:a" is a range', 'downgrade refuses a range');
SELECT throws_ok($$SELECT * FROM migrate.plan('a:c')$$, '22023', 'target "a:c" is a range', 'plan refuses a range');
SELECT throws_ok($$SELECT migrate.stamp('a:c')$$, '22023', 'target "a:c" is a range', 'stamp refuses a range');

SELECT * FROM finish();
ROLLBACK;
