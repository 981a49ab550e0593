/*-------------------------------------------------------------------------
 *
 * model.c
 *	  The revisions as the files and the database see them together, in
 *	  memory: what the read-only commands (status, history, heads, check,
 *	  show, branches, graph, sql, adopt --dry-run) show, without
 *	  registering anything.
 *
 * Run from the wrong directory, a "status" that registered its files once
 * loaded another service's revisions, and the next deploy found two heads.
 * So a read-only command reads the project's revisions once
 * (migrate.history(project) joined with the applied rows and with
 * migrate.revision_checksum, which shows a checksum to the role that
 * registered the revision, pg_read_all_stats and superusers: where it is
 * hidden, the content is taken as unchanged) and lays the files over them:
 *
 *	  - a file whose revision is not registered: not registered (sync and
 *		upgrade would register it);
 *	  - a file whose revision is registered with another checksum: changed
 *		(while unapplied, the next sync replaces it; once applied it cannot
 *		be replaced: upgrade refuses, downgrade runs the registered body);
 *	  - the same checksum with another message: refreshed; with another
 *		file name: renamed (the next sync updates them);
 *	  - a registered revision that no file declares: no file.
 *
 * A revision of the model is the file's when there is one (what the
 * database will hold after the next sync), else the registered one; the
 * applied state, the current revisions and the run data are the
 * database's.  Without a database (offline) the model is the files alone;
 * with --no-sync it is the database alone.
 *
 * The order is the extension's (src/graph.c): a depth-first post-order
 * from the heads sorted by id, each revision's parents in declared order,
 * then its dependencies.  Ancestors come first, and an offline plan runs
 * its revisions in the order upgrade() would.
 *
 * IDENTIFICATION
 *	  client/model.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdlib.h>
#include <string.h>

const Model *report_model = NULL;

enum
{
	Q_REV, Q_DOWN, Q_MSG, Q_APPLIED, Q_APPLIED_AT, Q_CURRENT, Q_LABELS,
	Q_DEPENDS, Q_TX, Q_REVERSIBLE, Q_SOURCE, Q_REGISTERED_AT, Q_CHECKSUM,
	Q_APPLIED_BY, Q_RUN_ID, Q_SECONDS
};

/*
 * Everything the model needs of the database, in one query.  history()
 * lists the applied revisions that are not registered too (last); they
 * have no checksum row.  The duration of each applied revision's step
 * comes from one pass over the steps of the runs that applied something
 * (a lookup per revision into a run of 1,000 steps was quadratic).
 */
static const char model_query[] =
"SELECT h.revision, h.down_revision, h.message, h.applied,"
"       pg_catalog.to_json(h.applied_at) #>> '{}', h.is_current,"
"       h.branch_labels, h.depends_on, h.transactional, h.reversible, h.source,"
"       pg_catalog.to_json(h.registered_at) #>> '{}', c.checksum,"
"       a.applied_by, a.run_id, pg_catalog.date_part('epoch', s.duration)"
"  FROM migrate.history($1) WITH ORDINALITY AS h"
"  LEFT JOIN migrate.revision_checksum c ON c.project = $1 AND c.revision = h.revision"
"  LEFT JOIN migrate.applied a ON a.project = $1 AND a.revision = h.revision"
"  LEFT JOIN (SELECT DISTINCT ON (st.run_id, st.revision) st.run_id, st.revision, st.duration"
"               FROM migrate.run_step st"
"              WHERE st.run_id IN (SELECT ap.run_id FROM migrate.applied ap WHERE ap.project = $1)"
"              ORDER BY st.run_id, st.revision, st.step DESC) s"
"         ON s.run_id = a.run_id AND s.revision = h.revision"
" ORDER BY h.ordinality";

