/*-------------------------------------------------------------------------
 *
 * cmd_apply.c
 *	  The commands that change the applied state: upgrade, downgrade,
 *	  stamp; and sql, the script of an upgrade (adopt is cmd_adopt.c).
 *
 * upgrade: after the sync, the chain is validated (errors stop it unless
 * --skip-validation), and the plan (migrate.plan) decides how it runs:
 *
 *	 - only transactional revisions: SELECT * FROM migrate.upgrade(target),
 *	   one statement, all or nothing;
 *	 - a non-transactional revision anywhere in the plan, or a revision
 *	   that uses an enum value an earlier one adds (upgrade() refuses such
 *	   a plan with 55P04 before running anything): CALL
 *	   migrate.run(target) on this connection, outside any transaction
 *	   block: the procedure commits after each revision and runs the
 *	   statements of a non-transactional body one at a time at top level
 *	   (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE, VACUUM), with
 *	   the bookkeeping in the extension.  When a concurrent index build
 *	   fails, the INVALID index it left is reported with the statement that
 *	   removes it.
 *
 * Progress comes from the extension's NOTICE per revision ("applying
 * 3/10: <id> <message>"), shown with the time elapsed since the start.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct Step
{
	int			step;
	char	   *revision;
	char	   *message;
	bool		transactional;
	double		seconds;		/* < 0: unknown */
	char	   *status;
} Step;

typedef struct Steps
{
	Step	   *s;
	size_t		n;
} Steps;

static void
steps_from_result(PGresult *res, Steps *out, int col_tx, int col_secs, int col_status)
{
	out->n = (size_t) PQntuples(res);
	out->s = pgm_malloc(sizeof(Step) * (out->n ? out->n : 1));
	for (size_t i = 0; i < out->n; i++)
	{
		Step	   *s = &out->s[i];
		int			r = (int) i;

		s->step = atoi(PQgetvalue(res, r, 0));
		s->revision = pgm_strdup(PQgetvalue(res, r, 1));
		s->message = PQgetisnull(res, r, 2) ? NULL : pgm_strdup(PQgetvalue(res, r, 2));
		s->transactional = col_tx < 0 || PQgetvalue(res, r, col_tx)[0] == 't';
		s->seconds = (col_secs < 0 || PQgetisnull(res, r, col_secs)) ? -1 : atof(PQgetvalue(res, r, col_secs));
		s->status = col_status < 0 ? NULL : pgm_strdup(PQgetvalue(res, r, col_status));
	}
}

static void
json_steps(JsonWriter *w, const char *key, const Steps *st)
{
	json_key(w, key);
	json_begin_array(w);
	for (size_t i = 0; i < st->n; i++)
	{
		json_begin_object(w);
		json_kv_int(w, "step", st->s[i].step);
		json_kv_string(w, "revision", st->s[i].revision);
		json_kv_string(w, "message", st->s[i].message);
		json_kv_bool(w, "transactional", st->s[i].transactional);
		if (st->s[i].seconds >= 0)
			json_kv_double(w, "seconds", st->s[i].seconds);
		if (st->s[i].status)
			json_kv_string(w, "status", st->s[i].status);
		json_end_object(w);
	}
	json_end_array(w);
}

/* migrate.current(), as a list */
bool
fetch_current(PGconn *conn, StrList *out)
{
	const char *params[1] = {opt.project};
	PGresult   *res = db_query(conn, "SELECT c FROM migrate.current($1) AS c ORDER BY 1", 1, params);

	if (res == NULL)
		return false;
	for (int i = 0; i < PQntuples(res); i++)
		sl_add(out, PQgetvalue(res, i, 0));
	PQclear(res);
	return true;
}

char *
current_text(const StrList *cur)
{
	return cur->n == 0 ? pgm_strdup("base (nothing applied)") : sl_join(cur, ", ");
}

/*
 * Stop before running anything when migrate.validate() finds errors: a
 * missing parent, a file that declares another id than its name, an
 * applied revision edited...
 */
