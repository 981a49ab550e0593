\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Settings a body changes (SET, SET LOCAL, set_config, SET ROLE) do not
-- leak into the next revision or into the caller's session, and the
-- bookkeeping after such a body is still done, for the caller.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(53);

CREATE ROLE migrate_settings_role NOLOGIN;
CREATE SCHEMA elsewhere;
GRANT USAGE, CREATE ON SCHEMA elsewhere, public TO migrate_settings_role;
-- what the bodies see: (revision, setting, value)
CREATE TABLE public.seen (rev text, what text, val text);
GRANT ALL ON public.seen TO migrate_settings_role;
CREATE FUNCTION seen(r text, w text) RETURNS text LANGUAGE sql AS
$f$ SELECT val FROM public.seen WHERE rev = r AND what = w $f$;
CREATE FUNCTION code(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $f$;

-- a body that records what it sees
CREATE FUNCTION observer(id text) RETURNS text LANGUAGE sql AS $f$
SELECT format($b$
INSERT INTO public.seen SELECT %1$L, n, current_setting(n)
  FROM unnest('{search_path,statement_timeout,lock_timeout,work_mem,TimeZone,application_name,role,myapp.flag}'::text[]) n;
INSERT INTO public.seen VALUES (%1$L, 'current_user', current_user);
CREATE TABLE %2$I (id int);
$b$, id, 'probe_' || id)
$f$;

-- the caller's own settings
SET search_path = public;
SET statement_timeout = '31s';
SET lock_timeout = '42s';
SET work_mem = '5MB';
SET TimeZone = 'UTC';
SET application_name = 'settings caller';
SET myapp.flag = 'caller';

--------------------------------------------------------------------------
-- SET, set_config(..., false) and SET ROLE in one body
--------------------------------------------------------------------------
SELECT FROM migrate.add('set1', $b$
SET search_path = elsewhere, public;
SET statement_timeout = '17s';
SET lock_timeout = '13s';
SELECT set_config('work_mem', '7MB', false);
SET TIME ZONE 'Asia/Tokyo';
SET application_name = 'set by a body';
SELECT set_config('myapp.flag', 'body', false);
SET ROLE migrate_settings_role;
$b$ || observer('set1'), 'SELECT 1');
SELECT FROM migrate.add('set2', observer('set2'), 'SELECT 1', '{set1}');

SELECT results_eq($$SELECT revision FROM migrate.upgrade('set2')$$, ARRAY['set1', 'set2'], 'set1 and set2 applied');
-- the body's settings took effect inside it
SELECT results_eq($$SELECT what, val FROM public.seen WHERE rev = 'set1' ORDER BY what$$,
    $$VALUES ('TimeZone', 'Asia/Tokyo'), ('application_name', 'set by a body'), ('current_user', 'migrate_settings_role'),
             ('lock_timeout', '13s'), ('myapp.flag', 'body'), ('role', 'migrate_settings_role'),
             ('search_path', 'elsewhere, public'), ('statement_timeout', '17s'), ('work_mem', '7MB')$$,
    'inside set1, its settings are in effect');
SELECT has_table('elsewhere', 'probe_set1', 'set1''s unqualified table went to its search_path');
SELECT is(seen('set2', 'search_path'), 'public', 'set2 sees the caller''s search_path');
SELECT has_table('public', 'probe_set2', 'and its unqualified table lands in public');
SELECT hasnt_table('elsewhere', 'probe_set2', 'not in elsewhere');
SELECT is(seen('set2', 'current_user'), session_user::text, 'set2 runs as the caller, not as the role set1 set');
SELECT is(seen('set2', 'role'), 'none', 'set2 sees role none');
SELECT is(seen('set2', 'statement_timeout'), '31s', 'set2 sees the caller''s statement_timeout');
SELECT is(seen('set2', 'lock_timeout'), current_setting('migrate.lock_timeout'),
          'set2 sees migrate.lock_timeout as lock_timeout, not set1''s');
SELECT is(seen('set2', 'work_mem'), '5MB', 'set2 sees the caller''s work_mem (set_config(..., false) in set1)');
SELECT is(seen('set2', 'TimeZone'), 'UTC', 'set2 sees the caller''s TimeZone');
SELECT is(seen('set2', 'application_name'), 'settings caller', 'set2 sees the caller''s application_name');
SELECT is(seen('set2', 'myapp.flag'), 'caller', 'set2 sees the caller''s value of a custom setting');
SELECT is((SELECT tableowner::text FROM pg_tables WHERE tablename = 'probe_set2'), session_user::text,
          'set2''s table belongs to the caller');
-- and the caller
SELECT is(current_user::text, session_user::text, 'the caller''s current_user is unchanged');
SELECT is(current_setting('role'), 'none', 'the caller''s role is unchanged');
SELECT is(current_setting('search_path'), 'public', 'the caller''s search_path is unchanged');
SELECT is(current_setting('statement_timeout'), '31s', 'the caller''s statement_timeout is unchanged');
SELECT is(current_setting('lock_timeout'), '42s', 'the caller''s lock_timeout is unchanged');
SELECT is(current_setting('work_mem'), '5MB', 'the caller''s work_mem is unchanged');
SELECT is(current_setting('TimeZone'), 'UTC', 'the caller''s TimeZone is unchanged');
SELECT is(current_setting('application_name'), 'settings caller', 'the caller''s application_name is unchanged');
SELECT is(current_setting('myapp.flag'), 'caller', 'the caller''s custom setting is unchanged');
-- the bookkeeping after a body that did SET ROLE
SELECT results_eq($$SELECT revision, applied_by::text FROM migrate.applied ORDER BY revision$$,
                  $$VALUES ('set1', session_user::text), ('set2', session_user::text)$$,
                  'both are recorded as applied, applied_by the caller');
SELECT results_eq($$SELECT db_user::text, application_name, to_heads FROM migrate.run ORDER BY id DESC LIMIT 1$$,
                  $$VALUES (session_user::text, 'settings caller', '{set2}'::text[])$$,
                  'the run is recorded with the caller and its application_name');
SELECT is((SELECT count(*) FROM migrate.run_step WHERE run_id = (SELECT max(id) FROM migrate.run)), 2::bigint,
          'with its two steps');

--------------------------------------------------------------------------
-- the last body of a plan changes role and search_path: bookkeeping follows
--------------------------------------------------------------------------
CREATE TABLE elsewhere.applied (revision text, checksum text, applied_at timestamptz, applied_by name, run_id bigint);
GRANT ALL ON elsewhere.applied TO migrate_settings_role;
SELECT FROM migrate.add('set3', $b$SET ROLE migrate_settings_role; SET search_path = elsewhere;
CREATE TABLE set3_t (id int);$b$, 'SELECT 1', '{set2}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('set3')$$, ARRAY['set3'], 'set3, which ends as another role, applied');
SELECT is((SELECT applied_by::text FROM migrate.applied WHERE revision = 'set3'), session_user::text,
          'it is recorded in migrate.applied, applied_by the caller');
SELECT is((SELECT count(*) FROM elsewhere.applied), 0::bigint, 'not in a table of the body''s search_path');
SELECT is((SELECT tableowner::text FROM pg_tables WHERE schemaname = 'elsewhere' AND tablename = 'set3_t'),
          'migrate_settings_role', 'the body''s table belongs to the role it set');
SELECT is(current_user::text, session_user::text, 'the caller is itself again');
SELECT is(current_setting('search_path'), 'public', 'with its search_path');

--------------------------------------------------------------------------
-- SET LOCAL and set_config(..., true)
--------------------------------------------------------------------------
SELECT FROM migrate.add('loc1', $b$
SET LOCAL search_path = elsewhere;
SELECT set_config('work_mem', '9MB', true);
SET LOCAL ROLE migrate_settings_role;
SET LOCAL statement_timeout = '19s';
$b$ || observer('loc1'), 'SELECT 1', '{set3}');
SELECT FROM migrate.add('loc2', observer('loc2'), 'SELECT 1', '{loc1}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('loc2')$$, ARRAY['loc1', 'loc2'], 'loc1 and loc2 applied');
SELECT results_eq($$SELECT what, val FROM public.seen WHERE rev = 'loc1' AND what IN ('search_path', 'work_mem', 'current_user', 'statement_timeout') ORDER BY what$$,
                  $$VALUES ('current_user', 'migrate_settings_role'), ('search_path', 'elsewhere'),
                           ('statement_timeout', '19s'), ('work_mem', '9MB')$$,
                  'inside loc1, its local settings are in effect');
SELECT results_eq($$SELECT what, val FROM public.seen WHERE rev = 'loc2' AND what IN ('search_path', 'work_mem', 'current_user', 'statement_timeout') ORDER BY what$$,
                  format($$VALUES ('current_user', %L), ('search_path', 'public'), ('statement_timeout', '31s'), ('work_mem', '5MB')$$,
                         session_user),
                  'loc2 sees the caller''s settings');
SELECT results_eq($$SELECT current_setting('search_path'), current_setting('work_mem'), current_user::text, current_setting('statement_timeout')$$,
                  $$VALUES ('public', '5MB', session_user::text, '31s')$$,
                  'and so does the caller, in the same transaction');

--------------------------------------------------------------------------
-- migrate.lock_timeout = 0: bodies keep the caller's lock_timeout
--------------------------------------------------------------------------
SET migrate.lock_timeout = 0;
SELECT FROM migrate.add('lt1', 'SET lock_timeout = ''3s''; ' || observer('lt1'), 'SELECT 1', '{loc2}');
SELECT FROM migrate.add('lt2', observer('lt2'), 'SELECT 1', '{lt1}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('lt2')$$, ARRAY['lt1', 'lt2'], 'lt1 and lt2 applied');
SELECT is(seen('lt1', 'lock_timeout'), '3s', 'lt1 set its own lock_timeout');
SELECT is(seen('lt2', 'lock_timeout'), '42s', 'with migrate.lock_timeout = 0, lt2 sees the caller''s lock_timeout');
SELECT is(current_setting('lock_timeout'), '42s', 'the caller''s lock_timeout is unchanged');
SET migrate.lock_timeout = '2s';
SELECT FROM migrate.add('lt3', observer('lt3'), 'SELECT 1', '{lt2}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('lt3')$$, ARRAY['lt3'], 'lt3 applied');
SELECT is(seen('lt3', 'lock_timeout'), '2s', 'with migrate.lock_timeout = 2s, the body''s lock_timeout is 2s');
SELECT is(current_setting('lock_timeout'), '42s', 'and the caller''s lock_timeout is still its own');
RESET migrate.lock_timeout;

--------------------------------------------------------------------------
-- a failing body after SET ROLE / SET application_name: the failure is
-- recorded for the caller
--------------------------------------------------------------------------
SELECT FROM migrate.add('bad1', $b$SET ROLE migrate_settings_role; SET application_name = 'set by a failing body';
SET search_path = elsewhere; SELECT 1/0;$b$, 'SELECT 1', '{lt3}');
SELECT is(code($$SELECT * FROM migrate.upgrade('bad1')$$), '22012', 'bad1 fails with its own SQLSTATE');
SELECT results_eq($$SELECT db_user::text, application_name, error_revision, error_sqlstate FROM migrate.run
                     WHERE id = (SELECT max(id) FROM migrate.run WHERE status = 'failed')$$,
                  $$VALUES (session_user::text, 'settings caller', 'bad1', '22012')$$,
                  'the failed run is recorded for the caller, with the caller''s application_name');
SELECT is(current_user::text, session_user::text, 'the caller is itself');
SELECT is(current_setting('application_name'), 'settings caller', 'with its application_name');
SELECT is(current_setting('search_path'), 'public', 'and its search_path');

-- a downgrade body's settings do not leak either
SELECT FROM migrate.add('dn1', 'SELECT 1', 'SET search_path = elsewhere; SET ROLE migrate_settings_role; SET work_mem = ''11MB''', '{lt3}');
SELECT results_eq($$SELECT revision FROM migrate.upgrade('dn1')$$, ARRAY['dn1'], 'dn1 applied');
SELECT results_eq($$SELECT revision FROM migrate.downgrade('lt3')$$, ARRAY['dn1'], 'dn1 reverted');
SELECT results_eq($$SELECT current_setting('search_path'), current_setting('work_mem'), current_user::text$$,
                  $$VALUES ('public', '5MB', session_user::text)$$,
                  'the caller''s settings are unchanged after the downgrade body');
SELECT is((SELECT count(*) FROM migrate.applied WHERE revision = 'dn1'), 0::bigint, 'the downgrade is recorded');

SELECT * FROM finish();
ROLLBACK;
