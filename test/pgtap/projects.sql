\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Projects: several histories in one database.  Every history function
-- takes a trailing project (NULL: the setting migrate.project); ids are
-- unique per project; targets, base and labels never reach into another
-- project; depends_on 'project:id' across projects; migrate.projects().
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(139);

CREATE FUNCTION cur(p text DEFAULT NULL) RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(c, ',' ORDER BY c), '') FROM migrate.current(p) c $f$;
CREATE FUNCTION applied_rows() RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(project || ':' || revision, ',' ORDER BY project, revision), '') FROM migrate.applied $f$;
CREATE FUNCTION ids(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text;
BEGIN
    EXECUTE 'SELECT coalesce(string_agg(x::text, '','' ORDER BY x::text), '''') FROM (' || sql || ') AS s(x)' INTO r;
    RETURN r;
END $f$;

--------------------------------------------------------------------------
-- every history function takes a trailing project text DEFAULT NULL
--------------------------------------------------------------------------
SELECT has_function('migrate', 'add', ARRAY['text', 'text', 'text', 'text[]', 'text', 'text[]', 'text[]', 'boolean', 'text', 'text'], 'add(..., source, project)');
SELECT has_function('migrate', 'add_file', ARRAY['text', 'text', 'text'], 'add_file(content, source, project)');
SELECT has_function('migrate', 'remove', ARRAY['text', 'text'], 'remove(revision, project)');
SELECT has_function('migrate', 'current', ARRAY['text'], 'current(project)');
SELECT has_function('migrate', 'heads', ARRAY['text'], 'heads(project)');
SELECT has_function('migrate', 'bases', ARRAY['text'], 'bases(project)');
SELECT has_function('migrate', 'history', ARRAY['text'], 'history(project)');
SELECT has_function('migrate', 'status', ARRAY['text'], 'status(project)');
SELECT has_function('migrate', 'resolve', ARRAY['text', 'text'], 'resolve(target, project)');
SELECT has_function('migrate', 'plan', ARRAY['text', 'text', 'text'], 'plan(target, direction, project)');
SELECT has_function('migrate', 'validate', ARRAY['text'], 'validate(project)');
SELECT has_function('migrate', 'check', ARRAY['text'], 'check(project)');
SELECT has_function('migrate', 'upgrade', ARRAY['text', 'text'], 'upgrade(target, project)');
SELECT has_function('migrate', 'downgrade', ARRAY['text', 'text'], 'downgrade(target, project)');
SELECT has_function('migrate', 'stamp', ARRAY['text', 'text'], 'stamp(target, project)');
SELECT has_function('migrate', 'sql', ARRAY['text', 'text', 'text'], 'sql(target, direction, project)');
SELECT has_function('migrate', 'run', ARRAY['text', 'text', 'text'], 'run(target, direction, project)');
SELECT has_function('migrate', 'projects', ARRAY[]::text[], 'projects()');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p
                   WHERE p.pronamespace = 'migrate'::regnamespace
                     AND p.proname IN ('add', 'add_file', 'remove', 'current', 'heads', 'bases', 'history',
                                       'status', 'resolve', 'plan', 'validate', 'check', 'upgrade',
                                       'downgrade', 'stamp', 'sql', 'run', 'verify')
                     AND pg_get_function_arguments(p.oid) !~ 'project text DEFAULT NULL::text($|, OUT)'$$,
                'the project parameter is the last input of each and defaults to NULL');
SELECT ok(has_function_privilege('public', 'migrate.projects()', 'EXECUTE'), 'projects() is readable by everyone');

--------------------------------------------------------------------------
-- three histories; ids are unique per project, not across projects
--------------------------------------------------------------------------
SELECT is(migrate.add('0001', 'CREATE TABLE d1 (id int)', 'DROP TABLE d1', message => 'default base'), '0001',
          'add() with no project registers in default');
SELECT is(migrate.add('0001', 'CREATE TABLE b1 (id int)', 'DROP TABLE b1', branch_labels => '{bill}', project => 'billing'), '0001',
          'the same id in another project is another revision');
SELECT lives_ok($$SELECT migrate.add('0002', 'CREATE TABLE b2 (id int)', 'DROP TABLE b2', '{0001}', project => 'billing')$$,
                'a chain in billing');
SELECT lives_ok($$SELECT migrate.add('0003', 'CREATE TABLE b3 (id int)', 'DROP TABLE b3', '{0002}', project => 'billing')$$,
                'billing: 0003');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = '0001'), 2::bigint, 'two rows with id 0001');
SELECT is((SELECT string_agg(project, ',' ORDER BY project) FROM migrate.revision WHERE id = '0001'), 'billing,default',
          'one per project');
SELECT is(migrate.add('0001', 'CREATE TABLE d1 (id int)', 'DROP TABLE d1', message => 'default base'), '0001',
          're-adding the identical revision is a no-op in its project');
SELECT is((SELECT upgrade FROM migrate.revision WHERE project = 'billing' AND id = '0001'), 'CREATE TABLE b1 (id int)',
          'and leaves the other project''s revision of that id alone');

--------------------------------------------------------------------------
-- NULL means the setting migrate.project
--------------------------------------------------------------------------
SET LOCAL migrate.project = 'billing';
SELECT is(ids('SELECT * FROM migrate.heads()'), '0003', 'heads() with migrate.project = billing: billing''s head');
SELECT is(ids('SELECT * FROM migrate.heads(NULL)'), '0003', 'heads(NULL) likewise');
SELECT is(ids($$SELECT * FROM migrate.heads('default')$$), '0001', 'an explicit project wins over the setting');
SELECT lives_ok($$SELECT migrate.add('0004', 'CREATE TABLE b4 (id int)', 'DROP TABLE b4', '{0003}')$$,
                'add() with no project registers in migrate.project');
SELECT is((SELECT project FROM migrate.revision WHERE id = '0004'), 'billing', '0004 is billing''s');
SELECT is(migrate.remove('0004'), '0004', 'remove() with no project removes from migrate.project');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = '0004'), 0::bigint, 'removed');
RESET migrate.project;
SELECT is(ids('SELECT * FROM migrate.heads()'), '0001', 'after RESET: the default project');
SELECT is(current_setting('migrate.project'), 'default', 'migrate.project defaults to default');

--------------------------------------------------------------------------
-- invalid project names
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT migrate.add('x1', 'SELECT 1', project => 'bad name')$$, '42602',
                 'invalid project "bad name"', 'add(): a project name follows the id rules');
SELECT throws_ok($$SELECT migrate.add('x1', 'SELECT 1', project => 'head')$$, '42939', NULL,
                 'add(): a target word is not a project name');
SELECT throws_ok($$SELECT * FROM migrate.current('')$$, '42602', NULL, 'current(''''): refused');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head', 'a:b')$$, '42602', NULL, 'upgrade(): a project name has no colon');
SELECT throws_ok($$SELECT * FROM migrate.validate(repeat('p', 129))$$, '42602', NULL, 'validate(): at most 128 characters');
SELECT throws_ok($$SELECT * FROM migrate.status('-x')$$, '42602', NULL, 'status(): starts with a letter or digit');
SELECT throws_ok($$SET migrate.project = 'bad name'$$, '22023', NULL, 'the setting follows the same rules');
SELECT is(current_setting('migrate.project'), 'default', 'and keeps its value');

