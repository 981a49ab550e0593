/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  The transactional engine: migrate.upgrade, migrate.downgrade and
 *	  migrate.stamp, inside the caller's transaction.
 *
 * A run is planned by steps.c (lock, fresh snapshot, graph, target, plan,
 * every body fetched and parsed), then:
 *	 1. the plan runs in one internal subtransaction (run_plan says why
 *	    not one per revision), each revision at a new GUC nest level, one
 *	    statement at a time from the trees parse-before-run made
 *	    (execstmt.c), as the calling user or, across the role boundary,
 *	    as the role that registered it (rights.c), with lock_timeout =
 *	    migrate.lock_timeout; a lock timeout rolls the plan back and tries
 *	    it again after a pause, up to migrate.lock_retries times
 *	    (subxact.c);
 *	 2. on success, the applied state, the run and its steps are recorded
 *	    in the caller's transaction (runlog.c); on failure, the failed run
 *	    is recorded through runlog.c's background worker, then the body's
 *	    own error is re-raised.
 *
 * The statement runner and the per-revision subtransaction are also the
 * procedure engine's (run.c) for transactional revisions.
 *
 * Every call acts on one project (its trailing argument; NULL: the setting
 * migrate.project).
 *
 * Locking: the project's migration lock is held from planning to the end
 * of the caller's transaction.
 * Settings: whatever a body changes with SET (search_path, role, timeouts)
 * is discarded after the revision with AtEOXact_GUC(false, level).
 *
 * IDENTIFICATION
 *	  src/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(migrate_upgrade);
PG_FUNCTION_INFO_V1(migrate_downgrade);
PG_FUNCTION_INFO_V1(migrate_stamp);

static void
refuse_non_transactional(Run *run)
{
	for (int k = 0; k < run->nsteps; k++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!run->steps[k].transactional)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("revision \"%s\" is not transactional and cannot run inside migrate.%s()",
							run->steps[k].id, run->kind),
					 errdetail("Step %d of %d runs statements such as CREATE INDEX CONCURRENTLY that refuse a transaction block; nothing was run.",
							   k + 1, run->nsteps),
					 errhint("Run %s outside a transaction block: it commits after each revision and runs such statements at top level.",
							 migrate_run_call_text(run))));
	}
}

/*
 * The commit boundaries of the run's steps, in plan order (every body
 * parsed: run->steps[k].stmts set).
 */
MigrateCommitBoundary *
migrate_run_commit_boundaries(Run *run, int *count)
{
	const char **bodies = palloc(sizeof(char *) * Max(run->nsteps, 1));
	List	  **stmts = palloc(sizeof(List *) * Max(run->nsteps, 1));

	for (int k = 0; k < run->nsteps; k++)
	{
		CHECK_FOR_INTERRUPTS();
		bodies[k] = run->steps[k].body;
		stmts[k] = run->steps[k].stmts;
	}
	return migrate_commit_boundaries(bodies, stmts, run->nsteps, false, count);
}

/*
 * A plan in which a revision uses an enum value that an earlier revision of
 * the same plan adds (ALTER TYPE ... ADD VALUE): one transaction cannot run
 * it, since the value cannot be used before its transaction commits.  Refused
 * before anything runs, with the SQLSTATE the body would have failed with
 * (55P04), naming both revisions and CALL migrate.run, which commits after
 * each revision.
 */
static void
refuse_commit_boundaries(Run *run)
{
	int			n;
	MigrateCommitBoundary *b = migrate_run_commit_boundaries(run, &n);

	if (n == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_UNSAFE_NEW_ENUM_VALUE_USAGE),
			 errmsg("revision \"%s\" uses the value \"%s\" that revision \"%s\" adds to enum type %s: they cannot run in one transaction",
					run->steps[b->user].id, b->label, run->steps[b->adder].id,
					b->type_name),
			 errdetail("Steps %d and %d of %d. A value added by ALTER TYPE ... ADD VALUE cannot be used before its transaction commits, and migrate.%s() runs the whole plan in one transaction; nothing was run.",
					   b->adder + 1, b->user + 1, run->nsteps, run->kind),
			 errhint("Run %s outside a transaction block: it commits after each revision.",
					 migrate_run_call_text(run))));
}

