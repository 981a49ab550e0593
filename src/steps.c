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
 *	 1. take the project's migration lock (lock.c), then a fresh snapshot,
 *	    so that a caller that waited plans from what the other caller
 *	    committed; in REPEATABLE READ or SERIALIZABLE a snapshot that cannot
 *	    see a concurrent change to the project's applied state is a
 *	    serialization failure (migrate_check_serializable in catalog.c);
 *	 2. load the project's graph, resolve the target, compute the plan
 *	    (target.c);
 *	 3. check what other projects have to do with the plan (projects.c):
 *	    an upgrade whose revisions depend on another project's revisions
 *	    takes that project's lock in share mode and refuses unless they are
 *	    applied; a downgrade refuses to revert a revision that another
 *	    project's applied revision depends on;
 *	 4. fetch the plan's bodies (catalog.c) and parse every one of them
 *	    (body.c), so that a syntax error or a forbidden statement in step 7
 *	    stops the run before step 1.
 *
 * Locking: the migration locks taken here are transaction-scoped; they are
 * held to the end of the caller's transaction (or, in migrate.run, of each
 * of its transactions).
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

/*
 * The run and step whose body is running, for the DDL ledger (ddl_log.c):
 * its event triggers ask migrate_running_step() which revision a command
 * belongs to.  Set by migrate_body_enter, cleared when the body ends or
 * fails.
 */
static Run *running_run = NULL;
static Step *running_step = NULL;

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
migrate_body_enter(Run *run, Step *st)
{
	body_depth++;
	running_run = run;
	running_step = st;
}

void
migrate_body_leave(void)
{
	body_depth--;
	if (body_depth == 0)
		running_run = NULL, running_step = NULL;
}

/* After a body failed: whatever it had entered is over. */
void
migrate_body_reset(void)
{
	body_depth = 0;
	running_run = NULL;
	running_step = NULL;
}

/*
 * The project a run belongs to.  Until runs carry a project of their own,
 * the one migrate.project names.
 */
const char *
migrate_run_project(Run *run)
{
	return run->project;
}

/*
 * Which revision body is running in this backend, if any: its project,
 * revision, run id and the text of the statement being run.  For the DDL
 * ledger; false (and *out untouched) when no body runs.
 */
bool
migrate_running_step(MigrateRunningStep *out)
{
	Run		   *run = running_run;
	Step	   *st = running_step;

	if (body_depth == 0 || run == NULL || st == NULL)
		return false;
	out->project = migrate_run_project(run);
	out->revision = st->id;
	out->run_id = run->run_id;
	out->deferred = run->ledger_deferred;
	out->statement = NULL;
	if (st->stmts != NIL && run->cur_stmt >= 0 &&
		run->cur_stmt < list_length(st->stmts))
		out->statement = migrate_step_statement_text(st,
													 list_nth_node(RawStmt, st->stmts,
																   run->cur_stmt));
	return true;
}

const char *
migrate_body_kind(MigrateDirection dir)
{
	return dir == MIGRATE_UP ? "upgrade" : "downgrade";
}

void
migrate_run_init(Run *run, const char *project, MigrateDirection dir,
				 const char *kind, const char *target)
{
	memset(run, 0, sizeof(*run));
	run->project = project;
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

/* The project's lock, a fresh snapshot, its graph.  The graph lives in "cxt". */
MigrateGraph *
migrate_locked_graph(MemoryContext cxt, const char *project, int flags)
{
	MigrateGraph *graph;

	migrate_lock_acquire(project);
	migrate_check_serializable(project);
	PushActiveSnapshot(GetTransactionSnapshot());
	graph = migrate_load_graph_ext(cxt, project, flags);
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
	migrate_read_bodies(run->project, ids, n, run->dir, step_body_found, run);

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

/*
 * What other projects have to do with a plan (or one step of it): an
 * upgrade takes the share lock of every project whose revisions the plan
 * depends on and refuses unless they are applied; a downgrade refuses to
 * revert a revision another project's applied revision depends on.  Both
 * refuse with SQLSTATE 55000 before anything runs.
 */
void
migrate_run_check_other_projects(Run *run, const int *plan, int n)
{
	if (n == 0)
		return;
	if (run->dir == MIGRATE_UP)
		migrate_lock_external_dependencies(run->graph, plan, n);
	else if (run->dir == MIGRATE_DOWN)
	{
		char	  **ids = palloc(sizeof(char *) * n);

		for (int k = 0; k < n; k++)
			ids[k] = run->graph->revs[plan[k]].id;
		migrate_refuse_foreign_dependents(run->project, ids, n);
		pfree(ids);
	}
}

/* Plan a run under the lock: graph, target, plan, other projects, bodies. */
void
migrate_run_plan(Run *run, MemoryContext cxt)
{
	MigrateTarget *t;
	int		   *plan;
	int			n;

	run->graph = migrate_locked_graph(cxt, run->project, 0);
	if (run->start_state != NULL)
		migrate_graph_assume_state(run->graph,
								   migrate_range_state(run->graph, run->start_state,
													   run->dir == MIGRATE_DOWN));
	run->from_heads = migrate_currents_array(run->graph);
	t = migrate_resolve_target(run->graph, run->target, run->dir);
	plan = run->dir == MIGRATE_UP ? migrate_plan_upgrade(run->graph, t, &n)
		: migrate_plan_downgrade(run->graph, t, &n);
	run->nsteps = n;
	if (n == 0)
		return;
	migrate_run_check_other_projects(run, plan, n);
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

/*
 * The CALL that runs this run's plan with migrate.run, for hints:
 * CALL migrate.run('head'), CALL migrate.run('-1', 'down'), and with the
 * project when it is not 'default'.
 */
char *
migrate_run_call_text(Run *run)
{
	if (strcmp(run->project, "default") != 0)
		return psprintf("CALL migrate.run('%s', '%s', '%s')", run->target,
						run->dir == MIGRATE_DOWN ? "down" : "up", run->project);
	if (run->dir == MIGRATE_DOWN)
		return psprintf("CALL migrate.run('%s', 'down')", run->target);
	return psprintf("CALL migrate.run('%s')", run->target);
}

/* The values the run log records of a run. */
void
migrate_run_info(Run *run, MigrateRunInfo *info)
{
	info->project = run->project;
	info->kind = run->kind;
	info->target = run->target;
	info->started_at = run->started_at;
	info->from_heads = run->from_heads;
	info->db_user = run->caller_name;
	info->run_id = run->run_id;
	info->fingerprint = NULL;
}

/* The values the run log records of a step of the run. */
void
migrate_step_info(Run *run, Step *st, MigrateStepInfo *info)
{
	info->project = run->project;
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