--------------------------------------------------------------------------
-- targets resolve inside the project
--------------------------------------------------------------------------
SELECT is(ids($$SELECT * FROM migrate.resolve('head')$$), '0001', 'head in default: one head, billing''s do not count');
SELECT is(ids($$SELECT * FROM migrate.resolve('head', 'billing')$$), '0003', 'head in billing');
SELECT is(ids($$SELECT * FROM migrate.resolve('000')$$), '0001', 'a prefix sees only its project''s ids (no ambiguity)');
SELECT throws_ok($$SELECT * FROM migrate.resolve('000', 'billing')$$, '42P09', NULL, 'while in billing the prefix is ambiguous');
SELECT throws_ok($$SELECT * FROM migrate.resolve('0002')$$, '42704', NULL, 'billing''s 0002 is unknown to default');
SELECT throws_ok($$SELECT * FROM migrate.resolve('bill@head')$$, '42704', NULL, 'billing''s label is unknown to default');
SELECT is(ids($$SELECT * FROM migrate.resolve('bill@head', 'billing')$$), '0003', 'and known to billing');
SELECT is(ids($$SELECT * FROM migrate.resolve('+1')$$), '0001', '+1 from nothing: default''s base');
SELECT is(ids($$SELECT * FROM migrate.resolve('+2', 'billing')$$), '0002', '+2 in billing');
SELECT is(ids($$SELECT * FROM migrate.bases()$$), '0001', 'bases() of default');
SELECT is(ids($$SELECT * FROM migrate.bases('billing')$$), '0001', 'bases() of billing');
SELECT is(ids($$SELECT revision FROM migrate.plan('head', 'up', 'billing')$$), '0001,0002,0003', 'plan() of billing');
SELECT is(ids($$SELECT revision FROM migrate.history('billing')$$), '0001,0002,0003', 'history() of billing');
SELECT is((SELECT string_agg(revision, ',') FROM migrate.history()), '0001', 'history() of default');

