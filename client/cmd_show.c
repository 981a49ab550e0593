/*-------------------------------------------------------------------------
 *
 * cmd_show.c
 *	  Alembic's verbs on the model (model.c): show REV, branches; and the
 *	  block and JSON object of one revision that history -v, heads -v and
 *	  show print.  Read-only: nothing is registered.
 *
 * IDENTIFICATION
 *	  client/cmd_show.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

static void
print_list(const char *what, char *const *items, int n)
{
	if (n == 0)
		return;
	printf("%s", what);
	for (int k = 0; k < n; k++)
		printf("%s%s", k ? ", " : "", items[k]);
	printf("\n");
}

/* One revision as a block, alembic history --verbose style. */
void
print_rev_block(Ctx *ctx, const Rev *r, bool show_body)
{
	const Model *m = &ctx->model;
	StrBuf		sb;

	sb_init(&sb);
	rev_marks(&sb, m, r, false);
	if (rev_is_base(r))
		sb_append(&sb, " (base)");
	printf("Rev: %s%s\n", r->id, sb.data);
	sb_free(&sb);
	printf("Parent: ");
	if (r->nparents == 0)
		printf("<base>\n");
	else
		print_list("", r->parents, r->nparents);
	if (r->nchildren > 1)
	{
		printf("Branches into: ");
		for (int k = 0; k < r->nchildren; k++)
			printf("%s%s", k ? ", " : "", m->revs[r->children[k]].id);
		printf("\n");
	}
	print_list("Branch names: ", r->labels, r->nlabels);
	print_list("Depends on: ", r->depends, r->ndepends);
	if (r->file)
		printf("File: %s\n", r->file->path);
	else if (r->source)
		printf("File: %s (registered; no file in %s)\n", r->source, opt.directory);
	if (m->has_db && m->has_files && r->state != RS_SAME)
	{
		if (r->state == RS_CHANGED && r->applied)
			printf("File state: changed since it was applied (the database keeps the version that ran, which downgrade runs)\n");
		else if (r->state == RS_RENAMED)
			printf("File state: renamed (registered as %s)\n", r->reg_source ? r->reg_source : "no file name");
		else
			printf("File state: %s\n", rev_state_name(r->state));
	}
	printf("Transactional: %s; reversible: %s\n",
		   r->transactional ? "yes" : "no (runs through CALL migrate.run)",
		   r->reversible ? "yes" : "no");
	if (m->has_db)
	{
		if (r->applied)
		{
			char	   *ts = display_ts(r->applied_at);

			printf("Applied: %s by %s", ts, r->applied_by ? r->applied_by : "?");
			if (r->seconds)
				printf(" in %s", pgm_format_seconds(atof(r->seconds)));
			if (r->run_id)
				printf(" (run #%s)", r->run_id);
			printf("\n");
			free(ts);
		}
		else
			printf("Applied: no\n");
		if (r->registered_at)
		{
			char	   *ts = display_ts(r->registered_at);

			printf("Registered: %s\n", ts);
			free(ts);
		}
		else
			printf("Registered: no\n");
	}
	printf("\n    %s\n\n", r->message ? r->message : "(no message)");
	if (!show_body)
		return;

	if (r->file)
	{
		printf("-- migrate:upgrade\n%s", r->file->rf.upgrade ? r->file->rf.upgrade : "");
		if (r->file->rf.upgrade && r->file->rf.upgrade[0] &&
			r->file->rf.upgrade[strlen(r->file->rf.upgrade) - 1] != '\n')
			printf("\n");
		if (r->file->rf.downgrade)
		{
			printf("-- migrate:downgrade\n%s", r->file->rf.downgrade);
			if (r->file->rf.downgrade[0] &&
				r->file->rf.downgrade[strlen(r->file->rf.downgrade) - 1] != '\n')
				printf("\n");
		}
	}
	else if (ctx->conn != NULL)
	{
		/* the registered bodies, if this role may read them */
		const char *params[2] = {r->id, opt.project};
		PGresult   *res = db_try(ctx->conn,
								 "SELECT upgrade, downgrade FROM migrate.revision"
								 " WHERE id = $1 AND project = $2",
								 2, params);

		if (res == NULL || PQntuples(res) != 1)
			printf("-- (the registered bodies are not readable by this role)\n");
		else
		{
			printf("-- migrate:upgrade\n%s\n", PQgetvalue(res, 0, 0));
			if (!PQgetisnull(res, 0, 1))
				printf("-- migrate:downgrade\n%s\n", PQgetvalue(res, 0, 1));
		}
		PQclear(res);
	}
}

