/*
 * migrate: schema history kept inside the database.
 *
 * This script creates the catalog tables, the SQL-callable functions and
 * their privileges.  The C code in src/ reads the catalog tables directly
 * (a heap scan under the caller's snapshot), so status and validation work
 * for every role while the revision bodies stay private; it writes them
 * through SPI as the extension owner, with search_path pinned.
 */

\echo Use "CREATE EXTENSION migrate" to load this file. \quit

--------------------------------------------------------------------------
-- Catalog
--------------------------------------------------------------------------

-- One row per registered revision.  Bodies are text; the checksum covers the
-- normalised bodies, parents, dependencies, labels and the transactional flag
-- (not message or source, which may change at any time); content_hash is a
-- fast hash of the stored bytes, for validate().  The *_problem
-- columns keep the parser's verdict on each body, computed once when the
-- revision is registered, so validation does not re-parse 100,000 bodies.
--
-- Every row belongs to a project (a history of its own; ids are unique per
-- project).  project comes first: a graph load reads one project, and its
-- heap scan skips another project's row after deforming one column.  A
-- catalog updated from 0.1 has project last (ALTER TABLE ADD COLUMN); the
-- C code finds every column by name, so both layouts work.
CREATE TABLE migrate.revision (
    project           text        NOT NULL DEFAULT 'default',
    -- read by every graph load: kept first, so a scan deforms only these
    id                text        NOT NULL,
    down_revision     text[]      NOT NULL DEFAULT '{}',
    depends_on        text[]      NOT NULL DEFAULT '{}',
    branch_labels     text[]      NOT NULL DEFAULT '{}',
    transactional     boolean     NOT NULL DEFAULT true,
    registered_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- read by status, history and validation
    checksum          text        NOT NULL,
    message           text,
    source            text,
    upgrade_problem   text,
    downgrade_problem text,
    registered_by     name        NOT NULL DEFAULT CURRENT_USER,
    -- fast hash of the stored content (validate() detects rows edited
    -- outside migrate.add with it, without re-hashing with SHA-256)
    content_hash      bigint      NOT NULL,
    -- read only when a plan runs (or validation recomputes checksums)
    upgrade           text        NOT NULL,
    downgrade         text,
    PRIMARY KEY (project, id)
);
COMMENT ON TABLE migrate.revision IS
    'Registered revisions (write through migrate.add and migrate.remove only)';

-- Run history: one row per upgrade or downgrade that had something to do,
-- per stamp, and per failed upgrade or downgrade (written in a transaction
-- of its own).  'running' is seen only for CALL migrate.run, which commits
-- its run row first; one left behind by a crash is marked failed by the next
-- migration.  Everyone reads it through the view migrate.run, which shows
-- the error texts only to those who may read them (below).  The sequence
-- keeps the name it had when this table was migrate.run (0.1).
CREATE SEQUENCE migrate.run_id_seq;
CREATE TABLE migrate.run_log (
    id               bigint      NOT NULL DEFAULT pg_catalog.nextval('migrate.run_id_seq') PRIMARY KEY,
    kind             text        NOT NULL
                     CHECK (kind IN ('upgrade', 'downgrade', 'stamp')),
    target           text,
    status           text        NOT NULL
                     CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at      timestamptz,
    from_heads       text[]      NOT NULL DEFAULT '{}',
    to_heads         text[],
    db_user          name        NOT NULL DEFAULT SESSION_USER,
    application_name text,
    pid              integer     NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
    error_revision   text,
    error_sqlstate   text,
    error_message    text,
    error_detail     text,
    error_hint       text,
    error_context    text,
    -- last, as ALTER TABLE ADD COLUMN put it in catalogs updated from 0.1,
    -- so SELECT * shows the same columns either way
    project          text        NOT NULL DEFAULT 'default',
    -- a project's runs, newest first (status, projects()), and the key
    -- that run_step's rows reference
    CONSTRAINT run_log_project_id_key UNIQUE (project, id)
);
ALTER SEQUENCE migrate.run_id_seq OWNED BY migrate.run_log.id;
COMMENT ON TABLE migrate.run_log IS
    'One row per upgrade, downgrade or stamp run, failed runs included (read it through the view migrate.run)';

-- Applied state: which revisions are applied.  Not a foreign key to
-- migrate.revision on purpose: a row whose revision is no longer registered
-- is reported by validate() as applied_unknown instead of being lost.
CREATE TABLE migrate.applied (
    revision   text        NOT NULL,
    checksum   text,
    applied_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    applied_by name        NOT NULL DEFAULT SESSION_USER,
    run_id     bigint      REFERENCES migrate.run_log (id) ON DELETE SET NULL,
    project    text        NOT NULL DEFAULT 'default',
    PRIMARY KEY (project, revision)
);
COMMENT ON TABLE migrate.applied IS
    'Revisions recorded as applied (by upgrade or stamp)';

