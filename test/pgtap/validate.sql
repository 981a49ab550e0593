\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.validate(), migrate.check() and the counts in migrate.status():
-- every finding code of the contract, one scenario at a time.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(99);

-- start a scenario from an empty catalog
CREATE FUNCTION reset() RETURNS void LANGUAGE sql AS $f$
    DELETE FROM migrate.applied;
    DELETE FROM migrate.revision;
$f$;
CREATE FUNCTION apply(VARIADIC ids text[]) RETURNS void LANGUAGE sql AS $f$
    INSERT INTO migrate.applied (revision, checksum)
    SELECT id, checksum FROM migrate.revision WHERE id = ANY (ids)
$f$;
-- the findings as "severity code revision" lines, in validate()'s order
CREATE FUNCTION findings() RETURNS SETOF text LANGUAGE sql AS $f$
    SELECT severity || ' ' || code || ' ' || coalesce(revision, '-') FROM migrate.validate()
$f$;
CREATE FUNCTION err(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE s text; m text; d text; h text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
                            d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN s || E'\n' || m || E'\n' || coalesce(d, '') || E'\n' || coalesce(h, '');
END $f$;

--------------------------------------------------------------------------
-- clean
--------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'an empty catalog is clean');
SELECT lives_ok($$SELECT migrate.check()$$, 'check() is silent on an empty catalog');
SELECT FROM migrate.add('v1', 'CREATE TABLE v (id int)', 'DROP TABLE v', source => 'migrations/v1_init.sql');
SELECT FROM migrate.add('v2', 'ALTER TABLE v ADD b int', 'ALTER TABLE v DROP b', '{v1}', source => 'v2.sql');
SELECT FROM migrate.add('v3', 'CREATE INDEX ON v (b)', 'DROP INDEX v_b_idx', '{v2}', depends_on => '{v1}');
SELECT apply('v1', 'v2');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'a sound chain, partly applied, is clean');
SELECT lives_ok($$SELECT migrate.check()$$, 'check() is silent when clean');
SELECT results_eq($$SELECT errors, warnings FROM migrate.status()$$, $$VALUES (0, 0)$$,
                  'status() counts no errors or warnings');

--------------------------------------------------------------------------
-- missing_parent, missing_dependency
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', '{189b1231afd4}',
                        source => 'versions/2a3f4c9d1cde_add_cascade.sql');
SELECT FROM migrate.add('d1', 'SELECT 1', 'SELECT 1', '{2a3f4c9d1cde}', depends_on => '{nothere,alsonot}');
SELECT results_eq($$SELECT * FROM findings()$$,
                  ARRAY['error missing_dependency d1', 'error missing_dependency d1',
                        'error missing_parent 2a3f4c9d1cde'],
                  'a missing parent and two missing dependencies');
SELECT matches((SELECT message FROM migrate.validate() WHERE code = 'missing_parent'),
               '"2a3f4c9d1cde".*"189b1231afd4".*2a3f4c9d1cde_add_cascade\.sql',
               'missing_parent names the child, the parent and the source file');
SELECT results_eq($$SELECT message FROM migrate.validate() WHERE code = 'missing_dependency' ORDER BY 1$$,
                  ARRAY['revision "d1" depends on "alsonot", which is not registered',
                        'revision "d1" depends on "nothere", which is not registered'],
                  'missing_dependency names each dependency');
SELECT throws_ok($$SELECT migrate.check()$$, '42P17', NULL, 'check() raises on missing revisions');
SELECT throws_ok($$SELECT * FROM migrate.plan('d1')$$, '42704', NULL, 'a plan through a missing parent is refused');
SELECT FROM migrate.add('189b1231afd4', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('nothere', 'SELECT 1', 'SELECT 1', '{189b1231afd4}');
SELECT results_eq($$SELECT f FROM findings() f WHERE f LIKE 'error %'$$, ARRAY['error missing_dependency d1'],
                  'registering the parent and one dependency leaves one finding');
SELECT throws_ok($$SELECT * FROM migrate.plan('d1')$$, '42704', NULL, 'a plan through a missing dependency is refused');

--------------------------------------------------------------------------
-- cycles (add refuses only a revision that is its own parent)
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('a', 'SELECT 1', 'SELECT 1', '{b}');
SELECT FROM migrate.add('b', 'SELECT 1', 'SELECT 1', '{a}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error cycle a'], 'a two-cycle');
SELECT is((SELECT message FROM migrate.validate()), 'revisions form a cycle: "a" -> "b" -> "a"',
          'the cycle message walks the cycle');
