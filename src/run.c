/*-------------------------------------------------------------------------
 *
 * run.c
 *	  The procedure engine: CALL migrate.run(target, direction), one
 *	  transaction per revision.
 *
 * For plans with non-transactional revisions.  The procedure holds the
 * migration lock at session level for the whole call, takes it again per
 * transaction, and for each revision in turn: plans under a fresh snapshot,
 * runs the revision, records it, commits.
 *
 * A transactional revision runs as in upgrade() (apply.c), in a
 * subtransaction.  A non-transactional revision runs its statements one by
 * one, each in a transaction of its own; a statement that refuses
 * transaction blocks (CREATE INDEX CONCURRENTLY, VACUUM, ...) goes through
 * ProcessUtility as a top-level command, with SPI disconnected, because
 * such commands commit and start transactions themselves.  CREATE INDEX
 * CONCURRENTLY waits for every transaction older than its own to finish:
 * that is why nothing of the caller's may be open around it, and why it
 * cannot run inside upgrade(), whose caller's transaction is still open.
 *
 * The run row is inserted with status 'running' and committed first, so
 * other sessions see the run while it goes; each revision's step row and
 * applied state commit with the revision (runlog.c).
 *
 * Every call acts on one project (its third argument; NULL: the setting
 * migrate.project).
 *
 * Locking: the project's session-level migration lock (lock.c) from the
 * start of the call to its end, plus the transaction-level lock in each
 * transaction (and, for a revision that depends on another project's, that
 * project's lock in share mode in the revision's transaction).
 *
 * Built and tested on PostgreSQL 15; calls whose names changed in 15 are
 * behind PG_VERSION_NUM guards.
 *
 * IDENTIFICATION
 *	  src/run.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(migrate_run);

typedef struct ProcRun
{
	const char *project;
	MemoryContext loopcxt;		/* the steps' context, reset per revision */
	int64		run_id;
	int			applied;
	TimestampTz started_at;
} ProcRun;

typedef struct StatementCall
{
	Run		   *run;
	Step	   *step;
	RawStmt    *raw;
} StatementCall;

static void
top_level_error_callback(void *arg)
{
	StatementCall *call = (StatementCall *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(call->step->body);
	}
	errcontext("non-transactional %s body of revision \"%s\", run at top level, statement %d",
			   migrate_body_kind(call->run->dir), call->step->id, call->run->cur_stmt + 1);
}

/*
 * Run a statement as a top-level command: it may commit by itself.  Across
 * the role boundary it runs as the registrant ("boundary" is entered here
 * and left on success; on error the caller puts its user back).
 */
static void
run_top_level_statement(StatementCall *call, MigrateBoundary *boundary)
{
	Step	   *st = call->step;
	RawStmt    *raw = call->raw;
	List	   *querytrees;
	List	   *plantrees;
	PlannedStmt *pstmt;
	QueryCompletion qc;
	bool		had_snapshot;
	ErrorContextCallback errcb;

	errcb.callback = top_level_error_callback;
	errcb.arg = call;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	/*
	 * As PortalRunUtility does: a snapshot for the command, which commands
	 * that manage their own transactions may pop (VACUUM) or replace (CREATE
	 * INDEX CONCURRENTLY); whatever is left on the stack afterwards is the
	 * command's, since the stack was empty before (SPI_commit released the
	 * portal's snapshots).
	 */
	had_snapshot = ActiveSnapshotSet();
	PushActiveSnapshot(GetTransactionSnapshot());
#if PG_VERSION_NUM >= 150000
	querytrees = pg_analyze_and_rewrite_fixedparams(raw, st->body, NULL, 0, NULL);
#else
	querytrees = pg_analyze_and_rewrite(raw, st->body, NULL, 0, NULL);
#endif
	plantrees = pg_plan_queries(querytrees, st->body, CURSOR_OPT_PARALLEL_OK, NULL);
	pstmt = linitial_node(PlannedStmt, plantrees);
	InitializeQueryCompletion(&qc);
	migrate_guard_statement_begin(call->run);
	migrate_boundary_enter(st, boundary);
	ProcessUtility(pstmt, st->body, false, PROCESS_UTILITY_TOPLEVEL,
				   NULL, NULL, None_Receiver, &qc);
	migrate_boundary_leave(boundary);
	migrate_guard_statement_end(call->run);
	while (!had_snapshot && ActiveSnapshotSet())
		PopActiveSnapshot();

	error_context_stack = errcb.previous;
}

