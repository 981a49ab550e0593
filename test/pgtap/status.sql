\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- current(), heads(), bases(), history() and status().  Applied state and
-- runs are written directly: the apply engine is tested elsewhere.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(57);

CREATE FUNCTION reset() RETURNS void LANGUAGE sql AS $f$
    DELETE FROM migrate.applied;
    DELETE FROM migrate.revision;
$f$;
CREATE FUNCTION apply(VARIADIC ids text[]) RETURNS void LANGUAGE sql AS $f$
    INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = ANY (ids)
$f$;

--------------------------------------------------------------------------
-- nothing registered
--------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM migrate.current()$$, 'current() of an empty catalog');
SELECT is_empty($$SELECT * FROM migrate.heads()$$, 'heads() of an empty catalog');
SELECT is_empty($$SELECT * FROM migrate.bases()$$, 'bases() of an empty catalog');
SELECT is_empty($$SELECT * FROM migrate.history()$$, 'history() of an empty catalog');
SELECT results_eq($$SELECT current, heads, at_head, pending, applied, registered, errors, warnings,
                           last_run_id, last_run_kind, last_run_status, last_run_at, last_run_error
                      FROM migrate.status()$$,
                  $$VALUES ('{}'::text[], '{}'::text[], false, 0, 0, 0, 0, 0,
                            NULL::bigint, NULL::text, NULL::text, NULL::timestamptz, NULL::text)$$,
                  'status() of an empty catalog');

--------------------------------------------------------------------------
-- a fork and a merge, registered out of order:
--   a0 - x1 - x2 --\
--     \- y1 - y2 - m(y2, x2) - n
--------------------------------------------------------------------------
SELECT FROM migrate.add('n', 'SELECT 1', 'SELECT 1', '{m}', message => 'after the merge');
SELECT FROM migrate.add('x2', 'SELECT 1', 'SELECT 1', '{x1}');
SELECT FROM migrate.add('m', 'SELECT 1', 'SELECT 1', '{y2,x2}', message => 'merge');
SELECT FROM migrate.add('y1', 'SELECT 1', 'SELECT 1', '{a0}', branch_labels => '{ybranch}');
SELECT FROM migrate.add('a0', 'SELECT 1', 'SELECT 1', message => 'base', source => 'm/a0_base.sql');
SELECT FROM migrate.add('x1', 'SELECT 1', NULL, '{a0}', depends_on => '{y1}', transactional => false);
SELECT FROM migrate.add('y2', 'SELECT 1', 'SELECT 1', '{y1}');

SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['n'], 'one head');
SELECT results_eq($$SELECT * FROM migrate.bases()$$, ARRAY['a0'], 'one base');
SELECT is_empty($$SELECT * FROM migrate.current()$$, 'nothing current');
SELECT results_eq($$SELECT revision FROM migrate.history()$$,
                  ARRAY['a0', 'y1', 'y2', 'x1', 'x2', 'm', 'n'],
                  'history: base first, parents in declared order, each branch contiguous');
SELECT results_eq($$SELECT revision FROM migrate.history()$$, $$SELECT revision FROM migrate.history()$$,
                  'history is the same on every call');
SELECT results_eq(
    $$SELECT revision, down_revision, message, applied, applied_at, is_head, is_current, is_base,
             branch_labels, depends_on, transactional, reversible, source
        FROM migrate.history() WHERE revision IN ('a0', 'x1', 'm')$$,
    $$VALUES ('a0', '{}'::text[], 'base', false, NULL::timestamptz, false, false, true,
              '{}'::text[], '{}'::text[], true, true, 'm/a0_base.sql'),
             ('x1', '{a0}', NULL, false, NULL, false, false, false, '{}', '{y1}', false, false, NULL),
             ('m', '{y2,x2}', 'merge', false, NULL, false, false, false, '{}', '{}', true, true, NULL)$$,
    'history columns');
SELECT results_eq($$SELECT pg_typeof(down_revision)::text, pg_typeof(applied)::text,
                           pg_typeof(applied_at)::text, pg_typeof(is_head)::text,
                           pg_typeof(registered_at)::text
                      FROM migrate.history() LIMIT 1$$,
                  $$VALUES ('text[]', 'boolean', 'timestamp with time zone', 'boolean',
                            'timestamp with time zone')$$,
                  'history column types');
SELECT ok((SELECT bool_and(registered_at IS NOT NULL) FROM migrate.history()), 'registered_at is set');
SELECT results_eq($$SELECT current, heads, at_head, pending, applied, registered, errors, warnings
                      FROM migrate.status()$$,
                  $$VALUES ('{}'::text[], '{n}'::text[], false, 7, 0, 7, 0, 0)$$,
                  'status() with nothing applied');