SELECT FROM migrate.add('x', 'SELECT 1', 'SELECT 1', '{z}');
SELECT FROM migrate.add('y', 'SELECT 1', 'SELECT 1', '{x}');
SELECT FROM migrate.add('z', 'SELECT 1', 'SELECT 1', '{y}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error cycle a', 'error cycle x'],
                  'and a three-cycle');
SELECT matches((SELECT message FROM migrate.validate() WHERE revision = 'x'),
               '^revisions form a cycle: "x" -> "[yz]" -> "[yz]" -> "x"$', 'with its three members');
SELECT is((SELECT count(*) FROM migrate.history()), 5::bigint, 'history() still lists every revision of a cycle');
SELECT throws_ok($$SELECT * FROM migrate.plan('a')$$, '42P17', NULL, 'a plan into a cycle is refused');
SELECT throws_ok($$SELECT * FROM migrate.resolve('a+2147483647')$$, '42P17', NULL,
                 '<id>+N round a cycle stops (instead of stepping 2^31 times)');
SELECT throws_ok($$SELECT * FROM migrate.resolve('a-2147483647')$$, '42P17', NULL,
                 '<id>-N round a cycle stops');
SELECT results_eq($$SELECT * FROM migrate.resolve('a+2')$$, ARRAY['a'], 'a short walk round it is what it is');
SELECT throws_ok($$SELECT migrate.check()$$, '42P17', NULL, 'check() raises on cycles');
-- the same cycle registered the other way round reads the same
SELECT string_agg(revision, ' ') AS hist1 FROM migrate.history() \gset
SELECT string_agg(message, ' | ') AS msgs1 FROM migrate.validate() \gset
SELECT reset();
SELECT FROM migrate.add('z', 'SELECT 1', 'SELECT 1', '{y}');
SELECT FROM migrate.add('y', 'SELECT 1', 'SELECT 1', '{x}');
SELECT FROM migrate.add('x', 'SELECT 1', 'SELECT 1', '{z}');
SELECT FROM migrate.add('b', 'SELECT 1', 'SELECT 1', '{a}');
SELECT FROM migrate.add('a', 'SELECT 1', 'SELECT 1', '{b}');
SELECT is((SELECT string_agg(message, ' | ') FROM migrate.validate()), :'msgs1',
          'cycles are reported the same whatever the order of registration');
SELECT is((SELECT string_agg(revision, ' ') FROM migrate.history()), :'hist1',
          'and history() orders their members the same');