/*
 * A downgrade may run a non-transactional revision's downgrade body in the
 * caller's transaction, unless that body holds a statement that refuses a
 * transaction block (DROP INDEX CONCURRENTLY): then migrate.run is the way.
 */
static void
refuse_top_level_downgrades(Run *run)
{
	for (int k = 0; k < run->nsteps; k++)
	{
		Step	   *st = &run->steps[k];
		List	   *stmts;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		if (st->transactional)
			continue;
		/* kept: migrate_run_parse_bodies does not parse it again */
		stmts = st->stmts = migrate_step_parse(run, k);
		foreach(lc, stmts)
			if (migrate_statement_needs_top_level(lfirst_node(RawStmt, lc)->stmt))
				ereport(ERROR,
						(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						 errmsg("the downgrade of revision \"%s\" cannot run inside migrate.downgrade()",
								st->id),
						 errdetail("Step %d of %d runs a statement that refuses a transaction block; nothing was run.",
								   k + 1, run->nsteps),
						 errhint("Run %s outside a transaction block.",
								 migrate_run_call_text(run))));
	}
}

/*
 * The error context of a running body.  An error position inside the
 * statement becomes one inside the body: the characters before the
 * statement are counted here, once, when an error needs them (counting
 * them for every statement would make a body of n statements cost n^2).
 * A statement run from its parse tree (execstmt.c) had the whole body as
 * its query text: its positions are the body's already, and the context
 * line SPI's callback adds for a statement run through SPI is added here,
 * with the statement's own text.
 */
void
migrate_body_error_callback(void *arg)
{
	BodyErrorContext *c = (BodyErrorContext *) arg;
	int			pos = c->parsed ? geterrposition() : 0;
	int			ipos;

	if (pos > 0)
	{
		/* as SPI's callback does: a position in the query text is internal */
		errposition(0);
		internalerrposition(pos);
		internalerrquery(c->step->body);
	}
	else
	{
		ipos = getinternalerrposition();
		if (ipos > 0 && c->stmt_byte_offset >= 0)
		{
			internalerrposition(ipos + pg_mbstrlen_with_len(c->step->body,
															c->stmt_byte_offset));
			internalerrquery(c->step->body);
		}
		if (c->parsed && c->raw != NULL)
			errcontext("SQL statement \"%s\"",
					   migrate_step_statement_text(c->step, c->raw));
	}
	errcontext("%s body of revision \"%s\" (step %d of %d), statement %d",
			   migrate_body_kind(c->run->dir),
			   c->step->id, c->run->cur_step + 1, c->run->nsteps,
			   c->run->cur_stmt + 1);
}

/* The text of a statement of a step, from its first token. */
char *
migrate_step_statement_text(Step *st, RawStmt *raw)
{
	int			loc = migrate_statement_start(st->body, raw->stmt_location);
	int			end = raw->stmt_len == 0 ? (int) strlen(st->body)
		: raw->stmt_location + raw->stmt_len;

	return pnstrdup(st->body + loc, Max(end - loc, 0));
}

/*
 * One statement of a body, with the statement guards around it
 * (stmtguard.c): from its parse tree (execstmt.c), or, for the few that
 * keep their query text (migrate_statement_runs_parsed), through SPI
 * (connected by the caller) with its text.
 */
void
migrate_run_statement(Run *run, Step *st, RawStmt *raw, BodyErrorContext *ctx)
{
	char	   *volatile sql = NULL;
	volatile int rc = 0;
	bool		parsed = migrate_statement_runs_parsed(raw);

	ctx->stmt_byte_offset = migrate_statement_start(st->body, raw->stmt_location);
	ctx->raw = raw;
	if (!parsed)
		sql = migrate_step_statement_text(st, raw);
	migrate_guard_statement_begin(run);
	PG_TRY();
	{
		if (parsed)
		{
			ctx->parsed = true;
			migrate_execute_parsed(st->body, raw);
			ctx->parsed = false;
		}
		else
			rc = SPI_execute(sql, false, 0);
	}
	PG_FINALLY();
	{
		migrate_guard_statement_end(run);
	}
	PG_END_TRY();
	if (rc >= 0)
		migrate_guard_statement_check(run, st);
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("statement %d of revision \"%s\" cannot run in a revision body: %s",
						run->cur_stmt + 1, st->id, SPI_result_code_string(rc))));
	if (!parsed)
	{
		/* a body's SELECT results are not wanted: do not keep them till the end */
		SPI_freetuptable(SPI_tuptable);
		pfree(sql);
	}
}

