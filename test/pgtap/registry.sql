\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.add / migrate.remove: id rules, argument checks, idempotence,
-- replacement, refusal once applied, removal.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(108);

--------------------------------------------------------------------------
-- the basics
--------------------------------------------------------------------------
SELECT is(migrate.add('a1', 'SELECT 1'), 'a1', 'add returns the id');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['a1'], 'heads');
SELECT is((SELECT down_revision FROM migrate.revision WHERE id = 'a1'), '{}'::text[],
          'no parents stored as an empty array');
SELECT is((SELECT downgrade FROM migrate.revision WHERE id = 'a1'), NULL,
          'downgrade defaults to NULL (irreversible)');
SELECT is((SELECT transactional FROM migrate.revision WHERE id = 'a1'), true,
          'transactional defaults to true');
SELECT matches((SELECT checksum FROM migrate.revision WHERE id = 'a1'), '^[0-9a-f]{64}$',
               'checksum is hex SHA-256');
SELECT is((SELECT registered_by FROM migrate.revision WHERE id = 'a1'), current_user::name,
          'registered_by is the caller');

--------------------------------------------------------------------------
-- id rules
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT migrate.add('', 'SELECT 1')$$, '42602', NULL, 'empty id');
SELECT throws_ok(format('SELECT migrate.add(%L, %L)', repeat('a', 129), 'SELECT 1'),
                 '42602', NULL, '129 characters');
SELECT is(migrate.add(repeat('b', 128), 'SELECT 1'), repeat('b', 128), '128 characters are fine');
SELECT throws_ok($$SELECT migrate.add('-x', 'SELECT 1')$$, '42602', NULL, 'leading -');
SELECT throws_ok($$SELECT migrate.add('.x', 'SELECT 1')$$, '42602', NULL, 'leading .');
SELECT throws_ok($$SELECT migrate.add('_x', 'SELECT 1')$$, '42602', NULL, 'leading _');
SELECT throws_ok($$SELECT migrate.add('a b', 'SELECT 1')$$, '42602', NULL, 'space inside');
SELECT throws_ok($$SELECT migrate.add(' ab', 'SELECT 1')$$, '42602', NULL, 'leading space');
SELECT throws_ok($$SELECT migrate.add('ab ', 'SELECT 1')$$, '42602', NULL, 'trailing space');
SELECT throws_ok($$SELECT migrate.add(E'ab\n', 'SELECT 1')$$, '42602', NULL, 'newline');
SELECT throws_ok($$SELECT migrate.add('a''b', 'SELECT 1')$$, '42602', NULL, 'single quote');
SELECT throws_ok($$SELECT migrate.add('a"b', 'SELECT 1')$$, '42602', NULL, 'double quote');
SELECT throws_ok($$SELECT migrate.add('a;b', 'SELECT 1')$$, '42602', NULL, 'semicolon');
SELECT throws_ok($$SELECT migrate.add('a/b', 'SELECT 1')$$, '42602', NULL, 'slash');
SELECT throws_ok($$SELECT migrate.add('a@b', 'SELECT 1')$$, '42602', NULL, '@ (label syntax)');
SELECT throws_ok($$SELECT migrate.add('a+1', 'SELECT 1')$$, '42602', NULL, '+ (relative syntax)');
SELECT throws_ok($$SELECT migrate.add('révision', 'SELECT 1')$$, '42602', NULL, 'non-ASCII letter');
SELECT throws_ok($$SELECT migrate.add('ａ1', 'SELECT 1')$$, '42602', NULL, 'full-width letter');
SELECT throws_ok(format('SELECT migrate.add(%L, %L)', 'a' || repeat('é', 40), 'SELECT 1'),
                 '42602', 'invalid revision id "a' || repeat('é', 31) || '..."',
                 'a long id is shortened in the message on a character boundary');
SELECT throws_ok(format('SELECT migrate.add(%L, %L)', 'ab' || repeat('€', 40), 'SELECT 1'),
                 '42602', 'invalid revision id "ab' || repeat('€', 20) || '..."',
                 'also with three-byte characters');
SELECT throws_ok($$SELECT migrate.add('head', 'SELECT 1')$$, '42939', NULL, 'head is reserved');
SELECT throws_ok($$SELECT migrate.add('heads', 'SELECT 1')$$, '42939', NULL, 'heads is reserved');
SELECT throws_ok($$SELECT migrate.add('base', 'SELECT 1')$$, '42939', NULL, 'base is reserved');
SELECT throws_ok($$SELECT migrate.add('HEAD', 'SELECT 1')$$, '42939', NULL, 'HEAD is reserved');
SELECT throws_ok($$SELECT migrate.add('Base', 'SELECT 1')$$, '42939', NULL, 'Base is reserved');
SELECT lives_ok($$SELECT migrate.add('headx', 'SELECT 1')$$, 'a word that starts with head is fine');
SELECT lives_ok($$SELECT migrate.add('0-9.A_z', 'SELECT 1')$$, 'digits, -, ., _ and both cases');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', branch_labels => '{head}')$$,
                 '42939', NULL, 'a label cannot be a target word');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', branch_labels => '{"my label"}')$$,
                 '42602', NULL, 'labels follow the id rules');