SELECT reset();
SELECT FROM migrate.add('c0', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('c1', 'SELECT 1', 'SELECT 1', '{c0,c3}');
SELECT FROM migrate.add('c2', 'SELECT 1', 'SELECT 1', '{c1}');
SELECT FROM migrate.add('c3', 'SELECT 1', 'SELECT 1', '{c2}');
SELECT FROM migrate.add('c4', 'SELECT 1', 'SELECT 1', '{c3}');
SELECT is((SELECT count(*) FROM migrate.validate() WHERE code = 'cycle'), 1::bigint,
          'a cycle hanging off a sound base and leading to a head');
SELECT throws_ok($$SELECT * FROM migrate.plan('head')$$, '42P17', NULL, 'upgrading through it is refused');
SELECT reset();
SELECT FROM migrate.add('d0', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('d1', 'SELECT 1', 'SELECT 1', '{d0}', depends_on => '{d2}');
SELECT FROM migrate.add('d2', 'SELECT 1', 'SELECT 1', '{d1}');
SELECT results_eq($$SELECT code FROM migrate.validate()$$, ARRAY['cycle'],
                  'a cycle through depends_on');

--------------------------------------------------------------------------
-- duplicate_label
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('l1', 'SELECT 1', 'SELECT 1', branch_labels => '{api}');
SELECT FROM migrate.add('l2', 'SELECT 1', 'SELECT 1', '{l1}', branch_labels => '{web,other}');
SELECT FROM migrate.add('l3', 'SELECT 1', 'SELECT 1', '{l2}', branch_labels => '{api}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error duplicate_label l1'], 'a label on two revisions');
SELECT is((SELECT message FROM migrate.validate()), 'branch label "api" is on 2 revisions: "l1", "l3"',
          'the message names the label and both revisions, by id');
SELECT FROM migrate.add('l1', 'SELECT 2', 'SELECT 1', branch_labels => '{api}');
SELECT results_eq($$SELECT revision, message FROM migrate.validate()$$,
                  $$VALUES ('l1', 'branch label "api" is on 2 revisions: "l1", "l3"')$$,
                  'whatever the physical order of the rows');
SELECT throws_ok($$SELECT * FROM migrate.resolve('api@head')$$, '21000', NULL,
                 'a duplicated label cannot be used as a target');

--------------------------------------------------------------------------
-- multiple_heads, multiple_bases
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('h0', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('h1', 'SELECT 1', 'SELECT 1', '{h0}');
SELECT FROM migrate.add('h2', 'SELECT 1', 'SELECT 1', '{h0}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning multiple_heads -'], 'two unlabelled heads: a warning');
SELECT is((SELECT message FROM migrate.validate()), '2 heads: h1, h2', 'the warning lists the heads');
SELECT lives_ok($$SELECT migrate.check()$$, 'check() ignores warnings');
SELECT results_eq($$SELECT errors, warnings FROM migrate.status()$$, $$VALUES (0, 1)$$,
                  'status() counts the warning');
SELECT reset();
SELECT FROM migrate.add('h0', 'SELECT 1', 'SELECT 1', branch_labels => '{trunk}');
SELECT FROM migrate.add('h1', 'SELECT 1', 'SELECT 1', '{h0}', branch_labels => '{one}');
SELECT FROM migrate.add('h2', 'SELECT 1', 'SELECT 1', '{h0}', branch_labels => '{two}');
SELECT FROM migrate.add('h2b', 'SELECT 1', 'SELECT 1', '{h2}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['info multiple_heads -'],
                  'each head on its own labelled branch: info');
SELECT results_eq($$SELECT errors, warnings FROM migrate.status()$$, $$VALUES (0, 0)$$,
                  'and no warning in status()');
SELECT FROM migrate.add('h3', 'SELECT 1', 'SELECT 1', '{h0}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning multiple_heads -'],
                  'one more head without a label of its own: a warning again');
SELECT reset();
SELECT FROM migrate.add('h0', 'SELECT 1', 'SELECT 1', branch_labels => '{both}');
SELECT FROM migrate.add('h1', 'SELECT 1', 'SELECT 1', '{h0}');
SELECT FROM migrate.add('h2', 'SELECT 1', 'SELECT 1', '{h0}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning multiple_heads -'],
                  'one label above both heads is not a label of each');
SELECT reset();
SELECT FROM migrate.add('b1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('b2', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('bm', 'SELECT 1', 'SELECT 1', '{b1,b2}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning multiple_bases -'], 'two unlabelled bases: a warning');
SELECT is((SELECT message FROM migrate.validate()), '2 bases: b1, b2', 'the warning lists the bases');
SELECT reset();
SELECT FROM migrate.add('b1', 'SELECT 1', 'SELECT 1', branch_labels => '{svc_a}');
SELECT FROM migrate.add('b1x', 'SELECT 1', 'SELECT 1', '{b1}');
SELECT FROM migrate.add('b2', 'SELECT 1', 'SELECT 1', branch_labels => '{svc_b}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['info multiple_bases -', 'info multiple_heads -'],
                  'two services, each with its own label: info only');
SELECT FROM migrate.add('b3', 'SELECT 1', 'SELECT 1');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning multiple_bases -', 'warning multiple_heads -'],
                  'a third, unlabelled service: warnings');
