/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  migrate.lint(target, direction, project) and migrate.lint_sql(body,
 *	  transactional): what each statement of a plan (or of one body) will
 *	  lock, rewrite and risk, run nothing.
 *
 * lint() plans exactly as upgrade() and downgrade() do (the graph, the
 * target, the plan, the bodies: target.c and steps.c), but without the
 * migration lock, as plan() in status.c: it runs nothing, and a caller
 * reading a plan never waits for a running migration.  Every body is parsed
 * with PostgreSQL's raw parser first (a body that does not parse is a
 * finding, not an error of lint), and the uses of enum values added earlier
 * are found by commit_boundary.c (upgrade()'s own detector); then each
 * statement is analysed in order by
 * lint_rules.c, with what the earlier statements of the plan did
 * (relations created, dropped, renamed; enum values added; constraints
 * added NOT VALID) and the transaction each runs in:
 *
 *	  - a plan of transactional revisions only runs in one transaction, as
 *	    migrate.upgrade() runs it (locks are held until it ends);
 *	  - a plan with a non-transactional revision runs through migrate.run,
 *	    one transaction per revision, a non-transactional revision's
 *	    statements one by one.
 *
 * Rows come out in plan order; each has the revision, the statement's
 * number and its first line in the body, so that the client can point at
 * file:line.  Memory: each statement is analysed in a context reset after
 * it; rows and what later statements need live in the call's context.
 *
 * Privileges: lint() reads revision bodies, which are not public
 * (security.md): it is not executable by PUBLIC, as migrate.sql() is not.
 * lint_sql() reads only the body it is given and pg_class (public), and
 * opens tables only to count their pages: executable by everyone.
 *
 * IDENTIFICATION
 *	  src/lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(migrate_lint);
PG_FUNCTION_INFO_V1(migrate_lint_sql);

#define LINT_COLUMNS 12

static void
lint_state_init(LintState *ls)
{
	memset(ls, 0, sizeof(*ls));
	ls->cxt = CurrentMemoryContext;
	ls->large_bytes = (int64) migrate_lint_large_table_kb * 1024;
	ls->transactional = true;
	ls->one_transaction = true;
	migrate_lint_rels_init(ls);
}

/* One finding of the current statement. */
void
migrate_lint_add(LintState *ls, MigrateSeverity severity, const char *code,
				 LintRel *rel, LOCKMODE lock, int rewrite, char *message,
				 char *hint)
{
	MemoryContext old = MemoryContextSwitchTo(ls->cxt);
	LintRow    *row = palloc0(sizeof(LintRow));

	row->revision = ls->revision;
	row->statement = ls->statement;
	row->line = ls->line;
	row->severity = severity;
	row->code = code;
	row->lock = lock;
	row->rewrite = rewrite;
	row->message = message ? pstrdup(message) : NULL;
	row->hint = hint ? pstrdup(hint) : NULL;
	if (rel != NULL)
	{
		row->relation = pstrdup(rel->name);
		row->sized = rel->sized;
		row->rows = rel->rows;
		row->bytes = rel->bytes;
	}
	ls->rows = lappend(ls->rows, row);
	MemoryContextSwitchTo(old);
	/* a row with the lock speaks for the relation; a style row does not */
	if (rel != NULL && lock != NoLock)
		ls->stmt_rels = lappend(ls->stmt_rels, rel->name);
}

/*
 * The lock a statement takes on a relation that no rule spoke of: a row of
 * code "lock", severity info, so that every lock of the plan is listed.
 */
void
migrate_lint_lock_row(LintState *ls, LintRel *rel, LOCKMODE lock, int rewrite,
					  const char *what)
{
	ListCell   *lc;

	foreach(lc, ls->stmt_rels)
		if (strcmp((char *) lfirst(lc), rel->name) == 0)
			return;
	if (lock == NoLock)
		return;
	migrate_lint_add(ls, MIGRATE_INFO, "lock", rel, lock, rewrite,
					 psprintf("%s takes %s on %s (%s), which %s it until the transaction ends",
							  what, migrate_lint_lock_name(lock), rel->name,
							  migrate_lint_size_text(rel),
							  migrate_lint_lock_blocks(lock)),
					 NULL);
}

/* A body that does not parse: one finding, where the parser stopped. */
static void
lint_unparsable(LintState *ls, const char *body, ErrorData *edata)
{
	int			line = 1;
	/* an SQL function calling lint_sql turns the position into an internal
	 * one (functions.c sql_exec_error_callback): either is in the body */
	int			pos = edata->cursorpos > 0 ? edata->cursorpos : edata->internalpos;

	if (pos > 0)
	{
		/* positions count characters; lines are what the client needs */
		const char *p = body;

		for (int chars = 1; *p && chars < pos; chars++)
		{
			if (*p == '\n')
				line++;
			p += pg_mblen(p);
		}
	}
	ls->statement = 0;
	ls->line = line;
	migrate_lint_add(ls, MIGRATE_ERROR, "unparsable_body", NULL, NoLock, -1,
					 psprintf("%s", edata->message),
					 pstrdup("Fix the syntax: nothing of this body can run, and lint cannot see past it."));
}

/* A body of the plan, parsed before any is analysed. */
typedef struct LintBody
{
	const char *revision;		/* NULL for lint_sql */
	const char *body;
	bool		transactional;
	List	   *stmts;			/* RawStmt list; NIL if it does not parse */
	ErrorData  *error;			/* the parser's error, or NULL */
} LintBody;

/*
 * Analyse one body.  "own_transaction": the body starts a transaction of
 * its own in the plan's model (migrate.run); a non-transactional body is a
 * transaction per statement.
 */
static void
lint_body(LintState *ls, LintBody *b, bool own_transaction)
{
	MemoryContext stmtcxt = AllocSetContextCreate(CurrentMemoryContext,
												  "migrate lint statement",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = CurrentMemoryContext;
	const char *body = b->body;
	ListCell   *lc;
	int			line = 1;
	int			counted = 0;	/* bytes of body whose newlines are counted */
	int			len = strlen(body);

	ls->revision = b->revision;
	ls->transactional = b->transactional;
	if (own_transaction)
		ls->txn++;
	if (b->error != NULL)
	{
		lint_unparsable(ls, body, b->error);
		MemoryContextDelete(stmtcxt);
		return;
	}
	ls->statement = 0;
	foreach(lc, b->stmts)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		int			start = migrate_statement_start(body, raw->stmt_location);
		int			end = raw->stmt_len == 0 ? len : raw->stmt_location + raw->stmt_len;

		CHECK_FOR_INTERRUPTS();
		/* lines from where the last statement started: linear in the body */
		for (; counted < start; counted++)
			if (body[counted] == '\n')
				line++;
		ls->statement++;
		ls->line = line;
		ls->stmt_text = body + start;
		ls->stmt_len = Max(end - start, 0);
		if (!b->transactional && ls->statement > 1)
			ls->txn++;
		MemoryContextSwitchTo(stmtcxt);
		migrate_lint_statement(ls, raw->stmt);
		MemoryContextSwitchTo(old);
		MemoryContextReset(stmtcxt);
		ls->stmt_rels = NIL;
	}
	MemoryContextDelete(stmtcxt);
}

/*
 * Parse every body, find where a body uses an enum value an earlier one
 * added (commit_boundary.c, the detector upgrade() refuses plans by), then
 * analyse the bodies in order.  "one_transaction": the plan runs in one
 * transaction (upgrade()), else one per revision (migrate.run).
 */
static void
lint_bodies(LintState *ls, LintBody *bodies, int n, bool one_transaction)
{
	MemoryContext parsecxt = AllocSetContextCreate(CurrentMemoryContext,
												   "migrate lint parse trees",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(parsecxt);
	const char **texts = palloc(sizeof(char *) * Max(n, 1));
	List	  **stmts = palloc(sizeof(List *) * Max(n, 1));

	for (int k = 0; k < n; k++)
	{
		CHECK_FOR_INTERRUPTS();
		bodies[k].stmts = migrate_try_parse_body(bodies[k].body, &bodies[k].error);
		texts[k] = bodies[k].error ? NULL : bodies[k].body;
		stmts[k] = bodies[k].stmts;
	}
	ls->boundaries = migrate_commit_boundaries(texts, stmts, n, true,
											   &ls->nboundaries);
	MemoryContextSwitchTo(old);
	ls->one_transaction = one_transaction;
	for (int k = 0; k < n; k++)
	{
		CHECK_FOR_INTERRUPTS();
		ls->body_index = k;
		lint_body(ls, &bodies[k], k == 0 || !one_transaction);
	}
	ls->boundaries = NULL;
	ls->nboundaries = 0;
	MemoryContextDelete(parsecxt);
}

static void
put_rows(FunctionCallInfo fcinfo, LintState *ls)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	foreach(lc, ls->rows)
	{
		LintRow    *r = (LintRow *) lfirst(lc);
		Datum		v[LINT_COLUMNS];
		bool		n[LINT_COLUMNS];
		const char *lock = migrate_lint_lock_name(r->lock);

		memset(n, 0, sizeof(n));
		n[0] = r->revision == NULL;
		v[0] = n[0] ? (Datum) 0 : CStringGetTextDatum(r->revision);
		n[1] = r->statement == 0;
		v[1] = Int32GetDatum(r->statement);
		v[2] = Int32GetDatum(r->line);
		v[3] = CStringGetTextDatum(migrate_severity_name(r->severity));
		v[4] = CStringGetTextDatum(r->code);
		n[5] = r->relation == NULL;
		v[5] = n[5] ? (Datum) 0 : CStringGetTextDatum(r->relation);
		n[6] = lock == NULL;
		v[6] = n[6] ? (Datum) 0 : CStringGetTextDatum(lock);
		n[7] = r->rewrite < 0;
		v[7] = BoolGetDatum(r->rewrite > 0);
		n[8] = n[9] = r->relation == NULL || !r->sized;
		v[8] = Int64GetDatum(r->rows);
		v[9] = Int64GetDatum(r->bytes);
		n[10] = r->message == NULL;
		v[10] = n[10] ? (Datum) 0 : CStringGetTextDatum(r->message);
		n[11] = r->hint == NULL;
		v[11] = n[11] ? (Datum) 0 : CStringGetTextDatum(r->hint);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
	}
}

/*
 * The plan lint analyses: the same graph, target resolution and plan as
 * upgrade() / downgrade(), with the bodies they would run.  "project" is
 * the one place the project argument flows into planning: the project's
 * graph is loaded.
 */
static void
lint_plan(Run *run, const char *target, MigrateDirection dir,
		  const char *project)
{
	MigrateTarget *t;
	int		   *plan;
	int			n;

	migrate_run_init(run, project, dir, "lint", target);
	/* no migration lock: lint runs nothing (as plan() in status.c) */
	run->graph = migrate_load_graph_ext(CurrentMemoryContext, project, 0);
	t = migrate_resolve_target(run->graph, target, dir);
	plan = dir == MIGRATE_UP ? migrate_plan_upgrade(run->graph, t, &n)
		: migrate_plan_downgrade(run->graph, t, &n);
	migrate_run_prepare_steps(run, plan, n);
}

Datum
migrate_lint(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_target_arg(fcinfo, 0);
	MigrateDirection dir = migrate_direction_arg(fcinfo, 1);
	const char *project = migrate_project_arg(fcinfo, 2);
	LintState	ls;
	Run			run;
	LintBody   *bodies;
	bool		one_transaction = true;

	migrate_srf_init(fcinfo);
	lint_state_init(&ls);
	lint_plan(&run, target, dir, project);

	bodies = palloc0(sizeof(LintBody) * Max(run.nsteps, 1));
	for (int k = 0; k < run.nsteps; k++)
	{
		bodies[k].revision = run.steps[k].id;
		bodies[k].body = run.steps[k].body;
		bodies[k].transactional = run.steps[k].transactional;
		/* migrate.upgrade() runs a plan of transactional revisions in one
		 * transaction; a plan with another kind runs through migrate.run */
		if (!run.steps[k].transactional)
			one_transaction = false;
	}
	lint_bodies(&ls, bodies, run.nsteps, one_transaction);
	put_rows(fcinfo, &ls);
	migrate_graph_free(run.graph, "migrate.lint");
	return (Datum) 0;
}

Datum
migrate_lint_sql(PG_FUNCTION_ARGS)
{
	char	   *body = migrate_required_text_arg(fcinfo, 0, "body");
	bool		transactional;
	LintState	ls;
	LintBody	one = {NULL, NULL, true, NIL, NULL};

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("transactional must not be NULL")));
	transactional = PG_GETARG_BOOL(1);
	migrate_srf_init(fcinfo);
	lint_state_init(&ls);
	one.body = body;
	one.transactional = transactional;
	lint_bodies(&ls, &one, 1, transactional);
	put_rows(fcinfo, &ls);
	return (Datum) 0;
}
