\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The DDL ledger (migrate.ddl_log), drift(), blame(), and the settings
-- migrate.track_ddl and migrate.ddl_log_retention.
CREATE EXTENSION migrate;
SET client_min_messages = warning;
BEGIN;
SELECT plan(98);

--------------------------------------------------------------------------
-- the objects
--------------------------------------------------------------------------
SELECT has_table('migrate', 'ddl_log', 'migrate.ddl_log exists');
SELECT has_view('migrate', 'ddl_statement', 'migrate.ddl_statement exists');
SELECT has_function('migrate', 'drift', ARRAY['text'], 'drift(project) exists');
SELECT has_function('migrate', 'blame', ARRAY['text'], 'blame(object) exists');
SELECT is((SELECT string_agg(n, ',' ORDER BY o)
             FROM pg_proc f, unnest(f.proargnames, f.proargmodes::text[]) WITH ORDINALITY AS p(n, m, o)
            WHERE f.oid = 'migrate.drift(text)'::regprocedure AND p.m = 'o'),
          'at,db_user,command_tag,object_type,object_identity,message', 'drift: the contract''s columns');
SELECT is((SELECT string_agg(n || ' ' || format_type(t, NULL), ',' ORDER BY o)
             FROM pg_proc f, unnest(f.proargnames, f.proargmodes::text[], f.proallargtypes) WITH ORDINALITY AS p(n, m, t, o)
            WHERE f.oid = 'migrate.blame(text)'::regprocedure AND p.m = 'o'),
          'at timestamp with time zone,action text,project text,revision text,run_id bigint,db_user name,command_tag text',
          'blame: the contract''s columns and types');
SELECT is((SELECT string_agg(evtevent || ':' || evtenabled::text, ',' ORDER BY evtevent) FROM pg_event_trigger
            WHERE evtfoid = 'migrate.ddl_trigger()'::regprocedure),
          'ddl_command_end:O,sql_drop:O', 'two event triggers, enabled');
SELECT is(current_setting('migrate.track_ddl'), 'on', 'track_ddl is on by default');
SELECT is(current_setting('migrate.ddl_log_retention'), '0', 'retention: 0 (kept for ever) by default');
SELECT throws_ok($$SELECT migrate.ddl_trigger()$$, '39P01', NULL, 'the trigger function cannot be called directly');

--------------------------------------------------------------------------
-- what is recorded
--------------------------------------------------------------------------
SET application_name = 'tap-app';
CREATE TABLE public.users (id int PRIMARY KEY, email text);
SELECT is((SELECT format('%s|%s|%s|%s|%s|%s|%s', action, command_tag, object_type, object_identity, schema_name,
                         db_user = session_user, application_name)
             FROM migrate.ddl_log WHERE object_type = 'table' ORDER BY id DESC LIMIT 1),
          'create|CREATE TABLE|table|public.users|public|t|tap-app', 'CREATE TABLE: who, what, which application');
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.users_pkey' AND action = 'create'), 1,
          'and the index its primary key made');
SELECT ok((SELECT bool_and(revision IS NULL AND run_id IS NULL AND project IS NULL) FROM migrate.ddl_log),
          'outside a migration: no revision, run or project');
SELECT is((SELECT statement FROM migrate.ddl_statement WHERE object_identity = 'public.users' ORDER BY id DESC LIMIT 1),
          'CREATE TABLE public.users (id int PRIMARY KEY, email text);', 'the statement text is kept');
SELECT is((SELECT acting_role FROM migrate.ddl_log ORDER BY id DESC LIMIT 1), current_user, 'the acting role');
ALTER TABLE public.users ADD COLUMN name text DEFAULT 'x';
SELECT is((SELECT string_agg(action || ' ' || object_type || ' ' || object_identity, ',' ORDER BY id)
             FROM migrate.ddl_log WHERE command_tag = 'ALTER TABLE'),
          'alter table public.users,create table column public.users.name', 'ADD COLUMN: the table altered, the column created');
ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;
SELECT is((SELECT action FROM migrate.ddl_log WHERE object_identity = 'public.users.email'), 'alter', 'SET NOT NULL: the column altered');
ALTER TABLE public.users DROP COLUMN name;
SELECT is((SELECT action || ' ' || command_tag FROM migrate.ddl_log WHERE object_identity = 'public.users.name' ORDER BY id DESC LIMIT 1),
          'drop ALTER TABLE', 'DROP COLUMN: the column dropped (sql_drop)');