SELECT FROM migrate.remove('b3');
SELECT FROM migrate.add('c1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('c2', 'SELECT 1', 'SELECT 1', '{c1}', branch_labels => '{svc_c}', depends_on => '{b1x}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['info multiple_bases -', 'info multiple_heads -'],
                  'a dependency between the services puts neither base on the other''s branch');

--------------------------------------------------------------------------
-- applied_unknown, applied_gap
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('g1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('g2', 'SELECT 1', 'SELECT 1', '{g1}');
SELECT FROM migrate.add('g3', 'SELECT 1', 'SELECT 1', '{g2}', depends_on => '{g9}');
SELECT FROM migrate.add('g9', 'SELECT 1', 'SELECT 1', '{g1}');
INSERT INTO migrate.applied (revision, checksum) VALUES ('ghost', NULL);
SELECT results_eq($$SELECT * FROM findings()$$,
                  ARRAY['error applied_unknown ghost', 'warning multiple_heads -'],
                  'a revision recorded as applied but not registered');
SELECT is((SELECT message FROM migrate.validate() WHERE code = 'applied_unknown'),
          'revision "ghost" is recorded as applied but is not registered', 'applied_unknown message');
DELETE FROM migrate.applied;
SELECT apply('g1', 'g3');
SELECT results_eq($$SELECT * FROM findings()$$,
                  ARRAY['error applied_gap g3', 'error applied_gap g3', 'warning multiple_heads -'],
                  'applied, but a parent and a dependency are not');
SELECT results_eq($$SELECT message FROM migrate.validate() WHERE code = 'applied_gap' ORDER BY 1$$,
                  ARRAY['revision "g3" is applied but its dependency "g9" is not',
                        'revision "g3" is applied but its parent "g2" is not'],
                  'applied_gap names the parent and the dependency');
SELECT apply('g2', 'g9');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning multiple_heads -'], 'no gap once they are applied');

--------------------------------------------------------------------------
-- checksum_mismatch
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('s1', 'SELECT 1', 'SELECT 1');
SELECT FROM migrate.add('s2', 'SELECT 2', 'SELECT 2', '{s1}');
SELECT FROM migrate.add('s3', 'SELECT 3', 'SELECT 3', '{s2}');
SELECT apply('s1', 's2');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'clean before tampering');
UPDATE migrate.revision SET upgrade = 'SELECT 1 + 1' WHERE id = 's3';
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error checksum_mismatch s3'],
                  'a body changed behind migrate.add''s back');
SELECT matches((SELECT message FROM migrate.validate()), 'outside migrate.add', 'says how it happened');
UPDATE migrate.revision SET upgrade = 'SELECT 3' WHERE id = 's3';
UPDATE migrate.revision SET downgrade = NULL WHERE id = 's3';
SELECT results_eq($$SELECT f FROM findings() f WHERE f NOT LIKE 'info irreversible %'$$, ARRAY['error checksum_mismatch s3'],
                  'a downgrade dropped behind migrate.add''s back');
UPDATE migrate.revision SET downgrade = 'SELECT 3', down_revision = '{s1}' WHERE id = 's3';
SELECT results_eq($$SELECT f FROM findings() f WHERE f LIKE '% checksum_mismatch %'$$, ARRAY['error checksum_mismatch s3'],
                  'parents changed behind migrate.add''s back');
UPDATE migrate.revision SET down_revision = '{s2}', transactional = false WHERE id = 's3';
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error checksum_mismatch s3'],
                  'the transactional flag changed behind migrate.add''s back');
