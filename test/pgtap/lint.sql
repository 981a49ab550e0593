\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.lint(), migrate.lint_sql() and migrate.explain(): arguments and
-- error paths, every rule, severity by size, the plan's memory of what
-- earlier statements did, privileges, and explain() always rolling back.
-- Whether lint's locks are PostgreSQL's: lint_explain.sql; two sessions
-- (lint never waits, explain honours migrate.lock_timeout):
-- test/scenario/lint.sh.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(107);

-- "line:severity:code" of each finding of a body, in order (lock rows left out)
CREATE FUNCTION findings(body text, tx boolean DEFAULT true) RETURNS text LANGUAGE sql AS $f$
    SELECT coalesce(string_agg(format('%s:%s:%s', line, severity, code), ' '
                               ORDER BY statement, line, code), '')
      FROM migrate.lint_sql(body, tx) WHERE code <> 'lock' $f$;
-- the one row of a code
CREATE FUNCTION finding(body text, want text, tx boolean DEFAULT true)
RETURNS SETOF record LANGUAGE sql AS $f$
    SELECT severity, relation, lock, rewrite, rows, bytes
      FROM migrate.lint_sql(body, tx) WHERE code = want $f$;
CREATE FUNCTION sev(body text, want text) RETURNS text LANGUAGE sql AS $f$
    SELECT string_agg(severity, ',' ORDER BY statement) FROM migrate.lint_sql(body) WHERE code = want $f$;

CREATE TABLE big (id bigint PRIMARY KEY, x int, y text, z varchar(10));
INSERT INTO big SELECT g, g, 'y', 'z' FROM generate_series(1, 2000) g;
CREATE TABLE empty_t (id bigint, x int);
CREATE TABLE ref_t (id bigint PRIMARY KEY);
INSERT INTO ref_t SELECT g FROM generate_series(1, 100) g;
CREATE TYPE mood AS ENUM ('ok');
ANALYZE big, ref_t, empty_t;
CREATE TABLE victim (id int);

--------------------------------------------------------------------------
-- lint_sql: arguments
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM migrate.lint_sql(NULL)$$, '22004', 'body must not be NULL', 'lint_sql(NULL)');
SELECT throws_ok($$SELECT * FROM migrate.lint_sql('SELECT 1', NULL)$$, '22004', 'transactional must not be NULL',
                 'lint_sql(body, NULL)');
SELECT is((SELECT count(*) FROM migrate.lint_sql('')), 0::bigint, 'an empty body: no rows');
SELECT is((SELECT count(*) FROM migrate.lint_sql('-- nothing but a comment')), 0::bigint, 'a comment: no rows');
SELECT is((SELECT count(*) FROM migrate.lint_sql('SELECT 1; CREATE FUNCTION f1() RETURNS int LANGUAGE sql AS ''SELECT 1''')),
          0::bigint, 'statements that lock no table: no rows');
SELECT is((SELECT string_agg(DISTINCT coalesce(revision, 'NULL'), ',') FROM migrate.lint_sql('CREATE INDEX ON big (x)')),
          'NULL', 'lint_sql rows have no revision');

-- malformed bodies are findings, not errors
SELECT is(findings(E'CREATE TABLE a (id int);\nSELEC 1;'), '2:error:unparsable_body', 'a syntax error: unparsable_body on its line');
SELECT is((SELECT message FROM migrate.lint_sql('SELECT ''unterminated')), 'unterminated quoted string at or near "''unterminated"',
          'the parser''s own message');
SELECT is(findings(E'BEGIN;\nCREATE INDEX ON big (x);\nCOMMIT;'),
          '1:error:transaction_nesting 2:warning:blocking_index 3:error:transaction_nesting', 'transaction control: transaction_nesting');
SELECT is(findings('COPY big FROM STDIN'), '1:error:unsupported_statement', 'COPY FROM STDIN: unsupported_statement');

