\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Targets through the apply engine: upgrade and downgrade with +N, -N,
-- prefixes, <id>+N, <id>-N, two heads and a merge, and two labelled
-- histories in one database.  (targets.sql resolves the same grammar
-- without running anything.)
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(91);

CREATE FUNCTION cur() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM migrate.current() c $f$;
CREATE FUNCTION applied() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(revision, ',' ORDER BY revision), '') FROM migrate.applied $f$;
-- the tables of the schema, which the bodies create (one per revision)
CREATE FUNCTION tables() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname = 'public' $f$;
CREATE FUNCTION code(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $f$;
-- register revision "id" whose body creates table t_<id>
CREATE FUNCTION rev(id text, parents text[] DEFAULT NULL, labels text[] DEFAULT NULL,
                    deps text[] DEFAULT NULL) RETURNS void LANGUAGE sql AS $f$
    SELECT FROM migrate.add(id, format('CREATE TABLE public.%I (id int)', 't_' || id),
                            format('DROP TABLE public.%I', 't_' || id), parents,
                            branch_labels => labels, depends_on => deps);
$f$;
-- forget every revision (after a downgrade to base)
CREATE FUNCTION forget() RETURNS void LANGUAGE sql AS $f$
    SELECT FROM migrate.stamp('base');
    DELETE FROM migrate.revision;
$f$;

--------------------------------------------------------------------------
-- a linear chain: aa01 - aa02 - bb03 - bb04 - cc05
--------------------------------------------------------------------------
SELECT rev('aa01');
SELECT rev('aa02', '{aa01}');
SELECT rev('bb03', '{aa02}');
SELECT rev('bb04', '{bb03}');
SELECT rev('cc05', '{bb04}');

SELECT results_eq($$SELECT revision FROM migrate.upgrade('+2')$$, ARRAY['aa01', 'aa02'], 'upgrade(+2) from nothing: the base and its child');
SELECT is(tables(), 't_aa01,t_aa02', 'their bodies ran');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('+1')$$, ARRAY['bb03'], 'upgrade(+1): the next one');
SELECT is(cur(), 'bb03', 'bb03 is current');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('-2')$$, ARRAY['bb03', 'aa02'], 'downgrade(-2): the last two, newest first');
SELECT is(cur(), 'aa01', 'aa01 is current');
SELECT is(tables(), 't_aa01', 'their tables are gone');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('aa01+3')$$, ARRAY['aa02', 'bb03', 'bb04'], 'upgrade(aa01+3)');
SELECT is(cur(), 'bb04', 'bb04 is current');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('bb04-2')$$, ARRAY['bb04', 'bb03'], 'downgrade(bb04-2) leaves aa02');
SELECT is(cur(), 'aa02', 'aa02 is current');
SELECT is(code($$SELECT * FROM migrate.upgrade('bb0')$$), '42P09', 'upgrade to an ambiguous prefix: 42P09');
SELECT is(applied(), 'aa01,aa02', 'and nothing changed');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('bb03')$$, ARRAY['bb03'], 'upgrade to a full id');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('cc')$$, ARRAY['bb04', 'cc05'], 'upgrade to a unique prefix (cc)');
SELECT is(cur(), 'cc05', 'cc05 is current');
SELECT is(code($$SELECT * FROM migrate.upgrade('+1')$$), '22023', 'upgrade(+1) at the head goes past it: 22023');
SELECT is(code($$SELECT * FROM migrate.downgrade('aa')$$), '42P09', 'downgrade to an ambiguous prefix: 42P09');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('aa02')$$, ARRAY['cc05', 'bb04', 'bb03'], 'downgrade to a full id');
SELECT is(code($$SELECT * FROM migrate.downgrade('-3')$$), '22023', 'downgrade(-3) with two applied goes past base: 22023');
SELECT is(applied(), 'aa01,aa02', 'and nothing was reverted');
SELECT is(code($$SELECT * FROM migrate.upgrade('+4')$$), '22023', 'upgrade(+4) with three to go goes past the head: 22023');
SELECT is(applied(), 'aa01,aa02', 'and nothing was applied');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('+3')$$, ARRAY['bb03', 'bb04', 'cc05'], 'upgrade(+3) to exactly the head');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('cc05-4')$$, ARRAY['cc05', 'bb04', 'bb03', 'aa02'], 'downgrade(cc05-4): back to the base');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('-1')$$, ARRAY['aa01'], 'downgrade(-1) of the base');
SELECT is(tables(), '', 'every table is gone');
SELECT is(code($$SELECT * FROM migrate.downgrade('-1')$$), '22023', 'downgrade(-1) with nothing applied: 22023');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('+1')$$, ARRAY['aa01'], 'upgrade(+1) from nothing: the base');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('bb03+1')$$, ARRAY['aa02', 'bb03', 'bb04'],
                  'upgrade(bb03+1) applies the ancestors of bb04 too');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('aa01+1')$$, ARRAY['bb04', 'bb03'], 'downgrade(aa01+1) leaves aa02');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('base')$$, ARRAY['aa02', 'aa01'], 'downgrade(base)');
