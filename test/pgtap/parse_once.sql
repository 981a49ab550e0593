\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Bodies run from the parse trees the plan's parse-before-run made (DDL
-- through ProcessUtility, analysed only when it runs; other statements
-- through SPI): a statement sees what the statements before it in the same
-- body made or SET, prepared statements and DO blocks work, errors keep
-- their SQLSTATE and statement, settings do not leak, and a lock-timeout
-- retry runs the same trees again.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(35);

CREATE FUNCTION ctx_of(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE c text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS c = PG_EXCEPTION_CONTEXT;
    RETURN SQLSTATE || ': ' || c;
END $f$;

-- 1. each statement is analysed when it runs, after the ones before it
SELECT FROM migrate.add('o1', $b$
CREATE TABLE o1 (id int);
ALTER TABLE o1 ADD COLUMN v text NOT NULL DEFAULT 'x';
CREATE INDEX o1_v ON o1 (v);
CREATE VIEW o1_view AS SELECT id, v FROM o1;
COMMENT ON COLUMN o1.v IS 'made in the same body';
CREATE TYPE o1_mood AS ENUM ('up', 'down');
ALTER TABLE o1 ADD COLUMN mood o1_mood;
CREATE FUNCTION o1_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM o1';
INSERT INTO o1 (id, mood) VALUES (1, 'up');
CREATE TABLE o1_copy AS SELECT * FROM o1_view;
$b$, 'DROP TABLE o1 CASCADE');
SELECT is((SELECT count(*) FROM migrate.upgrade('o1')), 1::bigint, 'a body whose statements use what the previous ones made applies');
SELECT is((SELECT v FROM o1_view WHERE id = 1), 'x', 'the view made in the same body sees the column added in it');
SELECT is(o1_count(), 1::bigint, 'the function made in the same body works');
SELECT is((SELECT count(*) FROM o1_copy), 1::bigint, 'CREATE TABLE AS saw the row inserted before it');
SELECT is(col_description('o1'::regclass, 2), 'made in the same body', 'the comment is on the column added in the body');

-- 2. a SET in the body rules its later statements, and only them
CREATE SCHEMA o2s;
SELECT FROM migrate.add('o2', $b$
SET search_path = o2s;
CREATE TABLE o2_t (id int);
CREATE INDEX o2_t_id ON o2_t (id);
INSERT INTO o2_t VALUES (2);
SET LOCAL search_path = pg_catalog;
CREATE TABLE o2s.o2_u (id int);
$b$, 'SELECT 1', '{o1}');
SELECT FROM migrate.add('o2b', 'CREATE TABLE o2b_t (id int)', 'SELECT 1', '{o2}');
SELECT is((SELECT count(*) FROM migrate.upgrade('o2b')), 2::bigint, 'a body that sets search_path applies');
SELECT is(to_regclass('o2s.o2_t')::text, 'o2s.o2_t', 'the table after SET search_path is in that schema');
SELECT is((SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'o2s.o2_t'::regclass), 'o2s.o2_t_id', 'the index found its table through the body''s search_path');
SELECT is((SELECT id FROM o2s.o2_t), 2, 'the INSERT found its table through the body''s search_path');
SELECT is(to_regclass('public.o2b_t')::text, 'o2b_t', 'the next revision runs with the caller''s search_path');
SELECT is(to_regclass('o2s.o2b_t'), NULL, 'and not with the body''s');
SELECT is(current_setting('search_path'), '"$user", public', 'the caller''s search_path is unchanged');

-- 3. prepared statements and DO blocks
SELECT FROM migrate.add('o3', $b$
CREATE TABLE o3 (id int, note text);
PREPARE o3_ins (int, text) AS INSERT INTO o3 VALUES ($1, $2);
EXECUTE o3_ins(1, 'prepared');
EXECUTE o3_ins(2, 'twice');
DEALLOCATE o3_ins;
DO $do$
BEGIN
    EXECUTE 'CREATE TABLE o3_do (id int)';
    INSERT INTO o3 VALUES (3, 'from DO');
END $do$;
INSERT INTO o3_do SELECT id FROM o3;
CALL o3_proc();
$b$, 'DROP TABLE o3, o3_do', '{o2b}');
CREATE PROCEDURE o3_proc() LANGUAGE plpgsql AS $p$ BEGIN INSERT INTO o3 VALUES (4, 'called'); END $p$;
SELECT is((SELECT count(*) FROM migrate.upgrade('o3')), 1::bigint, 'a body with PREPARE, EXECUTE, DO and CALL applies');
SELECT is((SELECT string_agg(note, ',' ORDER BY id) FROM o3), 'prepared,twice,from DO,called', 'each of them ran, in order');
SELECT is((SELECT count(*) FROM o3_do), 3::bigint, 'the table the DO block made was used by the next statement');
SELECT is((SELECT count(*) FROM pg_prepared_statements WHERE name = 'o3_ins'), 0::bigint, 'the body''s DEALLOCATE ran');

-- 4. errors: SQLSTATE, the statement and the revision in the context
SELECT FROM migrate.add('o4', E'CREATE TABLE o4 (id int);\nCREATE TABLE o1 (id int);', 'SELECT 1', '{o3}');
SELECT matches(ctx_of($$SELECT migrate.upgrade('o4')$$),
               '^42P07: SQL statement "CREATE TABLE o1 \(id int\)"\nupgrade body of revision "o4" \(step 1 of 1\), statement 2',
               'a DDL error keeps its SQLSTATE, the statement and the revision');
SELECT is(to_regclass('o4'), NULL, 'nothing of the failed revision stays');
SELECT is((SELECT error_sqlstate FROM migrate.run WHERE status = 'failed' ORDER BY id DESC LIMIT 1), '42P07', 'the failure is recorded with its SQLSTATE');
SELECT FROM migrate.remove('o4');
SELECT FROM migrate.add('o4', E'CREATE TABLE o4 (id int);\nCREATE TABLE o4b (w no_such_type);', 'SELECT 1', '{o3}');
SELECT throws_ok($$SELECT migrate.upgrade('o4')$$, '42704', 'type "no_such_type" does not exist',
                 'an error of parse analysis at run time keeps its SQLSTATE and message');
SELECT FROM migrate.remove('o4');

-- 5. a syntax error in statement 7 is reported before statement 1 runs
SELECT FROM migrate.add('o5', E'CREATE TABLE o5_1 (id int);\nCREATE TABLE o5_2 (id int);\nCREATE TABLE o5_3 (id int);\nCREATE TABLE o5_4 (id int);\nCREATE TABLE o5_5 (id int);\nCREATE TABLE o5_6 (id int);\nCREATE TABLE o5_7 (id int int);',
                   'SELECT 1', '{o3}');
SELECT matches(ctx_of($$SELECT migrate.upgrade('o5')$$),
               '^42601: upgrade body of revision "o5" \(step 1 of 1\), checked before anything ran',
               'a syntax error in statement 7 is reported before anything runs');
SELECT is(to_regclass('o5_1'), NULL, 'statement 1 did not run');
SELECT FROM migrate.remove('o5');

-- 6. statements that only SPI may run are still refused before anything runs
SELECT FROM migrate.add('o6', E'CREATE TABLE o6 (id int);\nCOPY o6 FROM STDIN;', 'SELECT 1', '{o3}');
SELECT throws_ok($$SELECT migrate.upgrade('o6')$$, '0A000', NULL, 'COPY FROM STDIN is refused before anything runs');
SELECT is(to_regclass('o6'), NULL, 'and nothing ran');
SELECT FROM migrate.remove('o6');

-- 7. a body that migrate.upgrade() calls itself: still refused (body-depth guard)
SELECT FROM migrate.add('o7', E'CREATE TABLE o7 (id int);\nDO $do$ BEGIN PERFORM migrate.upgrade(''head''); END $do$;', 'SELECT 1', '{o3}');
SELECT throws_ok($$SELECT migrate.upgrade('o7')$$, '0A000', 'migrate.upgrade() cannot be called from a revision body',
                 'a body that calls migrate.upgrade() is refused');
SELECT FROM migrate.remove('o7');

-- 8. a downgrade runs its DDL the same way; the same trees again after a failure
SELECT is((SELECT count(*) FROM migrate.downgrade('o2b')), 1::bigint, 'the downgrade body (DDL) runs');
SELECT is(to_regclass('o3'), NULL, 'and dropped what it should');
SELECT is((SELECT count(*) FROM migrate.upgrade('o3')), 1::bigint, 'and the upgrade runs again');

-- 9. plannable statements from their trees: triggers, rules, RETURNING,
--    data-modifying WITH, MERGE, SELECT INTO, a SELECT for its side effect
CREATE SEQUENCE o9_seq;
SELECT FROM migrate.add('o9', $b$
CREATE TABLE o9 (id int PRIMARY KEY, v text);
CREATE TABLE o9_log (what text);
CREATE FUNCTION o9_trg() RETURNS trigger LANGUAGE plpgsql AS $t$
BEGIN INSERT INTO o9_log VALUES (TG_OP || ' ' || NEW.id); RETURN NEW; END $t$;
CREATE TRIGGER o9_after AFTER INSERT OR UPDATE ON o9 FOR EACH ROW EXECUTE FUNCTION o9_trg();
CREATE VIEW o9_view AS SELECT id, v FROM o9;
CREATE RULE o9_view_ins AS ON INSERT TO o9_view DO INSTEAD (
    INSERT INTO o9 VALUES (NEW.id, NEW.v);
    INSERT INTO o9_log VALUES ('rule ' || NEW.id));
INSERT INTO o9 VALUES (1, 'a') RETURNING id;
INSERT INTO o9_view VALUES (2, 'b');
WITH moved AS (UPDATE o9 SET v = upper(v) WHERE id = 1 RETURNING id) INSERT INTO o9_log SELECT 'moved ' || id FROM moved;
MERGE INTO o9 USING (VALUES (2, 'merged'), (3, 'new')) AS src(id, v) ON o9.id = src.id
  WHEN MATCHED THEN UPDATE SET v = src.v WHEN NOT MATCHED THEN INSERT VALUES (src.id, src.v);
SELECT id, v INTO o9_into FROM o9 WHERE id < 3;
SELECT nextval('o9_seq'), nextval('o9_seq');
SELECT * FROM o9;
$b$, 'DROP TABLE o9, o9_log, o9_into CASCADE; DROP FUNCTION o9_trg()', '{o3}');
SELECT is((SELECT count(*) FROM migrate.upgrade('o9')), 1::bigint, 'a body of DML with triggers, rules, WITH, MERGE and SELECT INTO applies');
SELECT is((SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM o9), '1=A,2=merged,3=new', 'each statement saw the one before it');
SELECT is((SELECT string_agg(what, ',' ORDER BY what) FROM o9_log),
          'INSERT 1,INSERT 2,INSERT 3,UPDATE 1,UPDATE 2,moved 1,rule 2', 'triggers fired for every row, the rule ran its two actions');
SELECT is((SELECT count(*) FROM o9_into), 2::bigint, 'SELECT INTO made its table');
SELECT is(currval('o9_seq'), 2::bigint, 'a SELECT run for its side effect ran');
SELECT is((SELECT count(*) FROM migrate.downgrade('o3')), 1::bigint, 'and its downgrade runs');
SELECT is(to_regclass('o9'), NULL, 'dropping what it made');

SELECT * FROM finish();
ROLLBACK;
