/*-------------------------------------------------------------------------
 *
 * cmd_lint.c
 *	  lint: what each statement of the pending plan (or of revision files
 *	  not registered yet) will lock, rewrite and risk, judged by the
 *	  database that will run it (migrate.lint() and migrate.lint_sql():
 *	  PostgreSQL's own lock levels, the tables' sizes now).
 *
 *	   pg_migrate lint [TARGET] [--down]    the plan upgrade (downgrade) runs
 *	   pg_migrate lint FILE...              files of a pull request, say
 *
 * Registers nothing: the plan is judged with the directory's files
 * registered in a transaction that is rolled back (ctx_open_rolled_back),
 * as upgrade would register them.
 *
 * Findings are printed as file:line of the revision file (the body's line
 * plus the line of its "-- migrate:upgrade" marker), with their severity,
 * message, rule code and the safe way as a hint; info findings (the lock of
 * every statement) only with -v.  Exit status 1 when a finding is an error
 * (with --strict, a warning too).
 *
 * Also used by "upgrade --dry-run" (the plan's findings after the plan) and
 * by "check" (the pending plan's findings; errors fail with --strict).
 * A database whose extension predates lint, or a role that may not run it
 * (migrate.lint() reads revision bodies: not PUBLIC), gets no findings and
 * a note, never a failure of those commands.
 *
 * IDENTIFICATION
 *	  client/cmd_lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINT_COLUMNS \
	"revision, statement, line, severity, code, relation, lock, rewrite, rows, bytes, message, hint"

static char *
value_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : pgm_strdup(PQgetvalue(res, row, col));
}

/*
 * Rows of migrate.lint / lint_sql into findings.  A finding's file and line:
 * "file" (lint_sql of a file) with "line_base" (its marker's line), or the
 * revision's file in the directory (lint).
 */
static void
collect(const PGresult *res, LintFindings *lf, const RevDir *rd, bool down,
		const char *file, size_t line_base)
{
	for (int i = 0; i < PQntuples(res); i++)
	{
		LintFinding *f;
		size_t		base = line_base;

		if (lf->n == lf->cap)
		{
			lf->cap = lf->cap ? lf->cap * 2 : 16;
			lf->f = pgm_realloc(lf->f, lf->cap * sizeof(LintFinding));
		}
		f = &lf->f[lf->n++];
		memset(f, 0, sizeof(*f));
		f->revision = value_or_null(res, i, 0);
		f->statement = PQgetisnull(res, i, 1) ? 0 : atoi(PQgetvalue(res, i, 1));
		f->severity = pgm_strdup(PQgetvalue(res, i, 3));
		f->code = pgm_strdup(PQgetvalue(res, i, 4));
		f->relation = value_or_null(res, i, 5);
		f->lock = value_or_null(res, i, 6);
		f->rewrite = value_or_null(res, i, 7);
		f->rows = value_or_null(res, i, 8);
		f->bytes = value_or_null(res, i, 9);
		f->message = value_or_null(res, i, 10);
		f->hint = value_or_null(res, i, 11);
		if (file != NULL)
			f->file = pgm_strdup(file);
		else if (rd != NULL && f->revision != NULL)
		{
			RevEntry   *e = revdir_find(rd, f->revision);

			if (e != NULL)
			{
				f->file = pgm_strdup(e->path);
				base = down ? e->rf.downgrade_line : e->rf.upgrade_line;
			}
		}
		f->line = (size_t) atol(PQgetvalue(res, i, 2)) + (f->file ? base : 0);
		if (f->severity[0] == 'e')
			lf->errors++;
		else if (f->severity[0] == 'w')
			lf->warnings++;
		else
			lf->infos++;
	}
}

/* Can this role lint the plan here?  NULL if so, else why not. */
static const char *
lint_unavailable(PGconn *conn, const char *signature)
{
	const char *params[1] = {signature};
	PGresult   *res = db_try(conn,
							 "SELECT pg_catalog.to_regprocedure($1) IS NOT NULL,"
							 "       pg_catalog.to_regprocedure($1) IS NOT NULL AND"
							 "       pg_catalog.has_function_privilege(pg_catalog.to_regprocedure($1), 'EXECUTE')",
							 1, params);
	const char *why = NULL;

	if (res == NULL || PQntuples(res) != 1)
		why = "could not look migrate.lint() up";
	else if (PQgetvalue(res, 0, 0)[0] != 't')
		why = "the extension here predates lint (ALTER EXTENSION migrate UPDATE)";
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		why = "this role may not run it (it reads revision bodies)";
	if (res)
		PQclear(res);
	return why;
}

