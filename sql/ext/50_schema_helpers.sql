--------------------------------------------------------------------------
-- Schema helpers: existence checks, ensure(), verify()  (src/schema.c,
-- src/ensure.c, src/verify.c)
--
-- The existence helpers read the system catalogs through the syscache: no
-- SQL is built from their arguments.  Names parse as in SQL: unquoted parts
-- fold to lower case, "Quoted" parts keep case, an optional schema
-- qualifies, otherwise search_path resolves.  A missing schema or object is
-- false, NULL is NULL, a malformed name is an error (SQLSTATE 42602).
--------------------------------------------------------------------------

CREATE FUNCTION migrate.table_exists(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_table_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.table_exists(text) IS
'Is there an ordinary or partitioned table of this name (not a view, foreign table or other relation)? Resolves like SQL: schema-qualified or along search_path, temporary tables included.
Example: SELECT migrate.table_exists(''public.users''), migrate.table_exists(''"Audit Log"'');';

CREATE FUNCTION migrate.index_exists(name text, valid_only boolean DEFAULT true)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_index_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.index_exists(text, boolean) IS
'Is there an index of this name? By default an INVALID index (left by a failed CREATE INDEX CONCURRENTLY, or still being built) does not count; pass valid_only => false to count it.
Example: SELECT migrate.index_exists(''public.users_email_idx''), migrate.index_exists(''users_email_idx'', valid_only => false);';

CREATE FUNCTION migrate.view_exists(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_view_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.view_exists(text) IS
'Is there a view or materialized view of this name?
Example: SELECT migrate.view_exists(''reporting.active_users'');';

CREATE FUNCTION migrate.sequence_exists(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_sequence_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.sequence_exists(text) IS
'Is there a sequence of this name?
Example: SELECT migrate.sequence_exists(''public.users_id_seq'');';

CREATE FUNCTION migrate.type_exists(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_type_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.type_exists(text) IS
'Is there a type of this name, written in SQL type syntax (integer, public.mood, "My Type", text[])? The row type a table, view or sequence carries implicitly does not count; a composite type made with CREATE TYPE does.
Example: SELECT migrate.type_exists(''commitment_state'');';

CREATE FUNCTION migrate.schema_exists(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_schema_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.schema_exists(text) IS
'Is there a schema of this name? pg_temp means this session''s temporary schema.
Example: SELECT migrate.schema_exists(''billing'');';

CREATE FUNCTION migrate.extension_exists(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_extension_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.extension_exists(text) IS
'Is this extension installed in the current database (not merely available)?
Example: SELECT migrate.extension_exists(''pgcrypto''), migrate.extension_exists(''uuid-ossp'');';

CREATE FUNCTION migrate.function_exists(signature text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_function_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.function_exists(text) IS
'Is there a function, procedure or aggregate with this signature, written as for regprocedure: name(argument types), qualified or along search_path? A name without parentheses matches any argument list. An argument type that does not exist gives false.
Example: SELECT migrate.function_exists(''public.add_user(text, integer)''), migrate.function_exists(''gen_random_uuid'');';

CREATE FUNCTION migrate.column_exists(tbl text, col text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_column_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.column_exists(text, text) IS
'Does the table (or view, materialized view, foreign table) have this column? The column name parses like the table name: unquoted folds to lower case. Dropped and system columns do not count.
Example: SELECT migrate.column_exists(''public.users'', ''email'');';

CREATE FUNCTION migrate.constraint_exists(tbl text, con text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_constraint_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.constraint_exists(text, text) IS
'Does the table have a constraint (primary key, unique, foreign key, check, exclusion) of this name?
Example: SELECT migrate.constraint_exists(''public.roles'', ''roles_party_id_fkey'');';

CREATE FUNCTION migrate.trigger_exists(tbl text, trg text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_trigger_exists'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.trigger_exists(text, text) IS
'Does the table (or view) have a trigger of this name?
Example: SELECT migrate.trigger_exists(''public.documents'', ''documents_touch'');';

CREATE FUNCTION migrate.ensure(statement text)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_ensure'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION migrate.ensure(text) IS
'Run one CREATE INDEX, CREATE TABLE, ALTER TABLE ... ADD COLUMN, CREATE TYPE ... AS ENUM, CREATE SCHEMA or CREATE EXTENSION statement unless its object exists: returns ''created'' or ''unchanged''. An object of that name with another definition is an error that shows both definitions (what IF NOT EXISTS accepts silently). Definitions are compared parsed, not as text. Other statements, or several, are refused (0A000) and nothing runs.
Example: SELECT migrate.ensure(''CREATE INDEX users_email_idx ON users (lower(email))'');';

CREATE FUNCTION migrate.verify(
    extensions   text[] DEFAULT NULL,
    tables       text[] DEFAULT NULL,
    indexes      text[] DEFAULT NULL,
    project      text   DEFAULT NULL,
    OUT severity text,
    OUT code     text,
    OUT object   text,
    OUT message  text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_verify'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.verify(text[], text[], text[], text) IS
'Health report, one row per finding, errors first: the extension and its version (info), revision counts of the project (NULL: migrate.project) (info), missing_extension / missing_table / missing_index for the names passed, errors and warnings of validate(project), the project''s pending revisions, and INVALID indexes anywhere in the database (errors). Healthy when no row has severity ''error''.
Example: SELECT * FROM migrate.verify(extensions => ''{pgcrypto,pg_trgm}'', tables => ''{parties,roles}'') WHERE severity = ''error'';';

-- Existence checks and the health report are for everyone; ensure() runs
-- DDL (as the caller) and is granted by the extension's owner to the roles
-- that migrate.
GRANT EXECUTE ON FUNCTION
    migrate.table_exists(text),
    migrate.index_exists(text, boolean),
    migrate.view_exists(text),
    migrate.sequence_exists(text),
    migrate.type_exists(text),
    migrate.schema_exists(text),
    migrate.extension_exists(text),
    migrate.function_exists(text),
    migrate.column_exists(text, text),
    migrate.constraint_exists(text, text),
    migrate.trigger_exists(text, text),
    migrate.verify(text[], text[], text[], text)
    TO PUBLIC;
REVOKE EXECUTE ON FUNCTION migrate.ensure(text) FROM PUBLIC;