typedef struct BodyCall
{
	Run		   *run;
	Step	   *step;
} BodyCall;

/*
 * Run one body inside the current (sub)transaction: new GUC nest level,
 * lock_timeout, statements one by one, then every setting the body made
 * discarded and the caller's user restored.
 */
static void
execute_body(void *arg)
{
	BodyCall   *call = (BodyCall *) arg;
	Run		   *run = call->run;
	Step	   *st = call->step;
	Oid			save_userid;
	int			save_sec;
	int			nest;
	ErrorContextCallback errcb;
	BodyErrorContext ctx;
	MigrateBoundary boundary;
	ListCell   *lc;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	nest = NewGUCNestLevel();
	if (migrate_lock_timeout_ms > 0)
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), "%d", migrate_lock_timeout_ms);
		(void) set_config_option("lock_timeout", buf, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}

	ctx.run = run;
	ctx.step = st;
	ctx.stmt_byte_offset = -1;
	ctx.raw = NULL;
	ctx.parsed = false;
	errcb.callback = migrate_body_error_callback;
	errcb.arg = &ctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	run->cur_stmt = 0;
	migrate_body_enter(run, st);
	/* as the registrant where the role boundary says so (rights.c) */
	migrate_boundary_enter(st, &boundary);
	foreach(lc, st->stmts)
	{
		CHECK_FOR_INTERRUPTS();
		if (run->stmt_hook)
			run->stmt_hook(run, st, false);
		migrate_run_statement(run, st, lfirst_node(RawStmt, lc), &ctx);
		if (run->stmt_hook)
			run->stmt_hook(run, st, true);
		run->cur_stmt++;
	}
	migrate_boundary_leave(&boundary);
	migrate_body_leave();

	error_context_stack = errcb.previous;
	AtEOXact_GUC(false, nest);
	SetUserIdAndSecContext(save_userid, save_sec);
}

/* The relation a statement works on, for lock messages; NULL if unknown. */
static RangeVar *
statement_relation(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			return ((AlterTableStmt *) stmt)->relation;
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->relation;
		case T_RenameStmt:
			return ((RenameStmt *) stmt)->relation;
		case T_CreateTrigStmt:
			return ((CreateTrigStmt *) stmt)->relation;
		case T_RuleStmt:
			return ((RuleStmt *) stmt)->relation;
		case T_LockStmt:
			return linitial_node(RangeVar, ((LockStmt *) stmt)->relations);
		case T_TruncateStmt:
			return linitial_node(RangeVar, ((TruncateStmt *) stmt)->relations);
		case T_InsertStmt:
			return ((InsertStmt *) stmt)->relation;
		case T_UpdateStmt:
			return ((UpdateStmt *) stmt)->relation;
		case T_DeleteStmt:
			return ((DeleteStmt *) stmt)->relation;
		case T_CreateStmt:
			{
				CreateStmt *c = (CreateStmt *) stmt;

				if (c->inhRelations)
					return linitial_node(RangeVar, c->inhRelations);
				return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * Who holds locks on "relid", as the caller may see them: "PID n (mode,
 * state, since ...)" joined by "; ", or NULL.
 */
static char *
lock_holders(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};

	return migrate_query_text_value(false,
									"SELECT string_agg(format('PID %s (%s, %s, since %s)',"
									"   l.pid, l.mode, coalesce(a.state, '?'),"
									"   coalesce(a.xact_start::text, '?')), '; ' ORDER BY l.pid)"
									"  FROM pg_catalog.pg_locks l"
									"  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
									" WHERE l.relation = $1 AND l.granted"
									"   AND l.pid <> pg_catalog.pg_backend_pid()",
									1, argtypes, values, NULL);
}

/* Does the text end a sentence already (".", "!", "?")? */
static bool
ends_sentence(const char *s)
{
	size_t		len = strlen(s);

	return len > 0 && strchr(".!?", s[len - 1]) != NULL;
}

