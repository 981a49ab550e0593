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
 * records the applied state, the run and its steps.  After a revision that
 * adds an enum value a later revision of the plan uses (commit_boundary.c)
 * it commits, as CALL migrate.run does, so that the plan goes through.
 *
 * What psql reads.  psql lexes a script itself, to find where statements
 * end and which lines are meta-commands (\! runs a shell command), and it
 * lexes string constants by standard_conforming_strings as the server last
 * reported it.  A body pasted into the script would be read by psql, not
 * only by the server: after a body's SET standard_conforming_strings = off,
 * 'x\' no longer ends a string, and a line of what the server saw as one
 * harmless constant becomes a meta-command.  So no body is ever pasted
 * where psql lexes it:
 *	  - each body (each statement, for a non-transactional one) is a
 *	    dollar-quoted constant of a SELECT whose result psql runs with
 *	    \gexec.  psql passes dollar-quoted text on without looking inside,
 *	    whatever standard_conforming_strings says, and \gexec sends each
 *	    value to the server as a query of its own, never through psql's
 *	    lexer.  The tag is chosen so that it does not occur in the text, and
 *	    three ASCII bytes precede the closing one, so that no multibyte
 *	    sequence of any client encoding can swallow its first "$";
 *	  - everything else psql reads is ours and ASCII: bookkeeping with
 *	    string constants that lex the same either way ('...' without a
 *	    backslash, as ids and checksums are, or E'...', which
 *	    quote_literal_cstr writes for a target with one), and comments with
 *	    every byte outside printable ASCII replaced;
 *	  - the script sets client_encoding (the encoding the script text was
 *	    returned in) and standard_conforming_strings itself, as pg_dump
 *	    does, and after each body (before it is recorded), and before each
 *	    statement but the first of a non-transactional body, a guard checks
 *	    them: if a body changed either (set_config(), a function: SET and
 *	    RESET of them are refused in bodies, see body.c), the guard raises
 *	    an error and ON_ERROR_STOP ends the script there, before psql has
 *	    read anything that follows as a statement.
 * A transactional body goes to the server as one query, which the server
 * parses whole before running any of it, as upgrade() parses a plan before
 * running it.
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
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parser.h"
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

/*
 * Text for a "--" comment line: every byte outside printable ASCII (line
 * breaks, and bytes of multibyte characters, which a client encoding
 * changed by a body could read as swallowing the line break) becomes "?".
 */
static char *
comment_text(const char *s)
{
	char	   *out = pstrdup(s ? s : "");

	for (char *p = out; *p; p++)
		if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
			*p = '?';
	return out;
}

/* What the script was written for: the settings its guards check. */
typedef struct ScriptSettings
{
	const char *client_encoding;
	const char *std_strings;
} ScriptSettings;

/*
 * A guard: NULL when the settings are still the script's, else a statement
 * that raises an error naming "where".  Its text lexes the same with
 * standard_conforming_strings on or off.
 */
static void
append_guard(StringInfo buf, const ScriptSettings *ss, const char *where)
{
	char	   *message = psprintf("migrate: a revision body changed standard_conforming_strings or client_encoding; stopping %s",
								   where);
	char	   *raise = psprintf("DO $migrate_guard$BEGIN RAISE EXCEPTION %s; END$migrate_guard$",
								 quote_literal_cstr(message));

	appendStringInfo(buf,
					 "CASE WHEN pg_catalog.current_setting('standard_conforming_strings') OPERATOR(pg_catalog.=) %s\n"
					 "        AND pg_catalog.current_setting('client_encoding') OPERATOR(pg_catalog.=) %s THEN NULL\n"
					 "       ELSE %s END",
					 quote_literal_cstr(ss->std_strings),
					 quote_literal_cstr(ss->client_encoding),
					 quote_literal_cstr(raise));
}

/* A dollar-quote tag that does not occur in "text". */
static char *
dollar_tag(const char *text)
{
	char	   *tag = pstrdup("$migrate$");

	for (int i = 1; strstr(text, tag) != NULL; i++)
		tag = psprintf("$migrate_%d$", i);
	return tag;
}

