\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The role boundary (src/rights.c): a body runs with the rights of the role
-- that registered or last replaced it when the session's user is another
-- role, cannot switch roles, and a caller that is not a member of that role
-- is refused (42501) before anything runs.  This file's session is a
-- superuser's; test/scenario/role_boundary.sh logs in as the roles
-- themselves.  The roles are created inside the transaction, so ROLLBACK
-- removes them again.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(48);

CREATE ROLE rb_deployer NOLOGIN;
CREATE ROLE rb_owner NOLOGIN;
CREATE ROLE rb_ops NOLOGIN;
GRANT rb_owner TO rb_deployer;
GRANT EXECUTE ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text)
    TO rb_deployer, rb_ops;
GRANT EXECUTE ON FUNCTION migrate.upgrade(text, text), migrate.downgrade(text, text) TO rb_deployer, rb_ops;
GRANT CREATE, USAGE ON SCHEMA public TO rb_deployer, rb_owner, rb_ops;
CREATE TABLE public.who (step text, cur name, sess name);
GRANT ALL ON public.who TO PUBLIC;

-- statements as a role (the function's SET clause restores the role)
CREATE FUNCTION as_deployer(sql text) RETURNS void LANGUAGE plpgsql
    SET role = 'rb_deployer' AS $f$ BEGIN EXECUTE sql; END $f$;
CREATE FUNCTION as_ops(sql text) RETURNS void LANGUAGE plpgsql
    SET role = 'rb_ops' AS $f$ BEGIN EXECUTE sql; END $f$;
-- a superuser session that did SET SESSION AUTHORIZATION to the deployer
-- (undone with the subtransaction of throws_ok / lives_ok)
CREATE FUNCTION as_deployer_session(sql text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    SET SESSION AUTHORIZATION rb_deployer;
    EXECUTE sql;
    RESET SESSION AUTHORIZATION;
END $f$;
CREATE FUNCTION rolsuper(r name) RETURNS boolean LANGUAGE sql AS
    $$ SELECT rolsuper FROM pg_roles WHERE rolname = r $$;

--------------------------------------------------------------------------
-- (a) the deployer registers, a superuser upgrades
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT as_deployer('SELECT migrate.add(''a1'', ''ALTER ROLE rb_deployer SUPERUSER'', ''SELECT 1'')')$$,
                'the deployer registers a body that would make it superuser');
SELECT is((SELECT registered_by FROM migrate.revision WHERE id = 'a1'), 'rb_deployer'::name,
          'registered in its name');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('heads')$$, '42501', NULL,
                 'a superuser''s upgrade(''heads'') runs it as the deployer: permission denied');
SELECT is(rolsuper('rb_deployer'), false, 'the deployer is not a superuser');
SELECT is((SELECT error_revision || ' ' || error_sqlstate FROM migrate.run ORDER BY id DESC LIMIT 1), 'a1 42501',
          'the failed run is recorded');
SELECT lives_ok($$SELECT migrate.remove('a1')$$, 'remove it');

SELECT lives_ok($$SELECT as_deployer($q$SELECT migrate.add('a2', 'INSERT INTO public.who VALUES (''a2'', current_user, session_user)', 'DELETE FROM public.who WHERE step = ''a2''')$q$)$$,
                'a harmless body of the deployer');
SELECT is((SELECT count(*) FROM migrate.upgrade('a2')), 1::bigint, 'a superuser applies it');
SELECT is((SELECT cur::text || ' ' || sess FROM public.who WHERE step = 'a2'), 'rb_deployer ' || session_user,
          'it ran as the deployer (current_user), in the superuser''s session');
SELECT is((SELECT applied_by FROM migrate.applied WHERE revision = 'a2'), session_user,
          'recorded as applied by the caller');
SELECT is((SELECT count(*) FROM migrate.downgrade('base')), 1::bigint, 'the downgrade body too');
SELECT is((SELECT count(*) FROM public.who WHERE step = 'a2'), 0::bigint, 'ran');
SELECT FROM migrate.remove('a2');

--------------------------------------------------------------------------
-- (b) a reviewed revision replaced by the deployer runs as the deployer
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT migrate.add('b1', 'INSERT INTO public.who VALUES (''b1'', current_user, session_user)')$$,
                'a superuser registers and reviews b1');
SELECT is((SELECT registered_by FROM migrate.revision WHERE id = 'b1'), session_user, 'in its name');
SELECT lives_ok($$SELECT as_deployer('SELECT migrate.add(''b1'', ''ALTER ROLE rb_deployer SUPERUSER'')')$$,
                'the deployer replaces it while it is unapplied');
SELECT is((SELECT registered_by FROM migrate.revision WHERE id = 'b1'), 'rb_deployer'::name,
          'the replacement is the deployer''s');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('b1')$$, '42501', NULL,
                 'and runs with the deployer''s rights: permission denied');
SELECT is(rolsuper('rb_deployer'), false, 'the deployer is not a superuser');
SELECT lives_ok($$SELECT as_ops('SELECT migrate.add(''b1'', ''ALTER ROLE rb_deployer SUPERUSER'')')$$,
                'an identical re-add by a third role');
SELECT is((SELECT registered_by FROM migrate.revision WHERE id = 'b1'), 'rb_deployer'::name,
          'changes no content and keeps the registrant');
SELECT lives_ok($$SELECT migrate.remove('b1')$$, 'remove it');

--------------------------------------------------------------------------
-- (c) a superuser who did SET ROLE / SET SESSION AUTHORIZATION deployer is
-- not the deployer: RESET ROLE inside the body fails
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT as_deployer('SELECT migrate.add(''c1'', ''RESET ROLE; ALTER ROLE rb_deployer SUPERUSER'')')$$,
                'the deployer registers RESET ROLE; ALTER ROLE ... SUPERUSER');