UPDATE migrate.revision SET transactional = true WHERE id = 's3';
UPDATE migrate.revision SET upgrade = E'SELECT 3  \r\n' WHERE id = 's3';
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'whitespace and line endings are not a change');
UPDATE migrate.revision SET message = 'new message', source = 's3.sql' WHERE id = 's3';
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'message and source are not covered');
UPDATE migrate.applied SET checksum = repeat('0', 64) WHERE revision = 's2';
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error checksum_mismatch s2'],
                  'applied with another checksum than the registered one');
SELECT matches((SELECT message FROM migrate.validate()), '"s2" was applied with checksum 000000000000',
               'names both checksums');
UPDATE migrate.applied SET checksum = NULL WHERE revision = 's2';
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'no applied checksum recorded: nothing to compare');

--------------------------------------------------------------------------
-- source_mismatch
--------------------------------------------------------------------------
SELECT reset();
-- the field notes: a file named for one revision declares another
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1',
                        source => 'versions/189b1231afd4_bootstrap_tables.sql');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error source_mismatch 2a3f4c9d1cde'],
                  'the overwritten base file of the field notes');
SELECT matches((SELECT message FROM migrate.validate()), '189b1231afd4_bootstrap_tables\.sql.*"2a3f4c9d1cde"',
               'the message names the file and the revision');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => 'x/2a3f4c9d1cde_boot.sql');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'dir/<id>_slug.sql is fine');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => '2a3f4c9d1cde.sql');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, '<id>.sql is fine');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => '2a3f4c9d1cde-x.sql');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, '<id>-slug.sql is fine');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => E'C:\\dir\\2a3f4c9d1cde_a.sql');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'a Windows path is fine');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => '2a3f4c9d1cde');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'the bare id is fine');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => '2a3f4c9d1cde_x/other.sql');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error source_mismatch 2a3f4c9d1cde'],
                  'only the file-name part counts, not the directory');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => '2a3f4c9d1cdef_x.sql');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error source_mismatch 2a3f4c9d1cde'],
                  'a longer id in the file name is another revision');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => '2a3f4c9d1cd_x.sql');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error source_mismatch 2a3f4c9d1cde'],
                  'a shorter one too');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => 'x/2A3F4C9D1CDE_boot.sql');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error source_mismatch 2a3f4c9d1cde'],
                  'ids are case-sensitive in file names');
SELECT FROM migrate.add('2a3f4c9d1cde', 'SELECT 1', 'SELECT 1', source => 'dir/');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error source_mismatch 2a3f4c9d1cde'],
                  'a directory without a file name');

--------------------------------------------------------------------------
-- unparsable_body
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('u1', E'CREATE TABLE u (id int);\n\nALTER TABLE u ADD COLUM x int;', 'DROP TABLE u');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error unparsable_body u1'], 'a syntax error');
SELECT matches((SELECT message FROM migrate.validate()), '^upgrade body of "u1": line 3, column 27: syntax error$',
               'with the body, the line and column and the parser''s message (without the quoted text: bodies are private)');
SELECT FROM migrate.add('u1', E'SELECT ''äöü'';\nSELECT ''ß'';\nSELEC 1', 'DROP TABLE u');
SELECT matches((SELECT message FROM migrate.validate()), 'line 3, column 1: syntax error',
               'line numbers count characters, not bytes');
SELECT FROM migrate.add('u1', 'CREATE TABLE u (id int)', E'DROP TABLE u;\nDROP TABLEE v;');
SELECT matches((SELECT message FROM migrate.validate()), '^downgrade body of "u1": line 2, column 6: syntax error',
               'a downgrade body is checked too');