SELECT forget();

--------------------------------------------------------------------------
-- two heads, then a merge:  x0 - xa - xm - xn
--                              \- xb -/
--------------------------------------------------------------------------
SELECT rev('x0');
SELECT rev('xa', '{x0}');
SELECT rev('xb', '{x0}');
SELECT is(code($$SELECT * FROM migrate.upgrade('head')$$), '21000', 'upgrade(head) with two heads: 21000');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head')$$, '21000', 'target "head" is ambiguous: there are 2 heads',
                 'the error says how many heads');
SELECT is(applied(), '', 'nothing was applied');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('+1')$$, ARRAY['x0'], 'upgrade(+1) from nothing: the base');
SELECT is(code($$SELECT * FROM migrate.upgrade('+1')$$), '21000', 'upgrade(+1) where the current revision has two children: 21000');
SELECT is(code($$SELECT * FROM migrate.upgrade('x0+1')$$), '21000', 'upgrade(x0+1) likewise');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('heads')$$, ARRAY['xa', 'xb'], 'upgrade(heads) applies both branches');
SELECT is(cur(), 'xa,xb', 'both heads are current');
SELECT is(code($$SELECT * FROM migrate.upgrade('head')$$), '21000', 'upgrade(head) still refuses');
SELECT is(code($$SELECT * FROM migrate.downgrade('-1')$$), '21000', 'downgrade(-1) with two current revisions: 21000');
SELECT is(code($$SELECT * FROM migrate.upgrade('+1')$$), '21000', 'upgrade(+1) with two current revisions: 21000');
SELECT is(applied(), 'x0,xa,xb', 'and nothing changed');
SELECT rev('xm', '{xa,xb}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('head')$$, ARRAY['xm'], 'with the merge, upgrade(head) works');
SELECT is(cur(), 'xm', 'the merge is current');
SELECT is_empty($$SELECT * FROM migrate.upgrade('heads')$$, 'upgrade(heads) has nothing left to do');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('-1')$$, ARRAY['xm'], 'downgrade(-1) reverts the merge');
SELECT is(cur(), 'xa,xb', 'leaving both of its parents current');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('xa+1')$$, ARRAY['xm'], 'upgrade(xa+1) reaches the merge');
SELECT rev('xn', '{xm}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('+1')$$, ARRAY['xn'], 'upgrade(+1) from the merge');
SELECT is(code($$SELECT * FROM migrate.downgrade('-3')$$), '21000', 'downgrade(-3) through the merge: ambiguous after two steps');
SELECT is(applied(), 'x0,xa,xb,xm,xn', 'and nothing was reverted');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('-2')$$, ARRAY['xn', 'xm'], 'downgrade(-2) down to the merge''s parents');
SELECT is(cur(), 'xa,xb', 'both parents are current');
SELECT is(tables(), 't_x0,t_xa,t_xb', 'the tables of xm and xn are gone');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('head')$$, ARRAY['xm', 'xn'], 'upgrade(head) again');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('xa')$$, ARRAY['xn', 'xm'],
                  'downgrade(xa) reverts what descends from xa (xm, xn) and leaves xb');
