--------------------------------------------------------------------------
-- Privileges of the core (sections of later files grant their own)
--------------------------------------------------------------------------

GRANT USAGE ON SCHEMA migrate TO PUBLIC;

REVOKE ALL ON ALL TABLES IN SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA migrate FROM PUBLIC;
-- The run log through its view (run errors masked: migrate.run_log itself
-- is the owner's).
GRANT SELECT ON migrate.run, migrate.run_step, migrate.revision_checksum TO PUBLIC;
-- Everything about a revision but its bodies and what confirms a guess of
-- them (checksum, content_hash; migrate.revision_checksum shows checksums
-- to those who may read them).
GRANT SELECT (project, id, down_revision, depends_on, branch_labels, message,
              transactional, source, upgrade_problem,
              downgrade_problem, registered_at, registered_by)
    ON migrate.revision TO PUBLIC;
-- The applied state but its checksums.
GRANT SELECT (project, revision, applied_at, applied_by, run_id)
    ON migrate.applied TO PUBLIC;

REVOKE EXECUTE ON FUNCTION
    migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text),
    migrate.remove(text, text)
    FROM PUBLIC;

