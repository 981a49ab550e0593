\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Privileges and search_path safety.  The roles are created inside the
-- transaction, so ROLLBACK removes them from the cluster again.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(90);

CREATE ROLE migrate_sec_nobody NOLOGIN;
CREATE ROLE migrate_sec_adder NOLOGIN;
GRANT EXECUTE ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text)
    TO migrate_sec_adder;

-- run a statement as a role; the function's SET clause restores the role
CREATE FUNCTION as_nobody(sql text) RETURNS void LANGUAGE plpgsql
    SET role = 'migrate_sec_nobody' AS $f$ BEGIN EXECUTE sql; END $f$;
CREATE FUNCTION as_adder(sql text) RETURNS void LANGUAGE plpgsql
    SET role = 'migrate_sec_adder' AS $f$ BEGIN EXECUTE sql; END $f$;
-- a query's rows as text, as the role
CREATE FUNCTION rows_as_nobody(sql text) RETURNS SETOF text LANGUAGE plpgsql
    SET role = 'migrate_sec_nobody' AS $f$
BEGIN
    RETURN QUERY EXECUTE 'SELECT t::text FROM (' || sql || ') t';
END $f$;
GRANT EXECUTE ON FUNCTION as_nobody(text), rows_as_nobody(text) TO migrate_sec_nobody;
GRANT EXECUTE ON FUNCTION as_adder(text) TO migrate_sec_adder;

SELECT FROM migrate.add('s1', 'CREATE TABLE secret_t (id int)', 'DROP TABLE secret_t',
                        message => 'first', source => 's1.sql');
SELECT FROM migrate.add('s2', 'SELECT 2', 'SELECT 2', '{s1}', message => 'second');
INSERT INTO migrate.applied (revision, checksum) SELECT id, checksum FROM migrate.revision WHERE id = 's1';
INSERT INTO migrate.run (kind, target, status) VALUES ('upgrade', 's1', 'succeeded');

SELECT is(current_user::text, session_user::text, 'the helpers restore the role');

--------------------------------------------------------------------------
-- a role with no grants reads status and validation
--------------------------------------------------------------------------
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT * FROM migrate.heads()')$$, ARRAY['(s2)'], 'heads()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT * FROM migrate.current()')$$, ARRAY['(s1)'], 'current()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT * FROM migrate.bases()')$$, ARRAY['(s1)'], 'bases()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT revision, message, applied FROM migrate.history()')$$,
                  ARRAY['(s1,first,t)', '(s2,second,f)'], 'history()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT code FROM migrate.validate()')$$,
                  ARRAY[]::text[], 'validate()');
SELECT lives_ok($$SELECT as_nobody('SELECT migrate.check()')$$, 'check()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT registered, applied, pending, last_run_kind FROM migrate.status()')$$,
                  ARRAY['(2,1,1,upgrade)'], 'status()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT revision FROM migrate.plan(''head'')')$$,
                  ARRAY['(s2)'], 'plan()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT revision FROM migrate.plan(''base'', ''down'')')$$,
                  ARRAY['(s1)'], 'plan(..., ''down'')');
SELECT throws_ok($$SELECT as_nobody('SELECT * FROM migrate.resolve(''s'')')$$, '42P09', NULL,
                 'resolve() errors are the same for everyone');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT * FROM migrate.resolve(''s1+1'')')$$,
                  ARRAY['(s2)'], 'resolve()');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT id, message, source, registered_by IS NOT NULL FROM migrate.revision ORDER BY id')$$,
                  ARRAY['(s1,first,s1.sql,t)', '(s2,second,,t)'], 'the revision columns but the bodies and checksums');
SELECT throws_ok($$SELECT as_nobody('SELECT checksum FROM migrate.revision')$$, '42501', NULL,
                 'revision checksums are private (they confirm a guess of a body)');
SELECT throws_ok($$SELECT as_nobody('SELECT content_hash FROM migrate.revision')$$, '42501', NULL,
                 'and so is the fast content hash');
SELECT throws_ok($$SELECT as_nobody('SELECT checksum FROM migrate.applied')$$, '42501', NULL,
                 'applied checksums are private');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT revision, checksum IS NULL, applied_checksum IS NULL FROM migrate.revision_checksum ORDER BY 1')$$,
                  ARRAY['(s1,t,t)', '(s2,t,t)'], 'migrate.revision_checksum shows PUBLIC no checksum');