SELECT reset();
SELECT FROM migrate.add('t1', 'CREATE TABLE t (id int); COMMIT;', 'SELECT 1');
SELECT FROM migrate.add('t2', 'BEGIN; CREATE TABLE t2 (id int); END;', 'SELECT 1', '{t1}');
SELECT FROM migrate.add('t3', 'SAVEPOINT s; SELECT 1;', 'ROLLBACK', '{t2}');
SELECT FROM migrate.add('t4', 'SELECT 1', 'START TRANSACTION', '{t3}');
SELECT FROM migrate.add('t5', 'RELEASE SAVEPOINT s', 'SELECT 1', '{t4}');
SELECT FROM migrate.add('t6', 'COMMIT', 'SELECT 1', '{t5}', transactional => false);
SELECT results_eq($$SELECT code, revision FROM migrate.validate()$$,
                  $$VALUES ('unparsable_body', 't1'), ('unparsable_body', 't2'), ('unparsable_body', 't3'),
                           ('unparsable_body', 't3'), ('unparsable_body', 't4'), ('unparsable_body', 't5'),
                           ('unparsable_body', 't6')$$,
                  'transaction control is refused in every body, transactional or not');
SELECT ok((SELECT bool_and(message ~ '(COMMIT|BEGIN|SAVEPOINT|ROLLBACK|START TRANSACTION|RELEASE SAVEPOINT) is not allowed')
             FROM migrate.validate()),
          'each names the statement');
SELECT matches((SELECT string_agg(message, ' | ') FROM migrate.validate() WHERE revision = 't3'),
               'downgrade body of "t3".*ROLLBACK.*upgrade body of "t3".*SAVEPOINT',
               'both bodies of one revision are reported');
SELECT reset();
SELECT FROM migrate.add('n1', 'CREATE INDEX CONCURRENTLY n1i ON t (id)', 'DROP INDEX CONCURRENTLY n1i');
SELECT FROM migrate.add('n2', 'VACUUM t', 'SELECT 1', '{n1}');
SELECT FROM migrate.add('n3', 'SELECT 1; REINDEX TABLE CONCURRENTLY t', 'SELECT 1', '{n2}');
SELECT results_eq($$SELECT code, revision FROM migrate.validate()$$,
                  $$VALUES ('unparsable_body', 'n1'), ('unparsable_body', 'n1'),
                           ('unparsable_body', 'n2'), ('unparsable_body', 'n3')$$,
                  'statements that refuse a transaction block are flagged in a transactional revision');
SELECT ok((SELECT bool_and(message ~ 'cannot run inside a transaction block.*transactional => false')
             FROM migrate.validate()),
          'and the message says how to register them');
SELECT FROM migrate.add('n1', 'CREATE INDEX CONCURRENTLY n1i ON t (id)', 'DROP INDEX CONCURRENTLY n1i', transactional => false);
SELECT FROM migrate.add('n2', 'VACUUM t', 'SELECT 1', '{n1}', transactional => false);
SELECT FROM migrate.add('n3', 'SELECT 1; REINDEX TABLE CONCURRENTLY t', 'SELECT 1', '{n2}', transactional => false);
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'and accepted with transactional => false');
SELECT FROM migrate.add('n4', 'CREATE INDEX n4i ON t (id); ANALYZE t; CLUSTER t USING n4i', 'DROP INDEX n4i', '{n3}');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'ordinary index builds, ANALYZE and CLUSTER of a table are fine');
SELECT FROM migrate.add('n5', 'COPY t FROM STDIN', 'SELECT 1', '{n4}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error unparsable_body n5'], 'COPY FROM STDIN has no client');
SELECT FROM migrate.add('n5', '', 'SELECT 1', '{n4}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning empty_upgrade n5'],
                  'an empty body is no error, but a warning: the revision does nothing');
SELECT FROM migrate.add('n5', E'-- nothing yet\n/* nor /* here */ */ ;\n', 'SELECT 1', '{n4}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['warning empty_upgrade n5'],
                  'comments and semicolons alone are empty too');