/*
 * The findings of the plan to "target" (migrate.lint), placed in the files
 * of the directory.  False if the query failed (reported); true with
 * lf->skipped set when lint cannot run here.
 */
bool
lint_plan(Ctx *ctx, const char *target, bool down, LintFindings *lf)
{
	/* the directory's project (project.c), as every command acts on */
	const char *params[3] = {target, down ? "down" : "up", opt.project};
	PGresult   *res;

	lf->skipped = lint_unavailable(ctx->conn, "migrate.lint(text,text,text)");
	if (lf->skipped)
		return true;
	res = db_query(ctx->conn, "SELECT " LINT_COLUMNS " FROM migrate.lint($1, $2, $3)", 3, params);
	if (res == NULL)
		return false;
	collect(res, lf, ctx->rd_loaded ? &ctx->rd : NULL, down, NULL, 0);
	PQclear(res);
	return true;
}

/* Text: one line per finding (info only if asked), its hint below. */
void
lint_print(const LintFindings *lf, FILE *out, bool with_info)
{
	for (size_t i = 0; i < lf->n; i++)
	{
		const LintFinding *f = &lf->f[i];

		if (f->severity[0] == 'i' && !with_info)
			continue;
		if (f->file)
			fprintf(out, "%s:%zu: ", f->file, f->line);
		else if (f->revision)
			fprintf(out, "%s:%zu: ", f->revision, f->line);
		else
			fprintf(out, "line %zu: ", f->line);
		fprintf(out, "%s: %s [%s]\n", f->severity, f->message ? f->message : "", f->code);
		if (f->hint && f->severity[0] != 'i')
			fprintf(out, "    hint: %s\n", f->hint);
	}
}

/* --json: "key": [ {severity, code, revision, file, line, ...}, ... ] */
void
lint_json(JsonWriter *w, const char *key, const LintFindings *lf)
{
	json_key(w, key);
	json_begin_array(w);
	for (size_t i = 0; i < lf->n; i++)
	{
		const LintFinding *f = &lf->f[i];

		json_begin_object(w);
		json_kv_string(w, "severity", f->severity);
		json_kv_string(w, "code", f->code);
		json_kv_string(w, "revision", f->revision);
		json_kv_string(w, "file", f->file);
		json_kv_int(w, "line", (long long) f->line);
		json_key(w, "statement");
		if (f->statement > 0)
			json_int(w, f->statement);
		else
			json_null(w);
		json_kv_string(w, "relation", f->relation);
		json_kv_string(w, "lock", f->lock);
		json_key(w, "rewrite");
		if (f->rewrite)
			json_bool(w, f->rewrite[0] == 't');
		else
			json_null(w);
		json_key(w, "rows");
		if (f->rows)
			json_raw(w, f->rows);
		else
			json_null(w);
		json_key(w, "bytes");
		if (f->bytes)
			json_raw(w, f->bytes);
		else
			json_null(w);
		json_kv_string(w, "message", f->message);
		json_kv_string(w, "hint", f->hint);
		json_end_object(w);
	}
	json_end_array(w);
}

void
lint_free(LintFindings *lf)
{
	for (size_t i = 0; i < lf->n; i++)
	{
		LintFinding *f = &lf->f[i];

		free(f->revision);
		free(f->severity);
		free(f->code);
		free(f->file);
		free(f->relation);
		free(f->lock);
		free(f->rewrite);
		free(f->rows);
		free(f->bytes);
		free(f->message);
		free(f->hint);
	}
	free(lf->f);
	memset(lf, 0, sizeof(*lf));
}

/* Does an argument name a file rather than a target? */
static bool
is_file_argument(const char *arg)
{
	struct stat st;
	size_t		len = strlen(arg);

	return strchr(arg, '/') != NULL ||
		(len > 4 && strcmp(arg + len - 4, ".sql") == 0) ||
		(stat(arg, &st) == 0 && S_ISREG(st.st_mode));
}