--------------------------------------------------------------------------
-- upgrade and the run log, per project
--------------------------------------------------------------------------
SELECT is(ids($$SELECT revision FROM migrate.upgrade('head')$$), '0001', 'upgrade(''head'') applies default''s');
SELECT is(applied_rows(), 'default:0001', 'and nothing of billing');
SELECT is(to_regclass('b1'), NULL, 'billing''s body did not run');
SELECT is(ids($$SELECT revision FROM migrate.upgrade('0002', 'billing')$$), '0001,0002', 'upgrade(''0002'', billing)');
SELECT is(applied_rows(), 'billing:0001,billing:0002,default:0001', 'applied rows carry their project');
SELECT is(cur(), '0001', 'current() of default');
SELECT is(cur('billing'), '0002', 'current(billing)');
SELECT is((SELECT string_agg(project || ' ' || kind, ',' ORDER BY id) FROM migrate.run), 'default upgrade,billing upgrade',
          'runs carry their project');
SELECT is((SELECT string_agg(DISTINCT s.project, ',') FROM migrate.run_step s JOIN migrate.run r ON r.id = s.run_id
            WHERE r.project = 'billing'), 'billing', 'and so do their steps');
SELECT is((SELECT pending FROM migrate.status('billing')), 1, 'status(billing): one pending');
SELECT is((SELECT pending FROM migrate.status()), 0, 'status(): default has none');
SELECT is((SELECT last_run_kind || ' ' || last_run_status FROM migrate.status('billing')), 'upgrade succeeded',
          'status(billing): its last run');
SELECT is(ids($$SELECT revision FROM migrate.upgrade('head', 'billing')$$), '0003', 'the rest of billing');
SELECT is(ids($$SELECT revision FROM migrate.upgrade('head', 'billing')$$), '', 'and then nothing');

-- the migration lock is the project's: (1835624306, hashtext(project)), 0 for default
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
            AND classid = 1835624306 AND objsubid = 2
            AND objid = ((hashtext('billing')::bigint + 4294967296) % 4294967296)::oid), 1::bigint,
          'upgrade(billing) holds the advisory lock (1835624306, hashtext(''billing''))');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
            AND classid = 1835624306 AND objid = 0 AND objsubid = 2), 1::bigint,
          'upgrade(default) holds (1835624306, 0)');
