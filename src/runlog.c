/*-------------------------------------------------------------------------
 *
 * runlog.c
 *	  The run log: every write to migrate.run_log (the table behind the
 *	  view migrate.run, which masks run errors for other roles: rights.c),
 *	  migrate.run_step and migrate.applied, and nothing else writes them.
 *
 * The engines (apply.c, run.c) hand over values: a run's project, kind,
 * target, start and starting heads, and per revision its id, checksum,
 * start and duration.  Every row written carries the run's project.  Writes run as the catalog's owner with search_path pinned
 * (migrate_bookkeeping_begin in catalog.c), through SPI with parameters.
 *
 * Three kinds of write:
 *	  - in the caller's transaction: a successful upgrade, downgrade or
 *	    stamp, with its applied state and steps, commits or rolls back with
 *	    the caller (migrate_runlog_succeeded, migrate_runlog_stamp);
 *	  - per transaction of CALL migrate.run: the run row while it runs,
 *	    each revision as it commits, the outcome at the end
 *	    (migrate_runlog_begin, migrate_runlog_step, migrate_runlog_finish);
 *	  - a failed run, which must survive the caller's rollback: a dynamic
 *	    background worker (the way pg_cron writes job_run_details) connects
 *	    to the same database as the catalog's owner, inserts the
 *	    migrate.run row and the failed migrate.run_step row, commits, and
 *	    exits (migrate_record_failure).  The caller waits for it, so the
 *	    record is visible to every session by the time the caller sees its
 *	    error.  The record travels in a dynamic shared memory segment as a
 *	    sequence of length-prefixed strings.  The worker has a short
 *	    lock_timeout and statement_timeout so that it can never hang the
 *	    caller.  When no worker slot is free (max_worker_processes, taken by
 *	    parallel queries for instance), the caller waits for one, at most
 *	    migrate.lock_wait, trying again every 100 ms; a cancel or a timeout
 *	    ends the wait at once.  If it still gets no slot, or the worker
 *	    fails, the caller gets a WARNING and its original error, never a
 *	    different one.
 *
 * Under a project's migration lock, a run of that project still marked
 * 'running' that is not the caller's own was interrupted:
 * migrate_runlog_mark_interrupted marks it (another project's running run
 * may well be running: it holds its own project's lock).
 *
 * Locking: callers hold the project's migration lock (lock.c) for every
 * write here but the background worker's, which writes rows no one else
 * updates.
 *
 * IDENTIFICATION
 *	  src/runlog.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void migrate_failure_worker_main(Datum main_arg);

static Datum
name_datum(const char *s)
{
	return DirectFunctionCall1(namein, CStringGetDatum(s));
}

static const char *
direction_word(MigrateDirection dir)
{
	return dir == MIGRATE_UP ? "up" : "down";
}

/* The session's application_name, or NULL when it is empty. */
static const char *
session_application_name(void)
{
	const char *appname = GetConfigOption("application_name", true, false);

	return (appname && *appname) ? appname : NULL;
}

/*
 * Mark runs still 'running' (other than own_run_id) failed: under the
 * migration lock, such a run belongs to a session that no longer holds the
 * lock (it crashed, was terminated, or a top-level command of migrate.run
 * failed).  status() then tells what happened, with any INVALID index such
 * an interruption may have left.
 */
void
migrate_runlog_mark_interrupted(const char *project, int64 own_run_id)
{
	MigrateBookkeeping bk;
	Datum		values[2] = {Int64GetDatum(own_run_id), CStringGetTextDatum(project)};
	Oid			argtypes[2] = {INT8OID, TEXTOID};

	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args("UPDATE migrate.run_log SET status = 'failed',"
							  " finished_at = coalesce(finished_at, pg_catalog.clock_timestamp()),"
							  " error_message = coalesce(error_message,"
							  "   'interrupted: the run did not finish (its session ended, the server restarted, or a top-level statement failed)'),"
							  " error_detail = coalesce(error_detail,"
							  "   (SELECT 'INVALID indexes in the database now: ' ||"
							  "           string_agg(i.indexrelid::pg_catalog.regclass::text, ', ')"
							  "      FROM pg_catalog.pg_index i WHERE NOT i.indisvalid))"
							  " WHERE project = $2 AND status = 'running' AND id <> $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not mark interrupted runs");
	if (SPI_processed > 0)
		ereport(WARNING,
				(errmsg("%d earlier run%s did not finish and %s now marked failed",
						(int) SPI_processed, SPI_processed == 1 ? "" : "s",
						SPI_processed == 1 ? "is" : "are"),
				 errhint("SELECT * FROM migrate.run WHERE project = %s AND status = 'failed' ORDER BY id DESC shows what they were running.",
						 quote_literal_cstr(project))));
	migrate_bookkeeping_end(&bk);
}

