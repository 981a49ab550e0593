/*-------------------------------------------------------------------------
 *
 * cmd_drift.c
 *	  What happened to the schema outside migrations (docs/drift.md):
 *	  "pg_migrate blame OBJECT", the drift lines of "pg_migrate status",
 *	  and the findings of "pg_migrate check --drift".
 *
 * Everything here reads migrate.drift() and migrate.blame(); an extension
 * older than 0.2 has neither: status then says nothing about drift, check
 * --drift and blame say which ALTER EXTENSION to run.
 *
 * IDENTIFICATION
 *	  client/cmd_drift.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

static const char *
val(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* "2025-03-02T09:14:03.123+00:00" -> "2025-03-02 09:14:03" */
static char *
short_ts(const char *ts)
{
	char	   *s;
	char	   *t;

	if (ts == NULL)
		return pgm_strdup("");
	s = pgm_strndup(ts, strcspn(ts, ".+"));
	if ((t = strchr(s, 'T')) != NULL)
		*t = ' ';
	return s;
}

static bool
has_drift_functions(PGconn *conn)
{
	PGresult   *res = db_try(conn,
							 "SELECT pg_catalog.to_regprocedure('migrate.drift(text)') IS NOT NULL", 0, NULL);
	bool		ok = res != NULL && PQgetvalue(res, 0, 0)[0] == 't';

	PQclear(res);
	return ok;
}

static void
old_extension_error(void)
{
	pgm_error("the migrate extension in this database has no drift functions");
	pgm_error_hint("Run ALTER EXTENSION migrate UPDATE (0.2 records DDL in migrate.ddl_log).");
}

/*
 * migrate.drift()'s rows: at, db_user, command_tag, object_type,
 * object_identity, message.  NULL when the extension has no drift() (an
 * error is reported only if "required").
 */
PGresult *
drift_rows(PGconn *conn, bool required)
{
	if (!has_drift_functions(conn))
	{
		if (required)
			old_extension_error();
		return NULL;
	}
	return db_query(conn,
					"SELECT pg_catalog.to_json(at) #>> '{}', db_user, command_tag, object_type,"
					"       object_identity, message FROM migrate.drift()", 0, NULL);
}

/* The drift part of "pg_migrate status" (text, or a "drift" key in JSON). */
void
drift_status(PGconn *conn, JsonWriter *w)
{
	PGresult   *res = drift_rows(conn, false);
	int			n = res ? PQntuples(res) : 0;

	if (w != NULL)
	{
		json_key(w, "drift");
		if (res == NULL)
			json_null(w);
		else
		{
			json_begin_array(w);
			for (int i = 0; i < n; i++)
			{
				json_begin_object(w);
				json_kv_string(w, "at", val(res, i, 0));
				json_kv_string(w, "db_user", val(res, i, 1));
				json_kv_string(w, "command_tag", val(res, i, 2));
				json_kv_string(w, "object_type", val(res, i, 3));
				json_kv_string(w, "object_identity", val(res, i, 4));
				json_kv_string(w, "message", val(res, i, 5));
				json_end_object(w);
			}
			json_end_array(w);
		}
	}
	else if (res != NULL)
	{
		if (n == 0)
			printf("drift:       none (the schema is what the last run left)\n");
		else
		{
			printf("drift:       %d change%s outside migrations (pg_migrate check --drift fails)\n",
				   n, n == 1 ? "" : "s");
			for (int i = 0; i < n; i++)
			{
				char	   *ts = short_ts(val(res, i, 0));

				printf("             %s %s\n", ts, val(res, i, 5));
				free(ts);
			}
		}
	}
	PQclear(res);
}

/*
 * "check --drift": one error message per row of drift(), in *messages;
 * false if drift() could not be asked.
 */
bool
drift_findings(PGconn *conn, StrList *messages)
{
	PGresult   *res = drift_rows(conn, true);

	if (res == NULL)
		return false;
	for (int i = 0; i < PQntuples(res); i++)
	{
		char	   *ts = short_ts(val(res, i, 0));
		char	   *msg = val(res, i, 2)
			? pgm_psprintf("%s (%s, %s)", val(res, i, 5), val(res, i, 2), ts)
			: pgm_strdup(val(res, i, 5));

		sl_add(messages, msg);
		free(msg);
		free(ts);
	}
	PQclear(res);
	return true;
}

/* pg_migrate blame OBJECT */
int
cmd_blame(Ctx *ctx)
{
	const char *object = opt.args[0];
	const char *params[1] = {object};
	PGresult   *res;
	int			rc;
	int			n;

	rc = ctx_open(ctx, false);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (!has_drift_functions(ctx->conn))
	{
		old_extension_error();
		return PGM_EXIT_FAIL;
	}
	res = db_query(ctx->conn,
				   "SELECT pg_catalog.to_json(at) #>> '{}', action, project, revision, run_id,"
				   "       db_user, command_tag FROM migrate.blame($1)", 1, params);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	n = PQntuples(res);
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_string(&w, "object", object);
		json_key(&w, "changes");
		json_begin_array(&w);
		for (int i = 0; i < n; i++)
		{
			json_begin_object(&w);
			json_kv_string(&w, "at", val(res, i, 0));
			json_kv_string(&w, "action", val(res, i, 1));
			json_kv_string(&w, "project", val(res, i, 2));
			json_kv_string(&w, "revision", val(res, i, 3));
			json_key(&w, "run_id");
			if (val(res, i, 4))
				json_int(&w, atoll(val(res, i, 4)));
			else
				json_null(&w);
			json_kv_bool(&w, "outside_migrations", val(res, i, 3) == NULL);
			json_kv_string(&w, "db_user", val(res, i, 5));
			json_kv_string(&w, "command_tag", val(res, i, 6));
			json_end_object(&w);
		}
		json_end_array(&w);
		result_end(&w);
	}
	else if (n == 0)
		printf("%s: no recorded change (made before the extension recorded DDL, or while migrate.track_ddl was off)\n",
			   object);
	else
	{
		for (int i = 0; i < n; i++)
		{
			char	   *ts = short_ts(val(res, i, 0));
			char	   *by = val(res, i, 3)
				? pgm_psprintf("revision %s (run %s)", val(res, i, 3), val(res, i, 4) ? val(res, i, 4) : "?")
				: pgm_strdup("outside migrations");

			printf("%s  %-6s  %-34s  by %s  %s\n", ts, val(res, i, 1), by,
				   val(res, i, 5), val(res, i, 6));
			free(by);
			free(ts);
		}
	}
	set_summary("%d change%s of %s", n, n == 1 ? "" : "s", object);
	PQclear(res);
	return PGM_EXIT_OK;
}
