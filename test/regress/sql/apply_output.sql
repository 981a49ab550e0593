-- What a person sees when revisions are applied: a progress NOTICE per
-- revision, and the errors of failing, unparsable and refused revisions
-- with their DETAIL, HINT, CONTEXT, SQLSTATE and the position inside the
-- body.  Runs in a database of its own: failed runs are committed by a
-- background worker and would stay behind in the shared one.
\set regress_db :DBNAME
CREATE DATABASE migrate_apply_output;
\c migrate_apply_output
CREATE EXTENSION migrate;
\pset null '(null)'
SELECT migrate.add('0001_users', E'CREATE TABLE users (\n    id int PRIMARY KEY,\n    email text NOT NULL\n);',
                   'DROP TABLE users', message => 'users table');
SELECT migrate.add('0002_email_idx', 'CREATE UNIQUE INDEX users_email ON users (email)',
                   'DROP INDEX users_email', '{0001_users}', message => 'unique emails');
SELECT migrate.add('0003_seed', E'INSERT INTO users VALUES (1, \'ada@example.org\');',
                   'DELETE FROM users WHERE id = 1', '{0002_email_idx}');
-- progress: one NOTICE per revision, then one row each
SELECT step, revision, message FROM migrate.upgrade('head');
-- nothing to do: no NOTICE, no row
SELECT step, revision, message FROM migrate.upgrade('head');
SELECT step, revision, message FROM migrate.downgrade('-2');
SELECT (migrate.upgrade('head')).revision AS scalar_form;
SELECT kind, target, status, from_heads, to_heads FROM migrate.run ORDER BY id;
-- a body fails in step 2 of 3: its own error, the revision in the CONTEXT
SELECT migrate.add('0004_admins', 'CREATE TABLE admins (user_id int)', 'DROP TABLE admins',
                   '{0003_seed}', message => 'admins');
SELECT migrate.add('0005_more_seed', E'INSERT INTO admins VALUES (1);\nINSERT INTO users VALUES (2, \'ada@example.org\');',
                   'DELETE FROM users WHERE id = 2', '{0004_admins}', message => 'more seed');
SELECT migrate.add('0006_after', 'CREATE TABLE after_seed (id int)', 'DROP TABLE after_seed',
                   '{0005_more_seed}');
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- nothing of the run stays; the failure is recorded
SELECT to_regclass('admins') AS admins, array(SELECT * FROM migrate.current()) AS current;
SELECT kind, target, status, from_heads, to_heads, error_revision, error_sqlstate,
       error_message, error_detail, error_hint
  FROM migrate.run WHERE status = 'failed';
SELECT r.kind, s.step, s.revision, s.direction, s.status
  FROM migrate.run_step s JOIN migrate.run r ON r.id = s.run_id WHERE r.status = 'failed';
-- the body's own SQLSTATE, detail and hint (re-registering quietly: the
-- "replaced" NOTICE is registry_output's subject)
SET client_min_messages = warning;
SELECT migrate.add('0005_more_seed', $$DO $do$ BEGIN
  RAISE EXCEPTION 'seed data is stale' USING ERRCODE = 'MG042',
        DETAIL = 'users.csv is older than the schema', HINT = 'regenerate it';
END $do$;$$, 'SELECT 1', '{0004_admins}', message => 'more seed');
RESET client_min_messages;
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- an error inside a body, at a position: relative to the body
SET client_min_messages = warning;
SELECT migrate.add('0005_more_seed', E'INSERT INTO admins VALUES (1);\nUPDATE users\n   SET emial = lower(email);',
                   'SELECT 1', '{0004_admins}', message => 'more seed');
RESET client_min_messages;
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- a syntax error in step 2 of 3: reported before step 1 runs (no NOTICE)
SET client_min_messages = warning;
SELECT migrate.add('0005_more_seed', E'INSERT INTO admins VALUES (1);\nUPDATE users\n   SET email = lower(email)\n WHERE id = = 1;',
                   'SELECT 1', '{0004_admins}', message => 'more seed');
RESET client_min_messages;
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- transaction control in step 2 of 3, before step 1 runs
SET client_min_messages = warning;
SELECT migrate.add('0005_more_seed', E'COMMIT;\nINSERT INTO admins VALUES (1);', 'SELECT 1', '{0004_admins}');
RESET client_min_messages;
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
SET client_min_messages = warning;
SELECT migrate.add('0005_more_seed', E'CREATE INDEX CONCURRENTLY admins_user ON admins (user_id);', 'SELECT 1', '{0004_admins}');
RESET client_min_messages;
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- a non-transactional revision: upgrade() refuses and says what to do
SET client_min_messages = warning;
SELECT migrate.add('0005_more_seed', E'CREATE INDEX CONCURRENTLY admins_user ON admins (user_id);',
                   'DROP INDEX CONCURRENTLY admins_user', '{0004_admins}', transactional => false);
RESET client_min_messages;
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS failed_runs FROM migrate.run WHERE status = 'failed';
SELECT migrate.remove('0006_after');
SELECT migrate.remove('0005_more_seed');
-- downgrade refusals
SELECT migrate.add('0005_drop_column', 'ALTER TABLE users DROP COLUMN email', NULL, '{0004_admins}',
                   message => 'irreversible');
SELECT step, revision, message FROM migrate.upgrade('head');
SELECT step, revision FROM migrate.downgrade('0003_seed');
\echo :LAST_ERROR_SQLSTATE
SELECT step, revision FROM migrate.downgrade('0001_nope');
\echo :LAST_ERROR_SQLSTATE
SELECT migrate.add('0005_other', 'SELECT 1', 'SELECT 1', '{0004_admins}');
SELECT step, revision FROM migrate.downgrade('0005_other');
\echo :LAST_ERROR_SQLSTATE
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
SELECT step, revision FROM migrate.upgrade(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT step, revision FROM migrate.downgrade('0005');
\echo :LAST_ERROR_SQLSTATE
-- stamp
SELECT * FROM migrate.stamp('0003_seed');
SELECT * FROM migrate.stamp('heads');
SELECT kind, target, from_heads, to_heads FROM migrate.run WHERE kind = 'stamp' ORDER BY id;
-- the offline script (its "generated" line carries the time; checksums elided)
SELECT * FROM migrate.stamp('0002_email_idx');
SELECT regexp_replace(regexp_replace(migrate.sql('0005_other'), '-- generated [^\n]* for', '-- generated (time) for'),
                      '''[0-9a-f]{64}''', '(checksum)', 'g') AS script;
SELECT regexp_replace(migrate.sql('0001_users', 'down'), '-- generated [^\n]* for', '-- generated (time) for') AS script;
\c :regress_db
DROP DATABASE migrate_apply_output WITH (FORCE);
