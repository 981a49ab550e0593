\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Hardening found by outside testing (issue 13), the findings one session
-- can show: bodies that change how the rest is read, enum values used in
-- the same plan that adds them, bodies that register or remove revisions,
-- statement_timeout set by a body, 55P03 that is not a lock timeout, huge
-- inputs echoed in errors, and a catalog column whose type was changed.
-- Several sessions and CALL migrate.run: test/scenario/run_hardening.sh,
-- snapshots.sh, long_plans.sh, worker_slots.sh; the offline script:
-- test/scenario/offline_sql.sh.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(49);

CREATE FUNCTION err(sql text, OUT code text, OUT message text, OUT detail text,
                    OUT hint text, OUT context text)
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    code := 'no error';
EXCEPTION WHEN query_canceled OR others THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                            context = PG_EXCEPTION_CONTEXT;
END $f$;
-- bodies call nextval on this sequence: ran() counts bodies started, even
-- in rolled-back subtransactions
CREATE SEQUENCE public.ran_seq;
CREATE FUNCTION ran() RETURNS bigint LANGUAGE sql AS
$f$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.ran_seq $f$;
CREATE FUNCTION cur() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM migrate.current() c $f$;

--------------------------------------------------------------------------
-- 1. A body that changes how the rest of it is read
--------------------------------------------------------------------------
-- the body of the report: harmless to the server's parser with
-- standard_conforming_strings on, something else once it is off
SELECT FROM migrate.add('s1', E'SET standard_conforming_strings = off;\nSELECT ''x\\'', ''\n\\! id > pwned.txt #'' AS y;',
                        'SELECT 1');
SELECT alike((SELECT upgrade_problem FROM migrate.revision WHERE id = 's1'),
            '%standard_conforming_strings%',
            'registration stores the verdict: SET standard_conforming_strings is not allowed in a body');
SELECT results_eq($$SELECT severity, code FROM migrate.validate() WHERE revision = 's1'$$,
                  $$VALUES ('error', 'unparsable_body')$$, 'validate() reports it');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''s1'')')$$,
                  $$VALUES ('0A000', 'revision "s1" cannot run: SET standard_conforming_strings is not allowed in a revision body: it would change how the body''s later statements and the offline script are read')$$,
                  'upgrade() refuses it before anything runs (0A000)');
SELECT is((SELECT code FROM err('SELECT migrate.sql(''s1'')')), '0A000', 'migrate.sql() refuses it too');
SELECT lives_ok($$SELECT migrate.remove('s1')$$, '(clean up: remove s1)');
SELECT FROM migrate.add('s2', 'SET NAMES ''LATIN1''; SELECT 1', 'SELECT 1');
SELECT is((SELECT code FROM err('SELECT * FROM migrate.upgrade(''s2'')')), '0A000',
          'SET NAMES (client_encoding) is refused the same way');
SELECT lives_ok($$SELECT migrate.remove('s2')$$, '(clean up: remove s2)');
-- the same change made where no parser sees it: stopped when it happens
SELECT FROM migrate.add('s3', E'SELECT set_config(''standard_conforming_strings'', ''off'', false);\nSELECT nextval(''public.ran_seq'');',
                        'SELECT 1');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''s3'')')$$,
                  $$VALUES ('0A000', 'statement 1 of revision "s3" changed standard_conforming_strings')$$,
                  'a body that turns standard_conforming_strings off through set_config() fails at that statement');
SELECT is(ran(), 0::bigint, 'its next statement did not run');
SELECT is(current_setting('standard_conforming_strings'), 'on', 'and the setting is back');
SELECT lives_ok($$SELECT migrate.remove('s3')$$, '(clean up: remove s3)');

--------------------------------------------------------------------------
-- 3. An enum value added by one revision and used by a later one
--------------------------------------------------------------------------
SELECT FROM migrate.add('e1', 'CREATE TYPE visibility AS ENUM (''Public''); CREATE TABLE post (id int, v visibility)',
                        'DROP TABLE post; DROP TYPE visibility');
SELECT FROM migrate.add('e2', 'ALTER TYPE visibility ADD VALUE ''Private''; SELECT nextval(''public.ran_seq'')',
                        NULL, '{e1}');
SELECT FROM migrate.add('e3', 'CREATE INDEX post_public ON post (id) WHERE v <> ''Private''',
                        'DROP INDEX post_public', '{e2}');
SELECT results_eq($$SELECT severity, code, revision FROM migrate.validate() WHERE code = 'enum_value_used_too_early'$$,
                  $$VALUES ('warning', 'enum_value_used_too_early', 'e3')$$,
                  'validate() reports the pair as enum_value_used_too_early (warning), on the revision that uses the value');
SELECT alike((SELECT message FROM migrate.validate() WHERE code = 'enum_value_used_too_early'),
            '%"e2"%', 'naming the revision that adds it');