SELECT FROM migrate.add('n5', E'-- a comment\nSELECT 1', 'SELECT 1', '{n4}');
SELECT is_empty($$SELECT * FROM migrate.validate()$$, 'a statement after a comment is not empty');
SELECT FROM migrate.add('n5', E'/* unterminated', 'SELECT 1', '{n4}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['error unparsable_body n5'],
                  'an unterminated comment is the parser''s error, not an empty body');
SELECT FROM migrate.add('n6', '', NULL, '{n5,n4}');
SELECT FROM migrate.add('n5', 'SELECT 1', 'SELECT 1', '{n4}');
SELECT is_empty($$SELECT * FROM migrate.validate() WHERE code = 'empty_upgrade'$$, 'an empty merge revision is no warning: a merge has nothing to do by nature');

--------------------------------------------------------------------------
-- irreversible
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('i1', 'SELECT 1');
SELECT FROM migrate.add('i2', 'SELECT 1', 'SELECT 1', '{i1}');
SELECT FROM migrate.add('i3', 'SELECT 1', NULL, '{i2}');
SELECT results_eq($$SELECT * FROM findings()$$, ARRAY['info irreversible i1', 'info irreversible i3'],
                  'irreversible revisions are info');
SELECT lives_ok($$SELECT migrate.check()$$, 'check() ignores info');
SELECT results_eq($$SELECT errors, warnings FROM migrate.status()$$, $$VALUES (0, 0)$$,
                  'status() counts no info');

--------------------------------------------------------------------------
-- everything at once: order, check(), status()
--------------------------------------------------------------------------
SELECT reset();
SELECT FROM migrate.add('e1', 'SELECT 1', 'SELECT 1', source => 'e9_wrong.sql');
SELECT FROM migrate.add('e2', 'SELEC 1', 'SELECT 1', '{e1,lost}', branch_labels => '{dup}');
SELECT FROM migrate.add('e3', 'SELECT 1', NULL, '{e2}', branch_labels => '{dup}', depends_on => '{gone}');
SELECT FROM migrate.add('e4', 'SELECT 1', 'SELECT 1', '{e1}');
SELECT FROM migrate.add('e5', 'SELECT 1', 'SELECT 1', '{e6}');
SELECT FROM migrate.add('e6', 'SELECT 1', 'SELECT 1', '{e5}');
SELECT apply('e2');
INSERT INTO migrate.applied (revision) VALUES ('ghost');
UPDATE migrate.revision SET upgrade = 'SELECT 4' WHERE id = 'e4';
SELECT results_eq($$SELECT * FROM findings()$$,
                  ARRAY['error applied_gap e2', 'error applied_unknown ghost', 'error checksum_mismatch e4',
                        'error cycle e5', 'error duplicate_label e2', 'error missing_dependency e3',
                        'error missing_parent e2', 'error source_mismatch e1', 'error unparsable_body e2',
                        'warning multiple_heads -', 'info irreversible e3'],
                  'errors first, then warnings, then info; by code, then revision');
SELECT throws_ok($$SELECT migrate.check()$$, '42P17', NULL, 'check() raises');
SELECT matches(err($$SELECT migrate.check()$$), '^42P17\nrevision chain has 9 errors, first: ',
               'check() counts the errors');
SELECT ok(err($$SELECT migrate.check()$$) ~ ALL (ARRAY[
              'applied_gap: ', 'applied_unknown: ', 'checksum_mismatch: ', 'cycle: ', 'duplicate_label: ',
              'missing_dependency: ', 'missing_parent: ', 'source_mismatch: ', 'unparsable_body: ']),
          'check() lists every error');
SELECT ok(err($$SELECT migrate.check()$$) !~ 'multiple_heads|irreversible',
          'but no warning or info');
SELECT results_eq($$SELECT errors, warnings FROM migrate.status()$$, $$VALUES (9, 1)$$,
                  'status() counts errors and warnings');
SELECT results_eq($$SELECT count(*) FROM migrate.validate() WHERE severity NOT IN ('error', 'warning', 'info')$$,
                  ARRAY[0::bigint], 'severity is error, warning or info');

SELECT * FROM finish();
ROLLBACK;
