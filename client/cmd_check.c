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
 * --offline the chain checks are done on the files, without a database.
 *
 * Exit status 1 if any finding is an error (or a warning, with --strict).
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
} Findings;

static void
add_finding(Findings *fs, const char *severity, const char *code, const char *revision,
			const char *file, size_t line, const char *message)
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
			add_finding(fs, "error", "unreadable_file", NULL, e->path, 0, "could not read the file");
		for (size_t k = 0; k < e->rf.n_errors; k++)
			add_finding(fs, "error", "parse_error", NULL, e->path, e->rf.errors[k].line,
						e->rf.errors[k].message);
	}
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const RevEntry *e = &rd->e[rd->by_id[i]];
		char	   *msg;

		if (!e->duplicate)
			continue;
		msg = pgm_psprintf("revision \"%s\" is declared by more than one file", e->rf.revision);
		add_finding(fs, "error", "duplicate_id", e->rf.revision, e->path, 1, msg);
		free(msg);
	}
}

/* --offline: the chain checks of migrate.validate(), on the files */
static void
offline_findings(RevDir *rd, Findings *fs)
{
	StrList		heads = {0};
	StrList		bases = {0};
	size_t		n = rd->n;
	int		   *state;
	bool		cycle_found = false;

	revdir_link(rd);
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		RevEntry   *e = &rd->e[rd->by_id[i]];
		char	   *msg;

		if (!migrate_source_matches(e->file, e->rf.revision))
		{
			msg = pgm_psprintf("file \"%s\" declares revision \"%s\": a revision file is named <id>_<slug>.sql after the revision it declares",
							   e->file, e->rf.revision);
			add_finding(fs, "error", "source_mismatch", e->rf.revision, e->path, 0, msg);
			free(msg);
		}
		for (size_t k = 0; k < e->rf.n_down_revision; k++)
			if (revdir_find(rd, e->rf.down_revision[k]) == NULL)
			{
				msg = pgm_psprintf("revision \"%s\" names parent \"%s\", which no file declares",
								   e->rf.revision, e->rf.down_revision[k]);
				add_finding(fs, "error", "missing_parent", e->rf.revision, e->path, 0, msg);
				free(msg);
			}
		for (size_t k = 0; k < e->rf.n_depends_on; k++)
			if (revdir_find(rd, e->rf.depends_on[k]) == NULL)
			{
				msg = pgm_psprintf("revision \"%s\" depends on \"%s\", which no file declares",
								   e->rf.revision, e->rf.depends_on[k]);
				add_finding(fs, "error", "missing_dependency", e->rf.revision, e->path, 0, msg);
				free(msg);
			}
		for (size_t k = 0; k < e->rf.n_branch_labels; k++)
			for (size_t j = 0; j < i; j++)
			{
				RevEntry   *o = &rd->e[rd->by_id[j]];

				for (size_t m = 0; m < o->rf.n_branch_labels; m++)
					if (strcmp(o->rf.branch_labels[m], e->rf.branch_labels[k]) == 0)
					{
						msg = pgm_psprintf("branch label \"%s\" is used by \"%s\" and \"%s\"",
										   e->rf.branch_labels[k], o->rf.revision, e->rf.revision);
						add_finding(fs, "error", "duplicate_label", e->rf.revision, e->path, 0, msg);
						free(msg);
					}
			}
		if (e->is_head)
			sl_add(&heads, e->rf.revision);
		if (e->rf.n_down_revision == 0)
			sl_add(&bases, e->rf.revision);
		if (e->rf.downgrade == NULL)
		{
			msg = pgm_psprintf("revision \"%s\" has no downgrade section: it is irreversible",
							   e->rf.revision);
			add_finding(fs, "info", "irreversible", e->rf.revision, e->path, 0, msg);
			free(msg);
		}
	}

	/* cycles through parents and dependencies: depth-first search */
	state = calloc(n ? n : 1, sizeof(int));
	if (state == NULL)
		pgm_fatal_oom();
	for (size_t start = 0; start < n && !cycle_found; start++)
	{
		size_t	   *stack;
		size_t	   *edge;
		size_t		sp = 0;

		if (!rd->e[start].valid || rd->e[start].duplicate || state[start] != 0)
			continue;
		stack = pgm_malloc(sizeof(size_t) * n);
		edge = pgm_malloc(sizeof(size_t) * n);
		stack[sp] = start;
		edge[sp++] = 0;
		state[start] = 1;
		while (sp > 0 && !cycle_found)
		{
			RevEntry   *e = &rd->e[stack[sp - 1]];
			size_t		ne = e->rf.n_down_revision + e->rf.n_depends_on;
			size_t		k = edge[sp - 1]++;
			const char *to;
			RevEntry   *t;
			size_t		ti;

			if (k >= ne)
			{
				state[stack[sp - 1]] = 2;
				sp--;
				continue;
			}
			to = k < e->rf.n_down_revision ? e->rf.down_revision[k]
				: e->rf.depends_on[k - e->rf.n_down_revision];
			t = revdir_find(rd, to);
			if (t == NULL)
				continue;
			ti = (size_t) (t - rd->e);
			if (state[ti] == 1)
			{
				StrBuf		path;
				char	   *msg;
				size_t		from = sp;

				sb_init(&path);
				while (from > 0 && stack[from - 1] != ti)
					from--;
				for (size_t s = from > 0 ? from - 1 : 0; s < sp; s++)
				{
					sb_append(&path, rd->e[stack[s]].rf.revision);
					sb_append(&path, " -> ");
				}
				sb_append(&path, t->rf.revision);
				msg = pgm_psprintf("cycle through parents and dependencies: %s", path.data);
				add_finding(fs, "error", "cycle", t->rf.revision, t->path, 0, msg);
				free(msg);
				sb_free(&path);
				cycle_found = true;
			}
			else if (state[ti] == 0)
			{
				state[ti] = 1;
				stack[sp] = ti;
				edge[sp++] = 0;
			}
		}
		free(stack);
		free(edge);
	}
	free(state);

	if (heads.n > 1)
	{
		char	   *list = sl_join(&heads, ", ");
		char	   *msg = pgm_psprintf("%zu heads: %s", heads.n, list);

		add_finding(fs, "warning", "multiple_heads", NULL, NULL, 0, msg);
		free(msg);
		free(list);
	}
	if (bases.n > 1)
	{
		bool		all_labelled = true;
		char	   *list = sl_join(&bases, ", ");
		char	   *msg = pgm_psprintf("%zu bases: %s", bases.n, list);

		for (size_t i = 0; i < bases.n; i++)
			if (revdir_find(rd, bases.items[i])->rf.n_branch_labels == 0)
				all_labelled = false;
		add_finding(fs, all_labelled ? "info" : "warning", "multiple_bases", NULL, NULL, 0, msg);
		free(msg);
		free(list);
	}
	sl_free(&heads);
	sl_free(&bases);
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
	bool		failed = fs->errors > 0 || (opt.strict && fs->warnings > 0);

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
		result_end(&w);
	}
	else
	{
		print_findings(fs);
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
			add_finding(&fs, "warning", "not_checked", NULL, NULL, 0,
						"--at-head needs a database: not checked with --offline");
		return finish(ctx, &fs, false, (int) ctx->rd.n_by_id);
	}
	if (fs.errors > 0)
	{
		add_finding(&fs, "error", "not_synced", NULL, NULL, 0,
					"the files were not loaded and the database was not checked: fix the files first");
		return finish(ctx, &fs, false, (int) ctx->rd.n_by_id);
	}

	rc = ctx_open(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	res = db_query(ctx->conn,
				   "SELECT severity, code, revision, message FROM migrate.validate()", 0, NULL);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *rev = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);

		add_finding(&fs, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), rev,
					path_of(ctx->rd_loaded ? &ctx->rd : NULL, rev), 0, PQgetvalue(res, i, 3));
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
		add_finding(&fs, applied ? "info" : "warning", "missing_file", id, NULL, 0, msg);
		free(msg);
	}
	if (opt.at_head)
	{
		res = db_query(ctx->conn, "SELECT at_head, pending FROM migrate.status()", 0, NULL);
		if (res == NULL)
			return PGM_EXIT_FAIL;
		if (PQgetvalue(res, 0, 0)[0] != 't')
		{
			char	   *msg = pgm_psprintf("the database is not at head: %s revision%s pending",
										   PQgetvalue(res, 0, 1),
										   strcmp(PQgetvalue(res, 0, 1), "1") == 0 ? "" : "s");

			add_finding(&fs, "error", "not_at_head", NULL, NULL, 0, msg);
			free(msg);
		}
		PQclear(res);
	}
	res = db_query(ctx->conn, "SELECT count(*) FROM migrate.revision", 0, NULL);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	rc = finish(ctx, &fs, true, atoi(PQgetvalue(res, 0, 0)));
	PQclear(res);
	return rc;
}
