/*-------------------------------------------------------------------------
 *
 * ctx.c
 *	  The context a command runs in (Ctx): the directory of revision files,
 *	  loaded once, and the connection, opened with the extension checked
 *	  and the directory synced unless --no-sync.
 *
 * IDENTIFICATION
 *	  client/ctx.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int
ctx_load_dir(Ctx *ctx, bool must_exist)
{
	int			rc;

	if (ctx->rd_loaded)
		return PGM_EXIT_OK;
	rc = revdir_load(opt.directory, &ctx->rd);
	if (rc != PGM_EXIT_OK && must_exist)
		return rc;
	ctx->rd_loaded = true;
	return PGM_EXIT_OK;
}

/* The directory, read in a thread of its own while the connection is made. */
typedef struct DirLoad
{
	const char *dir;
	RevDir	   *rd;
	int			rc;
} DirLoad;

static void *
load_dir_thread(void *arg)
{
	DirLoad    *d = arg;

	d->rc = revdir_load_quiet(d->dir, d->rd);
	return NULL;
}

/*
 * Connect, check that the extension is there, and sync the directory
 * unless --no-sync or SYNC_NONE.  The files are read (and hashed) while
 * the connection is made: a deploy that changed nothing pays for the
 * slower of the two, not for both.
 */
int
ctx_open(Ctx *ctx, SyncMode sync)
{
	int			rc;
	bool		need_files = sync != SYNC_NONE && !opt.no_sync;
	DirLoad		load = {opt.directory, &ctx->rd, PGM_EXIT_OK};
	pthread_t	thread;
	bool		threaded = false;
	bool		probing;

	if (need_files && !ctx->rd_loaded)
		threaded = pthread_create(&thread, NULL, load_dir_thread, &load) == 0;
	ctx->conn = db_connect();

	/*
	 * A deploy that changed nothing is done in the connection's first
	 * round trip, which vouches for the extension too (sync_probe_send):
	 * sent now, the server computes its digest while the files are read.
	 */
	probing = need_files && ctx->conn != NULL && sync_probe_send(ctx->conn);
	rc = PGM_EXIT_OK;
	if (threaded)
	{
		pthread_join(thread, NULL);
		if (load.rc == PGM_EXIT_OK)
			ctx->rd_loaded = true;
		else
			rc = ctx_load_dir(ctx, true);	/* again, to say why */
	}
	if (need_files && rc == PGM_EXIT_OK)
	{
		rc = ctx_load_dir(ctx, true);
		/* file problems are found before the database is used */
		if (rc == PGM_EXIT_OK && (ctx->rd.n_invalid > 0 || ctx->rd.n_duplicates > 0))
		{
			(void) revdir_report_errors(&ctx->rd);
			pgm_error("revision files with problems: %zu of %zu in \"%s\"; nothing was loaded",
					  ctx->rd.n_invalid + ctx->rd.n_duplicates, ctx->rd.n, ctx->rd.dir);
			rc = PGM_EXIT_FAIL;
		}
	}
	if (probing && sync_probe_finish(ctx->conn, rc == PGM_EXIT_OK ? &ctx->rd : NULL) &&
		rc == PGM_EXIT_OK)
	{
		sync_unchanged(&ctx->rd);
		return PGM_EXIT_OK;
	}
	if (rc != PGM_EXIT_OK)
		return rc;
	if (!need_files && !ctx->rd_loaded)
	{
		/* for file names in messages, if the directory is there */
		if (revdir_load_quiet(opt.directory, &ctx->rd) == PGM_EXIT_OK)
			ctx->rd_loaded = true;
	}

	if (ctx->conn == NULL)
		return PGM_EXIT_USAGE;

	/* otherwise the extension is checked, and the directory synced, the long way */
	if (!db_require_extension(ctx->conn))
		return PGM_EXIT_USAGE;
	if (need_files)
	{
		/* sync on its own (SYNC_REPORT) may also prune */
		rc = sync_directory(ctx->conn, &ctx->rd, sync == SYNC_REPORT && opt.prune, sync);
		if (rc != PGM_EXIT_OK)
			return rc;
	}
	return PGM_EXIT_OK;
}

/*
 * For a read-only command: load the directory (unless --no-sync; a
 * missing one is an error only if "need_dir"), connect, and compare the
 * files with the database's revisions in memory (model.c), registering
 * nothing.  Files that do not parse are reported and left out
 * (ctx->files_broken); the difference is printed on stderr.
 */
int
ctx_open_read(Ctx *ctx, bool need_dir)
{
	RevDir	   *rd = NULL;

	if (!opt.no_sync)
	{
		if (need_dir)
		{
			int			rc = ctx_load_dir(ctx, true);

			if (rc != PGM_EXIT_OK)
				return rc;
		}
		else if (!ctx->rd_loaded)
		{
			if (revdir_load_quiet(opt.directory, &ctx->rd) == PGM_EXIT_OK)
				ctx->rd_loaded = true;
			else if (opt.verbose)
				pgm_info("no directory \"%s\": the database's revisions alone", opt.directory);
		}
		if (ctx->rd_loaded)
		{
			rd = &ctx->rd;
			if (!revdir_report_errors(rd))
				ctx->files_broken = true;
		}
	}
	ctx->conn = db_connect();
	if (ctx->conn == NULL)
		return PGM_EXIT_USAGE;
	if (!db_require_extension(ctx->conn))
		return PGM_EXIT_USAGE;
	if (!model_load(&ctx->model, ctx->conn, rd))
		return PGM_EXIT_FAIL;
	ctx->model_loaded = true;
	report_model = &ctx->model;
	model_print_diff(&ctx->model);
	return PGM_EXIT_OK;
}

