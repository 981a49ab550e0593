\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- migrate.ensure(): created / unchanged / differs for every supported
-- statement kind, with the SQLSTATE of every error; refusals; privileges;
-- inside revision bodies and subtransactions.
CREATE EXTENSION migrate;
BEGIN;
SELECT plan(141);

-- The error a statement raises, as 'SQLSTATE|message|detail|hint'.
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN st || '|' || msg || '|' || coalesce(det, '') || '|' || coalesce(hnt, '');
END $$;

CREATE SCHEMA app;
SET search_path = public;

-- CREATE TABLE --------------------------------------------------------------
SELECT is(migrate.ensure('CREATE TABLE parties (id bigserial PRIMARY KEY, kind text NOT NULL CHECK (kind IN (''person'', ''org'')), name varchar(200), tax_id text, score numeric(10,2), tags text[] DEFAULT ''{}'', created timestamptz DEFAULT now())'),
          'created', 'table: created');
SELECT is(migrate.table_exists('parties'), true, 'table: it exists afterwards');
SELECT is(migrate.ensure('CREATE TABLE parties (id bigserial PRIMARY KEY, kind text NOT NULL CHECK (kind IN (''person'', ''org'')), name varchar(200), tax_id text, score numeric(10,2), tags text[] DEFAULT ''{}'', created timestamptz DEFAULT now())'),
          'unchanged', 'table: the same statement again is unchanged');
SELECT is(migrate.ensure($$create   table PUBLIC.Parties (
            created timestamp with time zone, tags _text, score decimal(10, 2),
            tax_id TEXT, name character varying(200), kind text not null,
            id int8 not null)$$),
          'unchanged', 'table: other order, case, spelling and schema qualification are unchanged');
SELECT is(migrate.ensure('CREATE TABLE IF NOT EXISTS parties (id bigint, kind text NOT NULL, name varchar(200), tax_id text, score numeric(10,2), tags text[], created timestamptz, PRIMARY KEY (id))'),
          'unchanged', 'table: a table PRIMARY KEY makes its columns NOT NULL');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE parties (id bigint NOT NULL, kind text NOT NULL, name varchar(100), tax_id text, score numeric(10,2), tags text[], created timestamptz)')$$,
                 '42P07', 'table public.parties exists with a different definition', 'table: other type modifier differs (42P07)');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TABLE parties (id bigint NOT NULL, kind text NOT NULL, name varchar(100), tax_id text, score numeric(10,2), tags text[], created timestamptz)'')'),
            '%Column "name" is character varying(200) in the existing table, character varying(100) in the statement.%',
            'table: the detail names the column that differs and both types');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TABLE parties (id bigint NOT NULL, kind text NOT NULL, name varchar(100), tax_id text, score numeric(10,2), tags text[], created timestamptz)'')'),
            '%Existing: public.parties (id bigint NOT NULL, kind text NOT NULL, name character varying(200), %Requested: public.parties (id bigint NOT NULL, %',
            'table: the detail shows both definitions');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TABLE parties (id bigint NOT NULL, kind text, name varchar(200), tax_id text, score numeric(10,2), tags text[], created timestamptz)'')'),
            '42P07|%Column "kind" is NOT NULL in the existing table, nullable in the statement.%',
            'table: nullability differs');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TABLE parties (id bigint NOT NULL, kind text NOT NULL, name varchar(200), tax_id text, score numeric(10,2), tags text[], created timestamptz, extra int)'')'),
            '42P07|%Column "extra" is missing from the existing table.%',
            'table: a column the table lacks');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TABLE parties (id bigint NOT NULL, kind text NOT NULL, name varchar(200), score numeric(10,2), tags text[], created timestamptz)'')'),
            '42P07|%The existing table has a column "tax_id" that the statement does not define.%',
            'table: a column the statement lacks');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TABLE parties (id integer NOT NULL, kind text NOT NULL, name varchar(200), tax_id text, score numeric(10,2), tags text[], created timestamptz)'')'),
            '42P07|%Column "id" is bigint in the existing table, integer in the statement.%',
            'table: int is not bigint');
CREATE TABLE counters (n integer NOT NULL, m int4, k serial);
SELECT is(migrate.ensure('CREATE TABLE counters (n int NOT NULL, m integer, k int4 NOT NULL)'),
          'unchanged', 'table: int, int4, integer and serial are the same type');