static bool
slurp(const char *path, char **data, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	StrBuf		sb;
	char		buf[65536];
	size_t		n;

	if (f == NULL)
	{
		pgm_error("could not open \"%s\": %s", path, strerror(errno));
		return false;
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_appendn(&sb, buf, n);
	if (ferror(f))
	{
		pgm_error("could not read \"%s\": %s", path, strerror(errno));
		fclose(f);
		sb_free(&sb);
		return false;
	}
	fclose(f);
	*data = sb.data;
	*len = sb.len;
	return true;
}

/*
 * Files not registered: each file's upgrade body through migrate.lint_sql,
 * as its revision would run (transactional or not).  Each file is judged on
 * its own: a table another file creates is not known to be new.
 */
static int
lint_files(Ctx *ctx, LintFindings *lf)
{
	int			rc = ctx_open(ctx, SYNC_NONE);
	int			bad_files = 0;

	if (rc != PGM_EXIT_OK)
		return rc;
	lf->skipped = lint_unavailable(ctx->conn, "migrate.lint_sql(text,boolean)");
	if (lf->skipped)
	{
		pgm_error("cannot lint here: %s", lf->skipped);
		return PGM_EXIT_USAGE;
	}
	for (int i = 0; i < opt.nargs; i++)
	{
		const char *path = opt.args[i];
		char	   *data;
		size_t		len;
		RevFile		rf;
		const char *params[2];
		PGresult   *res;

		if (!slurp(path, &data, &len))
		{
			bad_files++;
			continue;
		}
		if (!revfile_parse(&rf, data, len, NULL))
		{
			for (size_t k = 0; k < rf.n_errors; k++)
				pgm_file_error(path, rf.errors[k].line, "%s", rf.errors[k].message);
			if (rf.out_of_memory)
				pgm_fatal_oom();
			bad_files++;
		}
		else
		{
			params[0] = rf.upgrade;
			params[1] = rf.transactional ? "true" : "false";
			res = db_query(ctx->conn, "SELECT " LINT_COLUMNS " FROM migrate.lint_sql($1, $2)",
						   2, params);
			if (res == NULL)
			{
				revfile_free(&rf);
				free(data);
				return PGM_EXIT_FAIL;
			}
			collect(res, lf, NULL, false, path, rf.upgrade_line);
			PQclear(res);
		}
		revfile_free(&rf);
		free(data);
	}
	return bad_files > 0 ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

int
cmd_lint(Ctx *ctx)
{
	LintFindings lf = {0};
	bool		files = opt.nargs > 0 && is_file_argument(opt.args[0]);
	const char *target = opt.nargs > 0 ? opt.args[0] : "head";
	int			rc;
	bool		failed;

	for (int i = 1; i < opt.nargs; i++)
		if (!files || !is_file_argument(opt.args[i]))
		{
			pgm_error("lint takes one TARGET or revision files, not \"%s\"", opt.args[i]);
			return PGM_EXIT_USAGE;
		}
	if (files && opt.down)
	{
		pgm_error("lint --down needs a TARGET, not files");
		return PGM_EXIT_USAGE;
	}
	if (files)
		rc = lint_files(ctx, &lf);
	else
	{
		/* registers nothing: the files only in a rolled-back transaction */
		rc = ctx_open_rolled_back(ctx, SYNC_STRICT);
		if (rc == PGM_EXIT_OK)
		{
			if (!lint_plan(ctx, target, opt.down, &lf))
				rc = PGM_EXIT_FAIL;
			else if (lf.skipped)
			{
				pgm_error("cannot lint here: %s", lf.skipped);
				rc = PGM_EXIT_USAGE;
			}
			ctx_rollback(ctx);
		}
	}
	if (rc == PGM_EXIT_USAGE)
	{
		lint_free(&lf);
		return rc;
	}
	failed = rc != PGM_EXIT_OK || lf.errors > 0 || (opt.strict && lf.warnings > 0);

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, !failed);
		if (files)
			json_kv_strlist(&w, "files", &(StrList) {opt.args, (size_t) opt.nargs, 0});
		else
		{
			json_kv_string(&w, "target", target);
			json_kv_string(&w, "direction", opt.down ? "down" : "up");
		}
		json_kv_int(&w, "errors", lf.errors);
		json_kv_int(&w, "warnings", lf.warnings);
		json_kv_int(&w, "info", lf.infos);
		lint_json(&w, "findings", &lf);
		result_end(&w);
	}
	else
	{
		lint_print(&lf, stdout, opt.verbose);
		printf("lint: %d error%s, %d warning%s, %d info%s\n",
			   lf.errors, lf.errors == 1 ? "" : "s", lf.warnings, lf.warnings == 1 ? "" : "s",
			   lf.infos, opt.verbose || lf.infos == 0 ? "" : " (shown with -v)");
	}
	set_summary("lint: %d error%s, %d warning%s", lf.errors, lf.errors == 1 ? "" : "s",
				lf.warnings, lf.warnings == 1 ? "" : "s");
	lint_free(&lf);
	return failed ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}
