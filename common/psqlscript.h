/*-------------------------------------------------------------------------
 *
 * psqlscript.h
 *	  The pieces of an offline migration script (a psql script that does
 *	  what upgrade() or downgrade() would), written once for the
 *	  extension's migrate.sql() and the client's "pg_migrate sql
 *	  --offline", so that both follow the same safety rules.
 *
 * What psql reads.  psql lexes a script itself, to find where statements
 * end and which lines are meta-commands (\! runs a shell command), and it
 * lexes string constants by standard_conforming_strings as the server last
 * reported it.  A body pasted into the script would be read by psql, not
 * only by the server: after a body's set_config('standard_conforming_strings',
 * 'off', ...), 'x\' no longer ends a string, and a line of what the server
 * saw as one harmless constant becomes a meta-command.  So no body is ever
 * pasted where psql lexes it:
 *	  - each body (each statement, for a non-transactional one) is a
 *		dollar-quoted constant of a SELECT whose result psql runs with
 *		\gexec.  psql passes dollar-quoted text on without looking inside,
 *		whatever standard_conforming_strings says, and \gexec sends each
 *		value to the server as a query of its own, never through psql's
 *		lexer.  The tag does not occur in the text, and three ASCII bytes
 *		precede the closing one, so that no multibyte sequence of any
 *		client encoding can swallow its first "$";
 *	  - everything else psql reads is ours and ASCII: bookkeeping whose
 *		string constants lex the same either way ('...' without a backslash
 *		for ids and checksums; any other text as
 *		convert_from(decode('<hex>', 'hex'), 'UTF8')), and comments with
 *		every byte outside printable ASCII replaced;
 *	  - the script sets client_encoding and standard_conforming_strings
 *		itself, as pg_dump does, and after each body (before it is
 *		recorded), and before each statement but the first of a
 *		non-transactional body, a guard checks them: if a body changed
 *		either, the guard raises an error and ON_ERROR_STOP ends the script
 *		there, before psql has read anything that follows as a statement.
 * A transactional body goes to the server as one query, which the server
 * parses whole before running any of it.  No ";" line follows a body: each
 * is a value of its own, ended by \gexec.
 *
 * The bookkeeping (what the script records, in the extension's catalog)
 * is written here too, schema-qualified and with pg_catalog operators, so
 * that objects a user creates in the search_path cannot change it, in the
 * project the script is for (its migration lock, its current revisions,
 * its applied rows and runs).  A script checks at its start that the
 * project is in the state it was written for, that every revision it will
 * record is registered with the checksum it records (so that a script run
 * into another database never leaves applied_unknown rows behind), and
 * that other projects' revisions it depends on are applied.
 *
 * Plain C on libpgcommon's StringInfo and psprintf, built as src/common is
 * (postgres.h in the extension, postgres_fe.h in the client).
 *
 * IDENTIFICATION
 *	  common/psqlscript.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_PSQLSCRIPT_H
#define MIGRATE_PSQLSCRIPT_H

#include <stdbool.h>

#include "lib/stringinfo.h"

/* What the script was written for: the settings its guards check. */
typedef struct MigrateScriptSettings
{
	const char *client_encoding;	/* e.g. "UTF8" */
	const char *std_strings;	/* "on" or "off" */
} MigrateScriptSettings;

/* Text for a "--" comment line: non-printable and non-ASCII bytes -> '?' */
extern void migrate_script_comment(StringInfo buf, const char *s);

/* A constant that psql lexes the same with either string setting. */
extern void migrate_script_literal(StringInfo buf, const char *s);

/* A dollar-quote tag ("$migrate$", "$migrate_1$", ...) not in "text". */
extern char *migrate_script_dollar_tag(const char *text);

/* \set ON_ERROR_STOP, SET client_encoding and standard_conforming_strings */
extern void migrate_script_preamble(StringInfo buf, const MigrateScriptSettings *ss);

/*
 * The statement that takes a project's migration lock (common/lockkey.h),
 * palloc'd; every transaction of a script takes it (with the shared locks
 * of the projects its revisions depend on, migrate_script_need_applied).
 */
extern char *migrate_script_lock(const char *project);

/* BEGIN and the lock statements ("lock") */
extern void migrate_script_begin(StringInfo buf, const char *lock);

/*
 * Run "text" (a body, or one statement of one) through \gexec, after a
 * guard unless "where" is NULL.
 */
extern void migrate_script_gexec(StringInfo buf, const MigrateScriptSettings *ss,
								 const char *text, const char *where);

/* A guard on its own (after a body, before it is recorded). */
extern void migrate_script_check(StringInfo buf, const MigrateScriptSettings *ss,
								 const char *where);

/*
 * A revision's body: transactional, one \gexec; else its statements (given
 * by the caller, who knows how to split it), each after a guard but the
 * first.  No statement: a comment saying so.
 */
extern void migrate_script_body(StringInfo buf, const MigrateScriptSettings *ss,
								const char *id, bool transactional,
								const char *body, const char *const *stmts,
								int nstmts);

/*
 * The start-up check: migrate.current(project) is exactly these ids (C
 * order).
 */
extern void migrate_script_expect_current(StringInfo buf, const char *project,
										  const char *const *ids, int n);

/*
 * The start-up check of what the script will record: each id is
 * registered with that checksum (NULL: any).  Read through
 * migrate.revision_checksum, which every role may read: where the running
 * role may not see a checksum, the id alone is checked.
 */
extern void migrate_script_expect_registered(StringInfo buf, const char *project,
											 const char *const *ids,
											 const char *const *checksums, int n);

/*
 * An upgrade whose revisions depend on other projects' revisions
 * (depends_on "project:id"), as upgrade() does: those projects' locks in
 * share mode (appended to *lock, which later transactions take too, and
 * taken now) and a check that the revisions are applied.  n: how many
 * (project, id) pairs; repeats are fine.
 */
extern void migrate_script_need_applied(StringInfo buf, StringInfo lock,
										const char *const *projects,
										const char *const *ids, int n);

/* Register a revision file, as migrate.add_file(content, source, project). */
extern void migrate_script_register_file(StringInfo buf, const char *content,
										 const char *source, const char *project);

/* Record one revision of the project applied (up) or reverted. */
extern void migrate_script_record(StringInfo buf, const char *project, bool up,
								  const char *id, const char *checksum);

/*
 * The run and its steps (and, up, the run id of what it applied); ends the
 * script's transaction.  from/to: the current revisions before and after.
 */
extern void migrate_script_finish(StringInfo buf, const char *project, bool up,
								  const char *kind, const char *target,
								  const char *const *from, int nfrom,
								  const char *const *to, int nto,
								  const char *const *steps, int nsteps,
								  const char *application_name);

#endif							/* MIGRATE_PSQLSCRIPT_H */