CREATE VIEW v_parties AS SELECT id FROM parties;
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE v_parties (id bigint)')$$,
                 '42809', NULL, 'table: the name belongs to a view (42809)');
CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at);
SELECT is(migrate.ensure('CREATE TABLE events (at date NOT NULL) PARTITION BY RANGE (at)'),
          'unchanged', 'table: partitioned table unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE events (at date NOT NULL)')$$,
                 '42P07', NULL, 'table: partitioned versus plain differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM (''2024-01-01'') TO (''2025-01-01'')')$$,
                 '0A000', NULL, 'table: PARTITION OF is not supported');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE copy_of (LIKE parties)')$$,
                 '0A000', NULL, 'table: LIKE is not supported');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE child () INHERITS (parties)')$$,
                 '0A000', NULL, 'table: INHERITS is not supported');
SELECT is(migrate.table_exists('copy_of'), false, 'table: a refused statement ran nothing');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE nosuchschema.t (a int)')$$,
                 '3F000', NULL, 'table: missing schema is the error CREATE TABLE gives');
SET LOCAL search_path = app, public;
SELECT is(migrate.ensure('CREATE TABLE parties (id int)'), 'created',
          'table: looked up where CREATE TABLE creates it (first schema of search_path)');
SELECT is(migrate.table_exists('app.parties'), true, 'table: created in app');
SET LOCAL search_path = public;
SELECT is(migrate.ensure('CREATE TEMP TABLE scratch (a int)'), 'created', 'table: temporary table created');
SELECT is(migrate.ensure('CREATE TEMPORARY TABLE scratch (a integer)'), 'unchanged', 'table: temporary table unchanged');
SELECT is(migrate.ensure('CREATE TABLE "Mixed Case" ("Col" int)'), 'created', 'table: quoted names created');
SELECT is(migrate.ensure('CREATE TABLE "Mixed Case" ("Col" integer)'), 'unchanged', 'table: quoted names unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE "Mixed Case" (col integer)')$$,
                 '42P07', NULL, 'table: column name case matters when quoted');

-- CREATE INDEX --------------------------------------------------------------
SELECT is(migrate.ensure('CREATE INDEX parties_name_idx ON parties (name)'), 'created', 'index: created');
SELECT is(migrate.index_exists('parties_name_idx'), true, 'index: it exists afterwards');
SELECT is(migrate.ensure('CREATE INDEX parties_name_idx ON parties (name)'), 'unchanged', 'index: same statement unchanged');
SELECT is(migrate.ensure($$create index PARTIES_NAME_IDX
                              on public.parties   using BTREE ("name" ASC NULLS LAST)$$),
          'unchanged', 'index: whitespace, case, USING btree, schema, ASC NULLS LAST are unchanged');
SELECT is(migrate.ensure('CREATE INDEX IF NOT EXISTS parties_name_idx ON parties USING btree (name text_ops)'),
          'unchanged', 'index: the default operator class written out is unchanged');
SELECT is(migrate.ensure('CREATE INDEX parties_name_idx ON parties (name varchar_ops)'),
          'unchanged', 'index: an equivalent operator class of the same family is unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (tax_id)')$$,
                 '42P07', 'index public.parties_name_idx exists with a different definition',
                 'index: another column differs (42P07)');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE INDEX parties_name_idx ON parties (tax_id)'')'),
            '42P07|%Key column 1 differs.%Existing: CREATE INDEX parties_name_idx ON public.parties USING btree (name)%Requested: CREATE INDEX parties_name_idx ON parties (tax_id)|%',
            'index: the detail shows both definitions');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (name, kind)')$$,
                 '42P07', NULL, 'index: another column list differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE UNIQUE INDEX parties_name_idx ON parties (name)')$$,
                 '42P07', NULL, 'index: uniqueness differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties USING hash (name)')$$,
                 '42P07', NULL, 'index: access method differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (name varchar_pattern_ops)')$$,
                 '42P07', NULL, 'index: operator class differs');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE INDEX parties_name_idx ON parties (name varchar_pattern_ops)'')'),
            '%uses the operator class text_ops in the existing index, varchar_pattern_ops in the statement%',
            'index: the detail names both operator classes');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (name DESC)')$$,
                 '42P07', NULL, 'index: sort order differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (name) WHERE name IS NOT NULL')$$,
                 '42P07', NULL, 'index: a predicate the index lacks differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (name COLLATE "C")')$$,
                 '42P07', NULL, 'index: collation differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON parties (name) INCLUDE (kind)')$$,
                 '42P07', NULL, 'index: INCLUDE columns differ');
