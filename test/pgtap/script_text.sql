-- migrate.sql(): the text of the offline script (issue 14, items 4 and 6):
-- no stray ";" line after a body that ends its last statement; a ";" where
-- the last statement has none (also after a trailing comment); and a
-- start-up check that every revision the script records is registered
-- with the checksum it records, so that a script run into another
-- database (a fresh one) stops before it leaves applied_unknown rows.
BEGIN;
SELECT plan(9);
CREATE EXTENSION IF NOT EXISTS migrate;

SELECT migrate.add('s1', E'CREATE TABLE s1 (id int);\nCREATE INDEX s1_id ON s1 (id);\n', 'DROP TABLE s1;');
SELECT migrate.add('s2', 'CREATE TABLE s2 (id int)', 'DROP TABLE s2', '{s1}');
SELECT migrate.add('s3', E'CREATE TABLE s3 (id int) -- no semicolon, a comment', 'DROP TABLE s3', '{s2}');
SELECT migrate.add('s4', E'CREATE TABLE s4 (id int); /* done */\n-- really', 'DROP TABLE s4', '{s3}');

CREATE TEMP TABLE script AS SELECT migrate.sql('head') AS t;

SELECT is((SELECT count(*)::int FROM script, regexp_split_to_table(t, E'\n') l WHERE l = ';'),
          2, 'a ";" line only after the two bodies whose last statement has none (s2, s3)');
SELECT matches((SELECT t FROM script), E'CREATE INDEX s1_id ON s1 \\(id\\);\nINSERT INTO migrate.applied',
               'a body that ends its last statement is followed by its bookkeeping');
SELECT matches((SELECT t FROM script), E'CREATE TABLE s2 \\(id int\\)\n;\n',
               'a body without a final semicolon gets one');
SELECT matches((SELECT t FROM script), E'-- no semicolon, a comment\n;\n',
               'after a trailing comment, on a line of its own');
SELECT matches((SELECT t FROM script), E'/\\* done \\*/\n-- really\nINSERT INTO migrate.applied',
               'a semicolon followed by comments ends the statement');
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
