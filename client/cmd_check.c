/*-------------------------------------------------------------------------
 *
 * cmd_check.c
 *	  check: validate the files and the chain.
 *
 * Findings are printed on stdout, one per line, with the file they concern:
 *
 *	   migrations/189b1231afd4_bootstrap.sql:3: error: invalid ... [parse_error]
 *	   migrations/189b1231afd4_bootstrap.sql: error: ... [source_mismatch]
 *	   warning: 2 heads: a1, b2 [multiple_heads]
 *
 * First the files, before any connection: parse errors (with their line)
 * and ids declared twice.  If the files are sound, migrate.validate()
 * judges the chain as the database would hold it after a sync, registering
 * nothing: the files it does not hold as they are go to migrate.add_file
 * in a transaction that is rolled back (server_findings), so that every
 * body is parsed by the server.  Missing parents and dependencies, cycles,
 * duplicate labels, applied revisions that are unknown, out of order or
 * edited, files that declare another id than their name, bodies that do
 * not parse, several heads or bases.  A role that may not register (or a
 * migration holding the lock) gets the chain rules on the files laid over
 * the registered revisions in memory (model.c) instead, with a note.  Then
 * what the files and the database disagree on (model.c): an applied
 * revision's file edited (error), a registered revision with no file
 * (warning), a renamed file (info); and upgrade sections with no statement
 * (warning).  With --offline the chain rules of migrate.validate()
 * (../common/chain.c, the same code) are applied to the files, without a
 * database: the same findings, codes, severities and messages as online
 * for what the files alone can tell.
 *
 * Then the lint findings of the pending plan (migrate.lint('heads'), through
 * cmd_lint.c): shown; its errors fail only with --strict.
 *
 * Exit status 1 if any finding is an error (or a warning or a lint error,
 * with --strict).
 *
 * IDENTIFICATION
 *	  client/cmd_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

typedef struct Finding
{
	const char *severity;
	char	   *code;
	char	   *revision;
	char	   *file;			/* path, when known */
	size_t		line;
	char	   *message;
} Finding;

typedef struct Findings
{
	Finding    *f;
	size_t		n;
	size_t		cap;
	int			errors;
	int			warnings;
	int			infos;
	LintFindings lint;			/* the pending plan's (cmd_lint.c) */
} Findings;

static void
report_finding(Findings *fs, const char *severity, const char *code,
			   const char *revision, const char *file, size_t line,
			   const char *message)
{
	Finding    *f;

	if (fs->n == fs->cap)
	{
		fs->cap = fs->cap ? fs->cap * 2 : 16;
		fs->f = pgm_realloc(fs->f, fs->cap * sizeof(Finding));
	}
	f = &fs->f[fs->n++];
	f->severity = strcmp(severity, "error") == 0 ? "error" :
		strcmp(severity, "warning") == 0 ? "warning" : "info";
	f->code = pgm_strdup(code);
	f->revision = revision ? pgm_strdup(revision) : NULL;
	f->file = file ? pgm_strdup(file) : NULL;
	f->line = line;
	f->message = pgm_strdup(message);
	if (f->severity[0] == 'e')
		fs->errors++;
	else if (f->severity[0] == 'w')
		fs->warnings++;
	else
		fs->infos++;
}

static const char *
path_of(const RevDir *rd, const char *id)
{
	RevEntry   *e;

	if (rd == NULL || id == NULL)
		return NULL;
	e = revdir_find(rd, id);
	return e ? e->path : NULL;
}

/* Parse errors and duplicate ids: nothing else can be judged before. */
static void
file_findings(const RevDir *rd, Findings *fs)
{
	for (size_t i = 0; i < rd->n; i++)
	{
		const RevEntry *e = &rd->e[i];

		if (e->valid)
			continue;
		if (e->rf.n_errors == 0)
			report_finding(fs, "error", "unreadable_file", NULL, e->path, 0,
						   e->read_error ? e->read_error : "could not read the file");
		for (size_t k = 0; k < e->rf.n_errors; k++)
			report_finding(fs, "error", "parse_error", NULL, e->path, e->rf.errors[k].line,
						   e->rf.errors[k].message);
	}
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const RevEntry *e = &rd->e[rd->by_id[i]];
		char	   *msg;

		if (!e->duplicate)
			continue;
		msg = pgm_psprintf("revision \"%s\" is declared by more than one file", e->rf.revision);
		report_finding(fs, "error", "duplicate_id", e->rf.revision, e->path, 1, msg);
		free(msg);
	}
}