SELECT throws_ok(format('SELECT migrate.add(%L, %L, branch_labels => ARRAY[%L])',
                        'a2', 'SELECT 1', repeat('l', 129)),
                 '42602', NULL, 'a label of 129 characters');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', down_revision => '{"x;y"}')$$,
                 '42602', NULL, 'parents follow the id rules');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', depends_on => '{base}')$$,
                 '42939', NULL, 'dependencies follow the id rules');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = 'a2'), 0::bigint,
          'nothing registered by the refused calls');

--------------------------------------------------------------------------
-- NULLs and arrays
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT migrate.add(NULL, 'SELECT 1')$$, '22004', NULL, 'NULL id');
SELECT throws_ok($$SELECT migrate.add('a2', NULL)$$, '22004', NULL, 'NULL upgrade');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', transactional => NULL)$$,
                 '22004', NULL, 'NULL transactional');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', down_revision => ARRAY['a1', NULL])$$,
                 '22004', NULL, 'NULL parent');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', branch_labels => ARRAY[NULL::text])$$,
                 '22004', NULL, 'NULL label');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', depends_on => ARRAY['a1', NULL])$$,
                 '22004', NULL, 'NULL dependency');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', down_revision => '{a1,a1}')$$,
                 '22023', NULL, 'duplicate parents');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', depends_on => '{a1,a1}')$$,
                 '22023', NULL, 'duplicate dependencies');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', branch_labels => '{x,x}')$$,
                 '22023', NULL, 'duplicate labels');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', down_revision => '{a2}')$$,
                 '22023', NULL, 'own parent');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', down_revision => '{a1,a2}')$$,
                 '22023', NULL, 'own parent among others');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', depends_on => '{a2}')$$,
                 '22023', NULL, 'own dependency');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', down_revision => '{{a1},{x1}}')$$,
                 '2202E', NULL, 'two-dimensional down_revision');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', depends_on => '{{a1,x1}}')$$,
                 '2202E', NULL, 'two-dimensional depends_on');
SELECT throws_ok($$SELECT migrate.add('a2', 'SELECT 1', branch_labels => '{{l1},{l2}}')$$,
                 '2202E', NULL, 'two-dimensional branch_labels');
SELECT is(migrate.add('a2', 'SELECT 2', down_revision => '{}', branch_labels => '{}', depends_on => '{}'),
          'a2', 'empty arrays are fine');
SELECT ok(migrate.add('a3', 'SELECT 3', down_revision => '[0:0]={a2}') = 'a3',
          'an array with a lower bound other than 1');
SELECT is((SELECT down_revision FROM migrate.revision WHERE id = 'a3'), '{a2}'::text[],
          'stored with the usual bounds');

--------------------------------------------------------------------------
-- re-adding an identical revision is a no-op
--------------------------------------------------------------------------
SELECT FROM migrate.add('r1', E'CREATE TABLE t1 (id int);\nCREATE INDEX ON t1 (id);',
                   'DROP TABLE t1', down_revision => '{a1,a2}', message => 'first',
                   branch_labels => '{lab1,lab2}', depends_on => '{a3}',
                   source => 'm/r1_first.sql');
SELECT ctid AS r1_tid, checksum AS r1_sum FROM migrate.revision WHERE id = 'r1' \gset
SELECT is(migrate.add('r1', E'CREATE TABLE t1 (id int);\nCREATE INDEX ON t1 (id);',
                      'DROP TABLE t1', down_revision => '{a1,a2}', message => 'first',
                      branch_labels => '{lab1,lab2}', depends_on => '{a3}',
                      source => 'm/r1_first.sql'),
          'r1', 're-add returns the id');
SELECT is((SELECT ctid::text FROM migrate.revision WHERE id = 'r1'), :'r1_tid',
          'identical re-add writes nothing (same row version)');
SELECT FROM migrate.add('r1', E'\r\nCREATE TABLE t1 (id int);  \r\nCREATE INDEX ON t1 (id);\t\r\n\r\n',
                   E'DROP TABLE t1\n\n', down_revision => '{a2,a1}', message => 'first',
                   branch_labels => '{lab2,lab1}', depends_on => '{a3}',
                   source => 'm/r1_first.sql');
SELECT is((SELECT ctid::text FROM migrate.revision WHERE id = 'r1'), :'r1_tid',
          'CRLF, trailing blanks, blank edge lines and list order are no change');
