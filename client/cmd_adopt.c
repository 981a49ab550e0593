/*-------------------------------------------------------------------------
 *
 * cmd_adopt.c
 *	  adopt: take over a database from another migration tool (Alembic,
 *	  Flyway, golang-migrate, dbmate) by stamping what its version table
 *	  records, so that nothing runs again.  --dry-run only reads.
 *
 * IDENTIFICATION
 *	  client/cmd_adopt.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * adopt: take over from another migration tool
 * ---------------------------------------------------------------------
 */
typedef struct AdoptSource
{
	const char *name;
	const char *table;			/* default table */
	const char *query;			/* %s: the quoted table; columns: id, bad */
	const char *bad_reason;		/* why a row with bad = true stops adopt */
	const char *recorded;		/* what its rows are, for messages */
} AdoptSource;

static const AdoptSource adopt_sources[] = {
	{"alembic", "alembic_version",
		"SELECT version_num::text, false FROM %s ORDER BY 1",
		NULL, "the heads Alembic recorded"},
	{"flyway", "flyway_schema_history",
		"SELECT version::text, NOT success FROM %s WHERE version IS NOT NULL"
		" ORDER BY installed_rank",
		"Flyway recorded a failed migration; repair it (flyway repair) first",
		"the versioned migrations Flyway applied"},
	{"golang-migrate", "schema_migrations",
		"SELECT version::text, dirty FROM %s",
		"golang-migrate marks the version dirty (a migration failed half way); "
		"fix the schema and force the version first",
		"the version golang-migrate recorded"},
	{"dbmate", "schema_migrations",
		"SELECT version::text, false FROM %s ORDER BY 1",
		NULL, "the versions dbmate applied"},
};

/* "schema.name" or "name", each part quoted */
static char *
quote_table(PGconn *conn, const char *spec)
{
	const char *dot = strchr(spec, '.');
	char	   *out;

	if (dot == NULL)
	{
		char	   *q = PQescapeIdentifier(conn, spec, strlen(spec));

		if (q == NULL)
			return NULL;
		out = pgm_strdup(q);
		PQfreemem(q);
	}
	else
	{
		char	   *s = PQescapeIdentifier(conn, spec, (size_t) (dot - spec));
		char	   *t = PQescapeIdentifier(conn, dot + 1, strlen(dot + 1));

		if (s == NULL || t == NULL)
			return NULL;
		out = pgm_psprintf("%s.%s", s, t);
		PQfreemem(s);
		PQfreemem(t);
	}
	return out;
}

