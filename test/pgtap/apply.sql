\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The apply engine: migrate.upgrade and migrate.downgrade apply, record,
-- fail and refuse.  Targets in depth: apply_targets.sql; stamp: stamp.sql;
-- settings isolation: settings.sql; what a person sees: sql/apply_output.sql.
--
-- Failed runs are recorded by a background worker in a transaction of its
-- own: they stay in migrate.run after this file's ROLLBACK, so every
-- assertion about them counts relative to a value taken before.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SET application_name = 'pgtap apply';
SELECT plan(175);

-- The error a statement raises: code (SQLSTATE), message, detail, hint, context.
CREATE FUNCTION err(sql text, OUT code text, OUT message text, OUT detail text,
                    OUT hint text, OUT context text)
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    code := 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                            context = PG_EXCEPTION_CONTEXT;
END $f$;

-- Bodies call nextval on this sequence: a sequence does not roll back, so
-- ran() tells how many bodies started, even in a rolled-back subtransaction.
CREATE SEQUENCE public.ran_seq;
CREATE FUNCTION ran() RETURNS bigint LANGUAGE sql AS
$f$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.ran_seq $f$;

-- run-table counters (failed runs survive rollbacks: compare, never assume)
CREATE FUNCTION runs(st text DEFAULT NULL) RETURNS bigint LANGUAGE sql AS
$f$ SELECT count(*) FROM migrate.run WHERE status = coalesce($1, status) $f$;
CREATE FUNCTION last_run() RETURNS bigint LANGUAGE sql AS $f$ SELECT max(id) FROM migrate.run $f$;
CREATE FUNCTION cur() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM migrate.current() c $f$;

--------------------------------------------------------------------------
-- a linear chain a1 - a2 - a3: upgrade, its rows and its records
--------------------------------------------------------------------------
SELECT FROM migrate.add('a1', 'CREATE TABLE a1t (id int PRIMARY KEY); SELECT nextval(''public.ran_seq'');',
                        'DROP TABLE a1t', message => 'first');
SELECT FROM migrate.add('a2', E'CREATE TABLE a2t (id int);\nCREATE INDEX a2t_id ON a2t (id);',
                        'DROP TABLE a2t', '{a1}', message => 'second');
SELECT FROM migrate.add('a3', 'CREATE TYPE a3_mood AS ENUM (''ok'', ''meh'')',
                        'DROP TYPE a3_mood', '{a2}');

SELECT runs() AS runs_before \gset
SELECT results_eq($$SELECT step, revision, message FROM migrate.upgrade('head')$$,
                  $$VALUES (1, 'a1', 'first'), (2, 'a2', 'second'), (3, 'a3', NULL::text)$$,
                  'upgrade(head) returns one row per revision applied, in order');
SELECT has_table('public', 'a1t', 'a1 ran: a1t exists');
SELECT has_index('public', 'a2t', 'a2t_id', 'a2 ran: a2t_id exists');
SELECT has_type('public', 'a3_mood', 'a3 ran: type a3_mood exists');
SELECT is(ran(), 1::bigint, 'a1 ran exactly once');
SELECT is(cur(), 'a3', 'current() is a3');
SELECT is(runs(), (:runs_before + 1)::bigint, 'one run recorded');
SELECT results_eq(
    $$SELECT kind, target, status, from_heads, to_heads, db_user::text, application_name, pid,
             finished_at >= started_at, error_revision, error_sqlstate, error_message
        FROM migrate.run WHERE id = last_run()$$,
    $$VALUES ('upgrade', 'head', 'succeeded', '{}'::text[], '{a3}'::text[], session_user::text,
              'pgtap apply', pg_backend_pid(), true, NULL::text, NULL::text, NULL::text)$$,
    'the run: kind, target, status, from_heads, to_heads, db_user, application_name, pid, no error');
SELECT results_eq(
    $$SELECT step, revision, direction, status, duration >= interval '0' FROM migrate.run_step
       WHERE run_id = last_run() ORDER BY step$$,
    $$VALUES (1, 'a1', 'up', 'succeeded', true), (2, 'a2', 'up', 'succeeded', true),
             (3, 'a3', 'up', 'succeeded', true)$$,
    'one run_step per revision, direction up, in order, with a duration');
SELECT is((SELECT count(*) FROM migrate.run_step s JOIN migrate.run r ON r.id = s.run_id
            WHERE s.run_id = last_run() AND s.started_at >= r.started_at AND s.started_at <= r.finished_at),
          3::bigint, 'the steps started within the run');
SELECT results_eq(
    $$SELECT a.revision, a.checksum = r.checksum, a.applied_by::text, a.run_id = last_run()
        FROM migrate.applied a JOIN migrate.revision r ON r.id = a.revision ORDER BY a.revision$$,
    $$VALUES ('a1', true, session_user::text, true), ('a2', true, session_user::text, true),
             ('a3', true, session_user::text, true)$$,
    'applied rows: checksum, applied_by the caller, run_id of the run');