static int
preflight(Ctx *ctx)
{
	PGresult   *res;
	int			n;
	const char *params[1] = {opt.project};

	if (opt.skip_validation)
		return PGM_EXIT_OK;
	res = db_query(ctx->conn,
				   "SELECT severity, code, revision, message FROM migrate.validate($1)"
				   " WHERE severity = 'error'", 1, params);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	n = PQntuples(res);
	if (n > 0)
	{
		pgm_error("the revision chain has %d error%s; nothing was run", n, n == 1 ? "" : "s");
		for (int i = 0; i < n; i++)
		{
			const char *rev = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
			const char *file = revdir_file_of(ctx->rd_loaded ? &ctx->rd : NULL, rev);
			char	   *msg;
			size_t		line = revdir_body_line(ctx->rd_loaded ? &ctx->rd : NULL, rev,
												PQgetvalue(res, i, 3), &msg);

			if (file && line > 0)
				fprintf(stderr, "  %s:%zu: %s [%s]\n", file, line, msg, PQgetvalue(res, i, 1));
			else
				fprintf(stderr, "  %s%s%s [%s]\n", file ? file : "", file ? ": " : "",
						PQgetvalue(res, i, 3), PQgetvalue(res, i, 1));
			free(msg);
		}
		pgm_error_hint("\"pg_migrate check\" shows every finding; --skip-validation runs anyway.");
		PQclear(res);
		set_summary("the revision chain has %d error%s", n, n == 1 ? "" : "s");
		return PGM_EXIT_FAIL;
	}
	PQclear(res);
	return PGM_EXIT_OK;
}

/* INVALID indexes, as a failed CREATE INDEX CONCURRENTLY leaves them */
static void
report_invalid_indexes(PGconn *conn, StrList *out)
{
	PGresult   *res = db_try(conn,
							 "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),"
							 "       pg_catalog.format('%I.%I', tn.nspname, t.relname)"
							 "  FROM pg_catalog.pg_index i"
							 "  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
							 "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							 "  JOIN pg_catalog.pg_class t ON t.oid = i.indrelid"
							 "  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
							 " WHERE NOT i.indisvalid ORDER BY 1", 0, NULL);

	if (res == NULL)
		return;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *idx = PQgetvalue(res, i, 0);

		sl_add(out, idx);
		fprintf(stderr, "%s: INVALID index %s on %s was left by a failed concurrent build;\n"
				"  remove it before running the revision again:  DROP INDEX CONCURRENTLY %s;\n",
				progname, idx, PQgetvalue(res, i, 1), idx);
	}
	PQclear(res);
}

static void
print_plan(const Steps *plan, const char *verb)
{
	for (size_t i = 0; i < plan->n; i++)
		printf("%s %d/%zu: %s%s%s%s\n", verb, plan->s[i].step, plan->n,
			   plan->s[i].revision, plan->s[i].message ? " " : "",
			   plan->s[i].message ? plan->s[i].message : "",
			   plan->s[i].transactional ? "" : " [non-transactional]");
}

/*
 * The script of migrate.sql(target, direction), from the database's state:
 * a read-only command, which compares the files with the database in
 * memory and says when they differ (the script is the registered
 * revisions').
 */
static int
run_sql(Ctx *ctx, const char *target, const char *direction)
{
	int			rc;
	const char *params[3] = {target, direction, opt.project};
	PGresult   *res;
	FILE	   *f = stdout;
	const char *script;

	rc = ctx_open_read(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (model_files_differ(&ctx->model))
	{
		/* new or changed files: what upgrade would do, from the files */
		if (direction[0] == 'u' && !ctx->files_broken)
		{
			rc = sql_from_files(ctx, target);
			if (rc >= 0)
				return rc;
		}
		pgm_warning("the script is built from the registered revisions, which differ from the files: "
					"\"pg_migrate sync\" registers them first, and \"sql --offline\" builds a script from the files alone");
	}
	res = db_query(ctx->conn, "SELECT migrate.sql($1, $2, $3)", 3, params);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	script = PQgetvalue(res, 0, 0);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_string(&w, "target", target);
		json_kv_string(&w, "direction", direction);
		json_kv_bool(&w, "offline", false);
		json_kv_string(&w, "script", script);
		result_end(&w);
	}
	else
	{
		if (opt.output != NULL && (f = fopen(opt.output, "w")) == NULL)
		{
			pgm_error("could not open \"%s\": %s", opt.output, strerror(errno));
			PQclear(res);
			return PGM_EXIT_USAGE;
		}
		fputs(script, f);
		if (script[0] && script[strlen(script) - 1] != '\n')
			fputc('\n', f);
		if (f != stdout && fclose(f) != 0)
		{
			pgm_error("could not write \"%s\": %s", opt.output, strerror(errno));
			PQclear(res);
			return PGM_EXIT_FAIL;
		}
		if (opt.output != NULL)
			pgm_info("wrote %s", opt.output);
	}
	set_summary("script of %s to %s", direction[0] == 'u' ? "upgrade" : "downgrade", target);
	PQclear(res);
	return PGM_EXIT_OK;
}