SELECT ok(migrate.sql('head', 'up', 'billing') ~ '-- nothing to do', 'sql(billing): nothing to do at head');
SELECT lives_ok($$SELECT migrate.add('0004', 'CREATE TABLE b4 (id int)', 'DROP TABLE b4', '{0003}', project => 'billing')$$,
                'billing: 0004');
SELECT ok(migrate.sql('head', 'up', 'billing') ~
          ('pg_advisory_xact_lock\(1835624306, ' || hashtext('billing') || '\)'),
          'the offline script takes billing''s lock');
SELECT ok(migrate.sql('head', 'up', 'billing') ~ $$FROM migrate\.current\('billing'\)$$,
          'it checks billing''s current revisions');
SELECT ok(migrate.sql('head', 'up', 'billing') ~ $$INSERT INTO migrate\.applied \(project, revision, checksum\) VALUES \('billing', '0004'$$,
          'and records in billing');
SELECT ok(migrate.sql('head', 'up', 'billing') ~ $$^-- migrate: upgrade of project 'billing' to 'head', 1 revision$$,
          'its first line names the project');
SELECT is(migrate.remove('0004', 'billing'), '0004', 'remove(id, project)');

--------------------------------------------------------------------------
-- depends_on across projects: 'project:id'
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT migrate.add('m1', 'CREATE TABLE m1 (id int)', 'DROP TABLE m1',
                                     depends_on => '{billing:0003}', project => 'meals')$$,
                'a revision may depend on another project''s revision');
SELECT lives_ok($$SELECT migrate.add('m2', 'CREATE TABLE m2 (id int)', 'DROP TABLE m2', '{m1}',
                                     depends_on => '{billing:0005}', project => 'meals')$$,
                'registered before that revision exists');
SELECT lives_ok($$SELECT migrate.add('m3', 'CREATE TABLE m3 (id int)', 'DROP TABLE m3', '{m2}',
                                     depends_on => '{meals:m1}', project => 'meals')$$,
                'its own project''s name may qualify a dependency');
SELECT throws_ok($$SELECT migrate.add('m9', 'SELECT 1', depends_on => '{billing:}', project => 'meals')$$, '42602', NULL,
                 'project:id needs an id');
SELECT throws_ok($$SELECT migrate.add('m9', 'SELECT 1', depends_on => '{:0001}', project => 'meals')$$, '42602', NULL,
                 'and a project');
SELECT throws_ok($$SELECT migrate.add('m9', 'SELECT 1', depends_on => '{a:b:c}', project => 'meals')$$, '42602', NULL,
                 'one colon only');
SELECT throws_ok($$SELECT migrate.add('m9', 'SELECT 1', depends_on => '{a b:c}', project => 'meals')$$, '42602', NULL,
                 'the project part follows the id rules');
SELECT throws_ok($$SELECT migrate.add('m9', 'SELECT 1', depends_on => '{meals:m9}', project => 'meals')$$, '22023',
                 'revision "m9" cannot depend on itself', 'nor on itself through its project''s name');
SELECT throws_ok($$SELECT migrate.add('m9', 'SELECT 1', down_revision => '{billing:0001}', project => 'meals')$$, '42602', NULL,
                 'a parent is always of the same project');

SELECT is((SELECT string_agg(code || ' ' || revision || ' ' || message, E'\n') FROM migrate.validate('meals') WHERE severity = 'error'),
          'missing_dependency m2 revision "m2" depends on "billing:0005": project "billing" has no revision "0005"',
          'validate(): an unknown revision of another project is missing_dependency');
SELECT throws_ok($$SELECT migrate.check('meals')$$, '42P17', NULL, 'check(meals) fails on it');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE severity = 'error'), 0::bigint, 'default is unaffected');

-- not applied in its project: refused before anything runs
SELECT is(migrate.add('0004', 'CREATE TABLE b4 (id int)', 'DROP TABLE b4', '{0003}', project => 'billing'), '0004',
          'billing: 0004 again');