-- expressions and predicates compare as analysed trees
SELECT is(migrate.ensure('CREATE INDEX parties_lower_name ON parties (lower(name))'), 'created', 'index: expression index created');
SELECT is(migrate.ensure('CREATE INDEX parties_lower_name ON parties (lower(name::text))'), 'unchanged', 'index: explicit cast the deparser adds is unchanged');
SELECT is(migrate.ensure('CREATE INDEX parties_lower_name ON parties (pg_catalog.lower((name)))'), 'unchanged', 'index: qualified function is unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_lower_name ON parties (upper(name))')$$,
                 '42P07', NULL, 'index: another expression differs');
SELECT is(migrate.ensure('CREATE INDEX parties_tax_idx ON parties (tax_id) WHERE tax_id IS NOT NULL AND kind = ''org'''), 'created', 'index: partial index created');
SELECT is(migrate.ensure('CREATE INDEX parties_tax_idx ON parties (tax_id) WHERE ((tax_id IS NOT NULL) AND (kind = ''org''::text))'), 'unchanged', 'index: predicate as pg_get_indexdef writes it is unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_tax_idx ON parties (tax_id) WHERE tax_id IS NOT NULL AND kind = ''person''')$$,
                 '42P07', NULL, 'index: another predicate differs');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE INDEX parties_tax_idx ON parties (tax_id)'')'),
            '42P07|%The existing index is partial (WHERE), the statement''s is not.%',
            'index: a missing predicate is named');
SELECT is(migrate.ensure('CREATE INDEX parties_score_idx ON parties (id) WHERE score > 0::integer'), 'created', 'index: predicate with a cast created');
SELECT is(migrate.ensure('CREATE INDEX parties_score_idx ON parties (id) WHERE score > 0::int4'), 'unchanged', 'index: integer and int4 are the same');
SELECT is(migrate.ensure('CREATE INDEX parties_score_idx ON parties (id) WHERE score > 0::int'), 'unchanged', 'index: integer and int are the same');
SELECT is(migrate.ensure('CREATE INDEX parties_created_idx ON parties (created DESC)'), 'created', 'index: descending index created');
SELECT is(migrate.ensure('CREATE INDEX parties_created_idx ON parties (created DESC NULLS FIRST)'), 'unchanged', 'index: DESC implies NULLS FIRST');
SELECT is(migrate.ensure('CREATE INDEX parties_tags_idx ON parties USING gin (tags)'), 'created', 'index: GIN index created');
SELECT is(migrate.ensure('CREATE INDEX parties_tags_idx ON parties USING GIN (tags array_ops)'), 'unchanged', 'index: GIN default opclass written out');
SELECT is(migrate.ensure('CREATE UNIQUE INDEX parties_pkey ON parties (id)'), 'unchanged', 'index: a primary key''s index compares as a unique index');
-- unnamed indexes match any index of the table with the same definition
SELECT is(migrate.ensure('CREATE INDEX ON parties (kind, name)'), 'created', 'index: unnamed index created');
SELECT is(migrate.ensure('CREATE INDEX ON parties (kind, name)'), 'unchanged', 'index: unnamed index unchanged');
SELECT is((SELECT count(*)::int FROM pg_index WHERE indrelid = 'parties'::regclass), 8, 'index: no duplicate was made');
-- names, kinds, missing tables, options
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_name_idx ON counters (n)')$$,
                 '42P07', NULL, 'index: the name belongs to an index on another table');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties ON parties (id)')$$,
                 '42809', NULL, 'index: the name belongs to a table (42809)');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX x_idx ON nosuch (id)')$$,
                 '42P01', NULL, 'index: missing table is the error CREATE INDEX gives');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX x_idx ON parties (nosuch)')$$,
                 '42703', NULL, 'index: missing column');