SELECT is((SELECT checksum FROM migrate.revision WHERE id = 'r1'), :'r1_sum',
          'checksum unchanged');
SELECT is((SELECT upgrade FROM migrate.revision WHERE id = 'r1'),
          E'CREATE TABLE t1 (id int);\nCREATE INDEX ON t1 (id);',
          'the body as first registered is kept');

-- message and source may change; NULL keeps the old value
SELECT FROM migrate.add('r1', E'CREATE TABLE t1 (id int);\nCREATE INDEX ON t1 (id);',
                   'DROP TABLE t1', down_revision => '{a1,a2}',
                   branch_labels => '{lab1,lab2}', depends_on => '{a3}');
SELECT is((SELECT message || ' ' || source FROM migrate.revision WHERE id = 'r1'),
          'first m/r1_first.sql', 'NULL message and source keep the old values');
SELECT is((SELECT ctid::text FROM migrate.revision WHERE id = 'r1'), :'r1_tid',
          'and write nothing');
SELECT FROM migrate.add('r1', E'CREATE TABLE t1 (id int);\nCREATE INDEX ON t1 (id);',
                   'DROP TABLE t1', down_revision => '{a1,a2}', message => 'renamed',
                   branch_labels => '{lab1,lab2}', depends_on => '{a3}',
                   source => 'other/r1_renamed.sql');
SELECT is((SELECT message || ' ' || source FROM migrate.revision WHERE id = 'r1'),
          'renamed other/r1_renamed.sql', 'a new message and source are applied');
SELECT is((SELECT checksum FROM migrate.revision WHERE id = 'r1'), :'r1_sum',
          'message and source are not part of the checksum');

--------------------------------------------------------------------------
-- a changed, unapplied revision is replaced (the NOTICE is shown by the
-- pg_regress test registry_output)
--------------------------------------------------------------------------
SELECT FROM migrate.add('c1', 'SELECT 1', 'SELECT 0', message => 'm1', source => 'c1.sql');
SELECT checksum AS c1_sum FROM migrate.revision WHERE id = 'c1' \gset
SELECT lives_ok($$SELECT migrate.add('c1', 'SELECT 2', 'SELECT 0')$$, 'changed body is accepted');
SELECT is((SELECT upgrade FROM migrate.revision WHERE id = 'c1'), 'SELECT 2', 'body replaced');
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 'c1'), :'c1_sum', 'checksum replaced');
SELECT checksum AS c1_sum FROM migrate.revision WHERE id = 'c1' \gset
SELECT FROM migrate.add('c1', 'SELECT 2', 'SELECT 0', transactional => false);
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 'c1'), :'c1_sum',
            'the transactional flag is part of the checksum');
SELECT checksum AS c1_sum FROM migrate.revision WHERE id = 'c1' \gset
SELECT FROM migrate.add('c1', 'SELECT 2', 'SELECT 0', transactional => false, branch_labels => '{cl}');
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 'c1'), :'c1_sum',
            'labels are part of the checksum');
SELECT checksum AS c1_sum FROM migrate.revision WHERE id = 'c1' \gset
SELECT FROM migrate.add('c1', 'SELECT 2', NULL, transactional => false, branch_labels => '{cl}');
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 'c1'), :'c1_sum',
            'dropping the downgrade is a change');
SELECT checksum AS c1_sum FROM migrate.revision WHERE id = 'c1' \gset
SELECT FROM migrate.add('c1', 'SELECT 2', NULL, down_revision => '{a1}', transactional => false,
                   branch_labels => '{cl}');
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 'c1'), :'c1_sum',
            'parents are part of the checksum');
SELECT results_eq($$SELECT down_revision, branch_labels, transactional, downgrade IS NULL
                      FROM migrate.revision WHERE id = 'c1'$$,
                  $$VALUES ('{a1}'::text[], '{cl}'::text[], false, true)$$,
                  'replacement stores the new parents, labels and flag');
SELECT checksum AS c1_sum FROM migrate.revision WHERE id = 'c1' \gset
SELECT FROM migrate.add('c1', 'SELECT 2', NULL, down_revision => '{a1}', transactional => false,
                   branch_labels => '{cl}', depends_on => '{a2}');
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 'c1'), :'c1_sum',
            'dependencies are part of the checksum');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = 'c1'), 1::bigint,
          'still one row');

-- the parser's verdict follows the body
SELECT FROM migrate.add('p1', 'SELEC 1');
SELECT isnt((SELECT upgrade_problem FROM migrate.revision WHERE id = 'p1'), NULL,
            'a bad body is registered with its problem');
SELECT FROM migrate.add('p1', 'SELECT 1');
SELECT is((SELECT upgrade_problem FROM migrate.revision WHERE id = 'p1'), NULL,
          'replacing it with a good body clears the problem');

--------------------------------------------------------------------------
-- parents may come after their children
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT migrate.add('k3', 'SELECT 3', down_revision => '{k2}')$$,
                'a child before its parent');