/*
 * Whether migrate.run_log has the fingerprint column (0.2): a catalog not yet
 * updated from 0.1 records no fingerprint.
 */
static bool
run_has_fingerprint(void)
{
	return get_attnum(migrate_relid("run_log"), "fingerprint") != InvalidAttrNumber;
}

/*
 * Insert a run row.  "finished": a run recorded whole after it succeeded
 * (status 'succeeded', finished_at and to_heads set); otherwise the row of
 * a procedure run that is starting (status 'running').  Returns its id.
 */
static int64
insert_run(const MigrateRunInfo *run, bool finished, Datum to_heads)
{
	MigrateBookkeeping bk;
	const char *appname = session_application_name();
	Oid			argtypes[10] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID,
	TEXTARRAYOID, NAMEOID, TEXTOID, INT8OID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	int64		run_id;

	values[0] = CStringGetTextDatum(run->kind);
	values[1] = CStringGetTextDatum(run->target);
	values[2] = TimestampTzGetDatum(run->started_at);
	values[3] = run->from_heads;
	values[4] = to_heads;
	if (!finished)
		nulls[4] = 'n';
	values[5] = name_datum(run->db_user);
	if (appname)
		values[6] = CStringGetTextDatum(appname);
	else
		nulls[6] = 'n';
	/* an id taken earlier (migrate_runlog_next_run_id), else the next one */
	values[7] = Int64GetDatum(run->run_id);
	if (run->run_id == 0)
		nulls[7] = 'n';
	/* the schema fingerprint the run left (a catalog before 0.2 has no column) */
	values[8] = run->fingerprint ? CStringGetTextDatum(run->fingerprint) : (Datum) 0;
	if (run->fingerprint == NULL)
		nulls[8] = 'n';
	values[9] = CStringGetTextDatum(run->project);

	migrate_bookkeeping_begin(&bk);
	if (finished && run->fingerprint && run_has_fingerprint())
	{
		if (SPI_execute_with_args("INSERT INTO migrate.run_log"
								  " (id, project, kind, target, status, started_at, finished_at,"
								  "  from_heads, to_heads, db_user, application_name, fingerprint)"
								  " VALUES (coalesce($8, pg_catalog.nextval('migrate.run_id_seq')),"
								  "  $10, $1, $2, 'succeeded', $3, pg_catalog.clock_timestamp(),"
								  "  $4, $5, $6, $7, $9) RETURNING id",
								  10, argtypes, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not record the run");
	}
	else if (SPI_execute_with_args(finished ?
								   "INSERT INTO migrate.run_log"
								   " (id, project, kind, target, status, started_at, finished_at,"
								   "  from_heads, to_heads, db_user, application_name)"
								   " VALUES (coalesce($8, pg_catalog.nextval('migrate.run_id_seq')),"
								   "  $10, $1, $2, 'succeeded', $3, pg_catalog.clock_timestamp(),"
								   "  $4, $5, $6, $7) RETURNING id" :
								   "INSERT INTO migrate.run_log"
								   " (id, project, kind, target, status, started_at, from_heads, db_user,"
								   "  application_name)"
								   " VALUES (coalesce($8, pg_catalog.nextval('migrate.run_id_seq')),"
								   "  $10, $1, $2, 'running', $3, $4, $6, $7) RETURNING id",
								   10, argtypes, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not record the run");
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	migrate_bookkeeping_end(&bk);
	return run_id;
}

/* The row of a procedure run as it starts (status 'running'). */
int64
migrate_runlog_begin(const MigrateRunInfo *run)
{
	return insert_run(run, false, (Datum) 0);
}

/*
 * A successful upgrade or downgrade, recorded whole in the caller's
 * transaction: the run, the applied state of its revisions and one step
 * row per revision.  Returns the run id.
 */
int64
migrate_runlog_succeeded(const MigrateRunInfo *run, Datum to_heads,
						 MigrateDirection dir,
						 const MigrateStepInfo *steps, int nsteps)
{
	MigrateBookkeeping bk;
	int64		run_id = insert_run(run, true, to_heads);
	char	  **ids;
	char	  **sums;
	Datum	   *starts;
	Datum	   *durations;
	Datum		ids_arr;
	Datum		starts_arr;
	Datum		dur_arr;
	Datum		project = CStringGetTextDatum(run->project);

	if (nsteps == 0)
		return run_id;

	ids = palloc(sizeof(char *) * nsteps);
	sums = palloc(sizeof(char *) * nsteps);
	starts = palloc(sizeof(Datum) * nsteps);
	durations = palloc(sizeof(Datum) * nsteps);
	for (int k = 0; k < nsteps; k++)
	{
		Interval   *iv = palloc0(sizeof(Interval));

		CHECK_FOR_INTERRUPTS();
		ids[k] = (char *) steps[k].revision;
		sums[k] = steps[k].checksum ? (char *) steps[k].checksum : "";
		starts[k] = TimestampTzGetDatum(steps[k].started_at);
		iv->time = steps[k].duration_us;
		durations[k] = IntervalPGetDatum(iv);
	}
	ids_arr = PointerGetDatum(migrate_cstring_array(ids, nsteps));
	starts_arr = PointerGetDatum(construct_array(starts, nsteps, TIMESTAMPTZOID, 8,
												 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	dur_arr = PointerGetDatum(construct_array(durations, nsteps, INTERVALOID, 16,
											  false, TYPALIGN_DOUBLE));

	migrate_bookkeeping_begin(&bk);
	if (dir == MIGRATE_UP)
	{
		if (SPI_execute_with_args("INSERT INTO migrate.applied"
								  " (project, revision, checksum, applied_at, applied_by, run_id)"
								  " SELECT $6, u.r, NULLIF(u.c, ''), u.t, $4, $5"
								  "   FROM unnest($1::text[], $2::text[], $3::timestamptz[])"
								  "        AS u(r, c, t)",
								  6,
								  (Oid[]) {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, NAMEOID, INT8OID, TEXTOID},
								  (Datum[]) {ids_arr,
							PointerGetDatum(migrate_cstring_array(sums, nsteps)),
							starts_arr, name_datum(run->db_user),
							Int64GetDatum(run_id), project},
								  NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record applied revisions");
	}
	else
	{
		if (SPI_execute_with_args("DELETE FROM migrate.applied"
								  " WHERE project = $2 AND revision = ANY ($1)",
								  2, (Oid[]) {TEXTARRAYOID, TEXTOID},
								  (Datum[]) {ids_arr, project},
								  NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not record reverted revisions");
	}
	if (SPI_execute_with_args("INSERT INTO migrate.run_step"
							  " (project, run_id, step, revision, direction, started_at, duration, status)"
							  " SELECT $6, $1, u.o, u.r, $2, u.t, u.d, 'succeeded'"
							  "   FROM unnest($3::text[], $4::timestamptz[], $5::interval[])"
							  "        WITH ORDINALITY AS u(r, t, d, o)",
							  6,
							  (Oid[]) {INT8OID, TEXTOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, INTERVALARRAYOID, TEXTOID},
							  (Datum[]) {Int64GetDatum(run_id),
							  CStringGetTextDatum(direction_word(dir)),
						ids_arr, starts_arr, dur_arr, project},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record run steps");
	migrate_bookkeeping_end(&bk);
	return run_id;
}

/*
 * A stamp's changes to the applied state of a project, for the run
 * "run_id" (which migrate_runlog_succeeded recorded with no steps): "add"
 * revisions become applied with their checksums, "del" revisions unapplied.
 */
void
migrate_runlog_stamp(int64 run_id, const char *project, const char *db_user,
					 char **add_ids, char **add_sums, int nadd,
					 char **del_ids, int ndel)
{
	MigrateBookkeeping bk;
	Datum		project_datum = CStringGetTextDatum(project);

	migrate_bookkeeping_begin(&bk);
	if (nadd > 0 &&
		SPI_execute_with_args("INSERT INTO migrate.applied (project, revision, checksum, applied_by, run_id)"
							  " SELECT $5, u.r, u.c, $3, $4 FROM unnest($1::text[], $2::text[]) AS u(r, c)",
							  5, (Oid[]) {TEXTARRAYOID, TEXTARRAYOID, NAMEOID, INT8OID, TEXTOID},
							  (Datum[]) {PointerGetDatum(migrate_cstring_array(add_ids, nadd)),
						PointerGetDatum(migrate_cstring_array(add_sums, nadd)),
						name_datum(db_user), Int64GetDatum(run_id), project_datum},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record stamped revisions");
	if (ndel > 0 &&
		SPI_execute_with_args("DELETE FROM migrate.applied WHERE project = $2 AND revision = ANY ($1)",
							  2, (Oid[]) {TEXTARRAYOID, TEXTOID},
							  (Datum[]) {PointerGetDatum(migrate_cstring_array(del_ids, ndel)),
						project_datum},
							  NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not record unstamped revisions");
	migrate_bookkeeping_end(&bk);
}

/*
 * One revision of a procedure run: on success its applied state (applied
 * for an upgrade, removed for a downgrade), and in any case its step row
 * ("stepno" counts from 1 over the whole run).
 */
void
migrate_runlog_step(int64 run_id, int stepno, MigrateDirection dir,
					const MigrateStepInfo *step, const char *db_user,
					bool succeeded)
{
	MigrateBookkeeping bk;
	Interval   *iv = palloc0(sizeof(Interval));
	Datum		revision = CStringGetTextDatum(step->revision);
	Datum		project = CStringGetTextDatum(step->project);

	iv->time = step->duration_us;
	migrate_bookkeeping_begin(&bk);
	if (succeeded && dir == MIGRATE_DOWN &&
		SPI_execute_with_args("DELETE FROM migrate.applied WHERE project = $2 AND revision = $1",
							  2, (Oid[]) {TEXTOID, TEXTOID}, (Datum[]) {revision, project},
							  NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not record revision \"%s\"", step->revision);
	if (succeeded && dir == MIGRATE_UP &&
		SPI_execute_with_args("INSERT INTO migrate.applied (project, revision, checksum, applied_by, run_id)"
							  " VALUES ($5, $1, $2, $3, $4)",
							  5, (Oid[]) {TEXTOID, TEXTOID, NAMEOID, INT8OID, TEXTOID},
							  (Datum[]) {revision,
						CStringGetTextDatum(step->checksum ? step->checksum : ""),
						name_datum(db_user), Int64GetDatum(run_id), project},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record revision \"%s\"", step->revision);
	if (SPI_execute_with_args("INSERT INTO migrate.run_step"
							  " (project, run_id, step, revision, direction, started_at, duration, status)"
							  " VALUES ($8, $1, $2, $3, $7, $4, $5, $6)",
							  8, (Oid[]) {INT8OID, INT4OID, TEXTOID, TIMESTAMPTZOID, INTERVALOID, TEXTOID, TEXTOID, TEXTOID},
							  (Datum[]) {Int64GetDatum(run_id), Int32GetDatum(stepno),
						revision, TimestampTzGetDatum(step->started_at),
						IntervalPGetDatum(iv),
						CStringGetTextDatum(succeeded ? "succeeded" : "failed"),
						CStringGetTextDatum(direction_word(dir)), project},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record run step");
	migrate_bookkeeping_end(&bk);
}

/*
 * The outcome of a procedure run.  "to_heads" is (Datum) 0 to keep what
 * the row has; on failure "edata" and "error_revision" say what failed.
 */
void
migrate_runlog_finish(int64 run_id, bool succeeded, Datum to_heads,
					  const char *error_revision, const ErrorData *edata,
					  const char *fingerprint)
{
	MigrateBookkeeping bk;
	Datum		values[8];
	char		nulls[8];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(succeeded ? "succeeded" : "failed");
	values[2] = to_heads;
	if (to_heads == (Datum) 0)
		nulls[2] = 'n';
	if (edata)
	{
		values[3] = CStringGetTextDatum(error_revision);
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
	if (SPI_execute_with_args("UPDATE migrate.run_log SET status = $2,"
							  " finished_at = pg_catalog.clock_timestamp(),"
							  " to_heads = coalesce($3, to_heads),"
							  " error_revision = $4, error_sqlstate = $5, error_message = $6,"
							  " error_detail = $7, error_hint = $8"
							  " WHERE id = $1",
							  8, (Oid[]) {INT8OID, TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID},
							  values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not finish the run");
	if (fingerprint && run_has_fingerprint() &&
		SPI_execute_with_args("UPDATE migrate.run_log SET fingerprint = $2 WHERE id = $1",
							  2, (Oid[]) {INT8OID, TEXTOID},
							  (Datum[]) {Int64GetDatum(run_id), CStringGetTextDatum(fingerprint)},
							  NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the run's fingerprint");
	migrate_bookkeeping_end(&bk);
}

/*
 * The id the next run will be recorded with, taken now: the transactional
 * engine records its run at the end, but the DDL ledger names the run in
 * the rows of the commands its bodies run.  A run that fails leaves a gap
 * in the ids (its ledger rows roll back with it; the failed-run record
 * gets an id of its own).
 */
int64
migrate_runlog_next_run_id(void)
{
	MigrateBookkeeping bk;
	bool		isnull;
	int64		id;

	migrate_bookkeeping_begin(&bk);
	if (SPI_execute("SELECT pg_catalog.nextval('migrate.run_id_seq')", false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not take a run id");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 1, &isnull));
	migrate_bookkeeping_end(&bk);
	return id;
}

#define RUNLOG_NFIELDS 16
#define RUNLOG_NRUNFIELDS 14	/* F_KIND .. F_PROJECT: the migrate.run row */

/* field order in the segment */
enum
{
	F_KIND, F_TARGET, F_STARTED_AT, F_FROM_HEADS, F_DB_USER, F_APPNAME,
	F_PID, F_REVISION, F_SQLSTATE, F_MESSAGE, F_DETAIL, F_HINT, F_CONTEXT,
	F_PROJECT, F_STEP, F_STEP_STARTED_AT
};

typedef struct RunlogHeader
{
	Oid			database;
	Oid			owner;
	bool		done;			/* set by the worker on success */
	int64		run_id;
	Size		len;			/* bytes of payload after the header */
} RunlogHeader;

static Size
field_size(const char *s)
{
	return sizeof(int32) + (s ? strlen(s) : 0);
}

static char *
put_field(char *p, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	memcpy(p, &len, sizeof(int32));
	p += sizeof(int32);
	if (len > 0)
	{
		memcpy(p, s, len);
		p += len;
	}
	return p;
}

static const char *
get_field(const char **p)
{
	int32		len;
	char	   *s;

	memcpy(&len, *p, sizeof(int32));
	*p += sizeof(int32);
	if (len < 0)
		return NULL;
	s = palloc(len + 1);
	memcpy(s, *p, len);
	s[len] = '\0';
	*p += len;
	return s;
}

/*
 * The error context as migrate.run may show it.  migrate.run shows it only
 * to the role that ran it (and pg_read_all_stats, superusers), who may
 * still not read revision bodies, and the context of a body's error
 * quotes the body: SPI adds 'SQL statement "<the statement>"', PL/pgSQL
 * 'SQL expression "..."', a DO block its code.  Keep only the lines the
 * apply engine adds itself ("upgrade body of revision "x" (step 2 of 5),
 * statement 3"), which say where the error happened without quoting the
 * body; the caller saw the whole context in its error.  NULL if nothing is
 * left.
 */
static const char *
public_context(const char *context)
{
	static const char *const ours[] = {
		"upgrade body of revision \"",
		"downgrade body of revision \"",
		"non-transactional upgrade body of revision \"",
		"non-transactional downgrade body of revision \"",
	};
	char	   *out;
	char	   *o;
	const char *p = context;

	if (context == NULL)
		return NULL;
	out = o = palloc(strlen(context) + 1);
	while (*p)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		for (int i = 0; i < lengthof(ours); i++)
		{
			if (strncmp(p, ours[i], strlen(ours[i])) == 0)
			{
				if (o > out)
					*o++ = '\n';
				memcpy(o, p, len);
				o += len;
				break;
			}
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	*o = '\0';
	return o > out ? out : NULL;
}

/*
 * Register the recorder, waiting for a free worker slot at most
 * migrate.lock_wait.  The wait notices interrupts without processing them:
 * a cancel ends it, and the caller then raises its own error (error
 * recovery clears the cancel), never the cancel's.
 */
static bool
register_worker_waiting(BackgroundWorker *worker, BackgroundWorkerHandle **handle)
{
	TimestampTz give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  migrate_lock_wait_ms);

	while (!RegisterDynamicBackgroundWorker(worker, handle))
	{
		if (migrate_lock_wait_ms == 0 || GetCurrentTimestamp() >= give_up ||
			QueryCancelPending || ProcDiePending)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	return true;
}

/*
 * Record a failed run.  Must be called in a valid (not aborted)
 * transaction; returns the run id, or 0 (with a WARNING) if it could not.
 */
int64
migrate_record_failure(const MigrateFailure *f)
{
	const char *fields[RUNLOG_NFIELDS];
	Size		size = sizeof(RunlogHeader);
	dsm_segment *seg;
	RunlogHeader *hdr;
	char	   *p;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;
	int64		run_id = 0;
	char		pidbuf[16];
	char		stepbuf[16];

	fields[F_KIND] = f->kind;
	fields[F_TARGET] = f->target;
	fields[F_STARTED_AT] = f->started_at;
	fields[F_FROM_HEADS] = f->from_heads;
	fields[F_DB_USER] = f->db_user;
	fields[F_APPNAME] = f->application_name;
	snprintf(pidbuf, sizeof(pidbuf), "%d", MyProcPid);
	fields[F_PID] = pidbuf;
	fields[F_REVISION] = f->revision;
	fields[F_SQLSTATE] = f->sqlstate;
	fields[F_MESSAGE] = f->message;
	fields[F_DETAIL] = f->detail;
	fields[F_HINT] = f->hint;
	fields[F_CONTEXT] = public_context(f->context);
	fields[F_PROJECT] = f->project;
	snprintf(stepbuf, sizeof(stepbuf), "%d", f->step);
	fields[F_STEP] = stepbuf;
	fields[F_STEP_STARTED_AT] = f->step_started_at ? f->step_started_at : f->started_at;

	for (int i = 0; i < RUNLOG_NFIELDS; i++)
		size += field_size(fields[i]);

	/* never let the recording replace the body's error: give up quietly */
	seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
	{
		ereport(WARNING,
				(errmsg("could not record the failed run in migrate.run"),
				 errdetail("No dynamic shared memory segment is available.")));
		return 0;
	}
	hdr = dsm_segment_address(seg);
	hdr->database = MyDatabaseId;
	hdr->owner = f->owner;
	hdr->done = false;
	hdr->run_id = 0;
	hdr->len = size - sizeof(RunlogHeader);
	p = (char *) hdr + sizeof(RunlogHeader);
	for (int i = 0; i < RUNLOG_NFIELDS; i++)
		p = put_field(p, fields[i]);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "migrate");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "migrate_failure_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "migrate failure recorder for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "migrate failure recorder");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!register_worker_waiting(&worker, &handle))
	{
		ereport(WARNING,
				(errmsg("could not record the failed run in migrate.run"),
				 errdetail("No background worker slot became free within migrate.lock_wait (%d ms).",
						   migrate_lock_wait_ms),
				 errhint("Raise max_worker_processes.")));
		dsm_detach(seg);
		return 0;
	}
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status == BGWH_STARTED)
		status = WaitForBackgroundWorkerShutdown(handle);

	if (hdr->done)
		run_id = hdr->run_id;
	else
		ereport(WARNING,
				(errmsg("could not record the failed run in migrate.run"),
				 errdetail("The recording background worker did not finish; the server log has its error.")));
	dsm_detach(seg);
	return run_id;
}

void
migrate_failure_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	RunlogHeader *hdr;
	const char *p;
	const char *v[RUNLOG_NFIELDS];
	Oid			argtypes[RUNLOG_NRUNFIELDS] = {
		TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID, NAMEOID, TEXTOID,
		INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID
	};
	Datum		values[RUNLOG_NRUNFIELDS];
	char		nulls[RUNLOG_NRUNFIELDS];
	bool		isnull;
	int64		run_id;

	BackgroundWorkerUnblockSignals();
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the failed run's record")));
	hdr = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(hdr->database, hdr->owner, 0);

	p = (const char *) hdr + sizeof(RunlogHeader);
	for (int i = 0; i < RUNLOG_NFIELDS; i++)
		v[i] = get_field(&p);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "5s", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "10s", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("application_name", "migrate failure recorder", PGC_USERSET, PGC_S_SESSION);
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "migrate: recording a failed run");

	for (int i = 0; i < RUNLOG_NRUNFIELDS; i++)
	{
		nulls[i] = v[i] ? ' ' : 'n';
		if (v[i] == NULL)
			values[i] = (Datum) 0;
		else if (argtypes[i] == TIMESTAMPTZOID)
			values[i] = DirectFunctionCall3(timestamptz_in, CStringGetDatum(v[i]),
											ObjectIdGetDatum(InvalidOid),
											Int32GetDatum(-1));
		else if (argtypes[i] == TEXTARRAYOID)
			values[i] = OidInputFunctionCall(F_ARRAY_IN, (char *) v[i],
											 TEXTOID, -1);
		else if (argtypes[i] == NAMEOID)
			values[i] = DirectFunctionCall1(namein, CStringGetDatum(v[i]));
		else if (argtypes[i] == INT4OID)
			values[i] = Int32GetDatum(pg_strtoint32(v[i]));
		else
			values[i] = CStringGetTextDatum(v[i]);
	}

	if (SPI_execute_with_args("INSERT INTO migrate.run_log"
							  " (kind, target, status, started_at, finished_at,"
							  "  from_heads, to_heads, db_user, application_name,"
							  "  pid, error_revision, error_sqlstate,"
							  "  error_message, error_detail, error_hint,"
							  "  error_context, project)"
							  " VALUES ($1, $2, 'failed', $3, pg_catalog.clock_timestamp(),"
							  "  $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
							  " RETURNING id",
							  RUNLOG_NRUNFIELDS, argtypes, values, nulls,
							  false, 1) != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert the failed run");
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));

	if (v[F_REVISION] != NULL)
	{
		Oid			stepargs[6] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID};
		Datum		stepvals[6];

		stepvals[0] = Int64GetDatum(run_id);
		stepvals[1] = Int32GetDatum(pg_strtoint32(v[F_STEP]));
		stepvals[2] = CStringGetTextDatum(v[F_REVISION]);
		stepvals[3] = CStringGetTextDatum(strcmp(v[F_KIND], "downgrade") == 0 ? "down" : "up");
		stepvals[4] = DirectFunctionCall3(timestamptz_in,
										  CStringGetDatum(v[F_STEP_STARTED_AT]),
										  ObjectIdGetDatum(InvalidOid),
										  Int32GetDatum(-1));
		stepvals[5] = CStringGetTextDatum(v[F_PROJECT]);
		if (SPI_execute_with_args("INSERT INTO migrate.run_step"
								  " (project, run_id, step, revision, direction, started_at,"
								  "  duration, status)"
								  " VALUES ($6, $1, $2, $3, $4, $5,"
								  "  pg_catalog.clock_timestamp() - $5, 'failed')",
								  6, stepargs, stepvals, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert the failed step");
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	hdr->run_id = run_id;
	pg_memory_barrier();
	hdr->done = true;
	dsm_detach(seg);
	proc_exit(0);
}
