/*-------------------------------------------------------------------------
 *
 * body.c
 *	  Revision bodies seen through PostgreSQL's own raw parser.
 *
 * migrate_body_problem() says whether a body can run as a revision: it must
 * parse, contain no transaction control, and, in a transactional revision,
 * no statement that refuses to run inside a transaction block.  The verdict
 * is computed when a revision is registered and kept in the catalog, and
 * again for every body of a plan before the first one runs.
 *
 * A syntax error is caught inside an internal subtransaction
 * (migrate_subxact_try in subxact.c), so the caller's transaction stays
 * usable.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/memutils.h"

/* 1-based line of a 1-based character position in "body" */
static int
line_of_position(const char *body, int cursorpos)
{
	int			line = 1;
	const char *p = body;

	for (int chars = 1; *p && chars < cursorpos; chars++)
	{
		if (*p == '\n')
			line++;
		p += pg_mblen(p);
	}
	return line;
}

/* 1-based column (in characters) of a 1-based character position */
static int
column_of_position(const char *body, int cursorpos)
{
	int			column = 1;
	const char *p = body;

	for (int chars = 1; *p && chars < cursorpos; chars++)
	{
		column = (*p == '\n') ? 1 : column + 1;
		p += pg_mblen(p);
	}
	return column;
}

/*
 * The parser's message without the text it quotes.  The verdict is stored
 * in migrate.revision.upgrade_problem and shown by validate(), both
 * readable by every role, while the bodies are not: a scanner error quotes
 * the body from the offending token on ('unterminated quoted string at or
 * near "'hunter2; ..."', up to the end of the body), so the quote goes and
 * the line and column say where the problem is.
 */
static char *
message_without_quote(const char *message)
{
	const char *at = strstr(message, " at or near \"");

	return at ? pnstrdup(message, at - message) : pstrdup(message);
}

static const char *
transaction_stmt_name(TransactionStmt *stmt)
{
	switch (stmt->kind)
	{
		case TRANS_STMT_BEGIN:
			return "BEGIN";
		case TRANS_STMT_START:
			return "START TRANSACTION";
		case TRANS_STMT_COMMIT:
			return "COMMIT";
		case TRANS_STMT_ROLLBACK:
			return "ROLLBACK";
		case TRANS_STMT_SAVEPOINT:
			return "SAVEPOINT";
		case TRANS_STMT_RELEASE:
			return "RELEASE SAVEPOINT";
		case TRANS_STMT_ROLLBACK_TO:
			return "ROLLBACK TO SAVEPOINT";
		case TRANS_STMT_PREPARE:
			return "PREPARE TRANSACTION";
		case TRANS_STMT_COMMIT_PREPARED:
			return "COMMIT PREPARED";
		case TRANS_STMT_ROLLBACK_PREPARED:
			return "ROLLBACK PREPARED";
	}
	return "transaction control";
}

static bool
has_concurrently_option(List *params)
{
	ListCell   *lc;

	foreach(lc, params)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, "concurrently") == 0)
			return true;
	}
	return false;
}

/*
 * The name of a statement that PostgreSQL refuses inside a transaction block
 * (PreventInTransactionBlock in utility.c and friends), or NULL.
 */
static const char *
non_transactional_statement(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->concurrent ?
				"CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
			return ((DropStmt *) stmt)->concurrent ?
				"DROP INDEX CONCURRENTLY" : NULL;
		case T_ReindexStmt:
			{
				ReindexStmt *r = (ReindexStmt *) stmt;

				if (has_concurrently_option(r->params))
					return "REINDEX CONCURRENTLY";
				if (r->kind == REINDEX_OBJECT_SYSTEM ||
					r->kind == REINDEX_OBJECT_DATABASE ||
					r->kind == REINDEX_OBJECT_SCHEMA)
					return "REINDEX SCHEMA/DATABASE/SYSTEM";
				return NULL;
			}
		case T_VacuumStmt:
			return ((VacuumStmt *) stmt)->is_vacuumcmd ? "VACUUM" : NULL;
		case T_ClusterStmt:
			return ((ClusterStmt *) stmt)->relation == NULL ?
				"CLUSTER without a table" : NULL;
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_CreateSubscriptionStmt:
			return "CREATE SUBSCRIPTION";
		case T_DropSubscriptionStmt:
			return "DROP SUBSCRIPTION";
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition && cmd->def &&
						IsA(cmd->def, PartitionCmd) &&
						((PartitionCmd *) cmd->def)->concurrent)
						return "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
				}
				return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * Where a statement really starts: RawStmt.stmt_location points just after
 * the previous statement's semicolon, so skip the blanks and comments in
 * between (for error positions and for the text a statement runs as).
 */
