/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Applying revisions: migrate.upgrade, migrate.downgrade, migrate.stamp,
 *	  migrate.sql and the procedure migrate.run.
 *
 * A run goes:
 *	 1. take the migration lock (lock.c), then a fresh snapshot, so that a
 *	    caller that waited plans from what the other caller committed; in
 *	    REPEATABLE READ or SERIALIZABLE a snapshot that cannot see a
 *	    concurrent change to the applied state is a serialization failure;
 *	 2. load the graph, resolve the target, compute the plan;
 *	 3. fetch the plan's bodies and parse every one of them, so that a syntax
 *	    error or a forbidden statement in step 7 stops the run before step 1;
 *	 4. run each revision in an internal subtransaction at a new GUC nest
 *	    level, one statement at a time through SPI, as the calling user,
 *	    with lock_timeout = migrate.lock_timeout; a lock timeout rolls the
 *	    revision back and tries again after a pause, up to
 *	    migrate.lock_retries times;
 *	 5. on success, record applied state, the run and its steps in the
 *	    caller's transaction (as the catalog owner); on failure, record the
 *	    failed run through runlog.c, then re-raise the body's own error.
 *
 * Locking: the migration lock is held from step 1 to the end of the
 * caller's transaction (or, in migrate.run, of each of its transactions).
 * Settings: whatever a body changes with SET (search_path, role, timeouts)
 * is discarded after the revision with AtEOXact_GUC(false, level).
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(migrate_upgrade);
PG_FUNCTION_INFO_V1(migrate_downgrade);
PG_FUNCTION_INFO_V1(migrate_stamp);
PG_FUNCTION_INFO_V1(migrate_sql);
PG_FUNCTION_INFO_V1(migrate_run);

/*
 * Nonzero while a revision body runs in this backend.  A body that calls
 * migrate.upgrade() (or downgrade, stamp, run) would plan again from a state
 * its caller has not recorded yet and apply the same revisions inside
 * themselves: refused.
 */
static int	body_depth = 0;

static void
forbid_in_body(const char *function)
{
	if (body_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate.%s() cannot be called from a revision body", function),
				 errdetail("A revision body runs inside a migration, which has not recorded its own steps yet.")));
}

/* One revision of a plan. */
typedef struct Step
{
	int			idx;			/* graph index */
	char	   *id;
	char	   *message;
	char	   *checksum;
	char	   *body;			/* the upgrade or downgrade body */
	bool		transactional;
	List	   *stmts;			/* RawStmt list of body */
	TimestampTz started_at;
	int64		duration_us;
} Step;

/* One call of upgrade / downgrade / run. */
typedef struct Run
{
	MigrateDirection dir;
	const char *kind;			/* "upgrade" / "downgrade" */
	const char *target;
	MigrateGraph *graph;
	Step	   *steps;
	int			nsteps;
	TimestampTz started_at;
	Datum		from_heads;		/* text[] */
	Oid			caller;
	char	   *caller_name;

	/* where execution is, for error reports */
	int			cur_step;
	int			cur_stmt;
	int			tries;
} Run;

/* For the error context callback of a running body. */
typedef struct BodyErrorContext
{
	Run		   *run;
	Step	   *step;
	int			stmt_char_offset;
} BodyErrorContext;

static char *
required_target_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be NULL"),
				 errhint("Use 'head' for the latest revision or 'base' for none.")));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static Datum
currents_array(MigrateGraph *graph)
{
	int			n;
	int		   *cur = migrate_graph_currents(graph, &n);
	char	  **ids = palloc(sizeof(char *) * Max(n, 1));

	for (int i = 0; i < n; i++)
		ids[i] = graph->revs[cur[i]].id;
	return PointerGetDatum(migrate_cstring_array(ids, n));
}

/*
 * In REPEATABLE READ and SERIALIZABLE, the transaction snapshot is fixed
 * before the lock was granted.  If another session changed the applied
 * state after that snapshot was taken, planning from it would apply
 * revisions twice: fail instead, the way PostgreSQL fails a concurrent
 * update.  Compares migrate.applied under the transaction snapshot and
 * under the latest snapshot (count and an order-independent hash).
 */
static void
check_serializable(void)
{
	Relation	rel;
	Snapshot	snaps[2];
	uint64		count[2] = {0, 0};
	uint64		hash[2] = {0, 0};

	if (!IsolationUsesXactSnapshot())
		return;

	snaps[0] = GetTransactionSnapshot();
	snaps[1] = GetLatestSnapshot();
	rel = table_open(migrate_relid("applied"), AccessShareLock);
	for (int s = 0; s < 2; s++)
	{
		TableScanDesc scan;
		HeapTuple	tup;

		snaps[s] = RegisterSnapshot(snaps[s]);
		scan = table_beginscan(rel, snaps[s], 0, NULL);
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			bool		isnull;
			Datum		d = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);
			text	   *t = DatumGetTextPP(d);

			count[s]++;
			hash[s] += hash_bytes((unsigned char *) VARDATA_ANY(t),
								  VARSIZE_ANY_EXHDR(t));
		}
		table_endscan(scan);
		UnregisterSnapshot(snaps[s]);
	}
	table_close(rel, AccessShareLock);

	/* the registered revisions too: a body replaced meanwhile */
	rel = table_open(migrate_relid("revision"), AccessShareLock);
	{
		AttrNumber	sum_att = get_attnum(RelationGetRelid(rel), "checksum");

		for (int s = 0; s < 2; s++)
		{
			TableScanDesc scan;
			HeapTuple	tup;
			Snapshot	snap = RegisterSnapshot(s == 0 ? GetTransactionSnapshot()
												: GetLatestSnapshot());

			scan = table_beginscan(rel, snap, 0, NULL);
			while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
			{
				bool		isnull;
				text	   *t = DatumGetTextPP(heap_getattr(tup, sum_att,
														RelationGetDescr(rel),
														&isnull));

				count[s]++;
				if (!isnull)
					hash[s] += hash_bytes((unsigned char *) VARDATA_ANY(t),
										  VARSIZE_ANY_EXHDR(t));
			}
			table_endscan(scan);
			UnregisterSnapshot(snap);
		}
	}
	table_close(rel, AccessShareLock);

	if (count[0] != count[1] || hash[0] != hash[1])
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent migration"),
				 errdetail("Another session changed the applied or registered revisions after this transaction's snapshot was taken."),
				 errhint("Retry the transaction; it will see the other session's changes.")));
}

/* Lock, fresh snapshot, graph.  The graph lives in "cxt". */
static MigrateGraph *
locked_graph(MemoryContext cxt, int flags)
{
	MigrateGraph *graph;

	migrate_lock_acquire();
	check_serializable();
	PushActiveSnapshot(GetTransactionSnapshot());
	graph = migrate_load_graph_ext(cxt, flags);
	PopActiveSnapshot();
	return graph;
}

