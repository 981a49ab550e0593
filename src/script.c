/*-------------------------------------------------------------------------
 *
 * script.c
 *	  migrate.sql(target, direction): the offline script, a psql script
 *	  that does what upgrade() or downgrade() would, for review or for a
 *	  DBA to run (like `alembic upgrade head --sql`).
 *
 * The plan is computed as upgrade() would compute it, under the migration
 * lock, and every body is parsed first, so that a script is never written
 * for a plan that upgrade() would refuse.  The script takes the same
 * advisory lock, checks that the database is at the state the script was
 * planned from, runs the bodies (a non-transactional revision outside any
 * transaction block, statement by statement as psql sends them), and
 * records the applied state, the run and its steps.
 *
 * Everything the script adds around the bodies is schema-qualified or
 * uses pg_catalog operators, so that objects a user creates in the
 * search_path cannot change what the bookkeeping does.
 *
 * IDENTIFICATION
 *	  src/script.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"
#include "lockkey.h"

#include "commands/dbcommands.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(migrate_sql);

static void
append_array_literal(StringInfo buf, Datum arr)
{
	appendStringInfoString(buf,
						   quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, arr)));
	appendStringInfoString(buf, "::pg_catalog.text[]");
}

/* Text for a "--" comment line: control characters (newlines) become spaces. */
static char *
comment_text(const char *s)
{
	char	   *out = pstrdup(s ? s : "");

	for (char *p = out; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* A body as a script section, closed so that the next line starts afresh. */
static void
append_script_body(StringInfo buf, const char *body)
{
	size_t		len = strlen(body);

	appendStringInfoString(buf, body);
	if (len == 0 || body[len - 1] != '\n')
		appendStringInfoChar(buf, '\n');
	/* ends a last statement without a semicolon (or one ending in a comment) */
	appendStringInfoString(buf, ";\n");
}

Datum
migrate_sql(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_target_arg(fcinfo, 0);
	MigrateDirection dir = migrate_direction_arg(fcinfo, 1);
	Run			run;
	StringInfoData buf;
	bool		in_xact = false;

	migrate_run_init(&run, dir, migrate_body_kind(dir), target);
	/* reads only, but plans as upgrade() would: under the lock */
	migrate_run_plan(&run, CurrentMemoryContext);
	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "-- migrate: %s to %s, %d revision%s\n"
					 "-- generated %s for database %s; run with: psql -v ON_ERROR_STOP=1 -f <file>\n",
					 run.kind, comment_text(quote_literal_cstr(target)), run.nsteps, run.nsteps == 1 ? "" : "s",
					 timestamptz_to_str(GetCurrentTimestamp()),
					 comment_text(quote_identifier(get_database_name(MyDatabaseId))));
	if (run.nsteps == 0)
	{
		appendStringInfoString(&buf, "-- nothing to do\n");
		PG_RETURN_TEXT_P(cstring_to_text(buf.data));
	}
	migrate_run_parse_bodies(&run, true);

	appendStringInfoString(&buf, "\\set ON_ERROR_STOP on\n\nBEGIN;\n");
	in_xact = true;
	appendStringInfoString(&buf, "SELECT pg_catalog.pg_advisory_xact_lock(" MIGRATE_LOCK_KEYS_SQL ");\n");
	appendStringInfo(&buf,
					 "DO $migrate$ BEGIN\n"
					 "  IF NOT (SELECT coalesce(pg_catalog.array_agg(c ORDER BY c COLLATE pg_catalog.\"C\"), '{}'::pg_catalog.text[])\n"
					 "            FROM migrate.current() AS c) OPERATOR(pg_catalog.=) %s::pg_catalog.text[] THEN\n"
					 "    RAISE EXCEPTION 'migrate: this script expects the current revisions to be %%', %s;\n"
					 "  END IF;\nEND $migrate$;\n",
					 quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, run.from_heads)),
					 quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, run.from_heads)));

	for (int k = 0; k < run.nsteps; k++)
	{
		Step	   *st = &run.steps[k];

		appendStringInfo(&buf, "\n-- %d/%d %s%s%s\n", k + 1, run.nsteps, st->id,
						 st->message ? ": " : "", comment_text(st->message));
		if (!st->transactional)
		{
			if (in_xact)
				appendStringInfoString(&buf, "COMMIT;\n");
			appendStringInfoString(&buf, "-- not transactional: each statement runs on its own\n");
			in_xact = false;
		}
		append_script_body(&buf, st->body);
		if (!in_xact)
		{
			appendStringInfoString(&buf, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(" MIGRATE_LOCK_KEYS_SQL ");\n");
			in_xact = true;
		}
		if (dir == MIGRATE_UP)
			appendStringInfo(&buf,
							 "INSERT INTO migrate.applied (revision, checksum) VALUES (%s, %s);\n",
							 quote_literal_cstr(st->id),
							 st->checksum ? quote_literal_cstr(st->checksum) : "NULL");
		else
			appendStringInfo(&buf, "DELETE FROM migrate.applied WHERE revision OPERATOR(pg_catalog.=) %s;\n",
							 quote_literal_cstr(st->id));
		run.graph->revs[st->idx].applied = (dir == MIGRATE_UP);
	}
	/* the run, its steps, and (upgrade) the run id of what it applied */
	appendStringInfo(&buf,
					 "\nWITH r AS (\n"
					 "  INSERT INTO migrate.run (kind, target, status, finished_at, from_heads, to_heads, application_name)\n"
					 "  VALUES (%s, %s, 'succeeded', pg_catalog.clock_timestamp(), ",
					 quote_literal_cstr(run.kind), quote_literal_cstr(target));
	append_array_literal(&buf, run.from_heads);
	appendStringInfoString(&buf, ", ");
	append_array_literal(&buf, migrate_currents_array(run.graph));
	appendStringInfoString(&buf, ", 'migrate.sql script'::pg_catalog.text)\n  RETURNING id),\n"
						   "s AS (\n"
						   "  INSERT INTO migrate.run_step (run_id, step, revision, direction, started_at, status)\n"
						   "  SELECT r.id, v.step, v.revision, ");
	appendStringInfo(&buf, "'%s', pg_catalog.now(), 'succeeded'\n"
					 "    FROM r, (VALUES ", dir == MIGRATE_UP ? "up" : "down");
	for (int k = 0; k < run.nsteps; k++)
		appendStringInfo(&buf, "%s(%d, %s)", k > 0 ? ", " : "", k + 1,
						 quote_literal_cstr(run.steps[k].id));
	appendStringInfoString(&buf, ") AS v(step, revision))\n");
	if (dir == MIGRATE_UP)
	{
		appendStringInfoString(&buf,
							   "UPDATE migrate.applied AS a SET run_id = r.id FROM r\n"
							   " WHERE a.revision OPERATOR(pg_catalog.=) ANY (ARRAY[");
		for (int k = 0; k < run.nsteps; k++)
			appendStringInfo(&buf, "%s%s", k > 0 ? ", " : "",
							 quote_literal_cstr(run.steps[k].id));
		appendStringInfoString(&buf, "]::pg_catalog.text[]);\n");
	}
	else
		appendStringInfoString(&buf, "SELECT count(*) AS steps_recorded FROM r;\n");
	appendStringInfoString(&buf, "COMMIT;\n");
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}