/*
 * The final lock-timeout error: which statement, which relation, who holds
 * it: two sentences, the statement's and the holders'.  Runs in the (valid) outer transaction after the revision rolled back.
 */
static void
raise_lock_failure(Run *run, Step *st, ErrorData *edata)
{
	RawStmt    *raw = (run->cur_stmt < list_length(st->stmts)) ?
		list_nth_node(RawStmt, st->stmts, run->cur_stmt) : NULL;
	RangeVar   *rv = raw ? statement_relation(raw->stmt) : NULL;
	char	   *relname = NULL;
	char	   *holders = NULL;
	char	   *stmt_text = raw ? migrate_step_statement_text(st, raw) : pstrdup("?");

	if (strlen(stmt_text) > 200)
		stmt_text = psprintf("%s...", pnstrdup(stmt_text, 200));

	if (rv)
	{
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		relname = rv->schemaname ?
			psprintf("%s.%s", rv->schemaname, rv->relname) : pstrdup(rv->relname);
		if (OidIsValid(relid))
			holders = lock_holders(relid);
	}

	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 relname ?
			 errmsg("revision \"%s\" could not lock relation \"%s\" within migrate.lock_timeout (%d ms), %d tries",
					st->id, relname, migrate_lock_timeout_ms, run->tries + 1) :
			 errmsg("revision \"%s\" could not obtain a lock within migrate.lock_timeout (%d ms), %d tries",
					st->id, migrate_lock_timeout_ms, run->tries + 1),
			 errdetail("Statement %d of the body waited for its lock: %s%s%s%s%s",
					   run->cur_stmt + 1, stmt_text,
					   ends_sentence(stmt_text) ? "" : ".",
					   holders ? " The lock is held by " : "",
					   holders ? holders : "",
					   holders ? "." : ""),
			 errhint("Other transactions hold conflicting locks; nothing of this run was applied. Retry when they finish, or raise migrate.lock_timeout or migrate.lock_retries."),
			 errcontext("%s", edata->message)));
}

/* Record a failure through the run log's background recorder. */
static void
record_failure(Run *run, Step *st, ErrorData *edata)
{
	MigrateFailure f;
	const char *appname = GetConfigOption("application_name", true, false);

	memset(&f, 0, sizeof(f));
	f.owner = migrate_catalog_owner();
	f.project = run->project;
	f.kind = run->kind;
	f.target = run->target;
	f.started_at = pstrdup(timestamptz_to_str(run->started_at));
	f.from_heads = OidOutputFunctionCall(F_ARRAY_OUT, run->from_heads);
	f.db_user = run->caller_name;
	f.application_name = appname;
	f.revision = st->id;
	f.step = run->cur_step + 1;
	f.step_started_at = pstrdup(timestamptz_to_str(st->started_at));
	f.sqlstate = unpack_sql_state(edata->sqlerrcode);
	f.message = edata->message;
	f.detail = edata->detail;
	f.hint = edata->hint;
	f.context = edata->context;
	(void) migrate_record_failure(&f);
}

/* After a failed try: record the failure (if asked) and raise it. */
static void
step_failed(Run *run, Step *st, ErrorData *edata, bool record)
{
	migrate_body_reset();
	if (record)
		record_failure(run, st, edata);
	if (migrate_is_lock_timeout(edata))
		raise_lock_failure(run, st, edata);
	ReThrowError(edata);
}

/* The revision a failed try was running, for the retry NOTICE. */
static char *
describe_current_step(void *arg)
{
	BodyCall   *call = (BodyCall *) arg;

	return psprintf("revision \"%s\"", call->run->steps[call->run->cur_step].id);
}

/*
 * Run step k in an internal subtransaction, retrying after lock timeouts.
 * On failure: record it (unless "record" is false: the procedure engine
 * records in its own transaction) and raise.
 */
void
migrate_run_transactional_step(Run *run, Step *st, int k, bool record)
{
	BodyCall	call = {run, st};
	ErrorData  *edata;

	run->cur_step = k;
	st->started_at = GetCurrentTimestamp();
	edata = migrate_subxact_with_lock_retries_described(execute_body, &call,
														describe_current_step,
														&run->tries);
	if (edata != NULL)
		step_failed(run, st, edata, record);
	st->duration_us = GetCurrentTimestamp() - st->started_at;
}

