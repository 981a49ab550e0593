/*-------------------------------------------------------------------------
 *
 * chain.c
 *	  The chain rules of validate() (chain.h), for the extension and the
 *	  client alike.
 *
 * migrate.validate() and "pg_migrate check --offline" judged the chain
 * with two implementations that drifted apart (the client called labelled
 * heads a warning where the server said info): both now call
 * migrate_chain_findings() on a view of their revisions.
 *
 * The walk: one pass over the revisions that reports what each one alone
 * shows (missing parents and dependencies, a file named for another id, no
 * downgrade) and notes, in a byte per revision, which ones have children
 * and labels; then duplicate labels (by sorting, no hash table), heads and
 * bases.  Only a search copies the edges into flat index arrays: for
 * cycles, unless the caller knows there are none, and for the label rule
 * of several heads or bases.  Cycles are found as the extension's graph.c
 * orders the revisions (a depth-first walk from the heads sorted by id,
 * parents in declared order then dependencies, then whatever no head
 * reaches, in id order; at most 100 cycles), so validate() names the same
 * cycles as the errors of upgrade and of the targets do.  validate() over
 * 100,000 revisions must stay well under 100 ms: the sound chain's path
 * allocates little, calls nothing per edge, and hashes nothing.
 *
 * Built as PostgreSQL builds src/common: postgres.h in the extension,
 * postgres_fe.h (FRONTEND) in the client, where palloc is libpgcommon's.
 *
 * IDENTIFICATION
 *	  common/chain.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "chain.h"
#include "idrule.h"

#include "lib/stringinfo.h"

/* in the extension, a loop over revisions can be cancelled at every step */
#ifndef FRONTEND
#include "miscadmin.h"
#define CHAIN_INTERRUPTS() CHECK_FOR_INTERRUPTS()
#else
#define CHAIN_INTERRUPTS() ((void) 0)
#endif

#define CHAIN_MAX_CYCLES	100		/* as graph.c records */
#define CHAIN_MAX_LABEL_WALKS 1000	/* labelled revisions walked for heads/bases */
#define CHAIN_MAX_LISTED	20		/* ids named in "N heads: ..." */

/* what the first pass notes about each index */
#define CHAIN_PRESENT		0x01	/* a revision to judge */
#define CHAIN_HAS_CHILD		0x02	/* some revision names it as parent */
#define CHAIN_LABELLED		0x04	/* it carries a branch label */

/* a revision with its id: heads, bases, the start of a search */
typedef struct ChainItem
{
	const char *id;
	int			index;
} ChainItem;

/* a branch label and the revision that carries it */
typedef struct ChainLabel
{
	const char *label;
	const char *id;
} ChainLabel;

typedef struct Chain
{
	const MigrateChainView *view;
	int			n;
	unsigned char *flags;		/* CHAIN_* of each index */
	ChainItem  *bases;
	int			nbases;
	int			bases_cap;
	ChainLabel *labels;
	int			nlabels;
	int			labels_cap;

	/*
	 * The edges that lead to revisions, for a search (chain_edges): the
	 * predecessors of index i are preds[pred_start[i] .. pred_start[i + 1]),
	 * its parents first (npred_parents[i] of them), then its dependencies.
	 */
	int		   *pred_start;
	int		   *npred_parents;
	int		   *preds;
} Chain;

const char *
migrate_severity_name(MigrateSeverity s)
{
	switch (s)
	{
		case MIGRATE_ERROR:
			return "error";
		case MIGRATE_WARNING:
			return "warning";
		case MIGRATE_INFO:
			return "info";
	}
	return "unknown";
}

int
migrate_finding_cmp(const void *a, const void *b)
{
	const MigrateFinding *x = a;
	const MigrateFinding *y = b;
	int			c;

	if (x->severity != y->severity)
		return x->severity - y->severity;
	if ((c = strcmp(x->code, y->code)) != 0)
		return c;
	if (x->revision == NULL || y->revision == NULL)
	{
		if (x->revision != y->revision)
			return x->revision == NULL ? -1 : 1;
	}
	else if ((c = strcmp(x->revision, y->revision)) != 0)
		return c;
	return strcmp(x->message, y->message);
}

