/*-------------------------------------------------------------------------
 *
 * offline.c
 *	  "pg_migrate sql --offline [A:]B": the script of an upgrade from state
 *	  A (default base) to B, built from the files alone, with no database,
 *	  as "alembic upgrade A:B --sql" builds it, for review pipelines where
 *	  a DBA runs the script; and "--down A:B", the script that reverts
 *	  from A down to B.
 *
 * The script follows the rules of the extension's migrate.sql()
 * (../common/psqlscript.c, the same code): every body reaches the server
 * through \gexec as dollar-quoted text that psql never reads, guards stop
 * it if a body changed how psql would read the rest, and its bookkeeping
 * is schema-qualified.  What it cannot ask a database it says at its
 * start:
 *
 *	  - the state it was written for: migrate.current() must be A's heads
 *		(nothing, from base), else it stops before anything runs;
 *	  - the revisions it records: it registers their files with
 *		migrate.add_file (as pg_migrate sync would; an applied revision
 *		whose file changed is refused there), then checks that each is
 *		registered with the checksum it records, so that a script run into
 *		a fresh database leaves no applied_unknown behind.
 *
 * The plan is the files' graph in the extension's order (model.c), so the
 * revisions run in the order upgrade() would run them.  The statements of
 * a non-transactional body are found as psql finds them (sqlsplit.c).  A
 * transactional revision that adds an enum value (ALTER TYPE ... ADD
 * VALUE) is committed before the next one, which may use the value, as
 * CALL migrate.run commits after each revision.
 *
 * IDENTIFICATION
 *	  client/offline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "lib/stringinfo.h"
#include "psqlscript.h"

#include "pg_migrate.h"

#include <errno.h>
#include <time.h>

static bool
body_adds_enum_value(const char *body)
{
	StrList		stmts = {0};
	bool		adds = false;

	sql_split(body, &stmts);
	for (size_t i = 0; i < stmts.n && !adds; i++)
		adds = sql_adds_enum_value(stmts.items[i]);
	sl_free(&stmts);
	return adds;
}

/*
 * A range the user gave that runs the wrong way (B below A for an upgrade,
 * above it for --down) holds no revision: an empty script is a mistake in
 * a review pipeline, so none is written (exit 1) and the message says
 * which way the range runs.
 */
static void
range_reversed(const char *range, bool up)
{
	const char *colon = strchr(range, ':');
	char	   *a = pgm_strndup(range, (size_t) (colon - range));
	const char *b = colon + 1;

	if (up)
	{
		pgm_error("range \"%s\" runs backwards: %s is below %s, so an upgrade from %s to %s applies nothing; no script was written",
				  range, b[0] ? b : "heads", a[0] ? a : "base", a[0] ? a : "base", b[0] ? b : "heads");
		pgm_error_hint(pgm_psprintf("For the script that reverts from %s down to %s, add --down.",
									a[0] ? a : "base", b[0] ? b : "heads"));
	}
	else
	{
		pgm_error("range \"%s\" runs upwards: %s is above %s, so a downgrade from %s to %s reverts nothing; no script was written",
				  range, b[0] ? b : "base", a[0] ? a : "heads", a[0] ? a : "heads", b[0] ? b : "base");
		pgm_error_hint("For the script that upgrades, leave out --down.");
	}
	free(a);
}

/*
 * The script; NULL after reporting why there is none.  "user_range": the
 * range is the user's (a reversed one is refused).
 */
