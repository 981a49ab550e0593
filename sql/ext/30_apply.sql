--------------------------------------------------------------------------
-- Applying (src/apply.c, src/runlog.c)
--------------------------------------------------------------------------

CREATE FUNCTION migrate.upgrade(
    target       text DEFAULT 'head',
    project      text DEFAULT NULL,
    OUT step     integer,
    OUT revision text,
    OUT message  text,
    OUT duration interval)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_upgrade'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.upgrade(text, text) IS
'Apply every unapplied ancestor and dependency of the target in a project (NULL: migrate.project), in order, inside the caller''s transaction (all or nothing); one row per revision applied, none when nothing is pending. Bodies are parsed before any runs; each runs in a subtransaction as the caller, with its settings discarded afterwards. A failure keeps the body''s SQLSTATE and message, names the revision, and is recorded in migrate.run. A dependency on another project''s revision (depends_on ''project:id'') must be applied already: an upgrade never applies another project''s revisions (SQLSTATE 55000 before anything runs).
Example: SELECT * FROM migrate.upgrade(''head''); SELECT * FROM migrate.upgrade(''head'', ''billing'');';

CREATE FUNCTION migrate.downgrade(
    target       text,
    project      text DEFAULT NULL,
    OUT step     integer,
    OUT revision text,
    OUT message  text,
    OUT duration interval)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_downgrade'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.downgrade(text, text) IS
'Run downgrade bodies of a project (NULL: migrate.project), newest first: of every applied descendant of an id (which stays applied), of everything in the project (''base''), of the current revision N times (''-N''), or of a branch (''<label>@base''). Refuses before running anything if a revision on the way is irreversible, or is the dependency of another project''s applied revision.
Example: SELECT * FROM migrate.downgrade(''-1'');';

CREATE FUNCTION migrate.stamp(
    target       text,
    project      text DEFAULT NULL,
    OUT revision text,
    OUT change   text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_stamp'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.stamp(text, text) IS
'Record the target and its ancestors as applied and its descendants as not applied in a project (NULL: migrate.project), running no body (for tables that already exist); ''base'' clears the project. Returns the revisions whose state changed; records a run.
Example: SELECT * FROM migrate.stamp(''head'');';

CREATE FUNCTION migrate.sql(target text DEFAULT 'head', direction text DEFAULT 'up',
                            project text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_sql'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.sql(text, text, text) IS
'The offline script of an upgrade of a project (NULL: migrate.project) (or, with direction ''down'', a downgrade): the bodies and the bookkeeping, for review or for psql on a database in the same state. Runs nothing.
Example: \copy (SELECT migrate.sql(''head'')) TO ''upgrade.sql''';

CREATE PROCEDURE migrate.run(target text DEFAULT 'head', direction text DEFAULT 'up',
                             project text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'migrate_run'
LANGUAGE C;
COMMENT ON PROCEDURE migrate.run(text, text, text) IS
'Upgrade (or, with direction ''down'', downgrade) a project (NULL: migrate.project) to the target one revision per transaction, committing after each: the way to run non-transactional revisions (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE then its use, VACUUM), whose statements run one at a time at top level. The plan is fixed when the call starts. Call it outside a transaction block.
Example: CALL migrate.run(''head''); CALL migrate.run(''-1'', ''down'');';

REVOKE EXECUTE ON PROCEDURE migrate.run(text, text, text) FROM PUBLIC;

REVOKE EXECUTE ON FUNCTION
    migrate.upgrade(text, text),
    migrate.downgrade(text, text),
    migrate.stamp(text, text),
    migrate.sql(text, text, text)
    FROM PUBLIC;
