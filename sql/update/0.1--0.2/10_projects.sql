--------------------------------------------------------------------------
-- Projects: several histories in one database (src/projects.c)
--
-- Every row of migrate.revision, applied, run and run_step gets a project;
-- the history a 0.1 database kept lands in the project 'default'.  Columns
-- are added (ALTER TABLE ADD COLUMN with a constant default: no table
-- rewrite, every row kept where it is, the tables keep their OIDs, so
-- their pg_extension_config_dump marks, grants and comments stay); the
-- column therefore comes last here, while a fresh install puts
-- migrate.revision's first.  The C code finds every column by name.
-- Keys become (project, id) and (project, revision): ids are unique per
-- project.
--------------------------------------------------------------------------

ALTER TABLE migrate.revision
    ADD COLUMN project text NOT NULL DEFAULT 'default',
    DROP CONSTRAINT revision_pkey,
    ADD CONSTRAINT revision_pkey PRIMARY KEY (project, id);
GRANT SELECT (project) ON migrate.revision TO PUBLIC;

ALTER TABLE migrate.run
    ADD COLUMN project text NOT NULL DEFAULT 'default',
    -- named as a new install names it (the table becomes migrate.run_log
    -- in 20_security.sql)
    ADD CONSTRAINT run_log_project_id_key UNIQUE (project, id);

ALTER TABLE migrate.applied
    ADD COLUMN project text NOT NULL DEFAULT 'default',
    DROP CONSTRAINT applied_pkey,
    ADD CONSTRAINT applied_pkey PRIMARY KEY (project, revision);

ALTER TABLE migrate.run_step
    ADD COLUMN project text NOT NULL DEFAULT 'default',
    DROP CONSTRAINT run_step_run_id_fkey,
    ADD CONSTRAINT run_step_run_id_fkey FOREIGN KEY (project, run_id)
        REFERENCES migrate.run (project, id) ON DELETE CASCADE;

-- Every history function takes a trailing project argument: a new
-- signature, so the 0.1 function is dropped and the new one created (with
-- its comment and privileges).  A view or function of the database's own
-- that uses one of them stops the update with PostgreSQL's "cannot drop
-- function ... because other objects depend on it": drop it, update,
-- create it again.
--
-- What an administrator granted on a 0.1 function (GRANT EXECUTE ON
-- FUNCTION migrate.upgrade(text) TO deployer) is granted again on its new
-- signature at the end of this part: remembered here, for this
-- transaction, as GRANT statements.
SELECT pg_catalog.set_config('migrate_update.grants',
           coalesce(pg_catalog.string_agg(
               pg_catalog.format('GRANT EXECUTE ON %s %s TO %s%s',
                   CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                   m.new,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                        ELSE pg_catalog.quote_ident(r.rolname) END,
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END),
               E'\n'), ''),
           true)
  FROM (VALUES
        ('migrate.add(text, text, text, text[], text, text[], text[], boolean, text)',
         'migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text)'),
        ('migrate.remove(text)',
         'migrate.remove(text, text)'),
        ('migrate.current()',
         'migrate.current(text)'),
        ('migrate.heads()',
         'migrate.heads(text)'),
        ('migrate.bases()',
         'migrate.bases(text)'),
        ('migrate.history()',
         'migrate.history(text)'),
        ('migrate.status()',
         'migrate.status(text)'),
        ('migrate.resolve(text)',
         'migrate.resolve(text, text)'),
        ('migrate.plan(text, text)',
         'migrate.plan(text, text, text)'),
        ('migrate.validate()',
         'migrate.validate(text)'),
        ('migrate.check()',
         'migrate.check(text)'),
        ('migrate.add_file(text, text)',
         'migrate.add_file(text, text, text)'),
        ('migrate.upgrade(text)',
         'migrate.upgrade(text, text)'),
        ('migrate.downgrade(text)',
         'migrate.downgrade(text, text)'),
        ('migrate.stamp(text)',
         'migrate.stamp(text, text)'),
        ('migrate.sql(text, text)',
         'migrate.sql(text, text, text)'),
        ('migrate.run(text, text)',
         'migrate.run(text, text, text)'),
        ('migrate.verify(text[], text[], text[])',
         'migrate.verify(text[], text[], text[], text)')) AS m(old, new)
  JOIN pg_catalog.pg_proc p ON p.oid = pg_catalog.to_regprocedure(m.old)
 CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) AS a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
 WHERE a.grantee <> p.proowner
   AND a.privilege_type = 'EXECUTE';