SELECT is(migrate.ensure('CREATE INDEX parties_kind_ff ON parties (kind) WITH (fillfactor = 70)'), 'created', 'index: with storage parameters created');
SELECT is(migrate.ensure('CREATE INDEX parties_kind_ff ON parties (kind) WITH (fillfactor = 70)'), 'unchanged', 'index: with storage parameters unchanged');
SELECT is(migrate.ensure('CREATE INDEX parties_kind_ff ON parties (kind)'), 'unchanged', 'index: storage parameters only raise a NOTICE');
-- CONCURRENTLY: fine when the index exists, refused when it would have to run
SELECT is(migrate.ensure('CREATE INDEX CONCURRENTLY parties_name_idx ON parties (name)'), 'unchanged', 'index: CONCURRENTLY unchanged when it exists');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX CONCURRENTLY parties_new_idx ON parties (tax_id)')$$,
                 '25001', NULL, 'index: CONCURRENTLY cannot be run by ensure (25001)');
-- INVALID indexes (a failed CREATE INDEX CONCURRENTLY) are not "unchanged"
CREATE INDEX parties_broken_idx ON parties (score);
UPDATE pg_catalog.pg_index SET indisvalid = false
 WHERE indexrelid = 'parties_broken_idx'::regclass;
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_broken_idx ON parties (score)')$$,
                 '55000', 'index public.parties_broken_idx exists but is INVALID', 'index: INVALID index with the same definition (55000)');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX ON parties (score)')$$,
                 '55000', NULL, 'index: unnamed statement matching only an INVALID index (55000)');
SELECT throws_ok($$SELECT migrate.ensure('CREATE INDEX parties_broken_idx ON parties (tax_id)')$$,
                 '42P07', NULL, 'index: INVALID index with another definition differs');