/*
 * Under the migration lock, a run still marked 'running' (other than the
 * caller's own) belongs to a session that no longer holds the lock: it
 * crashed, was terminated, or a top-level command of migrate.run failed.
 * Mark it failed, so status() tells what happened, and name any INVALID
 * index such an interruption may have left.
 */
static void
mark_interrupted_runs(int64 own_run_id)
{
	MigrateBookkeeping bk;
	Datum		values[1] = {Int64GetDatum(own_run_id)};
	Oid			argtypes[1] = {INT8OID};

	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args("UPDATE migrate.run SET status = 'failed',"
							  " finished_at = coalesce(finished_at, pg_catalog.clock_timestamp()),"
							  " error_message = coalesce(error_message,"
							  "   'interrupted: the run did not finish (its session ended, the server restarted, or a top-level statement failed)'),"
							  " error_detail = coalesce(error_detail,"
							  "   (SELECT 'INVALID indexes in the database now: ' ||"
							  "           string_agg(i.indexrelid::pg_catalog.regclass::text, ', ')"
							  "      FROM pg_catalog.pg_index i WHERE NOT i.indisvalid))"
							  " WHERE status = 'running' AND id <> $1",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not mark interrupted runs");
	if (SPI_processed > 0)
		ereport(WARNING,
				(errmsg("%d earlier run%s did not finish and %s now marked failed",
						(int) SPI_processed, SPI_processed == 1 ? "" : "s",
						SPI_processed == 1 ? "is" : "are"),
				 errhint("SELECT * FROM migrate.run WHERE status = 'failed' ORDER BY id DESC shows what they were running.")));
	migrate_bookkeeping_end(&bk);
}

/* Fill steps[] from a plan and fetch their bodies. */
static void
prepare_steps(Run *run, const int *plan, int n)
{
	MigrateBookkeeping bk;
	int		   *step_of = palloc(sizeof(int) * Max(run->graph->nrevs, 1));
	char	  **ids = palloc(sizeof(char *) * Max(n, 1));
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1];
	MemoryContext cxt = CurrentMemoryContext;

	run->nsteps = n;
	run->steps = palloc0(sizeof(Step) * Max(n, 1));
	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &run->graph->revs[plan[k]];
		Step	   *st = &run->steps[k];

		st->idx = plan[k];
		st->id = r->id;
		st->message = r->message;
		st->checksum = r->checksum;
		st->transactional = r->transactional;
		step_of[plan[k]] = k;
		ids[k] = r->id;
	}
	if (n == 0)
		return;

	values[0] = PointerGetDatum(migrate_cstring_array(ids, n));
	migrate_bookkeeping_begin(&bk);
	/* the bodies as of now, after the lock, not as of the statement's start */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute_with_args(run->dir == MIGRATE_UP ?
							  "SELECT id, upgrade, message, checksum FROM migrate.revision WHERE id = ANY ($1)" :
							  "SELECT id, downgrade, message, checksum FROM migrate.revision WHERE id = ANY ($1)",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read revision bodies");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *id = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		char	   *body = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);
		char	   *message = SPI_getvalue(tup, SPI_tuptable->tupdesc, 3);
		char	   *checksum = SPI_getvalue(tup, SPI_tuptable->tupdesc, 4);
		int			idx = migrate_graph_find(run->graph, id);
		Step	   *st;

		if (idx < 0)
			continue;
		st = &run->steps[step_of[idx]];
		st->body = body ? MemoryContextStrdup(cxt, body) : NULL;
		st->message = message ? MemoryContextStrdup(cxt, message) : NULL;
		st->checksum = checksum ? MemoryContextStrdup(cxt, checksum) : NULL;
	}
	PopActiveSnapshot();
	migrate_bookkeeping_end(&bk);

	for (int k = 0; k < n; k++)
		if (run->steps[k].body == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision \"%s\" has no %s body", run->steps[k].id,
							run->dir == MIGRATE_UP ? "upgrade" : "downgrade")));
}

/*
 * Parse every body of the plan before anything runs.  A syntax error is
 * re-raised with its position inside the body; a forbidden statement gets
 * its own SQLSTATE.  "allow_non_transactional": migrate.run may run
 * statements that refuse transaction blocks.
 */
static List *
parse_step_body(Run *run, int k)
{
	Step	   *st = &run->steps[k];
	ErrorData  *edata;
	List	   *stmts = migrate_try_parse_body(st->body, &edata);

	if (edata != NULL)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("%s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 edata->hint ? errhint("%s", edata->hint) : 0,
				 edata->cursorpos > 0 ? internalerrposition(edata->cursorpos) : 0,
				 edata->cursorpos > 0 ? internalerrquery(st->body) : 0,
				 errcontext("%s body of revision \"%s\" (step %d of %d), checked before anything ran",
							run->dir == MIGRATE_UP ? "upgrade" : "downgrade",
							st->id, k + 1, run->nsteps)));
	return stmts;
}

static void
parse_steps(Run *run, bool allow_non_transactional)
{
	for (int k = 0; k < run->nsteps; k++)
	{
		Step	   *st = &run->steps[k];
		int			sqlerrcode;
		char	   *message;
		int			location;

		st->stmts = parse_step_body(run, k);
		if (migrate_statements_problem(st->body, st->stmts,
									   st->transactional || !allow_non_transactional,
									   &sqlerrcode, &message, &location))
			ereport(ERROR,
					(errcode(sqlerrcode),
					 errmsg("revision \"%s\" cannot run: %s", st->id, message),
					 internalerrposition(pg_mbstrlen_with_len(st->body, location) + 1),
					 internalerrquery(st->body),
					 errcontext("%s body of revision \"%s\" (step %d of %d), checked before anything ran",
								run->dir == MIGRATE_UP ? "upgrade" : "downgrade",
								st->id, k + 1, run->nsteps)));
	}
}

static void
refuse_non_transactional(Run *run)
{
	for (int k = 0; k < run->nsteps; k++)
		if (!run->steps[k].transactional)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("revision \"%s\" is not transactional and cannot run inside migrate.%s()",
							run->steps[k].id, run->kind),
					 errdetail("Step %d of %d runs statements such as CREATE INDEX CONCURRENTLY that refuse a transaction block; nothing was run.",
							   k + 1, run->nsteps),
					 errhint("Run CALL migrate.run('%s') outside a transaction block: it commits after each revision and runs such statements at top level.",
							 run->target)));
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

		if (st->transactional)
			continue;
		stmts = parse_step_body(run, k);
		foreach(lc, stmts)
			if (migrate_statement_needs_top_level(lfirst_node(RawStmt, lc)->stmt))
				ereport(ERROR,
						(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						 errmsg("the downgrade of revision \"%s\" cannot run inside migrate.downgrade()",
								st->id),
						 errdetail("Step %d of %d runs a statement that refuses a transaction block; nothing was run.",
								   k + 1, run->nsteps),
						 errhint("Run CALL migrate.run('%s', 'down') outside a transaction block.",
								 run->target)));
	}
}