CREATE INDEX users_email ON public.users (email);
CREATE TYPE public.mood AS ENUM ('happy', 'sad');
CREATE FUNCTION public.answer(int) RETURNS int LANGUAGE sql AS 'SELECT 42';
CREATE VIEW public.v_users AS SELECT id FROM public.users;
CREATE SEQUENCE public.counter;
GRANT SELECT ON public.users, public.v_users TO PUBLIC;
SELECT is((SELECT string_agg(object_type || ' ' || object_identity, ',' ORDER BY object_identity)
             FROM migrate.ddl_log WHERE command_tag = 'GRANT'),
          'table public.users,view public.v_users', 'GRANT: one row per object');
SELECT is((SELECT string_agg(object_type, ',' ORDER BY id) FROM migrate.ddl_log
            WHERE action = 'create' AND command_tag IN ('CREATE INDEX', 'CREATE TYPE', 'CREATE FUNCTION', 'CREATE VIEW', 'CREATE SEQUENCE')),
          'index,type,function,view,sequence', 'indexes, types, functions, views and sequences');
CREATE TEMP TABLE scratch (a int);
DROP TABLE scratch;
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity LIKE 'pg_temp%' OR schema_name LIKE 'pg_temp%'), 0,
          'temporary objects are not recorded');
CREATE TABLE migrate.not_recorded (a int);
DROP TABLE migrate.not_recorded;
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity LIKE 'migrate.%'), 0,
          'objects of schema migrate are not recorded');
CREATE TABLE public.gone (id serial PRIMARY KEY, v text);
CREATE INDEX gone_v ON public.gone (v);
DROP TABLE public.gone;
SELECT is((SELECT string_agg(object_type || ' ' || object_identity, ',' ORDER BY object_identity)
             FROM migrate.ddl_log WHERE command_tag = 'DROP TABLE'),
          'table public.gone,sequence public.gone_id_seq,index public.gone_pkey,index public.gone_v',
          'DROP TABLE: the table, its indexes and sequence; not its row type, defaults or constraints');
SAVEPOINT s1;
CREATE TABLE public.rolled_back (a int);
ROLLBACK TO SAVEPOINT s1;
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.rolled_back'), 0,
          'a command rolled back leaves no record');
CREATE MATERIALIZED VIEW public.mv AS SELECT 1 AS one;
REFRESH MATERIALIZED VIEW public.mv;
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.mv'), 1,
          'REFRESH MATERIALIZED VIEW changes data, not schema: not recorded');

--------------------------------------------------------------------------
-- a migration run
--------------------------------------------------------------------------
SELECT migrate.add('0001_orders', E'CREATE TABLE public.orders (id int PRIMARY KEY, total numeric);\nCREATE INDEX orders_total ON public.orders (total);',
                   'DROP TABLE public.orders', message => 'orders');
SELECT migrate.add('0002_items', 'ALTER TABLE public.orders ADD COLUMN items int', 'ALTER TABLE public.orders DROP COLUMN items',
                   down_revision => '{0001_orders}', message => 'items');
SELECT lives_ok($$SELECT migrate.upgrade('head')$$, 'upgrade');
SELECT is((SELECT string_agg(format('%s %s %s %s', revision, project, object_identity, run_id = (SELECT max(id) FROM migrate.run)), ',' ORDER BY id)
             FROM migrate.ddl_log WHERE run_id IS NOT NULL),
          '0001_orders default public.orders t,0001_orders default public.orders_pkey t,0001_orders default public.orders_total t,0002_items default public.orders t,0002_items default public.orders.items t',
          'each command of a run names its revision, project and the run''s id');