/*
 * Every step of the plan, one after the other, in the current
 * (sub)transaction; each at its own GUC nest level (execute_body).
 */
static void
execute_plan(void *arg)
{
	BodyCall   *call = (BodyCall *) arg;
	Run		   *run = call->run;

	for (int k = 0; k < run->nsteps; k++)
	{
		Step	   *st = &run->steps[k];

		CHECK_FOR_INTERRUPTS();
		run->cur_step = k;
		call->step = st;
		migrate_report_progress(run, st, k);
		st->started_at = GetCurrentTimestamp();
		execute_body(call);
		st->duration_us = GetCurrentTimestamp() - st->started_at;
	}
}

/*
 * upgrade() and downgrade() run the whole plan in ONE internal
 * subtransaction, not one per revision: committing a subtransaction costs
 * time that grows with everything the transaction has created so far
 * (AtSubCommit_smgr, AtEOSubXact_RelationCache and LockReassignCurrentOwner
 * scan what the transaction holds), so a subtransaction per revision made
 * a long plan quadratic.  The call is all-or-nothing anyway; the
 * subtransaction is there so that a failure leaves the caller's
 * transaction valid for the failure record and the lock report, and so
 * that a lock timeout can be retried: the whole plan runs again from its
 * first revision after the pause (what it had done was rolled back with
 * it).
 */
static void
run_plan(Run *run)
{
	BodyCall	call = {run, NULL};
	ErrorData  *edata;

	edata = migrate_subxact_with_lock_retries_described(execute_plan, &call,
														describe_current_step,
														&run->tries);
	if (edata != NULL)
		step_failed(run, &run->steps[run->cur_step], edata, true);
}

/* Record a successful upgrade or downgrade in the caller's transaction. */
static void
record_success(Run *run)
{
	MigrateRunInfo info;
	MigrateStepInfo *steps = palloc(sizeof(MigrateStepInfo) * Max(run->nsteps, 1));

	for (int k = 0; k < run->nsteps; k++)
	{
		CHECK_FOR_INTERRUPTS();
		migrate_step_info(run, &run->steps[k], &steps[k]);
		run->graph->revs[run->steps[k].idx].applied = (run->dir == MIGRATE_UP);
	}
	migrate_run_info(run, &info);
	migrate_ddl_log_flush();
	/* what the run left, once per run (not per revision: it costs ms) */
	info.fingerprint = migrate_fingerprint_compute();
	(void) migrate_runlog_succeeded(&info, migrate_currents_array(run->graph),
									run->dir, steps, run->nsteps);
}

static Datum
apply_function(FunctionCallInfo fcinfo, MigrateDirection dir, const char *kind)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = migrate_target_arg(fcinfo, 0);
	Run			run;
	const char *save_activity = debug_query_string;

	/*
	 * The shortcut is for READ COMMITTED callers: a REPEATABLE READ snapshot
	 * older than another session's upgrade must fail as the long way fails
	 * (migrate_check_serializable), not report the state it cannot see.
	 */
	bool		to_heads = dir == MIGRATE_UP && !IsolationUsesXactSnapshot() &&
		(strcmp(target, "head") == 0 || strcmp(target, "heads") == 0);
	bool		single_head = to_heads && strcmp(target, "head") == 0;
	const char *project = migrate_project_arg(fcinfo, 1);

	migrate_forbid_in_body(kind);
	migrate_srf_init(fcinfo);

	/* the deploy's everyday call: nothing pending, known without the graph */
	if (to_heads)
	{
		migrate_lock_acquire(project);
		if (migrate_noop_known(project, single_head))
			return (Datum) 0;
	}

	migrate_run_init(&run, project, dir, kind, target);
	migrate_run_plan(&run, CurrentMemoryContext);
	if (run.nsteps == 0)
	{
		if (to_heads)
			migrate_noop_remember(project, single_head, migrate_catalog_generation());
		migrate_graph_free(run.graph, run.kind);
		return (Datum) 0;		/* nothing to do: no run recorded */
	}
	migrate_runlog_mark_interrupted(project, 0);

	if (dir == MIGRATE_UP)
		refuse_non_transactional(&run);
	else
		refuse_top_level_downgrades(&run);
	migrate_run_parse_bodies(&run, false);
	refuse_commit_boundaries(&run);
	/* whose rights each body runs with; a refusal comes before step 1 */
	migrate_run_resolve_roles(&run);

	/*
	 * The run id now, not when the run is recorded at the end: the DDL
	 * ledger names it in the rows of every command the bodies run.
	 */
	run.run_id = migrate_runlog_next_run_id();
	run.ledger_deferred = true;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_plan(&run);
	SPI_finish();
	pgstat_report_activity(STATE_RUNNING, save_activity);

	record_success(&run);
	/* what is left to do now is nothing, for the next call of the same target */
	if (to_heads)
		migrate_noop_remember(project, single_head, migrate_catalog_generation());

	for (int k = 0; k < run.nsteps; k++)
	{
		Step	   *st = &run.steps[k];
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};
		Interval   *iv = palloc0(sizeof(Interval));

		CHECK_FOR_INTERRUPTS();
		iv->time = st->duration_us;
		v[0] = Int32GetDatum(k + 1);
		v[1] = CStringGetTextDatum(st->id);
		if (st->message)
			v[2] = CStringGetTextDatum(st->message);
		else
			nulls[2] = true;
		v[3] = IntervalPGetDatum(iv);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	migrate_graph_free(run.graph, run.kind);
	return (Datum) 0;
}