static char *
build_script(const Model *m, const char *range, bool up, bool user_range, int *nsteps)
{
	bool		reversed = false;

	char	   *from = calloc((size_t) (m->n ? m->n : 1), 1);
	char	   *to = calloc((size_t) (m->n ? m->n : 1), 1);
	IdxList		plan = {0};
	StrList		from_heads = {0};
	StrList		to_heads = {0};
	const char **ids;
	const char **sums;
	StringInfoData buf;
	StringInfoData lock;
	MigrateScriptSettings ss = {"UTF8", "on"};
	const char *project = opt.project;
	StrList		ext_projects = {0};
	StrList		ext_ids = {0};
	bool		in_xact;
	char		when[64];
	time_t		now = time(NULL);

	if (from == NULL || to == NULL)
		pgm_fatal_oom();
	/* down "A:B": from A down to B, the revisions of A not in B */
	if (up)
	{
		if (!model_range(m, range, RANGE_B_FROM_A, false, &plan, from, to, &reversed))
			return NULL;
	}
	else
	{
		const char *colon = strchr(range, ':');
		char	   *swapped;

		if (colon == NULL)
		{
			pgm_error("sql --offline --down needs FROM:TO, the state the database is in and the target, e.g. head:base");
			return NULL;
		}
		swapped = pgm_psprintf("%s:%.*s", colon + 1, (int) (colon - range), range);
		if (!model_range(m, swapped, RANGE_A_FROM_B, false, &plan, to, from, &reversed))
			return NULL;
		free(swapped);
	}
	if (reversed && user_range)
	{
		range_reversed(range, up);
		return NULL;
	}
	if (!up)
	{
		/* newest first */
		for (int i = 0; i < plan.n / 2; i++)
		{
			int			t = plan.v[i];

			plan.v[i] = plan.v[plan.n - 1 - i];
			plan.v[plan.n - 1 - i] = t;
		}
		for (int i = 0; i < plan.n; i++)
			if (!m->revs[plan.v[i]].reversible)
			{
				pgm_error("revision \"%s\" is irreversible (its file has no downgrade section): no script reverts it",
						  m->revs[plan.v[i]].id);
				return NULL;
			}
	}
	*nsteps = plan.n;
	model_state_heads(m, from, &from_heads);
	model_state_heads(m, to, &to_heads);

	initStringInfo(&buf);
	initStringInfo(&lock);
	appendStringInfoString(&lock, migrate_script_lock(project));
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", localtime(&now));
	appendStringInfo(&buf, "-- migrate: %s ", up ? "upgrade" : "downgrade");
	if (strcmp(project, "default") != 0)
	{
		appendStringInfoString(&buf, "of project ");
		migrate_script_comment(&buf, project);
		appendStringInfoChar(&buf, ' ');
	}
	migrate_script_comment(&buf, range);
	appendStringInfo(&buf, ", %d revision%s, offline from the files in ", plan.n, plan.n == 1 ? "" : "s");
	migrate_script_comment(&buf, m->rd->dir);
	appendStringInfo(&buf, "\n-- generated %s by pg_migrate; run with: psql -v ON_ERROR_STOP=1 -f <file>\n", when);
	if (plan.n == 0)
	{
		appendStringInfoString(&buf, "-- nothing to do\n");
		return buf.data;
	}
	migrate_script_preamble(&buf, &ss);
	migrate_script_begin(&buf, lock.data);
	in_xact = true;
	migrate_script_expect_current(&buf, project, (const char *const *) from_heads.items,
								  (int) from_heads.n);

	/* what it records must be registered as it records it */
	appendStringInfoString(&buf, "-- the revisions this script records, registered as pg_migrate sync would\n");
	for (int i = 0; i < plan.n; i++)
		if (m->revs[plan.v[i]].file == NULL)
		{
			pgm_error("revision \"%s\" is registered but no file in \"%s\" declares it: a script from the files cannot run it",
					  m->revs[plan.v[i]].id, m->rd->dir);
			pgm_error_hint("Restore its file, or register the files (pg_migrate sync) and write the script from the database's revisions.");
			return NULL;
		}
	ids = pgm_malloc(sizeof(char *) * (size_t) plan.n);
	sums = pgm_malloc(sizeof(char *) * (size_t) plan.n);
	for (int i = 0; i < plan.n; i++)
	{
		const Rev  *r = &m->revs[plan.v[i]];

		migrate_script_register_file(&buf, r->file->content, r->file->file, project);
		ids[i] = r->id;
		sums[i] = r->file->checksum;
		/* other projects' revisions it depends on: applied already */
		for (int k = 0; up && k < r->ndepends; k++)
		{
			const char *colon = strchr(r->depends[k], ':');

			if (r->depend_idx[k] != -2 || colon == NULL)
				continue;
			{
				char	   *p = pgm_strndup(r->depends[k], (size_t) (colon - r->depends[k]));

				sl_add(&ext_projects, p);
				sl_add(&ext_ids, colon + 1);
				free(p);
			}
		}
	}
	migrate_script_expect_registered(&buf, project, ids, sums, plan.n);
	migrate_script_need_applied(&buf, &lock, (const char *const *) ext_projects.items,
								(const char *const *) ext_ids.items, (int) ext_projects.n);

	for (int k = 0; k < plan.n; k++)
	{
		const Rev  *r = &m->revs[plan.v[k]];
		const char *body = up ? r->file->rf.upgrade : r->file->rf.downgrade;
		StrList		stmts = {0};
		char	   *where;

		appendStringInfo(&buf, "\n-- %d/%d %s", k + 1, plan.n, r->id);
		if (r->message)
		{
			appendStringInfoString(&buf, ": ");
			migrate_script_comment(&buf, r->message);
		}
		appendStringInfoChar(&buf, '\n');
		sql_split(body, &stmts);
		if (!r->transactional)
		{
			if (in_xact)
				appendStringInfoString(&buf, "COMMIT;\n");
			appendStringInfoString(&buf, "-- not transactional: each statement runs on its own\n");
			in_xact = false;
		}
		migrate_script_body(&buf, &ss, r->id, r->transactional, body,
							(const char *const *) stmts.items, (int) stmts.n);
		where = pgm_psprintf("after revision \"%s\", before recording it", r->id);
		migrate_script_check(&buf, &ss, where);
		free(where);
		if (!in_xact)
		{
			migrate_script_begin(&buf, lock.data);
			in_xact = true;
		}
		migrate_script_record(&buf, project, up, r->id, r->file->checksum);
		if (up && r->transactional && k + 1 < plan.n && body_adds_enum_value(body))
		{
			appendStringInfoString(&buf, "-- it adds an enum value a later revision may use: commit it first\n"
								   "COMMIT;\n");
			migrate_script_begin(&buf, lock.data);
		}
		sl_free(&stmts);
	}
	migrate_script_finish(&buf, project, up, up ? "upgrade" : "downgrade", range,
						  (const char *const *) from_heads.items, (int) from_heads.n,
						  (const char *const *) to_heads.items, (int) to_heads.n,
						  ids, plan.n, "pg_migrate sql --offline");
	free(ids);
	free(sums);
	free(from);
	free(to);
	il_free(&plan);
	sl_free(&from_heads);
	sl_free(&to_heads);
	return buf.data;
}

