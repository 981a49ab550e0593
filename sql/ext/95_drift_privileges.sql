--------------------------------------------------------------------------
-- Privileges of the DDL ledger (sql/ext/70_drift.sql).  After
-- 90_privileges.sql, whose REVOKE ALL ON ALL TABLES would take them back.
--------------------------------------------------------------------------

-- Nothing for PUBLIC but what follows (90_privileges.sql did this for a new
-- install; the update needs it too, for the same privileges).
REVOKE ALL ON migrate.ddl_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE migrate.ddl_log_id_seq FROM PUBLIC;
-- Everything but the statement text, as migrate.run shows every run.
GRANT SELECT (id, at, db_user, acting_role, application_name, pid, action,
              command_tag, object_type, object_identity, schema_name,
              project, revision, run_id)
    ON migrate.ddl_log TO PUBLIC;
-- The statement text, row by row (the view's own filter).
GRANT SELECT ON migrate.ddl_statement TO PUBLIC;
