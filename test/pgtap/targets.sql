\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Targets (migrate.resolve) and the plans they yield (migrate.plan).
-- Applied state is written directly into migrate.applied: the apply engine
-- is tested elsewhere.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(148);

-- sqlstate, message, detail and hint of an error, one per line
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

CREATE FUNCTION apply(VARIADIC ids text[]) RETURNS void LANGUAGE sql AS $f$
    INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = ANY (ids)
$f$;

--------------------------------------------------------------------------
-- nothing registered
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM migrate.resolve('head')$$, '42704', NULL, 'head with nothing registered');
SELECT throws_ok($$SELECT * FROM migrate.resolve('heads')$$, '42704', NULL, 'heads with nothing registered');
SELECT is_empty($$SELECT * FROM migrate.resolve('base')$$, 'base with nothing registered');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+1')$$, '42704', NULL, '+1 with nothing registered');
SELECT throws_ok($$SELECT * FROM migrate.resolve('abc')$$, '42704', NULL, 'an id with nothing registered');

--------------------------------------------------------------------------
-- a linear chain: ae1000 - ae2000 (irreversible) - b71000 - b72000 - c-1 - c-1-2
--------------------------------------------------------------------------
SELECT FROM migrate.add('ae1000', 'SELECT 1', 'SELECT 1', message => 'one');
SELECT FROM migrate.add('ae2000', 'SELECT 2', NULL, '{ae1000}', message => 'two');
SELECT FROM migrate.add('b71000', 'SELECT 3', 'SELECT 3', '{ae2000}', message => 'three');
SELECT FROM migrate.add('b72000', 'SELECT 4', 'SELECT 4', '{b71000}', message => 'four');
SELECT FROM migrate.add('c-1', 'SELECT 5', 'SELECT 5', '{b72000}', message => 'five');
SELECT FROM migrate.add('c-1-2', 'SELECT 6', 'SELECT 6', '{c-1}', message => 'six', transactional => false);

SELECT results_eq($$SELECT * FROM migrate.resolve('head')$$, ARRAY['c-1-2'], 'head');
SELECT results_eq($$SELECT * FROM migrate.resolve('heads')$$, ARRAY['c-1-2'], 'heads');
SELECT is_empty($$SELECT * FROM migrate.resolve('base')$$, 'base names no revision');
SELECT results_eq($$SELECT * FROM migrate.resolve('b71000')$$, ARRAY['b71000'], 'full id');
SELECT results_eq($$SELECT * FROM migrate.resolve('b71')$$, ARRAY['b71000'], 'unique prefix');
SELECT results_eq($$SELECT * FROM migrate.resolve('ae1')$$, ARRAY['ae1000'], 'another unique prefix');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae')$$, '42P09', NULL, 'ambiguous prefix');
SELECT is(err($$SELECT * FROM migrate.resolve('ae')$$),
          E'42P09\nrevision prefix "ae" is ambiguous\nIt matches 2 revisions: ae1000, ae2000.\nGive more characters of the id.',
          'the ambiguous prefix error lists the candidates');
SELECT throws_ok($$SELECT * FROM migrate.resolve('b7')$$, '42P09', NULL, 'another ambiguous prefix');
SELECT throws_ok($$SELECT * FROM migrate.resolve('zz9')$$, '42704', NULL, 'unknown id');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1__0')$$, '42704', NULL, 'a prefix is not a LIKE pattern');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1%')$$, '22023', NULL, '% is no id character');
SELECT throws_ok($$SELECT * FROM migrate.resolve('HEAD')$$, '42704', NULL, 'target words are lower case');
SELECT throws_ok($$SELECT * FROM migrate.resolve('b71000x')$$, '42704', NULL, 'longer than any id');