/* Insert the run row (status running): committed, it is visible while it runs. */
static void
proc_start_run(ProcRun *pr, Run *run)
{
	MigrateRunInfo info;

	migrate_run_info(run, &info);
	info.started_at = pr->started_at;
	pr->run_id = migrate_runlog_begin(&info);
}

/* Record one revision of the procedure's run, applied or failed. */
static void
proc_record_step(ProcRun *pr, Run *run, Step *st, bool succeeded)
{
	MigrateStepInfo info;

	migrate_step_info(run, st, &info);
	migrate_runlog_step(pr->run_id, run->cur_step + 1, run->dir, &info,
						run->caller_name, succeeded);
}

/*
 * The run's outcome, and the schema fingerprint it left when that is what
 * its current revisions left: not after a non-transactional revision that
 * failed half way (its first statements stay).
 */
static void
proc_finish_run(ProcRun *pr, Run *run, bool succeeded, ErrorData *edata)
{
	migrate_runlog_finish(pr->run_id, succeeded,
						  run->graph ? migrate_currents_array(run->graph) : (Datum) 0,
						  edata ? run->steps[0].id : NULL, edata,
						  succeeded || run->steps[0].transactional ?
						  migrate_fingerprint_compute() : NULL);
}

/*
 * Settings of a non-transactional revision.  Its statements run in
 * transactions of their own, and top-level commands commit by themselves,
 * so no GUC nest level can span the revision: what the body SETs must take
 * effect for its later statements (SET maintenance_work_mem before CREATE
 * INDEX CONCURRENTLY) and be undone afterwards.  So: before the revision,
 * remember the caller's value of every setting the body names in a SET or
 * RESET statement, and of lock_timeout, which the revision runs with;
 * restore them all when it ends, failed or not (settings.c puts back every
 * other setting too, set_config() and RESET ALL included), and before the
 * revision is recorded: in a transaction begun after the restore, so that
 * a body's default_transaction_read_only cannot make the recording fail
 * and leave the revision run but unrecorded.
 */
typedef struct SavedSettings
{
	int			n;
	char	  **names;
	char	  **values;
	MigrateSettings *all;		/* every setting (settings.c) */
} SavedSettings;

static void
save_setting(SavedSettings *ss, const char *name)
{
	for (int i = 0; i < ss->n; i++)
		if (pg_strcasecmp(ss->names[i], name) == 0)
			return;
	ss->names[ss->n] = pstrdup(name);
	ss->values[ss->n] = GetConfigOptionByName(name, NULL, true);
	ss->n++;
}

static void
save_body_settings(Step *st, SavedSettings *ss)
{
	ListCell   *lc;

	ss->all = migrate_settings_save();
	ss->n = 0;
	ss->names = palloc(sizeof(char *) * (list_length(st->stmts) + 1));
	ss->values = palloc(sizeof(char *) * (list_length(st->stmts) + 1));
	save_setting(ss, "lock_timeout");
	foreach(lc, st->stmts)
	{
		Node	   *stmt = lfirst_node(RawStmt, lc)->stmt;

		if (IsA(stmt, VariableSetStmt))
		{
			VariableSetStmt *vs = (VariableSetStmt *) stmt;

			if (vs->name && vs->kind != VAR_SET_MULTI && vs->kind != VAR_RESET_ALL)
				save_setting(ss, vs->name);
		}
	}
	if (migrate_lock_timeout_ms > 0)
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), "%d", migrate_lock_timeout_ms);
		(void) set_config_option("lock_timeout", buf, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	}
}

