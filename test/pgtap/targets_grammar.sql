\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The rest of Alembic's target grammar (issue 14): a bare branch label,
-- <label>@heads, <id>@head, <label>@<id>, <label>@<id>+N, <label>@head-N,
-- head-N, heads-N, base+N.  Applied state is written directly into
-- migrate.applied, as in targets.sql.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(44);

CREATE FUNCTION err(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE s text; m text; d text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
    RETURN s || E'\n' || m || E'\n' || coalesce(d, '');
END $f$;

CREATE FUNCTION apply(VARIADIC ids text[]) RETURNS void LANGUAGE sql AS $f$
    INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = ANY (ids)
$f$;

-- two labelled branches: a1 - a2 - a3 (alpha), b1 - b2 - b3 - b4 (beta)
SELECT FROM migrate.add('a1', 'SELECT 1', 'SELECT 1', branch_labels => '{alpha}');
SELECT FROM migrate.add('a2', 'SELECT 1', 'SELECT 1', '{a1}');
SELECT FROM migrate.add('a3', 'SELECT 1', 'SELECT 1', '{a2}');
SELECT FROM migrate.add('b1', 'SELECT 1', 'SELECT 1', branch_labels => '{beta}');
SELECT FROM migrate.add('b2', 'SELECT 1', 'SELECT 1', '{b1}');
SELECT FROM migrate.add('b3', 'SELECT 1', 'SELECT 1', '{b2}');
SELECT FROM migrate.add('b4', 'SELECT 1', 'SELECT 1', '{b3}');

-- a bare label
SELECT results_eq($$SELECT * FROM migrate.resolve('alpha')$$, ARRAY['a1'], 'a bare label is the revision that carries it');
SELECT results_eq($$SELECT * FROM migrate.resolve('beta')$$, ARRAY['b1'], 'another bare label');
SELECT results_eq($$SELECT * FROM migrate.plan('beta')$$,
                  $$VALUES (1, 'b1', 'up', NULL::text, true)$$, 'plan to a bare label');

-- <label>@heads, <id>@head
SELECT results_eq($$SELECT * FROM migrate.resolve('alpha@heads')$$, ARRAY['a3'], '<label>@heads');
SELECT results_eq($$SELECT * FROM migrate.resolve('a2@head')$$, ARRAY['a3'], '<id>@head: the head of the branch that contains it');
SELECT results_eq($$SELECT * FROM migrate.resolve('b1@head')$$, ARRAY['b4'], '<id>@head from a base');
SELECT results_eq($$SELECT * FROM migrate.resolve('b2@heads')$$, ARRAY['b4'], '<id>@heads');
SELECT throws_ok($$SELECT * FROM migrate.resolve('a@head')$$, '42P09', NULL, '<prefix>@head: an ambiguous prefix is refused');
SELECT results_eq($$SELECT * FROM migrate.resolve('b3@head')$$, ARRAY['b4'], '<id>@head near the head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('zz@head')$$, '42704', NULL, 'an anchor that is neither a label nor a revision');

-- <label>@<id>, <label>@<id>+N, <label>@<id>-N
SELECT results_eq($$SELECT * FROM migrate.resolve('alpha@a2')$$, ARRAY['a2'], '<label>@<id>');
SELECT results_eq($$SELECT * FROM migrate.resolve('beta@b1+2')$$, ARRAY['b3'], '<label>@<id>+N');
SELECT results_eq($$SELECT * FROM migrate.resolve('beta@b4-2')$$, ARRAY['b2'], '<label>@<id>-N');
SELECT throws_ok($$SELECT * FROM migrate.resolve('alpha@b2')$$, '22023', 'revision "b2" is not on branch "alpha"',
                 '<label>@<id> refuses a revision of another branch');
SELECT throws_ok($$SELECT * FROM migrate.resolve('beta@b3+2')$$, '22023', NULL, '<label>@<id>+N past the head');

-- <label>@head-N
SELECT results_eq($$SELECT * FROM migrate.resolve('beta@head-1')$$, ARRAY['b3'], '<label>@head-1');
SELECT results_eq($$SELECT * FROM migrate.resolve('beta@head-3')$$, ARRAY['b1'], '<label>@head-3');
SELECT throws_ok($$SELECT * FROM migrate.resolve('beta@head-4')$$, '22023', NULL, '<label>@head-N past the base');
SELECT results_eq($$SELECT * FROM migrate.plan('alpha@head-1')$$,
                  $$VALUES (1, 'a1', 'up', NULL::text, true), (2, 'a2', 'up', NULL::text, true)$$,
                  'plan to <label>@head-1');

-- head-N with several heads names them; never "revision "head" is not registered"
SELECT is(err($$SELECT * FROM migrate.resolve('head-1')$$),
          E'21000\ntarget "head-1" is ambiguous: there are 2 heads\nThe heads are a3, b4.',
          'head-N with two heads names them');
SELECT is(err($$SELECT * FROM migrate.resolve('heads-2')$$) LIKE '21000%', true, 'heads-N with two heads');
SELECT is(err($$SELECT * FROM migrate.resolve('base+1')$$) LIKE '21000%is ambiguous%2 bases%', true,
          'base+N with two bases names the ambiguity');

-- merge and a linear tail: m (a3, b4) - n1 - n2
SELECT FROM migrate.add('m', 'SELECT 1', 'SELECT 1', '{a3,b4}');
SELECT FROM migrate.add('n1', 'SELECT 1', 'SELECT 1', '{m}');
SELECT FROM migrate.add('n2', 'SELECT 1', 'SELECT 1', '{n1}');

SELECT results_eq($$SELECT * FROM migrate.resolve('head-1')$$, ARRAY['n1'], 'head-1');
SELECT results_eq($$SELECT * FROM migrate.resolve('head-2')$$, ARRAY['m'], 'head-2');
SELECT results_eq($$SELECT * FROM migrate.resolve('heads-1')$$, ARRAY['n1'], 'heads-1 where there is one head');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head-3')$$, '21000', NULL, 'head-N through a merge is ambiguous');
SELECT results_eq($$SELECT * FROM migrate.resolve('alpha@heads')$$, ARRAY['n2'], '<label>@heads after the merge');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head-0')$$, '22023', NULL, 'head-0 is refused');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head-99999999999')$$, '22003', NULL, 'head-N out of range');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head-9')$$, '21000', NULL, 'head-N beyond the chain stops at the merge');