SELECT is((SELECT statement FROM migrate.ddl_statement WHERE object_identity = 'public.orders_total'),
          'CREATE INDEX orders_total ON public.orders (total)', 'the body''s own statement is the text kept');
SELECT is((SELECT fingerprint FROM migrate.run_log ORDER BY id DESC LIMIT 1), migrate.fingerprint(),
          'the run recorded the fingerprint it left');
SELECT is((SELECT count(fingerprint)::int FROM migrate.run_log), 1, 'once per run, not per revision');
SELECT is_empty($$SELECT * FROM migrate.drift()$$, 'after a run, the outside changes before it are no longer drift');
SELECT is_empty($$SELECT * FROM migrate.verify() WHERE code = 'schema_drift'$$, 'verify: no schema_drift');

--------------------------------------------------------------------------
-- drift()
--------------------------------------------------------------------------
SET application_name = 'create_all';
CREATE TABLE public.widgets (id int);
ALTER TABLE public.orders ADD COLUMN note text;
SELECT is((SELECT string_agg(format('%s|%s|%s|%s', db_user = session_user, command_tag, object_type, object_identity), ',' ORDER BY at)
             FROM migrate.drift() WHERE command_tag IS NOT NULL),
          't|CREATE TABLE|table|public.widgets,t|ALTER TABLE|table|public.orders,t|ALTER TABLE|table column|public.orders.note',
          'drift: the DDL run outside migrations since the last run, oldest first');
SELECT is((SELECT message FROM migrate.drift() WHERE object_identity = 'public.widgets'),
          format('table public.widgets created outside migrations by %s, application create_all', session_user),
          'drift: the message says who and with which application');
SELECT is((SELECT object_type || ' ' || (message LIKE 'schema differs from what revision 0002_items left%')
             FROM migrate.drift() WHERE command_tag IS NULL),
          'schema true', 'drift: and the fingerprint no longer matches what 0002_items left');
SELECT is((SELECT object || ' ' || severity FROM migrate.verify() WHERE code = 'schema_drift'),
          '0002_items warning', 'verify: a schema_drift warning names the revision');
SELECT is((SELECT count(*)::int FROM migrate.drift('default')), 4, 'drift(''default'') is the same');
SELECT is((SELECT count(*)::int FROM migrate.drift(NULL)), 4, 'drift(NULL) is the same');
SELECT throws_ok($$SELECT * FROM migrate.drift('not a project')$$, '42602', NULL, 'drift: an invalid project name');
-- stamp: the state now is the new starting point
SELECT lives_ok($$SELECT migrate.stamp('head')$$, 'stamp head');
SELECT is_empty($$SELECT * FROM migrate.drift()$$, 'after stamp, no drift');
-- a change the ledger could not see
SET migrate.track_ddl = off;
CREATE TABLE public.unseen (id int);
RESET migrate.track_ddl;
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.unseen'), 0,
          'track_ddl off: nothing recorded');
SELECT is((SELECT string_agg(coalesce(command_tag, '-') || ' ' || object_type, ',') FROM migrate.drift()),
          '- schema', 'drift: a change made while tracking was off shows as a fingerprint difference');
DROP TABLE public.unseen;
SELECT is((SELECT count(*)::int FROM migrate.drift() WHERE command_tag IS NULL), 0,
          'the fingerprint matches again once the change is undone');
SELECT is((SELECT string_agg(command_tag || ' ' || object_identity, ',') FROM migrate.drift()),
          'DROP TABLE public.unseen', 'but the drop it saw is listed');
-- downgrade records what it left
SELECT lives_ok($$SELECT migrate.downgrade('0001_orders')$$, 'downgrade to 0001_orders');
SELECT is((SELECT fingerprint FROM migrate.run_log ORDER BY id DESC LIMIT 1), migrate.fingerprint(),
          'downgrade recorded the fingerprint it left');