static void
json_items(JsonWriter *w, const char *key, char *const *items, int n)
{
	json_key(w, key);
	json_begin_array(w);
	for (int k = 0; k < n; k++)
		json_string(w, items[k]);
	json_end_array(w);
}

/* One revision as a JSON object (history, heads, show). */
void
json_rev(JsonWriter *w, const Model *m, const Rev *r)
{
	json_begin_object(w);
	json_kv_string(w, "revision", r->id);
	json_items(w, "down_revision", r->parents, r->nparents);
	json_kv_string(w, "message", r->message);
	json_kv_bool(w, "applied", r->applied);
	json_kv_string(w, "applied_at", r->applied_at);
	json_kv_string(w, "applied_by", r->applied_by);
	json_key(w, "seconds");
	if (r->seconds)
		json_double(w, atof(r->seconds));
	else
		json_null(w);
	json_key(w, "run_id");
	if (r->run_id)
		json_int(w, atoll(r->run_id));
	else
		json_null(w);
	json_kv_bool(w, "is_head", rev_is_head(r));
	json_kv_bool(w, "is_current", r->current);
	json_kv_bool(w, "is_base", rev_is_base(r));
	json_kv_bool(w, "is_branchpoint", r->nchildren > 1);
	json_kv_bool(w, "is_mergepoint", r->nparents > 1);
	json_items(w, "branch_labels", r->labels, r->nlabels);
	json_items(w, "depends_on", r->depends, r->ndepends);
	json_kv_bool(w, "transactional", r->transactional);
	json_kv_bool(w, "reversible", r->reversible);
	json_kv_string(w, "source", r->source);
	json_kv_string(w, "file", r->file ? r->file->path : NULL);
	json_kv_bool(w, "registered", r->registered);
	json_kv_string(w, "registered_at", r->registered_at);
	json_kv_string(w, "file_state", m->has_db && m->has_files ? rev_state_name(r->state) : NULL);
	json_end_object(w);
}

/* ---------------------------------------------------------------------
 * show REV
 * ---------------------------------------------------------------------
 */
int
cmd_show(Ctx *ctx)
{
	int			rc;
	IdxList		named = {0};
	const Model *m;

	if (opt.offline)
	{
		rc = ctx_load_dir(ctx, true);
		if (rc != PGM_EXIT_OK)
			return rc;
		ctx->files_broken = !revdir_report_errors(&ctx->rd);
		if (!model_load(&ctx->model, NULL, &ctx->rd))
			return PGM_EXIT_FAIL;
		ctx->model_loaded = true;
	}
	else
	{
		rc = ctx_open_read(ctx, false);
		if (rc != PGM_EXIT_OK)
			return rc;
	}
	m = &ctx->model;
	if (!model_resolve(m, opt.args[0], &named))
	{
		set_summary("show %s: %s", opt.args[0], n_diags ? diags[n_diags - 1].message : "");
		return PGM_EXIT_FAIL;
	}
	if (named.n == 0)
	{
		pgm_error("target \"%s\" names no revision", opt.args[0]);
		return PGM_EXIT_FAIL;
	}
	if (opt.json)
	{
		JsonWriter	w;

		result_begin(&w, ctx, true);
		json_key(&w, "revisions");
		json_begin_array(&w);
		for (int i = 0; i < named.n; i++)
			json_rev(&w, m, &m->revs[named.v[i]]);
		json_end_array(&w);
		if (named.n == 1 && m->revs[named.v[0]].file)
		{
			const RevFile *rf = &m->revs[named.v[0]].file->rf;

			json_kv_string(&w, "upgrade", rf->upgrade);
			json_kv_string(&w, "downgrade", rf->downgrade);
		}
		result_end(&w);
	}
	else
		for (int i = 0; i < named.n; i++)
			print_rev_block(ctx, &m->revs[named.v[i]], true);
	set_summary("%s", m->revs[named.v[0]].id);
	il_free(&named);
	return PGM_EXIT_OK;
}