static void
restore_body_settings(SavedSettings *ss)
{
	/* every setting the body changed, set_config() and RESET ALL included */
	migrate_settings_restore(ss->all);
	for (int i = 0; i < ss->n; i++)
		if (ss->values[i] != NULL)
			(void) set_config_option(ss->names[i], ss->values[i],
									 superuser() ? PGC_SUSET : PGC_USERSET,
									 PGC_S_SESSION, GUC_ACTION_SET, true,
									 WARNING, false);
}

/*
 * Commit, and go on in a new transaction that holds the migration lock at
 * transaction level too (lock.c), in the loop's memory context.
 */
static void
proc_next_transaction(ProcRun *pr)
{
	SPI_commit();
	MemoryContextSwitchTo(pr->loopcxt);
	migrate_lock_acquire(pr->project);
}

/*
 * A statement of a non-transactional revision failed and its transaction
 * is clean again (subtransaction rolled back, or the transaction rolled
 * back and a new one started): put the caller's settings back, record the
 * failure in a transaction begun after that, commit, and re-raise.
 */
static void
proc_statement_failed(ProcRun *pr, Run *run, Step *st, ErrorData *edata,
					  SavedSettings *ss)
{
	restore_body_settings(ss);
	proc_next_transaction(pr);
	st->duration_us = GetCurrentTimestamp() - st->started_at;
	proc_record_step(pr, run, st, false);
	proc_finish_run(pr, run, false, edata);
	SPI_commit();
	ReThrowError(edata);
}

/* After a failed CREATE INDEX CONCURRENTLY: the INVALID index it left. */
static char *
invalid_index_left(RawStmt *raw)
{
	IndexStmt  *is;
	Oid			relid;
	Datum		values[2];
	char		nulls[2] = {' ', ' '};

	if (!IsA(raw->stmt, IndexStmt) || !((IndexStmt *) raw->stmt)->concurrent)
		return NULL;
	is = (IndexStmt *) raw->stmt;
	relid = RangeVarGetRelid(is->relation, NoLock, true);
	if (!OidIsValid(relid))
		return NULL;
	values[0] = ObjectIdGetDatum(relid);
	if (is->idxname)
		values[1] = CStringGetTextDatum(is->idxname);
	else
	{
		values[1] = (Datum) 0;
		nulls[1] = 'n';
	}
	return migrate_query_text_value(true,
									"SELECT string_agg(i.indexrelid::pg_catalog.regclass::text, ', ')"
									"  FROM pg_catalog.pg_index i"
									"  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
									" WHERE i.indrelid = $1 AND NOT i.indisvalid"
									"   AND ($2::text IS NULL OR c.relname = $2::pg_catalog.name)",
									2, (Oid[]) {OIDOID, TEXTOID}, values, nulls);
}

/*
 * A top-level command (CREATE INDEX CONCURRENTLY, VACUUM ...) failed.  It
 * cannot run in a subtransaction, so its transaction is in an error state
 * with snapshots the command pushed still on the stack.  Drop them (the
 * CALL's portal snapshot included, which SPI re-creates on demand), roll
 * the transaction back the way a procedure's ROLLBACK does, then record the
 * failure with the INVALID index a concurrent build left, and re-raise.
 */
static void
proc_top_level_failed(ProcRun *pr, Run *run, Step *st, RawStmt *raw,
					  ErrorData *edata, SavedSettings *ss,
					  MigrateBoundary *boundary)
{
	char	   *invalid;

	while (ActiveSnapshotSet())
		PopActiveSnapshot();
	if (ActivePortal)
		ActivePortal->portalSnapshot = NULL;
	SPI_connect_ext(SPI_OPT_NONATOMIC);
	SPI_rollback();

	/*
	 * A command that commits by itself (CREATE INDEX CONCURRENTLY) started
	 * its later transactions as the registrant, and the rollback of such a
	 * transaction restores the user it started with: put the caller back,
	 * and commit once so that no open transaction remembers the registrant.
	 */
	if (boundary->active)
	{
		migrate_boundary_leave(boundary);
		SPI_commit();
	}

	invalid = invalid_index_left(raw);
	if (invalid)
	{
		edata->detail = psprintf("%s%sCREATE INDEX CONCURRENTLY left the INVALID index %s.",
								 edata->detail ? edata->detail : "",
								 edata->detail ? " " : "", invalid);
		edata->hint = psprintf("Drop it with DROP INDEX CONCURRENTLY %s; before running revision \"%s\" again.",
							   invalid, st->id);
	}
	proc_statement_failed(pr, run, st, edata, ss);
}