SELECT results_eq($$SELECT code, message, hint FROM err('SELECT * FROM migrate.upgrade(''head'')')$$,
                  $$VALUES ('55P04', 'revision "e3" uses the value "Private" that revision "e2" adds to enum type visibility: they cannot run in one transaction',
                            'Run CALL migrate.run(''head'') outside a transaction block: it commits after each revision.')$$,
                  'upgrade() refuses the plan before anything runs (55P04), naming both revisions and CALL migrate.run');
SELECT is(ran(), 0::bigint, 'nothing ran');
SELECT is(cur(), '', 'nothing is applied');
SELECT alike((SELECT detail FROM err('SELECT * FROM migrate.upgrade(''head'')')),
            'Steps 2 and 3 of 3%', 'the detail says which steps');
SELECT is((SELECT count(*) FROM migrate.upgrade('e2')), 2::bigint,
          'a plan that stops at the revision adding the value runs');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE code = 'enum_value_used_too_early'), 0::bigint,
          'once the value is added, validate() no longer reports the pair');
-- a mention inside a function body counts too (SQL functions are checked when created)
SELECT FROM migrate.stamp('base');
SELECT FROM migrate.add('e4', 'CREATE FUNCTION is_private(visibility) RETURNS boolean LANGUAGE sql AS $$ SELECT $1 = ''Private'' $$',
                        'DROP FUNCTION is_private', '{e2}');
SELECT is((SELECT code FROM err('SELECT * FROM migrate.upgrade(''e4'')')), '55P04',
          'a value named inside a dollar-quoted function body counts as a use');
SELECT lives_ok($$SELECT migrate.remove('e4'); SELECT migrate.remove('e3'); SELECT migrate.remove('e2'); SELECT migrate.remove('e1')$$,
                '(clean up: remove e1 to e4)');

--------------------------------------------------------------------------
-- 7. A body cannot change the history it is part of
--------------------------------------------------------------------------
SELECT FROM migrate.add('h0', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('h_add', 'SELECT migrate.add(''h_new'', ''SELECT 1'')', 'SELECT 1', '{h0}');
SELECT FROM migrate.add('h_rm', 'SELECT migrate.remove(''h0'')', 'SELECT 1', '{h0}');
SELECT FROM migrate.add('h_file', $b$SELECT migrate.add_file(E'-- migrate:revision h_new\n-- migrate:upgrade\nSELECT 1\n')$b$, 'SELECT 1', '{h0}');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''h_add'')')$$,
                  $$VALUES ('0A000', 'migrate.add() cannot be called from a revision body')$$,
                  'a body that calls migrate.add() fails (0A000)');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''h_rm'')')$$,
                  $$VALUES ('0A000', 'migrate.remove() cannot be called from a revision body')$$,
                  'a body that calls migrate.remove() fails (0A000)');
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''h_file'')')$$,
                  $$VALUES ('0A000', 'migrate.add_file() cannot be called from a revision body')$$,
                  'a body that calls migrate.add_file() fails (0A000)');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id IN ('h0', 'h_new')), 1::bigint,
          'the registered revisions are unchanged');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE severity = 'error'), 0::bigint,
          'validate() finds nothing wrong');
SELECT lives_ok($$SELECT migrate.remove(r) FROM unnest('{h_add,h_rm,h_file,h0}'::text[]) r$$, '(clean up: remove them)');

--------------------------------------------------------------------------
-- 8. statement_timeout set by a body bounds its later statements
--------------------------------------------------------------------------
SELECT FROM migrate.add('t1', 'SET statement_timeout = ''100ms''; SELECT pg_sleep(3)', 'SELECT 1');
SELECT is((SELECT code FROM err('SELECT * FROM migrate.upgrade(''t1'')')), '57014',
          'SET statement_timeout in a body bounds its next statement (57014)');
SELECT is(current_setting('statement_timeout'), '0', 'the caller''s statement_timeout is unchanged');
SELECT lives_ok($$SELECT migrate.remove('t1')$$, '(clean up: remove t1)');
-- the caller's own statement_timeout still bounds the whole call
SELECT FROM migrate.add('t2', 'SET statement_timeout = ''10s''; SELECT pg_sleep(0.2); SELECT pg_sleep(0.2); SELECT pg_sleep(0.2)', 'SELECT 1');
SET statement_timeout = '350ms';
SELECT is((SELECT code FROM err('SELECT * FROM migrate.upgrade(''t2'')')), '57014',
          'a longer statement_timeout in a body does not extend the caller''s');
RESET statement_timeout;
SELECT FROM migrate.add('t2', 'SET statement_timeout = ''10s''; SELECT pg_sleep(0.05); SELECT pg_sleep(0.05)', 'SELECT 1');
SELECT is((SELECT count(*) FROM migrate.upgrade('t2')), 1::bigint, 'a body that stays within it runs');
SELECT lives_ok($$SELECT migrate.stamp('base'); SELECT migrate.remove('t2')$$, '(clean up)');

