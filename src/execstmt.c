/*-------------------------------------------------------------------------
 *
 * execstmt.c
 *	  Running a body's statements from the parse trees the plan's
 *	  parse-before-run made, instead of handing their text to SPI to be
 *	  parsed again.
 *
 * This is what SPI_execute does for one statement (spi.c, _SPI_execute_plan
 * over a one-shot plan, and _SPI_pquery), minus the raw parse: parse
 * analysis at run time (so that a statement sees the objects the previous
 * statements of the same body made), a fresh snapshot when the statement
 * needs one, the command counter advanced before and after, the executor
 * with triggers for a plannable statement, ProcessUtility in an atomic
 * context (PROCESS_UTILITY_QUERY, as SPI passes it) for the others, and no
 * destination for rows (a body's SELECT, SHOW or EXPLAIN output was thrown
 * away before too).
 *
 * The query text given to parse analysis and ProcessUtility is the whole
 * body: the parse tree's locations are byte offsets into it, so an error
 * position is one inside the body already (migrate_body_error_callback
 * makes it an internal position, and adds the "SQL statement" context line
 * SPI's callback used to add, with the statement's own text).
 *
 * PREPARE and DECLARE CURSOR still go through SPI_execute with their text
 * (migrate_statement_runs_parsed says why).
 *
 * IDENTIFICATION
 *	  src/execstmt.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/*
 * Does this statement run from its parse tree (migrate_execute_parsed), or
 * through SPI with its text?  PREPARE and DECLARE keep the query text they
 * are given (pg_prepared_statements, pg_cursors): the statement's own, not
 * the whole body, so they go through SPI.
 */
bool
migrate_statement_runs_parsed(RawStmt *raw)
{
	switch (nodeTag(raw->stmt))
	{
		case T_PrepareStmt:
		case T_DeclareCursorStmt:
			return false;
		default:
			return true;
	}
}

/*
 * A plannable statement (SELECT, INSERT, UPDATE, DELETE, MERGE, or one a
 * rule added), as _SPI_pquery runs it: triggers fired, rows thrown away
 * (SPI kept a SELECT's rows until the statement ended; nobody read them).
 */
static void
execute_plannable(PlannedStmt *ps, const char *body)
{
	QueryDesc  *qd;

	qd = CreateQueryDesc(ps, body, GetActiveSnapshot(), InvalidSnapshot,
						 None_Receiver, NULL, NULL, 0);
	ExecutorStart(qd, 0);
	ExecutorRun(qd, ForwardScanDirection, 0, true);
	ExecutorFinish(qd);
	ExecutorEnd(qd);
	FreeQueryDesc(qd);
}

/*
 * Run one statement of a body from its parse tree, in the current
 * (sub)transaction, as _SPI_execute_plan runs a one-shot plan.  The tree
 * itself is left as it was: parse analysis writes into some (CREATE TABLE
 * AS, EXPLAIN: their query becomes the analysed one), so it analyses a
 * copy, as the plan cache does; a lock-timeout retry runs the same trees
 * again.  Copying a tree costs a fraction of parsing its text.
 */
void
migrate_execute_parsed(const char *body, RawStmt *raw)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "migrate statement",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	List	   *queries;
	List	   *planned;
	bool		pushed = false;
	ListCell   *lc;

#if PG_VERSION_NUM >= 150000
	queries = pg_analyze_and_rewrite_fixedparams(copyObject(raw), body,
												 NULL, 0, NULL);
#else
	queries = pg_analyze_and_rewrite(copyObject(raw), body, NULL, 0, NULL);
#endif
	planned = pg_plan_queries(queries, body, CURSOR_OPT_PARALLEL_OK, NULL);

	/* a snapshot as SPI takes one: fresh, for the statement */
	if (list_length(planned) > 1 ||
		(list_length(planned) == 1 &&
		 PlannedStmtRequiresSnapshot(linitial_node(PlannedStmt, planned))))
	{
#if PG_VERSION_NUM >= 140000
		EnsurePortalSnapshotExists();
#endif
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}

	foreach(lc, planned)
	{
		PlannedStmt *ps = lfirst_node(PlannedStmt, lc);

		/* each sees what the one before it (a rule's action) did */
		if (pushed)
		{
			CommandCounterIncrement();
			UpdateActiveSnapshotCommandId();
		}
		if (ps->utilityStmt == NULL)
			execute_plannable(ps, body);
		else
		{
			QueryCompletion qc;

			InitializeQueryCompletion(&qc);
#if PG_VERSION_NUM >= 140000
			ProcessUtility(ps, body, true, PROCESS_UTILITY_QUERY, NULL, NULL,
						   None_Receiver, &qc);
#else
			ProcessUtility(ps, body, PROCESS_UTILITY_QUERY, NULL, NULL,
						   None_Receiver, &qc);
#endif
		}
	}
	if (pushed)
		PopActiveSnapshot();
	/* what the statement did is visible to the next one */
	CommandCounterIncrement();

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
}