-- ids containing "-": the exact id wins over a relative reading
SELECT results_eq($$SELECT * FROM migrate.resolve('c-1')$$, ARRAY['c-1'], 'exact id c-1, not c minus 1');
SELECT results_eq($$SELECT * FROM migrate.resolve('c-1-2')$$, ARRAY['c-1-2'], 'exact id c-1-2, not c-1 minus 2');
SELECT results_eq($$SELECT * FROM migrate.resolve('c-1-1')$$, ARRAY['b72000'], 'c-1-1 is c-1 minus 1');
SELECT results_eq($$SELECT * FROM migrate.resolve('c-1+1')$$, ARRAY['c-1-2'], 'c-1+1');
SELECT results_eq($$SELECT * FROM migrate.resolve('c-1-2-3')$$, ARRAY['b71000'], 'c-1-2-3');

-- <id>+N, <id>-N, also from a prefix
SELECT results_eq($$SELECT * FROM migrate.resolve('ae1000+2')$$, ARRAY['b71000'], '<id>+N');
SELECT results_eq($$SELECT * FROM migrate.resolve('ae1+2')$$, ARRAY['b71000'], '<prefix>+N');
SELECT results_eq($$SELECT * FROM migrate.resolve('b72000-2')$$, ARRAY['ae2000'], '<id>-N');
SELECT results_eq($$SELECT * FROM migrate.resolve('ae1000+5')$$, ARRAY['c-1-2'], '<id>+N up to the head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1000+6')$$, '22023', NULL, '<id>+N past the head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae2000-2')$$, '22023', NULL, '<id>-N past the base');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae+1')$$, '42P09', NULL, '<ambiguous prefix>+N');
SELECT throws_ok($$SELECT * FROM migrate.resolve('zz+1')$$, '42704', NULL, '<unknown>+N');

-- +N with nothing applied starts at the unique base
SELECT results_eq($$SELECT * FROM migrate.resolve('+1')$$, ARRAY['ae1000'], '+1 from nothing is the base');
SELECT results_eq($$SELECT * FROM migrate.resolve('+2')$$, ARRAY['ae2000'], '+2 from nothing');
SELECT results_eq($$SELECT * FROM migrate.resolve('+6')$$, ARRAY['c-1-2'], '+6 from nothing is the head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+7')$$, '22023', NULL, '+7 goes past the head');
SELECT throws_ok($$SELECT * FROM migrate.plan('-1', 'down')$$, '22023', NULL, '-1 with nothing applied');

-- malformed targets
SELECT throws_ok($$SELECT * FROM migrate.resolve('')$$, '22023', NULL, 'empty target');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+')$$, '22023', NULL, '+ alone');
SELECT throws_ok($$SELECT * FROM migrate.resolve('-')$$, '22023', NULL, '- alone');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+-1')$$, '22023', NULL, '+-1');
SELECT throws_ok($$SELECT * FROM migrate.resolve('++1')$$, '22023', NULL, '++1');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+1x')$$, '22023', NULL, '+1x');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+ 1')$$, '22023', NULL, '+ 1');
SELECT throws_ok($$SELECT * FROM migrate.resolve('@')$$, '22023', NULL, '@ alone');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head@')$$, '22023', NULL, 'head@');
SELECT throws_ok($$SELECT * FROM migrate.resolve('@head')$$, '22023', NULL, '@head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('a@b@c')$$, '22023', NULL, 'a@b@c');
SELECT throws_ok($$SELECT * FROM migrate.resolve('-0')$$, '22023', NULL, '-0');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+0')$$, '22023', NULL, '+0');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1000+0')$$, '22023', NULL, '<id>+0');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1000+')$$, '22023', NULL, '<id>+');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1000+x')$$, '22023', NULL, '<id>+x');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+99999999999999999999')$$, '22003', NULL, '+N out of range');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+2147483648')$$, '22003', NULL, '+N just out of range');
SELECT throws_ok($$SELECT * FROM migrate.plan('-99999999999999999999', 'down')$$, '22003', NULL, '-N out of range');
SELECT throws_ok($$SELECT * FROM migrate.resolve('ae1000+99999999999999999999')$$, '22003', NULL, '<id>+N out of range');
SELECT throws_ok(format('SELECT * FROM migrate.resolve(%L)', repeat('a', 300)), '22023', NULL, 'a very long target');
-- injection attempts are plain malformed targets
SELECT throws_ok($$SELECT * FROM migrate.resolve($t$'; DROP TABLE migrate.revision; --$t$)$$, '22023', NULL, 'quote injection');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head; DROP TABLE migrate.revision')$$, '22023', NULL, 'statement injection');
SELECT throws_ok($$SELECT * FROM migrate.resolve($t$ae1000' OR '1'='1$t$)$$, '22023', NULL, 'OR injection');
SELECT throws_ok($$SELECT * FROM migrate.resolve(E'ae1000\n')$$, '22023', NULL, 'trailing newline');
SELECT has_table('migrate', 'revision', 'the catalog survived');
-- NULLs, direction
SELECT throws_ok($$SELECT * FROM migrate.resolve(NULL)$$, '22004', NULL, 'NULL target (resolve)');
SELECT throws_ok($$SELECT * FROM migrate.plan(NULL)$$, '22004', NULL, 'NULL target (plan)');
SELECT throws_ok($$SELECT * FROM migrate.plan('head', NULL)$$, '22004', NULL, 'NULL direction');
SELECT throws_ok($$SELECT * FROM migrate.plan('head', 'sideways')$$, '22023', NULL, 'direction sideways');
SELECT throws_ok($$SELECT * FROM migrate.plan('head', '')$$, '22023', NULL, 'empty direction');
SELECT results_eq($$SELECT count(*)::int FROM migrate.plan('head', 'UP')$$, ARRAY[6], 'direction is case-insensitive');

