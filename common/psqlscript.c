/*-------------------------------------------------------------------------
 *
 * psqlscript.c
 *	  The pieces of an offline migration script, for the extension's
 *	  migrate.sql() and the client's "pg_migrate sql --offline" alike: the
 *	  rules are in psqlscript.h.
 *
 * Built as PostgreSQL builds src/common: postgres.h in the extension,
 * postgres_fe.h (FRONTEND) in the client, where palloc, psprintf and
 * StringInfo are libpgcommon's.
 *
 * IDENTIFICATION
 *	  common/psqlscript.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "lockkey.h"
#include "psqlscript.h"

#include "lib/stringinfo.h"

void
migrate_script_comment(StringInfo buf, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		appendStringInfoChar(buf, (c < 0x20 || c >= 0x7f) ? '?' : (char) c);
	}
}

/* Characters a plain '...' constant may hold in a script. */
static bool
plain_literal_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\'' && c != '\\';
}

void
migrate_script_literal(StringInfo buf, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *p;

	for (p = s; *p && plain_literal_char((unsigned char) *p); p++)
		;
	if (*p == '\0')
	{
		appendStringInfo(buf, "'%s'", s);
		return;
	}
	/* no quote, backslash or multibyte character for psql to read */
	appendStringInfoString(buf, "pg_catalog.convert_from(pg_catalog.decode('");
	for (p = s; *p; p++)
	{
		appendStringInfoChar(buf, hex[((unsigned char) *p) >> 4]);
		appendStringInfoChar(buf, hex[((unsigned char) *p) & 15]);
	}
	appendStringInfoString(buf, "', 'hex'), 'UTF8')");
}

char *
migrate_script_dollar_tag(const char *text)
{
	char	   *tag = pstrdup("$migrate$");

	for (int i = 1; strstr(text, tag) != NULL; i++)
	{
		pfree(tag);
		tag = psprintf("$migrate_%d$", i);
	}
	return tag;
}

void
migrate_script_preamble(StringInfo buf, const MigrateScriptSettings *ss)
{
	appendStringInfo(buf,
					 "-- Each body reaches the server through \\gexec, as dollar-quoted text\n"
					 "-- that psql passes on without reading it, after a guard that stops the\n"
					 "-- script if a body changed how the rest of it would be read.\n"
					 "\\set ON_ERROR_STOP on\n"
					 "SET client_encoding = '%s';\n"
					 "SET standard_conforming_strings = %s;\n\n",
					 ss->client_encoding, ss->std_strings);
}

char *
migrate_script_lock(const char *project)
{
	return psprintf("SELECT pg_catalog.pg_advisory_xact_lock(" MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY1) ", %d);\n",
					(int) migrate_lock_key2(project));
}

void
migrate_script_begin(StringInfo buf, const char *lock)
{
	appendStringInfoString(buf, "BEGIN;\n");
	appendStringInfoString(buf, lock);
}

/*
 * A guard: a CASE that yields NULL (\gexec skips it) while the settings
 * are the script's, else a statement that raises an error naming "where".
 * Its text lexes the same with standard_conforming_strings on or off.
 */
static void
append_guard(StringInfo buf, const MigrateScriptSettings *ss, const char *where)
{
	StringInfoData raise;
	StringInfoData message;

	initStringInfo(&message);
	appendStringInfoString(&message, "migrate: a revision body changed standard_conforming_strings or client_encoding; stopping ");
	migrate_script_comment(&message, where);
	initStringInfo(&raise);
	appendStringInfoString(&raise, "DO $migrate_guard$BEGIN RAISE EXCEPTION ''");
	for (const char *p = message.data; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoString(&raise, "''''");
		else if (*p == '%')
			appendStringInfoString(&raise, "%%");	/* RAISE's placeholder */
		else
			appendStringInfoChar(&raise, *p == '\\' ? '/' : *p);
	}
	appendStringInfoString(&raise, "''; END$migrate_guard$");
	appendStringInfo(buf,
					 "CASE WHEN pg_catalog.current_setting('standard_conforming_strings') OPERATOR(pg_catalog.=) '%s'\n"
					 "        AND pg_catalog.current_setting('client_encoding') OPERATOR(pg_catalog.=) '%s' THEN NULL\n"
					 "       ELSE '%s' END",
					 ss->std_strings, ss->client_encoding, raise.data);
	pfree(raise.data);
	pfree(message.data);
}

void
migrate_script_gexec(StringInfo buf, const MigrateScriptSettings *ss,
					 const char *text, const char *where)
{
	char	   *tag = migrate_script_dollar_tag(text);

	appendStringInfoString(buf, "SELECT ");
	if (where)
	{
		append_guard(buf, ss, where);
		appendStringInfoString(buf, ",\n");
	}
	/* the text right after the tag: positions in errors are the body's own */
	appendStringInfo(buf, "%s%s\n  %s \\gexec\n", tag, text, tag);
	pfree(tag);
}