int
cmd_sql(Ctx *ctx)
{
	const char *arg = opt.nargs > 0 ? opt.args[0] : NULL;

	/* a range is a script between two states: from the files */
	if (opt.offline || (arg != NULL && strchr(arg, ':') != NULL))
		return sql_offline(ctx, arg);
	if (opt.down && arg == NULL)
	{
		pgm_error("sql --down needs a TARGET (as downgrade does)");
		return PGM_EXIT_USAGE;
	}
	return run_sql(ctx, arg ? arg : "head", opt.down ? "down" : "up");
}

/*
 * A pending revision that the sync found registered but without a file
 * (sync_report.missing) is not run: its file was deleted, or it belongs to
 * another checkout; running SQL that this directory no longer declares is
 * what the user least expects.  Downgrades are not refused: the body that
 * reverts an applied revision is the registered one either way.
 */
static int
refuse_missing_files(const Steps *plan, const char *verb, const char *target)
{
	StrList		without_file = {0};
	char	   *list;

	for (size_t i = 0; i < plan->n; i++)
		if (sl_contains(&sync_report.missing, plan->s[i].revision))
			sl_add(&without_file, plan->s[i].revision);
	if (without_file.n == 0)
		return PGM_EXIT_OK;
	list = sl_join(&without_file, ", ");
	pgm_error("the %s to %s would run %zu revision%s that no file in \"%s\" declares: %s; nothing was run",
			  verb, target, without_file.n, without_file.n == 1 ? "" : "s",
			  opt.directory, list);
	pgm_error_hint("Restore the file, upgrade to a target that does not need it (LABEL@head), "
				   "unregister it with \"pg_migrate sync --prune\", or run the registered "
				   "body anyway with --allow-missing.");
	set_summary("%s to %s: %zu pending revision%s without a file", verb, target,
				without_file.n, without_file.n == 1 ? "" : "s");
	free(list);
	sl_free(&without_file);
	return PGM_EXIT_FAIL;
}

/*
 * upgrade() refused the plan, before running anything, because a revision
 * uses an enum value that an earlier one adds (55P04 with no body in the
 * error's context; a body's own 55P04 has one): the plan goes through
 * CALL migrate.run, which commits after each revision.
 */
static bool
needs_commit_between(const PGresult *res)
{
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);

	return strcmp(db_sqlstate(res), "55P04") == 0 &&
		(context == NULL || strstr(context, " body of revision ") == NULL);
}

/* "statement 3" in the CONTEXT of the first error: 3, else 0 */
static int
failed_statement(void)
{
	for (size_t k = 0; k < n_diags; k++)
	{
		const char *c;

		if (strcmp(diags[k].severity, "error") != 0)
			continue;
		c = diags[k].context;
		while (c != NULL && (c = strstr(c, "statement ")) != NULL)
		{
			int			n = atoi(c + 10);

			if (n > 0)
				return n;
			c += 10;
		}
		return 0;
	}
	return 0;
}

/*
 * What a failed run left, when the failing revision was non-transactional:
 * each of its statements committed on its own, so those before the failing
 * one stay although the revision is not recorded as applied.
 */
