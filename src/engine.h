/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  The apply family: what the transactional engine (apply.c), the
 *	  procedure engine (run.c) and the offline script (script.c) share
 *	  through steps.c.
 *
 * A Run is one call of upgrade, downgrade, stamp, sql or run: its project,
 * its target,
 * the graph it planned from (loaded under the migration lock), and its
 * Steps, one per revision of the plan with the body to run, parsed before
 * the first one runs.  Everything a Run points to lives in the memory
 * context it was planned in.
 *
 * IDENTIFICATION
 *	  src/engine.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ENGINE_H
#define MIGRATE_ENGINE_H

#include "migrate.h"

#include "nodes/parsenodes.h"

/* One revision of a plan. */
typedef struct Step
{
	int			idx;			/* graph index */
	char	   *id;
	char	   *message;
	char	   *checksum;
	char	   *body;			/* the upgrade or downgrade body */
	char	   *registered_by;	/* the role that registered it */
	Oid			run_as;			/* run as this role (rights.c), or
								 * InvalidOid: as the caller */
	bool		transactional;
	List	   *stmts;			/* RawStmt list of body */
	TimestampTz started_at;
	int64		duration_us;
} Step;

/* One call of upgrade / downgrade / stamp / sql / run. */
typedef struct Run
{
	const char *project;		/* the history it changes */
	MigrateDirection dir;
	const char *kind;			/* "upgrade" / "downgrade" / "stamp" */
	const char *target;
	const char *start_state;	/* migrate.sql('A:B'): A, the state the plan
								 * starts from instead of the applied one */
	MigrateGraph *graph;
	Step	   *steps;
	int			nsteps;
	TimestampTz started_at;
	Datum		from_heads;		/* text[] */
	Oid			caller;
	char	   *caller_name;
	int64		run_id;			/* migrate.run id, when known before the
								 * bodies run (0: assigned when recorded) */
	bool		ledger_deferred;	/* the DDL ledger's rows wait for
									 * migrate_ddl_log_flush() */

	/* where execution is, for error reports */
	int			cur_step;
	int			cur_stmt;
	int			tries;

	/* what each statement of a body is checked against (stmtguard.c) */
	bool		std_strings;	/* standard_conforming_strings when planned */
	int			start_statement_timeout;	/* statement_timeout then (ms) */
	bool		caller_timeout_active;	/* the caller's statement timer */
	TimestampTz caller_deadline;
	bool		body_timeout_armed; /* a body's statement_timeout is armed */

	/* called before and after each statement of a transactional body, when
	 * set (explain.c measures locks, rewrites and durations) */
	void		(*stmt_hook) (struct Run *run, Step *st, bool after);
	void	   *hook_arg;
} Run;

/* For the error context callback of a running body. */
typedef struct BodyErrorContext
{
	Run		   *run;
	Step	   *step;
	int			stmt_byte_offset;	/* where the statement starts, -1: unknown */
} BodyErrorContext;

/* The caller's user and security context around a body (rights.c). */
typedef struct MigrateBoundary
{
	Oid			save_userid;
	int			save_sec_context;
	bool		active;
} MigrateBoundary;

/* rights.c: whose rights a body runs with */
extern void migrate_step_resolve_role(Run *run, int k);
extern void migrate_run_resolve_roles(Run *run);
extern void migrate_boundary_enter(Step *st, MigrateBoundary *b);
extern void migrate_boundary_leave(MigrateBoundary *b);

/* steps.c: a run's plan, bodies and progress */
extern void migrate_forbid_in_body(const char *function);
extern void migrate_body_enter(Run *run, Step *st);
extern void migrate_body_leave(void);
extern void migrate_body_reset(void);
extern const char *migrate_run_project(Run *run);

/* steps.c: the body running now, as the DDL ledger (ddl_log.c) sees it */
typedef struct MigrateRunningStep
{
	const char *project;
	const char *revision;
	int64		run_id;
	char	   *statement;		/* the statement being run, or NULL */
	bool		deferred;		/* the ledger's rows wait for
								 * migrate_ddl_log_flush() */
} MigrateRunningStep;

extern bool migrate_running_step(MigrateRunningStep *out);

/* ddl_log.c: the rows a transactional run's bodies recorded, written */
extern void migrate_ddl_log_flush(void);
extern void migrate_run_init(Run *run, const char *project,
							 MigrateDirection dir, const char *kind,
							 const char *target);
extern MigrateGraph *migrate_locked_graph(MemoryContext cxt,
										  const char *project, int flags);
extern void migrate_run_check_other_projects(Run *run, const int *plan, int n);
extern void migrate_run_plan(Run *run, MemoryContext cxt);
extern void migrate_run_prepare_steps(Run *run, const int *plan, int n);
extern List *migrate_step_parse(Run *run, int k);
extern void migrate_run_parse_bodies(Run *run, bool allow_non_transactional);
extern Datum migrate_currents_array(MigrateGraph *graph);
extern char *migrate_run_call_text(Run *run);
extern void migrate_run_info(Run *run, MigrateRunInfo *info);
extern void migrate_step_info(Run *run, Step *st, MigrateStepInfo *info);
extern void migrate_report_progress(Run *run, Step *st, int k);
extern const char *migrate_body_kind(MigrateDirection dir);

/*
 * stmtguard.c: around each statement of a running body.  A statement_timeout
 * the body SET bounds each of its later statements (within the caller's own
 * deadline); standard_conforming_strings must stay as the bodies were
 * parsed with.
 */
extern void migrate_guard_init(Run *run);
extern void migrate_guard_statement_begin(Run *run);
extern void migrate_guard_statement_end(Run *run);
extern void migrate_guard_statement_check(Run *run, Step *st);

/* commit boundaries of a run's steps (commit_boundary.c over run->steps) */
extern MigrateCommitBoundary *migrate_run_commit_boundaries(Run *run, int *count);

/* apply.c: running a body inside the current transaction */
extern void migrate_body_error_callback(void *arg);
extern char *migrate_step_statement_text(Step *st, RawStmt *raw);
extern void migrate_run_statement(Run *run, Step *st, RawStmt *raw,
								  BodyErrorContext *ctx);
extern void migrate_run_transactional_step(Run *run, Step *st, int k,
										   bool record);

#endif							/* MIGRATE_ENGINE_H */