-- upgrade plans from nothing
SELECT results_eq($$SELECT step, revision, direction, message, transactional FROM migrate.plan()$$,
                  $$VALUES (1, 'ae1000', 'up', 'one', true), (2, 'ae2000', 'up', 'two', true),
                           (3, 'b71000', 'up', 'three', true), (4, 'b72000', 'up', 'four', true),
                           (5, 'c-1', 'up', 'five', true), (6, 'c-1-2', 'up', 'six', false)$$,
                  'plan() defaults to head, up, with every column');
SELECT results_eq($$SELECT revision FROM migrate.plan('b71')$$, ARRAY['ae1000', 'ae2000', 'b71000'],
                  'plan to a prefix');
SELECT is_empty($$SELECT * FROM migrate.plan('base')$$, 'plan to base upward is empty');
SELECT is_empty($$SELECT * FROM migrate.plan('base', 'down')$$, 'plan to base downward with nothing applied');
SELECT throws_ok($$SELECT * FROM migrate.plan('b71000', 'down')$$, '55000', NULL, 'downgrade to an unapplied revision');

--------------------------------------------------------------------------
-- three applied: ae1000, ae2000, b71000
--------------------------------------------------------------------------
SELECT apply('ae1000', 'ae2000', 'b71000');
SELECT results_eq($$SELECT * FROM migrate.resolve('+1')$$, ARRAY['b72000'], '+1 from the current revision');
SELECT results_eq($$SELECT * FROM migrate.resolve('+3')$$, ARRAY['c-1-2'], '+3 from the current revision');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+4')$$, '22023', NULL, '+4 goes past the head');
SELECT results_eq($$SELECT revision FROM migrate.plan('+2')$$, ARRAY['b72000', 'c-1'], 'plan +2');
SELECT results_eq($$SELECT revision FROM migrate.plan('head')$$, ARRAY['b72000', 'c-1', 'c-1-2'],
                  'plan to head skips what is applied');
SELECT is_empty($$SELECT * FROM migrate.plan('ae2000')$$, 'plan to an applied revision is empty');
SELECT results_eq($$SELECT revision, direction FROM migrate.plan('-1', 'down')$$,
                  $$VALUES ('b71000', 'down')$$, '-1 reverts the current revision');
SELECT throws_ok($$SELECT * FROM migrate.plan('-2', 'down')$$, '55000', NULL,
                 '-2 would revert the irreversible ae2000');
SELECT matches(err($$SELECT * FROM migrate.plan('-2', 'down')$$), 'ae2000.*irreversible',
               'the error names the irreversible revision');