static void
print_partial(const Steps *plan, const char *failed_revision, bool up)
{
	int			k = failed_statement();
	bool		nontx = false;

	for (size_t i = 0; i < plan->n; i++)
		if (failed_revision && strcmp(plan->s[i].revision, failed_revision) == 0)
			nontx = !plan->s[i].transactional;
	if (!nontx || k == 1)
		return;
	if (k > 1)
		printf("statement%s 1%s%s of revision %s committed before statement %d failed "
			   "(a non-transactional revision commits each statement) and stay%s; "
			   "%s is not recorded as %s\n",
			   k > 2 ? "s" : "", k > 2 ? " to " : "",
			   k > 2 ? pgm_psprintf("%d", k - 1) : "", failed_revision, k,
			   k > 2 ? "" : "s", failed_revision, up ? "applied" : "reverted");
	else
		printf("the statements of revision %s before the failing one committed "
			   "(a non-transactional revision commits each statement) and stay; "
			   "%s is not recorded as %s\n", failed_revision, failed_revision,
			   up ? "applied" : "reverted");
	printf("before running it again, undo what they did, or make %s's statements safe to repeat "
		   "(IF NOT EXISTS, migrate.ensure())\n", failed_revision);
}

/*
 * The deploy that changed nothing: the sync sent nothing, every registered
 * revision has its file and is applied, and the target is head (the files
 * have one head) or heads.  Then nothing is pending, and the sync's one
 * read has said so: no validation, plan or upgrade() call is needed (each
 * would load the revision graph).  The current revisions are the heads
 * that no revision depends on, as migrate.current() says when everything
 * is applied.
 */
static bool
nothing_pending(Ctx *ctx, const char *target, StrList *current)
{
	const SyncReport *r = &sync_report;
	StrList		heads = {0};
	bool		yes;

	if (opt.no_sync || !r->done || r->sent > 0 || r->missing.n > 0 ||
		r->applied_changed.n > 0 || r->registered == 0 || r->applied != r->registered ||
		r->registered != ctx->rd.n_by_id ||
		(strcmp(target, "head") != 0 && strcmp(target, "heads") != 0))
		return false;
	revdir_link(&ctx->rd);
	revdir_heads(&ctx->rd, &heads);
	yes = heads.n == 1 || strcmp(target, "heads") == 0;
	for (size_t i = 0; yes && i < heads.n; i++)
	{
		bool		depended = false;

		for (size_t k = 0; k < ctx->rd.n_by_id && !depended; k++)
		{
			const RevFile *rf = &ctx->rd.e[ctx->rd.by_id[k]].rf;

			for (size_t j = 0; j < rf->n_depends_on; j++)
				if (strcmp(rf->depends_on[j], heads.items[i]) == 0)
					depended = true;
		}
		if (!depended)
			sl_add(current, heads.items[i]);
	}
	sl_free(&heads);
	return yes;
}

/*
 * An upgrade or downgrade as it goes through apply()'s steps: what was
 * planned, what ran, and what the database says before and after.
 */
typedef struct ApplyRun
{
	bool		up;
	const char *verb;			/* "upgrade" or "downgrade" */
	const char *target;
	/* target, direction, project; upgrade() and downgrade() take $1 and $3 */
	const char *params[3];
	const char *tp_params[2];	/* target, project */
	Steps		plan;
	Steps		done;
	StrList		before;			/* current revisions before */
	StrList		after;
	StrList		invalid;		/* INVALID indexes a failed run left */
	bool		nontx;			/* the plan has a non-transactional revision */
	bool		per_revision;	/* ran through CALL migrate.run */
	bool		failed;
	char	   *failed_revision;
	bool		known;			/* the state after the run was read */
	char	   *run_pid;		/* the run's backend: a lost connection is replaced */
	double		t0;
} ApplyRun;

/* The --json document of a plan that is not run (lint: its findings, if read). */
static void
json_plan_only(Ctx *ctx, ApplyRun *a, const LintFindings *lint)
{
	JsonWriter	w;

	result_begin(&w, ctx, true);
	json_kv_string(&w, "target", a->target);
	json_kv_bool(&w, "dry_run", opt.dry_run);
	json_steps(&w, "plan", &a->plan);
	json_kv_strlist(&w, "current", &a->before);
	if (lint != NULL)
		lint_json(&w, "lint", lint);
	result_end(&w);
}

