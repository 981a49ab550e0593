-- 0.1 -> 0.2: safety analysis (sql/ext/60_lint.sql): migrate.lint,
-- migrate.lint_sql, migrate.explain.  New functions only; no catalog change.

CREATE FUNCTION migrate.lint(
    target        text DEFAULT 'head',
    direction     text DEFAULT 'up',
    project       text DEFAULT NULL,
    OUT revision  text,
    OUT statement integer,
    OUT line      integer,
    OUT severity  text,
    OUT code      text,
    OUT relation  text,
    OUT lock      text,
    OUT rewrite   boolean,
    OUT rows      bigint,
    OUT bytes     bigint,
    OUT message   text,
    OUT hint      text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_lint'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.lint(text, text, text) IS
'What each statement of the plan an upgrade (or, with direction ''down'', a downgrade) to the target would run will lock, whether it rewrites a table, how big that table is now, and the findings of the lint rules (blocking_index, table_rewrite, scan_under_lock, unique_constraint_blocking, concurrently_in_transaction, enum_value_used_too_early, drop_table, drop_column, rename, volatile_default, type_change, truncate, ...; docs/lint.md). Severity grows with the size of what is locked (migrate.lint_large_table). Runs nothing and takes no migration lock. Reads revision bodies: not executable by PUBLIC.
Example: SELECT severity, revision, line, code, relation, lock, message FROM migrate.lint(''head'') WHERE severity <> ''info'';';

CREATE FUNCTION migrate.lint_sql(
    body          text,
    transactional boolean DEFAULT true,
    OUT revision  text,
    OUT statement integer,
    OUT line      integer,
    OUT severity  text,
    OUT code      text,
    OUT relation  text,
    OUT lock      text,
    OUT rewrite   boolean,
    OUT rows      bigint,
    OUT bytes     bigint,
    OUT message   text,
    OUT hint      text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_lint_sql'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.lint_sql(text, boolean) IS
'The findings of migrate.lint() for one body that is not registered (a file of a pull request, say), as if it ran in one transaction (or, with transactional false, statement by statement); revision is NULL. Parses the body, runs nothing.
Example: SELECT line, severity, code, message FROM migrate.lint_sql(''CREATE INDEX ON big (x)'');';

CREATE FUNCTION migrate.explain(
    target        text DEFAULT 'head',
    project       text DEFAULT NULL,
    OUT revision  text,
    OUT statement integer,
    OUT duration  interval,
    OUT relation  text,
    OUT lock      text,
    OUT rewrite   boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'migrate_explain'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION migrate.explain(text, text) IS
'Run the transactional bodies of the upgrade plan to the target inside a subtransaction that is always rolled back, and report per statement its duration and, per relation, the strongest lock it took (from the lock manager) and whether its storage was rewritten. It takes and holds those locks while it runs: for a staging copy, not for production. Not executable by PUBLIC.
Example: SELECT * FROM migrate.explain(''head'');';

REVOKE EXECUTE ON FUNCTION
    migrate.lint(text, text, text),
    migrate.explain(text, text)
    FROM PUBLIC;