static void
body_error_callback(void *arg)
{
	BodyErrorContext *c = (BodyErrorContext *) arg;
	int			ipos = getinternalerrposition();

	if (ipos > 0 && c->stmt_char_offset >= 0)
	{
		internalerrposition(ipos + c->stmt_char_offset);
		internalerrquery(c->step->body);
	}
	errcontext("%s body of revision \"%s\" (step %d of %d), statement %d",
			   c->run->dir == MIGRATE_UP ? "upgrade" : "downgrade",
			   c->step->id, c->run->cur_step + 1, c->run->nsteps,
			   c->run->cur_stmt + 1);
}

/* The text of a statement of a step, from its first token. */
static char *
statement_text(Step *st, RawStmt *raw)
{
	int			loc = migrate_statement_start(st->body, raw->stmt_location);
	int			end = raw->stmt_len == 0 ? (int) strlen(st->body)
		: raw->stmt_location + raw->stmt_len;

	return pnstrdup(st->body + loc, Max(end - loc, 0));
}

static void
run_statement(Run *run, Step *st, RawStmt *raw, BodyErrorContext *ctx)
{
	char	   *sql = statement_text(st, raw);
	int			rc;

	ctx->stmt_char_offset =
		pg_mbstrlen_with_len(st->body, migrate_statement_start(st->body, raw->stmt_location));
	rc = SPI_execute(sql, false, 0);
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("statement %d of revision \"%s\" cannot run in a revision body: %s",
						run->cur_stmt + 1, st->id, SPI_result_code_string(rc))));
	/* a body's SELECT results are not wanted: do not keep them till the end */
	SPI_freetuptable(SPI_tuptable);
	pfree(sql);
}

/*
 * Run one body inside the current (sub)transaction: new GUC nest level,
 * lock_timeout, statements one by one, then every setting the body made
 * discarded and the caller's user restored.
 */
static void
execute_body(Run *run, Step *st)
{
	Oid			save_userid;
	int			save_sec;
	int			nest;
	ErrorContextCallback errcb;
	BodyErrorContext ctx;
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
	ctx.stmt_char_offset = -1;
	errcb.callback = body_error_callback;
	errcb.arg = &ctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	run->cur_stmt = 0;
	body_depth++;
	foreach(lc, st->stmts)
	{
		CHECK_FOR_INTERRUPTS();
		run_statement(run, st, lfirst_node(RawStmt, lc), &ctx);
		run->cur_stmt++;
	}
	body_depth--;

	error_context_stack = errcb.previous;
	AtEOXact_GUC(false, nest);
	SetUserIdAndSecContext(save_userid, save_sec);
}

/* Pause before retrying a revision that timed out on a lock. */
static void
lock_backoff(int tries)
{
	long		ms = Min(1000L, 100L << Min(tries, 4));

	ms = ms / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (ms / 2));
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
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
 * The final lock-timeout error: which statement, which relation, who holds
 * it.  Runs in the (valid) outer transaction after the revision rolled back.
 */
static void
raise_lock_failure(Run *run, Step *st, ErrorData *edata)
{
	RawStmt    *raw = (run->cur_stmt < list_length(st->stmts)) ?
		list_nth_node(RawStmt, st->stmts, run->cur_stmt) : NULL;
	RangeVar   *rv = raw ? statement_relation(raw->stmt) : NULL;
	char	   *relname = NULL;
	char	   *holders = NULL;
	char	   *stmt_text = raw ? statement_text(st, raw) : pstrdup("?");

	if (strlen(stmt_text) > 200)
		stmt_text = psprintf("%s...", pnstrdup(stmt_text, 200));

	if (rv)
	{
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		relname = rv->schemaname ?
			psprintf("%s.%s", rv->schemaname, rv->relname) : pstrdup(rv->relname);
		if (OidIsValid(relid))
		{
			MigrateBookkeeping bk;
			MemoryContext cxt = CurrentMemoryContext;
			Oid			argtypes[1] = {OIDOID};
			Datum		values[1] = {ObjectIdGetDatum(relid)};

			migrate_caller_query_begin(&bk);
			if (SPI_execute_with_args("SELECT string_agg(format('PID %s (%s, %s, since %s)',"
									  "   l.pid, l.mode, coalesce(a.state, '?'),"
									  "   coalesce(a.xact_start::text, '?')), '; ' ORDER BY l.pid)"
									  "  FROM pg_catalog.pg_locks l"
									  "  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
									  " WHERE l.relation = $1 AND l.granted"
									  "   AND l.pid <> pg_catalog.pg_backend_pid()",
									  1, argtypes, values, NULL, true, 1) == SPI_OK_SELECT &&
				SPI_processed == 1)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

				if (v)
					holders = MemoryContextStrdup(cxt, v);
			}
			migrate_bookkeeping_end(&bk);
		}
	}

	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 relname ?
			 errmsg("revision \"%s\" could not lock relation \"%s\" within migrate.lock_timeout (%d ms), %d tries",
					st->id, relname, migrate_lock_timeout_ms, run->tries + 1) :
			 errmsg("revision \"%s\" could not obtain a lock within migrate.lock_timeout (%d ms), %d tries",
					st->id, migrate_lock_timeout_ms, run->tries + 1),
			 errdetail("Statement %d of the body waited for its lock: %s%s%s",
					   run->cur_stmt + 1, stmt_text,
					   holders ? " Held by " : "",
					   holders ? holders : ""),
			 errhint("Other transactions hold conflicting locks; nothing of this run was applied. Retry when they finish, or raise migrate.lock_timeout or migrate.lock_retries."),
			 errcontext("%s", edata->message)));
}

/* Record a failure through the background recorder. */
static void
record_failure(Run *run, Step *st, ErrorData *edata)
{
	MigrateFailure f;
	const char *appname = GetConfigOption("application_name", true, false);

	memset(&f, 0, sizeof(f));
	f.owner = migrate_catalog_owner();
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

static void
report_progress(Run *run, Step *st, int k)
{
	char	   *line = psprintf("%s %d/%d: %s%s%s",
								run->dir == MIGRATE_UP ? "applying" : "reverting",
								k + 1, run->nsteps, st->id,
								st->message ? " " : "",
								st->message ? st->message : "");

	ereport(NOTICE, (errmsg_internal("%s", line)));
	pgstat_report_activity(STATE_RUNNING, psprintf("migrate: %s", line));
	pfree(line);
}

/*
 * Run step k in an internal subtransaction, retrying after lock timeouts.
 * On failure: record it (unless in_procedure, where the caller records in
 * its own transaction) and raise.
 */
static void
run_step(Run *run, Step *st, int k, bool record)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool done = false;

	run->cur_step = k;
	run->tries = 0;
	st->started_at = GetCurrentTimestamp();
	while (!done)
	{
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcontext);
		PG_TRY();
		{
			execute_body(run, st);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcontext);
			CurrentResourceOwner = oldowner;
			done = true;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			body_depth = 0;
			MemoryContextSwitchTo(oldcontext);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcontext);
			CurrentResourceOwner = oldowner;

			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
				edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			{
				if (record)
					record_failure(run, st, edata);
				ReThrowError(edata);
			}
			if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
				run->tries < migrate_lock_retries)
			{
				ereport(NOTICE,
						(errmsg("revision \"%s\" timed out waiting for a lock; retrying (%d of %d)",
								st->id, run->tries + 1, migrate_lock_retries)));
				run->tries++;
				FreeErrorData(edata);
				lock_backoff(run->tries);
			}
			else
			{
				if (record)
					record_failure(run, st, edata);
				if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
					raise_lock_failure(run, st, edata);
				ReThrowError(edata);
			}
		}
		PG_END_TRY();
	}
	st->duration_us = GetCurrentTimestamp() - st->started_at;
}