/* "nothing to upgrade: at ...", from the sync's read alone (nothing_pending) */
static int
report_at_head(Ctx *ctx, ApplyRun *a)
{
	char	   *cur = current_text(&a->before);

	if (opt.json)
		json_plan_only(ctx, a, NULL);
	else
		printf("nothing to upgrade: at %s\n", cur);
	set_summary("nothing to upgrade: at %s", cur);
	free(cur);
	return PGM_EXIT_OK;
}

/*
 * Before running anything: the chain validated, the lock settings of the
 * command line set, the current revisions and the plan read.  An upgrade
 * refuses a plan that would run revisions no file declares.
 */
static int
read_plan(Ctx *ctx, ApplyRun *a)
{
	PGresult   *res;
	int			rc;

	rc = preflight(ctx);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (!db_set_lock_settings(ctx->conn))
		return PGM_EXIT_FAIL;
	if (!fetch_current(ctx->conn, &a->before))
		return PGM_EXIT_FAIL;

	res = db_query(ctx->conn,
				   "SELECT step, revision, message, transactional FROM migrate.plan($1, $2, $3)",
				   3, a->params);
	if (res == NULL)
	{
		set_summary("%s to %s: %s", a->verb, a->target, n_diags ? diag_text(&diags[n_diags - 1]) : "failed");
		return PGM_EXIT_FAIL;
	}
	steps_from_result(res, &a->plan, 3, -1, -1);
	PQclear(res);
	for (size_t i = 0; i < a->plan.n; i++)
		if (!a->plan.s[i].transactional)
			a->nontx = true;
	if (a->up && !opt.allow_missing)
		return refuse_missing_files(&a->plan, a->verb, a->target);
	return PGM_EXIT_OK;
}

/* --dry-run, or an empty plan: what would run, with its lint findings */
static int
report_plan_only(Ctx *ctx, ApplyRun *a)
{
	LintFindings lint = {0};
	char	   *cur;

	/* the plan's lint findings (cmd_lint.c), shown, never fatal */
	if (a->plan.n > 0 && !lint_plan(ctx, a->target, !a->up, &lint))
		return PGM_EXIT_FAIL;
	cur = current_text(&a->before);
	if (opt.json)
		json_plan_only(ctx, a, &lint);
	else if (a->plan.n == 0)
		printf("nothing to %s: at %s\n", a->verb, cur);
	else
	{
		print_plan(&a->plan, a->up ? "would apply" : "would revert");
		lint_print(&lint, stdout, opt.verbose);
		if (lint.errors + lint.warnings > 0)
			printf("lint: %d error%s, %d warning%s (pg_migrate lint -v lists every lock)\n",
				   lint.errors, lint.errors == 1 ? "" : "s",
				   lint.warnings, lint.warnings == 1 ? "" : "s");
	}
	lint_free(&lint);
	if (a->plan.n == 0)
		set_summary("nothing to %s: at %s", a->verb, cur);
	else
		set_summary("%zu revision%s to %s (dry run)", a->plan.n, a->plan.n == 1 ? "" : "s",
					a->up ? "apply" : "revert");
	free(cur);
	return PGM_EXIT_OK;
}

/*
 * A plan of transactional revisions: one statement, all or nothing.  The
 * server may answer that the plan cannot run in one transaction after all
 * (25001: a non-transactional revision; 55P04: an enum value used by a
 * later revision than the one adding it): then a->nontx, and the plan goes
 * per revision, where the server has migrate.run (a downgrade asks).
 */
