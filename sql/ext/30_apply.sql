--------------------------------------------------------------------------
-- Applying (src/apply.c, src/runlog.c)
--------------------------------------------------------------------------

CREATE FUNCTION migrate.upgrade(
    target       text DEFAULT 'head',
    OUT step     integer,
    OUT revision text,
    OUT message  text,
    OUT duration interval)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_upgrade'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.upgrade(text) IS
'Apply every unapplied ancestor and dependency of the target, in order, inside the caller''s transaction (all or nothing); one row per revision applied, none when nothing is pending. Bodies are parsed before any runs; each runs in a subtransaction as the caller, with its settings discarded afterwards. A failure keeps the body''s SQLSTATE and message, names the revision, and is recorded in migrate.run.
Example: SELECT * FROM migrate.upgrade(''head'');';

CREATE FUNCTION migrate.downgrade(
    target       text,
    OUT step     integer,
    OUT revision text,
    OUT message  text,
    OUT duration interval)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_downgrade'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.downgrade(text) IS
'Run downgrade bodies, newest first: of every applied descendant of an id (which stays applied), of everything (''base''), of the current revision N times (''-N''), or of a branch (''<label>@base''). Refuses before running anything if a revision on the way is irreversible.
Example: SELECT * FROM migrate.downgrade(''-1'');';

CREATE FUNCTION migrate.stamp(
    target       text,
    OUT revision text,
    OUT change   text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_stamp'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.stamp(text) IS
'Record the target and its ancestors as applied and its descendants as not applied, running no body (for tables that already exist); ''base'' clears all. Returns the revisions whose state changed; records a run.
Example: SELECT * FROM migrate.stamp(''head'');';

CREATE FUNCTION migrate.sql(target text DEFAULT 'head', direction text DEFAULT 'up')
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_sql'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.sql(text, text) IS
'The offline script of an upgrade (or, with direction ''down'', a downgrade): the bodies and the bookkeeping, for review or for psql on a database in the same state. Runs nothing.
Example: \copy (SELECT migrate.sql(''head'')) TO ''upgrade.sql''';

CREATE PROCEDURE migrate.run(target text DEFAULT 'head', direction text DEFAULT 'up')
AS 'MODULE_PATHNAME', 'migrate_run'
LANGUAGE C;
COMMENT ON PROCEDURE migrate.run(text, text) IS
'Upgrade (or, with direction ''down'', downgrade) to the target one revision per transaction, committing after each: the way to run non-transactional revisions (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE then its use, VACUUM), whose statements run one at a time at top level. The plan is fixed when the call starts. Call it outside a transaction block.
Example: CALL migrate.run(''head''); CALL migrate.run(''-1'', ''down'');';

REVOKE EXECUTE ON PROCEDURE migrate.run(text, text) FROM PUBLIC;

REVOKE EXECUTE ON FUNCTION
    migrate.upgrade(text),
    migrate.downgrade(text),
    migrate.stamp(text),
    migrate.sql(text, text)
    FROM PUBLIC;