SELECT is(cur(), 'xa,xb', 'xa and xb are current');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('x0') ORDER BY revision$$, ARRAY['xa', 'xb'],
                  'downgrade(x0) reverts both branches');
SELECT is(cur(), 'x0', 'x0 is current');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('base')$$, ARRAY['x0'], 'downgrade(base)');
SELECT forget();

--------------------------------------------------------------------------
-- two labelled histories in one database:
--   meals:  m1 - m2 - m3        habits: h1 - h2 (- h3, which depends on m3)
--------------------------------------------------------------------------
SELECT rev('m1', NULL, '{meals}');
SELECT rev('m2', '{m1}');
SELECT rev('m3', '{m2}');
SELECT rev('h1', NULL, '{habits}');
SELECT rev('h2', '{h1}');
SELECT is(code($$SELECT * FROM migrate.upgrade('head')$$), '21000', 'upgrade(head) with two histories: 21000');
SELECT is(code($$SELECT * FROM migrate.upgrade('+1')$$), '21000', 'upgrade(+1) from nothing with two bases: 21000');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('meals@head')$$, ARRAY['m1', 'm2', 'm3'], 'upgrade(meals@head)');
SELECT is(tables(), 't_m1,t_m2,t_m3', 'only the meals tables exist');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('habits@head')$$, ARRAY['h1', 'h2'], 'upgrade(habits@head)');
SELECT is(cur(), 'h2,m3', 'one current revision per history');
SELECT is(code($$SELECT * FROM migrate.downgrade('-1')$$), '21000', 'downgrade(-1) with two histories: 21000');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('meals@base')$$, ARRAY['m3', 'm2', 'm1'],
                  'downgrade(meals@base) reverts the meals history');
SELECT is(cur(), 'h2', 'and only it: habits stays at h2');
SELECT is(tables(), 't_h1,t_h2', 'the habits tables stay');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('meals@+1')$$, ARRAY['m1'], 'upgrade(meals@+1) from the branch''s base');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('meals@+1')$$, ARRAY['m2'], 'upgrade(meals@+1) again');
SELECT is(cur(), 'h2,m2', 'meals at m2, habits at h2');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('meals@-1')$$, ARRAY['m2'], 'downgrade(meals@-1)');
SELECT is(code($$SELECT * FROM migrate.upgrade('meals@+3')$$), '22023', 'upgrade(meals@+3) past the branch head: 22023');
SELECT is(code($$SELECT * FROM migrate.upgrade('meals@base')$$), '22023', 'upgrade(meals@base) is a downgrade target: 22023');
SELECT is(code($$SELECT * FROM migrate.downgrade('meals@+1')$$), '22023', 'downgrade(meals@+1) is an upgrade target: 22023');
SELECT is(code($$SELECT * FROM migrate.upgrade('dinners@head')$$), '42704', 'an unknown label: 42704');
SELECT is(applied(), 'h1,h2,m1', 'none of these changed anything');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('m1+2')$$, ARRAY['m2', 'm3'], 'upgrade(m1+2) inside the meals history');

-- a dependency across histories: h3 needs m3
SELECT rev('h3', '{h2}', NULL, '{m3}');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('meals@-2')$$, ARRAY['m3', 'm2'], 'downgrade(meals@-2)');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('habits@head')$$, ARRAY['m2', 'm3', 'h3'],
                  'upgrade(habits@head) applies the meals revisions h3 depends on first');
SELECT is(cur(), 'h3', 'both histories are at their heads: m3 is not current, h3 depends on it (as Alembic''s version table)');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('meals@base')$$, ARRAY['h3', 'm3', 'm2', 'm1'],
                  'downgrade(meals@base) reverts h3, which depends on m3, first');
SELECT is(cur(), 'h2', 'habits is back at h2');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('heads')$$, ARRAY['m1', 'm2', 'm3', 'h3'], 'upgrade(heads)');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('habits@base')$$, ARRAY['h3', 'h2', 'h1'],
                  'downgrade(habits@base) leaves meals alone');
SELECT is(cur(), 'm3', 'meals stays at m3');
SELECT is(tables(), 't_m1,t_m2,t_m3', 'with its tables');

SELECT * FROM finish();
ROLLBACK;