SELECT is((SELECT object FROM migrate.verify() WHERE code = 'schema_drift'), NULL, 'verify: clean again');

--------------------------------------------------------------------------
-- blame()
--------------------------------------------------------------------------
SELECT is((SELECT string_agg(format('%s %s %s', action, coalesce(revision, 'outside'), command_tag), ',' ORDER BY at)
             FROM migrate.blame('orders')),
          'create 0001_orders CREATE TABLE,alter 0002_items ALTER TABLE,alter outside ALTER TABLE,alter 0002_items ALTER TABLE',
          'blame(table): created by a revision, altered by a revision and by hand, then by a downgrade');
SELECT is((SELECT string_agg(format('%s %s %s', action, coalesce(revision, 'outside'), db_user = session_user), ',' ORDER BY at)
             FROM migrate.blame('public.orders.items')),
          'create 0001_orders t,create 0002_items t,drop 0002_items t', 'blame(schema.table.column): its table''s creation, its own creation and drop');
SELECT is((SELECT string_agg(format('%s %s', action, coalesce(revision, 'outside')), ',' ORDER BY at)
             FROM migrate.blame('orders.note')),
          'create 0001_orders,create outside', 'blame(table.column) of a column added by hand');
SELECT ok((SELECT bool_and(run_id IS NOT NULL AND project = 'default') FROM migrate.blame('orders') WHERE revision IS NOT NULL),
          'blame: the run and project of each revision''s change');
SELECT is((SELECT string_agg(action || ' ' || command_tag, ',' ORDER BY at) FROM migrate.blame('users_email')),
          'create CREATE INDEX', 'blame(index)');
SELECT is((SELECT string_agg(action, ',') FROM migrate.blame('mood')), 'create', 'blame(type)');
SELECT is((SELECT string_agg(action, ',') FROM migrate.blame('answer')), 'create', 'blame(function name)');
SELECT is((SELECT string_agg(action, ',') FROM migrate.blame('answer(integer)')), 'create', 'blame(function signature)');
SELECT is((SELECT string_agg(action, ',') FROM migrate.blame('public.v_users')), 'create,alter', 'blame(view): created, granted');
SELECT is((SELECT string_agg(action, ',') FROM migrate.blame('counter')), 'create', 'blame(sequence)');
SELECT is((SELECT string_agg(action || ' ' || command_tag, ',' ORDER BY at) FROM migrate.blame('gone')),
          'create CREATE TABLE,drop DROP TABLE', 'blame(dropped table): found by its name');
SELECT is((SELECT string_agg(action, ',' ORDER BY at) FROM migrate.blame('public.gone_v')),
          'create,drop', 'blame(dropped index, qualified)');
DROP FUNCTION public.answer(int);
SELECT is((SELECT string_agg(action, ',' ORDER BY at) FROM migrate.blame('answer(int)')),
          'create,drop', 'blame(dropped function by signature): matched by name');
SELECT is((SELECT string_agg(action, ',' ORDER BY at) FROM migrate.blame('answer')),
          'create,drop', 'blame(dropped function by name)');
CREATE TABLE public."Mixed Case" ("Col" int);
SELECT is((SELECT count(*)::int FROM migrate.blame('"Mixed Case"."Col"')), 1, 'blame: quoted names as in SQL');
CREATE TABLE public.old_table (id int);
SELECT is((SELECT count(*)::int FROM migrate.blame('old_table')), 1, 'blame: an existing object');
SET migrate.track_ddl = off;
CREATE TABLE public.untracked (id int);
RESET migrate.track_ddl;
SELECT is_empty($$SELECT * FROM migrate.blame('untracked')$$, 'blame: an object made while tracking was off has no rows');
SELECT throws_ok($$SELECT * FROM migrate.blame('never_existed')$$, '42704', NULL,
                 'blame: a name that is neither an object nor in the ledger');
