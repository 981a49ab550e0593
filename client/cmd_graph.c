/*-------------------------------------------------------------------------
 *
 * cmd_graph.c
 *	  graph: the revision graph as Graphviz DOT or Mermaid, readable at
 *	  any size.
 *
 * A history of Lemmy's 313 or crates.io's 285 linear revisions drawn node
 * by node is a 30,000-pixel ribbon that says nothing a count would not.
 * So by default a linear run (revisions with one parent and one child
 * each, three or more in a row) is drawn as one node, "r12 ... r297: 285
 * revisions", and what makes a history's shape stays visible: bases,
 * heads, branch points, merges, labelled revisions, revisions with
 * dependencies (either end of a dashed edge), non-transactional ones,
 * the current revisions (with a database) and names that no file declares.
 * --full draws every revision.  --json always lists every revision, and
 * the runs the drawing would collapse.
 *
 * The graph is the files' (no database needed).  With a connection option
 * (-d, -h, -p, -U) it is the files laid over the database's revisions, as
 * the read-only commands see them (model.c), and the current revisions are
 * marked.
 *
 * IDENTIFICATION
 *	  client/cmd_graph.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_MIN_RUN 3			/* shorter linear runs are drawn node by node */

static void
dot_string(StrBuf *sb, const char *s)
{
	sb_appendc(sb, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			sb_appendc(sb, '\\');
		if (*s == '\n')
			sb_append(sb, "\\n");
		else
			sb_appendc(sb, *s);
	}
	sb_appendc(sb, '"');
}

static void
mermaid_text(StrBuf *sb, const char *s)
{
	for (; *s; s++)
	{
		switch (*s)
		{
			case '"':
				sb_append(sb, "#quot;");
				break;
			case '#':
				sb_append(sb, "#35;");
				break;
			case '<':
				sb_append(sb, "#lt;");
				break;
			case '>':
				sb_append(sb, "#gt;");
				break;
			case '`':
				sb_append(sb, "#96;");
				break;
			case '\n':
				sb_append(sb, "<br/>");
				break;
			default:
				sb_appendc(sb, *s);
		}
	}
}

/* Must the revision be drawn on its own? */
static bool
kept(const Rev *r)
{
	return r->nparents != 1 || r->parent_idx[0] < 0 || r->nchildren != 1 ||
		r->nlabels > 0 || r->ndepends > 0 || r->ndependents > 0 ||
		!r->transactional || r->current;
}

/* A drawn node: a revision, a run of revisions, or a name without one. */
typedef struct GNode
{
	int			first;			/* revision index; -1: a missing name */
	int			last;			/* == first unless a run */
	int			length;
	const char *missing;		/* the name, for a missing one */
} GNode;

typedef struct Graph
{
	GNode	   *nodes;
	int			n;
	int			cap;
	int		   *node_of;		/* revision index -> node */
	StrList		missing;		/* names no revision declares */
} Graph;

static int
add_node(Graph *g, int first, int last, int length, const char *missing)
{
	if (g->n == g->cap)
	{
		g->cap = g->cap ? g->cap * 2 : 64;
		g->nodes = pgm_realloc(g->nodes, sizeof(GNode) * (size_t) g->cap);
	}
	g->nodes[g->n].first = first;
	g->nodes[g->n].last = last;
	g->nodes[g->n].length = length;
	g->nodes[g->n].missing = missing;
	return g->n++;
}

static int
missing_node(Graph *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (g->nodes[i].missing && strcmp(g->nodes[i].missing, name) == 0)
			return i;
	return add_node(g, -1, -1, 0, name);
}