/*
 * Run "text" (a body, or one statement of one) through \gexec, after a
 * guard unless "where" is NULL: psql sends each value to the server as a
 * query of its own, the guard first.
 */
static void
append_gexec(StringInfo buf, const ScriptSettings *ss, const char *text,
			 const char *where)
{
	char	   *tag = dollar_tag(text);

	appendStringInfoString(buf, "SELECT ");
	if (where)
	{
		append_guard(buf, ss, where);
		appendStringInfoString(buf, ",\n");
	}
	/* the text right after the tag: positions in errors are the body's own */
	appendStringInfo(buf, "%s%s\n  %s \\gexec\n", tag, text, tag);
}

/* A guard on its own (after a body, before it is recorded). */
static void
append_check(StringInfo buf, const ScriptSettings *ss, const char *where)
{
	appendStringInfoString(buf, "SELECT ");
	append_guard(buf, ss, where);
	appendStringInfoString(buf, " \\gexec\n");
}

static void
append_begin(StringInfo buf)
{
	appendStringInfoString(buf, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(" MIGRATE_LOCK_KEYS_SQL ");\n");
}

/*
 * Step k's body: one query if transactional, else statement by statement.
 * Whatever ran before the body was checked by a guard already (or is the
 * script's own start); a statement after another statement of the body
 * gets a guard of its own.
 */
static void
append_step_body(StringInfo buf, const ScriptSettings *ss, Step *st)
{
	ListCell   *lc;
	int			i = 0;

	if (st->stmts == NIL)
	{
		appendStringInfoString(buf, "-- (no statement)\n");
		return;
	}
	if (st->transactional)
	{
		append_gexec(buf, ss, st->body, NULL);
		return;
	}
	foreach(lc, st->stmts)
	{
		CHECK_FOR_INTERRUPTS();
		i++;
		append_gexec(buf, ss, migrate_step_statement_text(st, lfirst_node(RawStmt, lc)),
					 i == 1 ? NULL :
					 psprintf("before statement %d of revision \"%s\"", i, st->id));
	}
}

Datum
migrate_sql(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_target_arg(fcinfo, 0);
	MigrateDirection dir = migrate_direction_arg(fcinfo, 1);
	Run			run;
	StringInfoData buf;
	bool		in_xact = false;
	ScriptSettings ss;
	MigrateCommitBoundary *pairs;
	int			npairs;
	bool	   *commit_after;

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

	/* the text goes back in the client's encoding: the script declares it */
	ss.client_encoding = pg_get_client_encoding_name();
	ss.std_strings = standard_conforming_strings ? "on" : "off";
	pairs = migrate_run_commit_boundaries(&run, &npairs);
	commit_after = palloc0(sizeof(bool) * run.nsteps);
	for (int i = 0; i < npairs; i++)
		commit_after[pairs[i].adder] = run.steps[pairs[i].adder].transactional;

	appendStringInfo(&buf,
					 "-- Each body reaches the server through \\gexec, as dollar-quoted text\n"
					 "-- that psql passes on without reading it, after a guard that stops the\n"
					 "-- script if a body changed how the rest of it would be read.\n"
					 "\\set ON_ERROR_STOP on\n"
					 "SET client_encoding = %s;\n"
					 "SET standard_conforming_strings = %s;\n\n",
					 quote_literal_cstr(ss.client_encoding), ss.std_strings);
	append_begin(&buf);
	in_xact = true;
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

		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&buf, "\n-- %d/%d %s%s%s\n", k + 1, run.nsteps, st->id,
						 st->message ? ": " : "", comment_text(st->message));
		if (!st->transactional)
		{
			if (in_xact)
				appendStringInfoString(&buf, "COMMIT;\n");
			appendStringInfoString(&buf, "-- not transactional: each statement runs on its own\n");
			in_xact = false;
		}
		append_step_body(&buf, &ss, st);
		append_check(&buf, &ss, psprintf("after revision \"%s\", before recording it", st->id));
		if (!in_xact)
		{
			append_begin(&buf);
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
		if (commit_after[k])
		{
			appendStringInfoString(&buf, "-- a later revision uses an enum value this one adds: commit it first\n"
								   "COMMIT;\n");
			append_begin(&buf);
		}
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