-- nothing to do: no rows, no run
SELECT runs() AS runs_before \gset
SELECT is_empty($$SELECT * FROM migrate.upgrade('head')$$, 'upgrade(head) at head returns no rows');
SELECT is_empty($$SELECT * FROM migrate.upgrade('a2')$$, 'upgrade to an applied ancestor returns no rows');
SELECT is_empty($$SELECT * FROM migrate.upgrade('heads')$$, 'upgrade(heads) at head returns no rows');
SELECT is(runs(), :runs_before::bigint, 'and records no run');
SELECT is(ran(), 1::bigint, 'and runs no body');

-- the scalar form works too
SELECT FROM migrate.add('a4', 'SELECT nextval(''public.ran_seq'')', 'SELECT nextval(''public.ran_seq'')', '{a3}', message => 'fourth');
SELECT is((SELECT migrate.upgrade('head'))::text LIKE '(1,a4,fourth,%)', true,
          'SELECT migrate.upgrade(''head'') (scalar form) applies and returns the row');
SELECT is(cur(), 'a4', 'a4 is current');

--------------------------------------------------------------------------
-- downgrade: reverse order, its records
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT migrate.downgrade()$$, '42883', NULL, 'downgrade() has no default target');
SELECT runs() AS runs_before \gset
SELECT results_eq($$SELECT step, revision, message FROM migrate.downgrade('a1')$$,
                  $$VALUES (1, 'a4', 'fourth'), (2, 'a3', NULL), (3, 'a2', 'second')$$,
                  'downgrade(a1) reverts a4, a3, a2, newest first');
SELECT is(cur(), 'a1', 'a1 is current (and stays applied)');
SELECT hasnt_table('public', 'a2t', 'a2t is gone');
SELECT hasnt_type('public', 'a3_mood', 'a3_mood is gone');
SELECT has_table('public', 'a1t', 'a1t stays');
SELECT is(ran(), 3::bigint, 'a4''s downgrade body ran once');
SELECT results_eq(
    $$SELECT kind, target, status, from_heads, to_heads, db_user::text FROM migrate.run WHERE id = last_run()$$,
    $$VALUES ('downgrade', 'a1', 'succeeded', '{a4}'::text[], '{a1}'::text[], session_user::text)$$,
    'the downgrade run is recorded');
SELECT results_eq(
    $$SELECT step, revision, direction, status FROM migrate.run_step WHERE run_id = last_run() ORDER BY step$$,
    $$VALUES (1, 'a4', 'down', 'succeeded'), (2, 'a3', 'down', 'succeeded'), (3, 'a2', 'down', 'succeeded')$$,
    'one run_step per reverted revision, direction down');
SELECT is((SELECT array_agg(revision ORDER BY revision) FROM migrate.applied), '{a1}'::text[],
          'only a1 stays in migrate.applied');
SELECT results_eq($$SELECT step, revision FROM migrate.downgrade('base')$$, $$VALUES (1, 'a1')$$,
                  'downgrade(base) reverts the rest');
SELECT hasnt_table('public', 'a1t', 'a1t is gone');
SELECT is(cur(), '', 'nothing is current');
SELECT is((SELECT to_heads FROM migrate.run WHERE id = last_run()), '{}'::text[], 'to_heads of a downgrade to base is empty');
SELECT runs() AS runs_before \gset
SELECT is_empty($$SELECT * FROM migrate.downgrade('base')$$, 'downgrade(base) with nothing applied returns no rows');
SELECT is(runs(), :runs_before::bigint, 'and records no run');

-- the caller's transaction decides: a rolled-back upgrade leaves nothing
SAVEPOINT before_upgrade;
SELECT is((SELECT count(*) FROM migrate.upgrade('head')), 4::bigint, 'upgrade(head) inside a savepoint');
ROLLBACK TO SAVEPOINT before_upgrade;
SELECT is(cur(), '', 'rolled back with the caller''s savepoint: nothing applied');
SELECT hasnt_table('public', 'a1t', 'and no table left');
SELECT is(runs(), :runs_before::bigint, 'and no run left');

--------------------------------------------------------------------------
-- a failure in step 3 of 5
--------------------------------------------------------------------------
SELECT FROM migrate.add('f1', 'CREATE TABLE f1t (id int PRIMARY KEY)', 'DROP TABLE f1t', message => 'f one');
SELECT FROM migrate.add('f2', 'CREATE TABLE f2t (id int)', 'DROP TABLE f2t', '{f1}');
SELECT FROM migrate.add('f3', E'CREATE TABLE f3t (id int);\nINSERT INTO f1t VALUES (1), (1);',
                        'DROP TABLE f3t', '{f2}', message => 'f three');
