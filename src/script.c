/*-------------------------------------------------------------------------
 *
 * script.c
 *	  migrate.sql(target, direction): the offline script, a psql script
 *	  that does what upgrade() or downgrade() would, for review or for a
 *	  DBA to run (like `alembic upgrade head --sql`).
 *
 * The plan is computed as upgrade() would compute it, under the project's
 * migration lock, and every body is parsed first, so that a script is never
 * written for a plan that upgrade() would refuse.  The script takes the
 * same advisory lock (the project's key, common/lockkey.h), checks that
 * the project is at the state the script was planned from
 * (migrate.current(project)), runs the bodies (a non-transactional revision
 * outside any transaction block, statement by statement as psql sends
 * them), and records the applied state, the run and its steps in the
 * project.  At its start it also checks that every revision it will record
 * is registered with the checksum it records (run into another database, a
 * fresh one, it stops there instead of leaving applied_unknown rows).
 * After a revision that adds an enum value a later revision of the plan
 * uses (commit_boundary.c) it commits, as CALL migrate.run does, so that
 * the plan goes through.
 *
 * The text of the script is written by common/psqlscript.c, which
 * "pg_migrate sql --offline" uses too: one set of rules for both.
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
 *	    backslash, as ids and checksums are; any other text, a target, as
 *	    convert_from(decode('<hex>', 'hex'), 'UTF8')), and comments with
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
 * The role boundary (rights.c) in a script: a body registered by a role
 * that is not a superuser runs between SET ROLE <that role> and RESET ROLE,
 * and the script tries every such SET ROLE before the first body, so that
 * a session that may not take one of the roles stops before anything runs.
 * What a script cannot do: psql runs it with the rights of whoever runs
 * it, and a body can RESET ROLE itself; the script is for review, and the
 * boundary holds only in upgrade(), downgrade() and CALL migrate.run.
 *
 * IDENTIFICATION
 *	  src/script.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"
#include "lockkey.h"
#include "psqlscript.h"

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(migrate_sql);

/*
 * The role a body runs as in the script, or NULL: the role that registered
 * it unless that role is a superuser (nothing to contain).  Decided by the
 * registrant alone, not by who generates the script, so that a script
 * generated by a deployer and run by a DBA still runs the deployer's bodies
 * as the deployer.
 */
static const char *
script_role(Step *st)
{
	Oid			role = st->registered_by ? get_role_oid(st->registered_by, true) : InvalidOid;

	if (st->registered_by == NULL || (OidIsValid(role) && superuser_arg(role)))
		return NULL;
	return st->registered_by;
}

/* A text[] datum as C strings (ids: no NULLs). */
static const char **
text_array_items(Datum arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	const char **out;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	return out;
}

/*
 * Step k's body: one query if transactional, else statement by statement
 * (the raw parser's statements: psqlscript.c puts a guard before each but
 * the first).
 */
