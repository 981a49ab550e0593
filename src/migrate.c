/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  Module entry point: PG_MODULE_MAGIC and the extension's settings.
 *
 * The settings are plain GUCs under the reserved prefix "migrate.", so they
 * can be set per session, per role (ALTER ROLE ... SET) or per database.
 * Nothing here needs shared memory; the library loads on first use and
 * needs no shared_preload_libraries entry.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include <limits.h>

#include "utils/guc.h"

PG_MODULE_MAGIC;

/* Milliseconds to wait for another session's migration lock. */
int			migrate_lock_wait_ms = 60000;

/* Milliseconds each statement of a body may wait for a lock (0: no limit). */
int			migrate_lock_timeout_ms = 5000;

/* Further tries of a revision whose lock wait timed out. */
int			migrate_lock_retries = 3;

/* Report the memory each graph-loading call used (for benchmarks). */
bool		migrate_report_memory = false;

/* The project a NULL project argument means. */
char	   *migrate_default_project = NULL;

/* Record every DDL command in migrate.ddl_log (ddl_log.c). */
bool		migrate_track_ddl = true;

/* Minutes a migrate.ddl_log row is kept (0: for ever). */
int			migrate_ddl_log_retention_min = 0;
/* lint: a table above this size (kB) makes a blocking finding an error. */
int			migrate_lint_large_table_kb = 100 * 1024;

/* migrate.project follows the id rules: refuse anything else when set. */
static bool
check_project_name(char **newval, void **extra, GucSource source)
{
	const char *reason;

	if (*newval == NULL || migrate_id_is_valid(*newval, &reason))
		return true;
	GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
	GUC_check_errdetail("%s", reason);
	return false;
}

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("migrate.lock_wait",
							"Longest wait for another session's migration in this database.",
							"A caller that waits longer gets an error (SQLSTATE 55P03) instead of hanging.",
							&migrate_lock_wait_ms,
							60000, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lock_timeout",
							"Longest wait for a lock by each statement of a revision body (0 disables).",
							"A body statement that waits longer is cancelled, its revision rolled back and retried; readers never queue behind it for long.",
							&migrate_lock_timeout_ms,
							5000, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.lock_retries",
							"How many times a revision whose lock wait timed out is tried again.",
							NULL,
							&migrate_lock_retries,
							3, 0, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("migrate.report_memory",
							 "Report, as a NOTICE, the memory each call that loads the revision graph used.",
							 "For benchmarks and capacity planning; off by default.",
							 &migrate_report_memory,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("migrate.project",
							   "The project (history) that functions act on when their project argument is NULL.",
							   "Services that share one database each keep a history of their own; a database that never names one has the project 'default'.",
							   &migrate_default_project,
							   "default",
							   PGC_USERSET,
							   0,
							   check_project_name, NULL, NULL);

	/*
	 * Superuser-only (or granted with GRANT SET ON PARAMETER): the ledger is
	 * a record of what every role did, and the role it records must not be
	 * able to switch it off or shorten it.
	 */
	DefineCustomBoolVariable("migrate.track_ddl",
							 "Record every DDL command in migrate.ddl_log.",
							 "Off: nothing is recorded (drift() still compares the schema's fingerprint).",
							 &migrate_track_ddl,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("migrate.ddl_log_retention",
							"How long rows of migrate.ddl_log are kept (0 keeps them for ever).",
							"Older rows are deleted now and then as new commands are recorded.",
							&migrate_ddl_log_retention_min,
							0, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, migrate_ddl_log_retention_changed, NULL);
	DefineCustomIntVariable("migrate.lint_large_table",
							"Table size above which migrate.lint() reports a blocking statement as an error.",
							"Below it (and above empty) such a finding is a warning; on an empty table, or one created earlier in the plan, it is info.",
							&migrate_lint_large_table_kb,
							100 * 1024, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("migrate");
#else
	EmitWarningsOnPlaceholders("migrate");
#endif
}
