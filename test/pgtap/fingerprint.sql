\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.fingerprint(): equal for equal schemas whatever order they were
-- built in, different after each kind of change, and back to equal when
-- the change is undone.
CREATE EXTENSION migrate;
SET client_min_messages = warning;
BEGIN;
SELECT plan(56);

SELECT has_function('migrate', 'fingerprint', '{}'::text[], 'fingerprint() exists');
SELECT matches(migrate.fingerprint(), '^[0-9a-f]{64}$', 'hex SHA-256');
SELECT is(migrate.fingerprint(), migrate.fingerprint(), 'the same twice');
CREATE TEMP TABLE fp (k text PRIMARY KEY, v text);
INSERT INTO fp VALUES ('empty', migrate.fingerprint());

-- the same schema, built in two orders
CREATE FUNCTION pg_temp.build_a() RETURNS void LANGUAGE plpgsql AS $b$
BEGIN
    CREATE SCHEMA app;
    CREATE TYPE app.state AS ENUM ('new', 'done');
    CREATE TABLE app.parties (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
                              kind text CHECK (kind IN ('person', 'org')));
    CREATE TABLE app.tasks (id serial PRIMARY KEY, party bigint REFERENCES app.parties ON DELETE CASCADE,
                            state app.state DEFAULT 'new', due date);
    ALTER TABLE app.tasks ADD COLUMN note text COLLATE "C";
    CREATE INDEX tasks_due ON app.tasks (due) WHERE state = 'new';
    CREATE UNIQUE INDEX parties_name ON app.parties (lower(name));
    CREATE VIEW app.open_tasks AS SELECT id, due FROM app.tasks WHERE state = 'new';
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $f$BEGIN RETURN NEW; END$f$;
    CREATE TRIGGER tasks_touch BEFORE UPDATE ON app.tasks FOR EACH ROW EXECUTE FUNCTION app.touch();
    CREATE SEQUENCE app.counter START 10 INCREMENT 5;
    CREATE DOMAIN app.pos AS int CHECK (VALUE > 0);
    CREATE TYPE app.pair AS (a int, b text);
    GRANT SELECT ON app.parties TO PUBLIC;
    GRANT SELECT ON app.tasks TO PUBLIC;
    COMMENT ON TABLE app.tasks IS 'tasks';
END $b$;
CREATE FUNCTION pg_temp.build_b() RETURNS void LANGUAGE plpgsql AS $b$
BEGIN
    CREATE SCHEMA app;
    CREATE TYPE app.pair AS (a int, b text);
    CREATE DOMAIN app.pos AS int CHECK (VALUE > 0);
    CREATE SEQUENCE app.counter START 10 INCREMENT 5;
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $f$BEGIN RETURN NEW; END$f$;
    CREATE TYPE app.state AS ENUM ('new', 'done');
    CREATE TABLE app.parties (name text NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY,
                              kind text, dropped_later int);
    ALTER TABLE app.parties ADD CONSTRAINT parties_pkey PRIMARY KEY (id);
    ALTER TABLE app.parties ADD CONSTRAINT parties_kind_check CHECK (kind IN ('person', 'org'));
    ALTER TABLE app.parties DROP COLUMN dropped_later;
    CREATE UNIQUE INDEX parties_name ON app.parties (lower(name));
    CREATE TABLE app.tasks (id serial PRIMARY KEY, party bigint, state app.state DEFAULT 'new', due date,
                            note text COLLATE "C");
    ALTER TABLE app.tasks ADD CONSTRAINT tasks_party_fkey FOREIGN KEY (party) REFERENCES app.parties ON DELETE CASCADE;
    CREATE TRIGGER tasks_touch BEFORE UPDATE ON app.tasks FOR EACH ROW EXECUTE FUNCTION app.touch();
    CREATE INDEX tasks_due ON app.tasks (due) WHERE state = 'new';
    CREATE VIEW app.open_tasks AS SELECT id, due FROM app.tasks WHERE state = 'new';
    GRANT SELECT ON app.tasks TO PUBLIC;
    GRANT SELECT ON app.parties TO PUBLIC;
