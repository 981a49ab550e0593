\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.stamp: record a state without running anything, over tables that
-- already exist; a middle revision unapplies its descendants; base clears;
-- every stamp is a run without steps.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(62);

CREATE SEQUENCE public.ran_seq;
CREATE FUNCTION ran() RETURNS bigint LANGUAGE sql AS
$f$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.ran_seq $f$;
CREATE FUNCTION cur() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM migrate.current() c $f$;
CREATE FUNCTION applied() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(revision, ',' ORDER BY revision), '') FROM migrate.applied $f$;
CREATE FUNCTION runs() RETURNS bigint LANGUAGE sql AS $f$ SELECT count(*) FROM migrate.run $f$;
CREATE FUNCTION last_run() RETURNS bigint LANGUAGE sql AS $f$ SELECT max(id) FROM migrate.run $f$;
CREATE FUNCTION code(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $f$;

--------------------------------------------------------------------------
-- the tables exist already (made by hand, or by an ORM's create_all)
--------------------------------------------------------------------------
SELECT FROM migrate.add('s1', 'CREATE TABLE s1t (id int PRIMARY KEY, name text); SELECT nextval(''public.ran_seq'');',
                        'DROP TABLE s1t; SELECT nextval(''public.ran_seq'');', message => 'table');
SELECT FROM migrate.add('s2', 'CREATE INDEX s1t_name ON s1t (name); SELECT nextval(''public.ran_seq'');',
                        NULL, '{s1}', message => 'index, irreversible');
SELECT FROM migrate.add('s3', 'CREATE TYPE s3_kind AS ENUM (''a'', ''b''); SELECT nextval(''public.ran_seq'');',
                        'DROP TYPE s3_kind; SELECT nextval(''public.ran_seq'');', '{s2}', message => 'type');
CREATE TABLE s1t (id int PRIMARY KEY, name text);
CREATE INDEX s1t_name ON s1t (name);
CREATE TYPE s3_kind AS ENUM ('a', 'b');

SELECT throws_ok($$SELECT * FROM migrate.upgrade('head')$$, '42P07', 'relation "s1t" already exists',
                 'upgrade(head) over existing tables fails: why stamp exists');
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('head')$$,
                  $$VALUES ('s1', 'applied'), ('s2', 'applied'), ('s3', 'applied')$$,
                  'stamp(head) records every revision as applied, base first');
SELECT is(ran(), :ran_before::bigint, 'and runs no body');
SELECT is(cur(), 's3', 's3 is current');
SELECT has_table('public', 's1t', 's1t is still there');
SELECT has_index('public', 's1t', 's1t_name', 's1t_name is still there');
SELECT is(runs(), (:runs_before + 1)::bigint, 'stamp records one run');
SELECT results_eq(
    $$SELECT kind, target, status, from_heads, to_heads, db_user::text, pid, finished_at >= started_at,
             error_revision, error_sqlstate
        FROM migrate.run WHERE id = last_run()$$,
    $$VALUES ('stamp', 'head', 'succeeded', '{}'::text[], '{s3}'::text[], session_user::text, pg_backend_pid(), true,
              NULL::text, NULL::text)$$,
    'the stamp run: kind stamp, target, from_heads, to_heads, db_user');
SELECT is((SELECT count(*) FROM migrate.run_step WHERE run_id = last_run()), 0::bigint, 'the stamp run has no steps');
SELECT results_eq(
    $$SELECT a.revision, a.checksum = r.checksum, a.applied_by::text, a.run_id = last_run()
        FROM migrate.applied a JOIN migrate.revision r ON r.id = a.revision ORDER BY a.revision$$,
    $$VALUES ('s1', true, session_user::text, true), ('s2', true, session_user::text, true),
             ('s3', true, session_user::text, true)$$,
    'applied rows carry the checksum, the caller and the stamp run');

SELECT runs() AS runs_before \gset
SELECT is_empty($$SELECT * FROM migrate.upgrade('head')$$, 'after stamp(head), upgrade(head) has nothing to do');
SELECT is(runs(), :runs_before::bigint, 'and records no run');
SELECT is(ran(), :ran_before::bigint, 'and runs nothing');

SELECT results_eq($$SELECT revision FROM migrate.downgrade('-1')$$, ARRAY['s3'], 'downgrade(-1) works after the stamp');
SELECT hasnt_type('public', 's3_kind', 'its downgrade body ran: s3_kind is gone');
SELECT is(ran(), (:ran_before + 1)::bigint, 'one body ran');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('head')$$, ARRAY['s3'], 'upgrade(head) runs s3 again');
SELECT has_type('public', 's3_kind', 's3_kind is back');

--------------------------------------------------------------------------
-- a middle revision: its descendants become unapplied, nothing runs
--------------------------------------------------------------------------
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('s1')$$,
                  $$VALUES ('s3', 'unapplied'), ('s2', 'unapplied')$$,
                  'stamp(s1) unapplies s3 and s2, newest first');
SELECT is(cur(), 's1', 's1 is current');
SELECT is(applied(), 's1', 'only s1 is recorded as applied');
SELECT has_type('public', 's3_kind', 'no downgrade ran: s3_kind is still there');
SELECT has_index('public', 's1t', 's1t_name', 'and so is s1t_name (s2 is irreversible: stamp does not care)');
SELECT is(ran(), :ran_before::bigint, 'no body ran');
SELECT results_eq($$SELECT kind, target, from_heads, to_heads FROM migrate.run WHERE id = last_run()$$,
                  $$VALUES ('stamp', 's1', '{s3}'::text[], '{s1}'::text[])$$, 'the run goes from s3 to s1');