void
migrate_script_check(StringInfo buf, const MigrateScriptSettings *ss, const char *where)
{
	appendStringInfoString(buf, "SELECT ");
	append_guard(buf, ss, where);
	appendStringInfoString(buf, " \\gexec\n");
}

void
migrate_script_body(StringInfo buf, const MigrateScriptSettings *ss,
					const char *id, bool transactional, const char *body,
					const char *const *stmts, int nstmts)
{
	if (nstmts == 0)
	{
		appendStringInfoString(buf, "-- (no statement)\n");
		return;
	}
	if (transactional)
	{
		migrate_script_gexec(buf, ss, body, NULL);
		return;
	}
	for (int i = 0; i < nstmts; i++)
	{
		char	   *where = i == 0 ? NULL :
			psprintf("before statement %d of revision \"%s\"", i + 1, id);

		migrate_script_gexec(buf, ss, stmts[i], where);
		if (where)
			pfree(where);
	}
}

/* ARRAY['a', 'b']::pg_catalog.text[] (ids and checksums: plain ASCII) */
static void
append_text_array(StringInfo buf, const char *const *items, int n)
{
	appendStringInfoString(buf, "ARRAY[");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		if (items[i] == NULL)
			appendStringInfoString(buf, "NULL");
		else
			migrate_script_literal(buf, items[i]);
	}
	appendStringInfoString(buf, "]::pg_catalog.text[]");
}

void
migrate_script_expect_current(StringInfo buf, const char *project,
							  const char *const *ids, int n)
{
	StringInfoData list;

	initStringInfo(&list);
	appendStringInfoChar(&list, '{');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&list, ',');
		migrate_script_comment(&list, ids[i]);
	}
	appendStringInfoChar(&list, '}');
	appendStringInfoString(buf,
						   "DO $migrate$ BEGIN\n"
						   "  IF NOT (SELECT coalesce(pg_catalog.array_agg(c ORDER BY c COLLATE pg_catalog.\"C\"), '{}'::pg_catalog.text[])\n"
						   "            FROM migrate.current(");
	migrate_script_literal(buf, project);
	appendStringInfoString(buf, ") AS c) OPERATOR(pg_catalog.=) ");
	append_text_array(buf, ids, n);
	appendStringInfo(buf, " THEN\n"
					 "    RAISE EXCEPTION 'migrate: this script expects the current revisions to be %%', '%s';\n"
					 "  END IF;\nEND $migrate$;\n", list.data);
	pfree(list.data);
}

void
migrate_script_expect_registered(StringInfo buf, const char *project,
								 const char *const *ids,
								 const char *const *checksums, int n)
{
	if (n == 0)
		return;
	appendStringInfoString(buf,
						   "DO $migrate$ DECLARE missing pg_catalog.text; BEGIN\n"
						   "  SELECT pg_catalog.string_agg(u.id, ', ' ORDER BY u.ord) INTO missing\n"
						   "    FROM ROWS FROM (pg_catalog.unnest(");
	append_text_array(buf, ids, n);
	appendStringInfoString(buf, "), pg_catalog.unnest(");
	append_text_array(buf, checksums, n);
	appendStringInfoString(buf,
						   ")) WITH ORDINALITY AS u(id, checksum, ord)\n"
						   "   WHERE NOT EXISTS (SELECT FROM migrate.revision_checksum r\n"
						   "                      WHERE r.project OPERATOR(pg_catalog.=) ");
	migrate_script_literal(buf, project);
	appendStringInfoString(buf,
						   "\n                        AND r.revision OPERATOR(pg_catalog.=) u.id\n"
						   "                        AND (u.checksum IS NULL OR r.checksum IS NULL\n"
						   "                             OR r.checksum OPERATOR(pg_catalog.=) u.checksum));\n"
						   "  IF missing IS NOT NULL THEN\n"
						   "    RAISE EXCEPTION 'migrate: this script records revisions that are not registered here as it was written for them: %', missing\n"
						   "      USING HINT = 'Register the revision files first (pg_migrate sync), or generate the script from this database.';\n"
						   "  END IF;\nEND $migrate$;\n");
}

