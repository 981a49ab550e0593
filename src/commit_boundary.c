/*-------------------------------------------------------------------------
 *
 * commit_boundary.c
 *	  Where a plan needs a commit between two of its bodies: a value added
 *	  to an enum type with ALTER TYPE ... ADD VALUE cannot be used until
 *	  the transaction that added it commits ("unsafe use of new value",
 *	  SQLSTATE 55P04).  Tools that commit after each migration never meet
 *	  this; migrate.upgrade(), which runs a whole plan in one transaction,
 *	  does.
 *
 * The rule, conservative on purpose (a pair reported wrongly costs a
 * commit; a pair missed costs a failed deploy):
 *	  - body A adds the value 'x' when one of its statements is
 *	    ALTER TYPE ... ADD VALUE [IF NOT EXISTS] 'x' (parse tree);
 *	  - a later body B uses it when its text holds a string constant that
 *	    is 'x', or one that contains 'x' quoted, as a function or DO body
 *	    does ('... = ''x'' ...' or $$ ... 'x' ... $$).  The constants are
 *	    read with PostgreSQL's own lexer, so comments and identifiers never
 *	    count, and E'' escapes are resolved.  Which type the constant is
 *	    compared with is not known without running the plan, so any
 *	    constant with that text counts.
 * With same_body, a later statement of A itself counts too (for lint).
 *
 * Callers: apply.c refuses such a plan in upgrade() before anything runs;
 * script.c commits after A in the offline script; validate.c reports the
 * pair (enum_value_used_too_early).  CALL migrate.run needs nothing: it
 * commits after every revision.  Lint may call migrate_commit_boundaries
 * on any list of bodies.
 *
 * Nothing here reads the catalog or takes a lock; lexing runs in an
 * internal subtransaction only when a body could not be parsed before.
 *
 * IDENTIFICATION
 *	  src/commit_boundary.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "catalog/namespace.h"
#include "common/keywords.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/scanner.h"
#include "parser/gram.h"			/* token numbers (SCONST); after scanner.h */

/* A value added so far: by which body and statement. */
typedef struct AddedValue
{
	char	   *label;
	char	   *type_name;
	int			body;
	int			stmt;
} AddedValue;

typedef struct Boundaries
{
	MigrateCommitBoundary *items;
	int			n;
	int			cap;
} Boundaries;

/*
 * The value a statement adds to an enum type (ALTER TYPE ... ADD VALUE),
 * or NULL; *type_name gets the type's name as written.
 */
char *
migrate_enum_value_added(Node *stmt, char **type_name)
{
	AlterEnumStmt *ae;

	if (stmt == NULL || !IsA(stmt, AlterEnumStmt))
		return NULL;
	ae = (AlterEnumStmt *) stmt;
	if (ae->oldVal != NULL || ae->newVal == NULL)
		return NULL;			/* RENAME VALUE */
	if (type_name)
		*type_name = NameListToString(ae->typeName);
	return pstrdup(ae->newVal);
}

/*
 * Could "text" hold ALTER TYPE ... ADD VALUE: the word ADD, blanks, the word
 * VALUE, in any case?  A filter before parsing, for validate(), which sees
 * every body of the catalog (a comment between the words is not seen).
 */
bool
migrate_text_may_add_enum_value(const char *text, size_t len)
{
	for (size_t i = 4; i + 5 <= len; i++)
	{
		size_t		j;

		if ((text[i] | 0x20) != 'v' || pg_strncasecmp(text + i, "value", 5) != 0)
			continue;
		if (i + 5 < len && (isalnum((unsigned char) text[i + 5]) || text[i + 5] == '_'))
			continue;
		j = i;
		while (j > 0 && isspace((unsigned char) text[j - 1]))
			j--;
		if (j == i || j < 3 || pg_strncasecmp(text + j - 3, "add", 3) != 0)
			continue;
		if (j > 3 && (isalnum((unsigned char) text[j - 4]) || text[j - 4] == '_'))
			continue;
		return true;
	}
	return false;
}

/* Does string constant "value" use "label": equal, or containing 'label'? */
static bool
constant_uses(const char *value, const char *label)
{
	size_t		len = strlen(label);
	const char *p;

	if (strcmp(value, label) == 0)
		return true;
	for (p = strstr(value, label); p != NULL; p = strstr(p + 1, label))
		if (p > value && p[-1] == '\'' && p[len] == '\'')
			return true;
	return false;
}