SELECT throws_ok($$SELECT * FROM migrate.plan('base', 'down')$$, '55000', NULL, 'base crosses it too');
SELECT throws_ok($$SELECT * FROM migrate.plan('-4', 'down')$$, '22023', NULL, '-4 goes past base');
SELECT results_eq($$SELECT revision FROM migrate.plan('ae2000', 'down')$$, ARRAY['b71000'],
                  'downgrade to an id reverts its descendants');
SELECT is_empty($$SELECT * FROM migrate.plan('b71000', 'down')$$, 'downgrade to the current revision is empty');
SELECT throws_ok($$SELECT * FROM migrate.plan('c-1', 'down')$$, '55000', NULL, 'downgrade to an unapplied revision');
SELECT throws_ok($$SELECT * FROM migrate.plan('+1', 'down')$$, '22023', NULL, '+1 is no downgrade target');
SELECT throws_ok($$SELECT * FROM migrate.plan('-1', 'up')$$, '22023', NULL, '-1 is no upgrade target');
SELECT throws_ok($$SELECT * FROM migrate.resolve('-1')$$, '22023', NULL, 'resolve reads targets as upgrade targets');
SELECT results_eq($$SELECT * FROM migrate.resolve('ae1000+1')$$, ARRAY['ae2000'], '<id>+N does not depend on the applied state');

--------------------------------------------------------------------------
-- two labelled branches from c-1-2: feature (fa1, fa2), main (ma1, ma2)
--------------------------------------------------------------------------
SELECT FROM migrate.add('fa1', 'SELECT 1', 'SELECT 1', '{c-1-2}', branch_labels => '{feature}');
SELECT FROM migrate.add('fa2', 'SELECT 1', 'SELECT 1', '{fa1}');
SELECT FROM migrate.add('ma1', 'SELECT 1', 'SELECT 1', '{c-1-2}', branch_labels => '{main}');
SELECT FROM migrate.add('ma2', 'SELECT 1', 'SELECT 1', '{ma1}');

SELECT throws_ok($$SELECT * FROM migrate.resolve('head')$$, '21000', NULL, 'head with two heads');
SELECT is(err($$SELECT * FROM migrate.resolve('head')$$),
          E'21000\ntarget "head" is ambiguous: there are 2 heads\nThe heads are fa2, ma2.\n'
          'Use ''heads'' to go to every head, ''<label>@head'' for one branch, or add a merge revision.',
          'the error lists both heads and suggests heads and <label>@head');
SELECT throws_ok($$SELECT * FROM migrate.plan('head')$$, '21000', NULL, 'plan to head with two heads');
SELECT results_eq($$SELECT * FROM migrate.resolve('heads')$$, ARRAY['fa2', 'ma2'], 'heads');
SELECT results_eq($$SELECT revision FROM migrate.plan('heads')$$,
                  ARRAY['b72000', 'c-1', 'c-1-2', 'fa1', 'fa2', 'ma1', 'ma2'], 'plan to heads');
SELECT results_eq($$SELECT * FROM migrate.resolve('feature@head')$$, ARRAY['fa2'], '<label>@head');
SELECT results_eq($$SELECT * FROM migrate.resolve('main@head')$$, ARRAY['ma2'], 'another <label>@head');
SELECT results_eq($$SELECT revision FROM migrate.plan('main@head')$$,
                  ARRAY['b72000', 'c-1', 'c-1-2', 'ma1', 'ma2'], 'plan to <label>@head');