-- hostile bodies: lint parses, never runs
SELECT lives_ok($$SELECT * FROM migrate.lint_sql('DROP TABLE victim; DELETE FROM big; TRUNCATE ref_t')$$, 'a destructive body is only read');
SELECT has_table('public', 'victim', 'DROP TABLE in a linted body dropped nothing');
SELECT is((SELECT count(*) FROM big), 2000::bigint, 'DELETE in a linted body deleted nothing');
SELECT lives_ok($$SELECT * FROM migrate.lint_sql($b$x'; DROP TABLE victim; --$b$)$$, 'a quote-breaking body is a syntax error');
SELECT has_table('public', 'victim', '... and ran nothing');
SELECT is((SELECT relation FROM migrate.lint_sql('ALTER TABLE "we""ird; DROP TABLE victim" ADD COLUMN a int8') WHERE code = 'lock'),
          '"we""ird; DROP TABLE victim"', 'a relation name with quotes and SQL is quoted, not run');
SELECT is((SELECT count(*) FROM migrate.lint_sql(
              (SELECT string_agg(format('CREATE INDEX ON big (x); -- %s', g), E'\n') FROM generate_series(1, 20000) g))),
          20000::bigint, 'a body of 20,000 statements: one row each');
SELECT is((SELECT max(line) FROM migrate.lint_sql(
              (SELECT string_agg(format('CREATE INDEX ON big (x); -- %s', g), E'\n') FROM generate_series(1, 20000) g))),
          20000, '... each on its own line');
SELECT is((SELECT string_agg(line::text, ',' ORDER BY statement)
             FROM migrate.lint_sql(E'-- header\n\nCREATE INDEX ON big (x);\n/* a\ncomment */ CREATE INDEX\n  ON big (y);\nCREATE INDEX ON big (z)')),
          '3,5,7', 'lines: where each statement starts, after comments and blank lines');
SELECT is((SELECT string_agg(line::text, ',' ORDER BY statement)
             FROM migrate.lint_sql(E'CREATE INDEX ON big (y) WHERE y <> ''é\nè'';\nCREATE INDEX ON big (x)')),
          '1,3', 'lines: multibyte characters and a newline inside a literal');

--------------------------------------------------------------------------
-- the rules
--------------------------------------------------------------------------
SELECT results_eq($$SELECT * FROM finding('CREATE INDEX ON big (x)', 'blocking_index') AS (s text, r text, l text, w boolean, n bigint, b bigint)$$,
                  $$VALUES ('warning', 'public.big', 'ShareLock', false, 2000::bigint, pg_relation_size('big'))$$,
                  'blocking_index: ShareLock, the table''s rows and bytes now');
SELECT is(sev('CREATE INDEX ON empty_t (x)', 'blocking_index'), 'info', 'blocking_index on an empty table: info');
SELECT is(findings('CREATE INDEX CONCURRENTLY ON big (x)'), '1:error:concurrently_in_transaction',
          'CONCURRENTLY in a transactional body: concurrently_in_transaction');
SELECT is(findings('CREATE INDEX CONCURRENTLY ON big (x)', false), '1:info:not_rerunnable',
          'CONCURRENTLY in a non-transactional body: fine, but not rerunnable');
SELECT is(findings('CREATE INDEX CONCURRENTLY IF NOT EXISTS big_x ON big (x)', false), '',
          '... unless IF NOT EXISTS');
SELECT is((SELECT lock FROM migrate.lint_sql('CREATE INDEX CONCURRENTLY ON big (x)', false)), 'ShareUpdateExclusiveLock',
          'CREATE INDEX CONCURRENTLY: ShareUpdateExclusiveLock');
SELECT is(findings('DROP INDEX big_pkey'), '1:warning:blocking_drop_index', 'DROP INDEX: blocking_drop_index');
SELECT is(findings('ALTER TABLE big ADD COLUMN t timestamptz DEFAULT clock_timestamp()'), '1:warning:volatile_default',
          'a volatile default: volatile_default');
SELECT is((SELECT rewrite FROM migrate.lint_sql('ALTER TABLE big ADD COLUMN t timestamptz DEFAULT clock_timestamp()')
            WHERE code = 'volatile_default'), true, '... which rewrites');
SELECT is(findings('ALTER TABLE big ADD COLUMN t timestamptz DEFAULT now()'), '',
          'a stable default (now()) is stored once: no finding');
SELECT is(findings('ALTER TABLE big ADD COLUMN t int8 DEFAULT no_such_function()'), '1:warning:volatile_default',
          'a default lint cannot analyse now: a warning that it may rewrite');
SELECT is((SELECT rewrite FROM migrate.lint_sql('ALTER TABLE big ADD COLUMN t int8 DEFAULT no_such_function()')
            WHERE code = 'volatile_default'), NULL::boolean, '... rewrite unknown (NULL)');
SELECT is(findings('ALTER TABLE big ADD COLUMN t int8 GENERATED ALWAYS AS IDENTITY'), '1:warning:table_rewrite',
          'an identity column: table_rewrite');
SELECT is(findings('ALTER TABLE big SET UNLOGGED'), '1:warning:table_rewrite', 'SET UNLOGGED: table_rewrite');
SELECT is(findings('ALTER TABLE big SET LOGGED'), '', 'SET LOGGED of a logged table: nothing');
SELECT is(findings('ALTER TABLE big ALTER COLUMN x TYPE bigint'), '1:warning:type_change', 'int to bigint: type_change, a rewrite');
SELECT is(findings('ALTER TABLE big ALTER COLUMN z TYPE varchar(20)'), '1:info:type_change', 'a wider varchar: type_change, info');
SELECT is(findings('ALTER TABLE big ADD CONSTRAINT c CHECK (x > 0)'), '1:warning:scan_under_lock', 'a CHECK: scan_under_lock');
SELECT is(findings('ALTER TABLE big ADD CONSTRAINT c CHECK (x > 0) NOT VALID'), '', 'a CHECK NOT VALID: no finding');
SELECT is(findings('ALTER TABLE big ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES ref_t'),
          '1:warning:scan_under_lock 1:warning:scan_under_lock', 'a foreign key: scan_under_lock on both tables');
SELECT is((SELECT string_agg(relation || '=' || lock, ',' ORDER BY relation)
             FROM migrate.lint_sql('ALTER TABLE big ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES ref_t NOT VALID')),
          'public.big=ShareRowExclusiveLock,public.ref_t=ShareRowExclusiveLock', 'a foreign key NOT VALID: ShareRowExclusiveLock on both');
SELECT is(findings('ALTER TABLE big ALTER COLUMN y SET NOT NULL'), '1:warning:scan_under_lock', 'SET NOT NULL: scan_under_lock');
SELECT is(findings(E'ALTER TABLE big ADD CONSTRAINT y_nn CHECK (y IS NOT NULL) NOT VALID;\nALTER TABLE big VALIDATE CONSTRAINT y_nn;\nALTER TABLE big ALTER COLUMN y SET NOT NULL'),
          '2:warning:validate_in_same_transaction', 'the NOT NULL recipe in one transaction: no scan under lock, but no gain either');
SELECT is(findings('ALTER TABLE big ADD CONSTRAINT u UNIQUE (x)'), '1:warning:unique_constraint_blocking', 'UNIQUE: unique_constraint_blocking');
SELECT is(findings('ALTER TABLE big ADD CONSTRAINT u UNIQUE USING INDEX big_pkey'), '', 'UNIQUE USING INDEX: no finding');
SELECT is(findings('ALTER TABLE big ADD COLUMN n int8 NOT NULL'), '1:error:required_column', 'NOT NULL without a default on a table with rows: required_column');
SELECT is(findings('ALTER TABLE empty_t ADD COLUMN n int8 NOT NULL'), '1:info:required_column', '... on an empty table: info');
SELECT is(findings('ALTER TABLE big ALTER COLUMN x DROP NOT NULL'), '1:warning:drop_not_null', 'DROP NOT NULL: drop_not_null');
SELECT is(findings('ALTER TABLE big DROP COLUMN y'), '1:warning:drop_column', 'DROP COLUMN: drop_column');
SELECT is(findings('ALTER TABLE big DROP COLUMN IF EXISTS no_such'), '', 'DROP COLUMN IF EXISTS of no column: nothing');
SELECT is(findings('DROP TABLE big'), '1:warning:drop_table', 'DROP TABLE: drop_table');
SELECT is(findings('DROP TABLE IF EXISTS no_such'), '', 'DROP TABLE IF EXISTS of no table: nothing');
SELECT is(findings('ALTER TABLE big RENAME TO big2'), '1:warning:rename', 'RENAME: rename');
SELECT is(findings('ALTER TABLE big RENAME COLUMN y TO y2'), '1:warning:rename', 'RENAME COLUMN: rename');
SELECT is(findings('ALTER TABLE big SET SCHEMA pg_temp'), '1:warning:rename', 'SET SCHEMA: rename');
SELECT is(findings('TRUNCATE big'), '1:warning:truncate', 'TRUNCATE: truncate');
SELECT is((SELECT rewrite FROM migrate.lint_sql('TRUNCATE big')), true, '... a new relfilenode');
SELECT is(findings('UPDATE big SET y = ''z'''), '1:warning:full_table_update', 'UPDATE of every row: full_table_update');
SELECT is(findings('UPDATE big SET y = ''z'' WHERE id = 1'), '', 'UPDATE with a WHERE: nothing');
SELECT is(findings('DROP DATABASE nope'), '1:error:concurrently_in_transaction 1:error:drop_database', 'DROP DATABASE: drop_database');
SELECT is(findings('CREATE DOMAIN dp AS int; ALTER DOMAIN dp ADD CONSTRAINT c CHECK (VALUE > 0)'), '1:warning:domain_constraint',
          'ALTER DOMAIN ADD CONSTRAINT: domain_constraint');
SELECT is(findings('DO $$BEGIN END$$'), '1:info:opaque_statement', 'DO: opaque_statement');
SELECT is(findings('CREATE TABLE s1 (id serial, a int, b smallint, c varchar(5), d char(2), e timestamp, f text, g bigint, h timestamptz)'),
          '1:info:char_field 1:info:prefer_bigint 1:info:prefer_bigint 1:info:prefer_bigint 1:info:prefer_identity 1:info:prefer_text 1:info:prefer_timestamptz',
          'column types: prefer_bigint, prefer_identity, prefer_text, char_field, prefer_timestamptz');
SELECT is((SELECT message FROM migrate.lint_sql('CREATE TABLE s1 (c varchar(5))') WHERE code = 'prefer_text'),
          'column c of public.s1 is character varying(5): a length limit in the type is changed only by ALTER COLUMN TYPE, which rewrites the table when the limit shrinks',
          'types are named as SQL spells them');

-- enum values
SELECT is(findings(E'ALTER TYPE mood ADD VALUE ''sad'';\nSELECT ''sad''::mood'), '2:error:enum_value_used_too_early',
          'an enum value used in the transaction that adds it: enum_value_used_too_early');
SELECT is(findings(E'ALTER TYPE mood ADD VALUE ''sad'';\nSELECT ''sad''::mood', false), '',
          '... fine when each statement commits (non-transactional)');
SELECT is(findings(E'CREATE TYPE m2 AS ENUM (''a'');\nALTER TYPE m2 ADD VALUE ''b'';\nSELECT ''b''::m2'), '',
          '... fine for a type created in the same transaction');
SELECT is(findings(E'ALTER TYPE mood ADD VALUE ''it''''s'';\nSELECT ''it''''s''::mood'), '2:error:enum_value_used_too_early',
          'a label with a quote is found too');

-- severity grows with size; the plan's own tables are empty
SET LOCAL migrate.lint_large_table = 0;
SELECT is(sev('CREATE INDEX ON big (x)', 'blocking_index'), 'error', 'above migrate.lint_large_table: error');
SELECT is(sev('CREATE INDEX ON empty_t (x)', 'blocking_index'), 'info', '... an empty table stays info');
SELECT is(sev(E'CREATE TABLE fresh (id int);\nCREATE INDEX ON fresh (id)', 'blocking_index'), 'info',
          'a table created earlier in the body: info');
SELECT is(sev(E'DROP TABLE big;\nCREATE TABLE big (id int);\nCREATE INDEX ON big (id)', 'blocking_index'), 'info',
          'dropped and created again: the new one is empty');
SELECT is(sev(E'CREATE TABLE fresh (id int);\nALTER TABLE fresh RENAME TO fresh2;\nCREATE INDEX ON fresh2 (id)', 'blocking_index'), 'info',
          'created then renamed: still the plan''s own');
SELECT is(sev(E'ALTER TABLE big RENAME TO big3;\nCREATE INDEX ON big3 (x)', 'blocking_index'), 'error',
          'an existing table under a new name keeps its size');
SELECT is((SELECT relation FROM migrate.lint_sql(E'CREATE SCHEMA app;\nCREATE TABLE app.t (id int);\nCREATE INDEX ON app.t (id)')
            WHERE code = 'blocking_index'), 'app.t', 'a table in a schema the body creates');
RESET migrate.lint_large_table;
SELECT throws_ok($$SET migrate.lint_large_table = -1$$, '22023', NULL, 'migrate.lint_large_table: no negative sizes');
SELECT lives_ok($$SET LOCAL migrate.lint_large_table = '1GB'$$, 'migrate.lint_large_table takes units');
SELECT is(current_setting('migrate.lint_large_table'), '1GB', '... and shows them');

--------------------------------------------------------------------------
-- lint(): arguments, plans, cross-revision rules
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM migrate.lint(NULL)$$, '22004', 'target must not be NULL', 'lint(NULL)');
SELECT throws_ok($$SELECT * FROM migrate.lint('head', NULL)$$, '22004', 'direction must not be NULL', 'lint(head, NULL)');
SELECT throws_ok($$SELECT * FROM migrate.lint('head', 'sideways')$$, '22023', NULL, 'lint with a bad direction');
SELECT throws_ok($$SELECT * FROM migrate.lint('head', 'up', 'not a project!')$$, '42602', NULL, 'lint with a malformed project');
SELECT throws_ok($$SELECT * FROM migrate.lint('nosuch')$$, '42704', NULL, 'lint of an unknown target');
SELECT is((SELECT count(*) FROM migrate.lint('base', 'down')), 0::bigint, 'nothing to do: no rows');

SELECT FROM migrate.add('l1', 'ALTER TYPE mood ADD VALUE ''calm''; CREATE TABLE lt (id int, m mood)', 'DROP TABLE lt');
SELECT FROM migrate.add('l2', E'CREATE INDEX ON lt (id);\nALTER TABLE big ADD CONSTRAINT bx CHECK (x > 0) NOT VALID',
                        'DROP INDEX lt_id_idx; ALTER TABLE big DROP CONSTRAINT bx', '{l1}');
SELECT FROM migrate.add('l3', E'-- use the value\nINSERT INTO lt VALUES (1, ''calm'');\nALTER TABLE big VALIDATE CONSTRAINT bx',
                        'DELETE FROM lt', '{l2}');
SELECT count(*) AS advisory_before FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' \gset
SELECT is((SELECT string_agg(format('%s/%s:%s:%s:%s', revision, statement, line, severity, code), ' ' ORDER BY revision, statement, code)
             FROM migrate.lint('head') WHERE code <> 'lock'),
          'l1/2:1:info:prefer_bigint l2/1:1:info:blocking_index l3/1:2:warning:enum_value_used_too_early l3/2:3:warning:validate_in_same_transaction',
          'lint(head): the plan upgrade() runs, with cross-revision rules, lines in each body');
SELECT is((SELECT string_agg(DISTINCT revision, ',') FROM migrate.lint('l2')), 'l1,l2', 'lint(target): only that plan');
SELECT is((SELECT hint FROM migrate.lint('head') WHERE code = 'enum_value_used_too_early'),
          'Run the plan with CALL migrate.run() or pg_migrate upgrade, which commit after revision l1.',
          'the hint names the runner and the revision to commit after');
SELECT is((SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'), :advisory_before::bigint,
          'lint() takes no migration lock');
SELECT is((SELECT count(*) FROM migrate.applied), 0::bigint, 'lint() applies nothing');

-- a non-transactional revision: the plan runs through migrate.run, one transaction per revision
SELECT FROM migrate.add('l4', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS big_y ON big (y)', 'DROP INDEX big_y', '{l3}',
                        transactional => false);
SELECT is((SELECT coalesce(string_agg(format('%s:%s', revision, code), ' ' ORDER BY revision, code), '')
             FROM migrate.lint('head') WHERE severity <> 'info'), '',
          'with migrate.run''s transactions, the enum value and the validation come after a commit');

-- downgrades lint the downgrade bodies, newest first (stamped: upgrade()
-- itself would fail on the enum value, as lint said)
SELECT FROM migrate.stamp('l3');
SELECT is((SELECT string_agg(format('%s:%s', revision, code), ' ' ORDER BY revision, code)
             FROM migrate.lint('base', 'down') WHERE code <> 'lock'),
          'l1:drop_table', 'lint(base, down): the downgrade bodies');
SELECT is((SELECT string_agg(revision, ',' ORDER BY first) FROM (
             SELECT revision, min(ord) AS first FROM (
               SELECT revision, row_number() OVER () AS ord FROM migrate.lint('base', 'down')) x GROUP BY revision) y),
          'l3,l2,l1', '... newest first');

--------------------------------------------------------------------------
-- explain()
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM migrate.explain(NULL)$$, '22004', 'target must not be NULL', 'explain(NULL)');
SELECT throws_ok($$SELECT * FROM migrate.explain('nosuch')$$, '42704', NULL, 'explain of an unknown target');
SELECT throws_ok($$SELECT * FROM migrate.explain('head', 'not a project!')$$, '42602', NULL, 'explain with a malformed project');
SELECT is((SELECT count(*) FROM migrate.explain('l3')), 0::bigint, 'explain with nothing to do: no rows');

SELECT FROM migrate.add('e1', E'CREATE TABLE ex (id int);\nALTER TABLE big ADD COLUMN e int8 DEFAULT 1;\nALTER TABLE big ALTER COLUMN x TYPE bigint',
                        'DROP TABLE ex', '{l4}');
SELECT results_eq($$SELECT revision, statement, relation, lock, rewrite FROM migrate.explain('e1')
                     WHERE relation IS NULL OR relation !~ 'big_|ex_' ORDER BY revision DESC, statement, relation$$,
                  $$VALUES ('l4', 1, NULL, NULL, NULL::boolean),
                           ('e1', 1, 'public.ex', 'AccessExclusiveLock', false),
                           ('e1', 2, NULL, NULL, NULL::boolean),
                           ('e1', 3, 'public.big', NULL, true)$$,
                  'explain: the locks each statement took (big was created in this transaction: its lock is not taken again), rewrites; a non-transactional revision not run');
SELECT hasnt_table('public', 'ex', 'explain rolled back what it ran');
SELECT is((SELECT data_type FROM information_schema.columns WHERE table_name = 'big' AND column_name = 'x'), 'integer',
          '... every statement of it');
SELECT is((SELECT count(*) FROM migrate.applied WHERE revision IN ('l4', 'e1')), 0::bigint, '... and recorded nothing');
SELECT ok((SELECT bool_and(duration >= '0'::interval) FROM migrate.explain('e1') WHERE revision = 'e1'),
          'explain: a duration for every statement it ran');
SELECT FROM migrate.add('e2', 'ALTER TABLE big ADD COLUMN f int8; SELECT 1/0', NULL, '{e1}');
SELECT throws_ok($$SELECT * FROM migrate.explain('e2')$$, '22012', 'division by zero', 'a failing body: its own error');
SELECT is((SELECT count(*) FROM information_schema.columns WHERE table_name = 'big' AND column_name IN ('e', 'f')),
          0::bigint, '... and nothing of the run stays');
SELECT FROM migrate.stamp('e2');
SELECT FROM migrate.add('e3', 'SELECT * FROM migrate.explain(''e3'')', NULL, '{e2}');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('e3')$$, '0A000', NULL, 'explain() from inside a body is refused');

--------------------------------------------------------------------------
-- privileges
--------------------------------------------------------------------------
CREATE ROLE lint_nobody;
GRANT USAGE ON SCHEMA public TO lint_nobody;
SET LOCAL ROLE lint_nobody;
SELECT lives_ok($$SELECT * FROM migrate.lint_sql('CREATE INDEX ON big (x)')$$, 'lint_sql: everyone');
SELECT throws_ok($$SELECT * FROM migrate.lint()$$, '42501', NULL, 'lint(): not PUBLIC (it reads bodies)');
SELECT throws_ok($$SELECT * FROM migrate.explain()$$, '42501', NULL, 'explain(): not PUBLIC');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