SELECT is((SELECT count(*) FROM migrate.run_step WHERE run_id = last_run()), 0::bigint, 'with no steps');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('+1')$$, $$VALUES ('s2', 'applied')$$, 'stamp(+1) moves one forward');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('-1')$$, $$VALUES ('s2', 'unapplied')$$, 'stamp(-1) moves one back');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('s3')$$,
                  $$VALUES ('s2', 'applied'), ('s3', 'applied')$$, 'stamp(s3) records s2 and s3 again');
SELECT is(ran(), :ran_before::bigint, 'still no body ran');
SELECT is(runs(), (:runs_before + 4)::bigint, 'four stamps, four runs');

--------------------------------------------------------------------------
-- base: clears everything; irreversible revisions do not stop it
--------------------------------------------------------------------------
SELECT is(code($$SELECT * FROM migrate.downgrade('base')$$), '55000', 'downgrade(base) is refused: s2 is irreversible');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('base')$$,
                  $$VALUES ('s3', 'unapplied'), ('s2', 'unapplied'), ('s1', 'unapplied')$$,
                  'stamp(base) unapplies everything');
SELECT is(cur(), '', 'nothing is current');
SELECT is(applied(), '', 'migrate.applied is empty');
SELECT has_table('public', 's1t', 'the tables stay');
SELECT results_eq($$SELECT kind, target, from_heads, to_heads FROM migrate.run WHERE id = last_run()$$,
                  $$VALUES ('stamp', 'base', '{s3}'::text[], '{}'::text[])$$, 'the run goes from s3 to nothing');
SELECT is_empty($$SELECT * FROM migrate.stamp('base')$$, 'stamp(base) again changes nothing');
SELECT is(ran(), :ran_before::bigint, 'no body ran');

-- the caller's transaction decides
SAVEPOINT before_stamp;
SELECT is((SELECT count(*) FROM migrate.stamp('head')), 3::bigint, 'stamp(head) in a savepoint');
ROLLBACK TO SAVEPOINT before_stamp;
SELECT is(applied(), '', 'rolled back with the savepoint');

--------------------------------------------------------------------------
-- branches, merges and unregistered rows
--------------------------------------------------------------------------
SELECT FROM migrate.add('k0', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', branch_labels => '{kitchen}');
SELECT FROM migrate.add('k1', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{k0}');
SELECT FROM migrate.add('k2', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{k0}');
SELECT FROM migrate.add('km', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{k1,k2}');
SELECT FROM migrate.add('kn', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{km}');
SELECT results_eq($$SELECT revision FROM migrate.stamp('s2')$$, ARRAY['s1', 's2'], 'stamp(s2) in the first history');
SELECT results_eq($$SELECT revision FROM migrate.stamp('kitchen@head')$$, ARRAY['k0', 'k1', 'k2', 'km', 'kn'],
                  'stamp(kitchen@head) records the whole kitchen branch');
SELECT is(cur(), 'kn,s2', 'two histories are current');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('k1')$$,
                  $$VALUES ('kn', 'unapplied'), ('km', 'unapplied')$$,
                  'stamp(k1) unapplies the merge and what follows, and leaves k2 (not a descendant of k1)');
SELECT is(cur(), 'k1,k2,s2', 'k1 and k2 are current, the other history untouched');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('kitchen@base')$$,
                  $$VALUES ('k2', 'unapplied'), ('k1', 'unapplied'), ('k0', 'unapplied')$$,
                  'stamp(kitchen@base) unapplies the kitchen branch only');
SELECT is(cur(), 's2', 's2 stays');
SELECT results_eq($$SELECT revision FROM migrate.stamp('heads') ORDER BY revision$$, ARRAY['k0', 'k1', 'k2', 'km', 'kn', 's3'],
                  'stamp(heads) records every head and its ancestors');
SELECT is(ran(), :ran_before::bigint, 'no body ran in any of these');

INSERT INTO migrate.applied (revision, checksum) VALUES ('ghost', 'x');
SELECT results_eq($$SELECT revision, change FROM migrate.stamp('k0')$$,
                  $$VALUES ('kn', 'unapplied'), ('km', 'unapplied'), ('k2', 'unapplied'), ('k1', 'unapplied')$$,
                  'stamp(k0) leaves a row of an unregistered revision alone');
SELECT is(applied(), 'ghost,k0,s1,s2,s3', 'ghost is still recorded');
SELECT is((SELECT count(*) FROM migrate.stamp('base') WHERE revision = 'ghost' AND change = 'unapplied'), 1::bigint,
          'stamp(base) clears it too');
SELECT is(applied(), '', 'everything is cleared');

--------------------------------------------------------------------------
-- errors: nothing recorded
--------------------------------------------------------------------------
SELECT FROM migrate.add('orphan', 'SELECT 1', 'SELECT 1', '{missing}');
SELECT runs() AS runs_before \gset
SELECT is(code($$SELECT * FROM migrate.stamp(NULL)$$), '22004', 'stamp(NULL): 22004');
SELECT is(code($$SELECT * FROM migrate.stamp('')$$), '22023', 'stamp(''''): 22023');
SELECT is(code($$SELECT * FROM migrate.stamp('nope')$$), '42704', 'stamp of an unknown revision: 42704');
SELECT is(code($$SELECT * FROM migrate.stamp('k')$$), '42P09', 'stamp of an ambiguous prefix: 42P09');
SELECT is(code($$SELECT * FROM migrate.stamp('head')$$), '21000', 'stamp(head) with several heads: 21000');
SELECT is(code($$SELECT * FROM migrate.stamp('orphan')$$), '42704', 'stamp of a revision whose parent is missing: 42704');
SELECT is(runs(), :runs_before::bigint, 'no run was recorded');
SELECT is(applied(), '', 'nothing was recorded as applied');

SELECT * FROM finish();
ROLLBACK;