END $b$;
SELECT pg_temp.build_a();
INSERT INTO fp VALUES ('a', migrate.fingerprint());
SELECT isnt((SELECT v FROM fp WHERE k = 'a'), (SELECT v FROM fp WHERE k = 'empty'), 'a schema changes the fingerprint');
DROP SCHEMA app CASCADE;
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'empty'), 'dropped again: the empty fingerprint');
SELECT pg_temp.build_b();
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'a'),
          'the same schema built in another order (columns, constraints, grants, a dropped column): the same fingerprint');
SET search_path = app, public;
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'a'), 'whatever search_path says');
RESET search_path;
CREATE TEMP TABLE scratch (a int);
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'a'), 'temporary objects do not count');
SELECT migrate.add('r1', 'SELECT 1');
CREATE TABLE migrate.scratch (a int);
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'a'), 'schema migrate does not count');
DROP TABLE migrate.scratch;
COMMENT ON TABLE app.tasks IS 'other';
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'a'), 'comments do not count');
CREATE TABLE app.ab (a int, b text DEFAULT 'x');
INSERT INTO fp VALUES ('ab', migrate.fingerprint());
DROP TABLE app.ab;
CREATE TABLE app.ab (b text DEFAULT 'x', a int);
SELECT is(migrate.fingerprint(), (SELECT v FROM fp WHERE k = 'ab'), 'columns in another order, defaults at other places of the statement: the same');
DROP TABLE app.ab;

-- each kind of change: different, then equal again once undone
CREATE FUNCTION pg_temp.changes(change text, undo text) RETURNS text LANGUAGE plpgsql AS $c$
DECLARE before text := migrate.fingerprint(); during text; after text;
BEGIN
    EXECUTE change; during := migrate.fingerprint();
    EXECUTE undo; after := migrate.fingerprint();
    RETURN CASE WHEN during = before THEN 'unchanged'
                WHEN after <> before THEN 'not restored'
                ELSE 'changed' END;
END $c$;
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ADD COLUMN extra int', 'ALTER TABLE app.tasks DROP COLUMN extra'), 'changed', 'a column');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER party TYPE int', 'ALTER TABLE app.tasks ALTER party TYPE bigint'), 'changed', 'a column''s type');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER note TYPE varchar(10) COLLATE "C"', 'ALTER TABLE app.tasks ALTER note TYPE text COLLATE "C"'), 'changed', 'a column''s typmod');
SELECT is(pg_temp.changes($$ALTER TABLE app.tasks ALTER state SET DEFAULT 'done'$$, $$ALTER TABLE app.tasks ALTER state SET DEFAULT 'new'$$), 'changed', 'a default');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER due SET NOT NULL', 'ALTER TABLE app.tasks ALTER due DROP NOT NULL'), 'changed', 'NOT NULL');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER note TYPE text COLLATE "POSIX"', 'ALTER TABLE app.tasks ALTER note TYPE text COLLATE "C"'), 'changed', 'a collation');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ADD CONSTRAINT due_check CHECK (due > ''2000-01-01'')', 'ALTER TABLE app.tasks DROP CONSTRAINT due_check'), 'changed', 'a constraint');
SELECT is(pg_temp.changes('ALTER TABLE app.parties DROP CONSTRAINT parties_kind_check; ALTER TABLE app.parties ADD CONSTRAINT parties_kind_check CHECK (kind IN (''person''))',
                          'ALTER TABLE app.parties DROP CONSTRAINT parties_kind_check; ALTER TABLE app.parties ADD CONSTRAINT parties_kind_check CHECK (kind IN (''person'', ''org''))'),
          'changed', 'a constraint''s definition');
SELECT is(pg_temp.changes('CREATE INDEX tasks_note ON app.tasks (note)', 'DROP INDEX app.tasks_note'), 'changed', 'an index');
SELECT is(pg_temp.changes('DROP INDEX app.tasks_due; CREATE INDEX tasks_due ON app.tasks (due)', 'DROP INDEX app.tasks_due; CREATE INDEX tasks_due ON app.tasks (due) WHERE state = ''new'''), 'changed', 'an index''s predicate');
SELECT is(pg_temp.changes($f$CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $x$BEGIN RETURN OLD; END$x$$f$,
                          $f$CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $x$BEGIN RETURN NEW; END$x$$f$), 'changed', 'a function body');