/* ---------------------------------------------------------------------
 * branches
 * ---------------------------------------------------------------------
 */

/* From "start", follow single children while the line runs on: its end. */
static int
run_end(const Model *m, int start, int *length)
{
	int			pos = start;

	*length = 1;
	while (m->revs[pos].nchildren == 1 && *length <= m->n)
	{
		int			next = m->revs[pos].children[0];

		if (m->revs[next].nparents > 1)
			break;				/* a merge ends the line */
		pos = next;
		(*length)++;
	}
	return pos;
}

int
cmd_branches(Ctx *ctx)
{
	int			rc;
	const Model *m;
	int			nbranchpoints = 0;
	JsonWriter	w;

	if (opt.offline)
	{
		rc = ctx_load_dir(ctx, true);
		if (rc != PGM_EXIT_OK)
			return rc;
		ctx->files_broken = !revdir_report_errors(&ctx->rd);
		if (!model_load(&ctx->model, NULL, &ctx->rd))
			return PGM_EXIT_FAIL;
		ctx->model_loaded = true;
	}
	else
	{
		rc = ctx_open_read(ctx, false);
		if (rc != PGM_EXIT_OK)
			return rc;
	}
	m = &ctx->model;
	if (opt.json)
	{
		result_begin(&w, ctx, !ctx->files_broken);
		json_key(&w, "branchpoints");
		json_begin_array(&w);
	}
	for (int k = 0; k < m->ntopo; k++)
	{
		const Rev  *r = &m->revs[m->topo[k]];
		StrBuf		sb;

		if (r->nchildren < 2)
			continue;
		nbranchpoints++;
		if (opt.json)
		{
			json_begin_object(&w);
			json_kv_string(&w, "revision", r->id);
			json_kv_string(&w, "message", r->message);
			json_key(&w, "branches");
			json_begin_array(&w);
		}
		else
		{
			sb_init(&sb);
			rev_marks(&sb, m, r, false);
			printf("%s%s%s%s\n", r->id, sb.data, r->message ? ", " : "", r->message ? r->message : "");
			sb_free(&sb);
		}
		for (int c = 0; c < r->nchildren; c++)
		{
			const Rev  *child = &m->revs[r->children[c]];
			int			length;
			const Rev  *end = &m->revs[run_end(m, r->children[c], &length)];

			if (opt.json)
			{
				json_begin_object(&w);
				json_kv_string(&w, "first", child->id);
				json_kv_string(&w, "last", end->id);
				json_kv_int(&w, "revisions", length);
				json_kv_bool(&w, "ends_in_head", rev_is_head(end));
				json_end_object(&w);
				continue;
			}
			sb_init(&sb);
			rev_marks(&sb, m, end, false);
			if (end == child)
				printf("  -> %s%s%s%s\n", child->id, sb.data, child->message ? ", " : "",
					   child->message ? child->message : "");
			else
				printf("  -> %s ... %s%s: %d revisions%s%s\n", child->id, end->id, sb.data, length,
					   child->message ? ", from " : "", child->message ? child->message : "");
			sb_free(&sb);
		}
		if (opt.json)
		{
			json_end_array(&w);
			json_end_object(&w);
		}
	}
	if (opt.json)
	{
		json_end_array(&w);
		result_end(&w);
	}
	else if (nbranchpoints == 0)
		pgm_info("no branch points: every revision has at most one child");
	set_summary("%d branch point%s", nbranchpoints, nbranchpoints == 1 ? "" : "s");
	return ctx->files_broken ? PGM_EXIT_FAIL : PGM_EXIT_OK;
}