/* A file the database does not hold as it is, and a sync would send. */
static bool
rev_to_send(const Rev *r)
{
	return r->file != NULL &&
		(r->state == RS_NEW || r->state == RS_RENAMED || r->state == RS_REFRESHED ||
		 (r->state == RS_CHANGED && !r->applied));
}

/*
 * The files the database does not hold as they are (not registered,
 * changed while unapplied, renamed) go to migrate.add_file, as a sync
 * would send them, in a transaction this opens and never commits: what
 * runs in it afterwards (migrate.validate, plan, lint) sees them, and
 * nothing of it stays (ctx_rollback, or the connection's end).  The file
 * of an applied revision that changed is left out (the registered version
 * is what ran).  No NOTICE of a registration that will not stay.
 *
 * Returns 1 in the transaction; -1 after a failed query (reported, rolled
 * back).  A file the server refuses: with "why" NULL, reported as a sync
 * reports it, -1; else *why says so, 0 (rolled back).
 */
int
ctx_register_in_tx(Ctx *ctx, char **why)
{
	const Model *m = &ctx->model;

	if (why != NULL)
		*why = NULL;
	if (!db_command(ctx->conn, "BEGIN"))
		return -1;
	PQclear(PQexec(ctx->conn, "SET LOCAL client_min_messages = error"));
	/* a caller that can do without: no long wait for a migration's lock */
	if (why != NULL)
		PQclear(PQexec(ctx->conn, "SELECT pg_catalog.set_config('migrate.lock_wait', '5s', true)"));
	for (int i = 0; i < m->n; i++)
	{
		const Rev  *r = &m->revs[i];
		const char *params[3];
		PGresult   *res;

		if (!rev_to_send(r))
			continue;
		params[0] = r->file->content;
		params[1] = r->file->file;
		params[2] = opt.project;
		res = PQexecParams(ctx->conn, "SELECT migrate.add_file($1, $2, $3)", 3, NULL, params,
						   NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

			if (why != NULL)
				*why = pgm_psprintf("%s: %s", r->file->file, msg ? msg : "could not be registered");
			else
			{
				char	   *prefix = pgm_psprintf("%s: ", r->file->path);

				db_report_result_error(res, prefix);
				free(prefix);
			}
			PQclear(res);
			ctx_rollback(ctx);
			return why != NULL ? 0 : -1;
		}
		PQclear(res);
	}
	PQclear(PQexec(ctx->conn, "SET LOCAL client_min_messages TO DEFAULT"));
	return 1;
}

void
ctx_rollback(Ctx *ctx)
{
	if (ctx->conn != NULL && PQtransactionStatus(ctx->conn) != PQTRANS_IDLE)
		PQclear(PQexec(ctx->conn, "ROLLBACK"));
}

/*
 * For what must see the files as a sync would register them but registers
 * nothing (upgrade and downgrade --dry-run, lint): the files compared with
 * the database in memory (ctx_open_read, which prints the difference),
 * refused as the sync of "mode" refuses them (files that do not parse; with
 * SYNC_STRICT an applied revision's file edited), then registered in a
 * transaction that is never committed (ctx_register_in_tx).  sync_report
 * gets the registered revisions without a file, as a sync finds them.
 */
int
ctx_open_rolled_back(Ctx *ctx, SyncMode mode)
{
	int			rc = ctx_open_read(ctx, true);
	const Model *m = &ctx->model;
	StrList		applied_changed = {0};

	if (rc != PGM_EXIT_OK)
		return rc;
	if (ctx->files_broken)
	{
		pgm_error("revision files with problems: %zu of %zu in \"%s\"; nothing was loaded",
				  ctx->rd.n_invalid + ctx->rd.n_duplicates, ctx->rd.n, ctx->rd.dir);
		return PGM_EXIT_FAIL;
	}
	memset(&sync_report, 0, sizeof(sync_report));
	for (int i = 0; i < m->n; i++)
	{
		const Rev  *r = &m->revs[i];

		if (r->state == RS_NO_FILE)
		{
			sl_add(&sync_report.missing, r->id);
			if (r->applied)
				sl_add(&sync_report.missing_applied, r->id);
		}
		if (r->file != NULL && r->state == RS_CHANGED && r->applied)
			sl_add(&applied_changed, r->id);
	}
	if (applied_changed.n > 0 && !opt.no_sync)
	{
		char	   *list = sl_join(&applied_changed, ", ");

		if (mode == SYNC_STRICT)
			pgm_error("the file%s of applied revision%s %s differ%s from the version that ran; nothing was run",
					  applied_changed.n == 1 ? "" : "s", applied_changed.n == 1 ? "" : "s",
					  list, applied_changed.n == 1 ? "s" : "");
		else
			pgm_warning("the file%s of applied revision%s %s differ%s from the version that ran: the database keeps that version",
						applied_changed.n == 1 ? "" : "s", applied_changed.n == 1 ? "" : "s",
						list, applied_changed.n == 1 ? "s" : "");
		pgm_error_detail("An applied revision cannot change: the database keeps the version that ran, and a downgrade runs that one.");
		pgm_error_hint("Restore the file (git checkout -- FILE), or put the change in a new revision (pg_migrate revision). "
					   "\"pg_migrate check\" lists every difference; --no-sync uses the registered revisions as they are.");
		free(list);
		if (mode == SYNC_STRICT)
			return PGM_EXIT_FAIL;
	}
	sl_free(&applied_changed);
	if (opt.no_sync)
		return PGM_EXIT_OK;
	return ctx_register_in_tx(ctx, NULL) == 1 ? PGM_EXIT_OK : PGM_EXIT_FAIL;
}
