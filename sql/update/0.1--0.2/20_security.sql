--------------------------------------------------------------------------
-- 0.1 -> 0.2: private run errors and checksums (sql/ext/00_catalog_status.sql
-- and 90_privileges.sql).  The role boundary needs no catalog change:
-- migrate.revision.registered_by is 0.1's.
--------------------------------------------------------------------------

-- The run log's table becomes migrate.run_log, and migrate.run a view of it
-- that shows error texts only to those who may read them.  Rows, ids, the
-- sequence (migrate.run_id_seq keeps its name), the foreign keys of
-- migrate.applied and migrate.run_step and the pg_dump marking all follow
-- the table; the constraints take the names a new install gives them.
ALTER TABLE migrate.run RENAME TO run_log;
ALTER TABLE migrate.run_log RENAME CONSTRAINT run_pkey TO run_log_pkey;
ALTER TABLE migrate.run_log RENAME CONSTRAINT run_kind_check TO run_log_kind_check;
ALTER TABLE migrate.run_log RENAME CONSTRAINT run_status_check TO run_log_status_check;
COMMENT ON TABLE migrate.run_log IS
    'One row per upgrade, downgrade or stamp run, failed runs included (read it through the view migrate.run)';
REVOKE ALL ON migrate.run_log FROM PUBLIC;

CREATE FUNCTION migrate.may_read_private(role name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_may_read_private'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.may_read_private(name) IS
'Whether the current role may read the private text (run errors, checksums) of what the given role did: it has that role''s privileges, is a member of pg_read_all_stats, or is a superuser. migrate.run and migrate.revision_checksum show private columns only where this is true.
Example: SELECT id, migrate.may_read_private(db_user) FROM migrate.run;';

CREATE VIEW migrate.run AS
SELECT r.id, r.kind, r.target, r.status, r.started_at, r.finished_at,
       r.from_heads, r.to_heads, r.db_user, r.application_name, r.pid,
       r.error_revision, r.error_sqlstate,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_message END AS error_message,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_detail END AS error_detail,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_hint END AS error_hint,
       CASE WHEN migrate.may_read_private(r.db_user) THEN r.error_context END AS error_context,
       r.project
  FROM migrate.run_log r;
COMMENT ON VIEW migrate.run IS
    'One row per upgrade, downgrade or stamp run, failed runs included; the error message, detail, hint and context only for the role that ran it, members of pg_read_all_stats and superusers';

CREATE VIEW migrate.revision_checksum AS
SELECT r.id AS revision,
       CASE WHEN migrate.may_read_private(r.registered_by) THEN r.checksum END AS checksum,
       r.registered_by,
       CASE WHEN migrate.may_read_private(a.applied_by) THEN a.checksum END AS applied_checksum,
       a.applied_by,
       r.project
  FROM migrate.revision r
  LEFT JOIN migrate.applied a ON a.project = r.project AND a.revision = r.id;
COMMENT ON VIEW migrate.revision_checksum IS
    'Checksums of registered revisions and of their applied content, visible to the role that registered (applied) them, members of pg_read_all_stats and superusers';

-- Checksums (and content_hash, which confirms a guess of a body as well)
-- are no longer readable by PUBLIC; the applied state keeps every other
-- column.
REVOKE ALL ON migrate.run, migrate.revision_checksum FROM PUBLIC;
GRANT SELECT ON migrate.run, migrate.revision_checksum TO PUBLIC;
REVOKE SELECT (checksum, content_hash) ON migrate.revision FROM PUBLIC;
REVOKE SELECT ON migrate.applied FROM PUBLIC;
GRANT SELECT (project, revision, applied_at, applied_by, run_id)
    ON migrate.applied TO PUBLIC;
