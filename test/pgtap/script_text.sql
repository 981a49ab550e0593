-- migrate.sql(): the text of the offline script (issue 14, items 4 and 6),
-- written by common/psqlscript.c as pg_migrate sql --offline writes it: no
-- stray ";" line after the bodies (each is a value of its own, ended by
-- \gexec); and a start-up check that every revision the script records is
-- registered with the checksum it records, so that a script run into
-- another database (a fresh one) stops before it leaves applied_unknown
-- rows.
BEGIN;
SELECT plan(8);
CREATE EXTENSION IF NOT EXISTS migrate;

SELECT migrate.add('s1', E'CREATE TABLE s1 (id int);\nCREATE INDEX s1_id ON s1 (id);\n', 'DROP TABLE s1;');
SELECT migrate.add('s2', 'CREATE TABLE s2 (id int)', 'DROP TABLE s2', '{s1}');
SELECT migrate.add('s3', E'CREATE TABLE s3 (id int) -- no semicolon, a comment', 'DROP TABLE s3', '{s2}');
SELECT migrate.add('s4', E'SELECT $migrate$ a tag in the body $migrate$', 'SELECT 1', '{s3}');

CREATE TEMP TABLE script AS SELECT migrate.sql('head') AS t;

SELECT is((SELECT count(*)::int FROM script, regexp_split_to_table(t, E'\n') l WHERE l = ';'),
          0, 'no line of the script is a lone ";"');
SELECT matches((SELECT t FROM script), E'SELECT \\$migrate\\$CREATE TABLE s2 \\(id int\\)\n  \\$migrate\\$ \\\\gexec\n',
               'a body is one value, right after its tag (positions are the body''s own), run by \gexec');
SELECT matches((SELECT t FROM script), E'-- no semicolon, a comment\n  \\$migrate\\$ \\\\gexec\n',
               'a body ending in a comment needs no semicolon either');
SELECT matches((SELECT t FROM script), E'SELECT \\$migrate_1\\$SELECT \\$migrate\\$ a tag in the body',
               'a body that holds the tag gets another one');
SELECT matches((SELECT t FROM script),
               'this script records revisions that are not registered here',
               'the start-up check covers what the script records');
SELECT matches((SELECT t FROM script),
               '''s1'', ''s2'', ''s3'', ''s4''\]::pg_catalog.text\[\]\), pg_catalog.unnest\(ARRAY\[''' ||
               (SELECT checksum FROM migrate.revision WHERE id = 's1') || '''',
               'with their ids and checksums');
CREATE TEMP TABLE applied_now AS SELECT * FROM migrate.upgrade('head');
SELECT doesnt_match(migrate.sql('base', 'down'),
                    'not registered here', 'a downgrade script records no revision: no such check');
SELECT is((SELECT count(*)::int FROM migrate.applied), 4, '(the revisions were applied meanwhile)');

SELECT * FROM finish();
ROLLBACK;
