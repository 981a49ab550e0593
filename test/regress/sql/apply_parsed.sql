-- Bodies run from the statements parse-before-run parsed (DDL from its
-- parse tree, the rest through SPI): what a person sees must be what it
-- was when each statement's text was parsed again.  The position of an
-- error found by parse analysis is inside the body; an error without one
-- shows the statement; the body's own NOTICEs come in order between the
-- progress NOTICEs; a syntax error in statement 7 stops the run before
-- statement 1.  Runs in a database of its own (failed runs are committed
-- by a background worker).
\set regress_db :DBNAME
CREATE DATABASE migrate_apply_parsed;
\c migrate_apply_parsed
CREATE EXTENSION migrate;
-- the body's NOTICEs between the progress NOTICEs, in order
SELECT migrate.add('p1', E'CREATE TABLE p1 (id int);\nDO $$ BEGIN RAISE NOTICE ''inside p1''; END $$;\nDROP TABLE IF EXISTS p1_nothing;',
                   'DROP TABLE p1', message => 'first');
SELECT migrate.add('p2', E'ALTER TABLE p1 ADD COLUMN v text;\nCREATE INDEX p1_v ON p1 (v);', 'DROP INDEX p1_v',
                   '{p1}', message => 'second');
SELECT step, revision, message FROM migrate.upgrade('head');
-- parse analysis of a utility statement (run from its tree) fails at a
-- position: the position is inside the body, the statement is named
SELECT migrate.add('p3', E'CREATE TABLE p3 (id int);\n\nCREATE TABLE p3b (\n    id int,\n    w nosuchtype\n);',
                   'DROP TABLE p3', '{p2}');
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- an error without a position: the statement's own text in the context
SELECT migrate.remove('p3');
SELECT migrate.add('p3', E'CREATE TABLE p3 (id int);\n  CREATE TABLE p1 (id int);', 'DROP TABLE p3', '{p2}');
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- a multibyte body: the position counts characters
SELECT migrate.remove('p3');
SELECT migrate.add('p3', E'COMMENT ON TABLE p1 IS ''café ☕'';\nCREATE INDEX p3_i ON p1 (nosuchcolumn);', 'SELECT 1', '{p2}');
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
-- a syntax error in statement 7 of step 2: reported before step 1 runs
SELECT migrate.remove('p3');
SELECT migrate.add('p3', 'CREATE TABLE p3 (id int)', 'DROP TABLE p3', '{p2}');
SELECT migrate.add('p4', E'CREATE TABLE p4a (id int);\nCREATE TABLE p4b (id int);\nCREATE TABLE p4c (id int);\nCREATE TABLE p4d (id int);\nCREATE TABLE p4e (id int);\nCREATE TABLE p4f (id int);\nCREATE TABLE p4g (id int int);',
                   'SELECT 1', '{p3}');
SELECT step, revision FROM migrate.upgrade('head');
\echo :LAST_ERROR_SQLSTATE
SELECT to_regclass('p3') AS p3, to_regclass('p4a') AS p4a;
\c :regress_db
DROP DATABASE migrate_apply_parsed WITH (FORCE);