/*
 * --offline: the chain rules of migrate.validate() (../common/chain.c, the
 * extension's own code) on the files, seen through this view: the valid
 * entries of the directory by index, their parents and dependencies as
 * entry indexes, the file name as the source (as sync sends it).  Run only
 * when no file has a problem, so no id is declared twice.
 */
typedef struct FileChain
{
	const RevDir *rd;
	size_t	   *start;			/* entry i's edges begin at pool[start[i]]: */
	int		   *pool;			/* its parents, then its dependencies */
} FileChain;

static bool
file_chain_revision(const void *chain, int index, MigrateChainRevision *out)
{
	const FileChain *fc = chain;
	const RevEntry *e = &fc->rd->e[index];

	if (!e->valid)
		return false;
	out->id = e->rf.revision;
	out->source = e->file;
	out->parents = e->rf.down_revision;
	out->parent_idx = &fc->pool[fc->start[index]];
	out->depends = e->rf.depends_on;
	out->depend_idx = &fc->pool[fc->start[index] + e->rf.n_down_revision];
	out->labels = e->rf.branch_labels;
	out->nparents = (int) e->rf.n_down_revision;
	out->ndepends = (int) e->rf.n_depends_on;
	out->nlabels = (int) e->rf.n_branch_labels;
	out->has_downgrade = e->rf.downgrade != NULL;
	return true;
}

static int
entry_index(const RevDir *rd, const char *id)
{
	RevEntry   *e = revdir_find(rd, id);

	return e ? (int) (e - rd->e) : -1;
}

/*
 * A dependency's index: "project:id" of the directory's own project is its
 * id; of another project, -2 (its revision is in the database, not in these
 * files: the chain rules leave it to the server's validate()).
 */
static int
dependency_index(const RevDir *rd, const char *dep)
{
	const char *colon = strchr(dep, ':');

	if (colon == NULL)
		return entry_index(rd, dep);
	if (strlen(opt.project) == (size_t) (colon - dep) &&
		strncmp(opt.project, dep, colon - dep) == 0)
		return entry_index(rd, colon + 1);
	return -2;
}

typedef struct ChainFound
{
	MigrateFinding *items;
	size_t		n;
	size_t		cap;
} ChainFound;

static void
collect_chain_finding(void *arg, MigrateSeverity severity, const char *code,
					  const char *revision, char *message)
{
	ChainFound *found = arg;
	MigrateFinding *f;

	if (found->n == found->cap)
	{
		found->cap = found->cap ? found->cap * 2 : 16;
		found->items = pgm_realloc(found->items, found->cap * sizeof(MigrateFinding));
	}
	f = &found->items[found->n++];
	f->severity = severity;
	f->code = code;
	f->revision = revision ? pgm_strdup(revision) : NULL;
	f->message = message;
}

