\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
-- Existence helpers: every kind, found / missing / quoted / mixed case /
-- schema-qualified / search_path / temporary schema / NULL / malformed.
CREATE EXTENSION migrate;
BEGIN;
SELECT plan(170);

-- fixtures ----------------------------------------------------------------
CREATE SCHEMA app;
CREATE SCHEMA "Mixed Schema";
CREATE TABLE public.users (id int PRIMARY KEY, email text UNIQUE,
                           age int CONSTRAINT age_positive CHECK (age > 0),
                           gone int, "MixedCol" int);
ALTER TABLE public.users DROP COLUMN gone;
CREATE TABLE public."CamelCase" (id int CONSTRAINT "Camel PK" PRIMARY KEY);
CREATE TABLE app.orders (id serial PRIMARY KEY,
                         user_id int REFERENCES public.users (id));
CREATE TABLE "Mixed Schema"."Order Items" (id int);
CREATE TABLE public.events (at date NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX events_at_idx ON public.events (at);
CREATE VIEW public.v_users AS SELECT id, email FROM public.users;
CREATE MATERIALIZED VIEW app.mv_orders AS SELECT id FROM app.orders;
CREATE VIEW "Mixed Schema"."Big View" AS SELECT 1 AS one;
CREATE SEQUENCE public.counter;
CREATE SEQUENCE "Mixed Schema"."Odd Seq";
CREATE INDEX users_age_idx ON public.users (age);
CREATE INDEX "Users Email Lower" ON public.users (lower(email));
CREATE INDEX orders_user_idx ON app.orders (user_id);
CREATE TYPE public.mood AS ENUM ('sad', 'ok');
CREATE TYPE app.pair AS (a int, b int);
CREATE TYPE "Mixed Schema"."Mood Ring" AS ENUM ('x');
CREATE DOMAIN public.email_address AS text CHECK (VALUE LIKE '%@%');
CREATE FUNCTION public.add_user(text, integer) RETURNS int
    LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION app.app_only() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION "Mixed Schema"."MyFunc"(numeric(10,2), varchar) RETURNS int
    LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE public.do_things(int) LANGUAGE sql AS 'SELECT 1';
CREATE AGGREGATE public.my_sum(int) (SFUNC = int4pl, STYPE = int);
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql
    AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER users_touch BEFORE UPDATE ON public.users
    FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TRIGGER "Touch Me" BEFORE UPDATE ON public."CamelCase"
    FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TRIGGER v_users_instead INSTEAD OF INSERT ON public.v_users
    FOR EACH ROW EXECUTE FUNCTION public.touch();
SET search_path = public;

-- table_exists --------------------------------------------------------------
SELECT is(migrate.table_exists('users'), true, 'table: unqualified, on search_path');
SELECT is(migrate.table_exists('public.users'), true, 'table: schema-qualified');
SELECT is(migrate.table_exists('USERS'), true, 'table: unquoted folds to lower case');
SELECT is(migrate.table_exists('"USERS"'), false, 'table: quoted keeps case');
SELECT is(migrate.table_exists('"CamelCase"'), true, 'table: quoted mixed case');
SELECT is(migrate.table_exists('CamelCase'), false, 'table: unquoted mixed case folds and misses');
SELECT is(migrate.table_exists('public."CamelCase"'), true, 'table: qualified, quoted');
SELECT is(migrate.table_exists('"Mixed Schema"."Order Items"'), true, 'table: quoted schema and name with spaces');
SELECT is(migrate.table_exists('  "Mixed Schema" . "Order Items"  '), true, 'table: blanks around parts');
SELECT is(migrate.table_exists('"Mixed Schema".order_items'), false, 'table: wrong name in an existing schema');
SELECT is(migrate.table_exists('app.orders'), true, 'table: other schema, qualified');
SELECT is(migrate.table_exists('orders'), false, 'table: schema not on search_path');
SET LOCAL search_path = app, public;
SELECT is(migrate.table_exists('orders'), true, 'table: found once its schema is on search_path');
SET LOCAL search_path = public;
SELECT is(migrate.table_exists(quote_ident(current_database()) || '.public.users'), true, 'table: database.schema.table of the current database');
SELECT throws_ok($$SELECT migrate.table_exists('otherdb.public.users')$$, '0A000', NULL, 'table: another database is not supported');
SELECT is(migrate.table_exists('nosuch'), false, 'table: missing');
SELECT is(migrate.table_exists('nosuchschema.users'), false, 'table: missing schema is false, not an error');
SELECT is(migrate.table_exists(NULL), NULL, 'table: NULL gives NULL');
SELECT is(migrate.table_exists('events'), true, 'table: partitioned table counts');
SELECT is(migrate.table_exists('v_users'), false, 'table: a view is not a table');
SELECT is(migrate.table_exists('app.mv_orders'), false, 'table: a materialized view is not a table');
SELECT is(migrate.table_exists('counter'), false, 'table: a sequence is not a table');
SELECT is(migrate.table_exists('users_age_idx'), false, 'table: an index is not a table');
SELECT is(migrate.table_exists('app.pair'), false, 'table: a composite type is not a table');
SELECT is(migrate.table_exists('pg_class'), true, 'table: pg_catalog is implicitly on search_path');

-- temporary schema
CREATE TEMP TABLE tmp_t (a int);
SELECT is(migrate.table_exists('tmp_t'), true, 'table: temporary table, unqualified');
SELECT is(migrate.table_exists('pg_temp.tmp_t'), true, 'table: temporary table via pg_temp');
SELECT is(migrate.table_exists('public.tmp_t'), false, 'table: temporary table is not in public');
CREATE TABLE public.shadowed (a int);
CREATE TEMP VIEW shadowed AS SELECT 1 AS a;
SELECT is(migrate.table_exists('shadowed'), false, 'table: the temporary schema comes first (a temporary view shadows the table)');
SELECT is(migrate.view_exists('shadowed'), true, 'view: temporary view that shadows a table');
SELECT is(migrate.table_exists('public.shadowed'), true, 'table: the shadowed table, qualified');

-- malformed names are errors; injection attempts are names
SELECT throws_ok($$SELECT migrate.table_exists('')$$, '42602', 'invalid table name ""', 'table: empty name');
SELECT throws_ok($$SELECT migrate.table_exists('   ')$$, '42602', NULL, 'table: blank name');
SELECT throws_ok($$SELECT migrate.table_exists('a b')$$, '42602', 'invalid table name "a b"', 'table: unquoted space');
SELECT throws_ok($$SELECT migrate.table_exists('a..b')$$, '42602', NULL, 'table: empty part');
SELECT throws_ok($$SELECT migrate.table_exists('.users')$$, '42602', NULL, 'table: leading dot');
SELECT throws_ok($$SELECT migrate.table_exists('users.')$$, '42602', NULL, 'table: trailing dot');
SELECT throws_ok($$SELECT migrate.table_exists('"users')$$, '42602', NULL, 'table: unterminated quote');
SELECT throws_ok($$SELECT migrate.table_exists('""')$$, '42602', NULL, 'table: empty quoted name');
SELECT throws_ok($$SELECT migrate.table_exists('a.b.c.d')$$, '42602', NULL, 'table: four parts');
SELECT throws_ok($$SELECT migrate.table_exists('users; DROP TABLE users')$$, '42602', NULL, 'table: injection attempt with spaces is malformed');
SELECT throws_ok($$SELECT migrate.table_exists($q$users'); DROP TABLE users; --$q$)$$, '42602', NULL, 'table: quote-breaking injection is malformed');
SELECT is(migrate.table_exists('"users; DROP TABLE users"'), false, 'table: quoted injection is a name that does not exist');
SELECT is(migrate.table_exists('users;DROP'), false, 'table: unquoted injection without blanks is a name that does not exist');
SELECT is(migrate.table_exists('users'), true, 'table: still there after the injection attempts');

-- index_exists --------------------------------------------------------------
SELECT is(migrate.index_exists('users_age_idx'), true, 'index: unqualified');
SELECT is(migrate.index_exists('public.users_age_idx'), true, 'index: qualified');
SELECT is(migrate.index_exists('USERS_AGE_IDX'), true, 'index: folds to lower case');
SELECT is(migrate.index_exists('"Users Email Lower"'), true, 'index: quoted mixed case');
SELECT throws_ok($$SELECT migrate.index_exists('Users Email Lower')$$, '42602', NULL, 'index: the same name unquoted is malformed');
SELECT is(migrate.index_exists('users_pkey'), true, 'index: primary key index');
SELECT is(migrate.index_exists('orders_user_idx'), false, 'index: schema not on search_path');
SELECT is(migrate.index_exists('app.orders_user_idx'), true, 'index: other schema, qualified');
SELECT is(migrate.index_exists('events_at_idx'), true, 'index: partitioned index');
SELECT is(migrate.index_exists('users'), false, 'index: a table is not an index');
SELECT is(migrate.index_exists('nosuch_idx'), false, 'index: missing');
SELECT is(migrate.index_exists('nosuch.users_age_idx'), false, 'index: missing schema');
SELECT is(migrate.index_exists(NULL), NULL, 'index: NULL gives NULL');
SELECT is(migrate.index_exists('users_age_idx', NULL), NULL, 'index: NULL valid_only gives NULL');
CREATE INDEX tmp_t_a ON tmp_t (a);
SELECT is(migrate.index_exists('pg_temp.tmp_t_a'), true, 'index: on a temporary table');
-- an INVALID index, as a failed CREATE INDEX CONCURRENTLY leaves it
CREATE INDEX users_email_broken ON public.users (email);
UPDATE pg_catalog.pg_index SET indisvalid = false
 WHERE indexrelid = 'public.users_email_broken'::regclass;
SELECT is(migrate.index_exists('users_email_broken'), false, 'index: INVALID does not count by default');
SELECT is(migrate.index_exists('users_email_broken', true), false, 'index: INVALID does not count with valid_only');
SELECT is(migrate.index_exists('users_email_broken', valid_only => false), true, 'index: INVALID counts with valid_only => false');
SELECT throws_ok($$SELECT migrate.index_exists('a b c')$$, '42602', 'invalid index name "a b c"', 'index: malformed');

-- view_exists ---------------------------------------------------------------
SELECT is(migrate.view_exists('v_users'), true, 'view: unqualified');
SELECT is(migrate.view_exists('public.V_USERS'), true, 'view: qualified, folded');
SELECT is(migrate.view_exists('app.mv_orders'), true, 'view: materialized view counts');
SELECT is(migrate.view_exists('mv_orders'), false, 'view: schema not on search_path');
SELECT is(migrate.view_exists('"Mixed Schema"."Big View"'), true, 'view: quoted');
SELECT is(migrate.view_exists('"Mixed Schema".big_view'), false, 'view: wrong case');
SELECT is(migrate.view_exists('users'), false, 'view: a table is not a view');
SELECT is(migrate.view_exists('nosuch'), false, 'view: missing');
SELECT is(migrate.view_exists(NULL), NULL, 'view: NULL gives NULL');
SELECT throws_ok($$SELECT migrate.view_exists('v users')$$, '42602', NULL, 'view: malformed');

-- sequence_exists -------------------------------------------------------------
SELECT is(migrate.sequence_exists('counter'), true, 'sequence: unqualified');
SELECT is(migrate.sequence_exists('public.COUNTER'), true, 'sequence: qualified, folded');
SELECT is(migrate.sequence_exists('app.orders_id_seq'), true, 'sequence: a serial column''s sequence');
SELECT is(migrate.sequence_exists('orders_id_seq'), false, 'sequence: schema not on search_path');
SELECT is(migrate.sequence_exists('"Mixed Schema"."Odd Seq"'), true, 'sequence: quoted');
SELECT is(migrate.sequence_exists('users'), false, 'sequence: a table is not a sequence');
SELECT is(migrate.sequence_exists('nosuch'), false, 'sequence: missing');
CREATE TEMP SEQUENCE tmp_seq;
SELECT is(migrate.sequence_exists('tmp_seq'), true, 'sequence: temporary');
SELECT is(migrate.sequence_exists(NULL), NULL, 'sequence: NULL gives NULL');

-- type_exists ---------------------------------------------------------------
SELECT is(migrate.type_exists('mood'), true, 'type: enum, unqualified');
SELECT is(migrate.type_exists('public.mood'), true, 'type: enum, qualified');
SELECT is(migrate.type_exists('MOOD'), true, 'type: folds to lower case');
SELECT is(migrate.type_exists('"MOOD"'), false, 'type: quoted keeps case');
SELECT is(migrate.type_exists('"Mixed Schema"."Mood Ring"'), true, 'type: quoted schema and name');
SELECT is(migrate.type_exists('app.pair'), true, 'type: composite type made with CREATE TYPE');
SELECT is(migrate.type_exists('pair'), false, 'type: schema not on search_path');
SELECT is(migrate.type_exists('email_address'), true, 'type: domain');
SELECT is(migrate.type_exists('users'), false, 'type: a table''s row type does not count');
SELECT is(migrate.type_exists('v_users'), false, 'type: a view''s row type does not count');
SELECT is(migrate.type_exists('integer'), true, 'type: SQL spelling integer');
SELECT is(migrate.type_exists('int4'), true, 'type: internal spelling int4');
SELECT is(migrate.type_exists('double precision'), true, 'type: two-word type name');
SELECT is(migrate.type_exists('character varying(20)'), true, 'type: type modifiers are ignored');
SELECT is(migrate.type_exists('mood[]'), true, 'type: array of a type');
SELECT is(migrate.type_exists('nosuch'), false, 'type: missing');
SELECT is(migrate.type_exists('nosuch.mood'), false, 'type: missing schema');
SELECT is(migrate.type_exists(NULL), NULL, 'type: NULL gives NULL');
SELECT throws_ok($$SELECT migrate.type_exists('int; DROP TABLE users')$$, '42601', NULL, 'type: malformed type name is a syntax error');

-- schema_exists ---------------------------------------------------------------
SELECT is(migrate.schema_exists('app'), true, 'schema: exists');
SELECT is(migrate.schema_exists('APP'), true, 'schema: folds to lower case');
SELECT is(migrate.schema_exists('"APP"'), false, 'schema: quoted keeps case');
SELECT is(migrate.schema_exists('"Mixed Schema"'), true, 'schema: quoted mixed case');
SELECT is(migrate.schema_exists('pg_catalog'), true, 'schema: pg_catalog');
SELECT is(migrate.schema_exists('pg_temp'), true, 'schema: pg_temp once this session has temporary objects');
SELECT is(migrate.schema_exists('nosuch'), false, 'schema: missing');
SELECT is(migrate.schema_exists(NULL), NULL, 'schema: NULL gives NULL');
SELECT throws_ok($$SELECT migrate.schema_exists('Mixed Schema')$$, '42602', NULL, 'schema: unquoted space is malformed');
SELECT throws_ok($$SELECT migrate.schema_exists('a.b')$$, '42602', NULL, 'schema: a schema name has one part');

-- extension_exists ------------------------------------------------------------
SELECT is(migrate.extension_exists('migrate'), true, 'extension: migrate');
SELECT is(migrate.extension_exists('plpgsql'), true, 'extension: plpgsql');
SELECT is(migrate.extension_exists('PLPGSQL'), true, 'extension: folds to lower case');
SELECT is(migrate.extension_exists('"PLPGSQL"'), false, 'extension: quoted keeps case');
SELECT is(migrate.extension_exists('nosuch_extension'), false, 'extension: missing');
SELECT is(migrate.extension_exists('uuid-ossp'), false, 'extension: a name with a hyphen, not installed');
SELECT is(migrate.extension_exists(NULL), NULL, 'extension: NULL gives NULL');
SELECT throws_ok($$SELECT migrate.extension_exists('public.plpgsql')$$, '42602', NULL, 'extension: a name has one part');

-- function_exists -------------------------------------------------------------
SELECT is(migrate.function_exists('add_user(text, integer)'), true, 'function: unqualified signature');
SELECT is(migrate.function_exists('public.add_user(text,int4)'), true, 'function: qualified, other type spelling');
SELECT is(migrate.function_exists('ADD_USER(TEXT, INT)'), true, 'function: folds to lower case');
SELECT is(migrate.function_exists('add_user(text)'), false, 'function: other argument count');
SELECT is(migrate.function_exists('add_user(varchar, integer)'), false, 'function: other argument type');
SELECT is(migrate.function_exists('add_user'), true, 'function: name alone matches any arguments');
SELECT is(migrate.function_exists('add_user(text, nosuchtype)'), false, 'function: a missing argument type gives false');
SELECT is(migrate.function_exists('app_only()'), false, 'function: schema not on search_path');
SELECT is(migrate.function_exists('app.app_only()'), true, 'function: other schema, qualified');
SELECT is(migrate.function_exists('"Mixed Schema"."MyFunc"(numeric, character varying)'), true, 'function: quoted, typmods ignored');
SELECT is(migrate.function_exists('"Mixed Schema".myfunc(numeric, varchar)'), false, 'function: wrong case');
SELECT is(migrate.function_exists('do_things(int)'), true, 'function: a procedure counts');
SELECT is(migrate.function_exists('my_sum(integer)'), true, 'function: an aggregate counts');
SELECT is(migrate.function_exists('lower(text)'), true, 'function: pg_catalog is implicitly on search_path');
SELECT is(migrate.function_exists('nosuch.add_user(text, integer)'), false, 'function: missing schema');
SELECT is(migrate.function_exists(NULL), NULL, 'function: NULL gives NULL');
SELECT throws_ok($$SELECT migrate.function_exists('add_user(text')$$, '42602', NULL, 'function: unclosed argument list');
SELECT throws_ok($$SELECT migrate.function_exists('add_user(text,)')$$, '42602', NULL, 'function: empty argument');
SELECT throws_ok($$SELECT migrate.function_exists('add user(text)')$$, '42602', NULL, 'function: malformed name');

-- column_exists ---------------------------------------------------------------
SELECT is(migrate.column_exists('users', 'email'), true, 'column: exists');
SELECT is(migrate.column_exists('public.users', 'EMAIL'), true, 'column: folds to lower case');
SELECT is(migrate.column_exists('users', '"EMAIL"'), false, 'column: quoted keeps case');
SELECT is(migrate.column_exists('users', '"MixedCol"'), true, 'column: quoted mixed case');
SELECT is(migrate.column_exists('users', 'MixedCol'), false, 'column: unquoted mixed case folds and misses');
SELECT is(migrate.column_exists('users', 'gone'), false, 'column: a dropped column does not count');
SELECT is(migrate.column_exists('users', 'ctid'), false, 'column: a system column does not count');
SELECT is(migrate.column_exists('v_users', 'email'), true, 'column: of a view');
SELECT is(migrate.column_exists('users', 'nosuch'), false, 'column: missing column');
SELECT is(migrate.column_exists('nosuch', 'email'), false, 'column: missing table');
SELECT is(migrate.column_exists('app.orders', 'user_id'), true, 'column: qualified table');
SELECT is(migrate.column_exists('users', NULL), NULL, 'column: NULL gives NULL');
SELECT throws_ok($$SELECT migrate.column_exists('users', 'a.b')$$, '42602', NULL, 'column: a column name has one part');

-- constraint_exists -----------------------------------------------------------
SELECT is(migrate.constraint_exists('users', 'users_pkey'), true, 'constraint: primary key');
SELECT is(migrate.constraint_exists('users', 'users_email_key'), true, 'constraint: unique');
SELECT is(migrate.constraint_exists('users', 'AGE_POSITIVE'), true, 'constraint: check, folded');
SELECT is(migrate.constraint_exists('app.orders', 'orders_user_id_fkey'), true, 'constraint: foreign key, qualified table');
SELECT is(migrate.constraint_exists('"CamelCase"', '"Camel PK"'), true, 'constraint: quoted mixed case');
SELECT is(migrate.constraint_exists('users', 'nosuch'), false, 'constraint: missing');
SELECT is(migrate.constraint_exists('nosuch', 'users_pkey'), false, 'constraint: missing table');
SELECT is(migrate.constraint_exists('users', NULL), NULL, 'constraint: NULL gives NULL');

-- trigger_exists --------------------------------------------------------------
SELECT is(migrate.trigger_exists('users', 'users_touch'), true, 'trigger: exists');
SELECT is(migrate.trigger_exists('public.users', 'USERS_TOUCH'), true, 'trigger: qualified table, folded');
SELECT is(migrate.trigger_exists('"CamelCase"', '"Touch Me"'), true, 'trigger: quoted mixed case');
SELECT is(migrate.trigger_exists('v_users', 'v_users_instead'), true, 'trigger: INSTEAD OF trigger on a view');
SELECT is(migrate.trigger_exists('users', 'nosuch'), false, 'trigger: missing');
SELECT is(migrate.trigger_exists('app.orders', 'users_touch'), false, 'trigger: on another table');
SELECT is(migrate.trigger_exists(NULL, 'users_touch'), NULL, 'trigger: NULL gives NULL');

-- privileges: every role may ask, even about schemas it cannot enter -----------
CREATE ROLE migrate_tap_reader NOLOGIN;
REVOKE ALL ON SCHEMA app FROM PUBLIC;
SET LOCAL ROLE migrate_tap_reader;
SELECT is(migrate.table_exists('app.orders'), true, 'privileges: a role without USAGE on the schema gets an answer, not an error');
SELECT is(migrate.index_exists('public.users_age_idx'), true, 'privileges: any role may call index_exists');
RESET ROLE;
SELECT is(has_function_privilege('migrate_tap_reader', 'migrate.table_exists(text)', 'EXECUTE'), true, 'privileges: existence helpers are executable by everyone');

SELECT * FROM finish();
ROLLBACK;