SELECT results_eq($$SELECT revision, checksum IS NOT NULL, applied_checksum IS NOT NULL FROM migrate.revision_checksum ORDER BY 1$$,
                  $$VALUES ('s1', true, true), ('s2', true, false)$$, 'and shows a superuser every one');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT revision FROM migrate.applied')$$, ARRAY['(s1)'], 'migrate.applied');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT kind FROM migrate.run')$$, ARRAY['(upgrade)'], 'migrate.run');
SELECT results_eq($$SELECT * FROM rows_as_nobody('SELECT count(*) FROM migrate.run_step')$$, ARRAY['(0)'], 'migrate.run_step');

--------------------------------------------------------------------------
-- ... but changes nothing and sees no body
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT as_nobody('SELECT migrate.add(''x1'', ''SELECT 1'')')$$, '42501', NULL, 'add() is not for PUBLIC');
SELECT throws_ok($$SELECT as_nobody('SELECT migrate.remove(''s2'')')$$, '42501', NULL, 'remove() is not for PUBLIC');
SELECT throws_ok($$SELECT as_nobody('SELECT upgrade FROM migrate.revision')$$, '42501', NULL, 'upgrade bodies are private');
SELECT throws_ok($$SELECT as_nobody('SELECT downgrade FROM migrate.revision')$$, '42501', NULL, 'downgrade bodies are private');
SELECT throws_ok($$SELECT as_nobody('SELECT * FROM migrate.revision')$$, '42501', NULL, 'SELECT * includes the bodies');
SELECT throws_ok($$SELECT as_nobody('SELECT id FROM migrate.revision WHERE upgrade LIKE ''%secret%''')$$, '42501', NULL,
                 'a body cannot be probed in WHERE');
SELECT throws_ok($$SELECT as_nobody('SELECT r::text FROM migrate.revision r')$$, '42501', NULL,
                 'nor through the whole-row value');
SELECT throws_ok($$SELECT as_nobody('INSERT INTO migrate.revision (id, upgrade, checksum) VALUES (''x'', ''SELECT 1'', ''x'')')$$,
                 '42501', NULL, 'INSERT INTO migrate.revision');
SELECT throws_ok($$SELECT as_nobody('UPDATE migrate.revision SET message = ''x''')$$, '42501', NULL, 'UPDATE migrate.revision');
SELECT throws_ok($$SELECT as_nobody('DELETE FROM migrate.revision')$$, '42501', NULL, 'DELETE FROM migrate.revision');
SELECT throws_ok($$SELECT as_nobody('TRUNCATE migrate.revision')$$, '42501', NULL, 'TRUNCATE migrate.revision');
SELECT throws_ok($$SELECT as_nobody('INSERT INTO migrate.applied (revision) VALUES (''s2'')')$$, '42501', NULL, 'INSERT INTO migrate.applied');
SELECT throws_ok($$SELECT as_nobody('UPDATE migrate.applied SET checksum = NULL')$$, '42501', NULL, 'UPDATE migrate.applied');
SELECT throws_ok($$SELECT as_nobody('DELETE FROM migrate.applied')$$, '42501', NULL, 'DELETE FROM migrate.applied');
SELECT throws_ok($$SELECT as_nobody('TRUNCATE migrate.applied')$$, '42501', NULL, 'TRUNCATE migrate.applied');
SELECT throws_ok($$SELECT as_nobody('INSERT INTO migrate.run (kind, status) VALUES (''stamp'', ''succeeded'')')$$, '42501', NULL, 'INSERT INTO migrate.run');
SELECT throws_ok($$SELECT as_nobody('UPDATE migrate.run SET status = ''failed''')$$, '42501', NULL, 'UPDATE migrate.run');
SELECT throws_ok($$SELECT as_nobody('DELETE FROM migrate.run')$$, '42501', NULL, 'DELETE FROM migrate.run');
SELECT throws_ok($$SELECT as_nobody('TRUNCATE migrate.run_log CASCADE')$$, '42501', NULL, 'TRUNCATE migrate.run_log');
SELECT throws_ok($$SELECT as_nobody('SELECT count(*) FROM migrate.run_log')$$, '42501', NULL,
                 'the run log''s table is read through the view migrate.run only');
SELECT throws_ok($$SELECT as_nobody('INSERT INTO migrate.run_log (kind, status) VALUES (''stamp'', ''succeeded'')')$$, '42501', NULL, 'INSERT INTO migrate.run_log');
SELECT throws_ok($$SELECT as_nobody('UPDATE migrate.run_log SET status = ''failed''')$$, '42501', NULL, 'UPDATE migrate.run_log');
SELECT throws_ok($$SELECT as_nobody('INSERT INTO migrate.run_step SELECT id, 1, ''s1'', ''up'', now(), NULL, ''succeeded'' FROM migrate.run')$$,
                 '42501', NULL, 'INSERT INTO migrate.run_step');