SELECT lives_ok($$SELECT migrate.add('k2', 'SELECT 2', down_revision => '{k1}')$$,
                'the parent, before its own parent');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE code = 'missing_parent' AND revision = 'k2'),
          1::bigint, 'validate reports what is still missing');
SELECT FROM migrate.add('k1', 'SELECT 1');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE code = 'missing_parent'),
          0::bigint, 'complete once the base arrives');
SELECT results_eq($$SELECT revision FROM migrate.history() WHERE revision LIKE 'k_'$$,
                  ARRAY['k1', 'k2', 'k3'], 'history orders them base first');

--------------------------------------------------------------------------
-- remove
--------------------------------------------------------------------------
SELECT throws_ok($$SELECT migrate.remove('nope')$$, '42704', NULL, 'remove an unknown revision');
SELECT throws_ok($$SELECT migrate.remove(NULL)$$, '22004', NULL, 'remove NULL');
SELECT throws_ok($$SELECT migrate.remove('bad id')$$, '42602', NULL, 'remove a malformed id');
SELECT throws_ok($$SELECT migrate.remove('head')$$, '42939', NULL, 'remove a target word');
SELECT is(migrate.remove('k3'), 'k3', 'remove returns the id');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = 'k3'), 0::bigint, 'k3 is gone');
SELECT throws_ok($$SELECT migrate.remove('k3')$$, '42704', NULL, 'removing twice');
SELECT is(migrate.add('k3', 'SELECT 3', down_revision => '{k2}'), 'k3', 'and it can come back');
SELECT lives_ok($$SELECT migrate.remove('k1')$$, 'removing a parent is allowed while unapplied');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE code = 'missing_parent' AND revision = 'k2'),
          1::bigint, 'validate then reports the hole');

--------------------------------------------------------------------------
-- applied revisions cannot change or go (applied state is written
-- directly here: the apply engine is tested elsewhere)
--------------------------------------------------------------------------
SELECT FROM migrate.add('ap1', 'CREATE TABLE ap1 (id int)', 'DROP TABLE ap1', message => 'applied one');
INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = 'ap1';
SELECT ctid AS ap1_tid, checksum AS ap1_sum FROM migrate.revision WHERE id = 'ap1' \gset
SELECT lives_ok($$SELECT migrate.add('ap1', 'CREATE TABLE ap1 (id int)', 'DROP TABLE ap1', message => 'applied one')$$,
                'identical re-add of an applied revision is a no-op');
SELECT is((SELECT ctid::text FROM migrate.revision WHERE id = 'ap1'), :'ap1_tid', 'nothing written');
SELECT lives_ok($$SELECT migrate.add('ap1', E'CREATE TABLE ap1 (id int)\r\n', 'DROP TABLE ap1  ')$$,
                'so is a re-add with other line endings');
SELECT lives_ok($$SELECT migrate.add('ap1', 'CREATE TABLE ap1 (id int)', 'DROP TABLE ap1', message => 'new words')$$,
                'the message of an applied revision may change');
SELECT is((SELECT message FROM migrate.revision WHERE id = 'ap1'), 'new words', 'message updated');
SELECT throws_ok($$SELECT migrate.add('ap1', 'CREATE TABLE ap1 (id bigint)', 'DROP TABLE ap1')$$,
                 '55000', NULL, 'changed body of an applied revision is refused');
SELECT throws_ok($$SELECT migrate.add('ap1', 'CREATE TABLE ap1 (id int)', NULL)$$,
                 '55000', NULL, 'dropping the downgrade of an applied revision is refused');
SELECT throws_ok($$SELECT migrate.add('ap1', 'CREATE TABLE ap1 (id int)', 'DROP TABLE ap1', down_revision => '{a1}')$$,
                 '55000', NULL, 'new parents for an applied revision are refused');
SELECT throws_ok($$SELECT migrate.add('ap1', 'CREATE TABLE ap1 (id int)', 'DROP TABLE ap1', transactional => false)$$,
                 '55000', NULL, 'a new transactional flag for an applied revision is refused');
SELECT is((SELECT checksum FROM migrate.revision WHERE id = 'ap1'), :'ap1_sum', 'checksum untouched');
SELECT throws_ok($$SELECT migrate.remove('ap1')$$, '55000', NULL, 'an applied revision cannot be removed');
SELECT is((SELECT count(*) FROM migrate.revision WHERE id = 'ap1'), 1::bigint, 'still registered');

--------------------------------------------------------------------------
-- the extension can be dropped and created again in one session
--------------------------------------------------------------------------
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT is(migrate.add('again', 'SELECT 1'), 'again', 'add works after DROP/CREATE EXTENSION in the same session');
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['again'], 'on the new catalog');

SELECT * FROM finish();
ROLLBACK;