/* Nodes in the model's order (ancestors first), runs collapsed unless full. */
static void
build_graph(const Model *m, Graph *g, bool full)
{
	memset(g, 0, sizeof(*g));
	g->node_of = pgm_malloc(sizeof(int) * (size_t) (m->n ? m->n : 1));
	for (int i = 0; i < m->n; i++)
		g->node_of[i] = -1;
	for (int k = 0; k < m->ntopo; k++)
	{
		int			i = m->topo[k];
		const Rev  *r = &m->revs[i];
		int			last = i;
		int			length = 1;

		if (g->node_of[i] >= 0)
			continue;
		if (!full && !kept(r) && kept(&m->revs[r->parent_idx[0]]))
		{
			/* the start of a linear run: follow it */
			while (length <= m->n && !kept(&m->revs[m->revs[last].children[0]]))
			{
				last = m->revs[last].children[0];
				length++;
			}
		}
		if (length >= GRAPH_MIN_RUN)
		{
			int			node = add_node(g, i, last, length, NULL);
			int			pos = i;

			for (int s = 0; s < length; s++)
			{
				g->node_of[pos] = node;
				if (s + 1 < length)
					pos = m->revs[pos].children[0];
			}
		}
		else
			g->node_of[i] = add_node(g, i, i, 1, NULL);
	}
	/* names no revision declares, where edges need them */
	for (int k = 0; k < m->ntopo; k++)
	{
		const Rev  *r = &m->revs[m->topo[k]];

		for (int j = 0; j < r->nparents; j++)
			if (r->parent_idx[j] < 0)
				(void) missing_node(g, r->parents[j]);
		for (int j = 0; j < r->ndepends; j++)
			if (r->depend_idx[j] < 0)
				(void) missing_node(g, r->depends[j]);
	}
}

static int
edge_end(Graph *g, int idx, const char *name)
{
	return idx >= 0 ? g->node_of[idx] : missing_node(g, name);
}

/* The text of a node: id (labels), message; a run's range and count. */
static char *
node_label(const Model *m, const GNode *nd, bool mermaid)
{
	StrBuf		sb;
	const Rev  *r;

	sb_init(&sb);
	if (nd->missing)
	{
		sb_appendf(&sb, "%s\n(no file)", nd->missing);
		return sb.data;
	}
	r = &m->revs[nd->first];
	if (nd->length > 1)
	{
		sb_appendf(&sb, "%s ... %s\n%d revisions", r->id, m->revs[nd->last].id, nd->length);
		return sb.data;
	}
	sb_append(&sb, r->id);
	if (r->nlabels > 0)
	{
		sb_append(&sb, " (");
		for (int k = 0; k < r->nlabels; k++)
			sb_appendf(&sb, "%s%s", k ? ", " : "", r->labels[k]);
		sb_append(&sb, ")");
	}
	if (r->current)
		sb_append(&sb, " (current)");
	if (r->message)
		sb_appendf(&sb, "\n%s", r->message);
	if (mermaid && !r->transactional)
		sb_append(&sb, "\n(non-transactional)");
	return sb.data;
}

/*
 * The two drawings are one walk (draw) over the same nodes and edges, in
 * the same order, with a renderer each for the syntax: the walk decides
 * what is drawn (every node, then each node's parent edges and dependency
 * edges), the renderer only how it is written.
 */
typedef struct Renderer
{
	bool		nontx_in_label; /* say "(non-transactional)" in the label */
	void		(*begin) (StrBuf *out);
	void		(*node) (StrBuf *out, const Model *m, const Graph *g, int i, const char *label);
	void		(*edge) (StrBuf *out, const Model *m, const Graph *g, int from, int to, bool depends);
	void		(*end) (StrBuf *out, const Model *m, const Graph *g);
} Renderer;

/* Draw g with "rd"; returns the number of edges drawn. */
static int
draw(const Renderer *rd, const Model *m, Graph *g, StrBuf *out)
{
	int			nedges = 0;

	rd->begin(out);
	for (int i = 0; i < g->n; i++)
	{
		char	   *label = node_label(m, &g->nodes[i], rd->nontx_in_label);

		rd->node(out, m, g, i, label);
		free(label);
	}
	for (int i = 0; i < g->n; i++)
	{
		const GNode *nd = &g->nodes[i];
		const Rev  *r;

		if (nd->missing)
			continue;
		r = &m->revs[nd->first];
		for (int k = 0; k < r->nparents; k++, nedges++)
			rd->edge(out, m, g, edge_end(g, r->parent_idx[k], r->parents[k]), i, false);
		for (int k = 0; k < r->ndepends; k++, nedges++)
			rd->edge(out, m, g, edge_end(g, r->depend_idx[k], r->depends[k]), i, true);
	}
	rd->end(out, m, g);
	return nedges;
}

/* ---- DOT: a node is named by its id ("a ... b" for a run) */

static void
dot_node_name(StrBuf *out, const Model *m, const GNode *nd)
{
	if (nd->missing)
		dot_string(out, nd->missing);
	else if (nd->length > 1)
	{
		char	   *id = pgm_psprintf("%s ... %s", m->revs[nd->first].id, m->revs[nd->last].id);

		dot_string(out, id);
		free(id);
	}
	else
		dot_string(out, m->revs[nd->first].id);
}

