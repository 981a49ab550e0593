/*-------------------------------------------------------------------------
 *
 * steps.c
 *	  A run's steps: planning under the migration lock, fetching and
 *	  parsing every body of the plan before anything runs, progress
 *	  reports, and the guard that keeps revision bodies from starting runs
 *	  of their own.  Shared by the transactional engine (apply.c), the
 *	  procedure engine (run.c) and the offline script (script.c).
 *
 * A run is planned in this order:
 *	 1. take the migration lock (lock.c), then a fresh snapshot, so that a
 *	    caller that waited plans from what the other caller committed; in
 *	    REPEATABLE READ or SERIALIZABLE a snapshot that cannot see a
 *	    concurrent change to the applied state is a serialization failure
 *	    (migrate_check_serializable in catalog.c);
 *	 2. load the graph, resolve the target, compute the plan (target.c);
 *	 3. fetch the plan's bodies (catalog.c) and parse every one of them
 *	    (body.c), so that a syntax error or a forbidden statement in step 7
 *	    stops the run before step 1.
 *
 * Locking: the migration lock taken here is transaction-scoped; it is held
 * to the end of the caller's transaction (or, in migrate.run, of each of
 * its transactions).
 *
 * IDENTIFICATION
 *	  src/steps.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

/*
 * Nonzero while a revision body runs in this backend.  A body that calls
 * migrate.upgrade() (or downgrade, stamp, run) would plan again from a state
 * its caller has not recorded yet and apply the same revisions inside
 * themselves: refused.
 */
static int	body_depth = 0;

void
migrate_forbid_in_body(const char *function)
{
	if (body_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate.%s() cannot be called from a revision body", function),
				 errdetail("A revision body runs inside a migration, which has not recorded its own steps yet.")));
}

void
migrate_body_enter(void)
{
	body_depth++;
}

void
migrate_body_leave(void)
{
	body_depth--;
}

/* After a body failed: whatever it had entered is over. */
void
migrate_body_reset(void)
{
	body_depth = 0;
}

const char *
migrate_body_kind(MigrateDirection dir)
{
	return dir == MIGRATE_UP ? "upgrade" : "downgrade";
}

void
migrate_run_init(Run *run, MigrateDirection dir, const char *kind,
				 const char *target)
{
	memset(run, 0, sizeof(*run));
	run->dir = dir;
	run->kind = kind;
	run->target = target;
	run->started_at = GetCurrentTimestamp();
	run->caller = GetUserId();
	run->caller_name = GetUserNameFromId(run->caller, false);
	migrate_guard_init(run);
}

Datum
migrate_currents_array(MigrateGraph *graph)
{
	int			n;
	int		   *cur = migrate_graph_currents(graph, &n);
	char	  **ids = palloc(sizeof(char *) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ids[i] = graph->revs[cur[i]].id;
	}
	return PointerGetDatum(migrate_cstring_array(ids, n));
}

/* Lock, fresh snapshot, graph.  The graph lives in "cxt". */
MigrateGraph *
migrate_locked_graph(MemoryContext cxt, int flags)
{
	MigrateGraph *graph;

	migrate_lock_acquire();
	migrate_check_serializable();
	PushActiveSnapshot(GetTransactionSnapshot());
	graph = migrate_load_graph_ext(cxt, flags);
	PopActiveSnapshot();
	return graph;
}

/* migrate_read_bodies' callback: fill the k-th step. */
static void
step_body_found(void *arg, int k, char *body, char *message, char *checksum,
				char *registered_by)
{
	Run		   *run = (Run *) arg;
	Step	   *st = &run->steps[k];

	st->body = body;
	st->message = message;
	st->checksum = checksum;
	st->registered_by = registered_by;
}

/* Fill steps[] from a plan and fetch their bodies. */
void
migrate_run_prepare_steps(Run *run, const int *plan, int n)
{
	char	  **ids = palloc(sizeof(char *) * Max(n, 1));

	run->nsteps = n;
	run->steps = palloc0(sizeof(Step) * Max(n, 1));
	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &run->graph->revs[plan[k]];
		Step	   *st = &run->steps[k];

		CHECK_FOR_INTERRUPTS();
		st->idx = plan[k];
		st->id = r->id;
		st->message = r->message;
		st->checksum = r->checksum;
		st->transactional = r->transactional;
		ids[k] = r->id;
	}
	if (n == 0)
		return;

	/* the bodies as of now, after the lock, not as of the statement's start */
	migrate_read_bodies(ids, n, run->dir, step_body_found, run);

	for (int k = 0; k < n; k++)
	{
		CHECK_FOR_INTERRUPTS();
		if (run->steps[k].body == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision \"%s\" has no %s body", run->steps[k].id,
							migrate_body_kind(run->dir))));
	}
}

/* Plan a run under the lock: graph, target, plan, bodies. */
void
migrate_run_plan(Run *run, MemoryContext cxt)
{
	MigrateTarget *t;
	int		   *plan;
	int			n;

	run->graph = migrate_locked_graph(cxt, 0);
	run->from_heads = migrate_currents_array(run->graph);
	t = migrate_resolve_target(run->graph, run->target, run->dir);
	plan = run->dir == MIGRATE_UP ? migrate_plan_upgrade(run->graph, t, &n)
		: migrate_plan_downgrade(run->graph, t, &n);
	run->nsteps = n;
	if (n == 0)
		return;
	migrate_run_prepare_steps(run, plan, n);
}

/* The context line of an error found in step k before anything ran. */
static int
checked_before_running_context(Run *run, int k)
{
	return errcontext("%s body of revision \"%s\" (step %d of %d), checked before anything ran",
					  migrate_body_kind(run->dir), run->steps[k].id,
					  k + 1, run->nsteps);
}

/*
 * Parse the body of step k before anything runs.  A syntax error is
 * re-raised with its position inside the body.
 */
List *
migrate_step_parse(Run *run, int k)
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
				 checked_before_running_context(run, k)));
	return stmts;
}

/*
 * Parse every body of the plan before anything runs; a forbidden statement
 * gets its own SQLSTATE.  "allow_non_transactional": migrate.run and the
 * offline script may run statements that refuse transaction blocks.
 */
void
migrate_run_parse_bodies(Run *run, bool allow_non_transactional)
{
	for (int k = 0; k < run->nsteps; k++)
	{
		Step	   *st = &run->steps[k];
		int			sqlerrcode;
		char	   *message;
		int			location;

		CHECK_FOR_INTERRUPTS();
		st->stmts = migrate_step_parse(run, k);
		if (migrate_statements_problem(st->body, st->stmts,
									   st->transactional || !allow_non_transactional,
									   &sqlerrcode, &message, &location))
			ereport(ERROR,
					(errcode(sqlerrcode),
					 errmsg("revision \"%s\" cannot run: %s", st->id, message),
					 internalerrposition(pg_mbstrlen_with_len(st->body, location) + 1),
					 internalerrquery(st->body),
					 checked_before_running_context(run, k)));
	}
}

/* The values the run log records of a run. */
void
migrate_run_info(Run *run, MigrateRunInfo *info)
{
	info->kind = run->kind;
	info->target = run->target;
	info->started_at = run->started_at;
	info->from_heads = run->from_heads;
	info->db_user = run->caller_name;
}

/* The values the run log records of a step. */
void
migrate_step_info(Step *st, MigrateStepInfo *info)
{
	info->revision = st->id;
	info->checksum = st->checksum;
	info->started_at = st->started_at;
	info->duration_us = st->duration_us;
}

/* A NOTICE per revision, and the same line in pg_stat_activity. */
void
migrate_report_progress(Run *run, Step *st, int k)
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
