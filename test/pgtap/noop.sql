\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- The no-op shortcut (src/noop.c): upgrade('head') with nothing to do
-- answers without the graph while the catalog's generation is unchanged,
-- and every way of changing the catalog sends it the long way again.
CREATE EXTENSION migrate;
BEGIN;
SET client_min_messages = warning;
SELECT plan(22);

CREATE FUNCTION gen() RETURNS bigint LANGUAGE sql AS
$f$ SELECT last_value FROM migrate.catalog_generation $f$;
CREATE FUNCTION remembered(col text) RETURNS bigint LANGUAGE plpgsql AS
$f$ DECLARE v bigint; BEGIN
    EXECUTE format('SELECT %I FROM migrate.noop_state WHERE project = ''default''', col) INTO v;
    RETURN v; END $f$;
CREATE FUNCTION ups(target text DEFAULT 'head') RETURNS text LANGUAGE sql AS
$f$ SELECT coalesce(string_agg(revision, ',' ORDER BY step), '') FROM migrate.upgrade(target) $f$;

SELECT FROM migrate.add('a', 'CREATE TABLE noop_a ()', 'DROP TABLE noop_a');
SELECT FROM migrate.add('b', 'CREATE TABLE noop_b ()', 'DROP TABLE noop_b', '{a}');
SELECT is(ups(), 'a,b', 'upgrade(head) applies the chain');
SELECT is(remembered('head_generation'), gen(), 'and remembers the generation it left');
SELECT is(ups(), '', 'the next upgrade(head) has nothing to do');
SELECT is(remembered('heads_generation'), NULL, 'heads is remembered apart');
SELECT is(ups('heads'), '', 'upgrade(heads) has nothing to do either (the long way)');
SELECT is(remembered('heads_generation'), gen(), 'and remembers it');

-- every change to the catalog takes the long way again
SELECT FROM migrate.add('c', 'CREATE TABLE noop_c ()', 'DROP TABLE noop_c', '{b}');
SELECT isnt(remembered('head_generation'), gen(), 'a registration moves the generation on');
SELECT is(ups(), 'c', 'and the new revision is applied');
SELECT is(ups(), '', 'then nothing again');
DROP TABLE noop_c;
DELETE FROM migrate.applied WHERE revision = 'c';
SELECT is(ups(), 'c', 'a row deleted by hand from migrate.applied: applied again');
SELECT is(ups('heads'), '', 'heads: nothing to do (the long way: its generation moved on)');
SELECT is((SELECT count(*) FROM migrate.downgrade('-1'))::int, 1, 'downgrade(-1)');
SELECT is(ups(), 'c', 'after a downgrade, upgrade(head) applies again');
SELECT is((SELECT count(*) FROM migrate.stamp('b'))::int, 1, 'stamp(b)');
DROP TABLE noop_c;
SELECT is(ups(), 'c', 'after a stamp, upgrade(head) applies again');
UPDATE migrate.revision SET message = 'edited' WHERE id = 'c';
SELECT isnt(remembered('head_generation'), gen(), 'an UPDATE by hand moves the generation on');
SELECT is(ups(), '', 'nothing to do, found the long way');

-- a second head: head is ambiguous again, the shortcut must not hide it
SELECT FROM migrate.add('d', 'SELECT 1', NULL, '{b}');
SELECT is(ups('heads'), 'd', 'upgrade(heads) applies the second head');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head')$$, '21000', NULL,
                 'upgrade(head) with two heads is still an error, all applied or not');
SELECT is(ups('heads'), '', 'upgrade(heads) has nothing to do');

-- a rollback forgets what it remembered
SAVEPOINT s;
SELECT FROM migrate.add('e', 'SELECT 1', NULL, '{c,d}');
SELECT is(ups(), 'e', 'a merge applied inside a savepoint');
ROLLBACK TO s;
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head')$$, '21000', NULL,
                 'after the rollback the two heads are back, and head is refused again');

SELECT * FROM finish();
ROLLBACK;
