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

/*
 * Connect, check that the extension is there, and sync the directory
 * unless --no-sync or !sync.
 */
int
ctx_open(Ctx *ctx, bool sync)
{
	int			rc;

	if (sync && !opt.no_sync)
	{
		rc = ctx_load_dir(ctx, true);
		if (rc != PGM_EXIT_OK)
			return rc;
		/* file problems are found before connecting */
		if (ctx->rd.n_invalid > 0 || ctx->rd.n_duplicates > 0)
		{
			(void) revdir_report_errors(&ctx->rd);
			pgm_error("revision files with problems: %zu of %zu in \"%s\"; nothing was loaded",
					  ctx->rd.n_invalid + ctx->rd.n_duplicates, ctx->rd.n, ctx->rd.dir);
			return PGM_EXIT_FAIL;
		}
	}
	else if (!ctx->rd_loaded)
	{
		/* for file names in messages, if the directory is there */
		if (revdir_load_quiet(opt.directory, &ctx->rd) == PGM_EXIT_OK)
			ctx->rd_loaded = true;
	}

	ctx->conn = db_connect();
	if (ctx->conn == NULL)
		return PGM_EXIT_USAGE;
	if (!db_require_extension(ctx->conn))
		return PGM_EXIT_USAGE;
	if (sync && !opt.no_sync)
	{
		rc = sync_directory(ctx->conn, &ctx->rd, false);
		if (rc != PGM_EXIT_OK)
			return rc;
	}
	return PGM_EXIT_OK;
}
