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
 * and ids declared twice.  If the files are sound, they are synced and
 * migrate.validate() judges the chain in the database: missing parents and
 * dependencies, cycles, duplicate labels, applied revisions that are
 * unknown, out of order or edited, files that declare another id than
 * their name, bodies that do not parse, several heads or bases.  With
 * --offline the chain rules of migrate.validate() (../common/chain.c, the
 * same code) are applied to the files, without a database: the same
 * findings, codes, severities and messages as online for what the files
 * alone can tell.
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
			report_finding(fs, "error", "unreadable_file", NULL, e->path, 0, "could not read the file");
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
			printf("check: %d error%s, %d warning%s%s\n", fs->errors, fs->errors == 1 ? "" : "s",
				   fs->warnings, fs->warnings == 1 ? "" : "s",
				   failed ? "" : " (warnings do not fail without --strict)");
	}
	set_summary("%d error%s, %d warning%s", fs->errors, fs->errors == 1 ? "" : "s",
				fs->warnings, fs->warnings == 1 ? "" : "s");
	return failed ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}

int
cmd_check(Ctx *ctx)
{
	Findings	fs = {0};
	int			rc;
	PGresult   *res;

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
			offline_findings(&ctx->rd, &fs);
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
		report_finding(&fs, "error", "not_synced", NULL, NULL, 0,
					   "the files were not loaded and the database was not checked: fix the files first");
		return finish(ctx, &fs, false, (int) ctx->rd.n_by_id);
	}

	rc = ctx_open(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT severity, code, revision, message FROM migrate.validate($1)",
				   1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *rev = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
		char	   *msg;
		size_t		line = revdir_body_line(ctx->rd_loaded ? &ctx->rd : NULL, rev,
											PQgetvalue(res, i, 3), &msg);

		/* a body's problem at its line in the file */
		report_finding(&fs, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), rev,
					   path_of(ctx->rd_loaded ? &ctx->rd : NULL, rev), line,
					   msg ? msg : PQgetvalue(res, i, 3));
		free(msg);
	}
	PQclear(res);

	/* registered without a file: upgrade refuses to run the pending ones */
	for (size_t i = 0; i < sync_report.missing.n; i++)
	{
		const char *id = sync_report.missing.items[i];
		bool		applied = sl_contains(&sync_report.missing_applied, id);
		char	   *msg;

		msg = applied
			? pgm_psprintf("applied revision \"%s\" is registered but no file in \"%s\" declares it",
						   id, opt.directory)
			: pgm_psprintf("pending revision \"%s\" is registered but no file in \"%s\" declares it: upgrade will not run it without --allow-missing (restore the file, or \"pg_migrate sync --prune\")",
						   id, opt.directory);
		report_finding(&fs, applied ? "info" : "warning", "missing_file", id, NULL, 0, msg);
		free(msg);
	}
	if (opt.at_head)
	{
		res = db_query(ctx->conn, "SELECT at_head, pending FROM migrate.status($1)",
					   1, (const char *[]) {opt.project});
		if (res == NULL)
			return PGM_EXIT_FAIL;
		if (PQgetvalue(res, 0, 0)[0] != 't')
		{
			char	   *msg = pgm_psprintf("the database is not at head: %s revision%s pending",
										   PQgetvalue(res, 0, 1),
										   strcmp(PQgetvalue(res, 0, 1), "1") == 0 ? "" : "s");

			report_finding(&fs, "error", "not_at_head", NULL, NULL, 0, msg);
			free(msg);
		}
		PQclear(res);
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
	res = db_query(ctx->conn, "SELECT count(*) FROM migrate.revision WHERE project = $1",
				   1, (const char *[]) {opt.project});
	if (res == NULL)
		return PGM_EXIT_FAIL;
	/* what the pending statements will lock and risk (cmd_lint.c); a chain
	 * with errors has no plan to lint */
	if (fs.errors == 0 && atoi(PQgetvalue(res, 0, 0)) > 0 &&
		!lint_plan(ctx, "heads", false, &fs.lint))
	{
		PQclear(res);
		return PGM_EXIT_FAIL;
	}
	rc = finish(ctx, &fs, true, atoi(PQgetvalue(res, 0, 0)));
	lint_free(&fs.lint);
	PQclear(res);
	return rc;
}