int
migrate_statement_start(const char *body, int location)
{
	const char *p = body + location;

	for (;;)
	{
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
			p++;
		if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*')
		{
			int			depth = 1;

			p += 2;
			while (*p && depth > 0)
			{
				if (p[0] == '/' && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (p[0] == '*' && p[1] == '/')
				{
					depth--;
					p += 2;
				}
				else
					p++;
			}
			continue;
		}
		break;
	}
	return p - body;
}

/*
 * The first problem among parsed statements: false if none, else true with
 * the SQLSTATE to raise, a message and the statement's byte offset.
 */
bool
migrate_statements_problem(const char *body, List *stmts, bool transactional,
						   int *sqlerrcode, char **message, int *location)
{
	ListCell   *lc;

	foreach(lc, stmts)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		Node	   *stmt = raw->stmt;
		const char *what;

		*location = migrate_statement_start(body, raw->stmt_location);
		if (IsA(stmt, TransactionStmt))
		{
			*sqlerrcode = ERRCODE_INVALID_TRANSACTION_TERMINATION;
			*message = psprintf("%s is not allowed in a revision body: migrate runs each revision in its own transaction or subtransaction",
								transaction_stmt_name((TransactionStmt *) stmt));
			return true;
		}
		if (IsA(stmt, VariableSetStmt) && ((VariableSetStmt *) stmt)->name &&
			(pg_strcasecmp(((VariableSetStmt *) stmt)->name, "standard_conforming_strings") == 0 ||
			 pg_strcasecmp(((VariableSetStmt *) stmt)->name, "client_encoding") == 0))
		{
			/*
			 * Every statement of a plan is parsed before the first runs, and
			 * the offline script is read by psql, with these settings as they
			 * are: a body that changes them would make its later statements
			 * (and psql the rest of the script) read as something else than
			 * what was checked.  (Changes no parser sees, through
			 * set_config(), are caught as they happen: stmtguard.c, and the
			 * script's guards in script.c.)
			 */
			*sqlerrcode = ERRCODE_FEATURE_NOT_SUPPORTED;
			*message = psprintf("%s %s is not allowed in a revision body: it would change how the body's later statements and the offline script are read",
								((VariableSetStmt *) stmt)->kind == VAR_RESET ? "RESET" : "SET",
								((VariableSetStmt *) stmt)->name);
			return true;
		}
		if (IsA(stmt, CopyStmt) && ((CopyStmt *) stmt)->filename == NULL &&
			!((CopyStmt *) stmt)->is_program)
		{
			*sqlerrcode = ERRCODE_FEATURE_NOT_SUPPORTED;
			*message = psprintf("COPY %s is not supported in a revision body: there is no client to exchange the data with",
								((CopyStmt *) stmt)->is_from ? "FROM STDIN" : "TO STDOUT");
			return true;
		}
		if (transactional && (what = non_transactional_statement(stmt)) != NULL)
		{
			*sqlerrcode = ERRCODE_ACTIVE_SQL_TRANSACTION;
			*message = psprintf("%s cannot run inside a transaction block: register the revision with transactional => false",
								what);
			return true;
		}
	}
	return false;
}

/* Does the statement have to run at top level, outside any transaction? */
bool
migrate_statement_needs_top_level(Node *stmt)
{
	return non_transactional_statement(stmt) != NULL;
}

/*
 * Parse a body and return its statements (RawStmt list); raises the parser's
 * own error on a syntax error.
 */
List *
migrate_body_statements(const char *body)
{
#if PG_VERSION_NUM >= 140000
	return raw_parser(body, RAW_PARSE_DEFAULT);
#else
	return raw_parser(body);
#endif
}

typedef struct ParseBodyCall
{
	const char *body;
	List	   *stmts;
} ParseBodyCall;

static void
parse_body_call(void *arg)
{
	ParseBodyCall *call = (ParseBodyCall *) arg;

	call->stmts = migrate_body_statements(call->body);
}

/*
 * Parse a body inside an internal subtransaction, the way PL/Python's
 * plpy_spi.c catches errors: the statements (allocated in the caller's
 * context), or NIL with *error set to the parser's error.  A cancel or a
 * shutdown is re-raised, never returned.
 */
List *
migrate_try_parse_body(const char *body, ErrorData **error)
{
	ParseBodyCall call = {body, NIL};

	if (migrate_subxact_try(parse_body_call, &call, error))
		return call.stmts;
	if ((*error)->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		(*error)->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(*error);
	return NIL;
}

/*
 * NULL if "body" can run as a revision body, else a one-line description of
 * the first problem (with its line number for a syntax error).
 */
char *
migrate_body_problem(const char *body, bool transactional)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	MemoryContext parsecxt;
	List	   *stmts;
	ErrorData  *edata;
	char	   *problem = NULL;
	int			sqlerrcode;
	char	   *found;
	int			location;

	if (body == NULL)
		return NULL;

	/* parse trees can be large; keep them out of the caller's context */
	parsecxt = AllocSetContextCreate(oldcontext, "migrate body parse",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(parsecxt);
	stmts = migrate_try_parse_body(body, &edata);
	MemoryContextSwitchTo(oldcontext);

	if (edata != NULL)
	{
		if (edata->cursorpos > 0)
			problem = psprintf("line %d, column %d: %s",
							   line_of_position(body, edata->cursorpos),
							   column_of_position(body, edata->cursorpos),
							   message_without_quote(edata->message));
		else
			problem = message_without_quote(edata->message);
		FreeErrorData(edata);
	}
	else if (migrate_statements_problem(body, stmts, transactional, &sqlerrcode,
										&found, &location))
		problem = psprintf("line %d: %s",
						   line_of_position(body, pg_mbstrlen_with_len(body, location) + 1),
						   found);

	MemoryContextDelete(parsecxt);
	return problem;
}