SELECT lives_ok($$SELECT migrate.add('m1', 'CREATE TABLE m1 (id int)', 'DROP TABLE m1',
                                     depends_on => '{billing:0004}', project => 'meals')$$,
                'm1 now depends on billing''s 0004, registered, not applied');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('m1', 'meals')$$, '55000',
                 'cannot upgrade: revision "m1" depends on revision "0004" of project "billing", which is not applied',
                 'upgrade refuses with 55000 and names the dependency');
SELECT is(to_regclass('m1'), NULL, 'nothing ran');
SELECT is(cur('meals'), '', 'nothing of meals is applied');
SELECT is(cur('billing'), '0003', 'and billing''s 0004 was not applied by it');
SELECT throws_ok($$SELECT * FROM migrate.plan('m1', 'up', 'meals')$$, '55000', NULL, 'plan() refuses it too');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head', 'meals')$$, '55000', NULL,
                 'an unregistered dependency of another project is refused the same way');
SELECT is(ids($$SELECT revision FROM migrate.upgrade('head', 'billing')$$), '0004', 'billing moves to 0004');
SELECT ok(migrate.sql('m1', 'up', 'meals') ~
          ('pg_advisory_xact_lock_shared\(1835624306, ' || hashtext('billing') || '\)'),
          'the offline script of meals takes billing''s lock in share mode');
SELECT ok(migrate.sql('m1', 'up', 'meals') ~ $$WHERE a.project OPERATOR\(pg_catalog.=\) 'billing'\s+AND a.revision OPERATOR\(pg_catalog.=\) '0004'$$,
          'and checks that billing''s 0004 is applied');
SELECT is(ids($$SELECT revision FROM migrate.upgrade('m1', 'meals')$$), 'm1', 'then meals'' m1 goes through');
SELECT is(applied_rows(), 'billing:0001,billing:0002,billing:0003,billing:0004,default:0001,meals:m1',
          'meals applied its own revision only');
SELECT is((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
            AND classid = 1835624306 AND objid = ((hashtext('meals')::bigint + 4294967296) % 4294967296)::oid), 1::bigint,
          'meals'' own lock is held');

-- a downgrade never reverts another project's revisions either
SELECT throws_ok($$SELECT * FROM migrate.downgrade('base', 'billing')$$, '55000',
                 'cannot downgrade: revision "0004" of project "billing" is needed by revision "m1" of project "meals", which is applied',
                 'downgrade(base, billing) refuses while meals depends on it');
SELECT is(cur('billing'), '0004', 'nothing of billing was reverted');
SELECT throws_ok($$SELECT migrate.sql('base', 'down', 'billing')$$, '55000', NULL, 'nor is a script written for it');
SELECT is(ids($$SELECT revision FROM migrate.downgrade('0004', 'billing')$$), '', 'a downgrade that keeps 0004 is fine');
SELECT is((SELECT string_agg(code, ',') FROM migrate.validate('meals') WHERE severity = 'error'), 'missing_dependency',
          'validate(meals): only m2''s missing dependency');

--------------------------------------------------------------------------
-- downgrade('base') and stamp('base') clear one project
--------------------------------------------------------------------------
SELECT is(ids($$SELECT revision FROM migrate.downgrade('base', 'meals')$$), 'm1', 'downgrade(base, meals) reverts m1');
SELECT ok(migrate.sql('base', 'down', 'billing') ~ 'an applied revision of another project depends on a revision this script reverts',
          'a downgrade script of billing checks meals'' applied revisions when it runs');