SELECT is(pg_temp.changes('CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS ''SELECT 1''', 'DROP FUNCTION app.f(int)'), 'changed', 'a function');
SELECT is(pg_temp.changes('GRANT INSERT ON app.tasks TO PUBLIC', 'REVOKE INSERT ON app.tasks FROM PUBLIC'), 'changed', 'a table privilege');
SELECT is(pg_temp.changes('REVOKE SELECT ON app.tasks FROM PUBLIC', 'GRANT SELECT ON app.tasks TO PUBLIC'), 'changed', 'a privilege taken away');
SELECT is(pg_temp.changes('GRANT UPDATE (note) ON app.tasks TO PUBLIC', 'REVOKE UPDATE (note) ON app.tasks FROM PUBLIC'), 'changed', 'a column privilege');
SELECT is(pg_temp.changes('REVOKE EXECUTE ON FUNCTION app.touch() FROM PUBLIC', 'GRANT EXECUTE ON FUNCTION app.touch() TO PUBLIC'), 'changed', 'a function privilege');
SELECT is(pg_temp.changes('GRANT USAGE ON SCHEMA app TO PUBLIC', 'REVOKE USAGE ON SCHEMA app FROM PUBLIC'), 'changed', 'a schema privilege');
SELECT is(pg_temp.changes('ALTER TYPE app.state ADD VALUE ''late''', 'SELECT 1'), 'not restored', 'an enum label (cannot be removed)');
SELECT is(pg_temp.changes('ALTER TYPE app.state RENAME VALUE ''done'' TO ''finished''', 'ALTER TYPE app.state RENAME VALUE ''finished'' TO ''done'''), 'changed', 'an enum label renamed');
SELECT is(pg_temp.changes('CREATE OR REPLACE VIEW app.open_tasks AS SELECT id, due FROM app.tasks WHERE state = ''done''', 'CREATE OR REPLACE VIEW app.open_tasks AS SELECT id, due FROM app.tasks WHERE state = ''new'''), 'changed', 'a view''s definition');
SELECT is(pg_temp.changes('ALTER SEQUENCE app.counter INCREMENT 7', 'ALTER SEQUENCE app.counter INCREMENT 5'), 'changed', 'a sequence');
SELECT is(pg_temp.changes('SELECT nextval(''app.counter'')', 'SELECT 1'), 'unchanged', 'a sequence''s value does not count');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks DISABLE TRIGGER tasks_touch', 'ALTER TABLE app.tasks ENABLE TRIGGER tasks_touch'), 'changed', 'a trigger disabled');
SELECT is(pg_temp.changes('ALTER DOMAIN app.pos ADD CONSTRAINT pos_small CHECK (VALUE < 100)', 'ALTER DOMAIN app.pos DROP CONSTRAINT pos_small'), 'changed', 'a domain constraint');
SELECT is(pg_temp.changes('ALTER TYPE app.pair ADD ATTRIBUTE c int', 'ALTER TYPE app.pair DROP ATTRIBUTE c'), 'changed', 'a composite type');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ENABLE ROW LEVEL SECURITY', 'ALTER TABLE app.tasks DISABLE ROW LEVEL SECURITY'), 'changed', 'row level security');
SELECT is(pg_temp.changes('CREATE POLICY p ON app.tasks USING (true)', 'DROP POLICY p ON app.tasks'), 'changed', 'a policy');
SELECT is(pg_temp.changes('CREATE ROLE fp_owner; ALTER TABLE app.tasks OWNER TO fp_owner', 'ALTER TABLE app.tasks OWNER TO CURRENT_USER; DROP ROLE fp_owner'), 'changed', 'an owner');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks RENAME TO chores', 'ALTER TABLE app.chores RENAME TO tasks'), 'changed', 'a name');
SELECT is(pg_temp.changes('CREATE SCHEMA other', 'DROP SCHEMA other'), 'changed', 'a schema');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks DROP CONSTRAINT tasks_party_fkey; ALTER TABLE app.tasks ADD CONSTRAINT tasks_party_fkey FOREIGN KEY (party) REFERENCES app.parties ON DELETE RESTRICT',
                          'ALTER TABLE app.tasks DROP CONSTRAINT tasks_party_fkey; ALTER TABLE app.tasks ADD CONSTRAINT tasks_party_fkey FOREIGN KEY (party) REFERENCES app.parties ON DELETE CASCADE'),
          'changed', 'a foreign key''s action');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER CONSTRAINT tasks_party_fkey DEFERRABLE', 'ALTER TABLE app.tasks ALTER CONSTRAINT tasks_party_fkey NOT DEFERRABLE'), 'changed', 'a foreign key made deferrable');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ADD CONSTRAINT tasks_u UNIQUE (due)', 'ALTER TABLE app.tasks DROP CONSTRAINT tasks_u'), 'changed', 'a unique constraint');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ADD CONSTRAINT tasks_u UNIQUE (due); ALTER TABLE app.tasks DROP CONSTRAINT tasks_u; ALTER TABLE app.tasks ADD CONSTRAINT tasks_u UNIQUE (note)',
                          'ALTER TABLE app.tasks DROP CONSTRAINT tasks_u'), 'changed', 'a unique constraint''s column');