-- the same catalog registered in another order gives the same history
SELECT reset();
SELECT FROM migrate.add('a0', 'SELECT 1', 'SELECT 1', message => 'base', source => 'm/a0_base.sql');
SELECT FROM migrate.add('y2', 'SELECT 1', 'SELECT 1', '{y1}');
SELECT FROM migrate.add('y1', 'SELECT 1', 'SELECT 1', '{a0}', branch_labels => '{ybranch}');
SELECT FROM migrate.add('m', 'SELECT 1', 'SELECT 1', '{y2,x2}', message => 'merge');
SELECT FROM migrate.add('x1', 'SELECT 1', NULL, '{a0}', depends_on => '{y1}', transactional => false);
SELECT FROM migrate.add('n', 'SELECT 1', 'SELECT 1', '{m}', message => 'after the merge');
SELECT FROM migrate.add('x2', 'SELECT 1', 'SELECT 1', '{x1}');
SELECT results_eq($$SELECT revision FROM migrate.history()$$,
                  ARRAY['a0', 'y1', 'y2', 'x1', 'x2', 'm', 'n'],
                  'history does not depend on the order of registration');
-- a replaced revision moves in the heap, not in history
SELECT FROM migrate.add('y1', 'SELECT 2', 'SELECT 1', '{a0}', branch_labels => '{ybranch}');
SELECT results_eq($$SELECT revision FROM migrate.history()$$,
                  ARRAY['a0', 'y1', 'y2', 'x1', 'x2', 'm', 'n'],
                  'nor on updates to the catalog');

-- applied state
SELECT apply('a0', 'y1', 'y2');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['y2'], 'current() is the applied tip');
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE applied$$, ARRAY['a0', 'y1', 'y2'],
                  'history marks what is applied');
SELECT ok((SELECT bool_and((applied_at IS NOT NULL) = applied) FROM migrate.history()),
          'applied_at is set exactly for applied revisions');
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE is_current$$, ARRAY['y2'], 'is_current');
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE is_head$$, ARRAY['n'], 'is_head');
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE is_base$$, ARRAY['a0'], 'is_base');
SELECT results_eq($$SELECT current, heads, at_head, pending, applied, registered
                      FROM migrate.status()$$,
                  $$VALUES ('{y2}'::text[], '{n}'::text[], false, 4, 3, 7)$$,
                  'status() partly applied');
SELECT apply('x1');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['x1', 'y2'], 'one current revision per applied branch');
SELECT is((SELECT current FROM migrate.status()), '{x1,y2}'::text[], 'status() lists both');
SELECT apply('x2', 'm', 'n');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['n'], 'after the merge, one current revision');
SELECT results_eq($$SELECT current, heads, at_head, pending, applied, registered
                      FROM migrate.status()$$,
                  $$VALUES ('{n}'::text[], '{n}'::text[], true, 0, 7, 7)$$,
                  'status() at head');
SELECT is((SELECT count(*) FROM migrate.status()), 1::bigint, 'status() is one row');

-- a revision recorded as applied but not registered
INSERT INTO migrate.applied (revision, checksum) VALUES ('ghost', NULL);
SELECT results_eq($$SELECT revision FROM migrate.history()$$,
                  ARRAY['a0', 'y1', 'y2', 'x1', 'x2', 'm', 'n', 'ghost'],
                  'history lists it last');
SELECT results_eq($$SELECT applied, is_head, is_base, transactional, reversible, registered_at
                      FROM migrate.history() WHERE revision = 'ghost'$$,
                  $$VALUES (true, false, false, NULL::boolean, NULL::boolean, NULL::timestamptz)$$,
                  'as applied, neither head nor base, with nothing known about it');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['n'], 'it is no head');
SELECT results_eq($$SELECT applied, registered, pending, errors FROM migrate.status()$$,
                  $$VALUES (8, 7, 0, 1)$$, 'status() counts it as applied and as an error');
INSERT INTO migrate.applied (revision, checksum) VALUES ('zz_ghost', NULL), ('aa_ghost', NULL);
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE NOT coalesce(transactional, false) AND reversible IS NULL$$,
                  ARRAY['aa_ghost', 'ghost', 'zz_ghost'],
                  'several of them come by id, not in the order they were recorded');
DELETE FROM migrate.applied WHERE revision IN ('ghost', 'zz_ghost', 'aa_ghost');