SELECT throws_ok($$SELECT as_nobody('UPDATE migrate.run_step SET status = ''failed''')$$, '42501', NULL, 'UPDATE migrate.run_step');
SELECT throws_ok($$SELECT as_nobody('DELETE FROM migrate.run_step')$$, '42501', NULL, 'DELETE FROM migrate.run_step');
SELECT throws_ok($$SELECT as_nobody('TRUNCATE migrate.run_step')$$, '42501', NULL, 'TRUNCATE migrate.run_step');
SELECT throws_ok($$SELECT as_nobody('SELECT nextval(''migrate.run_id_seq'')')$$, '42501', NULL, 'the run id sequence');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'p', 'v')
                     AND has_table_privilege('migrate_sec_nobody', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')$$,
                'no table or view of the schema is writable by PUBLIC');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind = 'S'
                     AND CASE WHEN c.relkind = 'S'
                              THEN has_sequence_privilege('migrate_sec_nobody', c.oid, 'USAGE,UPDATE') END$$,
                'no sequence of the schema is usable by PUBLIC');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.pronamespace = 'migrate'::regnamespace
                     AND p.proname IN ('add', 'add_file', 'remove', 'upgrade', 'downgrade', 'stamp', 'ensure', 'run')
                     AND has_function_privilege('migrate_sec_nobody', p.oid, 'EXECUTE')$$,
                'no changing function is executable by PUBLIC');
SELECT ok(has_function_privilege('migrate_sec_nobody', 'migrate.' || f, 'EXECUTE'),
          f || ' is executable by PUBLIC')
  FROM unnest(ARRAY['current(text)', 'heads(text)', 'bases(text)', 'history(text)', 'status(text)',
                    'validate(text)', 'check(text)', 'resolve(text,text)', 'plan(text,text,text)',
                    'projects()']) AS f;
SELECT is((SELECT count(*) FROM migrate.revision), 2::bigint, 'nothing was changed by the refused role');

--------------------------------------------------------------------------
-- EXECUTE on add is enough to register: the writes happen as the owner
--------------------------------------------------------------------------
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'p')
                     AND has_table_privilege('migrate_sec_adder', c.oid, 'INSERT,UPDATE,DELETE')$$,
                'the adder has no table privilege');
SELECT lives_ok($$SELECT as_adder('SELECT migrate.add(''s3'', ''SELECT 3'', ''SELECT 3'', ''{s2}'', message => ''third'')')$$,
                'a role granted EXECUTE on add registers a revision');
SELECT is((SELECT id || ' ' || message || ' ' || registered_by FROM migrate.revision WHERE id = 's3'),
          's3 third migrate_sec_adder', 'registered in its name');
SELECT lives_ok($$SELECT as_adder('SELECT migrate.add(''s3'', ''SELECT 33'', ''SELECT 3'', ''{s2}'', message => ''third'')')$$,
                'and replaces it while unapplied');
SELECT is((SELECT upgrade FROM migrate.revision WHERE id = 's3'), 'SELECT 33', 'replaced');
SELECT throws_ok($$SELECT as_adder('SELECT migrate.add(''s1'', ''DROP TABLE everything'')')$$, '55000', NULL,
                 'but cannot change an applied revision either');
SELECT throws_ok($$SELECT as_adder('SELECT migrate.remove(''s3'')')$$, '42501', NULL, 'remove() needs its own grant');
SELECT throws_ok($$SELECT as_adder('INSERT INTO migrate.applied (revision) VALUES (''s3'')')$$, '42501', NULL,
                 'and the tables stay closed');
SELECT throws_ok($$SELECT as_adder('SELECT upgrade FROM migrate.revision')$$, '42501', NULL,
                 'including the bodies it registered');
GRANT EXECUTE ON FUNCTION migrate.remove(text, text) TO migrate_sec_adder;
SELECT lives_ok($$SELECT as_adder('SELECT migrate.remove(''s3'')')$$, 'with the grant, remove() works');
SELECT throws_ok($$SELECT as_adder('SELECT migrate.remove(''s1'')')$$, '55000', NULL,
                 'but not on an applied revision');

--------------------------------------------------------------------------
-- every function is documented
--------------------------------------------------------------------------
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.pronamespace = 'migrate'::regnamespace
                     AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''$$,
                'every function in schema migrate has a COMMENT');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'p', 'v')
                     AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''$$,
                'every table in schema migrate has a COMMENT');