-- ALTER TABLE ... ADD COLUMN ------------------------------------------------
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN status text NOT NULL DEFAULT ''active'''), 'created', 'column: created');
SELECT is(migrate.column_exists('parties', 'status'), true, 'column: it exists afterwards');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN status text NOT NULL DEFAULT ''active'''), 'unchanged', 'column: same statement unchanged');
SELECT is(migrate.ensure('alter table public.PARTIES add STATUS TEXT default ''active''::text not null'), 'unchanged', 'column: other spelling of the same default unchanged');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties ADD COLUMN status varchar(20) NOT NULL DEFAULT ''active''')$$,
                 '42701', 'column "status" of table public.parties exists with a different definition', 'column: type differs (42701)');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties ADD COLUMN status text DEFAULT ''active''')$$,
                 '42701', NULL, 'column: nullability differs');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties ADD COLUMN status text NOT NULL DEFAULT ''inactive''')$$,
                 '42701', NULL, 'column: default differs');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties ADD COLUMN status text NOT NULL')$$,
                 '42701', NULL, 'column: missing default differs');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''ALTER TABLE parties ADD COLUMN status text NOT NULL DEFAULT ''''inactive'''''')'),
            '42701|%Existing: status text NOT NULL DEFAULT ''active''::text%Requested: status text NOT NULL DEFAULT ''inactive''::text|%',
            'column: the detail shows both definitions');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN visits bigint DEFAULT 0'), 'created', 'column: bigint with an int literal default created');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN visits int8 DEFAULT 0::bigint'), 'unchanged', 'column: the same default written as a cast');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN note text DEFAULT NULL'), 'created', 'column: DEFAULT NULL created');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN note text'), 'unchanged', 'column: DEFAULT NULL is no default');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN id bigserial'), 'unchanged', 'column: bigserial matches a bigint NOT NULL nextval() column');
SELECT is(migrate.ensure('ALTER TABLE parties ADD COLUMN ref int GENERATED ALWAYS AS IDENTITY'), 'created', 'column: identity created');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties ADD COLUMN ref int GENERATED BY DEFAULT AS IDENTITY')$$,
                 '42701', NULL, 'column: identity kind differs');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE nosuch ADD COLUMN a int')$$,
                 '42P01', NULL, 'column: missing table (42P01)');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE v_parties ADD COLUMN a int')$$,
                 '42809', NULL, 'column: not a table (42809)');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties ADD COLUMN a int, ADD COLUMN b int')$$,
                 '0A000', NULL, 'column: two columns in one call are not supported');
SELECT throws_ok($$SELECT migrate.ensure('ALTER TABLE parties DROP COLUMN note')$$,
                 '0A000', NULL, 'column: other ALTER TABLE actions are not supported');
SELECT is(migrate.column_exists('parties', 'note'), true, 'column: the refused DROP COLUMN ran nothing');

-- CREATE TYPE ... AS ENUM ---------------------------------------------------
SELECT is(migrate.ensure('CREATE TYPE commitment_state AS ENUM (''open'', ''done'')'), 'created', 'enum: created');
SELECT is(migrate.ensure('CREATE TYPE public.commitment_state AS ENUM (''open'', ''done'')'), 'unchanged', 'enum: unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TYPE commitment_state AS ENUM (''open'', ''done'', ''void'')')$$,
                 '42710', 'type public.commitment_state exists with other labels', 'enum: a label missing at the end differs (42710)');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TYPE commitment_state AS ENUM (''''open'''', ''''done'''', ''''void'''')'')'),
            '%|Add the missing labels in a revision: ALTER TYPE public.commitment_state ADD VALUE ''void''.',
            'enum: the hint gives the ALTER TYPE ... ADD VALUE to run');
SELECT alike(pg_temp.err('SELECT migrate.ensure(''CREATE TYPE commitment_state AS ENUM (''''open'''', ''''late'''', ''''done'''')'')'),
            '%|%ADD VALUE ''late'' BEFORE ''done''%',
            'enum: a label missing in the middle gets ADD VALUE ... BEFORE');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TYPE commitment_state AS ENUM (''done'', ''open'')')$$,
                 '42710', NULL, 'enum: reordered labels differ');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TYPE commitment_state AS ENUM (''open'')')$$,
                 '42710', NULL, 'enum: a removed label differs');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TYPE parties AS ENUM (''a'')')$$,
                 '42809', NULL, 'enum: the name is a table''s row type (42809)');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TYPE pair AS (a int, b int)')$$,
                 '0A000', NULL, 'enum: composite CREATE TYPE is not supported');

-- CREATE SCHEMA / CREATE EXTENSION ------------------------------------------
SELECT is(migrate.ensure('CREATE SCHEMA billing'), 'created', 'schema: created');
SELECT is(migrate.schema_exists('billing'), true, 'schema: it exists afterwards');
SELECT is(migrate.ensure('CREATE SCHEMA billing'), 'unchanged', 'schema: unchanged');
SELECT is(migrate.ensure('CREATE SCHEMA IF NOT EXISTS BILLING'), 'unchanged', 'schema: IF NOT EXISTS and case unchanged');
SELECT throws_ok($$SELECT migrate.ensure('CREATE SCHEMA reports CREATE TABLE r (a int)')$$,
                 '0A000', NULL, 'schema: schema elements are not supported');
SELECT is(migrate.schema_exists('reports'), false, 'schema: the refused statement ran nothing');
SELECT is(migrate.ensure('CREATE EXTENSION citext'), 'created', 'extension: created');
SELECT is(migrate.extension_exists('citext'), true, 'extension: it exists afterwards');
SELECT is(migrate.ensure('CREATE EXTENSION IF NOT EXISTS citext'), 'unchanged', 'extension: unchanged');
SELECT is(migrate.ensure('CREATE EXTENSION citext VERSION ''0.1'''), 'unchanged', 'extension: another version is unchanged (with a NOTICE)');

-- refusals: other kinds, several statements, syntax -------------------------
SELECT throws_ok($$SELECT migrate.ensure('SELECT 1')$$, '0A000', 'migrate.ensure() does not support SELECT', 'refused: SELECT');
SELECT throws_ok($$SELECT migrate.ensure('DROP TABLE parties')$$, '0A000', 'migrate.ensure() does not support DROP TABLE', 'refused: DROP TABLE');
SELECT is(migrate.table_exists('parties'), true, 'refused: DROP TABLE ran nothing');
SELECT throws_ok($$SELECT migrate.ensure('CREATE VIEW vv AS SELECT 1')$$, '0A000', NULL, 'refused: CREATE VIEW');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE a1 (x int); CREATE TABLE a2 (x int)')$$,
                 '0A000', 'migrate.ensure() takes exactly one statement', 'refused: two statements');
SELECT is(migrate.table_exists('a1'), false, 'refused: the first of two statements did not run');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE a1 (x int); DROP TABLE parties')$$,
                 '0A000', NULL, 'refused: a statement smuggled after a supported one');