SELECT results_eq($$SELECT * FROM migrate.resolve('feature@+1')$$, ARRAY['b72000'], '<label>@+1');
SELECT results_eq($$SELECT * FROM migrate.resolve('feature@+4')$$, ARRAY['fa1'], '<label>@+N into the branch');
SELECT results_eq($$SELECT * FROM migrate.resolve('main@+5')$$, ARRAY['ma2'], '<label>@+N to its head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('main@+6')$$, '22023', NULL, '<label>@+N past its head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+4')$$, '21000', NULL, '+N through a fork');
SELECT matches(err($$SELECT * FROM migrate.resolve('+4')$$), 'fa1, ma1', 'the fork error lists the children');
SELECT throws_ok($$SELECT * FROM migrate.resolve('c-1-2+1')$$, '21000', NULL, '<id>+N through a fork');
SELECT throws_ok($$SELECT * FROM migrate.resolve('nolabel@head')$$, '42704', NULL, 'unknown label');
SELECT throws_ok($$SELECT * FROM migrate.resolve('feature@base')$$, '22023', NULL, '<label>@base is a downgrade target');
SELECT throws_ok($$SELECT * FROM migrate.resolve('feature@sideways')$$, '42704', NULL, '<label>@ followed by an unknown revision (<label>@<id>)');
SELECT throws_ok($$SELECT * FROM migrate.resolve('feature@side ways')$$, '22023', NULL, '<label>@ followed by nonsense');
SELECT throws_ok($$SELECT * FROM migrate.resolve('feature@+')$$, '22023', NULL, '<label>@+');
SELECT throws_ok($$SELECT * FROM migrate.resolve('feature@-1')$$, '22023', NULL, '<label>@-N is a downgrade target');
SELECT throws_ok($$SELECT * FROM migrate.plan('feature@+1', 'down')$$, '22023', NULL, '<label>@+N is an upgrade target');
SELECT throws_ok($$SELECT * FROM migrate.resolve('bad label@head')$$, '22023', NULL, 'malformed label');

-- everything applied: two current revisions
SELECT apply('b72000', 'c-1', 'c-1-2', 'fa1', 'fa2', 'ma1', 'ma2');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['fa2', 'ma2'], 'two current revisions');
SELECT throws_ok($$SELECT * FROM migrate.plan('-1', 'down')$$, '21000', NULL, '-1 with two current revisions');
SELECT matches(err($$SELECT * FROM migrate.plan('-1', 'down')$$), 'fa2, ma2', 'the error lists them');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+1')$$, '21000', NULL, '+1 with two current revisions');
SELECT results_eq($$SELECT revision FROM migrate.plan('feature@-1', 'down')$$, ARRAY['fa2'], '<label>@-1');
SELECT results_eq($$SELECT revision FROM migrate.plan('feature@-2', 'down')$$, ARRAY['fa2', 'fa1'], '<label>@-2');
SELECT results_eq($$SELECT revision FROM migrate.plan('feature@base', 'down')$$, ARRAY['fa2', 'fa1'],
                  '<label>@base reverts the branch''s own revisions');
SELECT results_eq($$SELECT revision FROM migrate.plan('main@base', 'down')$$, ARRAY['ma2', 'ma1'],
                  'and only those');
SELECT results_eq($$SELECT revision FROM migrate.plan('c-1-2', 'down')$$, ARRAY['ma2', 'ma1', 'fa2', 'fa1'],
                  'downgrade to the fork point reverts both branches, descendants first');
SELECT is_empty($$SELECT * FROM migrate.plan('heads', 'down')$$, 'downgrade to heads when at heads');
SELECT results_eq($$SELECT revision FROM migrate.plan('fa1', 'down')$$, ARRAY['fa2'], 'downgrade within a branch');

--------------------------------------------------------------------------
-- a merge
--------------------------------------------------------------------------
SELECT FROM migrate.add('mg', 'SELECT 1', 'SELECT 1', '{fa2,ma2}', message => 'merge');
SELECT results_eq($$SELECT * FROM migrate.resolve('head')$$, ARRAY['mg'], 'one head again');
SELECT throws_ok($$SELECT * FROM migrate.resolve('+1')$$, '21000', NULL,
                 '+1 is ambiguous while both parents are current');
SELECT results_eq($$SELECT revision FROM migrate.plan('head')$$, ARRAY['mg'], 'plan to the merge');
SELECT results_eq($$SELECT * FROM migrate.resolve('fa2+1')$$, ARRAY['mg'], '<id>+1 to the merge');
SELECT apply('mg');
SELECT results_eq($$SELECT * FROM migrate.current()$$, ARRAY['mg'], 'the merge is current');
SELECT results_eq($$SELECT revision FROM migrate.plan('-1', 'down')$$, ARRAY['mg'], '-1 reverts the merge');
SELECT throws_ok($$SELECT * FROM migrate.plan('-2', 'down')$$, '21000', NULL,
                 '-2: reverting the merge leaves both parents current');