/* One ordinary statement of a non-transactional body (in a subtransaction). */
static void
execute_statement(void *arg)
{
	StatementCall *call = (StatementCall *) arg;
	BodyErrorContext ctx;
	ErrorContextCallback errcb;
	MigrateBoundary boundary;

	ctx.run = call->run;
	ctx.step = call->step;
	ctx.stmt_byte_offset = -1;
	ctx.raw = NULL;
	ctx.parsed = false;
	errcb.callback = migrate_body_error_callback;
	errcb.arg = &ctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	migrate_body_enter(call->run, call->step);
	migrate_boundary_enter(call->step, &boundary);
	migrate_run_statement(call->run, call->step, call->raw, &ctx);
	migrate_boundary_leave(&boundary);
	migrate_body_leave();
	error_context_stack = errcb.previous;
}

/*
 * Statement i of a non-transactional revision, in a transaction of its own
 * that holds the migration lock at transaction level as well, so that a
 * body's pg_advisory_unlock_all() lets nobody in before the lock is taken
 * back (migrate_session_lock_check, after the statement).
 */
static void
proc_run_statement(ProcRun *pr, Run *run, Step *st, int i, SavedSettings *ss)
{
	/*
	 * The loop's context, not CurrentMemoryContext: after a top-level
	 * statement that is SPI's, which SPI_finish deletes.
	 */
	MemoryContext cxt = pr->loopcxt;
	RawStmt    *raw = list_nth_node(RawStmt, st->stmts, i);
	StatementCall call = {run, st, raw};
	ErrorData  *edata;
	char	   *what;

	CHECK_FOR_INTERRUPTS();
	run->cur_stmt = i;
	run->tries = 0;
	proc_next_transaction(pr);

	if (migrate_statement_needs_top_level(raw->stmt))
	{
		/*
		 * Set inside PG_TRY and read in PG_CATCH: static rather than a
		 * local that longjmp could leave stale (migrate.run is never
		 * called from inside itself).
		 */
		static MigrateBoundary boundary;

		/*
		 * SPI_finish returns to the context SPI was connected from, and
		 * top-level commands leave CurrentMemoryContext in a transaction
		 * context of their own: come back to ours both times, so that
		 * nothing lives in a context a commit is about to free.
		 */
		SPI_finish();
		MemoryContextSwitchTo(cxt);
		memset(&boundary, 0, sizeof(boundary));
		PG_TRY();
		{
			migrate_body_enter(run, st);
			run_top_level_statement(&call, &boundary);
			migrate_body_leave();
		}
		PG_CATCH();
		{
			/* the caller's user first: nothing below runs as the registrant */
			migrate_boundary_leave(&boundary);
			migrate_body_reset();
			migrate_guard_statement_end(run);
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			proc_top_level_failed(pr, run, st, raw, edata, ss, &boundary);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		SPI_connect_ext(SPI_OPT_NONATOMIC);
		MemoryContextSwitchTo(cxt);
		/* as after a failure: no open transaction remembers the registrant */
		if (boundary.active)
		{
			SPI_commit();
			MemoryContextSwitchTo(cxt);
		}
		/* the command committed its own transactions: hold the lock in this one */
		migrate_lock_acquire(run->project);
		migrate_session_lock_check(run->project, st->id);
		return;
	}

	/* an ordinary statement: a subtransaction, retried after lock timeouts */
	what = psprintf("statement %d of revision \"%s\"", i + 1, st->id);
	edata = migrate_subxact_with_lock_retries(execute_statement, &call, what,
											  &run->tries);
	if (edata != NULL)
	{
		migrate_body_reset();
		proc_statement_failed(pr, run, st, edata, ss);
	}
	MemoryContextSwitchTo(cxt);
	/* a body's pg_advisory_unlock_all(): take the lock back before the commit */
	migrate_session_lock_check(run->project, st->id);
}

/*
 * A non-transactional revision: each statement in a transaction of its own,
 * then the caller's settings back, and a new transaction to record it in.
 */
static void
proc_run_non_transactional(ProcRun *pr, Run *run, Step *st)
{
	SavedSettings ss;

	save_body_settings(st, &ss);
	for (int i = 0; i < list_length(st->stmts); i++)
		proc_run_statement(pr, run, st, i, &ss);
	restore_body_settings(&ss);
	proc_next_transaction(pr);
	st->duration_us = GetCurrentTimestamp() - st->started_at;
}

/*
 * The procedure's loop.  The plan is computed once, in the first
 * transaction (so that relative targets such as +2 or -1 mean what they
 * meant when the call started), and every body in it is parsed then.  Each
 * later transaction takes the lock again, reloads the graph under a fresh
 * snapshot, and runs the next revision of the plan if it still needs it.
 */
static void
proc_loop(const char *target, MigrateDirection dir, ProcRun *pr)
{
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext loopcxt = AllocSetContextCreate(callcxt, "migrate.run",
												  ALLOCSET_DEFAULT_SIZES);
	char	  **plan_ids = NULL;
	int			total = 0;
	const char *kind = migrate_body_kind(dir);

	pr->loopcxt = loopcxt;
	SPI_connect_ext(SPI_OPT_NONATOMIC);
	for (int k = -1; k < total; k++)
	{
		Run			run;
		Step	   *volatile st;
		int			idx;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(loopcxt);
		MemoryContextSwitchTo(loopcxt);
		migrate_run_init(&run, pr->project, dir, kind, target);
		run.run_id = pr->run_id;
		run.graph = migrate_locked_graph(loopcxt, pr->project, 0);
		migrate_runlog_mark_interrupted(pr->project, pr->run_id);
		run.from_heads = migrate_currents_array(run.graph);

		if (k < 0)
		{
			MigrateTarget *t = migrate_resolve_target(run.graph, target, dir);
			int			n;
			int		   *plan = dir == MIGRATE_UP ? migrate_plan_upgrade(run.graph, t, &n)
				: migrate_plan_downgrade(run.graph, t, &n);

			if (n == 0)
				break;			/* nothing to do: no run recorded */
			total = n;
			plan_ids = MemoryContextAlloc(callcxt, sizeof(char *) * n);
			for (int i = 0; i < n; i++)
				plan_ids[i] = MemoryContextStrdup(callcxt, run.graph->revs[plan[i]].id);
			/* other projects' dependencies, then every body parses, before anything runs */
			migrate_run_check_other_projects(&run, plan, n);
			migrate_run_prepare_steps(&run, plan, n);
			migrate_run_parse_bodies(&run, true);
			/* whose rights each body runs with; a refusal comes first */
			migrate_run_resolve_roles(&run);
			pr->started_at = run.started_at;
			proc_start_run(pr, &run);
			SPI_commit();
			continue;
		}

		idx = migrate_graph_find(run.graph, plan_ids[k]);
		if (idx < 0 || !run.graph->revs[idx].registered)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision \"%s\" was removed while migrate.run() was running",
							plan_ids[k])));
		if (run.graph->revs[idx].applied == (dir == MIGRATE_UP))
			continue;			/* already where the plan wants it */

		/* still so in this transaction: the other projects' locks were released */
		migrate_run_check_other_projects(&run, &idx, 1);
		migrate_run_prepare_steps(&run, &idx, 1);
		migrate_run_parse_bodies(&run, true);
		migrate_step_resolve_role(&run, 0);
		st = &run.steps[0];
		run.nsteps = total;		/* progress: step k of the whole run */
		run.cur_step = k;
		migrate_report_progress(&run, st, k);
		st->started_at = GetCurrentTimestamp();

		if (st->transactional || dir == MIGRATE_DOWN)
		{
			if (!st->transactional)
			{
				/* a downgrade body of a non-transactional revision */
				proc_run_non_transactional(pr, &run, st);
			}
			else
			{
				PG_TRY();
				{
					migrate_run_transactional_step(&run, st, k, false);
					migrate_session_lock_check(run.project, st->id);
				}
				PG_CATCH();
				{
					ErrorData  *edata;

					MemoryContextSwitchTo(loopcxt);
					edata = CopyErrorData();
					FlushErrorState();
					/* the revision's subtransaction is already rolled back */
					proc_record_step(pr, &run, st, false);
					proc_finish_run(pr, &run, false, edata);
					SPI_commit();
					ReThrowError(edata);
				}
				PG_END_TRY();
			}
		}
		else
			proc_run_non_transactional(pr, &run, st);

		run.graph->revs[st->idx].applied = (dir == MIGRATE_UP);
		proc_record_step(pr, &run, st, true);
		pr->applied++;
		SPI_commit();

		/* a body may have called pg_advisory_unlock_all(): do not go on unguarded */
		if (!migrate_lock_held(pr->project))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision \"%s\" released the migration lock", st->id),
					 errdetail("Revisions up to and including it are applied and recorded; the rest of the plan was not run."),
					 errhint("Remove the pg_advisory_unlock call from the body, then run migrate.run again.")));
	}

	/* the run row, in a last transaction of its own */
	if (pr->run_id != 0)
	{
		Run			run;

		MemoryContextReset(loopcxt);
		MemoryContextSwitchTo(loopcxt);
		migrate_run_init(&run, pr->project, dir, kind, target);
		run.graph = migrate_locked_graph(loopcxt, pr->project, 0);
		proc_finish_run(pr, &run, true, NULL);
		SPI_commit();
	}
	SPI_finish();
	MemoryContextSwitchTo(callcxt);
	MemoryContextDelete(loopcxt);
}