static void
run_one_transaction(Ctx *ctx, ApplyRun *a)
{
	PGresult   *res = PQexecParams(ctx->conn,
								   a->up ? "SELECT step, revision, message, pg_catalog.date_part('epoch', duration)"
								   "  FROM migrate.upgrade($1, $2)"
								   : "SELECT step, revision, message, pg_catalog.date_part('epoch', duration)"
								   "  FROM migrate.downgrade($1, $2)",
								   2, NULL, a->tp_params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		steps_from_result(res, &a->done, -1, 3, -1);
	else if ((strcmp(db_sqlstate(res), "25001") == 0 || needs_commit_between(res)) &&
			 (a->up || db_has_procedure(ctx->conn, "migrate.run(text,text,text)")))
		a->nontx = true;		/* non-transactional, or commits needed: per revision */
	else
	{
		db_report_result_error(res, NULL);
		a->failed = true;
	}
	PQclear(res);
}

/*
 * A downgrade that must go per revision on a server without
 * migrate.run: let migrate.downgrade() say why it cannot, and what to do.
 */
static void
explain_no_run_procedure(Ctx *ctx, ApplyRun *a)
{
	PGresult   *res = PQexecParams(ctx->conn, "SELECT * FROM migrate.downgrade($1, $2)", 2, NULL,
								   a->tp_params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		db_report_result_error(res, NULL);
		a->failed = true;
	}
	PQclear(res);
	a->nontx = false;
}

/*
 * The plan per revision: CALL migrate.run on this connection, outside any
 * transaction block, committing after each revision.  What it committed,
 * failed or not, is read back from the run's steps (runs after
 * "before_run", of this project and this backend).
 */
static void
run_per_revision(Ctx *ctx, ApplyRun *a, const char *before_run)
{
	const char *rparams[3] = {before_run, opt.project, a->run_pid};
	PGresult   *res;

	a->per_revision = true;
	res = PQexecParams(ctx->conn, "CALL migrate.run($1, $2, $3)",
					   3, NULL, a->params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		db_report_result_error(res, NULL);
		a->failed = true;
		if (db_reconnect(ctx->conn))
			report_invalid_indexes(ctx->conn, &a->invalid);
	}
	PQclear(res);

	/* what the procedure committed, failed or not */
	res = db_query(ctx->conn,
				   "SELECT s.step, s.revision, r.message, s.status,"
				   "       pg_catalog.date_part('epoch', s.duration)"
				   "  FROM migrate.run_step s"
				   "  LEFT JOIN migrate.revision r ON r.project = s.project AND r.id = s.revision"
				   " WHERE s.run_id = (SELECT max(id) FROM migrate.run"
				   "                    WHERE id > $1::bigint AND project = $2"
				   "                      AND pid = $3::int)"
				   "   AND s.status <> 'failed'"
				   " ORDER BY s.step", 3, rparams);
	if (res != NULL)
	{
		steps_from_result(res, &a->done, -1, 4, 3);
		PQclear(res);
	}
}

/* Which revision failed: the run record, else the last progress line. */
static void
find_failed_revision(Ctx *ctx, ApplyRun *a, const char *before_run)
{
	const char *rparams[3] = {before_run, opt.project, a->run_pid};
	PGresult   *res = db_try(ctx->conn,
							 "SELECT error_revision FROM migrate.run"
							 " WHERE id > $1::bigint AND project = $2 AND pid = $3::int"
							 "   AND status = 'failed' AND error_revision IS NOT NULL"
							 " ORDER BY id DESC LIMIT 1", 3, rparams);

	if (res != NULL && PQntuples(res) == 1)
		a->failed_revision = pgm_strdup(PQgetvalue(res, 0, 0));
	else if (progress_last_revision()[0] != '\0')
		a->failed_revision = pgm_strdup(progress_last_revision());
	PQclear(res);
}

/*
 * Run the plan: in one transaction where it can, else per revision; the
 * NOTICE progress shown meanwhile.  Returns false if the run id before it
 * could not be read (nothing ran).
 */
static bool
run_plan(Ctx *ctx, ApplyRun *a)
{
	PGresult   *res;
	char	   *before_run;

	/* the last run id of every project: the runs after it are this one's */
	res = db_query(ctx->conn, "SELECT coalesce(max(id), 0) FROM migrate.run", 0, NULL);
	if (res == NULL)
		return false;
	before_run = pgm_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	a->run_pid = pgm_psprintf("%d", PQbackendPID(ctx->conn));
	a->t0 = pgm_now();
	progress_begin(a->verb);
	if (!a->nontx)
		run_one_transaction(ctx, a);
	if (a->nontx && !a->up && !db_has_procedure(ctx->conn, "migrate.run(text,text,text)"))
		explain_no_run_procedure(ctx, a);
	if (a->nontx && !a->failed)
		run_per_revision(ctx, a, before_run);
	progress_end();
	if (a->failed)
	{
		/* a lost connection: read the state on a new one, never guess it */
		(void) db_reconnect(ctx->conn);
		find_failed_revision(ctx, a, before_run);
	}
	free(before_run);
	return true;
}

/* The failure in words: where, and what stays (one transaction or per revision). */
static void
print_failure(ApplyRun *a, const char *cur)
{
	char	   *at = a->failed_revision ? pgm_psprintf(" at revision %s", a->failed_revision)
		: pgm_strdup("");
	int			k = failed_statement();
	bool		partial = false;

	for (size_t i = 0; i < a->plan.n; i++)
		if (a->failed_revision && strcmp(a->plan.s[i].revision, a->failed_revision) == 0 &&
			!a->plan.s[i].transactional && k != 1)
			partial = true;
	if (!a->known)
		printf("%s failed%s and the connection to the server was lost: what is applied now "
			   "was not read (\"pg_migrate status\" shows it)\n", a->verb, at);
	else if (a->per_revision && a->done.n > 0)
		printf("%s failed%s after %zu of %zu revisions (committed one by one); now at %s\n",
			   a->verb, at, a->done.n, a->plan.n, cur);
	else if (partial)
		printf("%s failed%s; still at %s\n", a->verb, at, cur);
	else
		printf("%s failed%s: nothing was %s; still at %s\n", a->verb, at,
			   a->up ? "applied" : "reverted", cur);
	print_partial(&a->plan, a->failed_revision, a->up);
	free(at);
}

/* What the run did, as JSON or text, and the summary line. */
static void
report_run(Ctx *ctx, ApplyRun *a)
{
	char	   *cur;

	a->known = PQstatus(ctx->conn) == CONNECTION_OK && fetch_current(ctx->conn, &a->after);
	cur = a->known ? current_text(&a->after) : pgm_strdup("unknown");
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, !a->failed);
		json_kv_string(&w, "target", a->target);
		json_kv_string(&w, "mode", a->per_revision ? "per-revision (CALL migrate.run)" : "one transaction");
		json_steps(&w, "plan", &a->plan);
		json_steps(&w, a->up ? "applied" : "reverted", &a->done);
		json_kv_strlist(&w, "current_before", &a->before);
		if (a->known)
			json_kv_strlist(&w, "current", &a->after);
		else
		{
			json_key(&w, "current");	/* not read: the connection was lost */
			json_null(&w);
		}
		json_kv_string(&w, "failed_revision", a->failed_revision);
		json_kv_strlist(&w, "invalid_indexes", &a->invalid);
		json_kv_double(&w, "seconds", pgm_now() - a->t0);
		result_end(&w);
	}
	else
	{
		if (opt.verbose)
			for (size_t i = 0; i < a->done.n; i++)
				printf("%s %s%s%s (%s)\n", a->up ? "applied" : "reverted", a->done.s[i].revision,
					   a->done.s[i].message ? " " : "", a->done.s[i].message ? a->done.s[i].message : "",
					   a->done.s[i].seconds >= 0 ? pgm_format_seconds(a->done.s[i].seconds) : "?");
		if (a->failed)
			print_failure(a, cur);
		else if (a->done.n == 0)
			printf("nothing left to %s: another session ran the plan meanwhile; now at %s\n",
				   a->verb, cur);
		else
			printf("%s to %s: %zu revision%s %s in %s; now at %s\n", a->verb, a->target, a->done.n,
				   a->done.n == 1 ? "" : "s", a->up ? "applied" : "reverted",
				   pgm_format_seconds(pgm_now() - a->t0), cur);
	}
	if (a->failed)
	{
		char	   *failed_message = NULL;

		for (size_t k = 0; k < n_diags; k++)
			if (strcmp(diags[k].severity, "error") == 0)
			{
				failed_message = diag_text(&diags[k]);
				break;
			}
		set_summary("%s%s%s%s", a->failed_revision ? "revision " : "",
					a->failed_revision ? a->failed_revision : "", a->failed_revision ? ": " : "",
					failed_message ? failed_message : "failed");
	}
	else
		set_summary("%zu revision%s %s in %s; at %s", a->done.n, a->done.n == 1 ? "" : "s",
					a->up ? "applied" : "reverted", pgm_format_seconds(pgm_now() - a->t0), cur);
	free(cur);
}

