/*-------------------------------------------------------------------------
 *
 * runlog.c
 *	  Failed runs, recorded in a transaction of their own.
 *
 * When a body fails, the caller's transaction is going to roll back, and
 * with it anything it wrote.  The failure must survive: a dynamic
 * background worker (the way pg_cron writes job_run_details) connects to
 * the same database as the catalog's owner, inserts the migrate.run row and
 * the failed migrate.run_step row, commits, and exits.  The caller waits
 * for it, so the record is visible to every session by the time the caller
 * sees its error.
 *
 * The record travels in a dynamic shared memory segment as a sequence of
 * length-prefixed strings.  The worker has a short lock_timeout and
 * statement_timeout so that it can never hang the caller; if no worker slot
 * is free (max_worker_processes) or the worker fails, the caller gets a
 * WARNING and its original error, never a different one.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void migrate_failure_worker_main(Datum main_arg);

#define RUNLOG_NFIELDS 15
#define RUNLOG_NRUNFIELDS 13	/* F_KIND .. F_CONTEXT: the migrate.run row */

/* field order in the segment */
enum
{
	F_KIND, F_TARGET, F_STARTED_AT, F_FROM_HEADS, F_DB_USER, F_APPNAME,
	F_PID, F_REVISION, F_SQLSTATE, F_MESSAGE, F_DETAIL, F_HINT, F_CONTEXT,
	F_STEP, F_STEP_STARTED_AT
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
 * The error context as migrate.run may show it.  migrate.run is readable by
 * every role, revision bodies are not, and the context of a body's error
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

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(WARNING,
				(errmsg("could not record the failed run in migrate.run"),
				 errdetail("No background worker slot is free."),
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
		INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID
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

	if (SPI_execute_with_args("INSERT INTO migrate.run"
							  " (kind, target, status, started_at, finished_at,"
							  "  from_heads, to_heads, db_user, application_name,"
							  "  pid, error_revision, error_sqlstate,"
							  "  error_message, error_detail, error_hint,"
							  "  error_context)"
							  " VALUES ($1, $2, 'failed', $3, pg_catalog.clock_timestamp(),"
							  "  $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
							  " RETURNING id",
							  RUNLOG_NRUNFIELDS, argtypes, values, nulls,
							  false, 1) != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not insert the failed run");
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));

	if (v[F_REVISION] != NULL)
	{
		Oid			stepargs[5] = {INT8OID, INT4OID, TEXTOID, TEXTOID, TIMESTAMPTZOID};
		Datum		stepvals[5];

		stepvals[0] = Int64GetDatum(run_id);
		stepvals[1] = Int32GetDatum(pg_strtoint32(v[F_STEP]));
		stepvals[2] = CStringGetTextDatum(v[F_REVISION]);
		stepvals[3] = CStringGetTextDatum(strcmp(v[F_KIND], "downgrade") == 0 ? "down" : "up");
		stepvals[4] = DirectFunctionCall3(timestamptz_in,
										  CStringGetDatum(v[F_STEP_STARTED_AT]),
										  ObjectIdGetDatum(InvalidOid),
										  Int32GetDatum(-1));
		if (SPI_execute_with_args("INSERT INTO migrate.run_step"
								  " (run_id, step, revision, direction, started_at,"
								  "  duration, status)"
								  " VALUES ($1, $2, $3, $4, $5,"
								  "  pg_catalog.clock_timestamp() - $5, 'failed')",
								  5, stepargs, stepvals, NULL, false, 0) != SPI_OK_INSERT)
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