SELECT FROM migrate.add('f4', 'CREATE TABLE f4t (id int); SELECT nextval(''public.ran_seq'');', 'DROP TABLE f4t', '{f3}');
SELECT FROM migrate.add('f5', 'CREATE TABLE f5t (id int); SELECT nextval(''public.ran_seq'');', 'DROP TABLE f5t', '{f4}');

SELECT ran() AS ran_before, runs('failed') AS failed_before, runs('succeeded') AS ok_before,
       (SELECT count(*) FROM migrate.run_step) AS steps_before \gset
SELECT throws_ok($$SELECT * FROM migrate.upgrade('f5')$$, '23505',
                 'duplicate key value violates unique constraint "f1t_pkey"',
                 'a failing body: the caller gets its SQLSTATE and message');
SELECT hasnt_table('public', 'f1t', 'step 1 is not applied (f1t gone)');
SELECT hasnt_table('public', 'f2t', 'step 2 is not applied (f2t gone)');
SELECT hasnt_table('public', 'f3t', 'step 3 is not applied (f3t gone)');
SELECT is(ran(), :ran_before::bigint, 'steps 4 and 5 never ran');
SELECT is(cur(), '', 'nothing is current');
SELECT is((SELECT count(*) FROM migrate.applied), 0::bigint, 'migrate.applied is empty');
SELECT is(runs('failed'), (:failed_before + 1)::bigint, 'one failed run is recorded');
SELECT is(runs('succeeded'), :ok_before::bigint, 'no succeeded run is recorded');
SELECT results_eq(
    $$SELECT kind, target, status, from_heads, db_user::text, application_name, pid,
             finished_at IS NOT NULL, error_revision, error_sqlstate, error_message, error_detail
        FROM migrate.run WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES ('upgrade', 'f5', 'failed', '{}'::text[], session_user::text, 'pgtap apply', pg_backend_pid(),
              true, 'f3', '23505', 'duplicate key value violates unique constraint "f1t_pkey"',
              'Key (id)=(1) already exists.')$$,
    'the failed run: revision, SQLSTATE, message and detail of the body''s error');