/*
 * upgrade and downgrade: sync (the files registered, or refused when an
 * applied one was edited), then either the deploy that changed nothing,
 * answered from the sync's one read; or validate, plan, and run the plan
 * (or show it: --dry-run), and report.
 */
static int
apply(Ctx *ctx, bool up, const char *target)
{
	ApplyRun	a;
	int			rc;

	memset(&a, 0, sizeof(a));
	a.up = up;
	a.verb = up ? "upgrade" : "downgrade";
	a.target = target;
	a.params[0] = target;
	a.params[1] = up ? "up" : "down";
	a.params[2] = opt.project;
	a.tp_params[0] = target;
	a.tp_params[1] = opt.project;

	/* a dry run registers nothing: the files only in a rolled-back transaction */
	rc = opt.dry_run ? ctx_open_rolled_back(ctx, up ? SYNC_STRICT : SYNC_LENIENT)
		: ctx_open(ctx, up ? SYNC_STRICT : SYNC_LENIENT);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (up && nothing_pending(ctx, target, &a.before))
		return report_at_head(ctx, &a);
	rc = read_plan(ctx, &a);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (opt.dry_run || a.plan.n == 0)
		return report_plan_only(ctx, &a);
	if (!run_plan(ctx, &a))
		return PGM_EXIT_FAIL;
	report_run(ctx, &a);
	return a.failed ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

int
cmd_upgrade(Ctx *ctx)
{
	const char *target = opt.nargs > 0 ? opt.args[0] : "head";

	if (opt.sql)
		return run_sql(ctx, target, "up");
	return apply(ctx, true, target);
}

int
cmd_downgrade(Ctx *ctx)
{
	if (opt.sql)
		return run_sql(ctx, opt.args[0], "down");
	return apply(ctx, false, opt.args[0]);
}

int
cmd_stamp(Ctx *ctx)
{
	const char *params[2] = {opt.args[0], opt.project};
	PGresult   *res;
	int			rc;
	StrList		after = {0};
	char	   *cur;

	rc = ctx_open(ctx, SYNC_LENIENT);
	if (rc != PGM_EXIT_OK)
		return rc;
	rc = preflight(ctx);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn, "SELECT revision, change FROM migrate.stamp($1, $2)", 2, params);
	if (res == NULL)
	{
		set_summary("stamp failed: %s", n_diags ? diag_text(&diags[n_diags - 1]) : "");
		return PGM_EXIT_FAIL;
	}
	(void) fetch_current(ctx->conn, &after);
	cur = current_text(&after);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_string(&w, "target", opt.args[0]);
		json_key(&w, "changes");
		json_begin_array(&w);
		for (int i = 0; i < PQntuples(res); i++)
		{
			json_begin_object(&w);
			json_kv_string(&w, "revision", PQgetvalue(res, i, 0));
			json_kv_string(&w, "change", PQgetvalue(res, i, 1));
			json_end_object(&w);
		}
		json_end_array(&w);
		json_kv_strlist(&w, "current", &after);
		result_end(&w);
	}
	else
	{
		for (int i = 0; i < PQntuples(res); i++)
			if (opt.verbose)
				printf("%s %s\n", PQgetvalue(res, i, 1), PQgetvalue(res, i, 0));
		printf("stamped %s: %d revision%s changed; now at %s\n", opt.args[0], PQntuples(res),
			   PQntuples(res) == 1 ? "" : "s", cur);
	}
	set_summary("stamped %s; at %s", opt.args[0], cur);
	PQclear(res);
	free(cur);
	return PGM_EXIT_OK;
}
