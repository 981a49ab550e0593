\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Checksums that do not lie.  The checksum is over normalised TEXT, not
-- over the parse tree:
--   - a parse tree's text form (nodeToString) changes between PostgreSQL
--     major versions, so every applied revision would turn into a
--     checksum_mismatch after pg_upgrade; and it drops comments and
--     literal formatting that may matter (a function body in $$ is a
--     literal whose text is its meaning);
--   - normalising text is stable, cheap and reproducible outside the server
--     (the pg_migrate client computes the same checksum, client/checksum.c).
-- What does not count: line endings (CRLF, LF, lone CR), spaces and tabs at
-- the end of a line, blank lines at the start and the end, the order of the
-- ids in down_revision / depends_on / branch_labels, message and source.
-- Everything else counts, including reindenting, a changed comment and an
-- inserted blank line: a checksum may call a cosmetic edit a change (the
-- hint says to write a new revision), it must never call a real change
-- cosmetic.  Inside a string constant or a quoted identifier, trailing
-- blanks and line endings are part of the value and count (common/bodylex.h
-- finds where lines end inside one).  Dollar quotes are lexed as code: a
-- function body's formatting does not count, the string constants inside it
-- do.  The one remaining exception, pinned below so that it is a decision:
-- trailing blanks inside a dollar-quoted *data* string do not count.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(53);

-- the checksum migrate.add gives a body (registered, read, unregistered)
CREATE FUNCTION cs(up text, down text DEFAULT 'SELECT 0') RETURNS text LANGUAGE plpgsql AS $f$
DECLARE s text;
BEGIN
    PERFORM migrate.add('cs_probe', up, down);
    SELECT checksum INTO s FROM migrate.revision WHERE id = 'cs_probe';
    PERFORM migrate.remove('cs_probe');
    RETURN s;
END $f$;

\set base 'E''CREATE TABLE t (\n  id int,\n  name text\n);\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND $$;'''
SELECT cs(:base) AS base_sum \gset

--------------------------------------------------------------------------
-- formatting: the same checksum
--------------------------------------------------------------------------
SELECT is(cs(replace(:base, E'\n', E'\r\n')), :'base_sum', 'CRLF line endings');
SELECT is(cs(replace(:base, E'\n', E'\r')), :'base_sum', 'lone CR line endings (old Mac)');
SELECT is(cs(replace(:base, E'\n', E'  \t\n')), :'base_sum', 'trailing spaces and tabs on every line');
SELECT is(cs(replace(:base, E'\n', E' \r\n')), :'base_sum', 'trailing blanks with CRLF');
SELECT is(cs(E'\n\n  \n' || :base), :'base_sum', 'blank lines at the start');
SELECT is(cs(:base || E'\n\n\t\n'), :'base_sum', 'blank lines at the end');
SELECT is(cs(E'\r\n' || replace(:base, E'\n', E'\t\r\n') || E'\r\n\r\n'), :'base_sum', 'all of it at once');
SELECT is(cs(:base, E'SELECT 0\r\n'), :'base_sum', 'the downgrade body is normalised too');
SELECT is(cs(replace(:base, 'RETURN 1;', E'RETURN 1;   ')), :'base_sum',
          'trailing blanks inside a dollar-quoted function body');