SELECT matches((SELECT error_context FROM migrate.run WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')),
               'upgrade body of revision "f3" \(step 3 of 5\), statement 2',
               'its context names the revision, the step and the statement');
SELECT unalike((SELECT error_context FROM migrate.run WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')),
               '%INSERT INTO f1t%',
               'the context recorded in migrate.run (readable by everyone) does not quote the private body');
SELECT results_eq(
    $$SELECT step, revision, direction, status FROM migrate.run_step
       WHERE run_id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES (3, 'f3', 'up', 'failed')$$,
    'the failed run has one failed step: the failing revision');
SELECT is((SELECT count(*) FROM migrate.run_step), (:steps_before + 1)::bigint, 'no other step was recorded');
SELECT matches((SELECT context FROM err($$SELECT * FROM migrate.upgrade('f5')$$)),
               'upgrade body of revision "f3" \(step 3 of 5\), statement 2',
               'the error''s context names the revision and the step');

-- the body's own SQLSTATE, message, detail and hint, whatever they are
SELECT FROM migrate.add('f3', E'CREATE TABLE f3t (id int);\nDO $$ BEGIN RAISE EXCEPTION ''f3 gave up'' USING ERRCODE = ''MG042'', DETAIL = ''the detail of f3'', HINT = ''the hint of f3''; END $$;',
                        'DROP TABLE f3t', '{f2}', message => 'f three');
SELECT runs('failed') AS failed_before \gset
SELECT results_eq($$SELECT code, message, detail, hint FROM err('SELECT * FROM migrate.upgrade(''f5'')')$$,
                  $$VALUES ('MG042', 'f3 gave up', 'the detail of f3', 'the hint of f3')$$,
                  'a custom SQLSTATE, message, detail and hint reach the caller unchanged');
SELECT results_eq(
    $$SELECT target, error_revision, error_sqlstate, error_message, error_detail, error_hint
        FROM migrate.run WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES ('f5', 'f3', 'MG042', 'f3 gave up', 'the detail of f3', 'the hint of f3')$$,
    'and are recorded in the failed run');
SELECT is(runs('failed'), (:failed_before + 1)::bigint, 'one more failed run');

-- a failure after earlier runs: from_heads, steps counted within the run
SELECT FROM migrate.add('f3', 'CREATE TABLE f3t (id int); SELECT 1/0;', 'DROP TABLE f3t', '{f2}', message => 'f three');
SELECT is((SELECT count(*) FROM migrate.upgrade('f2')), 2::bigint, 'f1 and f2 applied');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('f5')$$, '22012', 'division by zero',
                 'the next upgrade fails in f3');
SELECT has_table('public', 'f2t', 'what an earlier call applied stays');
SELECT hasnt_table('public', 'f3t', 'what the failed call made is gone');
SELECT is(cur(), 'f2', 'f2 stays current');
SELECT results_eq(
    $$SELECT from_heads, to_heads, error_revision, error_sqlstate FROM migrate.run
       WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES ('{f2}'::text[], '{f2}'::text[], 'f3', '22012')$$,
    'the failed run starts from f2 and leaves f2');
SELECT results_eq(
    $$SELECT step, revision FROM migrate.run_step WHERE run_id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES (1, 'f3')$$, 'the failed step is step 1 of this run');
SELECT matches((SELECT context FROM err($$SELECT * FROM migrate.upgrade('f5')$$)),
               'upgrade body of revision "f3" \(step 1 of 3\), statement 2', 'the context counts steps of this run');

-- a failing downgrade body: recorded with direction down, nothing reverted
SELECT FROM migrate.add('f3', 'CREATE TABLE f3t (id int)', 'DROP TABLE f3t', '{f2}', message => 'f three');
SELECT FROM migrate.add('f4', 'CREATE TABLE f4t (id int)', 'DROP TABLE no_such_table', '{f3}');
SELECT FROM migrate.add('f5', 'CREATE TABLE f5t (id int)', 'DROP TABLE f5t', '{f4}');
SELECT is((SELECT count(*) FROM migrate.upgrade('f5')), 3::bigint, 'f3, f4, f5 applied');
SELECT throws_ok($$SELECT * FROM migrate.downgrade('base')$$, '42P01', 'table "no_such_table" does not exist',
                 'a failing downgrade body keeps its SQLSTATE');
SELECT has_table('public', 'f5t', 'f5, reverted before the failure, is back');
SELECT is(cur(), 'f5', 'f5 stays current');
SELECT results_eq(
    $$SELECT kind, target, error_revision, error_sqlstate, from_heads FROM migrate.run
       WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES ('downgrade', 'base', 'f4', '42P01', '{f5}'::text[])$$,
    'the failed downgrade is recorded');
SELECT results_eq(
    $$SELECT step, revision, direction, status FROM migrate.run_step
       WHERE run_id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
    $$VALUES (2, 'f4', 'down', 'failed')$$,
    'its failed step: step 2, direction down');
SELECT matches((SELECT context FROM err($$SELECT * FROM migrate.downgrade('base')$$)),
               'downgrade body of revision "f4" \(step 2 of 5\), statement 1', 'the context names the downgrade body');

--------------------------------------------------------------------------
-- every body parses before the first one runs
--------------------------------------------------------------------------
SELECT FROM migrate.add('p1', 'CREATE TABLE p1t (id int); SELECT nextval(''public.ran_seq'');', 'DROP TABLE p1t');
SELECT FROM migrate.add('p2', 'CREATE TABLE p2t (id int); SELECT nextval(''public.ran_seq'');', 'DROP TABLE p2t', '{p1}');
SELECT FROM migrate.add('p3', E'CREATE TABLE p3t (id int);\nSELEC 1;', 'DROP TABLE p3t', '{p2}');
SELECT FROM migrate.add('p4', 'CREATE TABLE p4t (id int)', 'DROP TABLE p4t', '{p3}');
SELECT FROM migrate.add('p5', 'CREATE TABLE p5t (id int)', 'DROP TABLE p5t', '{p4}');
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT throws_ok($$SELECT * FROM migrate.upgrade('p5')$$, '42601', 'syntax error at or near "SELEC"',
                 'a syntax error in step 3 of 5 is reported');
SELECT is(ran(), :ran_before::bigint, 'before step 1 ran');
SELECT hasnt_table('public', 'p1t', 'p1t does not exist');
SELECT is(runs(), :runs_before::bigint, 'no run is recorded (nothing ran)');
SELECT matches((SELECT context FROM err($$SELECT * FROM migrate.upgrade('p5')$$)),
               'upgrade body of revision "p3" \(step 3 of 5\), checked before anything ran',
               'the context names the revision and the step');

SELECT ran() AS ran_before, runs() AS runs_before \gset
CREATE TEMPORARY TABLE forbidden (n int, body text, sqlstate text, what text);
INSERT INTO forbidden VALUES
    (1, E'CREATE TABLE p3t (id int);\nCOMMIT;', '2D000', 'COMMIT'),
    (2, E'CREATE TABLE p3t (id int);\nROLLBACK;', '2D000', 'ROLLBACK'),
    (3, E'BEGIN;\nCREATE TABLE p3t (id int);', '2D000', 'BEGIN'),
    (4, E'SAVEPOINT s;\nCREATE TABLE p3t (id int);', '2D000', 'SAVEPOINT'),
    (5, E'CREATE TABLE p3t (id int);\nCREATE INDEX CONCURRENTLY p3t_id ON p3t (id);', '25001', 'CREATE INDEX CONCURRENTLY'),
    (6, E'CREATE TABLE p3t (id int);\nVACUUM p3t;', '25001', 'VACUUM'),
    (7, E'CREATE TABLE p3t (id int);\nCOPY p3t FROM STDIN;', '0A000', 'COPY FROM STDIN');
CREATE FUNCTION try_forbidden(n int) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE b text;
BEGIN
    SELECT body INTO b FROM forbidden f WHERE f.n = try_forbidden.n;
    PERFORM migrate.add('p3', b, 'DROP TABLE p3t', '{p2}');
    RETURN (SELECT e.code || ' ' || (e.message LIKE 'revision "p3" cannot run: %')::text || ' ' ||
                   (e.context LIKE '%upgrade body of revision "p3" (step 3 of 5), checked before anything ran%')::text
              FROM err($$SELECT * FROM migrate.upgrade('p5')$$) e);
END $f$;
SELECT is(try_forbidden(n), sqlstate || ' true true',
          what || ' in step 3 of 5 is refused before anything runs, naming p3')
  FROM forbidden ORDER BY n;
SELECT is(ran(), :ran_before::bigint, 'no body started in any of these');
SELECT is(runs(), :runs_before::bigint, 'and no run was recorded');

-- downgrade bodies too are parsed before the first one runs
SELECT FROM migrate.stamp('base');
DROP TABLE f1t, f2t, f3t, f4t, f5t;
SELECT FROM migrate.add('p3', 'CREATE TABLE p3t (id int)', 'DROP TABLE p3t', '{p2}');
SELECT FROM migrate.add('p1', 'CREATE TABLE p1t (id int); SELECT nextval(''public.ran_seq'');', 'DROP TABLE p1t; SELEC 1;');
SELECT FROM migrate.add('p2', 'CREATE TABLE p2t (id int);', 'DROP TABLE p2t; SELECT nextval(''public.ran_seq'');', '{p1}');
SELECT is((SELECT count(*) FROM migrate.upgrade('p2')), 2::bigint, 'p1, p2 applied');
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT throws_ok($$SELECT * FROM migrate.downgrade('base')$$, '42601', NULL,
                 'a syntax error in the downgrade of step 2 is reported');
SELECT is(ran(), :ran_before::bigint, 'before the downgrade of step 1 ran');
SELECT has_table('public', 'p2t', 'p2t stays');
SELECT is(runs(), :runs_before::bigint, 'no run is recorded');
SELECT matches((SELECT context FROM err($$SELECT * FROM migrate.downgrade('base')$$)),
               'downgrade body of revision "p1" \(step 2 of 2\), checked before anything ran',
               'the context names the downgrade body and the step');
SELECT lives_ok($$SELECT migrate.stamp('base'); DROP TABLE p1t, p2t$$, '(clean up: stamp base, drop p1t and p2t)');

--------------------------------------------------------------------------
-- non-transactional revisions: refused by upgrade() before anything runs
--------------------------------------------------------------------------
SELECT FROM migrate.add('n1', 'CREATE TABLE n1t (id int); SELECT nextval(''public.ran_seq'');', 'DROP TABLE n1t', '{p5}');
SELECT FROM migrate.add('n2', 'CREATE INDEX CONCURRENTLY n1t_id ON n1t (id)', 'DROP INDEX CONCURRENTLY n1t_id', '{n1}',
                        transactional => false);
SELECT FROM migrate.add('n3', 'CREATE TABLE n3t (id int)', 'DROP TABLE n3t', '{n2}');
SELECT FROM migrate.add('p3', 'CREATE TABLE p3t (id int)', 'DROP TABLE p3t', '{p2}');
SELECT FROM migrate.add('p1', 'CREATE TABLE p1t (id int)', 'DROP TABLE p1t');
SELECT FROM migrate.add('p2', 'CREATE TABLE p2t (id int)', 'DROP TABLE p2t', '{p1}');
SELECT is((SELECT count(*) FROM migrate.upgrade('p5')), 5::bigint, 'p1 to p5 applied');
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT results_eq($$SELECT code, message, hint FROM err('SELECT * FROM migrate.upgrade(''n3'')')$$,
                  $$VALUES ('25001', 'revision "n2" is not transactional and cannot run inside migrate.upgrade()',
                            'Run CALL migrate.run(''n3'') outside a transaction block: it commits after each revision and runs such statements at top level.')$$,
                  'upgrade() refuses a plan with a non-transactional revision, naming it and CALL migrate.run');
SELECT is(ran(), :ran_before::bigint, 'n1, before it in the plan, did not run');
SELECT hasnt_table('public', 'n1t', 'n1t does not exist');
SELECT is(runs(), :runs_before::bigint, 'no run is recorded');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('heads')$$, '25001', NULL, 'upgrade(heads) is refused too');
SELECT is((SELECT count(*) FROM migrate.upgrade('n1')), 1::bigint, 'a plan that stops before it runs');
SELECT is(cur(), 'n1', 'n1 is current');