CREATE TABLE migrate.run_step (
    run_id     bigint      NOT NULL,
    step       integer     NOT NULL,
    revision   text        NOT NULL,
    direction  text        NOT NULL CHECK (direction IN ('up', 'down')),
    started_at timestamptz NOT NULL,
    duration   interval,
    status     text        NOT NULL
               CHECK (status IN ('succeeded', 'failed', 'stamped')),
    project    text        NOT NULL DEFAULT 'default',
    PRIMARY KEY (run_id, step),
    -- a step belongs to a run of the same project
    CONSTRAINT run_step_run_id_fkey FOREIGN KEY (project, run_id)
        REFERENCES migrate.run_log (project, id) ON DELETE CASCADE
);
COMMENT ON TABLE migrate.run_step IS
    'One row per revision run (or stamped) by a run';

-- Keep everything across pg_dump / pg_restore.
SELECT pg_catalog.pg_extension_config_dump('migrate.revision', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.applied', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.run_log', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.run_step', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.run_id_seq', '');

--------------------------------------------------------------------------
-- Private run text: run errors and checksums
--------------------------------------------------------------------------

-- The message, detail, hint and context of a failed run, and checksums,
-- are visible to the role that ran (registered, applied) it and roles with
-- its privileges, members of pg_read_all_stats and superusers, as
-- pg_stat_activity shows query text; everyone else sees the revision, the
-- SQLSTATE and the status.
CREATE FUNCTION migrate.may_read_private(role name)
RETURNS boolean
AS 'MODULE_PATHNAME', 'migrate_may_read_private'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION migrate.may_read_private(name) IS
'Whether the current role may read the private text (run errors, checksums) of what the given role did: it has that role''s privileges, is a member of pg_read_all_stats, or is a superuser. migrate.run and migrate.revision_checksum show private columns only where this is true.
Example: SELECT id, migrate.may_read_private(db_user) FROM migrate.run;';

-- migrate.run: the run log as everyone may read it.  A plain view over one
-- table, so INSERT and DELETE through it still work for the catalog's
-- owner; the masked columns are read-only.
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

-- Checksums of registered revisions (and of what was applied), for the
-- roles that may read them: the registrant (applied: the role that applied
-- it), pg_read_all_stats, superusers.  NULL for everyone else: a checksum
-- confirms a guess of a secret in a body.
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

--------------------------------------------------------------------------
-- Registry
--------------------------------------------------------------------------