--------------------------------------------------------------------------
-- 8. A 55P03 that is not a lock timeout is not retried as one
--------------------------------------------------------------------------
SET migrate.lock_retries = 3;
SELECT FROM migrate.add('l1', $b$SELECT nextval('public.ran_seq'); DO $d$BEGIN RAISE EXCEPTION 'remote lock busy' USING ERRCODE = '55P03'; END$d$$b$, 'SELECT 1');
SELECT ran() AS ran_before \gset
SELECT results_eq($$SELECT code, message FROM err('SELECT * FROM migrate.upgrade(''l1'')')$$,
                  $$VALUES ('55P03', 'remote lock busy')$$,
                  'a 55P03 raised by the body (as dblink would pass one on) keeps its own message');
SELECT is(ran(), :ran_before + 1::bigint, 'and the revision ran once: not retried');
SELECT lives_ok($$SELECT migrate.remove('l1')$$, '(clean up: remove l1)');
RESET migrate.lock_retries;

--------------------------------------------------------------------------
-- 8. Huge inputs are not echoed whole
--------------------------------------------------------------------------
SELECT cmp_ok((SELECT length(message) + coalesce(length(detail), 0) FROM err($$SELECT migrate.function_exists(repeat('f', 100000) || '(int')$$)),
              '<', 400, 'a malformed 100,000-character signature is not echoed whole');
SELECT is((SELECT code FROM err($$SELECT migrate.function_exists(repeat('f', 100000) || '(int')$$)), '42602',
          'it is still 42602');
SELECT cmp_ok((SELECT length(message) + coalesce(length(detail), 0) FROM err($$SELECT migrate.table_exists(repeat('"', 100001))$$)),
              '<', 400, 'nor a malformed 100,000-character table name');
SELECT cmp_ok((SELECT length(message) + coalesce(length(detail), 0) FROM err($$SELECT migrate.type_exists('setof ' || repeat('t', 100000))$$)),
              '<', 400, 'nor a 100,000-character type name');
SELECT is((SELECT code FROM err($$SELECT migrate.add_file(repeat(E'-- migrate:bogus x\n', 200000))$$)), '22P02',
          'a file with 200,000 bad lines is 22P02');
SELECT cmp_ok((SELECT array_length(string_to_array(detail, E'\n'), 1) FROM err($$SELECT migrate.add_file(repeat(E'-- migrate:bogus x\n', 200000))$$)),
              '<=', 21, 'its detail lists at most 20 problems and one more line');
SELECT matches((SELECT detail FROM err($$SELECT migrate.add_file(repeat(E'-- migrate:bogus x\n', 200000))$$)),
               E'\n\\.\\.\\. and 1999[0-9][0-9] more problems\\.$', 'that line says how many more there are');

--------------------------------------------------------------------------
-- 8. A catalog column whose type was changed (as a superuser may): heap
--    scans raise a clean error, never read garbage
--------------------------------------------------------------------------
SELECT FROM migrate.add('c1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('c2', 'SELECT 1', 'SELECT 1', '{c1}', depends_on => '{c1}');
SELECT FROM migrate.upgrade('c1');
SAVEPOINT damage;
ALTER TABLE migrate.revision ALTER COLUMN depends_on DROP DEFAULT,
                             ALTER COLUMN depends_on TYPE int[] USING '{1,2,3}';
SELECT results_eq($$SELECT code FROM err('SELECT * FROM migrate.heads()')$$, $$VALUES ('55000')$$,
                  'depends_on changed to int[]: heads() raises 55000');
SELECT alike((SELECT message FROM err('SELECT * FROM migrate.heads()')),
            '%depends_on%', 'naming the column');
ROLLBACK TO damage;
-- (id, checksum and applied.revision are read by views: their type cannot change)
ALTER TABLE migrate.revision ALTER COLUMN message TYPE int USING length(message);
SELECT is((SELECT code FROM err('SELECT * FROM migrate.history()')), '55000', 'message changed to int: history() raises 55000');
ROLLBACK TO damage;
ALTER TABLE migrate.applied ALTER COLUMN applied_at TYPE text;
SELECT is((SELECT code FROM err('SELECT * FROM migrate.status()')), '55000', 'applied.applied_at changed to text: status() raises 55000');
ROLLBACK TO damage;
ALTER TABLE migrate.revision ALTER COLUMN down_revision DROP DEFAULT,
                             ALTER COLUMN down_revision TYPE varchar[] USING down_revision::varchar[];
SELECT is((SELECT code FROM err('SELECT * FROM migrate.heads()')), '55000', 'down_revision changed to varchar[]: 55000 as well');
ROLLBACK TO damage;
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['c2'], 'after the rollback, everything answers again');

SELECT * FROM finish();
ROLLBACK;