--------------------------------------------------------------------------
-- meaning: another checksum
--------------------------------------------------------------------------
SELECT isnt(cs(replace(:base, 'id int', 'id bigint')), :'base_sum', 'a changed type');
SELECT isnt(cs(replace(:base, 'TABLE t', 'TABLE u')), :'base_sum', 'a changed name');
SELECT isnt(cs(replace(:base, 'RETURN 1', 'RETURN 2')), :'base_sum', 'a changed number inside a function body');
SELECT isnt(cs(replace(:base, 'name text', 'name text NOT NULL')), :'base_sum', 'an added constraint');
SELECT isnt(cs(:base || E'\nDROP TABLE t;'), :'base_sum', 'an added statement');
SELECT isnt(cs(split_part(:base, 'CREATE FUNCTION', 1)), :'base_sum', 'a removed statement');
SELECT isnt(cs('SELECT ''a b'''), cs('SELECT ''a  b'''), 'spaces inside a literal, mid-line');
SELECT isnt(cs('SELECT ''A'''), cs('SELECT ''a'''), 'the case of a literal');
SELECT isnt(cs('SELECT 1 AS "X"'), cs('SELECT 1 AS "x"'), 'the case of a quoted identifier');
SELECT isnt(cs('SELECT 1'), cs('SELECT 1', NULL), 'dropping the downgrade');
SELECT isnt(cs('SELECT 1', ''), cs('SELECT 1', NULL), 'an empty downgrade is not a missing one');
SELECT isnt(cs(E'SELECT 1;\nSELECT 2;'), cs(E'SELECT 1;SELECT 2;'), 'joining two lines');
SELECT isnt(cs(E'SELECT 1 \u00A0'), cs('SELECT 1'), 'a trailing no-break space is not a blank');
SELECT isnt(cs(E'SELECT 1\f'), cs('SELECT 1'), 'nor is a trailing form feed');
-- cosmetic, but counted: the conservative side
SELECT isnt(cs(replace(:base, '  id int', E'\tid int')), :'base_sum', 'reindenting counts (leading blanks are kept)');
SELECT isnt(cs(:base || E'\n-- done'), :'base_sum', 'a changed comment counts');
SELECT isnt(cs(replace(:base, E');\n', E');\n\n')), :'base_sum', 'a blank line inserted in the middle counts');
-- inside literals, the bytes are the value
SELECT isnt(cs(E'INSERT INTO t VALUES (''a  \nb'')'), cs(E'INSERT INTO t VALUES (''a\nb'')'),
            'trailing blanks inside a multi-line string constant count');
SELECT isnt(cs(E'INSERT INTO t VALUES (''a\r\nb'')'), cs(E'INSERT INTO t VALUES (''a\nb'')'),
            'so does a CRLF inside one');
SELECT isnt(cs(E'SELECT ''a\n  \nb'''), cs(E'SELECT ''a\n\nb'''), 'and a blank-looking line inside one');
SELECT isnt(cs(E'SELECT E''it\\''s  \nx'''), cs(E'SELECT E''it\\''s\nx'''),
            'an E'''' string with an escaped quote stays a string to its end');
SELECT isnt(cs(E'SELECT ''it''''s  \nx'''), cs(E'SELECT ''it''''s\nx'''), 'so does one with a doubled quote');
SELECT isnt(cs(E'SELECT 1 AS "a  \nb"'), cs(E'SELECT 1 AS "a\nb"'), 'trailing blanks inside a quoted identifier count');
SELECT isnt(cs(E'DO $$BEGIN RAISE NOTICE ''a  \nb''; END $$'), cs(E'DO $$BEGIN RAISE NOTICE ''a\nb''; END $$'),
            'a string constant inside a dollar-quoted body is a literal too');
SELECT is(cs(E'SELECT ''a\nb'';  \nSELECT 1  '), cs(E'SELECT ''a\nb'';\nSELECT 1'),
          'after the literal closes, trailing blanks do not count again');
SELECT is(cs(E'-- don''t\nSELECT 1;  \n/* it''s */ SELECT 2;  \nSELECT 3'), cs(E'-- don''t\nSELECT 1;\n/* it''s */ SELECT 2;\nSELECT 3'),
          'a quote in a comment opens no literal');
-- the pinned exception
SELECT is(cs(E'SELECT $$a  \nb$$'), cs(E'SELECT $$a\nb$$'),
          'trailing blanks inside a dollar-quoted data string do not count (dollar quotes are lexed as code; see the header)');

--------------------------------------------------------------------------
-- what the checksum decides: re-adding, applied revisions, validate()
--------------------------------------------------------------------------
SELECT migrate.add('c1', :base, 'DROP FUNCTION f(); DROP TABLE t;', source => 'c1.sql');
SELECT count(*) FROM migrate.upgrade('c1');
SELECT lives_ok(format('SELECT migrate.add(%L, %L, %L)', 'c1', replace(:base, E'\n', E'  \r\n'),
                       E'DROP FUNCTION f(); DROP TABLE t;\r\n'),
                'an applied revision re-added with CRLF and trailing blanks is accepted (no change)');
SELECT is((SELECT upgrade FROM migrate.revision WHERE id = 'c1'), :base, 'and its stored body is untouched');
SELECT throws_ok(format('SELECT migrate.add(%L, %L, %L)', 'c1', replace(:base, 'id int', 'id bigint'),
                        'DROP FUNCTION f(); DROP TABLE t;'),
                 '55000', NULL, 'an applied revision re-added with a changed meaning is refused');
