-- What a person sees with the schema helpers: answers, and the errors.
\pset null '(null)'
CREATE SCHEMA sh;
SET search_path = sh, public;
CREATE TABLE sh.users (id int PRIMARY KEY, email text);
CREATE VIEW sh.v_users AS SELECT id FROM sh.users;

-- existence
SELECT migrate.table_exists('users') AS unqualified,
       migrate.table_exists('SH.USERS') AS folded,
       migrate.table_exists('"USERS"') AS quoted,
       migrate.table_exists('v_users') AS view_is_no_table,
       migrate.view_exists('v_users') AS view,
       migrate.table_exists('nosuch.users') AS missing_schema,
       migrate.table_exists(NULL) AS null_name;
SELECT migrate.column_exists('users', 'email'),
       migrate.constraint_exists('users', 'users_pkey'),
       migrate.index_exists('users_pkey'),
       migrate.function_exists('lower(text)'),
       migrate.type_exists('integer'),
       migrate.schema_exists('sh'),
       migrate.extension_exists('migrate');
-- malformed names
SELECT migrate.table_exists('users; DROP TABLE users');
SELECT migrate.table_exists('sh..users');
SELECT migrate.table_exists('"users');
SELECT migrate.table_exists('a.b.c.d');
SELECT migrate.column_exists('users', 'a.b');
SELECT migrate.function_exists('lower(text');
-- a quoted injection attempt is only a name
SELECT migrate.table_exists('"users; DROP TABLE users"');

-- ensure: created, unchanged, differs
SELECT migrate.ensure('CREATE INDEX users_email_idx ON users (lower(email))');
SELECT migrate.ensure('create index USERS_EMAIL_IDX on sh.users using btree (lower((email)::text))');
SELECT migrate.ensure('CREATE INDEX users_email_idx ON users (email)');
SELECT migrate.ensure('CREATE UNIQUE INDEX users_email_idx ON users (lower(email)) WHERE email IS NOT NULL');
SELECT migrate.ensure('CREATE TABLE users (email text, id integer NOT NULL)');
SELECT migrate.ensure('CREATE TABLE users (id bigint PRIMARY KEY, email varchar(320) NOT NULL, name text)');
SELECT migrate.ensure('CREATE TABLE v_users (id int)');
SELECT migrate.ensure('ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT ''active''');
SELECT migrate.ensure('ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT ''active''::text');
SELECT migrate.ensure('ALTER TABLE users ADD COLUMN status text DEFAULT ''new''');
SELECT migrate.ensure('CREATE TYPE mood AS ENUM (''sad'', ''ok'')');
SELECT migrate.ensure('CREATE TYPE mood AS ENUM (''sad'', ''ok'', ''happy'')');
SELECT migrate.ensure('CREATE TYPE mood AS ENUM (''ok'', ''sad'')');
SELECT migrate.ensure('CREATE SCHEMA sh');
SELECT migrate.ensure('CREATE EXTENSION plpgsql VERSION ''0.0''');
-- refused
SELECT migrate.ensure('DROP TABLE users');
SELECT migrate.ensure('CREATE TABLE a (x int); DROP TABLE users');
SELECT migrate.ensure('CREATE TABLE b (x int');
SELECT migrate.ensure('CREATE INDEX CONCURRENTLY users_id_idx ON users (id)');

-- a failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind
CREATE TABLE sh.dup (a int);
INSERT INTO sh.dup VALUES (1), (1);
CREATE UNIQUE INDEX CONCURRENTLY dup_a ON sh.dup (a);
SELECT migrate.index_exists('dup_a') AS valid_only,
       migrate.index_exists('dup_a', valid_only => false) AS any;
SELECT migrate.ensure('CREATE UNIQUE INDEX dup_a ON dup (a)');
SELECT severity, code, object FROM migrate.verify()
 WHERE code IN ('invalid_index', 'missing_table', 'missing_extension');
SELECT severity, code, object
  FROM migrate.verify(extensions => '{plpgsql,no_such_ext}', tables => '{users,nosuch}')
 WHERE code IN ('invalid_index', 'missing_table', 'missing_extension');

SET client_min_messages = warning;
DROP SCHEMA sh CASCADE;