SELECT throws_ok($$SELECT * FROM migrate.blame(NULL)$$, '22004', NULL, 'blame(NULL)');
SELECT throws_ok($$SELECT * FROM migrate.blame('a b')$$, '42602', NULL, 'blame: a malformed name');
SELECT throws_ok($$SELECT * FROM migrate.blame('a.b.c.d')$$, '42602', NULL, 'blame: four parts');
SELECT throws_ok($$SELECT * FROM migrate.blame('')$$, '42602', NULL, 'blame: an empty name');

--------------------------------------------------------------------------
-- privileges
--------------------------------------------------------------------------
CREATE ROLE drift_tap_app NOLOGIN;
CREATE ROLE drift_tap_monitor NOLOGIN;
GRANT pg_read_all_stats TO drift_tap_monitor;
GRANT CREATE ON SCHEMA public TO drift_tap_app;
-- pgTAP's own tables are not the other roles': they leave their answers here
CREATE TABLE public.answers (k text PRIMARY KEY, v text);
GRANT ALL ON public.answers TO PUBLIC;
CREATE FUNCTION public.try_sql(sql text) RETURNS text LANGUAGE plpgsql AS
$$BEGIN EXECUTE sql; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END$$;
SET SESSION AUTHORIZATION drift_tap_app;
CREATE TABLE public.app_table (id int);
INSERT INTO public.answers VALUES
    ('who', (SELECT db_user::text FROM migrate.ddl_log WHERE object_identity = 'public.app_table')),
    ('own statement', (SELECT statement FROM migrate.ddl_statement WHERE object_identity = 'public.app_table')),
    ('other statements', (SELECT count(*)::text FROM migrate.ddl_statement WHERE db_user <> 'drift_tap_app')),
    ('statement column', public.try_sql('SELECT statement FROM migrate.ddl_log')),
    ('other columns', public.try_sql('SELECT id, at, db_user, command_tag, object_identity, revision, run_id FROM migrate.ddl_log')),
    ('insert', public.try_sql($$INSERT INTO migrate.ddl_log (action, command_tag) VALUES ('create', 'CREATE TABLE')$$)),
    ('delete', public.try_sql('DELETE FROM migrate.ddl_log')),
    ('track off', public.try_sql('SET migrate.track_ddl = off')),
    ('retention', public.try_sql($$SET migrate.ddl_log_retention = '1min'$$)),
    ('drift', public.try_sql('SELECT * FROM migrate.drift()')),
    ('blame', public.try_sql($$SELECT * FROM migrate.blame('app_table')$$)),
    ('fingerprint', public.try_sql('SELECT migrate.fingerprint()'));
RESET SESSION AUTHORIZATION;
SET ROLE drift_tap_monitor;
INSERT INTO public.answers VALUES
    ('monitor', (SELECT count(*)::text FROM migrate.ddl_statement WHERE db_user <> 'drift_tap_monitor'));
RESET ROLE;
SELECT is((SELECT v FROM public.answers WHERE k = 'who'), 'drift_tap_app',
          'the application''s role is recorded as who made its table');
SELECT is((SELECT v FROM public.answers WHERE k = 'own statement'), 'CREATE TABLE public.app_table (id int);',
          'its role reads its own statement');
SELECT is((SELECT v FROM public.answers WHERE k = 'other statements'), '0', 'but no other role''s');
SELECT is((SELECT v FROM public.answers WHERE k = 'statement column'), '42501', 'the statement column is closed to PUBLIC');
SELECT is((SELECT v FROM public.answers WHERE k = 'other columns'), 'ok', 'every other column is readable');
SELECT is((SELECT v FROM public.answers WHERE k = 'insert'), '42501', 'PUBLIC cannot write the ledger');
SELECT is((SELECT v FROM public.answers WHERE k = 'delete'), '42501', 'nor delete from it');
SELECT is((SELECT v FROM public.answers WHERE k = 'track off'), '42501', 'nor switch tracking off');
SELECT is((SELECT v FROM public.answers WHERE k = 'retention'), '42501', 'nor shorten the retention');
SELECT is((SELECT v FROM public.answers WHERE k = 'drift'), 'ok', 'drift() is for everyone');
SELECT is((SELECT v FROM public.answers WHERE k = 'blame'), 'ok', 'blame() too');
SELECT is((SELECT v FROM public.answers WHERE k = 'fingerprint'), 'ok', 'fingerprint() too');
SELECT cmp_ok((SELECT v::int FROM public.answers WHERE k = 'monitor'), '>', 5,
              'pg_read_all_stats members read every statement');