static void
add_boundary(Boundaries *b, const AddedValue *v, int user, int user_stmt)
{
	MigrateCommitBoundary *item;

	/* one pair per (adder, user, value) */
	for (int i = 0; i < b->n; i++)
		if (b->items[i].adder == v->body && b->items[i].user == user &&
			strcmp(b->items[i].label, v->label) == 0)
			return;
	if (b->n == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 8;
		b->items = b->items ? repalloc(b->items, sizeof(*b->items) * b->cap)
			: palloc(sizeof(*b->items) * b->cap);
	}
	item = &b->items[b->n++];
	item->adder = v->body;
	item->adder_stmt = v->stmt;
	item->user = user;
	item->user_stmt = user_stmt;
	item->type_name = v->type_name;
	item->label = v->label;
}

typedef struct ScanCall
{
	const char *text;
	List	   *stmts;
	int			body;
	AddedValue *values;
	int			nvalues;
	bool		same_body;
	Boundaries *out;
} ScanCall;

/* Statement (0-based) of byte offset "loc", given RawStmts in order. */
static int
statement_at(List *stmts, int loc, int *cursor)
{
	if (stmts == NIL)
		return -1;
	while (*cursor + 1 < list_length(stmts) &&
		   list_nth_node(RawStmt, stmts, *cursor + 1)->stmt_location <= loc)
		(*cursor)++;
	return *cursor;
}

/* Lex one body and report the values it uses (may raise a lexer error). */
static void
scan_body(void *arg)
{
	ScanCall   *c = (ScanCall *) arg;
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			cursor = 0;

	scanner = scanner_init(c->text, &yyextra, &ScanKeywords, ScanKeywordTokens);
	for (;;)
	{
		int			tok = core_yylex(&yylval, &yylloc, scanner);
		int			stmt = -1;
		bool		located = false;

		if (tok == 0)
			break;
		if (tok != SCONST)
			continue;
		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < c->nvalues; i++)
		{
			AddedValue *v = &c->values[i];

			if (!constant_uses(yylval.str, v->label))
				continue;
			if (!located)
			{
				stmt = statement_at(c->stmts, yylloc, &cursor);
				located = true;
			}
			if (v->body == c->body &&
				(!c->same_body || stmt < 0 || stmt <= v->stmt))
				continue;
			add_boundary(c->out, v, c->body, stmt);
		}
	}
	scanner_finish(scanner);
}

/* Does the text hold "label" at all (before lexing it)? */
static bool
mentions_any(const char *text, AddedValue *values, int nvalues, int upto_body,
			 bool same_body)
{
	for (int i = 0; i < nvalues; i++)
		if ((values[i].body < upto_body || same_body) &&
			(strstr(text, values[i].label) != NULL ||
			 /* a quote in a label is doubled in the text: lex to see */
			 strchr(values[i].label, '\'') != NULL))
			return true;
	return false;
}

/*
 * The commit boundaries of n bodies run in this order: bodies[k] is the
 * text of body k (NULL: skip it), stmts[k] its RawStmt list (NIL when it
 * was not parsed: then it adds nothing, and statement numbers of its uses
 * are -1).  Returns the pairs (adder before user) in the order found,
 * *count of them; NULL when there is none.
 */
MigrateCommitBoundary *
migrate_commit_boundaries(const char *const *bodies, List *const *stmts, int n,
						  bool same_body, int *count)
{
	Boundaries	out = {NULL, 0, 0};
	AddedValue *values = NULL;
	int			nvalues = 0;
	int			cap = 0;

	for (int k = 0; k < n; k++)
	{
		ListCell   *lc;
		int			i = 0;

		CHECK_FOR_INTERRUPTS();
		/* what body k adds, first: with same_body its own later statements count */
		foreach(lc, stmts ? stmts[k] : NIL)
		{
			char	   *type_name;
			char	   *label = migrate_enum_value_added(lfirst_node(RawStmt, lc)->stmt,
														 &type_name);

			if (label != NULL)
			{
				if (nvalues == cap)
				{
					cap = cap ? cap * 2 : 8;
					values = values ? repalloc(values, sizeof(AddedValue) * cap)
						: palloc(sizeof(AddedValue) * cap);
				}
				values[nvalues].label = label;
				values[nvalues].type_name = type_name;
				values[nvalues].body = k;
				values[nvalues].stmt = i;
				nvalues++;
			}
			i++;
		}
		if (bodies[k] != NULL && nvalues > 0 &&
			mentions_any(bodies[k], values, nvalues, k, same_body))
		{
			ScanCall	call = {bodies[k], stmts ? stmts[k] : NIL, k, values, nvalues,
			same_body, &out};
			ErrorData  *edata;

			/* a body that lexes badly uses nothing we can see */
			if (!migrate_subxact_try(scan_body, &call, &edata))
			{
				if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
					edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
					ReThrowError(edata);
				FreeErrorData(edata);
			}
		}
	}
	*count = out.n;
	return out.items;
}