-- downgrade(): a non-transactional revision's downgrade may run in the
-- caller's transaction, unless it holds a statement that refuses one
CREATE INDEX n1t_id ON n1t (id);
SELECT FROM migrate.stamp('n2');
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT results_eq($$SELECT code, message, hint FROM err('SELECT * FROM migrate.downgrade(''n1'')')$$,
                  $$VALUES ('25001', 'the downgrade of revision "n2" cannot run inside migrate.downgrade()',
                            'Run CALL migrate.run(''n1'', ''down'') outside a transaction block.')$$,
                  'downgrade() refuses DROP INDEX CONCURRENTLY in a downgrade body, naming CALL migrate.run(..., ''down'')');
SELECT is(cur(), 'n2', 'n2 stays applied');
SELECT has_index('public', 'n1t', 'n1t_id', 'its index stays');
SELECT is(runs(), :runs_before::bigint, 'no run is recorded');
SELECT FROM migrate.stamp('n1');
SELECT FROM migrate.add('n2t', 'CREATE INDEX CONCURRENTLY n1t_id ON n1t (id)',
                        'DROP INDEX n1t_id; SELECT nextval(''public.ran_seq'');', '{n1}', transactional => false);
SELECT FROM migrate.stamp('n2t');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('n1')$$, ARRAY['n2t'],
                  'a non-transactional revision whose downgrade body can run in a transaction is reverted by downgrade()');