SELECT throws_ok($$SELECT as_deployer('SELECT * FROM migrate.upgrade(''c1'')')$$, '42501',
                 'cannot set parameter "role" within security-definer function',
                 'SET ROLE deployer, then upgrade: the body''s RESET ROLE fails');
SELECT throws_ok($$SELECT as_deployer_session('SELECT * FROM migrate.upgrade(''c1'')')$$, '42501',
                 'cannot set parameter "role" within security-definer function',
                 'SET SESSION AUTHORIZATION deployer, then upgrade: the same');
SELECT lives_ok($$SELECT as_deployer('SELECT migrate.add(''c1'', ''RESET SESSION AUTHORIZATION; ALTER ROLE rb_deployer SUPERUSER'')')$$,
                'the deployer replaces it with RESET SESSION AUTHORIZATION');
SELECT throws_ok($$SELECT as_deployer_session('SELECT * FROM migrate.upgrade(''c1'')')$$, '42501',
                 'cannot set parameter "session_authorization" within security-definer function',
                 'which fails too');
SELECT is(rolsuper('rb_deployer'), false, 'the deployer is not a superuser');

-- what else a body across the boundary cannot do
SELECT lives_ok($$SELECT migrate.remove('c1')$$, 'remove it');
CREATE FUNCTION try_body(body text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM as_deployer(pg_catalog.format('SELECT migrate.add(%L, %L)', 'x1', body));
    PERFORM * FROM migrate.upgrade('x1');
END $f$;
SELECT throws_ok($$SELECT try_body('SET ROLE rb_owner')$$, '42501', NULL, 'SET ROLE to a role the deployer is a member of');
SELECT throws_ok($$SELECT try_body('SELECT set_config(''role'', ''none'', false)')$$, '42501', NULL, 'set_config(''role'', ...)');
SELECT throws_ok($$SELECT try_body('SET SESSION AUTHORIZATION DEFAULT')$$, '42501', NULL, 'SET SESSION AUTHORIZATION');
SELECT throws_ok($$SELECT try_body('CREATE TEMP TABLE pg_class_shadow (id int)')$$, '42501', NULL,
                 'a temporary table (it would come first in the caller''s search_path)');
SELECT throws_ok($$SELECT try_body($b$
    CREATE TABLE public.trap (id int);
    CREATE FUNCTION public.trap_fire() RETURNS trigger LANGUAGE plpgsql AS $t$ BEGIN ALTER ROLE rb_deployer SUPERUSER; RETURN NULL; END $t$;
    CREATE CONSTRAINT TRIGGER trap_later AFTER INSERT ON public.trap DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION public.trap_fire();
    INSERT INTO public.trap VALUES (1);$b$)$$, '42501', NULL,
                 'a deferred trigger (it would fire at the caller''s COMMIT, as the caller)');
SELECT is(rolsuper('rb_deployer'), false, 'the deployer is still not a superuser');
SELECT current_setting('work_mem') || ' ' || current_setting('search_path') AS settings_before \gset
SELECT lives_ok($$SELECT try_body('SET search_path = rb_nowhere; SET work_mem = ''77MB''')$$,
                'a body across the boundary may SET ordinary settings');
SELECT is(current_setting('work_mem') || ' ' || current_setting('search_path'), :'settings_before',
          'which do not reach the caller');
SELECT is(current_user, session_user, 'and the caller is itself again');
SELECT lives_ok($$DELETE FROM migrate.applied WHERE revision = 'x1'$$, 'forget x1');
SELECT lives_ok($$SELECT migrate.remove('x1')$$, 'remove x1');

--------------------------------------------------------------------------
-- (d) a caller that is not a member of the registrant: refused first
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT as_ops($q$SELECT migrate.add('d1', 'CREATE TABLE public.d1 (id int)', 'DROP TABLE public.d1')$q$)$$,
                'ops registers d1');
SELECT lives_ok($$SELECT as_deployer($q$SELECT migrate.add('d2', 'CREATE TABLE public.d2 (id int)', 'DROP TABLE public.d2', '{d1}')$q$)$$,
                'the deployer registers d2 on top of it');
SELECT throws_ok($$SELECT as_ops('SELECT * FROM migrate.upgrade(''head'')')$$, '42501',
                 'permission denied to run revision "d2", registered by role "rb_deployer"',
                 'ops, not a member of the deployer, is refused');
SELECT is((SELECT to_regclass('public.d1') IS NULL AND NOT EXISTS (SELECT 1 FROM migrate.applied WHERE revision = 'd1')), true,
          'before step 1 (its own d1) ran');
UPDATE migrate.revision SET registered_by = 'rb_gone' WHERE id = 'd2';
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head')$$, '42501',
                 'revision "d2" cannot run: role "rb_gone", which registered it, does not exist',
                 'a registrant that no longer exists: nobody runs the body, a superuser neither');

--------------------------------------------------------------------------
-- (e) the session's own bodies run as they always did
--------------------------------------------------------------------------
UPDATE migrate.revision SET registered_by = session_user WHERE id IN ('d1', 'd2');
SELECT lives_ok($$SELECT migrate.add('e1', 'SET ROLE rb_owner; CREATE TABLE public.e1 (id int)', 'DROP TABLE public.e1', '{d2}')$$,
                'a superuser registers a body that does SET ROLE');
SELECT is((SELECT count(*) FROM migrate.upgrade('head')), 3::bigint, 'and upgrades: its own bodies run as before');
SELECT is((SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.e1'::regclass), 'rb_owner',
          'the body''s SET ROLE worked: the table belongs to rb_owner');
SELECT is(current_user, session_user, 'and did not reach the caller');

SELECT * FROM finish();
ROLLBACK;
