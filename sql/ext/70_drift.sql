--------------------------------------------------------------------------
-- Drift: the DDL ledger, drift(), blame(), fingerprint()
-- (src/ddl_log.c, src/drift.c, src/fingerprint.c; docs/drift.md)
--------------------------------------------------------------------------

-- One row per object a DDL command created, altered or dropped, written by
-- the event triggers below (never by hand): when, who (db_user: the session
-- user; acting_role: the current user), application_name, the command tag,
-- the object, and the project, revision and run when a migration ran it
-- (NULL outside migrations).  Objects of schema migrate, temporary objects
-- and what extension scripts create are not recorded.  statement is the
-- text of the command (the revision body's statement, or the client's query
-- string cut as pg_stat_activity cuts it): private, read it through
-- migrate.ddl_statement.  No primary key on purpose: a restore that records
-- its own commands before the dumped rows come back must not fail on
-- duplicate ids; order by (at, id).  No index either: one insert per DDL
-- command must stay cheap.  Rows older than migrate.ddl_log_retention are
-- deleted now and then (default 0: kept for ever).
CREATE TABLE migrate.ddl_log (
    id               bigserial   NOT NULL,
    at               timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    db_user          name        NOT NULL DEFAULT SESSION_USER,
    acting_role      name        NOT NULL DEFAULT CURRENT_USER,
    application_name text,
    pid              integer     NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
    action           text        NOT NULL CHECK (action IN ('create', 'alter', 'drop')),
    command_tag      text        NOT NULL,
    object_type      text,
    object_identity  text,
    schema_name      text,
    project          text,
    revision         text,
    run_id           bigint,
    statement        text
);
COMMENT ON TABLE migrate.ddl_log IS
    'The DDL ledger: one row per object each DDL command created, altered or dropped, with who, when, and the revision and run that ran it (NULL outside migrations); written by event triggers';
COMMENT ON COLUMN migrate.ddl_log.statement IS
    'The command''s text: private (read it through migrate.ddl_statement)';

SELECT pg_catalog.pg_extension_config_dump('migrate.ddl_log', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.ddl_log_id_seq', '');

-- The statement text of the ledger's rows, for those who may see it: the
-- role that ran the command (its session user), members of
-- pg_read_all_stats, superusers -- the rule pg_stat_activity applies to
-- query text.
CREATE VIEW migrate.ddl_statement WITH (security_barrier) AS
    SELECT l.id, l.at, l.db_user, l.command_tag, l.object_identity, l.statement
      FROM migrate.ddl_log l
     WHERE pg_catalog.pg_has_role(CURRENT_USER, 'pg_read_all_stats', 'USAGE')
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname = l.db_user
                      AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'USAGE'));
COMMENT ON VIEW migrate.ddl_statement IS
    'Statement text of migrate.ddl_log rows, visible to the role that ran the command, pg_read_all_stats members and superusers';

-- The fingerprint of the schema each run left (src/fingerprint.c): drift()
-- and verify() compare the schema with the last one.
ALTER TABLE migrate.run_log ADD COLUMN fingerprint text;
COMMENT ON COLUMN migrate.run_log.fingerprint IS
    'migrate.fingerprint() after the run (NULL: none recorded, e.g. a run that failed half way through a non-transactional revision)';

-- the view shows every column of the table (private.sql holds them to it)
CREATE OR REPLACE VIEW migrate.run AS
SELECT r.id, r.kind, r.target, r.status, r.started_at, r.finished_at,
       r.from_heads, r.to_heads, r.db_user, r.application_name, r.pid,
       r.error_revision, r.error_sqlstate,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_message END AS error_message,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_detail END AS error_detail,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_hint END AS error_hint,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_context END AS error_context,
       r.project, r.fingerprint
  FROM migrate.run_log r;

CREATE FUNCTION migrate.ddl_trigger()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'migrate_ddl_trigger'
LANGUAGE C;
COMMENT ON FUNCTION migrate.ddl_trigger() IS
'The event trigger function that records DDL commands in migrate.ddl_log (ddl_command_end and sql_drop); never fails the command it records: an error is a WARNING. SET migrate.track_ddl = off stops it.';

CREATE EVENT TRIGGER migrate_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION migrate.ddl_trigger();
CREATE EVENT TRIGGER migrate_sql_drop ON sql_drop
    EXECUTE FUNCTION migrate.ddl_trigger();

CREATE FUNCTION migrate.drift(
    project text DEFAULT NULL,
    OUT at              timestamptz,
    OUT db_user         name,
    OUT command_tag     text,
    OUT object_type     text,
    OUT object_identity text,
    OUT message         text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_drift'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.drift(text) IS
'What happened to the schema outside migrations: every DDL command recorded outside a migration since the last successful run (oldest first, with who and when), then a row when the schema''s fingerprint differs from the one recorded after the run that left the current revisions. No rows: no drift.
Example: SELECT * FROM migrate.drift();';

CREATE FUNCTION migrate.blame(
    object text,
    OUT at          timestamptz,
    OUT action      text,
    OUT project     text,
    OUT revision    text,
    OUT run_id      bigint,
    OUT db_user     name,
    OUT command_tag text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_blame'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.blame(text) IS
'Who created, altered and dropped an object, oldest first: a table, view, sequence, index, type, function (name or signature) or column (table.column); revision and run_id are NULL for changes made outside migrations. A dropped object is found by its name.
Example: SELECT * FROM migrate.blame(''users.email'');';

CREATE FUNCTION migrate.fingerprint()
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_fingerprint'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.fingerprint() IS
'Hex SHA-256 of a canonical description of the database''s own schema (tables, columns, constraints, indexes, views, sequences, types, functions, triggers, policies, privileges; not schema migrate, system schemas, temporary or extension-owned objects): equal for equal schemas whatever order they were built in.
Example: SELECT migrate.fingerprint();';