SELECT hasnt_index('public', 'n1t', 'n1t_id', 'its downgrade body ran');
SELECT is(ran(), :ran_before + 1::bigint, 'once');
SELECT lives_ok($$SELECT migrate.remove('n2t')$$, '(clean up: remove n2t)');

-- a body may not run the engine itself
SELECT FROM migrate.add('nest_up', 'SELECT count(*) FROM migrate.upgrade(''i1'')', 'SELECT 1');
SELECT FROM migrate.add('nest_stamp', 'SELECT count(*) FROM migrate.stamp(''base'')', 'SELECT 1');
SELECT FROM migrate.add('nest_down', 'SELECT 1', 'SELECT count(*) FROM migrate.downgrade(''base'')');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''nest_up'')')$$,
                  $$VALUES ('0A000', 'migrate.upgrade() cannot be called from a revision body')$$,
                  'a body that calls migrate.upgrade() fails (0A000)');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''nest_stamp'')')$$,
                  $$VALUES ('0A000', 'migrate.stamp() cannot be called from a revision body')$$,
                  'a body that calls migrate.stamp() fails (0A000)');
SELECT is(cur(), 'n1', 'nothing changed');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('nest_down')$$, ARRAY['nest_down'],
                  'after those failures, an upgrade runs normally');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.downgrade(''base'')')$$,
                  $$VALUES ('0A000', 'migrate.downgrade() cannot be called from a revision body')$$,
                  'a downgrade body that calls migrate.downgrade() fails (0A000)');
SELECT lives_ok($$SELECT migrate.stamp('base'); SELECT migrate.stamp('n1')$$, '(clean up: stamp base, then n1)');
SELECT lives_ok($$SELECT migrate.remove(r) FROM unnest('{nest_up,nest_stamp,nest_down}'::text[]) r$$, '(clean up: remove them)');

--------------------------------------------------------------------------
-- downgrade refusals
--------------------------------------------------------------------------
SELECT FROM migrate.add('i1', 'CREATE TABLE i1t (id int)', 'DROP TABLE i1t; SELECT nextval(''public.ran_seq'');');
SELECT FROM migrate.add('i2', 'CREATE TABLE i2t (id int)', NULL, '{i1}', message => 'irreversible');
SELECT FROM migrate.add('i3', 'CREATE TABLE i3t (id int)', 'DROP TABLE i3t; SELECT nextval(''public.ran_seq'');', '{i2}');
SELECT FROM migrate.add('i4', 'CREATE TABLE i4t (id int)', 'DROP TABLE i4t; SELECT nextval(''public.ran_seq'');', '{i3}');
SELECT is((SELECT count(*) FROM migrate.upgrade('i4')), 4::bigint, 'i1 to i4 applied');
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.downgrade(''i1'')')$$,
                  $$VALUES ('55000', 'cannot downgrade: revision "i2" is irreversible')$$,
                  'downgrade through an irreversible revision is refused (55000), naming it');