void
migrate_script_need_applied(StringInfo buf, StringInfo lock,
							const char *const *projects, const char *const *ids, int n)
{
	StringInfoData checks;

	if (n == 0)
		return;
	initStringInfo(&checks);
	for (int i = 0; i < n; i++)
	{
		bool		project_seen = false;
		bool		pair_seen = false;

		for (int j = 0; j < i; j++)
			if (strcmp(projects[j], projects[i]) == 0)
			{
				project_seen = true;
				if (strcmp(ids[j], ids[i]) == 0)
					pair_seen = true;
			}
		if (pair_seen)
			continue;
		if (!project_seen)
		{
			char	   *shared = psprintf("SELECT pg_catalog.pg_advisory_xact_lock_shared(" MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY1) ", %d);\n",
										  (int) migrate_lock_key2(projects[i]));

			/* the first transaction has its lock already: this one now */
			appendStringInfoString(buf, shared);
			appendStringInfoString(lock, shared);
			pfree(shared);
		}
		appendStringInfoString(&checks, "  IF NOT EXISTS (SELECT 1 FROM migrate.applied a WHERE a.project OPERATOR(pg_catalog.=) ");
		migrate_script_literal(&checks, projects[i]);
		appendStringInfoString(&checks, "\n                   AND a.revision OPERATOR(pg_catalog.=) ");
		migrate_script_literal(&checks, ids[i]);
		appendStringInfoString(&checks, ") THEN\n    RAISE EXCEPTION 'migrate: this script needs revision % of project % applied', ");
		migrate_script_literal(&checks, ids[i]);
		appendStringInfoString(&checks, ", ");
		migrate_script_literal(&checks, projects[i]);
		appendStringInfoString(&checks, ";\n  END IF;\n");
	}
	appendStringInfo(buf, "DO $migrate$ BEGIN\n%sEND $migrate$;\n", checks.data);
	pfree(checks.data);
}

void
migrate_script_register_file(StringInfo buf, const char *content, const char *source,
							 const char *project)
{
	char	   *tag = migrate_script_dollar_tag(content);

	appendStringInfo(buf, "SELECT migrate.add_file(%s\n%s\n  %s, ", tag, content, tag);
	migrate_script_literal(buf, source);
	appendStringInfoString(buf, ", ");
	migrate_script_literal(buf, project);
	appendStringInfoString(buf, ") AS registered;\n");
	pfree(tag);
}

void
migrate_script_record(StringInfo buf, const char *project, bool up, const char *id,
					  const char *checksum)
{
	if (up)
	{
		appendStringInfoString(buf, "INSERT INTO migrate.applied (project, revision, checksum) VALUES (");
		migrate_script_literal(buf, project);
		appendStringInfoString(buf, ", ");
		migrate_script_literal(buf, id);
		appendStringInfoString(buf, ", ");
		if (checksum)
			migrate_script_literal(buf, checksum);
		else
			appendStringInfoString(buf, "NULL");
		appendStringInfoString(buf, ");\n");
	}
	else
	{
		appendStringInfoString(buf, "DELETE FROM migrate.applied WHERE project OPERATOR(pg_catalog.=) ");
		migrate_script_literal(buf, project);
		appendStringInfoString(buf, " AND revision OPERATOR(pg_catalog.=) ");
		migrate_script_literal(buf, id);
		appendStringInfoString(buf, ";\n");
	}
}

void
migrate_script_finish(StringInfo buf, const char *project, bool up, const char *kind,
					  const char *target,
					  const char *const *from, int nfrom,
					  const char *const *to, int nto,
					  const char *const *steps, int nsteps,
					  const char *application_name)
{
	appendStringInfoString(buf,
						   "\nWITH r AS (\n"
						   "  INSERT INTO migrate.run_log (project, kind, target, status, finished_at, from_heads, to_heads, application_name)\n"
						   "  VALUES (");
	migrate_script_literal(buf, project);
	appendStringInfoString(buf, ", ");
	migrate_script_literal(buf, kind);
	appendStringInfoString(buf, ", ");
	migrate_script_literal(buf, target);
	appendStringInfoString(buf, ", 'succeeded', pg_catalog.clock_timestamp(), ");
	append_text_array(buf, from, nfrom);
	appendStringInfoString(buf, ", ");
	append_text_array(buf, to, nto);
	appendStringInfoString(buf, ", ");
	migrate_script_literal(buf, application_name);
	appendStringInfoString(buf, "::pg_catalog.text)\n  RETURNING id, project),\n"
						   "s AS (\n"
						   "  INSERT INTO migrate.run_step (project, run_id, step, revision, direction, started_at, status)\n"
						   "  SELECT r.project, r.id, v.step, v.revision, ");
	appendStringInfo(buf, "'%s', pg_catalog.now(), 'succeeded'\n"
					 "    FROM r, (VALUES ", up ? "up" : "down");
	for (int k = 0; k < nsteps; k++)
	{
		appendStringInfo(buf, "%s(%d, ", k > 0 ? ", " : "", k + 1);
		migrate_script_literal(buf, steps[k]);
		appendStringInfoChar(buf, ')');
	}
	appendStringInfoString(buf, ") AS v(step, revision))\n");
	if (up)
	{
		appendStringInfoString(buf,
							   "UPDATE migrate.applied AS a SET run_id = r.id FROM r\n"
							   " WHERE a.project OPERATOR(pg_catalog.=) r.project\n"
							   "   AND a.revision OPERATOR(pg_catalog.=) ANY (");
		append_text_array(buf, steps, nsteps);
		appendStringInfoString(buf, ");\n");
	}
	else
		appendStringInfoString(buf, "SELECT count(*) AS steps_recorded FROM r;\n");
	appendStringInfoString(buf, "COMMIT;\n");
}