static void
dot_begin(StrBuf *out)
{
	sb_append(out, "digraph migrate {\n"
			  "  rankdir=TB;\n"
			  "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
			  "  edge [fontname=\"Helvetica\", fontsize=10];\n");
}

static void
dot_node(StrBuf *out, const Model *m, const Graph *g, int i, const char *label)
{
	const GNode *nd = &g->nodes[i];
	const Rev  *r = nd->missing ? NULL : &m->revs[nd->first];

	sb_append(out, "  ");
	dot_node_name(out, m, nd);
	sb_append(out, " [label=");
	dot_string(out, label);
	if (nd->missing)
		sb_append(out, ", style=\"rounded,dashed\", color=red");
	else if (nd->length > 1)
		sb_append(out, ", style=\"rounded,dotted\"");
	else
	{
		if (rev_is_head(r))
			sb_append(out, ", peripheries=2");
		if (!r->transactional)
			sb_append(out, ", color=blue");
		if (r->current)
			sb_append(out, ", style=\"rounded,filled\", fillcolor=\"#fff3b0\"");
	}
	sb_append(out, "];\n");
}

static void
dot_edge(StrBuf *out, const Model *m, const Graph *g, int from, int to, bool depends)
{
	sb_append(out, "  ");
	dot_node_name(out, m, &g->nodes[from]);
	sb_append(out, " -> ");
	dot_node_name(out, m, &g->nodes[to]);
	sb_append(out, depends ? " [style=dashed, label=\"depends on\"];\n" : ";\n");
}

static void
dot_end(StrBuf *out, const Model *m, const Graph *g)
{
	sb_append(out, "}\n");
}

static const Renderer dot_renderer = {false, dot_begin, dot_node, dot_edge, dot_end};

/* ---- Mermaid: a node is named n<i>; its shape says what it is */

static void
mermaid_begin(StrBuf *out)
{
	sb_append(out, "flowchart TD\n");
}

static void
mermaid_node(StrBuf *out, const Model *m, const Graph *g, int i, const char *label)
{
	const GNode *nd = &g->nodes[i];
	const Rev  *r = nd->missing ? NULL : &m->revs[nd->first];
	const char *open = nd->missing ? "[/\"" : nd->length > 1 ? "([\"" :
		rev_is_head(r) ? "[[\"" : "[\"";
	const char *close = nd->missing ? "\"/]" : nd->length > 1 ? "\"])" :
		rev_is_head(r) ? "\"]]" : "\"]";

	sb_appendf(out, "  n%d%s", i, open);
	mermaid_text(out, label);
	sb_appendf(out, "%s\n", close);
}

static void
mermaid_edge(StrBuf *out, const Model *m, const Graph *g, int from, int to, bool depends)
{
	sb_appendf(out, depends ? "  n%d -.->|depends on| n%d\n" : "  n%d --> n%d\n", from, to);
}

/* the styles Mermaid takes after the nodes and edges */
static void
mermaid_end(StrBuf *out, const Model *m, const Graph *g)
{
	bool		any = false;

	/* as DOT draws them blue: a class of their own */
	for (int i = 0; i < g->n; i++)
	{
		const GNode *nd = &g->nodes[i];

		if (nd->missing || nd->length > 1 || m->revs[nd->first].transactional)
			continue;
		sb_append(out, any ? "," : "  classDef nontransactional stroke:#1f4fd8,stroke-width:2px\n  class ");
		sb_appendf(out, "n%d", i);
		any = true;
	}
	if (any)
		sb_append(out, " nontransactional\n");
	for (int i = 0; i < g->n; i++)
	{
		const GNode *nd = &g->nodes[i];

		if (!nd->missing && nd->length == 1 && m->revs[nd->first].current)
			sb_appendf(out, "  style n%d fill:#fff3b0\n", i);
	}
}

static const Renderer mermaid_renderer = {true, mermaid_begin, mermaid_node, mermaid_edge, mermaid_end};