static void
offline_findings(const RevDir *rd, Findings *fs)
{
	FileChain	fc;
	MigrateChainView view;
	ChainFound	found = {0};
	size_t		nedges = 0;

	fc.rd = rd;
	fc.start = pgm_malloc(sizeof(size_t) * (rd->n ? rd->n : 1));
	for (size_t i = 0; i < rd->n; i++)
	{
		fc.start[i] = nedges;
		if (rd->e[i].valid)
			nedges += rd->e[i].rf.n_down_revision + rd->e[i].rf.n_depends_on;
	}
	fc.pool = pgm_malloc(sizeof(int) * (nedges ? nedges : 1));
	for (size_t i = 0; i < rd->n; i++)
	{
		const RevFile *rf = &rd->e[i].rf;
		int		   *edge = &fc.pool[fc.start[i]];

		if (!rd->e[i].valid)
			continue;
		for (size_t k = 0; k < rf->n_down_revision; k++)
			*edge++ = entry_index(rd, rf->down_revision[k]);
		for (size_t k = 0; k < rf->n_depends_on; k++)
			*edge++ = dependency_index(rd, rf->depends_on[k]);
	}

	view.nrevs = (int) rd->n;
	view.revision = file_chain_revision;
	view.chain = &fc;
	view.acyclic = false;		/* not known: the rules search */
	migrate_chain_findings(&view, collect_chain_finding, &found);

	/* in migrate.validate()'s order, each with its file */
	if (found.n > 1)
		qsort(found.items, found.n, sizeof(MigrateFinding), migrate_finding_cmp);
	for (size_t i = 0; i < found.n; i++)
	{
		MigrateFinding *f = &found.items[i];

		report_finding(fs, migrate_severity_name(f->severity), f->code, f->revision,
					   path_of(rd, f->revision), 0, f->message);
		free(f->revision);
		free(f->message);
	}
	free(found.items);
	free(fc.start);
	free(fc.pool);
}

static void
print_findings(const Findings *fs)
{
	for (size_t i = 0; i < fs->n; i++)
	{
		const Finding *f = &fs->f[i];

		if (f->severity[0] == 'i' && !opt.verbose)
			continue;
		if (f->file && f->line > 0)
			printf("%s:%zu: %s: %s [%s]\n", f->file, f->line, f->severity, f->message, f->code);
		else if (f->file)
			printf("%s: %s: %s [%s]\n", f->file, f->severity, f->message, f->code);
		else
			printf("%s: %s [%s]\n", f->severity, f->message, f->code);
	}
}

static int
finish(Ctx *ctx, Findings *fs, bool db_checked, int nrevisions)
{
	/* lint's findings are shown; its errors fail only with --strict */
	bool		failed = fs->errors > 0 ||
		(opt.strict && (fs->warnings > 0 || fs->lint.errors > 0));

	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_kv_bool(&w, "valid", !failed);
		json_kv_bool(&w, "database_checked", db_checked);
		json_kv_int(&w, "revisions", nrevisions);
		json_kv_int(&w, "errors", fs->errors);
		json_kv_int(&w, "warnings", fs->warnings);
		json_key(&w, "findings");
		json_begin_array(&w);
		for (size_t i = 0; i < fs->n; i++)
		{
			const Finding *f = &fs->f[i];

			json_begin_object(&w);
			json_kv_string(&w, "severity", f->severity);
			json_kv_string(&w, "code", f->code);
			json_kv_string(&w, "revision", f->revision);
			json_kv_string(&w, "file", f->file);
			json_key(&w, "line");
			if (f->line > 0)
				json_int(&w, (long long) f->line);
			else
				json_null(&w);
			json_kv_string(&w, "message", f->message);
			json_end_object(&w);
		}
		json_end_array(&w);
		json_kv_int(&w, "lint_errors", fs->lint.errors);
		json_kv_int(&w, "lint_warnings", fs->lint.warnings);
		lint_json(&w, "lint", &fs->lint);
		result_end(&w);
	}
	else
	{
		print_findings(fs);
		/* lint's warnings and errors; its info (every lock) is lint -v's */
		lint_print(&fs->lint, stdout, false);
		if (fs->lint.errors + fs->lint.warnings > 0)
			printf("lint of the pending plan: %d error%s, %d warning%s%s\n",
				   fs->lint.errors, fs->lint.errors == 1 ? "" : "s",
				   fs->lint.warnings, fs->lint.warnings == 1 ? "" : "s",
				   fs->lint.errors > 0 && !opt.strict ? " (lint errors fail with --strict)" : "");
		if (fs->errors == 0 && fs->warnings == 0)
			printf("check: no problems (%d revision%s%s)\n", nrevisions, nrevisions == 1 ? "" : "s",
				   db_checked ? "" : ", files only");
		else
			printf("check: %d error%s, %d warning%s%s%s\n", fs->errors, fs->errors == 1 ? "" : "s",
				   fs->warnings, fs->warnings == 1 ? "" : "s",
				   failed ? "" : " (warnings do not fail without --strict)",
				   !db_checked && !opt.offline ? "; the database was not checked: fix the files first" : "");
	}
	set_summary("%d error%s, %d warning%s", fs->errors, fs->errors == 1 ? "" : "s",
				fs->warnings, fs->warnings == 1 ? "" : "s");
	return failed ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

