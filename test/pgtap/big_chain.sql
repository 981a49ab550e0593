\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- 10,000 revisions registered in one statement: a long chain with two
-- fork-and-merge diamonds, a dangling labelled branch and a dependency
-- across branches.  No timing assertions: the point is that everything
-- answers correctly at this size (and does not recurse or go quadratic).
--
--   r00001 - ... - r03000 -< r03001..r03005 >- r03011 - ... - r05000 - r05006 - ...
--                         \  r03006..r03010 /                 \ r05001..r05005 (label side, head)
--   ... r06999 - r07000 (depends on r05003) - ... - r08000 -< r08001..r08003 >- r08007 - ... - r10000
--                                                          \  r08004..r08006 /
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(39);

CREATE FUNCTION err(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE s text; m text; d text; h text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                            d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN s || E'\n' || m || E'\n' || coalesce(d, '') || E'\n' || coalesce(h, '');
END $f$;
CREATE FUNCTION rid(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $f$ SELECT 'r' || lpad(i::text, 5, '0') $f$;

CREATE TABLE chain AS
SELECT i, rid(i) AS id,
       CASE WHEN i = 1 THEN '{}'::text[]
            WHEN i IN (3006, 5006) THEN ARRAY[rid(i / 1000 * 1000)]
            WHEN i = 8004 THEN ARRAY[rid(8000)]
            WHEN i = 3011 THEN ARRAY[rid(3005), rid(3010)]
            WHEN i = 8007 THEN ARRAY[rid(8003), rid(8006)]
            ELSE ARRAY[rid(i - 1)] END AS parents,
       CASE WHEN i = 7000 THEN ARRAY[rid(5003)] END AS depends,
       CASE WHEN i = 5001 THEN ARRAY['side'] END AS labels
  FROM generate_series(1, 10000) AS i;

SELECT is((SELECT count(*) FROM (
              SELECT migrate.add(id, format('CREATE TABLE t_%s (id int)', id), format('DROP TABLE t_%s', id),
                                 parents, 'revision ' || i, labels, depends, true,
                                 format('versions/%s_step.sql', id))
                FROM chain ORDER BY i DESC) s),
          10000::bigint, '10,000 revisions registered in one statement, children first');
SELECT is((SELECT count(*) FROM migrate.revision), 10000::bigint, 'all stored');

SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['r05005', 'r10000'], 'heads(): the dangling branch and the tip');
SELECT results_eq($$SELECT * FROM migrate.bases()$$, ARRAY['r00001'], 'bases()');
SELECT is_empty($$SELECT * FROM migrate.current()$$, 'nothing current');
SELECT results_eq($$SELECT severity, code, message FROM migrate.validate()$$,
                  $$VALUES ('warning', 'multiple_heads', '2 heads: r05005, r10000')$$,
                  'validate() finds only the expected warning');
SELECT lives_ok($$SELECT migrate.check()$$, 'check() is silent');

-- history
SELECT is((SELECT count(*) FROM migrate.history()), 10000::bigint, 'history() has 10,000 rows');
SELECT is((SELECT revision FROM migrate.history() LIMIT 1), 'r00001', 'base first');
SELECT is_empty($$
    WITH h AS (SELECT revision, down_revision, depends_on, row_number() OVER () AS pos FROM migrate.history()),
         edge AS (SELECT revision, pos, unnest(down_revision || depends_on) AS pred FROM h)
    SELECT e.revision, e.pred FROM edge e JOIN h p ON p.revision = e.pred WHERE p.pos > e.pos$$,
    'every parent and dependency comes before its revision');
SELECT results_eq($$SELECT revision FROM migrate.history()$$, $$SELECT id FROM chain ORDER BY i$$,
                  'here the order is exactly the id order: each branch contiguous, parents in declared order');
SELECT results_eq($$SELECT revision FROM migrate.history()$$, $$SELECT revision FROM migrate.history()$$,
                  'and the same on every call');
SELECT is((SELECT count(*) FROM migrate.history() WHERE is_head), 2::bigint, 'two rows are heads');
SELECT is((SELECT count(*) FROM migrate.history() WHERE is_base), 1::bigint, 'one row is a base');

-- targets and plans
SELECT throws_ok($$SELECT * FROM migrate.plan('head')$$, '21000', NULL, 'head is ambiguous');
SELECT is((SELECT count(*) FROM migrate.plan('r10000')), 9998::bigint,
          'a plan to the tip: all but the two unneeded revisions of the dangling branch');
SELECT ok((SELECT max(step) FILTER (WHERE revision = 'r05003') < min(step) FILTER (WHERE revision = 'r07000')
             FROM migrate.plan('r10000')),
          'the dependency comes before its dependent');
SELECT is((SELECT count(*) FROM migrate.plan('heads')), 10000::bigint, 'a plan to heads covers everything');
SELECT results_eq($$SELECT * FROM migrate.resolve('side@head')$$, ARRAY['r05005'], '<label>@head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('r00001+3001')$$, '21000', NULL, '<id>+N stops at a fork');
SELECT results_eq($$SELECT * FROM migrate.resolve('r03011+1989')$$, ARRAY['r05000'], '<id>+N over a long run');
SELECT results_eq($$SELECT * FROM migrate.resolve('r10000-1993')$$, ARRAY['r08007'], '<id>-N back to a merge');
SELECT throws_ok($$SELECT * FROM migrate.resolve('r10000-1994')$$, '21000', NULL, 'and not through it');
SELECT throws_ok($$SELECT * FROM migrate.resolve('r0999')$$, '42P09', NULL, 'an ambiguous prefix among 10,000');
SELECT throws_ok($$SELECT * FROM migrate.resolve('r099')$$, '42P09', NULL, 'a very ambiguous prefix');
SELECT is(err($$SELECT * FROM migrate.resolve('r099')$$),
          E'42P09\nrevision prefix "r099" is ambiguous\n'
          'It matches 100 revisions: r09900, r09901, r09902, r09903, r09904, r09905, r09906, r09907, r09908, r09909, ...\n'
          'Give more characters of the id.',
          'it shows the first ten candidates by id, whatever the order of registration');

-- half of it applied
INSERT INTO migrate.applied (revision, checksum) SELECT id, checksum FROM migrate.revision WHERE id <= 'r05000';
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['r05000'], 'current()');
SELECT results_eq($$SELECT pending, applied, registered, errors, warnings FROM migrate.status()$$,
                  $$VALUES (5000, 5000, 10000, 0, 1)$$, 'status() counts');
SELECT is((SELECT count(*) FROM migrate.plan('r10000')), 4998::bigint, 'the plan skips what is applied');
SELECT is((SELECT revision FROM migrate.plan('r10000') WHERE step = 1), 'r05001',
          'starting with the dependency''s branch');
SELECT results_eq($$SELECT revision FROM migrate.plan('-1', 'down')$$, ARRAY['r05000'], '-1');
SELECT is((SELECT count(*) FROM migrate.plan('r04000', 'down')), 1000::bigint, 'downgrade 1,000 revisions');
SELECT is((SELECT string_agg(revision, ',') FROM (SELECT revision FROM migrate.plan('r04000', 'down') LIMIT 3) s),
          'r05000,r04999,r04998', 'newest first');
SELECT is((SELECT count(*) FROM migrate.plan('base', 'down')), 5000::bigint, 'downgrade everything');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+1')$$, '21000', NULL, '+1 at a fork is ambiguous');
SELECT results_eq($$SELECT * FROM migrate.resolve('side@+1')$$, ARRAY['r05001'], '<label>@+1 picks the branch');

-- a hole in the middle
SELECT is(migrate.remove('r09000'), 'r09000', 'remove one unapplied revision');
SELECT results_eq($$SELECT severity, code, revision FROM migrate.validate()$$,
                  $$VALUES ('error', 'missing_parent', 'r09001'), ('warning', 'multiple_heads', NULL)$$,
                  'validate() sees the hole and a third head');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['r05005', 'r08999', 'r10000'], 'r08999 is a head now');

SELECT * FROM finish();
ROLLBACK;
