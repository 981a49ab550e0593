\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Where a differential test against Alembic's RevisionMap found migrate
-- different (issue 14): current() as Alembic's version table (a revision
-- another applied revision depends on is not current), <label>@-N on an
-- unapplied branch, <label>@+N above a merge of applied parents.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(13);

CREATE FUNCTION apply(VARIADIC ids text[]) RETURNS void LANGUAGE sql AS $f$
    INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = ANY (ids)
$f$;
CREATE FUNCTION unapply(VARIADIC ids text[]) RETURNS void LANGUAGE sql AS $f$
    DELETE FROM migrate.applied WHERE revision = ANY (ids)
$f$;

-- 1. a depends_on chain: x1 - x2, y1 - y2 - y3, y3 depends on x2
SELECT FROM migrate.add('x1', 'SELECT 1', 'SELECT 1', branch_labels => '{xs}');
SELECT FROM migrate.add('x2', 'SELECT 1', 'SELECT 1', '{x1}');
SELECT FROM migrate.add('y1', 'SELECT 1', 'SELECT 1', branch_labels => '{ys}');
SELECT FROM migrate.add('y2', 'SELECT 1', 'SELECT 1', '{y1}');
SELECT FROM migrate.add('y3', 'SELECT 1', 'SELECT 1', '{y2}', depends_on => '{x2}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('y3')$$, ARRAY['x1', 'x2', 'y1', 'y2', 'y3'],
                  'upgrade to y3 applies its dependency first');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['y3'],
                  'x2 is not current: y3 depends on it (Alembic''s version table holds y3 only)');
SELECT results_eq($$SELECT revision FROM migrate.plan('-1', 'down')$$, ARRAY['y3'], '-1 reverts y3');
SELECT is((SELECT current FROM migrate.status()), ARRAY['y3'], 'status() agrees');
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE is_current$$, ARRAY['y3'], 'history() agrees');
SELECT unapply('y3');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['x2', 'y2'], 'after reverting y3 both are current');
SELECT throws_ok($$SELECT * FROM migrate.plan('-1', 'down')$$, '21000', NULL, 'and -1 is ambiguous again');
SELECT results_eq($$SELECT * FROM migrate.resolve('ys@+1')$$, ARRAY['y3'], 'ys@+1 goes to y3');
SELECT unapply('x1', 'x2', 'y1', 'y2');
DELETE FROM migrate.run_step; DELETE FROM migrate.run;
DELETE FROM migrate.revision;

-- 2. a label above a merge whose parents are both applied: a - (b1, b2) - m (label top)
SELECT FROM migrate.add('a', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('b1', 'SELECT 1', 'SELECT 1', '{a}');
SELECT FROM migrate.add('b2', 'SELECT 1', 'SELECT 1', '{a}');
SELECT FROM migrate.add('m', 'SELECT 1', 'SELECT 1', '{b1,b2}', branch_labels => '{top}');
SELECT FROM migrate.add('n', 'SELECT 1', 'SELECT 1', '{m}');
SELECT apply('a', 'b1', 'b2');
SELECT results_eq($$SELECT * FROM migrate.resolve('top@+1')$$, ARRAY['m'],
                  '<label>@+1 above a merge of applied parents goes to the merge');
SELECT results_eq($$SELECT * FROM migrate.resolve('top@+2')$$, ARRAY['n'], '<label>@+2 goes on past it');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+1')$$, '21000', NULL, 'a plain +1 stays ambiguous');
SELECT unapply('a', 'b1', 'b2');
DELETE FROM migrate.revision;

-- 3. a label on an unapplied branch: t1 - t2 - f1 (label feat) - f2
SELECT FROM migrate.add('t1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('t2', 'SELECT 1', 'SELECT 1', '{t1}');
SELECT FROM migrate.add('f1', 'SELECT 1', 'SELECT 1', '{t2}', branch_labels => '{feat}');
SELECT FROM migrate.add('f2', 'SELECT 1', 'SELECT 1', '{f1}');
SELECT apply('t1', 't2');
SELECT throws_ok($$SELECT * FROM migrate.plan('feat@-1', 'down')$$, '55000',
                 'target "feat@-1": nothing of branch "feat" is applied',
                 '<label>@-1 with nothing of the branch applied is an error, not a step on the trunk');
SELECT apply('f1');
SELECT results_eq($$SELECT revision FROM migrate.plan('feat@-1', 'down')$$, ARRAY['f1'],
                  'with its first revision applied it steps back within the branch');
SELECT unapply('t1', 't2', 'f1');

SELECT * FROM finish();
ROLLBACK;