-- base+N on a single base
SAVEPOINT single_base;
DELETE FROM migrate.revision WHERE id IN ('b1', 'b2', 'b3', 'b4', 'm', 'n1', 'n2');
SELECT results_eq($$SELECT * FROM migrate.resolve('base+1')$$, ARRAY['a1'], 'base+1 is the base');
SELECT results_eq($$SELECT * FROM migrate.resolve('base+3')$$, ARRAY['a3'], 'base+3');
SELECT throws_ok($$SELECT * FROM migrate.resolve('base+4')$$, '22023', NULL, 'base+N past the head');
SELECT throws_ok($$SELECT * FROM migrate.plan('base+1', 'down')$$, '22023', NULL, 'base+N is not a downgrade target');
SELECT results_eq($$SELECT * FROM migrate.plan('base+2')$$,
                  $$VALUES (1, 'a1', 'up', NULL::text, true), (2, 'a2', 'up', NULL::text, true)$$,
                  'plan to base+2 ignores what is applied');
ROLLBACK TO single_base;

-- an exact id that looks like head-N wins; a prefix that does too still works
SAVEPOINT ids;
SELECT FROM migrate.add('head-7', 'SELECT 1', 'SELECT 1', '{n2}');
SELECT FROM migrate.add('head-1xyz', 'SELECT 1', 'SELECT 1', '{head-7}');
SELECT results_eq($$SELECT * FROM migrate.resolve('head-7')$$, ARRAY['head-7'], 'an exact id wins over head-N');
SELECT results_eq($$SELECT * FROM migrate.resolve('head-1x')$$, ARRAY['head-1xyz'], 'a prefix that starts like head-N');
ROLLBACK TO ids;

-- a label wins over an id prefix it also is
SELECT FROM migrate.add('x9', 'SELECT 1', 'SELECT 1', branch_labels => '{n}');
SELECT results_eq($$SELECT * FROM migrate.resolve('n')$$, ARRAY['x9'], 'a bare label wins over the prefix of n1, n2');

-- a step from a word: never "revision "head" is not registered", never a prefix
SAVEPOINT words;
SELECT FROM migrate.add('headline', 'SELECT 1', 'SELECT 1', '{x9}');
SELECT throws_ok($$SELECT * FROM migrate.resolve('head+1')$$, '22023', 'target "head+1" steps beyond "head"',
                 'head+1 steps beyond the head (and is no prefix of headline)');
SELECT throws_ok($$SELECT * FROM migrate.resolve('heads+2')$$, '22023', 'target "heads+2" steps beyond "heads"', 'heads+N too');
SELECT throws_ok($$SELECT * FROM migrate.resolve('base-1')$$, '22023', 'target "base-1" steps beyond "base"', 'base-1 steps below base');
SELECT throws_ok($$SELECT * FROM migrate.plan('alpha@head+1')$$, '22023', NULL, '<label>@head+1 too');
SELECT throws_ok($$SELECT * FROM migrate.history('head+1:')$$, '22023', NULL, 'and as the end of a range');
SELECT results_eq($$SELECT * FROM migrate.resolve('headl')$$, ARRAY['headline'], 'a prefix that starts with a word still works');
ROLLBACK TO words;

SELECT * FROM finish();
ROLLBACK;