SELECT cmp_ok((SELECT count(*) FROM pg_proc WHERE pronamespace = 'migrate'::regnamespace), '>=', 11::bigint,
              'the functions are there to be checked');

--------------------------------------------------------------------------
-- search_path hijack: objects ahead of pg_catalog do not reach the extension
--------------------------------------------------------------------------
CREATE SCHEMA evil;
CREATE TABLE evil.revision (id text, upgrade text, checksum text, down_revision text[], depends_on text[],
                            branch_labels text[], message text, downgrade text, transactional boolean,
                            source text, upgrade_problem text, downgrade_problem text,
                            registered_at timestamptz, registered_by name);
CREATE TABLE evil.applied (revision text, checksum text);
CREATE TABLE evil.run (id bigint, kind text, status text);
CREATE TEMP TABLE revision (id text);
CREATE TEMP TABLE applied (revision text);
CREATE FUNCTION evil.boom() RETURNS text LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked'; END $f$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked now()'; END $f$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked clock_timestamp()'; END $f$;
CREATE FUNCTION evil.pg_backend_pid() RETURNS integer LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked pg_backend_pid()'; END $f$;
CREATE FUNCTION evil.textcat(text, text) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked textcat'; END $f$;
CREATE FUNCTION evil.eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked ='; END $f$;
CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked ||'; END $f$;
CREATE FUNCTION evil.ne(text, text) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'hijacked <>'; END $f$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eq);
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat);
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.ne);

-- run a query with evil ahead of pg_catalog, its rows as text
CREATE FUNCTION hijacked(sql text) RETURNS SETOF text LANGUAGE plpgsql
    SET search_path = pg_temp, evil, pg_catalog AS $f$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format('SELECT t::text FROM (%s) t', sql);
END $f$;

SELECT throws_ok($$SELECT * FROM hijacked('SELECT ''a''::text = ''a''::text')$$, 'P0001', 'hijacked =',
                 'the trap works: = on text is evil''s');
SELECT throws_ok($$SELECT * FROM hijacked('SELECT now()')$$, 'P0001', 'hijacked now()',
                 'the trap works: now() is evil''s');
SELECT results_eq($$SELECT * FROM hijacked('SELECT migrate.add(''h1'', ''SELECT 1'', ''SELECT 1'', ''{s2}'', message => ''m'', source => ''h1.sql'')')$$,
                  ARRAY['(h1)'], 'add() works under the hijacked search_path');
SELECT results_eq($$SELECT * FROM hijacked('SELECT migrate.add(''h1'', ''SELECT 1'', ''SELECT 1'', ''{s2}'', message => ''m2'')')$$,
                  ARRAY['(h1)'], 're-add with a new message works');
SELECT results_eq($$SELECT * FROM hijacked('SELECT migrate.add(''h1'', ''SELECT 11'', ''SELECT 1'', ''{s2}'', message => ''m2'')')$$,
                  ARRAY['(h1)'], 'replacement works');
SELECT results_eq($$SELECT id, message, upgrade FROM migrate.revision WHERE id = 'h1'$$,
                  $$VALUES ('h1', 'm2', 'SELECT 11')$$, 'and wrote to migrate.revision');
SELECT is((SELECT count(*) FROM evil.revision) + (SELECT count(*) FROM pg_temp.revision), 0::bigint,
          'not to the impostors');
SELECT results_eq($$SELECT * FROM hijacked('SELECT registered, applied, pending, errors, last_run_kind FROM migrate.status()')$$,
                  ARRAY['(3,1,2,0,upgrade)'], 'status() works under the hijacked search_path');
SELECT results_eq($$SELECT * FROM hijacked('SELECT revision FROM migrate.history()')$$,
                  ARRAY['(s1)', '(s2)', '(h1)'], 'history() works');
SELECT results_eq($$SELECT * FROM hijacked('SELECT count(*) FROM migrate.validate()')$$,
                  ARRAY['(0)'], 'validate() works');
SELECT results_eq($$SELECT * FROM hijacked('SELECT revision FROM migrate.plan(''head'')')$$,
                  ARRAY['(s2)', '(h1)'], 'plan() works');
SELECT throws_ok($$SELECT * FROM hijacked('SELECT migrate.add(''s1'', ''SELECT 0'')')$$, '55000', NULL,
                 'the applied check works (55000, not the trap)');
SELECT results_eq($$SELECT * FROM hijacked('SELECT migrate.remove(''h1'')')$$, ARRAY['(h1)'], 'remove() works');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = 'h1'), 0::bigint, 'and removed from migrate.revision');

SELECT * FROM finish();
ROLLBACK;