SELECT throws_ok($$SELECT * FROM migrate.resolve('mg-1')$$, '21000', NULL, '<merge>-1 is ambiguous');
SELECT results_eq($$SELECT revision FROM migrate.plan('feature@-2', 'down')$$, ARRAY['mg', 'fa2'],
                  '<label>@-2 through the merge');
SELECT results_eq($$SELECT revision FROM migrate.plan('ma1', 'down')$$, ARRAY['mg', 'ma2'],
                  'downgrade below one parent takes the merge with it');

--------------------------------------------------------------------------
-- depends_on orders but makes no child
--------------------------------------------------------------------------
SELECT FROM migrate.add('o1', 'SELECT 1', 'SELECT 1', branch_labels => '{other}');
SELECT FROM migrate.add('o2', 'SELECT 1', 'SELECT 1', '{o1}');
SELECT FROM migrate.add('solo', 'SELECT 1', 'SELECT 1', '{mg}', depends_on => '{o2}');
SELECT results_eq($$SELECT * FROM migrate.resolve('heads')$$, ARRAY['o2', 'solo'],
                  'a revision that is depended on stays a head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('o2+1')$$, '22023', NULL, 'and has no child to step to');
SELECT results_eq($$SELECT revision FROM migrate.plan('solo')$$, ARRAY['o1', 'o2', 'solo'],
                  'an upgrade plan brings the dependency first');
SELECT results_eq($$SELECT * FROM migrate.resolve('other@+1')$$, ARRAY['o1'], '<label>@+1 in an unapplied branch');
SELECT apply('o1', 'o2', 'solo');
SELECT results_eq($$SELECT revision FROM migrate.plan('o1', 'down')$$, ARRAY['solo', 'o2'],
                  'downgrade below a dependency reverts its dependents');
SELECT is_empty($$SELECT * FROM migrate.plan('o2', 'down')$$, 'downgrade to the dependency itself keeps them');
SELECT results_eq($$SELECT revision FROM migrate.plan('other@base', 'down')$$, ARRAY['solo', 'o2', 'o1'],
                  '<label>@base reverts the branch and what depends on it');

--------------------------------------------------------------------------
-- a dependency between two labelled branches joins neither branch
--   t1 - a1 (alpha) - a2
--     \- b1 (beta, depends on a2)
--------------------------------------------------------------------------
DELETE FROM migrate.applied;
DELETE FROM migrate.revision;
SELECT FROM migrate.add('t1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('a1', 'SELECT 1', 'SELECT 1', '{t1}', branch_labels => '{alpha}');
SELECT FROM migrate.add('a2', 'SELECT 1', 'SELECT 1', '{a1}');
SELECT FROM migrate.add('b1', 'SELECT 1', 'SELECT 1', '{t1}', branch_labels => '{beta}', depends_on => '{a2}');
SELECT results_eq($$SELECT revision FROM migrate.plan('beta@head')$$, ARRAY['t1', 'a1', 'a2', 'b1'],
                  'upgrading one branch brings its dependency from the other');
SELECT results_eq($$SELECT * FROM migrate.resolve('beta@+2')$$, ARRAY['b1'],
                  '<label>@+N stays on the branch''s own line');
SELECT apply('t1', 'a1', 'a2', 'b1');
SELECT results_eq($$SELECT revision FROM migrate.plan('beta@base', 'down')$$, ARRAY['b1'],
                  '<label>@base reverts only the branch''s own revisions, not the shared base or its dependency');
SELECT results_eq($$SELECT revision FROM migrate.plan('alpha@base', 'down')$$, ARRAY['b1', 'a2', 'a1'],
                  '<label>@base of the depended-on branch reverts its dependents first');
SELECT results_eq($$SELECT revision FROM migrate.plan('alpha@-1', 'down')$$, ARRAY['b1', 'a2'],
                  '<label>@-1 on the depended-on branch takes the dependent along');

SELECT * FROM finish();
ROLLBACK;