SELECT ok(migrate.sql('base', 'down') !~ 'another project', 'default''s, which nobody depends on, does not');
SELECT is(ids($$SELECT revision FROM migrate.downgrade('base')$$), '0001', 'downgrade(base) reverts default''s 0001');
SELECT is(to_regclass('d1'), NULL, 'default''s table is gone');
SELECT is(cur('billing'), '0004', 'billing is untouched');
SELECT isnt(to_regclass('b4'), NULL, 'billing''s tables stay');
SELECT is(ids($$SELECT revision FROM migrate.stamp('head')$$), '0001', 'stamp(head) in default');
SELECT is(ids($$SELECT revision FROM migrate.stamp('base', 'billing')$$), '0001,0002,0003,0004', 'stamp(base, billing) clears billing');
SELECT is(cur(), '0001', 'default keeps its stamp');
SELECT is(applied_rows(), 'default:0001', 'only default''s row is left');
SELECT is((SELECT string_agg(project, ',' ORDER BY id) FROM migrate.run WHERE kind = 'stamp'), 'default,billing',
          'each stamp is a run of its project');
SELECT is(ids($$SELECT revision FROM migrate.stamp('base')$$), '0001', 'stamp(base) in default');
SELECT is(applied_rows(), '', 'nothing applied anywhere');
SELECT is(ids($$SELECT revision FROM migrate.stamp('bill@head', 'billing')$$), '0001,0002,0003,0004', 'stamp(bill@head, billing)');

--------------------------------------------------------------------------
-- migrate.projects()
--------------------------------------------------------------------------
SELECT is(ids($$SELECT project FROM migrate.projects()$$), 'billing,default,meals', 'projects(): one row per project, by name');
SELECT is((SELECT current::text || ' ' || heads::text || ' ' || pending || ' ' || applied || ' ' || last_run_status || ' ' || errors
             FROM migrate.projects() WHERE project = 'billing'),
          '{0004} {0004} 0 4 succeeded 0', 'billing''s row');
SELECT is((SELECT current::text || ' ' || heads::text || ' ' || pending || ' ' || applied || ' ' || last_run_status || ' ' || errors
             FROM migrate.projects() WHERE project = 'meals'),
          '{} {m3} 3 0 succeeded 1', 'meals'' row: its error is m2''s missing dependency');
SELECT is((SELECT current::text || ' ' || heads::text || ' ' || pending || ' ' || applied || ' ' || last_run_status
             FROM migrate.projects() WHERE project = 'default'),
          '{} {0001} 1 0 succeeded', 'default''s row');
SELECT ok((SELECT last_run_at = (SELECT max(coalesce(finished_at, started_at)) FROM migrate.run WHERE project = 'billing')
             FROM migrate.projects() WHERE project = 'billing'), 'last_run_at is the project''s last run');
SELECT is((SELECT array_to_string(proargnames, ',') FROM pg_proc WHERE oid = 'migrate.projects()'::regprocedure),
          'project,current,heads,pending,applied,last_run_at,last_run_status,errors', 'with the contract''s columns');

--------------------------------------------------------------------------
-- add_file and verify take a project too
--------------------------------------------------------------------------
SELECT is(migrate.add_file(E'-- migrate:revision f1\n-- migrate:depends_on billing:0004\n-- migrate:upgrade\nCREATE TABLE f1 (id int);\n',
                           'f1_first.sql', 'files'), 'f1', 'add_file(content, source, project)');
SELECT is((SELECT project || ' ' || depends_on::text FROM migrate.revision WHERE id = 'f1'), 'files {billing:0004}',
          'registered in its project, with a dependency on another project');
SELECT is(ids($$SELECT revision FROM migrate.upgrade('head', 'files')$$), 'f1', 'and applied there (billing''s 0004 is stamped)');
SELECT is((SELECT message FROM migrate.verify(project => 'files') WHERE code = 'revisions'),
          'project "files": 1 registered, 1 applied, 0 pending', 'verify(project => files)');
SELECT is((SELECT count(*) FROM migrate.verify(project => 'meals') WHERE code = 'pending'), 3::bigint,
          'verify(project => meals) lists meals'' pending revisions');

SELECT * FROM finish();
ROLLBACK;