/*
 * The chain rules on the model: the files over the registered revisions,
 * what the database will hold after the next sync.
 */
static bool
model_chain_revision(const void *chain, int index, MigrateChainRevision *out)
{
	const Rev  *r = &((const Model *) chain)->revs[index];

	out->id = r->id;
	out->source = r->source;
	out->parents = r->parents;
	out->parent_idx = r->parent_idx;
	out->depends = r->depends;
	out->depend_idx = r->depend_idx;
	out->labels = r->labels;
	out->nparents = r->nparents;
	out->ndepends = r->ndepends;
	out->nlabels = r->nlabels;
	out->has_downgrade = r->reversible;
	return true;
}

static void
model_findings(const Model *m, const RevDir *rd, Findings *fs)
{
	MigrateChainView view;
	ChainFound	found = {0};

	view.nrevs = m->n;
	view.revision = model_chain_revision;
	view.chain = m;
	view.acyclic = false;
	migrate_chain_findings(&view, collect_chain_finding, &found);
	if (found.n > 1)
		qsort(found.items, found.n, sizeof(MigrateFinding), migrate_finding_cmp);
	for (size_t i = 0; i < found.n; i++)
	{
		MigrateFinding *f = &found.items[i];

		report_finding(fs, migrate_severity_name(f->severity), f->code, f->revision,
					   path_of(rd, f->revision), 0, f->message);
		free(f->revision);
		free(f->message);
	}
	free(found.items);
}

/*
 * An upgrade body with no statement: a revision that does nothing.  A merge
 * revision is one by nature (validate() says the same).
 */
static void
empty_body_findings(const RevDir *rd, Findings *fs)
{
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const RevEntry *e = &rd->e[rd->by_id[i]];
		char	   *msg;

		if (e->rf.n_down_revision > 1 ||
			(e->rf.upgrade != NULL && sql_split(e->rf.upgrade, NULL) > 0))
			continue;
		msg = pgm_psprintf("the upgrade section of revision \"%s\" has no statement: the revision would do nothing",
						   e->rf.revision);
		report_finding(fs, "warning", "empty_upgrade", e->rf.revision, e->path,
					   e->rf.upgrade_line, msg);
		free(msg);
	}
}

/* What the files and the database disagree on (model.c). */
static void
diff_findings(const Model *m, Findings *fs)
{
	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];
		const char *path = r->file ? r->file->path : NULL;
		char	   *msg = NULL;
		const char *severity = "info";
		const char *code = NULL;

		switch (r->state)
		{
			case RS_SAME:
			case RS_REFRESHED:
				break;
			case RS_NEW:
				break;			/* the comparison on stderr says so */
			case RS_RENAMED:
				code = "renamed";
				msg = pgm_psprintf("revision \"%s\" is registered from \"%s\": the next sync records the new file name",
								   r->id, r->reg_source ? r->reg_source : "");
				break;
			case RS_CHANGED:
				if (r->applied)
				{
					severity = "error";
					code = "applied_file_changed";
					msg = pgm_psprintf("the file of applied revision \"%s\" differs from the version that ran: "
									   "the database keeps that version (downgrade runs it), and upgrade refuses the edit; "
									   "restore the file, or put the change in a new revision (pg_migrate revision)",
									   r->id);
				}
				else
				{
					code = "file_changed";
					msg = pgm_psprintf("pending revision \"%s\" changed since it was registered: upgrade registers the new version",
									   r->id);
				}
				break;
			case RS_NO_FILE:
				severity = "warning";
				code = "missing_file";
				msg = r->applied
					? pgm_psprintf("applied revision \"%s\" is registered but no file in \"%s\" declares it (a deleted file, or another service's revision)",
								   r->id, opt.directory)
					: pgm_psprintf("pending revision \"%s\" is registered but no file in \"%s\" declares it: upgrade will not run it without --allow-missing (restore the file, or \"pg_migrate sync --prune\")",
								   r->id, opt.directory);
				break;
		}
		if (code != NULL)
			report_finding(fs, severity, code, r->id, path, 0, msg);
		free(msg);
	}
}