SELECT throws_ok($$SELECT migrate.ensure('')$$, '0A000', NULL, 'refused: no statement');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE broken (')$$, '42601', NULL, 'syntax error (42601)');
SELECT is(migrate.ensure(NULL), NULL, 'NULL gives NULL');
SELECT is(migrate.ensure('CREATE TABLE trailing_semicolon (a int);  '), 'created', 'a trailing semicolon is fine');

-- privileges: not for PUBLIC; runs as the caller ----------------------------
CREATE ROLE migrate_tap_nobody NOLOGIN;
CREATE ROLE migrate_tap_deployer NOLOGIN;
SELECT is(has_function_privilege('migrate_tap_nobody', 'migrate.ensure(text)', 'EXECUTE'), false, 'privileges: ensure is not executable by PUBLIC');
SET LOCAL ROLE migrate_tap_nobody;
SELECT throws_ok($$SELECT migrate.ensure('CREATE SCHEMA nope')$$, '42501', NULL, 'privileges: a role without the grant is refused');
RESET ROLE;
GRANT EXECUTE ON FUNCTION migrate.ensure(text) TO migrate_tap_deployer;
GRANT CREATE ON SCHEMA app TO migrate_tap_deployer;
SET LOCAL ROLE migrate_tap_deployer;
SELECT is(migrate.ensure('CREATE TABLE app.deployed (a int)'), 'created', 'privileges: a granted role creates');
SELECT throws_ok($$SELECT migrate.ensure('CREATE TABLE public.not_mine (a int)')$$, '42501', NULL, 'privileges: the statement runs with the caller''s rights, no more');
RESET ROLE;
SELECT is((SELECT tableowner::text FROM pg_tables WHERE schemaname = 'app' AND tablename = 'deployed'),
          'migrate_tap_deployer', 'privileges: the object belongs to the caller');

-- subtransactions and revision bodies ----------------------------------------
SAVEPOINT s1;
SELECT is(migrate.ensure('CREATE TABLE in_savepoint (a int)'), 'created', 'subtransaction: created inside a savepoint');
ROLLBACK TO SAVEPOINT s1;
SELECT is(migrate.table_exists('in_savepoint'), false, 'subtransaction: rolled back with the savepoint');
DO $$
BEGIN
    PERFORM migrate.ensure('CREATE TABLE in_block (a int)');
    PERFORM migrate.ensure('CREATE INDEX in_block_a ON in_block (a)');
    PERFORM migrate.ensure('CREATE INDEX in_block_a ON in_block (a, a)');
EXCEPTION WHEN duplicate_table THEN
    RAISE NOTICE 'caught %', SQLERRM;
END $$;
SELECT is(migrate.table_exists('in_block'), false, 'subtransaction: an exception block undoes what ensure created');
SELECT is(migrate.add('e1', $b$
SELECT migrate.ensure('CREATE TABLE documents (id int PRIMARY KEY, body text)');
SELECT migrate.ensure('CREATE INDEX documents_body_idx ON documents (md5(body))');
SELECT migrate.ensure('ALTER TABLE documents ADD COLUMN sha256 text');
$b$, 'DROP TABLE documents'), 'e1', 'revision bodies: e1 registered');
SELECT is(migrate.add('e2', $b$
SELECT migrate.ensure('CREATE TABLE documents (id int PRIMARY KEY, body text, sha256 text)');
SELECT migrate.ensure('CREATE UNIQUE INDEX documents_sha256_idx ON documents (sha256)');
$b$, 'DROP INDEX documents_sha256_idx', '{e1}'), 'e2', 'revision bodies: e2 registered');
SELECT is((SELECT count(*)::int FROM migrate.upgrade('head')), 2, 'revision bodies: ensure() works in bodies during an upgrade');
SELECT is(migrate.index_exists('documents_sha256_idx'), true, 'revision bodies: the second body''s index exists');
SELECT is(migrate.add('e3', $b$
SELECT migrate.ensure('CREATE INDEX documents_body_idx ON documents (body)');
$b$, NULL, '{e2}'), 'e3', 'revision bodies: e3 registered');
SELECT throws_ok($$SELECT * FROM migrate.upgrade('head')$$, '42P07', NULL,
                 'revision bodies: a differing definition fails the upgrade with ensure''s SQLSTATE');

SELECT * FROM finish();
ROLLBACK;