SELECT is(pg_temp.changes('DROP INDEX app.tasks_due; CREATE INDEX tasks_due ON app.tasks (due DESC) WHERE state = ''new''', 'DROP INDEX app.tasks_due; CREATE INDEX tasks_due ON app.tasks (due) WHERE state = ''new'''), 'changed', 'an index''s sort order');
SELECT is(pg_temp.changes('CREATE INDEX tasks_note ON app.tasks (note); DROP INDEX app.tasks_note; CREATE INDEX tasks_note ON app.tasks (note text_pattern_ops)', 'DROP INDEX app.tasks_note'), 'changed', 'an index''s operator class');
SELECT is(pg_temp.changes('CREATE INDEX tasks_note ON app.tasks (note) INCLUDE (due)', 'DROP INDEX app.tasks_note'), 'changed', 'an index''s included column');
SELECT is(pg_temp.changes('DROP INDEX app.parties_name; CREATE UNIQUE INDEX parties_name ON app.parties (upper(name))', 'DROP INDEX app.parties_name; CREATE UNIQUE INDEX parties_name ON app.parties (lower(name))'), 'changed', 'an index''s expression');
SELECT is(pg_temp.changes('ALTER TABLE app.parties ADD COLUMN lname text GENERATED ALWAYS AS (lower(name)) STORED; ALTER TABLE app.parties DROP COLUMN lname; ALTER TABLE app.parties ADD COLUMN lname text GENERATED ALWAYS AS (upper(name)) STORED',
                          'ALTER TABLE app.parties DROP COLUMN lname'), 'changed', 'a generated column''s expression');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER due SET DEFAULT now()', 'ALTER TABLE app.tasks ALTER due DROP DEFAULT'), 'changed', 'a default added');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER id DROP DEFAULT', 'ALTER TABLE app.tasks ALTER id SET DEFAULT nextval(''app.tasks_id_seq''::regclass)'), 'changed', 'a default dropped');
SELECT is(pg_temp.changes('ALTER TABLE app.parties ALTER id SET GENERATED BY DEFAULT', 'ALTER TABLE app.parties ALTER id SET GENERATED ALWAYS'), 'changed', 'an identity column''s kind');
SELECT is(pg_temp.changes('CREATE TABLE app.m (k int) PARTITION BY RANGE (k); CREATE TABLE app.m1 PARTITION OF app.m FOR VALUES FROM (1) TO (10); ALTER TABLE app.m DETACH PARTITION app.m1; ALTER TABLE app.m ATTACH PARTITION app.m1 FOR VALUES FROM (1) TO (20)',
                          'DROP TABLE app.m'), 'changed', 'a partition''s bound');
SELECT is(pg_temp.changes('ALTER TABLE app.tasks ALTER note SET STATISTICS 500', 'ALTER TABLE app.tasks ALTER note SET STATISTICS -1'), 'unchanged', 'a statistics target does not count');

-- everyone may call it
CREATE ROLE fp_nobody NOLOGIN;
SET ROLE fp_nobody;
CREATE TEMP TABLE fp_nobody_sees AS SELECT migrate.fingerprint() AS v;
RESET ROLE;
SELECT is((SELECT v FROM fp_nobody_sees), migrate.fingerprint(), 'any role gets the same fingerprint');

SELECT * FROM finish();
ROLLBACK;