--------------------------------------------------------------------------
-- several heads and bases: sorted by id, byte order
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('k0', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('kb', 'SELECT 1', 'SELECT 1', '{k0}');
SELECT FROM migrate.add('k1', 'SELECT 1', 'SELECT 1', '{k0}');
SELECT FROM migrate.add('ka', 'SELECT 1', 'SELECT 1', '{k1}');
SELECT FROM migrate.add('Zed', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('Zed2', 'SELECT 1', 'SELECT 1', '{Zed}');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['Zed2', 'ka', 'kb'], 'heads() sorted by id');
SELECT results_eq($$SELECT * FROM migrate.bases()$$, ARRAY['Zed', 'k0'], 'bases() sorted by id');
SELECT results_eq($$SELECT revision FROM migrate.history()$$,
                  ARRAY['Zed', 'Zed2', 'k0', 'k1', 'ka', 'kb'],
                  'history walks the heads in id order');
SELECT apply('k0', 'k1', 'kb', 'Zed');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['Zed', 'k1', 'kb'], 'current() sorted by id');
SELECT results_eq($$SELECT current, heads, at_head, pending FROM migrate.status()$$,
                  $$VALUES ('{Zed,k1,kb}'::text[], '{Zed2,ka,kb}'::text[], false, 2)$$,
                  'status() with several heads');
SELECT apply('ka', 'Zed2');
SELECT results_eq($$SELECT at_head, pending, warnings FROM migrate.status()$$,
                  $$VALUES (true, 0, 2)$$, 'at_head when every head is applied');

--------------------------------------------------------------------------
-- the last run in status()
--------------------------------------------------------------------------
SELECT results_eq($$SELECT last_run_id, last_run_kind, last_run_status, last_run_at, last_run_error
                      FROM migrate.status()$$,
                  $$VALUES (NULL::bigint, NULL::text, NULL::text, NULL::timestamptz, NULL::text)$$,
                  'no run yet');
INSERT INTO migrate.run (kind, target, status, started_at, finished_at)
    VALUES ('upgrade', 'head', 'succeeded', '2025-01-01 10:00+00', '2025-01-01 10:01+00')
    RETURNING id AS run1 \gset
SELECT results_eq($$SELECT last_run_id, last_run_kind, last_run_status, last_run_at, last_run_error
                      FROM migrate.status()$$,
                  format($$VALUES (%s::bigint, 'upgrade', 'succeeded', '2025-01-01 10:01+00'::timestamptz, NULL::text)$$, :run1),
                  'a succeeded run');
INSERT INTO migrate.run_log (kind, target, status, started_at, finished_at,
                         error_revision, error_sqlstate, error_message)
    VALUES ('downgrade', '-1', 'failed', '2025-01-02 10:00+00', NULL, 'kb', '42P01', 'relation "x" does not exist')
    RETURNING id AS run2 \gset
SELECT results_eq($$SELECT last_run_id, last_run_kind, last_run_status, last_run_at, last_run_error
                      FROM migrate.status()$$,
                  format($$VALUES (%s::bigint, 'downgrade', 'failed', '2025-01-02 10:00+00'::timestamptz,
                                   'kb: 42P01 relation "x" does not exist')$$, :run2),
                  'a failed run, its start time and its error');
INSERT INTO migrate.run_log (kind, target, status, error_message) VALUES ('upgrade', 'head', 'failed', 'boom')
    RETURNING id AS run3 \gset
SELECT results_eq($$SELECT last_run_id, last_run_error FROM migrate.status()$$,
                  format($$VALUES (%s::bigint, 'boom')$$, :run3),
                  'a failed run without revision or SQLSTATE');

--------------------------------------------------------------------------
-- the status functions see the caller's snapshot and change nothing
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('s1', 'SELECT 1', 'SELECT 1');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['s1'], 'sees an uncommitted add of its own transaction');
SELECT is((SELECT count(*) FROM migrate.history()), 1::bigint, 'history too');
SAVEPOINT sp;
SELECT FROM migrate.add('s2', 'SELECT 1', 'SELECT 1', '{s1}');
ROLLBACK TO SAVEPOINT sp;
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['s1'], 'and not a rolled back one');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'migrate.history(text)'::regprocedure), 's',
          'history() is STABLE');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'migrate.status(text)'::regprocedure), 's',
          'status() is STABLE');
SELECT is_empty($$SELECT * FROM migrate.current()$$, 'current() is empty with nothing applied');
SELECT isnt_empty($$SELECT * FROM migrate.history() h, migrate.heads() x WHERE h.revision = x$$,
                  'set functions compose in FROM');
SELECT is(ARRAY(SELECT migrate.heads()), ARRAY['s1'], 'SETOF text in the select list');
SELECT is((migrate.status()).registered, 1, 'status() as a composite value');
SELECT is((SELECT count(*) FROM migrate.history() WHERE is_head AND is_base), 1::bigint,
          'a single revision is head and base');
SELECT is((SELECT count(*) FROM migrate.bases()), 1::bigint, 'bases() of a single revision');
SELECT is((SELECT count(*) FROM migrate.run), 3::bigint, 'reading changed no run');
SELECT is((SELECT count(*) FROM migrate.applied), 0::bigint, 'nor the applied state');
SELECT is((SELECT count(*) FROM migrate.revision), 1::bigint, 'nor the revisions');

SELECT * FROM finish();
ROLLBACK;
