--------------------------------------------------------------------------
-- Privileges of the core (sections of later files grant their own)
--------------------------------------------------------------------------

GRANT USAGE ON SCHEMA migrate TO PUBLIC;

REVOKE ALL ON ALL TABLES IN SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrate FROM PUBLIC;
GRANT SELECT ON migrate.run, migrate.run_step, migrate.applied TO PUBLIC;
-- Everything about a revision but its bodies.
GRANT SELECT (project, id, down_revision, depends_on, branch_labels, message,
              transactional, source, checksum, upgrade_problem,
              downgrade_problem, registered_at, registered_by, content_hash)
    ON migrate.revision TO PUBLIC;

REVOKE EXECUTE ON FUNCTION
    migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text),
    migrate.remove(text, text)
    FROM PUBLIC;