Datum
migrate_upgrade(PG_FUNCTION_ARGS)
{
	return apply_function(fcinfo, MIGRATE_UP, "upgrade");
}

Datum
migrate_downgrade(PG_FUNCTION_ARGS)
{
	return apply_function(fcinfo, MIGRATE_DOWN, "downgrade");
}

/*
 * stamp(target): make the applied state what an upgrade or downgrade to the
 * target would leave, running nothing (the sets: migrate_plan_stamp in
 * target.c).  Always records a run (with no steps).
 */
Datum
migrate_stamp(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = migrate_target_arg(fcinfo, 0);
	const char *project = migrate_project_arg(fcinfo, 1);
	Run			run;
	MigrateRunInfo info;
	MigrateGraph *graph;
	MigrateTarget *t;
	int		   *add,
			   *del;
	int			nadd,
				ndel;
	char	  **add_ids,
			  **add_sums,
			  **del_ids;
	int64		run_id;

	migrate_forbid_in_body("stamp");
	migrate_srf_init(fcinfo);
	migrate_run_init(&run, project, MIGRATE_ANY, "stamp", target);
	graph = run.graph = migrate_locked_graph(CurrentMemoryContext, project,
											 MIGRATE_LOAD_TEXT);
	migrate_runlog_mark_interrupted(project, 0);
	run.from_heads = migrate_currents_array(graph);
	t = migrate_resolve_target(graph, target, MIGRATE_ANY);
	migrate_plan_stamp(graph, t, &add, &nadd, &del, &ndel);

	add_ids = palloc(sizeof(char *) * Max(nadd, 1));
	add_sums = palloc(sizeof(char *) * Max(nadd, 1));
	del_ids = palloc(sizeof(char *) * Max(ndel, 1));
	for (int k = 0; k < nadd; k++)
	{
		CHECK_FOR_INTERRUPTS();
		add_ids[k] = graph->revs[add[k]].id;
		add_sums[k] = graph->revs[add[k]].checksum;
	}
	for (int k = 0; k < ndel; k++)
	{
		CHECK_FOR_INTERRUPTS();
		del_ids[k] = graph->revs[del[k]].id;
	}

	migrate_run_info(&run, &info);
	/* a stamp says the schema is now what the target leaves: the baseline */
	info.fingerprint = migrate_fingerprint_compute();
	run_id = migrate_runlog_succeeded(&info, migrate_currents_array(graph),
									  MIGRATE_ANY, NULL, 0);
	migrate_runlog_stamp(run_id, project, run.caller_name, add_ids, add_sums, nadd,
						 del_ids, ndel);

	for (int k = 0; k < nadd + ndel; k++)
	{
		Datum		v[2];
		bool		nulls[2] = {false, false};

		CHECK_FOR_INTERRUPTS();
		v[0] = CStringGetTextDatum(k < nadd ? add_ids[k] : del_ids[k - nadd]);
		v[1] = CStringGetTextDatum(k < nadd ? "applied" : "unapplied");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