/* The script to stdout or -o FILE, or in --json. */
static int
write_script(Ctx *ctx, const char *range, const char *script, int nsteps, bool offline)
{
	FILE	   *f = stdout;

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_string(&w, "range", range);
		json_kv_string(&w, "direction", opt.down ? "down" : "up");
		json_kv_bool(&w, "offline", offline);
		json_kv_bool(&w, "from_files", true);
		json_kv_int(&w, "revisions", nsteps);
		json_kv_string(&w, "script", script);
		result_end(&w);
	}
	else
	{
		if (opt.output != NULL && (f = fopen(opt.output, "w")) == NULL)
		{
			pgm_error("could not open \"%s\": %s", opt.output, strerror(errno));
			return PGM_EXIT_USAGE;
		}
		fputs(script, f);
		if (f != stdout && fclose(f) != 0)
		{
			pgm_error("could not write \"%s\": %s", opt.output, strerror(errno));
			return PGM_EXIT_FAIL;
		}
		if (opt.output != NULL)
			pgm_info("wrote %s (%d revision%s)", opt.output, nsteps, nsteps == 1 ? "" : "s");
	}
	set_summary("script of %s %s from the files: %d revision%s", opt.down ? "downgrade" : "upgrade",
				range, nsteps, nsteps == 1 ? "" : "s");
	return PGM_EXIT_OK;
}

int
sql_offline(Ctx *ctx, const char *arg)
{
	int			rc;
	char	   *range;
	char	   *script;
	int			nsteps = 0;

	rc = ctx_load_dir(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (!revdir_report_errors(&ctx->rd))
	{
		pgm_error("revision files with problems: %zu of %zu in \"%s\"; no script was written",
				  ctx->rd.n_invalid + ctx->rd.n_duplicates, ctx->rd.n, ctx->rd.dir);
		return PGM_EXIT_FAIL;
	}
	if (!model_load(&ctx->model, NULL, &ctx->rd))
		return PGM_EXIT_FAIL;
	ctx->model_loaded = true;
	if (opt.down && (arg == NULL || strchr(arg, ':') == NULL))
	{
		pgm_error("sql --offline --down needs FROM:TO, the state the database is in and the target (e.g. head:base): without a database nothing says what is applied");
		return PGM_EXIT_USAGE;
	}
	range = arg == NULL ? pgm_strdup("base:head")
		: strchr(arg, ':') ? pgm_strdup(arg) : pgm_psprintf("base:%s", arg);
	script = build_script(&ctx->model, range, !opt.down, true, &nsteps);
	if (script == NULL)
	{
		set_summary("no script: %s", n_diags ? diags[n_diags - 1].message : "");
		free(range);
		return PGM_EXIT_FAIL;
	}
	rc = write_script(ctx, range, script, nsteps, true);
	free(range);
	return rc;
}

/*
 * The online script when the files differ from the registered revisions
 * (new files, or pending ones changed): from the database's state (the
 * model read from it: "current") to TARGET, built from the files as an
 * offline script is, registering them as a sync would.  So "pg_migrate
 * sql" (and "upgrade --sql") shows what "pg_migrate upgrade" would do,
 * writing nothing.  Returns -1 (nothing reported) when the client cannot
 * resolve TARGET itself: the caller asks the server instead.
 */
int
sql_from_files(Ctx *ctx, const char *target)
{
	IdxList		named = {0};
	const char *at = strchr(target, '@');
	char	   *range;
	char	   *script;
	int			nsteps = 0;
	int			rc;

	/* moves from the applied state (of a branch): the server's */
	if (target[0] == '-' ||
		(at != NULL && (at[1] == '+' || at[1] == '-' || strcmp(at + 1, "base") == 0)))
		return -1;
	if (!model_resolve(&ctx->model, target, &named))
	{
		set_summary("no script: %s", n_diags ? diags[n_diags - 1].message : "");
		il_free(&named);
		return PGM_EXIT_FAIL;
	}
	il_free(&named);
	range = pgm_psprintf("current:%s", target);
	script = build_script(&ctx->model, range, true, false, &nsteps);
	if (script == NULL)
	{
		set_summary("no script: %s", n_diags ? diags[n_diags - 1].message : "");
		free(range);
		return PGM_EXIT_FAIL;
	}
	pgm_info("the files differ from the registered revisions: the script is built from the files, from the database's state, and registers them");
	rc = write_script(ctx, target, script, nsteps, false);
	free(range);
	return rc;
}
