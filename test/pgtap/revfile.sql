\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.add_file: revision files parsed by common/revfile.c and registered
-- like migrate.add.  Valid files (base, linear, merge, labels, depends_on,
-- transactional false, no downgrade, CRLF, comments), the same registration
-- rules as migrate.add, and every parse error: SQLSTATE 22P02, message
-- 'invalid revision file "<source>"', detail "Line N: ...".  NUL bytes
-- cannot occur in a text value; test/fuzz/revfile_test.c covers them.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(120);

-- "<SQLSTATE> <detail>" of add_file's error, or 'no error'
CREATE FUNCTION pg_temp.file_error(content text, source text DEFAULT 'f.sql')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    s text;
    d text;
BEGIN
    PERFORM migrate.add_file(content, source);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, d = PG_EXCEPTION_DETAIL;
    RETURN s || ' ' || coalesce(d, '');
END $$;

--------------------------------------------------------------------------
-- valid files
--------------------------------------------------------------------------
SELECT is(migrate.add_file(
E'-- migrate:revision 001
-- migrate:message extensions
-- migrate:branch_labels core
-- migrate:upgrade
CREATE TABLE base_t (id int);

-- migrate:downgrade
DROP TABLE base_t;
', '001_base.sql'), '001', 'a base: add_file returns the id');
SELECT is(r.down_revision, '{}'::text[], 'base: no parents') FROM migrate.revision r WHERE id = '001';
SELECT is(r.message, 'extensions', 'base: message') FROM migrate.revision r WHERE id = '001';
SELECT is(r.branch_labels, '{core}'::text[], 'base: branch label') FROM migrate.revision r WHERE id = '001';
SELECT is(r.upgrade, E'CREATE TABLE base_t (id int);\n\n', 'base: upgrade body verbatim')
  FROM migrate.revision r WHERE id = '001';
SELECT is(r.downgrade, E'DROP TABLE base_t;\n', 'base: downgrade body verbatim')
  FROM migrate.revision r WHERE id = '001';
SELECT is(r.transactional, true, 'base: transactional by default') FROM migrate.revision r WHERE id = '001';
SELECT is(r.source, '001_base.sql', 'base: source is the file name') FROM migrate.revision r WHERE id = '001';

SELECT is(migrate.add_file(
E'-- migrate:revision 002a
-- migrate:down_revision 001
-- migrate:upgrade
CREATE TABLE a_t (id int);
-- migrate:downgrade
DROP TABLE a_t;
', '002a_left.sql'), '002a', 'a linear child');
SELECT is(r.down_revision, '{001}'::text[], 'linear: one parent') FROM migrate.revision r WHERE id = '002a';

SELECT is(migrate.add_file(
E'-- a file may start with comments
--   and blank lines

-- migrate:revision 002b
-- migrate:down_revision   001   
-- migrate:depends_on 002a
-- migrate:upgrade
CREATE TABLE b_t (id int);
', 'sub/dir/002b_right.sql'), '002b', 'comments, blank lines, blanks around values');
SELECT is(r.down_revision, '{001}'::text[], 'blanks around a value are trimmed') FROM migrate.revision r WHERE id = '002b';
SELECT is(r.depends_on, '{002a}'::text[], 'depends_on') FROM migrate.revision r WHERE id = '002b';
SELECT is(r.downgrade, NULL, 'no downgrade section: irreversible (NULL)') FROM migrate.revision r WHERE id = '002b';
SELECT is(h.reversible, false, 'history says irreversible') FROM migrate.history() h WHERE revision = '002b';

SELECT is(migrate.add_file(
E'-- migrate:revision 003
-- migrate:down_revision 002a , 002b
-- migrate:message merge the two branches
-- migrate:branch_labels merged,lifegraph
-- migrate:depends_on  001 ,002a
-- migrate:upgrade
-- migrate:downgrade
', '003_merge.sql'), '003', 'a merge with labels and dependencies');
SELECT is(r.down_revision, '{002a,002b}'::text[], 'merge: both parents') FROM migrate.revision r WHERE id = '003';
SELECT is(r.branch_labels, '{merged,lifegraph}'::text[], 'merge: two labels') FROM migrate.revision r WHERE id = '003';
SELECT is(r.depends_on, '{001,002a}'::text[], 'merge: two dependencies') FROM migrate.revision r WHERE id = '003';
SELECT is(r.upgrade, '', 'merge: empty upgrade body') FROM migrate.revision r WHERE id = '003';
SELECT is(r.downgrade, '', 'merge: empty downgrade section is reversible') FROM migrate.revision r WHERE id = '003';
SELECT results_eq($$SELECT * FROM migrate.heads()$$, ARRAY['003'], 'the merge is the only head');

SELECT is(migrate.add_file(
E'-- migrate:revision 004
-- migrate:down_revision 003
-- migrate:transactional false
-- migrate:upgrade
CREATE INDEX CONCURRENTLY a_t_id ON a_t (id);
-- migrate:downgrade
DROP INDEX CONCURRENTLY a_t_id;
', '004_index.sql'), '004', 'transactional false');
SELECT is(r.transactional, false, 'stored as not transactional') FROM migrate.revision r WHERE id = '004';
SELECT is(r.upgrade_problem, NULL, 'CREATE INDEX CONCURRENTLY is fine in a non-transactional body')
  FROM migrate.revision r WHERE id = '004';

SELECT is(migrate.add_file(E'-- migrate:revision 005\r\n-- migrate:down_revision 004\r\n-- migrate:transactional TRUE\r\n-- migrate:upgrade\r\nSELECT 1;\r\n-- migrate:downgrade\r\nSELECT 2;\r\n',
          '005.sql'), '005', 'CRLF line endings');
SELECT is(r.down_revision, '{004}'::text[], 'CRLF: header values without CR') FROM migrate.revision r WHERE id = '005';
SELECT is(r.upgrade, E'SELECT 1;\r\n', 'CRLF: body kept verbatim') FROM migrate.revision r WHERE id = '005';
SELECT is(r.transactional, true, 'transactional TRUE (any case)') FROM migrate.revision r WHERE id = '005';

SELECT is(migrate.add_file(E'-- migrate:revision 006\n-- migrate:down_revision\n-- migrate:upgrade\nSELECT 1;'),
          '006', 'empty down_revision: a base; no source; no final newline');
SELECT is(r.down_revision, '{}'::text[], 'empty down_revision stored as no parents') FROM migrate.revision r WHERE id = '006';
SELECT is(r.source, NULL, 'source defaults to NULL') FROM migrate.revision r WHERE id = '006';
SELECT is(r.upgrade, 'SELECT 1;', 'body up to the end of the file') FROM migrate.revision r WHERE id = '006';

--------------------------------------------------------------------------
-- the same registration as migrate.add
--------------------------------------------------------------------------
SELECT lives_ok($$SELECT migrate.add('s1', E'CREATE TABLE s1 ();\n', E'DROP TABLE s1;\n',
                                     '{001}', 'same', '{l1}', '{002a}', false, 's1.sql')$$,
                'add a revision with migrate.add');
SELECT is(migrate.add_file(E'-- migrate:revision s2\n-- migrate:down_revision 001\n-- migrate:message same\n-- migrate:branch_labels l2\n-- migrate:depends_on 002a\n-- migrate:transactional false\n-- migrate:upgrade\nCREATE TABLE s1 ();\n-- migrate:downgrade\nDROP TABLE s1;\n',
          's2.sql'), 's2', 'the same content through add_file');
SELECT isnt((SELECT checksum FROM migrate.revision WHERE id = 's1'),
            (SELECT checksum FROM migrate.revision WHERE id = 's2'),
            'different labels: different checksums');
SELECT lives_ok($$SELECT migrate.remove('s2')$$, 'remove it');
SELECT is(migrate.add_file(E'-- migrate:revision s2\n-- migrate:down_revision 001\n-- migrate:message same\n-- migrate:branch_labels l1\n-- migrate:depends_on 002a\n-- migrate:transactional false\n-- migrate:upgrade\nCREATE TABLE s1 ();\n-- migrate:downgrade\nDROP TABLE s1;\n',
          's2.sql'), 's2', 'add_file with the fields of the migrate.add call');
SELECT is((SELECT checksum FROM migrate.revision WHERE id = 's1'),
          (SELECT checksum FROM migrate.revision WHERE id = 's2'),
          'add and add_file compute the same checksum for the same fields');

SELECT is((SELECT registered_at FROM migrate.revision WHERE id = '002a') IS NOT NULL, true, 'registered');
CREATE TEMP TABLE before_readd AS SELECT id, checksum, registered_at FROM migrate.revision WHERE id = '002a';
SELECT is(migrate.add_file(E'-- migrate:revision 002a\n-- migrate:down_revision 001\n-- migrate:message now with a message\n-- migrate:upgrade\nCREATE TABLE a_t (id int);\n-- migrate:downgrade\nDROP TABLE a_t;\n',
          'moved/002a_left.sql'), '002a', 're-adding the same file with a new message and source');
SELECT is(r.message, 'now with a message', 'message refreshed') FROM migrate.revision r WHERE id = '002a';
SELECT is(r.source, 'moved/002a_left.sql', 'source refreshed') FROM migrate.revision r WHERE id = '002a';
SELECT is(r.checksum, b.checksum, 'same checksum: an identical revision')
  FROM migrate.revision r JOIN before_readd b USING (id);
SELECT is(migrate.add_file(E'-- migrate:revision 002a\r\n-- migrate:down_revision 001\r\n-- migrate:upgrade\r\nCREATE TABLE a_t (id int);   \r\n-- migrate:downgrade\r\nDROP TABLE a_t;\r\n',
          '002a_left.sql'), '002a', 'the same file checked out with CRLF and trailing blanks');
SELECT is(r.checksum, b.checksum, 'CRLF and trailing blanks do not change the checksum')
  FROM migrate.revision r JOIN before_readd b USING (id);
SELECT is(migrate.add_file(E'-- migrate:revision 002a\n-- migrate:down_revision 001\n-- migrate:upgrade\nCREATE TABLE a_t (id bigint);\n-- migrate:downgrade\nDROP TABLE a_t;\n',
          '002a_left.sql'), '002a', 'a changed unapplied file replaces the revision');
SELECT isnt(r.checksum, b.checksum, 'replaced: new checksum')
  FROM migrate.revision r JOIN before_readd b USING (id);

SET client_min_messages = error;
SELECT lives_ok($$SELECT migrate.add_file(E'-- migrate:revision 007\n-- migrate:upgrade\nSELECT 1;\n', 'not_007.sql')$$,
                'a file named for another id is registered (with a WARNING)');
SET client_min_messages = warning;
SELECT is((SELECT count(*)::int FROM migrate.validate() WHERE code = 'source_mismatch' AND revision = '007'), 1,
          'and validate() reports source_mismatch');

SELECT throws_ok($$SELECT migrate.add_file(E'-- migrate:revision x1\n-- migrate:down_revision x1\n-- migrate:upgrade\n', 'x1.sql')$$,
                 '22023', 'revision "x1" cannot be its own parent', 'own parent: migrate.add''s error');
SELECT throws_ok($$SELECT migrate.add_file(E'-- migrate:revision x1\n-- migrate:depends_on x1\n-- migrate:upgrade\n', 'x1.sql')$$,
                 '22023', 'revision "x1" cannot depend on itself', 'own dependency: migrate.add''s error');
SELECT throws_ok($$SELECT migrate.add_file(NULL, 'x.sql')$$, '22004', 'content must not be NULL', 'NULL content');
SELECT throws_ok($$SELECT migrate.add_file(E'-- migrate:upgrade\n')$$, '22P02', 'invalid revision file',
                 'without a source the message names no file');

SELECT ok(NOT has_function_privilege('public', 'migrate.add_file(text, text, text)', 'EXECUTE'),
          'PUBLIC cannot execute add_file');

--------------------------------------------------------------------------
-- parse errors: SQLSTATE 22P02, the file in the message, the line in the detail
--------------------------------------------------------------------------
CREATE TEMP TABLE bad (n int, name text, content text, detail text);
INSERT INTO bad VALUES
 (1, 'missing revision',
  E'-- migrate:message no id\n\n-- migrate:upgrade\nSELECT 1;\n',
  'Line 3: missing "-- migrate:revision" header.'),
 (2, 'missing upgrade section',
  E'-- migrate:revision e2\n-- migrate:message x\n\n-- just a comment\n',
  'Line 4: missing "-- migrate:upgrade" section (end of file reached).'),
 (3, 'empty file',
  '',
  E'Line 1: missing "-- migrate:revision" header.\nLine 1: missing "-- migrate:upgrade" section'),
 (4, 'unknown key',
  E'-- migrate:revision e4\n-- migrate:author me\n-- migrate:upgrade\n',
  'Line 2: unknown directive "-- migrate:author" (known: revision,'),
 (5, 'key in the wrong case',
  E'-- migrate:revision e5\n-- Migrate:Message x\n-- migrate:upgrade\n',
  'Line 2: unknown directive "-- migrate:Message" (keys are lower case).'),
 (6, 'repeated key',
  E'-- migrate:revision e6\n-- migrate:message a\n-- migrate:message b\n-- migrate:upgrade\n',
  'Line 3: repeated "-- migrate:message" (first on line 2).'),
 (7, 'repeated revision',
  E'-- migrate:revision e7\n-- migrate:revision e7b\n-- migrate:upgrade\n',
  'Line 2: repeated "-- migrate:revision" (first on line 1).'),
 (8, 'SQL before the upgrade section',
  E'-- migrate:revision e8\nCREATE TABLE t ();\n-- migrate:upgrade\n',
  'Line 2: unexpected text before "-- migrate:upgrade"'),
 (9, 'a block comment in the header',
  E'/* header */\n-- migrate:revision e9\n-- migrate:upgrade\n',
  'Line 1: unexpected text before "-- migrate:upgrade"'),
 (10, 'downgrade before upgrade',
  E'-- migrate:revision e10\n-- migrate:downgrade\nDROP TABLE t;\n-- migrate:upgrade\nCREATE TABLE t ();\n',
  'Line 2: "-- migrate:downgrade" section before the "-- migrate:upgrade" section.'),
 (11, 'second upgrade section',
  E'-- migrate:revision e11\n-- migrate:upgrade\nSELECT 1;\n-- migrate:upgrade\nSELECT 2;\n',
  'Line 4: second "-- migrate:upgrade" section (the first is on line 2).'),
 (12, 'second downgrade section',
  E'-- migrate:revision e12\n-- migrate:upgrade\nA\n-- migrate:downgrade\nB\n-- migrate:downgrade\nC\n',
  'Line 6: second "-- migrate:downgrade" section (the first is on line 4).'),
 (13, 'header line after the upgrade marker',
  E'-- migrate:revision e13\n-- migrate:upgrade\nSELECT 1;\n-- migrate:down_revision e1\n',
  'Line 4: "-- migrate:down_revision" after a section marker'),
 (14, 'a section marker with a value',
  E'-- migrate:revision e14\n-- migrate:upgrade transaction:false\nSELECT 1;\n',
  'Line 2: "-- migrate:upgrade" takes no value (found "transaction:false").'),
 (15, 'empty revision',
  E'-- migrate:revision\n-- migrate:upgrade\n',
  'Line 1: "-- migrate:revision" needs an id.'),
 (16, 'revision with a bad character',
  E'-- migrate:revision e16!\n-- migrate:upgrade\n',
  'Line 1: invalid revision id "e16!": an id consists of ASCII letters'),
 (17, 'revision starting with _',
  E'\n-- migrate:revision _e17\n-- migrate:upgrade\n',
  'Line 2: invalid revision id "_e17": an id starts with a letter or a digit.'),
 (18, 'revision is a target word',
  E'-- migrate:revision HEAD\n-- migrate:upgrade\n',
  'Line 1: invalid revision id "HEAD": the words head, heads and base'),
 (19, 'revision of 129 characters',
  E'-- migrate:revision ' || repeat('r', 129) || E'\n-- migrate:upgrade\n',
  'Line 1: invalid revision id "' || repeat('r', 64) || '...": an id has at most 128 characters.'),
 (20, 'two revisions on one line',
  E'-- migrate:revision e20, e20b\n-- migrate:upgrade\n',
  'Line 1: invalid revision id "e20, e20b"'),
 (21, 'invalid parent id',
  E'-- migrate:revision e21\n-- migrate:down_revision e1 e2\n-- migrate:upgrade\n',
  'Line 2: invalid parent revision id "e1 e2" in "-- migrate:down_revision"'),
 (22, 'empty item in down_revision',
  E'-- migrate:revision e22\n-- migrate:down_revision a,,b\n-- migrate:upgrade\n',
  'Line 2: empty item in the list of "-- migrate:down_revision" (item 2 of 3).'),
 (23, 'trailing comma',
  E'-- migrate:revision e23\n-- migrate:depends_on a,\n-- migrate:upgrade\n',
  'Line 2: empty item in the list of "-- migrate:depends_on" (item 2 of 2).'),
 (24, 'leading comma',
  E'-- migrate:revision e24\n-- migrate:branch_labels , x\n-- migrate:upgrade\n',
  'Line 2: empty item in the list of "-- migrate:branch_labels" (item 1 of 2).'),
 (25, 'invalid branch label',
  E'-- migrate:revision e25\n-- migrate:branch_labels ok, base\n-- migrate:upgrade\n',
  'Line 2: invalid branch label "base" in "-- migrate:branch_labels"'),
 (26, 'invalid dependency',
  E'-- migrate:revision e26\n-- migrate:depends_on .hidden\n-- migrate:upgrade\n',
  'Line 2: invalid dependency revision id ".hidden" in "-- migrate:depends_on"'),
 (27, 'a parent listed twice',
  E'-- migrate:revision e27\n-- migrate:down_revision a, b, a\n-- migrate:upgrade\n',
  'Line 2: "-- migrate:down_revision" lists "a" twice.'),
 (28, 'transactional neither true nor false',
  E'-- migrate:revision e28\n-- migrate:transactional no\n-- migrate:upgrade\n',
  'Line 2: "-- migrate:transactional" must be true or false, not "no".'),
 (29, 'directive without a key',
  E'-- migrate:revision e29\n-- migrate:upgrade\nSELECT 1;\n--migrate:\n',
  'Line 4: directive "-- migrate:" without a key'),
 (30, 'a misspelt marker inside a body',
  E'-- migrate:revision e30\n-- migrate:upgrade\nSELECT 1;\n-- migrate:down\nSELECT 2;\n',
  'Line 4: unknown directive "-- migrate:down"'),
 (31, 'several problems, one line each',
  E'-- migrate:revision e31\n-- migrate:down_revision a,,b\n-- migrate:foo\n-- migrate:upgrade\n-- migrate:upgrade\n',
  E'Line 2: empty item in the list of "-- migrate:down_revision" (item 2 of 3).\nLine 3: unknown directive "-- migrate:foo"'),
 (32, 'CRLF file: line numbers count CRLF lines',
  E'-- migrate:revision e32\r\n\r\n-- migrate:transactional maybe\r\n-- migrate:upgrade\r\n',
  'Line 3: "-- migrate:transactional" must be true or false, not "maybe".');

SELECT throws_ok(format('SELECT migrate.add_file(%L, %L)', content, 'f.sql'),
                 '22P02', 'invalid revision file "f.sql"', name || ': 22P02')
  FROM bad ORDER BY n;
SELECT is(left(pg_temp.file_error(content), 6 + length(detail)), '22P02 ' || detail,
          name || ': line and problem in the detail')
  FROM bad ORDER BY n;

SELECT is((SELECT count(*)::int FROM migrate.revision WHERE id LIKE 'e%'), 0,
          'nothing of an invalid file is registered');

SELECT * FROM finish();
ROLLBACK;