CREATE FUNCTION migrate.add(
    revision      text,
    upgrade       text,
    downgrade     text    DEFAULT NULL,
    down_revision text[]  DEFAULT NULL,
    message       text    DEFAULT NULL,
    branch_labels text[]  DEFAULT NULL,
    depends_on    text[]  DEFAULT NULL,
    transactional boolean DEFAULT true,
    source        text    DEFAULT NULL,
    project       text    DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_add'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text) IS
'Register a revision in a project (NULL: the setting migrate.project, ''default'' unless set); returns its id. Re-adding an identical revision is a no-op (message and source may change), a changed one replaces it while unapplied and is refused once applied. depends_on may name another project''s revision as ''project:id''.
Example: SELECT migrate.add(''0002_users'', ''CREATE TABLE users (id int)'', ''DROP TABLE users'', down_revision => ''{0001_init}'', project => ''accounts'');';

CREATE FUNCTION migrate.remove(revision text, project text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_remove'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.remove(text, text) IS
'Unregister an unapplied revision of a project (NULL: migrate.project); returns its id. Applied revisions cannot be removed (downgrade first).
Example: SELECT migrate.remove(''0002_users'');';

--------------------------------------------------------------------------
-- Status
--------------------------------------------------------------------------

CREATE FUNCTION migrate.current(project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_current'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.current(text) IS
'Applied revisions of a project (NULL: migrate.project) with no applied child (one per applied branch).
Example: SELECT * FROM migrate.current(); SELECT * FROM migrate.current(''billing'');';

CREATE FUNCTION migrate.heads(project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_heads'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.heads(text) IS
'Registered revisions of a project (NULL: migrate.project) that no revision names as its parent.
Example: SELECT * FROM migrate.heads();';

CREATE FUNCTION migrate.bases(project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_bases'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.bases(text) IS
'Registered revisions of a project (NULL: migrate.project) without parents.
Example: SELECT * FROM migrate.bases();';

CREATE FUNCTION migrate.history(
    project           text DEFAULT NULL,
    OUT revision      text,
    OUT down_revision text[],
    OUT message       text,
    OUT applied       boolean,
    OUT applied_at    timestamptz,
    OUT is_head       boolean,
    OUT is_current    boolean,
    OUT is_base       boolean,
    OUT branch_labels text[],
    OUT depends_on    text[],
    OUT transactional boolean,
    OUT reversible    boolean,
    OUT source        text,
    OUT registered_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_history'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.history(text) IS
'Every revision of a project (NULL: migrate.project), base first in a deterministic topological order, with its applied state; revisions recorded as applied but not registered come last.  An argument with a colon is a range of the project migrate.project (no project name has a colon), as alembic history -r A:B: A and what an upgrade from state A to state B applies (an empty end is base or heads; current is the applied state).
Example: SELECT revision, message, applied, is_head FROM migrate.history();
Example: SELECT revision FROM migrate.history(''current:'');';

CREATE FUNCTION migrate.status(
    project              text DEFAULT NULL,
    OUT current          text[],
    OUT heads            text[],
    OUT at_head          boolean,
    OUT pending          integer,
    OUT applied          integer,
    OUT registered       integer,
    OUT errors           integer,
    OUT warnings         integer,
    OUT last_run_id      bigint,
    OUT last_run_kind    text,
    OUT last_run_status  text,
    OUT last_run_at      timestamptz,
    OUT last_run_error   text)
RETURNS record
AS 'MODULE_PATHNAME', 'migrate_status'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.status(text) IS
'One row for a project (NULL: migrate.project): current and head revisions, whether every head is applied, pending/applied/registered counts, the number of validation errors and warnings, and the last run (last_run_status ''interrupted'': a CALL migrate.run whose session ended or whose server restarted before it finished; the next migration records it as failed).
Example: SELECT * FROM migrate.status();';

-- Every project in the database (src/projects.c): one row each, readable
-- by everyone, for the operator who runs several services on one database.
CREATE FUNCTION migrate.projects(
    OUT project          text,
    OUT current          text[],
    OUT heads            text[],
    OUT pending          integer,
    OUT applied          integer,
    OUT last_run_at      timestamptz,
    OUT last_run_status  text,
    OUT errors           integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_projects'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.projects() IS
'One row per project (a project has registered revisions, applied revisions or runs), by name: its current and head revisions, pending and applied counts, its last run (when, and succeeded / failed / running / interrupted) and the number of error findings of validate(project).
Example: SELECT * FROM migrate.projects();';

--------------------------------------------------------------------------
-- Targets and plans
--------------------------------------------------------------------------

CREATE FUNCTION migrate.resolve(target text, project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_resolve'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.resolve(text, text) IS
'The revision(s) a target names in a project (NULL: migrate.project; never another project''s): head, heads, base (no rows), an id or unique prefix, +N, -N, <id>+N, <id>-N, <label>@head, <label>@base, <label>@+N, <label>@-N.
Example: SELECT * FROM migrate.resolve(''head'');';

CREATE FUNCTION migrate.plan(
    target    text DEFAULT 'head',
    direction text DEFAULT 'up',
    project   text DEFAULT NULL,
    OUT step          integer,
    OUT revision      text,
    OUT direction     text,
    OUT message       text,
    OUT transactional boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_plan'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.plan(text, text, text) IS
'The steps an upgrade (direction ''up'') or a downgrade (''down'') to the target would take, in order; runs nothing.
Example: SELECT * FROM migrate.plan(''head''); SELECT * FROM migrate.plan(''-1'', ''down'');';

--------------------------------------------------------------------------
-- Validation
--------------------------------------------------------------------------

CREATE FUNCTION migrate.validate(
    project      text DEFAULT NULL,
    OUT severity text,
    OUT code     text,
    OUT revision text,
    OUT message  text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_validate'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.validate(text) IS
'Findings about a project''s revision chain (NULL: migrate.project), errors first: missing_parent, missing_dependency, cycle, duplicate_label, applied_unknown, applied_gap, checksum_mismatch, source_mismatch, unparsable_body (errors); multiple_heads, multiple_bases (warnings, or info when each has its own branch label); irreversible (info).
Example: SELECT * FROM migrate.validate() WHERE severity = ''error'';';

CREATE FUNCTION migrate.check(project text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'migrate_check'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.check(text) IS
'Raise one error (SQLSTATE 42P17) that lists every error finding of validate(project); silent when the chain is sound.
Example: SELECT migrate.check();';