SELECT throws_ok(format('SELECT migrate.add(%L, %L, %L)', 'c1', :base || E'\n-- reviewed', 'DROP FUNCTION f(); DROP TABLE t;'),
                 '55000', NULL, 'so is one with a changed comment');
SELECT is(migrate.add_file(E'-- migrate:revision c1\r\n-- migrate:upgrade\r\n' || replace(:base, E'\n', E'\r\n')
                           || E'\r\n-- migrate:downgrade\r\nDROP FUNCTION f(); DROP TABLE t;\r\n', 'c1.sql'),
          'c1', 'the same revision as a CRLF file (add_file) is no change either');
SELECT is((SELECT count(*)::int FROM migrate.validate() WHERE code = 'checksum_mismatch'), 0,
          'validate(): no checksum_mismatch');

-- edits made directly in the catalog (around migrate.add)
UPDATE migrate.revision SET upgrade = replace(upgrade, E'\n', E' \r\n') || E'\r\n' WHERE id = 'c1';
SELECT is((SELECT count(*)::int FROM migrate.validate() WHERE code = 'checksum_mismatch'), 0,
          'a row reformatted in the catalog is not a mismatch (the fast content hash normalises the same way)');
UPDATE migrate.revision SET upgrade = replace(upgrade, 'RETURN 1', 'RETURN 2') WHERE id = 'c1';
SELECT results_eq($$SELECT code, revision FROM migrate.validate() WHERE severity = 'error'$$,
                  $$VALUES ('checksum_mismatch', 'c1')$$,
                  'a row whose meaning was changed in the catalog is a checksum_mismatch');
UPDATE migrate.revision SET upgrade = :base WHERE id = 'c1';
SELECT is((SELECT count(*)::int FROM migrate.validate() WHERE severity = 'error'), 0, 'restored: clean again');
SELECT migrate.add('c2', E'INSERT INTO t2 VALUES (''a\nb'')');
UPDATE migrate.revision SET upgrade = E'INSERT INTO t2 VALUES (''a  \r\nb'')' WHERE id = 'c2';
SELECT results_eq($$SELECT code, revision FROM migrate.validate() WHERE severity = 'error'$$,
                  $$VALUES ('checksum_mismatch', 'c2')$$,
                  'blanks and a CR added inside a literal in the catalog: checksum_mismatch (the fast hash lexes literals too)');
SELECT migrate.remove('c2');
UPDATE migrate.revision SET content_hash = 0 WHERE id = 'c1';
SELECT is((SELECT count(*)::int FROM migrate.validate() WHERE severity = 'error'), 0,
          'a stale content_hash alone (written by another build of the fast hash) is no mismatch: the SHA-256 checksum decides');
UPDATE migrate.revision SET upgrade = replace(upgrade, 'RETURN 1', 'RETURN 2') WHERE id = 'c1';
SELECT results_eq($$SELECT code, revision FROM migrate.validate() WHERE severity = 'error'$$,
                  $$VALUES ('checksum_mismatch', 'c1')$$,
                  'a stale content_hash and a changed meaning: checksum_mismatch');
UPDATE migrate.revision SET upgrade = :base WHERE id = 'c1';
UPDATE migrate.applied SET checksum = (SELECT cs('SELECT 42')) WHERE revision = 'c1';
SELECT results_eq($$SELECT code, revision FROM migrate.validate() WHERE severity = 'error'$$,
                  $$VALUES ('checksum_mismatch', 'c1')$$,
                  'applied with another checksum than the registered one is a checksum_mismatch');

-- the checksum is hex SHA-256, 64 characters, the same across sessions
SELECT matches(:'base_sum'::text, '^[0-9a-f]{64}$', 'the checksum is 64 hex digits');
SELECT is(cs(:base), :'base_sum', 'and deterministic');
SELECT isnt(cs(:base), cs(replace(:base, E'\n', E'\n\n')), 'doubling every line break counts (blank lines inside)');
SELECT is(cs(replace(replace(:base, E'\n', E'\r\n'), E'\r\n', E'\n')), :'base_sum', 'a round trip through CRLF');

SELECT * FROM finish();
ROLLBACK;