static void
append_step_body(StringInfo buf, const MigrateScriptSettings *ss, Step *st)
{
	int			n = list_length(st->stmts);
	const char **stmts = palloc(sizeof(char *) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	if (!st->transactional)
		foreach(lc, st->stmts)
		{
			CHECK_FOR_INTERRUPTS();
			stmts[i++] = migrate_step_statement_text(st, lfirst_node(RawStmt, lc));
		}
	migrate_script_body(buf, ss, st->id, st->transactional, st->body, stmts, n);
}

/*
 * What the script checks of other projects, as upgrade() and downgrade()
 * do: an upgrade whose revisions depend on other projects' revisions takes
 * those projects' locks in share mode (added to "lock", which every
 * transaction of the script takes) and checks that they are applied; a
 * downgrade checks that no other project's applied revision depends on what
 * it reverts (only when some revision of another project names this one).
 */
static void
append_other_projects(StringInfo buf, Run *run, StringInfo lock)
{
	MigrateGraph *graph = run->graph;

	if (run->dir == MIGRATE_UP && graph->nexternals > 0)
	{
		const char **projects = palloc(sizeof(char *) * graph->nexternals);
		const char **ids = palloc(sizeof(char *) * graph->nexternals);
		bool	   *seen = palloc0(graph->nexternals);
		int			n = 0;

		for (int k = 0; k < run->nsteps; k++)
		{
			MigrateRevision *r = &graph->revs[run->steps[k].idx];

			CHECK_FOR_INTERRUPTS();
			for (int j = 0; j < r->ndepends; j++)
			{
				int			e;

				if (!MIGRATE_DEP_IS_EXTERNAL(r->depend_idx[j]))
					continue;
				e = MIGRATE_DEP_EXTERNAL_INDEX(r->depend_idx[j]);
				if (seen[e])
					continue;
				seen[e] = true;
				projects[n] = graph->externals[e].project;
				ids[n++] = graph->externals[e].id;
			}
		}
		migrate_script_need_applied(buf, lock, projects, ids, n);
	}
	else if (run->dir == MIGRATE_DOWN && migrate_project_has_dependents(run->project))
	{
		appendStringInfo(buf,
						 "DO $migrate$ BEGIN\n"
						 "  IF EXISTS (SELECT 1 FROM migrate.revision r JOIN migrate.applied a\n"
						 "               ON a.project OPERATOR(pg_catalog.=) r.project AND a.revision OPERATOR(pg_catalog.=) r.id\n"
						 "              WHERE r.project OPERATOR(pg_catalog.<>) %s\n"
						 "                AND r.depends_on OPERATOR(pg_catalog.&&) ARRAY[",
						 quote_literal_cstr(run->project));
		for (int k = 0; k < run->nsteps; k++)
			appendStringInfo(buf, "%s%s", k > 0 ? ", " : "",
							 quote_literal_cstr(psprintf("%s:%s", run->project, run->steps[k].id)));
		appendStringInfoString(buf,
							   "]::pg_catalog.text[]) THEN\n"
							   "    RAISE EXCEPTION 'migrate: an applied revision of another project depends on a revision this script reverts';\n"
							   "  END IF;\nEND $migrate$;\n");
	}
}

Datum
migrate_sql(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_target_arg(fcinfo, 0);
	MigrateDirection dir = migrate_direction_arg(fcinfo, 1);
	const char *project = migrate_project_arg(fcinfo, 2);
	StringInfoData lock;
	Run			run;
	StringInfoData buf;
	bool		in_xact = false;
	MigrateScriptSettings ss;
	MigrateCommitBoundary *pairs;
	int			npairs;
	bool	   *commit_after;
	const char **from;
	int			nfrom;
	const char **to;
	int			nto;
	const char **ids;
	const char **sums;

	initStringInfo(&lock);
	appendStringInfoString(&lock, migrate_script_lock(project));
	migrate_run_init(&run, project, dir, migrate_body_kind(dir), target);
	if (migrate_target_is_range(target))
	{
		/* 'A:B': from state A (whatever is applied) to B */
		char	   *start;
		char	   *end;

		migrate_range_split(target, &start, &end);
		run.start_state = start;
		run.target = end[0] != '\0' ? end : dir == MIGRATE_UP ? "heads" : "base";
	}
	/* reads only, but plans as upgrade() would: under the lock */
	migrate_run_plan(&run, CurrentMemoryContext);
	initStringInfo(&buf);
	appendStringInfo(&buf, "-- migrate: %s", run.kind);
	if (strcmp(project, "default") != 0)
	{
		appendStringInfoString(&buf, " of project ");
		migrate_script_comment(&buf, quote_literal_cstr(project));
	}
	appendStringInfoString(&buf, run.start_state ? " over the range " : " to ");
	migrate_script_comment(&buf, quote_literal_cstr(target));
	appendStringInfo(&buf, ", %d revision%s\n-- generated %s for database ",
					 run.nsteps, run.nsteps == 1 ? "" : "s",
					 timestamptz_to_str(GetCurrentTimestamp()));
	migrate_script_comment(&buf, quote_identifier(get_database_name(MyDatabaseId)));
	appendStringInfoString(&buf, "; run with: psql -v ON_ERROR_STOP=1 -f <file>\n");
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
	from = text_array_items(run.from_heads, &nfrom);
	ids = palloc(sizeof(char *) * run.nsteps);
	sums = palloc(sizeof(char *) * run.nsteps);
	for (int k = 0; k < run.nsteps; k++)
	{
		ids[k] = run.steps[k].id;
		sums[k] = run.steps[k].checksum;
	}

	migrate_script_preamble(&buf, &ss);
	migrate_script_begin(&buf, lock.data);
	in_xact = true;
	migrate_script_expect_current(&buf, project, from, nfrom);
	if (dir == MIGRATE_UP)
		migrate_script_expect_registered(&buf, project, ids, sums, run.nsteps);
	append_other_projects(&buf, &run, &lock);

	/*
	 * The role boundary, as far as a script can have it: each body whose
	 * registrant is not a superuser runs under SET ROLE to that role.  Try
	 * each such role once here, so that a session that may not take one
	 * stops before the first body runs (42501, as upgrade() refuses).
	 */
	{
		List	   *roles = NIL;

		for (int k = 0; k < run.nsteps; k++)
		{
			const char *role = script_role(&run.steps[k]);
			ListCell   *lc;
			bool		seen = false;

			if (role == NULL)
				continue;
			foreach(lc, roles)
				if (strcmp((const char *) lfirst(lc), role) == 0)
					seen = true;
			if (!seen)
				roles = lappend(roles, (void *) role);
		}
		if (roles != NIL)
		{
			ListCell   *lc;

			appendStringInfoString(&buf, "-- bodies run as the roles that registered them; this session must be able to SET ROLE to each\n");
			foreach(lc, roles)
				appendStringInfo(&buf, "SET ROLE %s;\n", quote_identifier((const char *) lfirst(lc)));
			appendStringInfoString(&buf, "RESET ROLE;\n");
		}
	}

	for (int k = 0; k < run.nsteps; k++)
	{
		Step	   *st = &run.steps[k];

		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&buf, "\n-- %d/%d %s", k + 1, run.nsteps, st->id);
		if (st->message)
		{
			appendStringInfoString(&buf, ": ");
			migrate_script_comment(&buf, st->message);
		}
		appendStringInfoChar(&buf, '\n');
		if (!st->transactional)
		{
			if (in_xact)
				appendStringInfoString(&buf, "COMMIT;\n");
			appendStringInfoString(&buf, "-- not transactional: each statement runs on its own\n");
			in_xact = false;
		}
		if (script_role(st))
			appendStringInfo(&buf, "SET ROLE %s;\n", quote_identifier(script_role(st)));
		append_step_body(&buf, &ss, st);
		if (script_role(st))
			appendStringInfoString(&buf, "RESET ROLE;\n");
		migrate_script_check(&buf, &ss, psprintf("after revision \"%s\", before recording it", st->id));
		if (!in_xact)
		{
			migrate_script_begin(&buf, lock.data);
			in_xact = true;
		}
		migrate_script_record(&buf, project, dir == MIGRATE_UP, st->id, st->checksum);
		if (commit_after[k])
		{
			appendStringInfoString(&buf, "-- a later revision uses an enum value this one adds: commit it first\n"
								   "COMMIT;\n");
			migrate_script_begin(&buf, lock.data);
		}
		run.graph->revs[st->idx].applied = (dir == MIGRATE_UP);
	}
	/* the run, its steps, and (upgrade) the run id of what it applied */
	to = text_array_items(migrate_currents_array(run.graph), &nto);
	migrate_script_finish(&buf, project, dir == MIGRATE_UP, run.kind, target, from, nfrom,
						  to, nto, ids, run.nsteps, "migrate.sql script");
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}
