\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Private run errors and checksums: the message, detail, hint and context
-- of a failed run, and checksums, are visible to the role that ran
-- (registered, applied) it, roles with its privileges, members of
-- pg_read_all_stats and superusers, through every path (migrate.run,
-- status(), validate(), add()'s messages, migrate.revision_checksum);
-- everyone else sees the revision, the SQLSTATE and the status.  The roles
-- are created inside the transaction, so ROLLBACK removes them again.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(44);

CREATE ROLE pv_runner NOLOGIN;
CREATE ROLE pv_teammate NOLOGIN IN ROLE pv_runner;       -- has pv_runner's privileges
CREATE ROLE pv_noinherit NOLOGIN NOINHERIT IN ROLE pv_runner;  -- a member without them
CREATE ROLE pv_monitor NOLOGIN IN ROLE pg_read_all_stats;
CREATE ROLE pv_nobody NOLOGIN;
GRANT EXECUTE ON FUNCTION migrate.upgrade(text, text) TO pv_runner;
GRANT EXECUTE ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text) TO pv_runner;
GRANT CREATE, USAGE ON SCHEMA public TO pv_runner;

CREATE FUNCTION rows_as(r name, sql text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
    RETURN QUERY EXECUTE 'SELECT t::text FROM (' || sql || ') t';
    RESET ROLE;
END $f$;
CREATE FUNCTION one_as(r name, sql text) RETURNS text LANGUAGE sql AS
    $$ SELECT string_agg(x, ' | ') FROM rows_as(r, sql) x $$;
-- the DETAIL of the error a statement raises, as a role
CREATE FUNCTION detail_as(r name, sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
    EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
    BEGIN
        EXECUTE sql;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    END;
    RESET ROLE;
    RETURN d;
END $f$;
GRANT EXECUTE ON FUNCTION rows_as(name, text), one_as(name, text), detail_as(name, text) TO PUBLIC;

--------------------------------------------------------------------------
-- a failed run of pv_runner, with a row value in its detail
--------------------------------------------------------------------------
CREATE TABLE public.users (email text UNIQUE);
GRANT ALL ON public.users TO pv_runner;
INSERT INTO public.users VALUES ('alice@example.com');
SELECT migrate.add('u1', $$INSERT INTO public.users VALUES ('alice@example.com')$$, 'SELECT 1');
UPDATE migrate.revision SET registered_by = 'pv_runner' WHERE id = 'u1';
SELECT throws_ok($$SELECT * FROM rows_as('pv_runner', 'SELECT * FROM migrate.upgrade(''head'')')$$, '23505', NULL,
                 'pv_runner''s upgrade fails on a duplicate');
SELECT is((SELECT db_user::text || ' ' || error_revision || ' ' || error_sqlstate FROM migrate.run ORDER BY id DESC LIMIT 1),
          'pv_runner u1 23505', 'the failed run is pv_runner''s');
SELECT alike((SELECT error_detail FROM migrate.run ORDER BY id DESC LIMIT 1), '%alice@example.com%',
            'its detail quotes the row (a superuser reads it)');

SELECT is(one_as('pv_nobody', 'SELECT error_revision, error_sqlstate, status FROM migrate.run'),
          '(u1,23505,failed)', 'another role sees the revision, the SQLSTATE and the status');
SELECT is(one_as('pv_nobody', 'SELECT error_message, error_detail, error_hint, error_context FROM migrate.run'),
          '(,,,)', 'but not the message, detail, hint or context');
SELECT is(one_as('pv_nobody', 'SELECT count(*) FROM migrate.run WHERE error_detail LIKE ''%alice%'' OR error_message LIKE ''%alice%'''),
          '(0)', 'nor can it probe them in WHERE');
SELECT is(one_as('pv_nobody', 'SELECT count(*) FROM migrate.run r WHERE r::text LIKE ''%alice%'''),
          '(0)', 'nor through the whole-row value');
SELECT is(one_as('pv_nobody', 'SELECT count(*) FROM migrate.run'), '(1)', 'SELECT * FROM migrate.run works for everyone');
SELECT throws_ok($$SELECT one_as('pv_nobody', 'SELECT error_detail FROM migrate.run_log')$$, '42501', NULL,
                 'the table behind the view is not readable');
SELECT is(one_as('pv_nobody', 'SELECT last_run_status, last_run_error FROM migrate.status()'),
          '(failed,"u1: 23505")', 'status() shows another role the revision and the SQLSTATE');
SELECT is(one_as('pv_nobody', 'SELECT count(*) FROM migrate.verify() WHERE message LIKE ''%alice%'''), '(0)', 'verify() neither');
SELECT is(one_as('pv_nobody', 'SELECT count(*) FROM migrate.history() h WHERE h::text LIKE ''%alice%'''), '(0)', 'history() neither');

SELECT alike(one_as('pv_runner', 'SELECT error_detail FROM migrate.run'), '%Key (email)=(alice@example.com) already exists%',
            'the role that ran it reads the detail');
SELECT alike(one_as('pv_runner', 'SELECT last_run_error FROM migrate.status()'), '%u1: 23505 duplicate key value%',
            'and the message in status()');
SELECT alike(one_as('pv_teammate', 'SELECT error_detail FROM migrate.run'), '%alice@example.com%',
            'so does a role with its privileges');
SELECT is(one_as('pv_noinherit', 'SELECT error_detail FROM migrate.run'), '()',
          'not a NOINHERIT member (it would have to SET ROLE first, as for pg_stat_activity)');
SELECT alike(one_as('pv_monitor', 'SELECT error_detail FROM migrate.run'), '%alice@example.com%',
            'a member of pg_read_all_stats reads it');
SELECT alike(one_as('pv_monitor', 'SELECT last_run_error FROM migrate.status()'), '%duplicate key value%',
            'in status() too');

--------------------------------------------------------------------------
-- migrate.may_read_private
--------------------------------------------------------------------------
SELECT is(one_as('pv_nobody', 'SELECT migrate.may_read_private(''pv_runner'')'), '(f)', 'may_read_private: another role');
SELECT is(one_as('pv_runner', 'SELECT migrate.may_read_private(''pv_runner'')'), '(t)', 'may_read_private: the role itself');
SELECT is(one_as('pv_teammate', 'SELECT migrate.may_read_private(''pv_runner'')'), '(t)', 'may_read_private: a role with its privileges');
SELECT is(one_as('pv_monitor', 'SELECT migrate.may_read_private(''pv_runner'')'), '(t)', 'may_read_private: pg_read_all_stats');
SELECT is(migrate.may_read_private('pv_runner'), true, 'may_read_private: a superuser');
SELECT is(one_as('pv_nobody', 'SELECT migrate.may_read_private(''no_such_role'')'), '(f)', 'may_read_private: a dropped role: false, no error');
SELECT is(migrate.may_read_private(NULL), NULL, 'may_read_private(NULL) is NULL');

--------------------------------------------------------------------------
-- checksums
--------------------------------------------------------------------------
DELETE FROM public.users;
SELECT is((SELECT count(*) FROM rows_as('pv_runner', 'SELECT * FROM migrate.upgrade(''head'')')), 1::bigint,
          'pv_runner applies u1');
SELECT is(one_as('pv_nobody', 'SELECT revision, checksum IS NULL, applied_checksum IS NULL FROM migrate.revision_checksum'),
          '(u1,t,t)', 'another role reads no checksum in migrate.revision_checksum');
SELECT is(one_as('pv_runner', 'SELECT length(checksum), length(applied_checksum) FROM migrate.revision_checksum'),
          '(64,64)', 'the registrant (and applier) reads both in migrate.revision_checksum');
SELECT is(one_as('pv_monitor', 'SELECT length(checksum), length(applied_checksum) FROM migrate.revision_checksum'),
          '(64,64)', 'so does pg_read_all_stats');
SELECT is((SELECT checksum FROM migrate.revision_checksum), (SELECT checksum FROM migrate.revision WHERE id = 'u1'),
          'and a superuser, the same as in migrate.revision');
SELECT throws_ok($$SELECT one_as('pv_nobody', 'SELECT checksum FROM migrate.revision')$$, '42501', NULL,
                 'migrate.revision.checksum is not readable by PUBLIC');
SELECT throws_ok($$SELECT one_as('pv_nobody', 'SELECT content_hash FROM migrate.revision')$$, '42501', NULL,
                 'nor content_hash');
SELECT throws_ok($$SELECT one_as('pv_nobody', 'SELECT checksum FROM migrate.applied')$$, '42501', NULL,
                 'nor migrate.applied.checksum');
SELECT is(one_as('pv_nobody', 'SELECT revision, applied_by FROM migrate.applied'), '(u1,pv_runner)',
          'the rest of migrate.applied is');

-- validate() names the checksums only to those who may read them all
UPDATE migrate.applied SET checksum = repeat('a', 64) WHERE revision = 'u1';
SELECT alike((SELECT message FROM migrate.validate() WHERE code = 'checksum_mismatch'), '%with checksum aaaaaaaaaaaa%',
            'validate() shows a superuser the checksums');
SELECT is(one_as('pv_nobody', 'SELECT message FROM migrate.validate() WHERE code = ''checksum_mismatch'''),
          '("revision ""u1"" was applied with other content than is registered now (the checksums differ)")',
          'and another role only that they differ');
SELECT is(one_as('pv_nobody', 'SELECT count(*) FROM migrate.verify() WHERE message ~ ''[0-9a-f]{12}'''), '(0)',
          'verify() likewise');
SELECT alike(one_as('pv_monitor', 'SELECT message FROM migrate.validate() WHERE code = ''checksum_mismatch'''), '%aaaaaaaaaaaa%',
            'pg_read_all_stats sees them');
UPDATE migrate.applied SET checksum = (SELECT checksum FROM migrate.revision WHERE id = 'u1') WHERE revision = 'u1';

-- add() quotes the registered checksum only to those who may read it
SELECT migrate.add('s1', 'SELECT 1', 'SELECT 1', '{u1}');
SELECT is((SELECT count(*) FROM migrate.upgrade('s1')), 1::bigint, 'a superuser applies s1');
SELECT unalike(detail_as('pv_runner', $$SELECT migrate.add('s1', 'SELECT 2')$$),
              '%' || (SELECT left(checksum, 12) FROM migrate.revision WHERE id = 's1') || '%',
              'changing an applied revision: the error does not show another role the registered checksum');
SELECT alike(detail_as(current_user, $$SELECT migrate.add('s1', 'SELECT 2')$$),
            '%' || (SELECT checksum FROM migrate.revision WHERE id = 's1') || '%',
            'it shows a superuser');

--------------------------------------------------------------------------
-- what later columns must keep: the view shows every column of its table,
-- PUBLIC reads every column but the private ones
--------------------------------------------------------------------------
SELECT is_empty($$SELECT attname FROM pg_attribute WHERE attrelid = 'migrate.run_log'::regclass AND attnum > 0 AND NOT attisdropped
                  EXCEPT SELECT attname FROM pg_attribute WHERE attrelid = 'migrate.run'::regclass$$,
                'every column of migrate.run_log is a column of the view migrate.run');
SELECT is_empty($$SELECT attname FROM pg_attribute WHERE attrelid = 'migrate.applied'::regclass AND attnum > 0 AND NOT attisdropped
                     AND attname <> 'checksum' AND NOT has_column_privilege('pv_nobody', attrelid, attnum, 'SELECT')$$,
                'PUBLIC reads every column of migrate.applied but checksum');
SELECT is_empty($$SELECT attname FROM pg_attribute WHERE attrelid = 'migrate.revision'::regclass AND attnum > 0 AND NOT attisdropped
                     AND attname NOT IN ('upgrade', 'downgrade', 'checksum', 'content_hash')
                     AND NOT has_column_privilege('pv_nobody', attrelid, attnum, 'SELECT')$$,
                'PUBLIC reads every column of migrate.revision but the bodies, checksum and content_hash');

SELECT * FROM finish();
ROLLBACK;