DROP FUNCTION migrate.add(text, text, text, text[], text, text[], text[], boolean, text);
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

DROP FUNCTION migrate.remove(text);
CREATE FUNCTION migrate.remove(revision text, project text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_remove'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.remove(text, text) IS
'Unregister an unapplied revision of a project (NULL: migrate.project); returns its id. Applied revisions cannot be removed (downgrade first).
Example: SELECT migrate.remove(''0002_users'');';

DROP FUNCTION migrate.current();
CREATE FUNCTION migrate.current(project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_current'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.current(text) IS
'Applied revisions of a project (NULL: migrate.project) with no applied child (one per applied branch).
Example: SELECT * FROM migrate.current(); SELECT * FROM migrate.current(''billing'');';

DROP FUNCTION migrate.heads();
CREATE FUNCTION migrate.heads(project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_heads'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.heads(text) IS
'Registered revisions of a project (NULL: migrate.project) that no revision names as its parent.
Example: SELECT * FROM migrate.heads();';

DROP FUNCTION migrate.bases();
CREATE FUNCTION migrate.bases(project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_bases'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.bases(text) IS
'Registered revisions of a project (NULL: migrate.project) without parents.
Example: SELECT * FROM migrate.bases();';

DROP FUNCTION migrate.history();
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

DROP FUNCTION migrate.status();
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

DROP FUNCTION migrate.resolve(text);
CREATE FUNCTION migrate.resolve(target text, project text DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'migrate_resolve'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.resolve(text, text) IS
'The revision(s) a target names in a project (NULL: migrate.project; never another project''s): head, heads, base (no rows), an id or unique prefix, +N, -N, <id>+N, <id>-N, <label>@head, <label>@base, <label>@+N, <label>@-N.
Example: SELECT * FROM migrate.resolve(''head'');';

DROP FUNCTION migrate.plan(text, text);
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

DROP FUNCTION migrate.validate();
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

DROP FUNCTION migrate.check();
CREATE FUNCTION migrate.check(project text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'migrate_check'
LANGUAGE C STABLE;
COMMENT ON FUNCTION migrate.check(text) IS
'Raise one error (SQLSTATE 42P17) that lists every error finding of validate(project); silent when the chain is sound.
Example: SELECT migrate.check();';

DROP FUNCTION migrate.add_file(text, text);
CREATE FUNCTION migrate.add_file(content text, source text DEFAULT NULL,
                                 project text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_add_file'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.add_file(text, text, text) IS
'Register the revision a revision file declares in a project (NULL: the setting migrate.project); returns its id. source is the file name (stored as the revision''s source; a name that does not start with the id gives a WARNING). Same rules as migrate.add: re-adding an identical revision is a no-op, a changed one replaces it while unapplied. A malformed file raises SQLSTATE 22P02 "invalid revision file" with one "Line N: problem." per problem in the detail.
The format: header lines "-- migrate:revision <id>" (required), "-- migrate:down_revision <id>[, <id>...]" (absent or empty: a base), "-- migrate:message <text>", "-- migrate:branch_labels <label>[, ...]", "-- migrate:depends_on <id>|<project>:<id>[, ...]", "-- migrate:transactional true|false" (default true), blank lines and "--" comments; then "-- migrate:upgrade" and its SQL; then optionally "-- migrate:downgrade" and its SQL (absent: irreversible). LF or CRLF line endings.
Example, with psql (the file is read on the client):
  \set content `cat migrations/0002_users.sql`
  SELECT migrate.add_file(:''content'', ''0002_users.sql'');
or: SELECT migrate.add_file(E''-- migrate:revision 0002_users\n-- migrate:down_revision 0001_init\n-- migrate:upgrade\nCREATE TABLE users (id int);\n-- migrate:downgrade\nDROP TABLE users;\n'', ''0002_users.sql'');';

DROP FUNCTION migrate.upgrade(text);
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

DROP FUNCTION migrate.downgrade(text);
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

DROP FUNCTION migrate.stamp(text);
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

DROP FUNCTION migrate.sql(text, text);
CREATE FUNCTION migrate.sql(target text DEFAULT 'head', direction text DEFAULT 'up',
                            project text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'migrate_sql'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.sql(text, text, text) IS
'The offline script of an upgrade of a project (NULL: migrate.project) (or, with direction ''down'', a downgrade): the bodies and the bookkeeping, for review or for psql on a database in the same state. Runs nothing.
Example: \copy (SELECT migrate.sql(''head'')) TO ''upgrade.sql''';

DROP PROCEDURE migrate.run(text, text);
CREATE PROCEDURE migrate.run(target text DEFAULT 'head', direction text DEFAULT 'up',
                             project text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'migrate_run'
LANGUAGE C;
COMMENT ON PROCEDURE migrate.run(text, text, text) IS
'Upgrade (or, with direction ''down'', downgrade) a project (NULL: migrate.project) to the target one revision per transaction, committing after each: the way to run non-transactional revisions (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE then its use, VACUUM), whose statements run one at a time at top level. The plan is fixed when the call starts. Call it outside a transaction block.
Example: CALL migrate.run(''head''); CALL migrate.run(''-1'', ''down'');';

DROP FUNCTION migrate.verify(text[], text[], text[]);
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

REVOKE EXECUTE ON FUNCTION
    migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text),
    migrate.remove(text, text),
    migrate.add_file(text, text, text),
    migrate.upgrade(text, text),
    migrate.downgrade(text, text),
    migrate.stamp(text, text),
    migrate.sql(text, text, text)
    FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE migrate.run(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION migrate.verify(text[], text[], text[], text) TO PUBLIC;

-- The administrator's grants, on the new signatures.  pg_dump dumps what a
-- member's privileges add to its initial privileges (pg_init_privs), and a
-- GRANT inside an extension script counts as initial: so the initial
-- privileges are set back to the extension's own afterwards, and the
-- carried grants stay the administrator's, dumped and restored as before.
DO $migrate_update$
DECLARE
    grants text[] := pg_catalog.string_to_array(
        NULLIF(pg_catalog.current_setting('migrate_update.grants', true), ''), E'\n');
    funcs oid[] := ARRAY[
        'migrate.add(text, text, text, text[], text, text[], text[], boolean, text, text)',
        'migrate.remove(text, text)',
        'migrate.current(text)',
        'migrate.heads(text)',
        'migrate.bases(text)',
        'migrate.history(text)',
        'migrate.status(text)',
        'migrate.resolve(text, text)',
        'migrate.plan(text, text, text)',
        'migrate.validate(text)',
        'migrate.check(text)',
        'migrate.add_file(text, text, text)',
        'migrate.upgrade(text, text)',
        'migrate.downgrade(text, text)',
        'migrate.stamp(text, text)',
        'migrate.sql(text, text, text)',
        'migrate.run(text, text, text)',
        'migrate.verify(text[], text[], text[], text)']::pg_catalog.regprocedure[]::oid[];
    saved_oids oid[];
    saved_privs text[];
    g text;
BEGIN
    IF grants IS NULL THEN
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(i.objoid), pg_catalog.array_agg(i.initprivs::text)
      INTO saved_oids, saved_privs
      FROM pg_catalog.pg_init_privs i
     WHERE i.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
       AND i.objsubid = 0 AND i.objoid = ANY (funcs);
    FOREACH g IN ARRAY grants LOOP
        EXECUTE g;
    END LOOP;
    DELETE FROM pg_catalog.pg_init_privs i
     WHERE i.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
       AND i.objsubid = 0 AND i.objoid = ANY (funcs);
    INSERT INTO pg_catalog.pg_init_privs (objoid, classoid, objsubid, privtype, initprivs)
    SELECT u.o, 'pg_catalog.pg_proc'::pg_catalog.regclass, 0, 'e', u.p::pg_catalog.aclitem[]
      FROM ROWS FROM (pg_catalog.unnest(saved_oids), pg_catalog.unnest(saved_privs)) AS u(o, p);
END
$migrate_update$;
