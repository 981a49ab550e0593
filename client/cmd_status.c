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
static char *
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

	rc = ctx_open(ctx, false);
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
int
cmd_heads(Ctx *ctx)
{
	int			rc;
	PGresult   *res;
	int			n;

	rc = ctx_open(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT h.revision, h.message, h.applied, h.branch_labels, h.source"
				   "  FROM migrate.history($1) AS h WHERE h.is_head",
				   1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	n = PQntuples(res);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_key(&w, "heads");
		json_begin_array(&w);
		for (int i = 0; i < n; i++)
		{
			json_begin_object(&w);
			json_kv_string(&w, "revision", getv(res, i, 0));
			json_kv_string(&w, "message", getv(res, i, 1));
			json_kv_bool(&w, "applied", getb(res, i, 2));
			json_array_column(&w, "branch_labels", getv(res, i, 3));
			json_kv_string(&w, "file", revdir_file_of(ctx->rd_loaded ? &ctx->rd : NULL, getv(res, i, 0)));
			json_end_object(&w);
		}
		json_end_array(&w);
		result_end(&w);
	}
	else
		for (int i = 0; i < n; i++)
		{
			char	   *labels = array_text(getv(res, i, 3), ", ");

			printf("%s (head)%s%s%s%s%s%s\n", PQgetvalue(res, i, 0),
				   labels[0] ? " (" : "", labels, labels[0] ? ")" : "",
				   getb(res, i, 2) ? " (current)" : "",
				   getv(res, i, 1) ? ", " : "", getv(res, i, 1) ? getv(res, i, 1) : "");
			free(labels);
		}
	set_summary("%d head%s", n, n == 1 ? "" : "s");
	PQclear(res);
	return PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * history
 * ---------------------------------------------------------------------
 */
enum
{
	H_REV, H_DOWN, H_MSG, H_APPLIED, H_APPLIED_AT, H_HEAD, H_CURRENT, H_BASE,
	H_LABELS, H_DEPENDS, H_TX, H_REVERSIBLE, H_SOURCE, H_REGISTERED_AT,
	H_APPLIED_BY, H_SECONDS, H_RUN_ID
};

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

int
cmd_history(Ctx *ctx)
{
	int			rc;
	PGresult   *res;
	PGresult   *runs;
	int			n;

	rc = ctx_open(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT h.revision, h.down_revision, h.message, h.applied,"
				   "       pg_catalog.to_json(h.applied_at) #>> '{}', h.is_head, h.is_current,"
				   "       h.is_base, h.branch_labels, h.depends_on, h.transactional,"
				   "       h.reversible, h.source, pg_catalog.to_json(h.registered_at) #>> '{}',"
				   "       a.applied_by, pg_catalog.date_part('epoch', s.duration), a.run_id"
				   "  FROM migrate.history($1) WITH ORDINALITY AS h"
				   "  LEFT JOIN migrate.applied a ON a.project = $1 AND a.revision = h.revision"
				   "  LEFT JOIN LATERAL (SELECT st.duration FROM migrate.run_step st"
				   "                      WHERE st.run_id = a.run_id AND st.revision = h.revision"
				   "                      ORDER BY st.step DESC LIMIT 1) s ON true"
				   " ORDER BY h.ordinality", 1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	runs = db_query(ctx->conn,
					"SELECT r.id, r.kind, r.target, r.status,"
					"       pg_catalog.to_json(r.started_at) #>> '{}',"
					"       pg_catalog.date_part('epoch', r.finished_at - r.started_at),"
					"       r.db_user, r.error_revision, r.error_sqlstate, r.error_message,"
					"       (SELECT count(*) FROM migrate.run_step s WHERE s.run_id = r.id)"
					"  FROM migrate.run r WHERE r.project = $1 ORDER BY r.id DESC LIMIT 10",
					1, (const char *[]) {opt.project});
	if (runs == NULL)
	{
		PQclear(res);
		return PGM_EXIT_FAIL;
	}
	n = PQntuples(res);

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_key(&w, "history");
		json_begin_array(&w);
		for (int i = 0; i < n; i++)
		{
			json_begin_object(&w);
			json_kv_string(&w, "revision", getv(res, i, H_REV));
			json_array_column(&w, "down_revision", getv(res, i, H_DOWN));
			json_kv_string(&w, "message", getv(res, i, H_MSG));
			json_kv_bool(&w, "applied", getb(res, i, H_APPLIED));
			json_kv_string(&w, "applied_at", getv(res, i, H_APPLIED_AT));
			json_kv_string(&w, "applied_by", getv(res, i, H_APPLIED_BY));
			json_key(&w, "seconds");
			if (getv(res, i, H_SECONDS))
				json_double(&w, atof(getv(res, i, H_SECONDS)));
			else
				json_null(&w);
			json_key(&w, "run_id");
			if (getv(res, i, H_RUN_ID))
				json_int(&w, atoll(getv(res, i, H_RUN_ID)));
			else
				json_null(&w);
			json_kv_bool(&w, "is_head", getb(res, i, H_HEAD));
			json_kv_bool(&w, "is_current", getb(res, i, H_CURRENT));
			json_kv_bool(&w, "is_base", getb(res, i, H_BASE));
			json_array_column(&w, "branch_labels", getv(res, i, H_LABELS));
			json_array_column(&w, "depends_on", getv(res, i, H_DEPENDS));
			json_kv_bool(&w, "transactional", getb(res, i, H_TX));
			json_kv_bool(&w, "reversible", getb(res, i, H_REVERSIBLE));
			json_kv_string(&w, "source", getv(res, i, H_SOURCE));
			json_kv_string(&w, "registered_at", getv(res, i, H_REGISTERED_AT));
			json_end_object(&w);
		}
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
		for (int i = n - 1; i >= 0; i--)
		{
			char	   *parents = array_text(getv(res, i, H_DOWN), ", ");
			const char *msg = getv(res, i, H_MSG);
			const char *rev = PQgetvalue(res, i, H_REV);

			if (!opt.verbose)
			{
				printf("%s -> %s%s%s%s%s%s\n", parents[0] ? parents : "<base>", rev,
					   getb(res, i, H_HEAD) ? " (head)" : "",
					   getb(res, i, H_CURRENT) ? " (current)" : "",
					   getb(res, i, H_APPLIED) ? "" : " (pending)",
					   msg ? ", " : "", msg ? msg : "");
			}
			else
			{
				char	   *labels = array_text(getv(res, i, H_LABELS), ", ");
				char	   *deps = array_text(getv(res, i, H_DEPENDS), ", ");
				const char *file = revdir_file_of(ctx->rd_loaded ? &ctx->rd : NULL, rev);

				printf("Rev: %s%s%s%s\n", rev,
					   getb(res, i, H_HEAD) ? " (head)" : "",
					   getb(res, i, H_BASE) ? " (base)" : "",
					   getb(res, i, H_CURRENT) ? " (current)" : "");
				printf("Parent: %s\n", parents[0] ? parents : "<base>");
				if (labels[0])
					printf("Branch names: %s\n", labels);
				if (deps[0])
					printf("Depends on: %s\n", deps);
				if (file || getv(res, i, H_SOURCE))
					printf("File: %s\n", file ? file : getv(res, i, H_SOURCE));
				printf("Transactional: %s; reversible: %s\n",
					   getb(res, i, H_TX) ? "yes" : "no (runs through CALL migrate.run)",
					   getb(res, i, H_REVERSIBLE) ? "yes" : "no");
				if (getb(res, i, H_APPLIED))
				{
					char	   *ts = display_ts(getv(res, i, H_APPLIED_AT));

					printf("Applied: %s by %s", ts,
						   getv(res, i, H_APPLIED_BY) ? getv(res, i, H_APPLIED_BY) : "?");
					if (getv(res, i, H_SECONDS))
						printf(" in %s", pgm_format_seconds(atof(getv(res, i, H_SECONDS))));
					if (getv(res, i, H_RUN_ID))
						printf(" (run #%s)", getv(res, i, H_RUN_ID));
					printf("\n");
					free(ts);
				}
				else
					printf("Applied: no\n");
				if (getv(res, i, H_REGISTERED_AT))
				{
					char	   *ts = display_ts(getv(res, i, H_REGISTERED_AT));

					printf("Registered: %s\n", ts);
					free(ts);
				}
				printf("\n    %s\n\n", msg ? msg : "(no message)");
				free(labels);
				free(deps);
			}
			free(parents);
		}
		if (opt.verbose)
			print_runs(runs);
	}
	set_summary("%d revision%s", n, n == 1 ? "" : "s");
	PQclear(res);
	PQclear(runs);
	return PGM_EXIT_OK;
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

int
cmd_status(Ctx *ctx)
{
	int			rc;
	PGresult   *res;
	PGresult   *pending;
	char	   *label;
	char	   *cur;
	char	   *heads;

	rc = ctx_open(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT s.current, s.heads, s.at_head, s.pending, s.applied, s.registered,"
				   "       s.errors, s.warnings, s.last_run_id, s.last_run_kind,"
				   "       s.last_run_status, pg_catalog.to_json(s.last_run_at) #>> '{}',"
				   "       s.last_run_error"
				   "  FROM migrate.status($1) AS s", 1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	/* the pending revisions, if a plan to every head can be made */
	pending = db_try(ctx->conn,
					 "SELECT step, revision, message, transactional FROM migrate.plan('heads', 'up', $1)",
					 1, (const char *[]) {opt.project});
	label = db_label(ctx->conn);
	cur = array_text(getv(res, 0, S_CURRENT), ", ");
	heads = array_text(getv(res, 0, S_HEADS), ", ");

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_string(&w, "server", label);
		json_array_column(&w, "current", getv(res, 0, S_CURRENT));
		json_array_column(&w, "heads", getv(res, 0, S_HEADS));
		json_kv_bool(&w, "at_head", getb(res, 0, S_AT_HEAD));
		json_kv_int(&w, "pending", atoll(PQgetvalue(res, 0, S_PENDING)));
		json_key(&w, "pending_revisions");
		if (pending == NULL)
			json_null(&w);
		else
		{
			json_begin_array(&w);
			for (int i = 0; i < PQntuples(pending); i++)
			{
				json_begin_object(&w);
				json_kv_string(&w, "revision", getv(pending, i, 1));
				json_kv_string(&w, "message", getv(pending, i, 2));
				json_kv_bool(&w, "transactional", getb(pending, i, 3));
				json_end_object(&w);
			}
			json_end_array(&w);
		}
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
		printf("database:    %s\n", label);
		printf("project:     %s\n", opt.project);
		printf("current:     %s\n", cur[0] ? cur : "base (nothing applied)");
		printf("heads:       %s\n", heads[0] ? heads : "(no revisions)");
		printf("at head:     %s\n", getb(res, 0, S_AT_HEAD) ? "yes" : "no");
		printf("pending:     %s\n", PQgetvalue(res, 0, S_PENDING));
		if (pending != NULL)
			for (int i = 0; i < PQntuples(pending); i++)
				printf("             %s%s%s%s\n", PQgetvalue(pending, i, 1),
					   getv(pending, i, 2) ? " " : "", getv(pending, i, 2) ? getv(pending, i, 2) : "",
					   getb(pending, i, 3) ? "" : " [non-transactional]");
		printf("revisions:   %s registered, %s applied\n",
			   PQgetvalue(res, 0, S_REGISTERED), PQgetvalue(res, 0, S_APPLIED));
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
	if (getb(res, 0, S_AT_HEAD))
		set_summary("at head %s", cur);
	else
		set_summary("%s pending; at %s", PQgetvalue(res, 0, S_PENDING), cur[0] ? cur : "base");
	free(label);
	free(cur);
	free(heads);
	PQclear(pending);
	PQclear(res);
	return PGM_EXIT_OK;
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
	rc = ctx_open(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	rc = sync_directory(ctx->conn, &ctx->rd, opt.prune);
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
