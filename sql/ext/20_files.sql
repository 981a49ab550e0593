
--------------------------------------------------------------------------
-- Revision files (common/revfile.c, src/revfile_sql.c)
--------------------------------------------------------------------------

-- The text of a revision file, parsed in C by the same parser as the
-- pg_migrate client, then registered exactly as migrate.add would register
-- its fields.  A malformed file raises SQLSTATE 22P02 with every problem
-- found, one "Line N: ..." per line of the error's detail.
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

REVOKE EXECUTE ON FUNCTION migrate.add_file(text, text, text) FROM PUBLIC;
