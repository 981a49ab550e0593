/*-------------------------------------------------------------------------
 *
 * ensure.c
 *	  migrate.ensure(statement): create an object unless an object of that
 *	  name already exists with the same definition.
 *
 * The statement is parsed with PostgreSQL's raw parser and must be exactly
 * one of CREATE INDEX, CREATE TABLE, ALTER TABLE ... ADD COLUMN (one
 * column), CREATE TYPE ... AS ENUM, CREATE SCHEMA or CREATE EXTENSION;
 * anything else is refused (0A000) before anything runs.  The object is
 * looked up where the statement would create it (the creation schema for
 * CREATE TABLE and CREATE TYPE, the table's schema for an index), then:
 *
 *	  missing                  the statement runs through SPI, as the
 *	                           calling user: 'created'
 *	  same definition          nothing runs: 'unchanged'
 *	  another definition       an error (the SQLSTATE CREATE would give for
 *	                           "already exists") whose detail says what
 *	                           differs and shows both definitions
 *	  another kind of object   42809 wrong_object_type
 *
 * This file owns the SQL-callable function: parsing, dispatch on the kind
 * of statement, running a missing object's statement, the error position,
 * and the helpers that keep the messages of all kinds alike (ensure.h).
 * Comparison is structural, never textual, and each kind's lives in a file
 * of its own, whose header says what is compared and what is ignored:
 *
 *	  ensure_index.c   indexes, as analysed trees against the table
 *	  ensure_table.c   tables (columns by name) and added columns
 *	  ensure_enum.c    enum types (labels and their order)
 *	  ensure_schema.c  schemas and extensions (existence)
 *
 * SQLSTATEs: 0A000 unsupported statement or clause, or not exactly one
 * statement; 42P07 an index or table differs; 42701 a column differs;
 * 42710 an enum type differs; 42809 the name belongs to another kind of
 * object; 55000 the index exists but is INVALID; 25001 CREATE INDEX
 * CONCURRENTLY would have to run (it cannot inside a function).  Errors of
 * PostgreSQL itself (42601 syntax, 42P01 missing table, 3F000 missing
 * schema, ...) pass through unchanged, positioned in the statement.
 *
 * Between the check and the CREATE another session may create the object;
 * the CREATE then fails as it would have anyway.  Inside migrate.upgrade()
 * the migration lock rules that out for revisions.
 *
 * IDENTIFICATION
 *	  src/ensure.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "executor/spi.h"
#include "parser/scansup.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "ensure.h"

PG_FUNCTION_INFO_V1(migrate_ensure);

#define SUPPORTED_DETAIL "migrate.ensure() compares CREATE INDEX, CREATE TABLE, ALTER TABLE ... ADD COLUMN, CREATE TYPE ... AS ENUM, CREATE SCHEMA and CREATE EXTENSION with what exists."

/* ---------------------------------------------------------------------
 * Helpers shared by the checks (ensure.h)
 * ---------------------------------------------------------------------
 */

/* 0A000: a statement or clause ensure() cannot compare */
void
ensure_error_unsupported(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("migrate.ensure() does not support %s", what),
			 errdetail("%s", detail ? detail : SUPPORTED_DETAIL),
			 errhint("Run other statements directly, guarded by the migrate.*_exists() functions where needed.")));
}

/* the schema-qualified, quoted name of a relation */
char *
ensure_qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* 42809: "name" exists but is "is" (with its article), not "want" */
void
ensure_error_wrong_kind(const char *name, const char *is, const char *want)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" exists but is %s, not %s", name, is, want),
			 errhint("Choose another name, or drop the existing object in a revision first.")));
}

/* "a table", "an index" */
const char *
ensure_with_article(const char *noun)
{
	return psprintf("%s %s", strchr("aeiouAEIOU", noun[0]) ? "an" : "a", noun);
}

/* ---------------------------------------------------------------------
 * migrate.ensure(statement text) RETURNS text
 * ---------------------------------------------------------------------
 */

/* The statement's own text, without surrounding blanks or semicolon. */
static char *
trimmed_statement_text(const char *sql, RawStmt *raw)
{
	int			len = raw->stmt_len > 0 ? raw->stmt_len :
		(int) strlen(sql + raw->stmt_location);
	char	   *s = pnstrdup(sql + raw->stmt_location, len);
	char	   *end = s + strlen(s);

	while (end > s && (scanner_isspace(end[-1]) || end[-1] == ';'))
		*--end = '\0';
	while (*s && scanner_isspace(*s))
		s++;
	return s;
}

/*
 * A parse or analysis error points into the statement, not into the query
 * that called ensure(): report its position as an internal query's, the
 * way SQL functions do.
 */
static void
ensure_error_callback(void *arg)
{
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery((const char *) arg);
	}
}

Datum
migrate_ensure(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *stmts;
	RawStmt    *raw;
	Node	   *stmt;
	char	   *requested;
	EnsureResult result = ENSURE_MISSING;
	ErrorContextCallback errcb;

	errcb.callback = ensure_error_callback;
	errcb.arg = sql;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	stmts = migrate_body_statements(sql);

	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate.ensure() takes exactly one statement"),
				 errdetail("The text contains %d statements; nothing was run.",
						   list_length(stmts)),
				 errhint("Call migrate.ensure() once per statement.")));
	raw = linitial_node(RawStmt, stmts);
	stmt = raw->stmt;
	requested = trimmed_statement_text(sql, raw);

	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			result = ensure_index((IndexStmt *) stmt, sql, requested);
			if (result == ENSURE_MISSING && ((IndexStmt *) stmt)->concurrent)
				ereport(ERROR,
						(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						 errmsg("migrate.ensure() cannot run CREATE INDEX CONCURRENTLY"),
						 errdetail("The index does not exist, and CREATE INDEX CONCURRENTLY cannot run inside a function."),
						 errhint("Run the statement in a revision registered with transactional => false; migrate.ensure() can check it afterwards, and returns 'unchanged' once the index exists.")));
			break;
		case T_CreateStmt:
			result = ensure_table((CreateStmt *) stmt, requested);
			break;
		case T_AlterTableStmt:
			result = ensure_add_column((AlterTableStmt *) stmt, sql, requested);
			break;
		case T_CreateEnumStmt:
			result = ensure_enum((CreateEnumStmt *) stmt, requested);
			break;
		case T_CreateSchemaStmt:
			result = ensure_schema((CreateSchemaStmt *) stmt);
			break;
		case T_CreateExtensionStmt:
			result = ensure_extension((CreateExtensionStmt *) stmt);
			break;
		default:
			ensure_error_unsupported(CreateCommandName(stmt), NULL);
	}
	error_context_stack = errcb.previous;

	if (result == ENSURE_UNCHANGED)
		PG_RETURN_TEXT_P(cstring_to_text("unchanged"));

	/* the user's own statement, checked above to be exactly one of a kind */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "SPI_execute failed for: %s", requested);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text("created"));
}