static const char *
getv(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static char **
array_items(const char *lit, int *n)
{
	StrList		l = {0};

	db_parse_array(lit, &l);
	*n = (int) l.n;
	return l.items;				/* the model keeps them */
}

static Rev *
new_rev(Model *m)
{
	Rev		   *r;

	if (m->n == m->cap)
	{
		m->cap = m->cap ? m->cap * 2 : 64;
		m->revs = pgm_realloc(m->revs, sizeof(Rev) * (size_t) m->cap);
	}
	r = &m->revs[m->n++];
	memset(r, 0, sizeof(*r));
	r->topo = -1;
	r->transactional = true;
	return r;
}

static const Model *sort_model;

static int
cmp_rev_id(const void *a, const void *b)
{
	return strcmp(sort_model->revs[*(const int *) a].id,
				  sort_model->revs[*(const int *) b].id);
}

static void
index_by_id(Model *m)
{
	free(m->by_id);
	m->by_id = pgm_malloc(sizeof(int) * (size_t) (m->n ? m->n : 1));
	for (int i = 0; i < m->n; i++)
		m->by_id[i] = i;
	sort_model = m;
	if (m->n > 1)
		qsort(m->by_id, (size_t) m->n, sizeof(int), cmp_rev_id);
}

int
model_find(const Model *m, const char *id)
{
	int			lo = 0,
				hi = m->n;

	if (id == NULL || m->by_id == NULL)
		return -1;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(m->revs[m->by_id[mid]].id, id);

		if (c == 0)
			return m->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The revision as its file declares it. */
static void
take_file(Rev *r, RevEntry *e)
{
	r->file = e;
	r->parents = e->rf.down_revision;
	r->nparents = (int) e->rf.n_down_revision;
	r->depends = e->rf.depends_on;
	r->ndepends = (int) e->rf.n_depends_on;
	r->labels = e->rf.branch_labels;
	r->nlabels = (int) e->rf.n_branch_labels;
	r->message = e->rf.message;
	r->source = e->file;
	r->transactional = e->rf.transactional;
	r->reversible = e->rf.downgrade != NULL;
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Compare a file with its registered revision (sync.c's rule). */
static void
compare(Model *m, Rev *r)
{
	RevEntry   *e = r->file;

	/* a checksum this role may not read tells nothing: taken as the same */
	if (r->checksum != NULL && strcmp(r->checksum, e->checksum) != 0)
	{
		r->state = RS_CHANGED;
		m->n_changed++;
		if (r->applied)
			m->n_applied_changed++;
	}
	else if (r->reg_source == NULL || strcmp(r->reg_source, e->file) != 0)
	{
		r->state = RS_RENAMED;
		m->n_renamed++;
	}
	else if (e->rf.message != NULL && !same_text(r->reg_message, e->rf.message))
	{
		r->state = RS_REFRESHED;
		m->n_refreshed++;
	}
	else
		r->state = RS_SAME;
}

/*
 * A dependency's index: "project:id" of this project is its id; of another
 * project, -2 (its revision is in the database, another history: the chain
 * rules leave it to the server, chain.h).
 */
static int
dependency_index(const Model *m, const char *dep)
{
	const char *colon = strchr(dep, ':');

	if (colon == NULL)
		return model_find(m, dep);
	if (strlen(opt.project) == (size_t) (colon - dep) &&
		strncmp(opt.project, dep, (size_t) (colon - dep)) == 0)
		return model_find(m, colon + 1);
	return -2;
}

/* Resolve names, children and dependents, the order. */
static void
link_model(Model *m)
{
	size_t		nedges = 0;
	int		   *pool;
	int		   *child_fill;
	int		   *dep_fill;
	int		   *heads;
	int			nheads = 0;
	char	   *color;
	int		   *stack_node;
	int		   *stack_edge;

	index_by_id(m);
	for (int i = 0; i < m->n; i++)
		nedges += (size_t) (m->revs[i].nparents + m->revs[i].ndepends);
	pool = pgm_malloc(sizeof(int) * (nedges ? nedges : 1));
	m->edge_pool = pool;
	for (int i = 0; i < m->n; i++)
	{
		Rev		   *r = &m->revs[i];

		r->nchildren = r->ndependents = 0;
	}
	for (int i = 0; i < m->n; i++)
	{
		Rev		   *r = &m->revs[i];

		r->parent_idx = pool;
		pool += r->nparents;
		for (int k = 0; k < r->nparents; k++)
		{
			r->parent_idx[k] = model_find(m, r->parents[k]);
			if (r->parent_idx[k] >= 0)
				m->revs[r->parent_idx[k]].nchildren++;
		}
		r->depend_idx = pool;
		pool += r->ndepends;
		for (int k = 0; k < r->ndepends; k++)
		{
			r->depend_idx[k] = dependency_index(m, r->depends[k]);
			if (r->depend_idx[k] >= 0)
				m->revs[r->depend_idx[k]].ndependents++;
		}
	}
	m->child_pool = pgm_malloc(sizeof(int) * (nedges ? nedges : 1));
	child_fill = calloc((size_t) (m->n ? m->n : 1), sizeof(int));
	dep_fill = calloc((size_t) (m->n ? m->n : 1), sizeof(int));
	if (child_fill == NULL || dep_fill == NULL)
		pgm_fatal_oom();
	pool = m->child_pool;
	for (int i = 0; i < m->n; i++)
	{
		m->revs[i].children = pool;
		pool += m->revs[i].nchildren;
		m->revs[i].dependents = pool;
		pool += m->revs[i].ndependents;
	}
	for (int i = 0; i < m->n; i++)
	{
		Rev		   *r = &m->revs[i];

		for (int k = 0; k < r->nparents; k++)
			if (r->parent_idx[k] >= 0)
				m->revs[r->parent_idx[k]].children[child_fill[r->parent_idx[k]]++] = i;
		for (int k = 0; k < r->ndepends; k++)
			if (r->depend_idx[k] >= 0)
				m->revs[r->depend_idx[k]].dependents[dep_fill[r->depend_idx[k]]++] = i;
	}
	free(child_fill);
	free(dep_fill);

	/* the extension's order: from the heads sorted by id, then the rest */
	m->topo = pgm_malloc(sizeof(int) * (size_t) (m->n ? m->n : 1));
	m->ntopo = 0;
	color = calloc((size_t) (m->n ? m->n : 1), 1);
	stack_node = pgm_malloc(sizeof(int) * (size_t) (m->n ? m->n : 1));
	stack_edge = pgm_malloc(sizeof(int) * (size_t) (m->n ? m->n : 1));
	heads = pgm_malloc(sizeof(int) * (size_t) (m->n ? m->n : 1));
	if (color == NULL)
		pgm_fatal_oom();
	for (int k = 0; k < m->n; k++)
	{
		int			i = m->by_id[k];

		if (m->revs[i].nchildren == 0)
			heads[nheads++] = i;
	}
	for (int pass = 0; pass < 2; pass++)
	{
		int			nroots = pass == 0 ? nheads : m->n;

		for (int k = 0; k < nroots; k++)
		{
			int			root = pass == 0 ? heads[k] : m->by_id[k];
			int			depth = 0;

			if (color[root] != 0)
				continue;
			stack_node[0] = root;
			stack_edge[0] = 0;
			color[root] = 1;
			while (depth >= 0)
			{
				int			v = stack_node[depth];
				Rev		   *r = &m->revs[v];

				if (stack_edge[depth] < r->nparents + r->ndepends)
				{
					int			e = stack_edge[depth]++;
					int			w = e < r->nparents ? r->parent_idx[e]
						: r->depend_idx[e - r->nparents];

					if (w >= 0 && color[w] == 0)
					{
						depth++;
						stack_node[depth] = w;
						stack_edge[depth] = 0;
						color[w] = 1;
					}
					continue;
				}
				color[v] = 2;
				r->topo = m->ntopo;
				m->topo[m->ntopo++] = v;
				depth--;
			}
		}
	}
	free(color);
	free(stack_node);
	free(stack_edge);
	free(heads);
}

/*
 * Build the model from the database (conn, or NULL: offline) and the files
 * (rd, or NULL: none; only its valid entries count).  Returns false after
 * reporting a failed query.
 */
bool
model_load(Model *m, PGconn *conn, RevDir *rd)
{
	memset(m, 0, sizeof(*m));
	m->rd = rd;
	if (conn != NULL)
	{
		PGresult   *res = db_query(conn, model_query, 1, (const char *[]) {opt.project});

		if (res == NULL)
			return false;
		m->has_db = true;
		m->res = res;
		for (int i = 0; i < PQntuples(res); i++)
		{
			Rev		   *r = new_rev(m);

			r->id = PQgetvalue(res, i, Q_REV);
			r->registered = getv(res, i, Q_REGISTERED_AT) != NULL;
			r->applied = PQgetvalue(res, i, Q_APPLIED)[0] == 't';
			r->current = getv(res, i, Q_CURRENT) && PQgetvalue(res, i, Q_CURRENT)[0] == 't';
			r->applied_at = getv(res, i, Q_APPLIED_AT);
			r->applied_by = getv(res, i, Q_APPLIED_BY);
			r->run_id = getv(res, i, Q_RUN_ID);
			r->seconds = getv(res, i, Q_SECONDS);
			r->registered_at = getv(res, i, Q_REGISTERED_AT);
			r->checksum = getv(res, i, Q_CHECKSUM);
			r->reg_message = getv(res, i, Q_MSG);
			r->reg_source = getv(res, i, Q_SOURCE);
			r->parents = array_items(getv(res, i, Q_DOWN), &r->nparents);
			r->depends = array_items(getv(res, i, Q_DEPENDS), &r->ndepends);
			r->labels = array_items(getv(res, i, Q_LABELS), &r->nlabels);
			r->message = r->reg_message;
			r->source = r->reg_source;
			r->transactional = getv(res, i, Q_TX) == NULL || PQgetvalue(res, i, Q_TX)[0] == 't';
			r->reversible = getv(res, i, Q_REVERSIBLE) && PQgetvalue(res, i, Q_REVERSIBLE)[0] == 't';
			r->state = RS_NO_FILE;
			if (r->applied)
				m->n_applied++;
			if (!r->registered)
				m->n_applied_unknown++;
		}
		index_by_id(m);
	}
	if (rd != NULL)
	{
		int			nreg = m->n;

		m->has_files = true;
		for (size_t k = 0; k < rd->n_by_id; k++)
		{
			RevEntry   *e = &rd->e[rd->by_id[k]];
			int			i;
			Rev		   *r;

			if (e->duplicate && k > 0 &&
				strcmp(rd->e[rd->by_id[k - 1]].rf.revision, e->rf.revision) == 0)
				continue;		/* the first of duplicates stands for them */
			i = nreg > 0 ? model_find(m, e->rf.revision) : -1;
			if (i >= 0 && m->revs[i].registered)
			{
				r = &m->revs[i];
				take_file(r, e);
				compare(m, r);
				continue;
			}
			if (i >= 0)
				r = &m->revs[i];	/* applied, not registered */
			else
			{
				r = new_rev(m);
				r->id = e->rf.revision;
			}
			take_file(r, e);
			r->state = RS_NEW;
			m->n_new++;
		}
		for (int i = 0; i < nreg; i++)
			if (m->revs[i].state == RS_NO_FILE && m->revs[i].registered)
			{
				m->n_no_file++;
				if (m->revs[i].applied)
					m->n_no_file_applied++;
			}
	}
	else
		for (int i = 0; i < m->n; i++)
			m->revs[i].state = RS_SAME;
	/* an applied row with no revision and no file: not part of the graph */
	{
		int			keep = 0;

		for (int i = 0; i < m->n; i++)
		{
			Rev		   *r = &m->revs[i];

			if (!r->registered && r->file == NULL)
			{
				sl_add(&m->applied_unknown, r->id);
				continue;
			}
			m->revs[keep++] = *r;
		}
		m->n = keep;
	}
	link_model(m);
	return true;
}

/* Would a sync send anything (a file not registered, or changed)? */
bool
model_files_differ(const Model *m)
{
	return m->has_db && m->has_files && (m->n_new > 0 || m->n_changed > 0);
}

const char *
rev_state_name(RevState s)
{
	switch (s)
	{
		case RS_SAME:
			return "unchanged";
		case RS_NEW:
			return "not registered";
		case RS_CHANGED:
			return "changed";
		case RS_REFRESHED:
			return "refreshed";
		case RS_RENAMED:
			return "renamed";
		case RS_NO_FILE:
			return "no file";
	}
	return "?";
}

static void
print_state_list(const Model *m, RevState state, const char *what)
{
	int			shown = 0;
	int			total = 0;
	int			limit = opt.verbose ? m->n : 10;

	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		if (r->state != state || (state == RS_NO_FILE && !r->registered))
			continue;
		total++;
		if (shown >= limit)
			continue;
		shown++;
		if (state == RS_NO_FILE)
			pgm_info("  %-15s %s (registered%s; no file)", what, r->id,
					 r->applied ? " and applied" : "");
		else if (state == RS_RENAMED)
			pgm_info("  %-15s %s (%s, registered as %s)", what, r->id, r->file->file,
					 r->reg_source ? r->reg_source : "no file name");
		else if (state == RS_CHANGED && r->applied)
			pgm_info("  %-15s %s (%s): applied; the database keeps the version that ran", what,
					 r->id, r->file->file);
		else
			pgm_info("  %-15s %s (%s)", what, r->id, r->file->file);
	}
	if (total > shown)
		pgm_info("  %-15s ... and %d more (-v lists them all)", what, total - shown);
}

/*
 * The comparison, on stderr (not with -q): one line when the files and the
 * database agree (only with -v), else a line of counts and what differs.
 */
void
model_print_diff(const Model *m)
{
	int			same;
	StrBuf		sb;

	if (opt.quiet || !m->has_db || !m->has_files)
		return;
	same = (int) m->rd->n_by_id - m->n_new - m->n_changed - m->n_renamed - m->n_refreshed;
	if (m->n_new == 0 && m->n_changed == 0 && m->n_no_file == 0 &&
		m->n_renamed == 0 && m->n_refreshed == 0)
	{
		if (opt.verbose)
			pgm_info("files %s: %zu file%s, all registered and unchanged", m->rd->dir,
					 m->rd->n_by_id, m->rd->n_by_id == 1 ? "" : "s");
		return;
	}
	sb_init(&sb);
	sb_appendf(&sb, "files %s: %zu file%s, %d not registered, %d changed, %d unchanged",
			   m->rd->dir, m->rd->n_by_id, m->rd->n_by_id == 1 ? "" : "s",
			   m->n_new, m->n_changed, same);
	if (m->n_renamed > 0)
		sb_appendf(&sb, ", %d renamed", m->n_renamed);
	if (m->n_no_file > 0)
		sb_appendf(&sb, ", %d registered without a file", m->n_no_file);
	pgm_info("%s", sb.data);
	sb_free(&sb);
	print_state_list(m, RS_NEW, "not registered");
	print_state_list(m, RS_CHANGED, "changed");
	print_state_list(m, RS_RENAMED, "renamed");
	if (opt.verbose)
		print_state_list(m, RS_REFRESHED, "refreshed");
	print_state_list(m, RS_NO_FILE, "no file");
	if (model_files_differ(m))
		pgm_info("  (%s%s only reads: nothing was registered; \"pg_migrate sync\" or \"pg_migrate upgrade\" registers the files)",
				 command_name, opt.dry_run ? " --dry-run" : "");
}

static void
json_state_list(JsonWriter *w, const Model *m, const char *key, RevState state,
				int applied)
{
	json_key(w, key);
	json_begin_array(w);
	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		if (r->state != state || (state == RS_NO_FILE && !r->registered))
			continue;
		if (applied >= 0 && r->applied != (applied == 1))
			continue;
		json_string(w, r->id);
	}
	json_end_array(w);
}

/* The comparison in a --json document: "files". */
void
model_json_diff(JsonWriter *w, const Model *m)
{
	json_key(w, "files");
	if (!m->has_db || !m->has_files)
	{
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_kv_string(w, "directory", m->rd->dir);
	json_kv_int(w, "files", (long long) m->rd->n_by_id);
	json_kv_bool(w, "differ", model_files_differ(m));
	json_state_list(w, m, "not_registered", RS_NEW, -1);
	json_state_list(w, m, "changed", RS_CHANGED, -1);
	json_state_list(w, m, "changed_applied", RS_CHANGED, 1);
	json_state_list(w, m, "renamed", RS_RENAMED, -1);
	json_state_list(w, m, "refreshed", RS_REFRESHED, -1);
	json_state_list(w, m, "no_file", RS_NO_FILE, -1);
	json_state_list(w, m, "no_file_applied", RS_NO_FILE, 1);
	json_end_object(w);
}

/* Marks of a revision, as history and heads print them. */
bool
rev_is_head(const Rev *r)
{
	return r->nchildren == 0;
}

bool
rev_is_base(const Rev *r)
{
	return r->nparents == 0;
}

/* "(billing) (head) (branchpoint) (mergepoint) (current)" and the rest */
void
rev_marks(StrBuf *sb, const Model *m, const Rev *r, bool with_state)
{
	if (r->nlabels > 0)
	{
		sb_append(sb, " (");
		for (int k = 0; k < r->nlabels; k++)
			sb_appendf(sb, "%s%s", k ? ", " : "", r->labels[k]);
		sb_append(sb, ")");
	}
	if (rev_is_head(r))
		sb_append(sb, " (head)");
	if (r->nchildren > 1)
		sb_append(sb, " (branchpoint)");
	if (r->nparents > 1)
		sb_append(sb, " (mergepoint)");
	if (r->current)
		sb_append(sb, " (current)");
	if (!with_state || !m->has_db)
		return;
	if (!r->applied)
		sb_append(sb, " (pending)");
	if (m->has_files)
	{
		if (r->state == RS_NEW)
			sb_append(sb, " (not registered)");
		else if (r->state == RS_CHANGED)
			sb_append(sb, r->applied ? " (file differs from what was applied)" : " (file changed)");
		else if (r->state == RS_NO_FILE)
			sb_append(sb, " (no file)");
	}
}