SELECT is(ran(), :ran_before::bigint, 'before the downgrades of i4 and i3 ran');
SELECT has_table('public', 'i4t', 'i4t stays');
SELECT is(cur(), 'i4,n1', 'i4 stays current');
SELECT is(runs(), :runs_before::bigint, 'no run is recorded');
SELECT throws_ok($$SELECT * FROM migrate.downgrade('base')$$, '55000', NULL, 'downgrade(base) is refused too');
SELECT throws_ok($$SELECT * FROM migrate.downgrade('i4-3')$$, '55000', NULL, 'downgrade(i4-3) is refused too');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('i2')$$, $$VALUES ('i4'), ('i3')$$,
                  'downgrade to the irreversible revision itself works');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.downgrade(''i4'')')$$,
                  $$VALUES ('55000', 'cannot downgrade to revision "i4": it is not applied')$$,
                  'downgrade to an unapplied revision is refused (55000)');
SELECT is(cur(), 'i2,n1', 'i2 stays current');
SELECT throws_ok($$SELECT * FROM migrate.downgrade('n2')$$, '55000', NULL, 'downgrade to an unapplied revision of another branch is refused');

--------------------------------------------------------------------------
-- errors, each with its SQLSTATE; none runs a body or records a run
--------------------------------------------------------------------------
SELECT FROM migrate.add('e_orphan', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{e_missing}');
SELECT FROM migrate.add('e_cyc1', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{e_cyc2}');
SELECT FROM migrate.add('e_cyc2', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', '{e_cyc1}');
SELECT FROM migrate.add('e_dep', 'SELECT nextval(''public.ran_seq'')', 'SELECT 1', depends_on => '{e_nodep}');
SELECT ran() AS ran_before, runs() AS runs_before \gset
CREATE TEMPORARY TABLE errors (n serial, call text, sqlstate text, what text);
INSERT INTO errors (call, sqlstate, what) VALUES
    ($$SELECT * FROM migrate.upgrade(NULL)$$, '22004', 'upgrade(NULL)'),
    ($$SELECT * FROM migrate.downgrade(NULL)$$, '22004', 'downgrade(NULL)'),
    ($$SELECT * FROM migrate.stamp(NULL)$$, '22004', 'stamp(NULL)'),
    ($$SELECT migrate.sql(NULL)$$, '22004', 'sql(NULL)'),
    ($$SELECT * FROM migrate.upgrade('')$$, '22023', 'upgrade('''')'),
    ($$SELECT * FROM migrate.upgrade('+')$$, '22023', 'upgrade(''+'')'),
    ($$SELECT * FROM migrate.upgrade('+x')$$, '22023', 'upgrade(''+x'')'),
    ($$SELECT * FROM migrate.upgrade('+0')$$, '22023', 'upgrade(''+0'')'),
    ($$SELECT * FROM migrate.upgrade('a@b@c')$$, '22023', 'upgrade(''a@b@c'')'),
    ($$SELECT * FROM migrate.upgrade('i1 i2')$$, '22023', 'upgrade(''i1 i2'')'),
    ($$SELECT * FROM migrate.upgrade('-1')$$, '22023', 'upgrade(''-1''): a downgrade target'),
    ($$SELECT * FROM migrate.downgrade('+1')$$, '22023', 'downgrade(''+1''): an upgrade target'),
    ($$SELECT * FROM migrate.downgrade('')$$, '22023', 'downgrade('''')'),
    ($$SELECT * FROM migrate.upgrade('no_such_rev')$$, '42704', 'upgrade to an unknown revision'),
    ($$SELECT * FROM migrate.downgrade('no_such_rev')$$, '42704', 'downgrade to an unknown revision'),
    ($$SELECT * FROM migrate.upgrade('nolabel@head')$$, '42704', 'upgrade to an unknown label'),
    ($$SELECT * FROM migrate.upgrade('p')$$, '42P09', 'upgrade to an ambiguous prefix'),
    ($$SELECT * FROM migrate.downgrade('i')$$, '42P09', 'downgrade to an ambiguous prefix'),
    ($$SELECT * FROM migrate.upgrade('head')$$, '21000', 'upgrade(head) with several heads'),
    ($$SELECT * FROM migrate.upgrade('e_orphan')$$, '42704', 'a plan with a missing parent'),
    ($$SELECT * FROM migrate.upgrade('e_dep')$$, '42704', 'a plan with a missing dependency'),
    ($$SELECT * FROM migrate.upgrade('e_cyc1')$$, '42P17', 'a plan through a cycle'),
    ($$SELECT * FROM migrate.upgrade('+99999999999')$$, '22003', 'a step count out of range'),
    ($$SELECT migrate.sql('i4', 'sideways')$$, '22023', 'sql() with an unknown direction'),
    ($$SELECT migrate.sql('-1', 'up')$$, '22023', 'sql(''-1'', ''up'')'),
    ($$SELECT migrate.sql('head')$$, '21000', 'sql(head) with several heads'),
    ($$SELECT migrate.sql('e_cyc1')$$, '42P17', 'sql() of a plan through a cycle');
SELECT is((SELECT code FROM err(call)), e.sqlstate, e.what || ': SQLSTATE ' || e.sqlstate)
  FROM errors e ORDER BY n;
SELECT is(ran(), :ran_before::bigint, 'no body ran for any of these errors');
SELECT is(runs(), :runs_before::bigint, 'and no run was recorded');
SELECT is((SELECT message FROM err($$SELECT * FROM migrate.upgrade('e_orphan')$$)),
          'cannot upgrade: revision "e_orphan" names parent "e_missing", which is not registered',
          'the missing parent is named');
SELECT is((SELECT message FROM err($$SELECT * FROM migrate.upgrade('e_cyc1')$$)),
          'cannot upgrade: revision "e_cyc2" is part of a cycle', 'the cycle is named');

--------------------------------------------------------------------------
-- privileges: refused without a grant; bodies run as the caller
--------------------------------------------------------------------------
CREATE ROLE migrate_apply_nobody NOLOGIN;
CREATE ROLE migrate_apply_deployer NOLOGIN;
GRANT EXECUTE ON FUNCTION migrate.upgrade(text, text), migrate.downgrade(text, text) TO migrate_apply_deployer;
CREATE SCHEMA deploy_area;
CREATE FUNCTION as_nobody(sql text) RETURNS void LANGUAGE plpgsql
    SET role = 'migrate_apply_nobody' AS $f$ BEGIN EXECUTE sql; END $f$;
CREATE FUNCTION as_deployer(sql text) RETURNS void LANGUAGE plpgsql
    SET role = 'migrate_apply_deployer' AS $f$ BEGIN EXECUTE sql; END $f$;
GRANT EXECUTE ON FUNCTION as_nobody(text) TO migrate_apply_nobody;
GRANT EXECUTE ON FUNCTION as_deployer(text) TO migrate_apply_deployer;
SELECT ran() AS ran_before, runs() AS runs_before \gset
SELECT throws_ok($$SELECT as_nobody('SELECT * FROM migrate.upgrade(''i4'')')$$, '42501', NULL, 'upgrade() without a grant: 42501');
SELECT throws_ok($$SELECT as_nobody('SELECT * FROM migrate.downgrade(''base'')')$$, '42501', NULL, 'downgrade() without a grant: 42501');
SELECT throws_ok($$SELECT as_nobody('SELECT * FROM migrate.stamp(''base'')')$$, '42501', NULL, 'stamp() without a grant: 42501');
SELECT throws_ok($$SELECT as_nobody('SELECT migrate.sql(''i4'')')$$, '42501', NULL, 'sql() without a grant: 42501');
SELECT throws_ok($$SELECT as_nobody('CALL migrate.run(''i4'')')$$, '42501', NULL, 'CALL migrate.run() without a grant: 42501');
SELECT is(ran(), :ran_before::bigint, 'none of them ran a body');
SELECT is(runs(), :runs_before::bigint, 'or recorded a run');
SELECT is(cur(), 'i2,n1', 'or changed the applied state');

-- EXECUTE is enough to run the engine, but the bodies have the caller's rights only
SELECT FROM migrate.add('g1', 'CREATE TABLE deploy_area.g1t (id int)', 'DROP TABLE deploy_area.g1t', '{i2}');
SELECT runs('failed') AS failed_before \gset
SELECT throws_ok($$SELECT as_deployer('SELECT * FROM migrate.upgrade(''g1'')')$$, '42501',
                 'permission denied for schema deploy_area',
                 'a body runs with the caller''s rights, not the extension owner''s');
SELECT is(runs('failed'), (:failed_before + 1)::bigint, 'the refused body is a failed run');
SELECT results_eq($$SELECT db_user::text COLLATE "default", error_revision, error_sqlstate FROM migrate.run
                     WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
                  $$VALUES ('migrate_apply_deployer', 'g1', '42501')$$,
                  'recorded with the caller as db_user');
GRANT CREATE, USAGE ON SCHEMA deploy_area TO migrate_apply_deployer;
SELECT lives_ok($$SELECT as_deployer('SELECT * FROM migrate.upgrade(''g1'')')$$, 'with CREATE on the schema it works');
SELECT is((SELECT tableowner::text FROM pg_tables WHERE schemaname = 'deploy_area' AND tablename = 'g1t'),
          'migrate_apply_deployer', 'the table belongs to the caller');
SELECT is((SELECT applied_by::text FROM migrate.applied WHERE revision = 'g1'),
          'migrate_apply_deployer',
          'the bookkeeping is done although the caller cannot write migrate.applied; applied_by is the caller');
SELECT is((SELECT db_user::text FROM migrate.run WHERE id = last_run()), 'migrate_apply_deployer', 'the run''s db_user is the caller');
SELECT lives_ok($$SELECT as_deployer('SELECT * FROM migrate.downgrade(''i2'')')$$, 'the caller downgrades what it made');
SELECT hasnt_table('deploy_area', 'g1t', 'g1t is gone');

SELECT * FROM finish();
ROLLBACK;