/* Bookkeeping of a successful run, in the caller's transaction. */
static int64
record_success(Run *run, const char *status)
{
	MigrateBookkeeping bk;
	int			n = run->nsteps;
	char	  **ids = palloc(sizeof(char *) * Max(n, 1));
	char	  **sums = palloc(sizeof(char *) * Max(n, 1));
	Datum	   *starts = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *durations = palloc(sizeof(Datum) * Max(n, 1));
	const char *appname = GetConfigOption("application_name", true, false);
	int64		run_id;
	bool		isnull;

	for (int k = 0; k < n; k++)
	{
		Interval   *iv = palloc0(sizeof(Interval));

		ids[k] = run->steps[k].id;
		sums[k] = run->steps[k].checksum ? run->steps[k].checksum : "";
		starts[k] = TimestampTzGetDatum(run->steps[k].started_at);
		iv->time = run->steps[k].duration_us;
		durations[k] = IntervalPGetDatum(iv);
		run->graph->revs[run->steps[k].idx].applied = (run->dir == MIGRATE_UP);
	}

	{
		Oid			argtypes[8] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
		TEXTARRAYOID, TEXTARRAYOID, NAMEOID, TEXTOID};
		Datum		values[8];
		char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

		values[0] = CStringGetTextDatum(run->kind);
		values[1] = CStringGetTextDatum(run->target);
		values[2] = CStringGetTextDatum(status);
		values[3] = TimestampTzGetDatum(run->started_at);
		values[4] = run->from_heads;
		values[5] = currents_array(run->graph);
		values[6] = DirectFunctionCall1(namein, CStringGetDatum(run->caller_name));
		if (appname && *appname)
			values[7] = CStringGetTextDatum(appname);
		else
			nulls[7] = 'n';

		migrate_bookkeeping_begin(&bk);
		if (SPI_execute_with_args("INSERT INTO migrate.run"
								  " (kind, target, status, started_at, finished_at,"
								  "  from_heads, to_heads, db_user, application_name)"
								  " VALUES ($1, $2, $3, $4, pg_catalog.clock_timestamp(),"
								  "  $5, $6, $7, $8) RETURNING id",
								  8, argtypes, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not record the run");
	}
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));

	if (n > 0)
	{
		Datum		ids_arr = PointerGetDatum(migrate_cstring_array(ids, n));
		Datum		sums_arr = PointerGetDatum(migrate_cstring_array(sums, n));
		Datum		starts_arr = PointerGetDatum(construct_array(starts, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		Datum		dur_arr = PointerGetDatum(construct_array(durations, n, INTERVALOID, 16, false, TYPALIGN_DOUBLE));
		Datum		user = DirectFunctionCall1(namein, CStringGetDatum(run->caller_name));

		if (run->dir == MIGRATE_UP)
		{
			if (SPI_execute_with_args("INSERT INTO migrate.applied"
									  " (revision, checksum, applied_at, applied_by, run_id)"
									  " SELECT u.r, NULLIF(u.c, ''), u.t, $4, $5"
									  "   FROM unnest($1::text[], $2::text[], $3::timestamptz[])"
									  "        AS u(r, c, t)",
									  5,
									  (Oid[]) {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, NAMEOID, INT8OID},
									  (Datum[]) {ids_arr, sums_arr, starts_arr, user, Int64GetDatum(run_id)},
									  NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not record applied revisions");
		}
		else
		{
			if (SPI_execute_with_args("DELETE FROM migrate.applied WHERE revision = ANY ($1)",
									  1, (Oid[]) {TEXTARRAYOID}, (Datum[]) {ids_arr},
									  NULL, false, 0) != SPI_OK_DELETE)
				elog(ERROR, "could not record reverted revisions");
		}
		if (SPI_execute_with_args("INSERT INTO migrate.run_step"
								  " (run_id, step, revision, direction, started_at, duration, status)"
								  " SELECT $1, u.o, u.r, $2, u.t, u.d, 'succeeded'"
								  "   FROM unnest($3::text[], $4::timestamptz[], $5::interval[])"
								  "        WITH ORDINALITY AS u(r, t, d, o)",
								  5,
								  (Oid[]) {INT8OID, TEXTOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, INTERVALARRAYOID},
								  (Datum[]) {Int64GetDatum(run_id),
								  CStringGetTextDatum(run->dir == MIGRATE_UP ? "up" : "down"),
							ids_arr, starts_arr, dur_arr},
								  NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record run steps");
	}
	migrate_bookkeeping_end(&bk);
	return run_id;
}

static void
init_run(Run *run, MigrateDirection dir, const char *kind, const char *target)
{
	memset(run, 0, sizeof(*run));
	run->dir = dir;
	run->kind = kind;
	run->target = target;
	run->started_at = GetCurrentTimestamp();
	run->caller = GetUserId();
	run->caller_name = GetUserNameFromId(run->caller, false);
}

/* Plan a run under the lock: graph, target, plan, bodies. */
static void
plan_run(Run *run, MemoryContext cxt)
{
	MigrateTarget *t;
	int		   *plan;
	int			n;

	run->graph = locked_graph(cxt, 0);
	run->from_heads = currents_array(run->graph);
	t = migrate_resolve_target(run->graph, run->target, run->dir);
	plan = run->dir == MIGRATE_UP ? migrate_plan_upgrade(run->graph, t, &n)
		: migrate_plan_downgrade(run->graph, t, &n);
	run->nsteps = n;
	if (n == 0)
		return;
	prepare_steps(run, plan, n);
}

static Datum
apply_function(FunctionCallInfo fcinfo, MigrateDirection dir, const char *kind)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = required_target_arg(fcinfo, 0);
	Run			run;
	const char *save_activity = debug_query_string;

	forbid_in_body(kind);
	migrate_srf_init(fcinfo);
	init_run(&run, dir, kind, target);
	plan_run(&run, CurrentMemoryContext);
	if (run.nsteps == 0)
	{
		migrate_graph_free(run.graph, run.kind);
		return (Datum) 0;		/* nothing to do: no run recorded */
	}
	mark_interrupted_runs(0);

	if (dir == MIGRATE_UP)
		refuse_non_transactional(&run);
	else
		refuse_top_level_downgrades(&run);
	parse_steps(&run, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (int k = 0; k < run.nsteps; k++)
	{
		report_progress(&run, &run.steps[k], k);
		run_step(&run, &run.steps[k], k, true);
	}
	SPI_finish();
	pgstat_report_activity(STATE_RUNNING, save_activity);

	(void) record_success(&run, "succeeded");

	for (int k = 0; k < run.nsteps; k++)
	{
		Step	   *st = &run.steps[k];
		Datum		v[4];
		bool		nulls[4] = {false, false, false, false};
		Interval   *iv = palloc0(sizeof(Interval));

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
 * target would leave, running nothing.  Ancestors of the target become
 * applied, its descendants unapplied; other branches are untouched; 'base'
 * clears everything.  Always records a run (with no steps).
 */
Datum
migrate_stamp(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = required_target_arg(fcinfo, 0);
	Run			run;
	MigrateTarget *t;
	MigrateGraph *graph;
	bool	   *keep;
	bool	   *drop;
	int			n;
	char	  **add_ids,
			  **add_sums,
			  **del_ids;
	int			nadd = 0,
				ndel = 0;
	MigrateBookkeeping bk;

	forbid_in_body("stamp");
	migrate_srf_init(fcinfo);
	init_run(&run, MIGRATE_ANY, "stamp", target);
	graph = run.graph = locked_graph(CurrentMemoryContext, MIGRATE_LOAD_TEXT);
	mark_interrupted_runs(0);
	run.from_heads = currents_array(graph);
	t = migrate_resolve_target(graph, target, MIGRATE_ANY);
	n = graph->nrevs;
	keep = palloc0(Max(n, 1));
	drop = palloc0(Max(n, 1));

	if (t->is_base)
	{
		for (int i = 0; i < n; i++)
			drop[i] = true;
	}
	else if (t->has_revert_set)
	{
		int		   *start = palloc(sizeof(int) * Max(n, 1));
		int			nstart = 0;

		for (int i = 0; i < n; i++)
			if (t->revert_set[i])
				start[nstart++] = i;
		migrate_descendants(graph, start, nstart, true, true, drop);
	}
	else
	{
		int			cap = n;
		int		   *start;
		int			nstart = 0;

		for (int i = 0; i < t->nrevs; i++)
			cap += graph->revs[t->revs[i]].nchildren;
		start = palloc(sizeof(int) * Max(cap, 1));
		migrate_ancestors(graph, t->revs, t->nrevs, true, false, keep);
		for (int i = 0; i < t->nrevs; i++)
		{
			MigrateRevision *r = &graph->revs[t->revs[i]];

			for (int j = 0; j < r->nchildren; j++)
				start[nstart++] = r->children[j];
		}
		migrate_descendants(graph, start, nstart, true, true, drop);
		/* a revision on a cycle has no place in any order: as upgrade() refuses */
		{
			ListCell   *lc;

			foreach(lc, graph->cycles)
			{
				ListCell   *lc2;

				foreach(lc2, (List *) lfirst(lc))
					if (keep[lfirst_int(lc2)])
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
								 errmsg("cannot stamp: revision \"%s\" is part of a cycle",
										graph->revs[lfirst_int(lc2)].id),
								 errhint("migrate.validate() shows the cycle.")));
			}
		}
		/* missing parents of kept revisions cannot be recorded */
		for (int i = 0; i < n; i++)
			if (keep[i])
			{
				MigrateRevision *r = &graph->revs[i];

				for (int j = 0; j < r->nparents; j++)
					if (r->parent_idx[j] < 0)
						ereport(ERROR,
								(errcode(ERRCODE_UNDEFINED_OBJECT),
								 errmsg("cannot stamp: revision \"%s\" names parent \"%s\", which is not registered",
										r->id, r->parents[j])));
			}
	}

	add_ids = palloc(sizeof(char *) * Max(n, 1));
	add_sums = palloc(sizeof(char *) * Max(n, 1));
	del_ids = palloc(sizeof(char *) * Max(n, 1));
	for (int k = 0; k < graph->ntopo; k++)
	{
		int			i = graph->topo[k];
		MigrateRevision *r = &graph->revs[i];

		if (keep[i] && !r->applied)
		{
			add_ids[nadd] = r->id;
			add_sums[nadd++] = r->checksum;
		}
	}
	for (int k = graph->ntopo - 1; k >= 0; k--)
	{
		int			i = graph->topo[k];

		if (drop[i] && !keep[i] && graph->revs[i].applied)
			del_ids[ndel++] = graph->revs[i].id;
	}
	/* recorded as applied but unregistered: only 'base' clears them */
	for (int i = 0; i < n; i++)
		if (!graph->revs[i].registered && drop[i] && graph->revs[i].applied)
			del_ids[ndel++] = graph->revs[i].id;

	for (int i = 0; i < n; i++)
	{
		if (keep[i])
			graph->revs[i].applied = true;
		else if (drop[i])
			graph->revs[i].applied = false;
	}
	run.nsteps = 0;
	{
		int64		run_id = record_success(&run, "succeeded");

		migrate_bookkeeping_begin(&bk);
		if (nadd > 0 &&
			SPI_execute_with_args("INSERT INTO migrate.applied (revision, checksum, applied_by, run_id)"
								  " SELECT u.r, u.c, $3, $4 FROM unnest($1::text[], $2::text[]) AS u(r, c)",
								  4, (Oid[]) {TEXTARRAYOID, TEXTARRAYOID, NAMEOID, INT8OID},
								  (Datum[]) {PointerGetDatum(migrate_cstring_array(add_ids, nadd)),
							PointerGetDatum(migrate_cstring_array(add_sums, nadd)),
							DirectFunctionCall1(namein, CStringGetDatum(run.caller_name)),
							Int64GetDatum(run_id)},
								  NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record stamped revisions");
		if (ndel > 0 &&
			SPI_execute_with_args("DELETE FROM migrate.applied WHERE revision = ANY ($1)",
								  1, (Oid[]) {TEXTARRAYOID},
								  (Datum[]) {PointerGetDatum(migrate_cstring_array(del_ids, ndel))},
								  NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not record unstamped revisions");
		migrate_bookkeeping_end(&bk);
	}

	for (int k = 0; k < nadd + ndel; k++)
	{
		Datum		v[2];
		bool		nulls[2] = {false, false};

		v[0] = CStringGetTextDatum(k < nadd ? add_ids[k] : del_ids[k - nadd]);
		v[1] = CStringGetTextDatum(k < nadd ? "applied" : "unapplied");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* ---------------------------------------------------------------------
 * migrate.sql(target, direction): the offline script
 * ---------------------------------------------------------------------
 */

static void
append_array_literal(StringInfo buf, Datum arr)
{
	appendStringInfoString(buf,
						   quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, arr)));
	appendStringInfoString(buf, "::pg_catalog.text[]");
}

/* Text for a "--" comment line: control characters (newlines) become spaces. */
static char *
comment_text(const char *s)
{
	char	   *out = pstrdup(s ? s : "");

	for (char *p = out; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

static void
append_body(StringInfo buf, const char *body)
{
	size_t		len = strlen(body);

	appendStringInfoString(buf, body);
	if (len == 0 || body[len - 1] != '\n')
		appendStringInfoChar(buf, '\n');
	/* ends a last statement without a semicolon (or one ending in a comment) */
	appendStringInfoString(buf, ";\n");
}

Datum
migrate_sql(PG_FUNCTION_ARGS)
{
	char	   *target = required_target_arg(fcinfo, 0);
	MigrateDirection dir = migrate_direction_arg(fcinfo, 1);
	Run			run;
	StringInfoData buf;
	bool		in_xact = false;

	init_run(&run, dir, dir == MIGRATE_UP ? "upgrade" : "downgrade", target);
	/* reads only, but plans as upgrade() would: under the lock */
	plan_run(&run, CurrentMemoryContext);
	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "-- migrate: %s to %s, %d revision%s\n"
					 "-- generated %s for database %s; run with: psql -v ON_ERROR_STOP=1 -f <file>\n",
					 run.kind, comment_text(quote_literal_cstr(target)), run.nsteps, run.nsteps == 1 ? "" : "s",
					 timestamptz_to_str(GetCurrentTimestamp()),
					 comment_text(quote_identifier(get_database_name(MyDatabaseId))));
	if (run.nsteps == 0)
	{
		appendStringInfoString(&buf, "-- nothing to do\n");
		PG_RETURN_TEXT_P(cstring_to_text(buf.data));
	}
	parse_steps(&run, true);

	appendStringInfoString(&buf, "\\set ON_ERROR_STOP on\n\nBEGIN;\n");
	in_xact = true;
	appendStringInfoString(&buf, "SELECT pg_catalog.pg_advisory_xact_lock(1835624306, 0);\n");
	appendStringInfo(&buf,
					 "DO $migrate$ BEGIN\n"
					 "  IF NOT (SELECT coalesce(pg_catalog.array_agg(c ORDER BY c COLLATE pg_catalog.\"C\"), '{}'::pg_catalog.text[])\n"
					 "            FROM migrate.current() AS c) OPERATOR(pg_catalog.=) %s::pg_catalog.text[] THEN\n"
					 "    RAISE EXCEPTION 'migrate: this script expects the current revisions to be %%', %s;\n"
					 "  END IF;\nEND $migrate$;\n",
					 quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, run.from_heads)),
					 quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, run.from_heads)));

	for (int k = 0; k < run.nsteps; k++)
	{
		Step	   *st = &run.steps[k];

		appendStringInfo(&buf, "\n-- %d/%d %s%s%s\n", k + 1, run.nsteps, st->id,
						 st->message ? ": " : "", comment_text(st->message));
		if (!st->transactional)
		{
			if (in_xact)
				appendStringInfoString(&buf, "COMMIT;\n");
			appendStringInfoString(&buf, "-- not transactional: each statement runs on its own\n");
			in_xact = false;
		}
		append_body(&buf, st->body);
		if (!in_xact)
		{
			appendStringInfoString(&buf, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(1835624306, 0);\n");
			in_xact = true;
		}
		if (dir == MIGRATE_UP)
			appendStringInfo(&buf,
							 "INSERT INTO migrate.applied (revision, checksum) VALUES (%s, %s);\n",
							 quote_literal_cstr(st->id),
							 st->checksum ? quote_literal_cstr(st->checksum) : "NULL");
		else
			appendStringInfo(&buf, "DELETE FROM migrate.applied WHERE revision OPERATOR(pg_catalog.=) %s;\n",
							 quote_literal_cstr(st->id));
		run.graph->revs[st->idx].applied = (dir == MIGRATE_UP);
	}
	/* the run, its steps, and (upgrade) the run id of what it applied */
	appendStringInfo(&buf,
					 "\nWITH r AS (\n"
					 "  INSERT INTO migrate.run (kind, target, status, finished_at, from_heads, to_heads, application_name)\n"
					 "  VALUES (%s, %s, 'succeeded', pg_catalog.clock_timestamp(), ",
					 quote_literal_cstr(run.kind), quote_literal_cstr(target));
	append_array_literal(&buf, run.from_heads);
	appendStringInfoString(&buf, ", ");
	append_array_literal(&buf, currents_array(run.graph));
	appendStringInfoString(&buf, ", 'migrate.sql script'::pg_catalog.text)\n  RETURNING id),\n"
						   "s AS (\n"
						   "  INSERT INTO migrate.run_step (run_id, step, revision, direction, started_at, status)\n"
						   "  SELECT r.id, v.step, v.revision, ");
	appendStringInfo(&buf, "'%s', pg_catalog.now(), 'succeeded'\n"
					 "    FROM r, (VALUES ", dir == MIGRATE_UP ? "up" : "down");
	for (int k = 0; k < run.nsteps; k++)
		appendStringInfo(&buf, "%s(%d, %s)", k > 0 ? ", " : "", k + 1,
						 quote_literal_cstr(run.steps[k].id));
	appendStringInfoString(&buf, ") AS v(step, revision))\n");
	if (dir == MIGRATE_UP)
	{
		appendStringInfoString(&buf,
							   "UPDATE migrate.applied AS a SET run_id = r.id FROM r\n"
							   " WHERE a.revision OPERATOR(pg_catalog.=) ANY (ARRAY[");
		for (int k = 0; k < run.nsteps; k++)
			appendStringInfo(&buf, "%s%s", k > 0 ? ", " : "",
							 quote_literal_cstr(run.steps[k].id));
		appendStringInfoString(&buf, "]::pg_catalog.text[]);\n");
	}
	else
		appendStringInfoString(&buf, "SELECT count(*) AS steps_recorded FROM r;\n");
	appendStringInfoString(&buf, "COMMIT;\n");
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/* ---------------------------------------------------------------------
 * CALL migrate.run(target): one transaction per revision
 * ---------------------------------------------------------------------
 *
 * For plans with non-transactional revisions.  The procedure holds the
 * migration lock at session level for the whole call, takes it again per
 * transaction, and for each revision in turn: plans under a fresh snapshot,
 * runs the revision, records it, commits.
 *
 * A transactional revision runs as in upgrade(), in a subtransaction.  A
 * non-transactional revision runs its statements one by one, each in a
 * transaction of its own; a statement that refuses transaction blocks
 * (CREATE INDEX CONCURRENTLY, VACUUM, ...) goes through ProcessUtility as a
 * top-level command, with SPI disconnected, because such commands commit
 * and start transactions themselves.  CREATE INDEX CONCURRENTLY waits for
 * every transaction older than its own to finish: that is why nothing of
 * the caller's may be open around it, and why it cannot run inside
 * upgrade(), whose caller's transaction is still open.
 */

typedef struct ProcRun
{
	int64		run_id;
	int			applied;
	TimestampTz started_at;
} ProcRun;

static void
top_level_error_callback(void *arg)
{
	Step	   *st = (Step *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(st->body);
	}
	errcontext("non-transactional upgrade body of revision \"%s\", run at top level",
			   st->id);
}

/* Run a statement as a top-level command: it may commit by itself. */
static void
run_top_level_statement(Step *st, RawStmt *raw)
{
	List	   *querytrees;
	List	   *plantrees;
	PlannedStmt *pstmt;
	QueryCompletion qc;
	bool		had_snapshot;
	ErrorContextCallback errcb;

	errcb.callback = top_level_error_callback;
	errcb.arg = st;
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
	querytrees = pg_analyze_and_rewrite_fixedparams(raw, st->body, NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, st->body, CURSOR_OPT_PARALLEL_OK, NULL);
	pstmt = linitial_node(PlannedStmt, plantrees);
	InitializeQueryCompletion(&qc);
	ProcessUtility(pstmt, st->body, false, PROCESS_UTILITY_TOPLEVEL,
				   NULL, NULL, None_Receiver, &qc);
	while (!had_snapshot && ActiveSnapshotSet())
		PopActiveSnapshot();

	error_context_stack = errcb.previous;
}

/* Insert the run row (status running) and commit it: visible while it runs. */
static void
proc_start_run(ProcRun *pr, Run *run)
{
	MigrateBookkeeping bk;
	const char *appname = GetConfigOption("application_name", true, false);
	Oid			argtypes[6] = {TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID, NAMEOID, TEXTOID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	values[5] = CStringGetTextDatum(run->kind);
	values[0] = CStringGetTextDatum(run->target);
	values[1] = TimestampTzGetDatum(pr->started_at);
	values[2] = run->from_heads;
	values[3] = DirectFunctionCall1(namein, CStringGetDatum(run->caller_name));
	if (appname && *appname)
		values[4] = CStringGetTextDatum(appname);
	else
		nulls[4] = 'n';
	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args("INSERT INTO migrate.run"
							  " (kind, target, status, started_at, from_heads, db_user,"
							  "  application_name)"
							  " VALUES ($6, $1, 'running', $2, $3, $4, $5) RETURNING id",
							  6, argtypes, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not record the run");
	pr->run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
	migrate_bookkeeping_end(&bk);
}

/* Record one applied revision of the procedure's run. */
static void
proc_record_step(ProcRun *pr, Run *run, Step *st, const char *status)
{
	MigrateBookkeeping bk;
	Interval   *iv = palloc0(sizeof(Interval));
	Datum		user = DirectFunctionCall1(namein, CStringGetDatum(run->caller_name));

	iv->time = st->duration_us;
	migrate_bookkeeping_begin(&bk);
	if (strcmp(status, "succeeded") == 0 && run->dir == MIGRATE_DOWN &&
		SPI_execute_with_args("DELETE FROM migrate.applied WHERE revision = $1",
							  1, (Oid[]) {TEXTOID}, (Datum[]) {CStringGetTextDatum(st->id)},
							  NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not record revision \"%s\"", st->id);
	if (strcmp(status, "succeeded") == 0 && run->dir == MIGRATE_UP &&
		SPI_execute_with_args("INSERT INTO migrate.applied (revision, checksum, applied_by, run_id)"
							  " VALUES ($1, $2, $3, $4)",
							  4, (Oid[]) {TEXTOID, TEXTOID, NAMEOID, INT8OID},
							  (Datum[]) {CStringGetTextDatum(st->id),
						CStringGetTextDatum(st->checksum ? st->checksum : ""),
						user, Int64GetDatum(pr->run_id)},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record revision \"%s\"", st->id);
	if (SPI_execute_with_args("INSERT INTO migrate.run_step"
							  " (run_id, step, revision, direction, started_at, duration, status)"
							  " VALUES ($1, $2, $3, $7, $4, $5, $6)",
							  7, (Oid[]) {INT8OID, INT4OID, TEXTOID, TIMESTAMPTZOID, INTERVALOID, TEXTOID, TEXTOID},
							  (Datum[]) {Int64GetDatum(pr->run_id), Int32GetDatum(run->cur_step + 1),
						CStringGetTextDatum(st->id), TimestampTzGetDatum(st->started_at),
						IntervalPGetDatum(iv), CStringGetTextDatum(status),
						CStringGetTextDatum(run->dir == MIGRATE_UP ? "up" : "down")},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record run step");
	migrate_bookkeeping_end(&bk);
}

static void
proc_finish_run(ProcRun *pr, Run *run, const char *status, ErrorData *edata)
{
	MigrateBookkeeping bk;
	Datum		values[8];
	char		nulls[8];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(pr->run_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = run->graph ? currents_array(run->graph) : (Datum) 0;
	if (!run->graph)
		nulls[2] = 'n';
	if (edata)
	{
		values[3] = CStringGetTextDatum(run->steps[0].id);
		values[4] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
		values[5] = CStringGetTextDatum(edata->message ? edata->message : "");
		if (edata->detail)
			values[6] = CStringGetTextDatum(edata->detail);
		else
			nulls[6] = 'n';
		if (edata->hint)
			values[7] = CStringGetTextDatum(edata->hint);
		else
			nulls[7] = 'n';
	}
	else
		nulls[3] = nulls[4] = nulls[5] = nulls[6] = nulls[7] = 'n';

	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args("UPDATE migrate.run SET status = $2,"
							  " finished_at = pg_catalog.clock_timestamp(),"
							  " to_heads = coalesce($3, to_heads),"
							  " error_revision = $4, error_sqlstate = $5, error_message = $6,"
							  " error_detail = $7, error_hint = $8"
							  " WHERE id = $1",
							  8, (Oid[]) {INT8OID, TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID},
							  values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not finish the run");
	migrate_bookkeeping_end(&bk);
}

/*
 * Settings of a non-transactional revision.  Its statements run in
 * transactions of their own, and top-level commands commit by themselves,
 * so no GUC nest level can span the revision: what the body SETs must take
 * effect for its later statements (SET maintenance_work_mem before CREATE
 * INDEX CONCURRENTLY) and be undone afterwards.  So: before the revision,
 * remember the caller's value of every setting the body names in a SET or
 * RESET statement, and of lock_timeout, which the revision runs with;
 * restore them all when it ends, failed or not.  (A body that changes
 * settings through set_config() calls is not seen; RESET ALL is not undone.)
 */
typedef struct SavedSettings
{
	int			n;
	char	  **names;
	char	  **values;
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
	for (int i = 0; i < ss->n; i++)
		if (ss->values[i] != NULL)
			(void) set_config_option(ss->names[i], ss->values[i],
									 superuser() ? PGC_SUSET : PGC_USERSET,
									 PGC_S_SESSION, GUC_ACTION_SET, true,
									 WARNING, false);
}

/*
 * A statement of a non-transactional revision failed and its transaction
 * is clean again (subtransaction rolled back, or the transaction rolled
 * back and a new one started): put the caller's settings back, record the
 * failure, commit that, and re-raise.
 */
static void
proc_statement_failed(ProcRun *pr, Run *run, Step *st, ErrorData *edata,
					  SavedSettings *ss)
{
	restore_body_settings(ss);
	st->duration_us = GetCurrentTimestamp() - st->started_at;
	proc_record_step(pr, run, st, "failed");
	proc_finish_run(pr, run, "failed", edata);
	SPI_commit();
	ReThrowError(edata);
}

/* After a failed CREATE INDEX CONCURRENTLY: the INVALID index it left. */
static char *
invalid_index_left(RawStmt *raw)
{
	IndexStmt  *is;
	Oid			relid;
	MigrateBookkeeping bk;
	MemoryContext cxt = CurrentMemoryContext;
	char	   *found = NULL;
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
	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args("SELECT string_agg(i.indexrelid::pg_catalog.regclass::text, ', ')"
							  "  FROM pg_catalog.pg_index i"
							  "  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
							  " WHERE i.indrelid = $1 AND NOT i.indisvalid"
							  "   AND ($2::text IS NULL OR c.relname = $2::pg_catalog.name)",
							  2, (Oid[]) {OIDOID, TEXTOID}, values, nulls, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v)
			found = MemoryContextStrdup(cxt, v);
	}
	migrate_bookkeeping_end(&bk);
	return found;
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
					  ErrorData *edata, SavedSettings *ss)
{
	char	   *invalid;

	while (ActiveSnapshotSet())
		PopActiveSnapshot();
	if (ActivePortal)
		ActivePortal->portalSnapshot = NULL;
	SPI_connect_ext(SPI_OPT_NONATOMIC);
	SPI_rollback();

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

/* Statement i of a non-transactional revision, in a transaction of its own. */
static void
proc_run_statement(ProcRun *pr, Run *run, Step *st, int i, SavedSettings *ss)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner oldowner;
	RawStmt    *raw = list_nth_node(RawStmt, st->stmts, i);
	volatile bool done = false;

	run->cur_stmt = i;
	run->tries = 0;
	SPI_commit();
	MemoryContextSwitchTo(cxt);

	if (migrate_statement_needs_top_level(raw->stmt))
	{
		/*
		 * SPI_finish returns to the context SPI was connected from, and
		 * top-level commands leave CurrentMemoryContext in a transaction
		 * context of their own: come back to ours both times, so that
		 * nothing lives in a context a commit is about to free.
		 */
		SPI_finish();
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			body_depth++;
			run_top_level_statement(st, raw);
			body_depth--;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			body_depth = 0;
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			proc_top_level_failed(pr, run, st, raw, edata, ss);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		SPI_connect_ext(SPI_OPT_NONATOMIC);
		return;
	}

	/* an ordinary statement: a subtransaction, retried after lock timeouts */
	while (!done)
	{
		oldowner = CurrentResourceOwner;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			BodyErrorContext ctx;
			ErrorContextCallback errcb;

			ctx.run = run;
			ctx.step = st;
			ctx.stmt_char_offset = -1;
			errcb.callback = body_error_callback;
			errcb.arg = &ctx;
			errcb.previous = error_context_stack;
			error_context_stack = &errcb;
			body_depth++;
			run_statement(run, st, raw, &ctx);
			body_depth--;
			error_context_stack = errcb.previous;
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = oldowner;
			done = true;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			body_depth = 0;
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = oldowner;
			if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
				run->tries < migrate_lock_retries)
			{
				ereport(NOTICE,
						(errmsg("statement %d of revision \"%s\" timed out waiting for a lock; retrying (%d of %d)",
								i + 1, st->id, run->tries + 1, migrate_lock_retries)));
				run->tries++;
				FreeErrorData(edata);
				lock_backoff(run->tries);
			}
			else
				proc_statement_failed(pr, run, st, edata, ss);
		}
		PG_END_TRY();
	}
	MemoryContextSwitchTo(cxt);
}

/* A non-transactional revision: each statement in a transaction of its own. */
static void
proc_run_non_transactional(ProcRun *pr, Run *run, Step *st)
{
	SavedSettings ss;

	save_body_settings(st, &ss);
	for (int i = 0; i < list_length(st->stmts); i++)
		proc_run_statement(pr, run, st, i, &ss);
	restore_body_settings(&ss);
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
	const char *kind = dir == MIGRATE_UP ? "upgrade" : "downgrade";

	SPI_connect_ext(SPI_OPT_NONATOMIC);
	for (int k = -1; k < total; k++)
	{
		Run			run;
		Step	   *volatile st;
		int			idx;

		MemoryContextReset(loopcxt);
		MemoryContextSwitchTo(loopcxt);
		init_run(&run, dir, kind, target);
		run.graph = locked_graph(loopcxt, 0);
		mark_interrupted_runs(pr->run_id);
		run.from_heads = currents_array(run.graph);

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
			/* every body of the plan parses before anything runs */
			prepare_steps(&run, plan, n);
			parse_steps(&run, true);
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

		prepare_steps(&run, &idx, 1);
		parse_steps(&run, true);
		st = &run.steps[0];
		run.nsteps = total;		/* progress: step k of the whole run */
		run.cur_step = k;
		report_progress(&run, st, k);
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
					run_step(&run, st, k, false);
				}
				PG_CATCH();
				{
					ErrorData  *edata;

					MemoryContextSwitchTo(loopcxt);
					edata = CopyErrorData();
					FlushErrorState();
					/* the revision's subtransaction is already rolled back */
					proc_record_step(pr, &run, st, "failed");
					proc_finish_run(pr, &run, "failed", edata);
					SPI_commit();
					ReThrowError(edata);
				}
				PG_END_TRY();
			}
		}
		else
			proc_run_non_transactional(pr, &run, st);

		run.graph->revs[st->idx].applied = (dir == MIGRATE_UP);
		proc_record_step(pr, &run, st, "succeeded");
		pr->applied++;
		SPI_commit();

		/* a body may have called pg_advisory_unlock_all(): do not go on unguarded */
		if (!migrate_lock_held())
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
		init_run(&run, dir, kind, target);
		run.graph = locked_graph(loopcxt, 0);
		proc_finish_run(pr, &run, "succeeded", NULL);
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

	forbid_in_body("run");

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
	target = required_target_arg(fcinfo, 0);
	dir = migrate_direction_arg(fcinfo, 1);
	memset(&pr, 0, sizeof(pr));

	migrate_session_lock_acquire();
	PG_TRY();
	{
		proc_loop(target, dir, &pr);
	}
	PG_FINALLY();
	{
		migrate_session_lock_release();
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_RUNNING, save_activity);
	if (pr.applied > 0)
		ereport(NOTICE,
				(errmsg("%s %d revision%s", dir == MIGRATE_UP ? "applied" : "reverted",
						pr.applied, pr.applied == 1 ? "" : "s")));
	PG_RETURN_VOID();
}