/* SQL's quote_literal() of a string, as the messages show a file name */
static char *
chain_quote_literal(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (strchr(s, '\\') != NULL)
		appendStringInfoChar(&buf, 'E');
	appendStringInfoChar(&buf, '\'');
	for (const char *p = s; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(&buf, *p);
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

static int
chain_item_cmp(const void *a, const void *b)
{
	return strcmp(((const ChainItem *) a)->id, ((const ChainItem *) b)->id);
}

static int
chain_label_cmp(const void *a, const void *b)
{
	const ChainLabel *x = a;
	const ChainLabel *y = b;
	int			r = strcmp(x->label, y->label);

	return r != 0 ? r : strcmp(x->id, y->id);
}

/* room for one more of *count items of "size" bytes */
static void *
chain_grow(void *items, int count, int *cap, size_t size)
{
	if (count < *cap)
		return items;
	*cap = *cap ? *cap * 2 : 16;
	return items ? repalloc(items, size * *cap) : palloc(size * *cap);
}

static const char *
chain_id(const Chain *c, int index)
{
	MigrateChainRevision r;

	(void) c->view->revision(c->view->chain, index, &r);
	return r.id;
}

/*
 * The first pass: the findings about one revision at a time, and what the
 * rest needs: which have children, the bases, the labels.
 */
static void
chain_scan(Chain *c, MigrateFindingFn emit, void *arg)
{
	const MigrateChainView *view = c->view;

	for (int i = 0; i < c->n; i++)
	{
		MigrateChainRevision r;

		CHAIN_INTERRUPTS();
		if (!view->revision(view->chain, i, &r))
			continue;
		c->flags[i] |= CHAIN_PRESENT;

		for (int j = 0; j < r.nparents; j++)
		{
			StringInfoData msg;

			if (r.parent_idx[j] >= 0)
			{
				c->flags[r.parent_idx[j]] |= CHAIN_HAS_CHILD;
				continue;
			}
			initStringInfo(&msg);
			appendStringInfo(&msg, "revision \"%s\" names parent \"%s\", which is not registered",
							 r.id, r.parents[j]);
			if (r.source)
				appendStringInfo(&msg, " (source %s)", migrate_source_file(r.source));
			emit(arg, MIGRATE_ERROR, "missing_parent", r.id, msg.data);
		}
		for (int j = 0; j < r.ndepends; j++)
			if (r.depend_idx[j] == -1)	/* below -1: another project's */
				emit(arg, MIGRATE_ERROR, "missing_dependency", r.id,
					 psprintf("revision \"%s\" depends on \"%s\", which is not registered",
							  r.id, r.depends[j]));

		if (r.source && !migrate_source_matches(r.source, r.id))
		{
			char	   *quoted = chain_quote_literal(migrate_source_file(r.source));

			emit(arg, MIGRATE_ERROR, "source_mismatch", r.id,
				 psprintf("source %s is named for another revision than \"%s\"",
						  quoted, r.id));
			pfree(quoted);
		}

		if (!r.has_downgrade)
			emit(arg, MIGRATE_INFO, "irreversible", r.id,
				 psprintf("revision \"%s\" has no downgrade", r.id));

		if (r.nparents == 0)
		{
			c->bases = chain_grow(c->bases, c->nbases, &c->bases_cap, sizeof(ChainItem));
			c->bases[c->nbases].id = r.id;
			c->bases[c->nbases++].index = i;
		}

		if (r.nlabels > 0)
			c->flags[i] |= CHAIN_LABELLED;
		for (int j = 0; j < r.nlabels; j++)
		{
			if (strlen(r.labels[j]) > MIGRATE_ID_MAXLEN)
				continue;		/* cannot be registered through add() */
			c->labels = chain_grow(c->labels, c->nlabels, &c->labels_cap, sizeof(ChainLabel));
			c->labels[c->nlabels].label = r.labels[j];
			c->labels[c->nlabels++].id = r.id;
		}
	}
}

/* A label on several revisions: one finding per label, the ids sorted. */
static void
chain_duplicate_labels(Chain *c, MigrateFindingFn emit, void *arg)
{
	if (c->nlabels > 1)
		qsort(c->labels, c->nlabels, sizeof(ChainLabel), chain_label_cmp);
	for (int i = 0; i < c->nlabels;)
	{
		int			end = i + 1;
		StringInfoData revs;

		CHAIN_INTERRUPTS();
		while (end < c->nlabels && strcmp(c->labels[end].label, c->labels[i].label) == 0)
			end++;
		if (end - i > 1)
		{
			initStringInfo(&revs);
			for (int k = i; k < end; k++)
				appendStringInfo(&revs, "%s\"%s\"", k > i ? ", " : "", c->labels[k].id);
			emit(arg, MIGRATE_ERROR, "duplicate_label", c->labels[i].id,
				 psprintf("branch label \"%s\" is on %d revisions: %s",
						  c->labels[i].label, end - i, revs.data));
			pfree(revs.data);
		}
		i = end;
	}
}

/* The edges that lead to revisions, as flat index arrays (once). */
static void
chain_edges(Chain *c)
{
	int			npreds = 0;
	int			cap = Max(c->n, 16);

	if (c->preds != NULL)
		return;
	c->pred_start = palloc(sizeof(int) * (c->n + 1));
	c->npred_parents = palloc0(sizeof(int) * Max(c->n, 1));
	c->preds = palloc(sizeof(int) * cap);
	for (int i = 0; i < c->n; i++)
	{
		MigrateChainRevision r;

		CHAIN_INTERRUPTS();
		c->pred_start[i] = npreds;
		if (!(c->flags[i] & CHAIN_PRESENT))
			continue;
		(void) c->view->revision(c->view->chain, i, &r);
		if (npreds + r.nparents + r.ndepends > cap)
		{
			cap = Max(cap * 2, npreds + r.nparents + r.ndepends);
			c->preds = repalloc(c->preds, sizeof(int) * cap);
		}
		for (int j = 0; j < r.nparents; j++)
			if (r.parent_idx[j] >= 0)
			{
				c->preds[npreds++] = r.parent_idx[j];
				c->npred_parents[i]++;
			}
		for (int j = 0; j < r.ndepends; j++)
			if (r.depend_idx[j] >= 0)
				c->preds[npreds++] = r.depend_idx[j];
	}
	c->pred_start[c->n] = npreds;
}

/*
 * Depth-first from "root" through predecessors, as graph.c's topo_visit:
 * color 0 unvisited, 1 on the stack, 2 done.  A predecessor on the stack
 * closes a cycle, reported (up to CHAIN_MAX_CYCLES) and not followed.
 */
static void
chain_visit(Chain *c, int root, char *color, int *stack_node,
			int *stack_edge, int *stack_pos, int *ncycles,
			MigrateFindingFn emit, void *arg)
{
	int			depth = 0;

	stack_node[0] = root;
	stack_edge[0] = 0;
	stack_pos[root] = 0;
	color[root] = 1;

	while (depth >= 0)
	{
		int			v = stack_node[depth];
		int			npred = c->pred_start[v + 1] - c->pred_start[v];

		CHAIN_INTERRUPTS();
		if (stack_edge[depth] < npred)
		{
			int			w = c->preds[c->pred_start[v] + stack_edge[depth]++];

			if (color[w] == 0)
			{
				depth++;
				stack_node[depth] = w;
				stack_edge[depth] = 0;
				stack_pos[w] = depth;
				color[w] = 1;
			}
			else if (color[w] == 1 && *ncycles < CHAIN_MAX_CYCLES)
			{
				StringInfoData msg;
				const char *first = chain_id(c, w);

				/* w .. v on the stack, then back to w */
				initStringInfo(&msg);
				appendStringInfoString(&msg, "revisions form a cycle: ");
				for (int k = stack_pos[w]; k <= depth; k++)
					appendStringInfo(&msg, "\"%s\" -> ", chain_id(c, stack_node[k]));
				appendStringInfo(&msg, "\"%s\"", first);
				emit(arg, MIGRATE_ERROR, "cycle", first, msg.data);
				(*ncycles)++;
			}
			continue;
		}
		color[v] = 2;
		depth--;
	}
}

static void
chain_cycles(Chain *c, const ChainItem *heads, int nheads,
			 MigrateFindingFn emit, void *arg)
{
	char	   *color = palloc0(Max(c->n, 1));
	int		   *stack_node = palloc(sizeof(int) * Max(c->n, 1));
	int		   *stack_edge = palloc(sizeof(int) * Max(c->n, 1));
	int		   *stack_pos = palloc(sizeof(int) * Max(c->n, 1));
	ChainItem  *rest = NULL;
	int			nrest = 0;
	int			rest_cap = 0;
	int			ncycles = 0;

	chain_edges(c);
	for (int k = 0; k < nheads; k++)
		if (color[heads[k].index] == 0)
			chain_visit(c, heads[k].index, color, stack_node, stack_edge,
						stack_pos, &ncycles, emit, arg);

	/* what no head reaches lies on or above a cycle: in id order too */
	for (int i = 0; i < c->n; i++)
	{
		CHAIN_INTERRUPTS();
		if ((c->flags[i] & CHAIN_PRESENT) && color[i] == 0)
		{
			rest = chain_grow(rest, nrest, &rest_cap, sizeof(ChainItem));
			rest[nrest].id = chain_id(c, i);
			rest[nrest++].index = i;
		}
	}
	if (nrest > 1)
		qsort(rest, nrest, sizeof(ChainItem), chain_item_cmp);
	for (int k = 0; k < nrest; k++)
	{
		CHAIN_INTERRUPTS();
		if (color[rest[k].index] == 0)
			chain_visit(c, rest[k].index, color, stack_node, stack_edge,
						stack_pos, &ncycles, emit, arg);
	}
	if (rest)
		pfree(rest);
	pfree(color);
	pfree(stack_node);
	pfree(stack_edge);
	pfree(stack_pos);
}

/*
 * For "several heads" and "several bases": does every one lie on a branch
 * whose label covers no other?  With heads, a label covers the heads at
 * and below its revision (through children); with bases, the bases at and
 * above it (through parents: depends_on joins no branch).
 */
static bool
chain_each_has_own_label(Chain *c, const ChainItem *items, int nitems,
						 bool below)
{
	bool	   *owned = palloc0(Max(c->n, 1));
	bool	   *mark = palloc(Max(c->n, 1));
	int		   *stack = palloc(sizeof(int) * Max(c->n, 1));
	int		   *child_start = NULL;
	int		   *children = NULL;
	int			walks = 0;
	bool		all = true;

	chain_edges(c);
	if (below)
	{
		/* the children of each revision, from the parent edges */
		int		   *fill;

		child_start = palloc0(sizeof(int) * (c->n + 1));
		for (int i = 0; i < c->n; i++)
			for (int k = 0; k < c->npred_parents[i]; k++)
				child_start[c->preds[c->pred_start[i] + k] + 1]++;
		for (int i = 0; i < c->n; i++)
			child_start[i + 1] += child_start[i];
		fill = palloc0(sizeof(int) * Max(c->n, 1));
		children = palloc(sizeof(int) * Max(child_start[c->n], 1));
		for (int i = 0; i < c->n; i++)
			for (int k = 0; k < c->npred_parents[i]; k++)
			{
				int			p = c->preds[c->pred_start[i] + k];

				children[child_start[p] + fill[p]++] = i;
			}
		pfree(fill);
	}

	for (int i = 0; i < c->n && walks < CHAIN_MAX_LABEL_WALKS; i++)
	{
		int			depth = 0;
		int			covered = 0;
		int			last = -1;

		CHAIN_INTERRUPTS();
		if ((c->flags[i] & (CHAIN_PRESENT | CHAIN_LABELLED)) !=
			(CHAIN_PRESENT | CHAIN_LABELLED))
			continue;
		walks++;
		memset(mark, 0, c->n);
		mark[i] = true;
		stack[depth++] = i;
		while (depth > 0)
		{
			int			v = stack[--depth];
			const int  *next = below ? &children[child_start[v]]
				: &c->preds[c->pred_start[v]];
			int			nnext = below ? child_start[v + 1] - child_start[v]
				: c->npred_parents[v];

			CHAIN_INTERRUPTS();
			for (int k = 0; k < nnext; k++)
				if (!mark[next[k]])
				{
					mark[next[k]] = true;
					stack[depth++] = next[k];
				}
		}
		for (int k = 0; k < nitems; k++)
			if (mark[items[k].index])
			{
				covered++;
				last = items[k].index;
			}
		if (covered == 1)
			owned[last] = true;
	}
	for (int k = 0; k < nitems; k++)
		if (!owned[items[k].index])
			all = false;
	pfree(owned);
	pfree(mark);
	pfree(stack);
	if (children)
	{
		pfree(child_start);
		pfree(children);
	}
	return all;
}

/* "N heads: a, b, c" (at most CHAIN_MAX_LISTED ids, then "and N more") */
static void
chain_several(Chain *c, const ChainItem *items, int nitems, bool heads,
			  MigrateFindingFn emit, void *arg)
{
	StringInfoData msg;

	if (nitems < 2)
		return;
	initStringInfo(&msg);
	appendStringInfo(&msg, "%d %s: ", nitems, heads ? "heads" : "bases");
	for (int i = 0; i < nitems; i++)
	{
		if (i == CHAIN_MAX_LISTED)
		{
			appendStringInfo(&msg, " and %d more", nitems - CHAIN_MAX_LISTED);
			break;
		}
		if (i > 0)
			appendStringInfoString(&msg, ", ");
		appendStringInfoString(&msg, items[i].id);
	}
	emit(arg,
		 chain_each_has_own_label(c, items, nitems, heads) ? MIGRATE_INFO : MIGRATE_WARNING,
		 heads ? "multiple_heads" : "multiple_bases", NULL, msg.data);
}

void
migrate_chain_findings(const MigrateChainView *view, MigrateFindingFn emit,
					   void *arg)
{
	Chain		c;
	ChainItem  *heads = NULL;
	int			nheads = 0;
	int			heads_cap = 0;

	memset(&c, 0, sizeof(c));
	c.view = view;
	c.n = view->nrevs;
	c.flags = palloc0(Max(c.n, 1));

	chain_scan(&c, emit, arg);
	chain_duplicate_labels(&c, emit, arg);

	for (int i = 0; i < c.n; i++)
	{
		CHAIN_INTERRUPTS();
		if ((c.flags[i] & (CHAIN_PRESENT | CHAIN_HAS_CHILD)) == CHAIN_PRESENT)
		{
			heads = chain_grow(heads, nheads, &heads_cap, sizeof(ChainItem));
			heads[nheads].id = chain_id(&c, i);
			heads[nheads++].index = i;
		}
	}
	if (nheads > 1)
		qsort(heads, nheads, sizeof(ChainItem), chain_item_cmp);
	if (c.nbases > 1)
		qsort(c.bases, c.nbases, sizeof(ChainItem), chain_item_cmp);

	if (!view->acyclic)
		chain_cycles(&c, heads, nheads, emit, arg);
	chain_several(&c, heads, nheads, true, emit, arg);
	chain_several(&c, c.bases, c.nbases, false, emit, arg);

	pfree(c.flags);
	if (heads)
		pfree(heads);
	if (c.bases)
		pfree(c.bases);
	if (c.labels)
		pfree(c.labels);
	if (c.preds)
	{
		pfree(c.pred_start);
		pfree(c.npred_parents);
		pfree(c.preds);
	}
}
