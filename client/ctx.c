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