/*
 * migrate.validate()'s findings, each with its file (a body's problem at
 * its line in the file).  "only_database": the chain rules ran on the
 * model, keep only what needs the database (revisions applied but not
 * registered or out of order, an applied checksum that is not the
 * registered one, a registered body that does not parse, unless its file
 * changed).
 */
static bool
database_findings(Ctx *ctx, Findings *fs, bool only_database)
{
	PGresult   *res = db_query(ctx->conn,
							   "SELECT severity, code, revision, message FROM migrate.validate($1)",
							   1, (const char *[]) {opt.project});

	if (res == NULL)
		return false;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *code = PQgetvalue(res, i, 1);
		const char *rev = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
		char	   *msg;
		size_t		line;

		if (only_database)
		{
			int			idx = model_find(&ctx->model, rev);

			if (strcmp(code, "applied_unknown") != 0 && strcmp(code, "applied_gap") != 0 &&
				strcmp(code, "checksum_mismatch") != 0 && strcmp(code, "unparsable_body") != 0)
				continue;
			if (strcmp(code, "unparsable_body") == 0 && idx >= 0 &&
				ctx->model.revs[idx].state == RS_CHANGED)
				continue;
		}
		/* a file's empty body is reported from the file, with its line */
		if (strcmp(code, "empty_upgrade") == 0 && ctx->rd_loaded &&
			path_of(&ctx->rd, rev) != NULL)
			continue;
		/* a body's problem at its line in the file */
		line = revdir_body_line(ctx->rd_loaded ? &ctx->rd : NULL, rev, PQgetvalue(res, i, 3), &msg);
		report_finding(fs, PQgetvalue(res, i, 0), code, rev,
					   path_of(ctx->rd_loaded ? &ctx->rd : NULL, rev), line,
					   msg ? msg : PQgetvalue(res, i, 3));
		free(msg);
	}
	PQclear(res);
	return true;
}

/*
 * What the pending statements will lock and risk (cmd_lint.c): the plan to
 * every head, unless the chain has errors (it then has no plan to lint).
 */
static bool
check_lint(Ctx *ctx, Findings *fs)
{
	if (fs->errors > 0 || ctx->model.n == 0)
		return true;
	return lint_plan(ctx, "heads", false, &fs->lint);
}

static void
rollback_quietly(PGconn *conn)
{
	PQclear(PQexec(conn, "ROLLBACK"));
}

/*
 * The server's judgement of the files, registering nothing.  The files the
 * database does not hold as they are (not registered, changed while
 * unapplied, renamed) go to migrate.add_file in a transaction that is
 * rolled back: migrate.validate() judges what the database would hold
 * after a sync, with every body parsed by the server (unparsable_body,
 * enum_value_used_too_early ...), and nothing of it stays (a number of
 * migrate.catalog_generation is used, which sends the next no-op upgrade
 * the long way once).  The file of an applied revision that changed is
 * left out: it is reported as applied_file_changed.
 *
 * Returns 1 when it judged, 0 when it could not register (no EXECUTE on
 * migrate.add_file, a migration holding the lock, a file the server
 * refuses; "why" says so) and the caller judges in memory, -1 on a failed
 * query (reported).
 */