Datum
migrate_run(PG_FUNCTION_ARGS)
{
	char	   *target;
	MigrateDirection dir;
	ProcRun		pr;
	const char *save_activity = debug_query_string;

	migrate_forbid_in_body("run");

	/*
	 * Top-level commands (CREATE INDEX CONCURRENTLY) commit by themselves,
	 * which would pop the SPI connection of a caller such as a DO block or
	 * another procedure: only a CALL issued on its own will do.
	 */
	if (SPI_inside_nonatomic_context())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate.run() must be invoked with CALL as a statement of its own"),
				 errdetail("It was called from a DO block, a procedure or a function."),
				 errhint("Run CALL migrate.run('head'); directly.")));
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migrate.run() must be invoked with CALL outside a transaction block"),
				 errdetail("It commits after each revision."),
				 errhint("Run CALL migrate.run('head'); on its own, not inside BEGIN ... COMMIT or a function.")));
	target = migrate_target_arg(fcinfo, 0);
	dir = migrate_direction_arg(fcinfo, 1);
	memset(&pr, 0, sizeof(pr));
	pr.project = migrate_project_arg(fcinfo, 2);

	migrate_extension_lock_acquire();
	PG_TRY();
	{
		migrate_session_lock_acquire(pr.project);
		proc_loop(target, dir, &pr);
	}
	PG_FINALLY();
	{
		migrate_session_lock_release(pr.project);
		migrate_extension_lock_release();
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_RUNNING, save_activity);
	if (pr.applied > 0)
		ereport(NOTICE,
				(errmsg("%s %d revision%s", dir == MIGRATE_UP ? "applied" : "reverted",
						pr.applied, pr.applied == 1 ? "" : "s")));
	PG_RETURN_VOID();
}
