/*-------------------------------------------------------------------------
 *
 * cmd_status.c
 *	  The read commands: current, heads, history, status, and sync on its
 *	  own.  They read the extension's status functions and run tables,
 *	  which every role may read.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

/* "2025-11-22T03:07:09.345642+00:00" -> "2025-11-22 03:07:09+00:00" */
char *
display_ts(const char *iso)
{
	StrBuf		sb;
	const char *p = iso;

	sb_init(&sb);
	if (iso == NULL)
		return sb.data;
	for (; *p; p++)
	{
		if (*p == 'T')
			sb_appendc(&sb, ' ');
		else if (*p == '.')
		{
			while (p[1] >= '0' && p[1] <= '9')
				p++;
		}
		else
			sb_appendc(&sb, *p);
	}
	return sb.data;
}

static const char *
getv(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static bool
getb(PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

static void
json_array_column(JsonWriter *w, const char *key, const char *lit)
{
	StrList		l = {0};

	db_parse_array(lit, &l);
	json_kv_strlist(w, key, &l);
	sl_free(&l);
}

static char *
array_text(const char *lit, const char *sep)
{
	StrList		l = {0};
	char	   *out;

	db_parse_array(lit, &l);
	out = sl_join(&l, sep);
	sl_free(&l);
	return out;
}

/* ---------------------------------------------------------------------
 * current
 * ---------------------------------------------------------------------
 */
int
cmd_current(Ctx *ctx)
{
	int			rc;
	PGresult   *res;
	int			n;

	rc = ctx_open(ctx, SYNC_NONE);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT h.revision, h.message, h.is_head,"
				   "       pg_catalog.to_json(h.applied_at) #>> '{}', a.applied_by, h.source"
				   "  FROM migrate.history($1) AS h"
				   "  LEFT JOIN migrate.applied a ON a.project = $1 AND a.revision = h.revision"
				   " WHERE h.is_current", 1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	n = PQntuples(res);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_key(&w, "current");
		json_begin_array(&w);
		for (int i = 0; i < n; i++)
		{
			json_begin_object(&w);
			json_kv_string(&w, "revision", getv(res, i, 0));
			json_kv_string(&w, "message", getv(res, i, 1));
			json_kv_bool(&w, "is_head", getb(res, i, 2));
			json_kv_string(&w, "applied_at", getv(res, i, 3));
			json_kv_string(&w, "applied_by", getv(res, i, 4));
			json_kv_string(&w, "source", getv(res, i, 5));
			json_end_object(&w);
		}
		json_end_array(&w);
		result_end(&w);
	}
	else
	{
		for (int i = 0; i < n; i++)
		{
			printf("%s%s%s%s", PQgetvalue(res, i, 0), getb(res, i, 2) ? " (head)" : "",
				   getv(res, i, 1) ? ", " : "", getv(res, i, 1) ? getv(res, i, 1) : "");
			if (opt.verbose && getv(res, i, 3))
			{
				char	   *ts = display_ts(getv(res, i, 3));

				printf("  [applied %s by %s]", ts, getv(res, i, 4) ? getv(res, i, 4) : "?");
				free(ts);
			}
			printf("\n");
		}
		if (n == 0)
			pgm_info("nothing is applied (base)");
	}
	{
		StrList		cur = {0};
		char	   *list;

		for (int i = 0; i < n; i++)
			sl_add(&cur, PQgetvalue(res, i, 0));
		list = sl_join(&cur, ", ");
		set_summary("at %s", n ? list : "base (nothing applied)");
		free(list);
		sl_free(&cur);
	}
	PQclear(res);
	return PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * heads
 * ---------------------------------------------------------------------
 */

/* "<parents> -> <id> (labels) (head) ..., message", as alembic history */
static void
print_rev_line(const Model *m, const Rev *r)
{
	StrBuf		sb;

	sb_init(&sb);
	if (r->nparents == 0)
		sb_append(&sb, "<base>");
	for (int k = 0; k < r->nparents; k++)
		sb_appendf(&sb, "%s%s", k ? ", " : "", r->parents[k]);
	sb_appendf(&sb, " -> %s", r->id);
	rev_marks(&sb, m, r, true);
	if (r->message)
		sb_appendf(&sb, ", %s", r->message);
	printf("%s\n", sb.data);
	sb_free(&sb);
}

int
cmd_heads(Ctx *ctx)
{
	int			rc;
	const Model *m;
	IdxList		heads = {0};

	rc = ctx_open_read(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	m = &ctx->model;
	model_heads(m, &heads);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, !ctx->files_broken);
		json_key(&w, "heads");
		json_begin_array(&w);
		for (int i = 0; i < heads.n; i++)
			json_rev(&w, m, &m->revs[heads.v[i]]);
		json_end_array(&w);
		result_end(&w);
	}
	else
		for (int i = 0; i < heads.n; i++)
		{
			const Rev  *r = &m->revs[heads.v[i]];
			StrBuf		sb;

			if (opt.verbose)
			{
				print_rev_block(ctx, r, false);
				continue;
			}
			sb_init(&sb);
			sb_append(&sb, r->id);
			rev_marks(&sb, m, r, true);
			printf("%s%s%s\n", sb.data, r->message ? ", " : "", r->message ? r->message : "");
			sb_free(&sb);
		}
	set_summary("%d head%s", heads.n, heads.n == 1 ? "" : "s");
	il_free(&heads);
	return ctx->files_broken ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * history
 * ---------------------------------------------------------------------
 */
static void
print_runs(PGresult *runs)
{
	if (PQntuples(runs) == 0)
		return;
	printf("\nLatest runs:\n");
	for (int i = 0; i < PQntuples(runs); i++)
	{
		char	   *ts = display_ts(getv(runs, i, 4));

		printf("  #%s %s %s %s to %s by %s", PQgetvalue(runs, i, 0), ts,
			   PQgetvalue(runs, i, 1), PQgetvalue(runs, i, 3),
			   getv(runs, i, 2) ? getv(runs, i, 2) : "?", PQgetvalue(runs, i, 6));
		if (getv(runs, i, 5))
			printf(", %s", pgm_format_seconds(atof(getv(runs, i, 5))));
		printf(", %s step%s", PQgetvalue(runs, i, 10), strcmp(PQgetvalue(runs, i, 10), "1") == 0 ? "" : "s");
		if (getv(runs, i, 9))
			printf("\n      error in %s: %s (SQLSTATE %s)",
				   getv(runs, i, 7) ? getv(runs, i, 7) : "?", getv(runs, i, 9),
				   getv(runs, i, 8) ? getv(runs, i, 8) : "?");
		printf("\n");
		free(ts);
	}
}

/*
 * "history -r A:B" with B below A: the range is empty because it runs
 * backwards.  A warning, not an error: the empty list is what
 * migrate.history('A:B') returns too.
 */
static void
history_range_reversed(const char *range)
{
	const char *colon = strchr(range, ':');
	char	   *a = colon ? pgm_strndup(range, (size_t) (colon - range)) : pgm_strdup("");
	const char *b = colon ? colon + 1 : range;

	pgm_warning("range \"%s\" runs backwards: %s is below %s, so it holds no revisions",
				range, b, a);
	pgm_error_hint(pgm_psprintf("history -r A:B lists A and what an upgrade from A to B applies; the other way round is \"%s:%s\".",
								b, a));
	free(a);
}

int
cmd_history(Ctx *ctx)
{
	int			rc;
	PGresult   *runs;
	const Model *m;
	IdxList		rows = {0};

	rc = ctx_open_read(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	m = &ctx->model;
	if (opt.range != NULL)
	{
		bool		reversed;

		if (!model_range(m, opt.range, RANGE_APPLIED, true, &rows, NULL, NULL, &reversed))
		{
			set_summary("history -r %s: %s", opt.range, n_diags ? diags[n_diags - 1].message : "");
			return PGM_EXIT_FAIL;
		}
		/* an empty list is the true answer (exit 0), but rarely the question */
		if (reversed)
			history_range_reversed(opt.range);
	}
	else
		for (int k = 0; k < m->ntopo; k++)
			il_add(&rows, m->topo[k]);
	runs = db_query(ctx->conn,
					"SELECT r.id, r.kind, r.target, r.status,"
					"       pg_catalog.to_json(r.started_at) #>> '{}',"
					"       pg_catalog.date_part('epoch', r.finished_at - r.started_at),"
					"       r.db_user, r.error_revision, r.error_sqlstate, r.error_message,"
					"       (SELECT count(*) FROM migrate.run_step s WHERE s.run_id = r.id)"
					"  FROM migrate.run r WHERE r.project = $1 ORDER BY r.id DESC LIMIT 10",
					1, (const char *[]) {opt.project});
	if (runs == NULL)
		return PGM_EXIT_FAIL;

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, !ctx->files_broken);
		if (opt.range)
			json_kv_string(&w, "range", opt.range);
		json_key(&w, "history");
		json_begin_array(&w);
		for (int i = 0; i < rows.n; i++)
			json_rev(&w, m, &m->revs[rows.v[i]]);
		json_end_array(&w);
		json_key(&w, "runs");
		json_begin_array(&w);
		for (int i = 0; i < PQntuples(runs); i++)
		{
			json_begin_object(&w);
			json_kv_int(&w, "id", atoll(PQgetvalue(runs, i, 0)));
			json_kv_string(&w, "kind", getv(runs, i, 1));
			json_kv_string(&w, "target", getv(runs, i, 2));
			json_kv_string(&w, "status", getv(runs, i, 3));
			json_kv_string(&w, "started_at", getv(runs, i, 4));
			json_key(&w, "seconds");
			if (getv(runs, i, 5))
				json_double(&w, atof(getv(runs, i, 5)));
			else
				json_null(&w);
			json_kv_string(&w, "db_user", getv(runs, i, 6));
			json_kv_string(&w, "error_revision", getv(runs, i, 7));
			json_kv_string(&w, "error_sqlstate", getv(runs, i, 8));
			json_kv_string(&w, "error_message", getv(runs, i, 9));
			json_kv_int(&w, "steps", atoll(PQgetvalue(runs, i, 10)));
			json_end_object(&w);
		}
		json_end_array(&w);
		result_end(&w);
	}
	else
	{
		/* newest first, as alembic history */
		for (int i = rows.n - 1; i >= 0; i--)
		{
			if (opt.verbose)
				print_rev_block(ctx, &m->revs[rows.v[i]], false);
			else
				print_rev_line(m, &m->revs[rows.v[i]]);
		}
		if (opt.verbose && opt.range == NULL)
			print_runs(runs);
	}
	set_summary("%d revision%s", rows.n, rows.n == 1 ? "" : "s");
	il_free(&rows);
	PQclear(runs);
	return ctx->files_broken ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * status
 * ---------------------------------------------------------------------
 */
enum
{
	S_CURRENT, S_HEADS, S_AT_HEAD, S_PENDING, S_APPLIED, S_REGISTERED,
	S_ERRORS, S_WARNINGS, S_RUN_ID, S_RUN_KIND, S_RUN_STATUS, S_RUN_AT, S_RUN_ERROR
};

/* how many pending revisions "status" lists before "and N more" */
#define STATUS_PENDING_SHOWN 5

int
cmd_status(Ctx *ctx)
{
	int			rc;
	PGresult   *res;
	char	   *label;
	char	   *cur;
	const Model *m;
	IdxList		pending = {0};
	IdxList		heads = {0};
	StrList		head_ids = {0};
	char	   *heads_text;
	bool		at_head = true;
	bool		differ;
	int			unregistered = 0;

	rc = ctx_open_read(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	m = &ctx->model;
	res = db_query(ctx->conn,
				   "SELECT s.current, s.heads, s.at_head, s.pending, s.applied, s.registered,"
				   "       s.errors, s.warnings, s.last_run_id, s.last_run_kind,"
				   "       s.last_run_status, pg_catalog.to_json(s.last_run_at) #>> '{}',"
				   "       s.last_run_error"
				   "  FROM migrate.status($1) AS s", 1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	/* pending: what upgrade heads would apply, the files included */
	for (int k = 0; k < m->ntopo; k++)
		if (!m->revs[m->topo[k]].applied)
		{
			il_add(&pending, m->topo[k]);
			if (!m->revs[m->topo[k]].registered)
				unregistered++;
		}
	model_heads(m, &heads);
	for (int i = 0; i < heads.n; i++)
	{
		sl_add(&head_ids, m->revs[heads.v[i]].id);
		if (!m->revs[heads.v[i]].applied)
			at_head = false;
	}
	heads_text = sl_join(&head_ids, ", ");
	differ = model_files_differ(m);
	label = db_label(ctx->conn);
	cur = array_text(getv(res, 0, S_CURRENT), ", ");

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, !differ && !ctx->files_broken);
		json_kv_string(&w, "server", label);
		json_array_column(&w, "current", getv(res, 0, S_CURRENT));
		json_kv_strlist(&w, "heads", &head_ids);
		json_kv_bool(&w, "at_head", at_head);
		json_kv_int(&w, "pending", pending.n);
		json_kv_int(&w, "pending_not_registered", unregistered);
		json_key(&w, "pending_revisions");
		json_begin_array(&w);
		for (int i = 0; i < pending.n; i++)
		{
			const Rev  *r = &m->revs[pending.v[i]];

			json_begin_object(&w);
			json_kv_string(&w, "revision", r->id);
			json_kv_string(&w, "message", r->message);
			json_kv_bool(&w, "transactional", r->transactional);
			json_kv_bool(&w, "registered", r->registered);
			json_end_object(&w);
		}
		json_end_array(&w);
		json_kv_int(&w, "applied", atoll(PQgetvalue(res, 0, S_APPLIED)));
		json_kv_int(&w, "registered", atoll(PQgetvalue(res, 0, S_REGISTERED)));
		json_kv_int(&w, "errors", atoll(PQgetvalue(res, 0, S_ERRORS)));
		json_kv_int(&w, "warnings", atoll(PQgetvalue(res, 0, S_WARNINGS)));
		json_key(&w, "last_run");
		if (getv(res, 0, S_RUN_ID) == NULL)
			json_null(&w);
		else
		{
			json_begin_object(&w);
			json_kv_int(&w, "id", atoll(getv(res, 0, S_RUN_ID)));
			json_kv_string(&w, "kind", getv(res, 0, S_RUN_KIND));
			json_kv_string(&w, "status", getv(res, 0, S_RUN_STATUS));
			json_kv_string(&w, "at", getv(res, 0, S_RUN_AT));
			json_kv_string(&w, "error", getv(res, 0, S_RUN_ERROR));
			json_end_object(&w);
		}
		drift_status(ctx->conn, &w);
		result_end(&w);
	}
	else
	{
		int			shown = opt.verbose ? pending.n : STATUS_PENDING_SHOWN;

		printf("database:    %s\n", label);
		printf("project:     %s\n", opt.project);
		printf("current:     %s\n", cur[0] ? cur : "base (nothing applied)");
		printf("heads:       %s\n", heads_text[0] ? heads_text : "(no revisions)");
		printf("at head:     %s\n", at_head ? "yes" : "no");
		if (unregistered > 0)
			printf("pending:     %d (%d not registered yet)\n", pending.n, unregistered);
		else
			printf("pending:     %d\n", pending.n);
		for (int i = 0; i < pending.n && i < shown; i++)
		{
			const Rev  *r = &m->revs[pending.v[i]];

			printf("             %s%s%s%s%s\n", r->id, r->message ? " " : "",
				   r->message ? r->message : "",
				   r->transactional ? "" : " [non-transactional]",
				   !r->registered ? " [not registered]" : r->state == RS_NO_FILE && m->has_files ? " [no file]" : "");
		}
		if (pending.n > shown)
			printf("             ... and %d more (-v lists them all)\n", pending.n - shown);
		printf("revisions:   %s registered, %s applied\n",
			   PQgetvalue(res, 0, S_REGISTERED), PQgetvalue(res, 0, S_APPLIED));
		if (m->has_files)
		{
			if (differ)
				printf("files:       differ from the database: %d not registered, %d changed%s\n",
					   m->n_new, m->n_changed,
					   " (pg_migrate sync or upgrade registers them)");
			else
				printf("files:       %zu in %s, registered%s\n", m->rd->n_by_id, m->rd->dir,
					   m->n_renamed + m->n_refreshed > 0 ? " (a message or file name to refresh)" : "");
			if (m->n_no_file > 0)
				printf("             %d registered revision%s with no file\n", m->n_no_file,
					   m->n_no_file == 1 ? "" : "s");
		}
		printf("validation:  %s error%s, %s warning%s%s\n",
			   PQgetvalue(res, 0, S_ERRORS), strcmp(PQgetvalue(res, 0, S_ERRORS), "1") == 0 ? "" : "s",
			   PQgetvalue(res, 0, S_WARNINGS), strcmp(PQgetvalue(res, 0, S_WARNINGS), "1") == 0 ? "" : "s",
			   (atoi(PQgetvalue(res, 0, S_ERRORS)) + atoi(PQgetvalue(res, 0, S_WARNINGS))) > 0
			   ? " (pg_migrate check lists them)" : "");
		if (getv(res, 0, S_RUN_ID))
		{
			char	   *ts = display_ts(getv(res, 0, S_RUN_AT));

			printf("last run:    #%s %s %s at %s%s%s\n", getv(res, 0, S_RUN_ID),
				   getv(res, 0, S_RUN_KIND), getv(res, 0, S_RUN_STATUS), ts,
				   getv(res, 0, S_RUN_ERROR) ? ": " : "",
				   getv(res, 0, S_RUN_ERROR) ? getv(res, 0, S_RUN_ERROR) : "");
			free(ts);
		}
		else
			printf("last run:    none\n");
		drift_status(ctx->conn, NULL);
	}
	if (differ)
		set_summary("files differ from the database: %d not registered, %d changed",
					m->n_new, m->n_changed);
	else if (at_head)
		set_summary("at head %s", cur);
	else
		set_summary("%d pending; at %s", pending.n, cur[0] ? cur : "base");
	free(label);
	free(cur);
	free(heads_text);
	sl_free(&head_ids);
	il_free(&pending);
	il_free(&heads);
	PQclear(res);
	return differ || ctx->files_broken ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * sync
 * ---------------------------------------------------------------------
 */
int
cmd_sync(Ctx *ctx)
{
	int			rc;

	if (opt.no_sync)
	{
		pgm_error("--no-sync and sync contradict each other");
		return PGM_EXIT_USAGE;
	}
	rc = ctx_load_dir(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	rc = ctx_open(ctx, SYNC_REPORT);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		result_end(&w);
	}
	set_summary("%zu new, %zu changed, %zu missing", sync_report.added.n,
				sync_report.changed.n, sync_report.missing.n);
	return PGM_EXIT_OK;
}