--------------------------------------------------------------------------
-- the ledger never makes DDL fail
--------------------------------------------------------------------------
CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'ledger is read-only'; END$$;
CREATE TRIGGER refuse BEFORE INSERT ON migrate.ddl_log FOR EACH ROW EXECUTE FUNCTION public.refuse();
SELECT lives_ok($$CREATE TABLE public.despite (id int)$$, 'an unwritable ledger: CREATE TABLE still works (a WARNING)');
SELECT has_table('public', 'despite', 'the table is there');
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.despite'), 0, 'without its record');
SELECT migrate.add('0003_despite', 'CREATE TABLE public.despite_too (id int)', 'DROP TABLE public.despite_too',
                   down_revision => '{0002_items}');
SELECT lives_ok($$SELECT migrate.upgrade('head')$$, 'an unwritable ledger: upgrade still works');
SELECT has_table('public', 'despite_too', 'its table is there');
DROP TRIGGER refuse ON migrate.ddl_log;
-- the direct path (heap insert, no subtransaction) writes only the ledger
-- as the extension made it; a user's index on it is kept up to date (the
-- general path), and a sequence that can run out is a WARNING, not an error
CREATE INDEX ddl_log_by_identity ON migrate.ddl_log (object_identity);
CREATE TABLE public.indexed_ledger (id int);
SET LOCAL enable_seqscan = off;
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.indexed_ledger'), 1,
          'a user''s index on the ledger: the row is recorded and found through the index');
RESET enable_seqscan;
DROP INDEX migrate.ddl_log_by_identity;
CREATE TABLE public.direct_again (id int);
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.direct_again'), 1,
          'the index dropped: recorded again (the direct path)');
DO $$BEGIN EXECUTE format('ALTER SEQUENCE migrate.ddl_log_id_seq MAXVALUE %s', (SELECT last_value FROM migrate.ddl_log_id_seq)); END$$;
SELECT lives_ok($$CREATE TABLE public.no_more_ids (id int)$$, 'the ledger''s sequence at its end: CREATE TABLE still works (a WARNING)');
SELECT has_table('public', 'no_more_ids', 'the table is there');
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.no_more_ids'), 0, 'without its record');
ALTER SEQUENCE migrate.ddl_log_id_seq NO MAXVALUE;
CREATE TABLE public.ids_again (id int);
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.ids_again'), 1,
          'the sequence restored: recorded again');

--------------------------------------------------------------------------
-- a failing body leaves no record; retention
--------------------------------------------------------------------------
SELECT migrate.add('0004_fails', E'CREATE TABLE public.half (id int);\nSELECT 1/0;', NULL, down_revision => '{0003_despite}');
SELECT throws_ok($$SELECT migrate.upgrade('head')$$, '22012', NULL, 'a failing body');
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.half'), 0,
          'the commands of a failed body leave no record');
INSERT INTO migrate.ddl_log (at, action, command_tag, object_identity) VALUES (now() - interval '3 days', 'create', 'CREATE TABLE', 'public.ancient');
SET migrate.ddl_log_retention = '2d';
CREATE TABLE public.fresh (id int);
SELECT is((SELECT count(*)::int FROM migrate.ddl_log WHERE object_identity = 'public.ancient'), 0,
          'retention: rows older than migrate.ddl_log_retention are deleted as new ones come');
SELECT cmp_ok((SELECT count(*)::int FROM migrate.ddl_log), '>', 20, 'and the younger rows stay');
RESET migrate.ddl_log_retention;

SELECT * FROM finish();
ROLLBACK;