static void
draw_json(Ctx *ctx, const Model *m, Graph *g, bool ok)
{
	JsonWriter	w;

	result_begin(&w, ctx->conn ? ctx : NULL, ok);
	json_key(&w, "nodes");
	json_begin_array(&w);
	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		json_begin_object(&w);
		json_kv_string(&w, "id", r->id);
		json_kv_string(&w, "file", r->file ? r->file->file : NULL);
		json_kv_string(&w, "message", r->message);
		json_key(&w, "branch_labels");
		json_begin_array(&w);
		for (int j = 0; j < r->nlabels; j++)
			json_string(&w, r->labels[j]);
		json_end_array(&w);
		json_kv_bool(&w, "head", rev_is_head(r));
		json_kv_bool(&w, "base", rev_is_base(r));
		json_kv_bool(&w, "missing", false);
		json_kv_bool(&w, "transactional", r->transactional);
		json_kv_bool(&w, "current", r->current);
		json_end_object(&w);
	}
	for (int i = 0; i < g->n; i++)
		if (g->nodes[i].missing)
		{
			json_begin_object(&w);
			json_kv_string(&w, "id", g->nodes[i].missing);
			json_kv_string(&w, "file", NULL);
			json_kv_string(&w, "message", NULL);
			json_key(&w, "branch_labels");
			json_begin_array(&w);
			json_end_array(&w);
			json_kv_bool(&w, "head", false);
			json_kv_bool(&w, "base", false);
			json_kv_bool(&w, "missing", true);
			json_kv_bool(&w, "transactional", true);
			json_kv_bool(&w, "current", false);
			json_end_object(&w);
		}
	json_end_array(&w);
	json_key(&w, "edges");
	json_begin_array(&w);
	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		for (int j = 0; j < r->nparents + r->ndepends; j++)
		{
			json_begin_object(&w);
			json_kv_string(&w, "from", j < r->nparents ? r->parents[j] : r->depends[j - r->nparents]);
			json_kv_string(&w, "to", r->id);
			json_kv_string(&w, "kind", j < r->nparents ? "parent" : "depends_on");
			json_end_object(&w);
		}
	}
	json_end_array(&w);
	json_key(&w, "runs");
	json_begin_array(&w);
	for (int i = 0; i < g->n; i++)
		if (g->nodes[i].length > 1)
		{
			json_begin_object(&w);
			json_kv_string(&w, "first", m->revs[g->nodes[i].first].id);
			json_kv_string(&w, "last", m->revs[g->nodes[i].last].id);
			json_kv_int(&w, "revisions", g->nodes[i].length);
			json_end_object(&w);
		}
	json_end_array(&w);
	result_end(&w);
}

int
cmd_graph(Ctx *ctx)
{
	int			rc;
	bool		mermaid = opt.format != NULL && strcmp(opt.format, "mermaid") == 0;
	bool		clean;
	Graph		g;
	StrBuf		out;
	FILE	   *f = stdout;
	int			nedges = 0;
	int			runs = 0;
	const Model *m = &ctx->model;

	rc = ctx_load_dir(ctx, true);
	if (rc != PGM_EXIT_OK)
		return rc;
	clean = revdir_report_errors(&ctx->rd);
	if (opt.dbname || opt.host || opt.port || opt.username)
	{
		/* the database too: the current revisions */
		rc = ctx_open_read(ctx, true);
		if (rc != PGM_EXIT_OK)
			return rc;
	}
	else
	{
		if (!model_load(&ctx->model, NULL, &ctx->rd))
			return PGM_EXIT_FAIL;
		ctx->model_loaded = true;
	}
	build_graph(m, &g, opt.full);
	for (int i = 0; i < g.n; i++)
		if (g.nodes[i].length > 1)
			runs++;

	if (opt.json)
	{
		draw_json(ctx, m, &g, clean);
		return clean ? PGM_EXIT_OK : PGM_EXIT_FAIL;
	}
	sb_init(&out);
	nedges = draw(mermaid ? &mermaid_renderer : &dot_renderer, m, &g, &out);
	if (opt.output != NULL)
	{
		f = fopen(opt.output, "w");
		if (f == NULL)
		{
			pgm_error("could not open \"%s\": %s", opt.output, strerror(errno));
			return PGM_EXIT_USAGE;
		}
	}
	fputs(out.data, f);
	if (f != stdout && fclose(f) != 0)
	{
		pgm_error("could not write \"%s\": %s", opt.output, strerror(errno));
		return PGM_EXIT_FAIL;
	}
	if (runs > 0)
		pgm_info("graph: %d revisions in %d nodes (%d linear run%s collapsed; --full draws every revision)",
				 m->n, g.n, runs, runs == 1 ? "" : "s");
	set_summary("%d revisions, %d nodes, %d edges", m->n, g.n, nedges);
	sb_free(&out);
	free(g.nodes);
	free(g.node_of);
	return clean ? PGM_EXIT_OK : PGM_EXIT_FAIL;
}