static int
server_findings(Ctx *ctx, Findings *fs, char **why)
{
	const Model *m = &ctx->model;
	int			nsend = 0;

	*why = NULL;
	for (int i = 0; i < m->n; i++)
	{
		RevState	st = m->revs[i].state;

		if (m->revs[i].file && (st == RS_NEW || st == RS_RENAMED || st == RS_REFRESHED ||
								(st == RS_CHANGED && !m->revs[i].applied)))
			nsend++;
	}
	if (nsend == 0)
		return database_findings(ctx, fs, false) && check_lint(ctx, fs) ? 1 : -1;

	switch (ctx_register_in_tx(ctx, why))
	{
		case -1:
			return -1;
		case 0:
			return 0;
	}
	/* and the pending plan's lint, the files registered as they are */
	if (!database_findings(ctx, fs, false) || !check_lint(ctx, fs))
	{
		rollback_quietly(ctx->conn);
		return -1;
	}
	rollback_quietly(ctx->conn);
	return 1;
}

int
cmd_check(Ctx *ctx)
{
	Findings	fs = {0};
	int			rc;
	int			nrevisions;

	if (!opt.no_sync || opt.offline)
	{
		rc = ctx_load_dir(ctx, true);
		if (rc != PGM_EXIT_OK)
			return rc;
		file_findings(&ctx->rd, &fs);
	}
	if (opt.offline)
	{
		if (fs.errors == 0)
		{
			offline_findings(&ctx->rd, &fs);
			empty_body_findings(&ctx->rd, &fs);
		}
		if (opt.at_head)
			report_finding(&fs, "warning", "not_checked", NULL, NULL, 0,
						   "--at-head needs a database: not checked with --offline");
		if (opt.drift)
			report_finding(&fs, "warning", "not_checked", NULL, NULL, 0,
						   "--drift needs a database: not checked with --offline");
		return finish(ctx, &fs, false, (int) ctx->rd.n_by_id);
	}
	if (fs.errors > 0)
	{
		/* a note, not one more error: the files' errors are the problems */
		report_finding(&fs, "info", "not_checked", NULL, NULL, 0,
					   "the database was not checked: fix the files first");
		return finish(ctx, &fs, false, (int) ctx->rd.n_by_id);
	}

	/* reads only: the files are compared with the database in memory */
	rc = ctx_open_read(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	if (opt.no_sync)
	{
		if (!database_findings(ctx, &fs, false) || !check_lint(ctx, &fs))
			return PGM_EXIT_FAIL;
	}
	else
	{
		char	   *why;
		int			judged = server_findings(ctx, &fs, &why);

		if (judged < 0)
			return PGM_EXIT_FAIL;
		if (judged == 0)
		{
			char	   *msg = pgm_psprintf("the server did not judge the files not registered yet (%s): "
										   "their chain is checked here, their bodies are not parsed",
										   why);

			/* the chain rules on the model, and what needs the database */
			model_findings(&ctx->model, &ctx->rd, &fs);
			if (!database_findings(ctx, &fs, true) || !check_lint(ctx, &fs))
				return PGM_EXIT_FAIL;
			report_finding(&fs, "info", "not_parsed", NULL, NULL, 0, msg);
			free(msg);
			free(why);
		}
		empty_body_findings(&ctx->rd, &fs);
		diff_findings(&ctx->model, &fs);
	}
	if (opt.at_head)
	{
		IdxList		heads = {0};
		int			pending = 0;

		model_heads(&ctx->model, &heads);
		for (int k = 0; k < ctx->model.n; k++)
			if (!ctx->model.revs[k].applied)
				pending++;
		if (pending > 0)
		{
			char	   *msg = pgm_psprintf("the database is not at head: %d revision%s pending",
										   pending, pending == 1 ? "" : "s");

			report_finding(&fs, "error", "not_at_head", NULL, NULL, 0, msg);
			free(msg);
		}
		il_free(&heads);
	}
	if (opt.drift)
	{
		/* changes outside migrations (cmd_drift.c): each one an error */
		StrList		drift = {0};

		if (!drift_findings(ctx->conn, &drift))
			return PGM_EXIT_FAIL;
		for (size_t i = 0; i < drift.n; i++)
			report_finding(&fs, "error", "drift", NULL, NULL, 0, drift.items[i]);
		sl_free(&drift);
	}
	nrevisions = ctx->model.n;
	rc = finish(ctx, &fs, true, nrevisions);
	lint_free(&fs.lint);
	return rc;
}