int
cmd_adopt(Ctx *ctx)
{
	const AdoptSource *src = NULL;
	const char *table;
	char	   *qtable;
	char	   *sql;
	PGresult   *res;
	StrList		ids = {0};
	StrList		missing = {0};
	StrList		before = {0};
	StrList		after = {0};
	int			rc;
	char	   *arr;
	const char *params[2];
	char	   *list;
	bool		already = false;

	for (size_t i = 0; i < sizeof(adopt_sources) / sizeof(adopt_sources[0]); i++)
		if (strcmp(adopt_sources[i].name, opt.args[0]) == 0)
			src = &adopt_sources[i];
	if (src == NULL)
	{
		pgm_error("cannot adopt \"%s\": pg_migrate adopts alembic, flyway, golang-migrate and dbmate",
				  opt.args[0]);
		pgm_error_hint("From another tool, keep its ids in the revision files and record the applied one with \"pg_migrate stamp ID\".");
		return PGM_EXIT_USAGE;
	}
	table = opt.table ? opt.table : src->table;

	/* --dry-run only reads: the files are compared in memory */
	rc = opt.dry_run ? ctx_open_read(ctx, false) : ctx_open(ctx, SYNC_LENIENT);
	if (rc != PGM_EXIT_OK)
		return rc;
	qtable = quote_table(ctx->conn, table);
	if (qtable == NULL)
	{
		pgm_error("invalid table name \"%s\"", table);
		return PGM_EXIT_USAGE;
	}
	sql = pgm_psprintf(src->query, qtable);
	res = PQexecParams(ctx->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (strcmp(db_sqlstate(res), "42P01") == 0)
		{
			pgm_error("there is no table %s in database \"%s\": nothing to adopt from %s",
					  table, PQdb(ctx->conn), src->name);
			pgm_error_hint("Name the version table with --table [SCHEMA.]NAME if it is not the default one.");
		}
		else
			db_report_result_error(res, NULL);
		PQclear(res);
		return PGM_EXIT_FAIL;
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		if (PQgetvalue(res, i, 1)[0] == 't')
		{
			pgm_error("cannot adopt: %s (version %s in %s)", src->bad_reason,
					  PQgetvalue(res, i, 0), table);
			PQclear(res);
			return PGM_EXIT_FAIL;
		}
		sl_add_unique(&ids, PQgetvalue(res, i, 0));
	}
	PQclear(res);
	if (ids.n == 0)
	{
		pgm_error("%s is empty: %s recorded nothing as applied", table, src->name);
		return PGM_EXIT_FAIL;
	}

	/* every recorded id must be a registered revision (or, dry, a file) */
	arr = db_array_literal(&ids);
	params[0] = arr;
	params[1] = opt.project;
	if (opt.dry_run)
	{
		for (size_t i = 0; i < ids.n; i++)
			if (model_find(&ctx->model, ids.items[i]) < 0)
				sl_add(&missing, ids.items[i]);
	}
	else
	{
		res = db_query(ctx->conn,
					   "SELECT u.id FROM pg_catalog.unnest($1::text[]) AS u(id)"
					   " WHERE NOT EXISTS (SELECT 1 FROM migrate.revision r"
					   "                    WHERE r.project = $2 AND r.id = u.id)",
					   2, params);
		if (res == NULL)
			return PGM_EXIT_FAIL;
		for (int i = 0; i < PQntuples(res); i++)
			sl_add(&missing, PQgetvalue(res, i, 0));
		PQclear(res);
	}
	if (missing.n > 0)
	{
		list = sl_join(&missing, ", ");
		pgm_error("%s recorded %s, which no revision file declares", src->name, list);
		pgm_error_hint("Keep the other tool's ids when converting its scripts: the file of revision X starts with \"-- migrate:revision X\". Then run adopt again.");
		set_summary("cannot adopt: %s has no file", list);
		free(list);
		return PGM_EXIT_FAIL;
	}

	if (!fetch_current(ctx->conn, &before))
		return PGM_EXIT_FAIL;
	if (before.n > 0)
	{
		/* adopted already, or something else applied */
		res = db_query(ctx->conn,
					   "SELECT bool_and(EXISTS (SELECT 1 FROM migrate.applied a"
					   "                         WHERE a.project = $2 AND a.revision = u.id))"
					   "  FROM pg_catalog.unnest($1::text[]) AS u(id)", 2, params);
		if (res == NULL)
			return PGM_EXIT_FAIL;
		already = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (!already && !opt.force)
		{
			char	   *cur = sl_join(&before, ", ");

			pgm_error("the database already has applied revisions (current: %s); adopt stamps a database that has none",
					  cur);
			pgm_error_hint("--force stamps the recorded revisions anyway.");
			free(cur);
			return PGM_EXIT_FAIL;
		}
	}

	list = sl_join(&ids, ", ");
	if (already && !opt.force)
	{
		if (opt.json)
		{
			JsonWriter	w;

			result_begin(&w, ctx, true);
			json_kv_string(&w, "source", src->name);
			json_kv_string(&w, "table", table);
			json_kv_strlist(&w, "recorded", &ids);
			json_kv_bool(&w, "already_adopted", true);
			json_kv_strlist(&w, "stamped", NULL);
			json_kv_strlist(&w, "current", &before);
			result_end(&w);
		}
		else
			printf("nothing to do: %s (%s) is applied already\n", list, src->recorded);
		set_summary("adopted already: %s", list);
		free(list);
		return PGM_EXIT_OK;
	}

	if (!opt.dry_run)
	{
		if (!db_command(ctx->conn, "BEGIN"))
			return PGM_EXIT_FAIL;
		for (size_t i = 0; i < ids.n; i++)
		{
			const char *p[2] = {ids.items[i], opt.project};

			res = db_query(ctx->conn, "SELECT count(*) FROM migrate.stamp($1, $2)", 2, p);
			if (res == NULL)
			{
				PQclear(PQexec(ctx->conn, "ROLLBACK"));
				return PGM_EXIT_FAIL;
			}
			PQclear(res);
		}
		/* a later stamp must not have undone an earlier one */
		res = db_query(ctx->conn,
					   "SELECT u.id FROM pg_catalog.unnest($1::text[]) AS u(id)"
					   " WHERE NOT EXISTS (SELECT 1 FROM migrate.applied a"
					   "                    WHERE a.project = $2 AND a.revision = u.id)",
					   2, params);
		if (res == NULL || PQntuples(res) > 0)
		{
			if (res != NULL)
			{
				pgm_error("%s recorded revisions that cannot all be applied together (%s is a descendant of another one's branch); nothing was stamped",
						  src->name, PQgetvalue(res, 0, 0));
				PQclear(res);
			}
			PQclear(PQexec(ctx->conn, "ROLLBACK"));
			return PGM_EXIT_FAIL;
		}
		PQclear(res);
		if (!db_command(ctx->conn, "COMMIT"))
			return PGM_EXIT_FAIL;
	}
	(void) fetch_current(ctx->conn, &after);

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_string(&w, "source", src->name);
		json_kv_string(&w, "table", table);
		json_kv_strlist(&w, "recorded", &ids);
		json_kv_bool(&w, "dry_run", opt.dry_run);
		json_kv_strlist(&w, "stamped", opt.dry_run ? NULL : &ids);
		json_kv_strlist(&w, "current", &after);
		result_end(&w);
	}
	else if (opt.dry_run)
		printf("would stamp %s (%s in %s)\n", list, src->recorded, table);
	else
	{
		char	   *cur = current_text(&after);

		printf("adopted %s: stamped %s; now at %s\n", src->name, list, cur);
		pgm_info("%s is left as it is: drop it once %s is retired.", table, src->name);
		free(cur);
	}
	set_summary("%s %s", opt.dry_run ? "would stamp" : "stamped", list);
	free(list);
	free(arr);
	return PGM_EXIT_OK;
}
