/*-------------------------------------------------------------------------
 *
 * graph.c
 *	  The in-memory revision graph: a hash table by id, parent, dependency,
 *	  child and dependent edges as index arrays, a deterministic topological
 *	  order and the cycles found on the way.
 *
 * Every algorithm here is iterative and linear in revisions + edges: chains
 * of 100,000 revisions must not recurse 100,000 deep or loop quadratically.
 *
 * Order: a depth-first post-order that visits the heads sorted by id, and
 * for each revision its parents in declared order and then its
 * dependencies.  So ancestors come first, a branch stays contiguous, and the
 * same catalog always yields the same order.
 *
 * Memory: graph_memory.c (kept by the backend between graphs, never their
 * contents).  The hash table holds 12-byte entries (an index and its hash;
 * the id is the revision's).
 *
 * IDENTIFICATION
 *	  src/graph.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "graph_memory.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/memutils.h"

char *
migrate_graph_strndup(MigrateGraph *graph, const char *s, Size len)
{
	char	   *out = migrate_graph_alloc(graph, len + 1, false);

	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/*
 * The hash table by id.  An entry is a graph index and the id's hash; the
 * id itself is the revision's.  A lookup by string passes GRAPH_PROBE as
 * its key, with the string in graph->probe.
 */
typedef struct RevHashEntry
{
	uint32		index;
	uint32		hash;
	char		status;
} RevHashEntry;

#define GRAPH_PROBE		PG_UINT32_MAX

static inline const char *
revhash_key_string(struct revhash_hash *tb, uint32 k);

#define SH_PREFIX		revhash
#define SH_ELEMENT_TYPE RevHashEntry
#define SH_KEY_TYPE		uint32
#define SH_KEY			index
#define SH_HASH_KEY(tb, k)	\
	hash_bytes((const unsigned char *) revhash_key_string(tb, k), \
			   strlen(revhash_key_string(tb, k)))
#define SH_EQUAL(tb, a, b)	\
	(strcmp(revhash_key_string(tb, a), revhash_key_string(tb, b)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_USE_NONDEFAULT_ALLOCATOR
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static inline const char *
revhash_key_string(struct revhash_hash *tb, uint32 k)
{
	MigrateGraph *graph = (MigrateGraph *) tb->private_data;

	return k == GRAPH_PROBE ? graph->probe : graph->revs[k].id;
}

/* the table's arrays are graph memory (zeroed, as simplehash expects) */
static inline void *
revhash_allocate(revhash_hash *tb, Size size)
{
	return migrate_graph_alloc0((MigrateGraph *) tb->private_data, size);
}

static inline void
revhash_free(revhash_hash *tb, void *pointer)
{
	/* the old array of a table that grew stays until the graph is freed */
}

MigrateGraph *
migrate_graph_create(MemoryContext parent, int expected)
{
	MigrateGraphMemory *mem = migrate_graph_memory_acquire(parent);
	MigrateGraph *graph;

	graph = MemoryContextAllocZero(migrate_graph_memory_context(mem),
								   sizeof(MigrateGraph));
	graph->mem = mem;
	graph->cxt = migrate_graph_memory_context(mem);
	graph->capacity = Max(expected, 16);
	graph->revs = migrate_graph_alloc(graph,
									  sizeof(MigrateRevision) * graph->capacity,
									  true);

	/*
	 * Twice the expected entries: simplehash fills to 90% before it grows,
	 * and at three quarters full each linear-probing insert shifts a long
	 * run of entries (that was a sixth of the time of validate()).
	 */
	graph->byid = revhash_create(graph->cxt, graph->capacity * 2, graph);
	return graph;
}

/* Room for one more revision in graph->revs. */
static void
graph_grow(MigrateGraph *graph)
{
	MigrateRevision *revs;

	if (graph->nrevs < graph->capacity)
		return;
	revs = migrate_graph_alloc(graph,
							   sizeof(MigrateRevision) * graph->capacity * 2,
							   true);
	memcpy(revs, graph->revs, sizeof(MigrateRevision) * graph->nrevs);
	graph->revs = revs;
	graph->capacity *= 2;
}

/*
 * Append the revision "id" (a string in the graph's memory, kept) without
 * entering it in the hash table yet: migrate_graph_index_appended() does
 * that for the whole batch.  For the catalog scan, where ids are unique.
 */
MigrateRevision *
migrate_graph_append(MigrateGraph *graph, char *id)
{
	MigrateRevision *rev;

	graph_grow(graph);
	rev = &graph->revs[graph->nrevs++];
	memset(rev, 0, sizeof(MigrateRevision));
	rev->id = id;
	rev->topo_pos = -1;
	return rev;
}

/* how far ahead of the insert to prefetch the bucket it will probe */
#define INDEX_PREFETCH_DISTANCE 16

/*
 * Enter the appended revisions in the hash table.  Inserting them one by
 * one as the scan reads them waits for a cache miss on every bucket of a
 * table much larger than the cache; in a batch, each bucket is prefetched
 * a few inserts ahead.  A repeated id (possible only if someone dropped the
 * catalog's primary key) keeps its first row; the later one stays in the
 * array as neither registered nor applied, which every reader skips.
 */
void
migrate_graph_index_appended(MigrateGraph *graph)
{
	int			from = graph->nindexed;
	int			count = graph->nrevs - from;
	uint32	   *hashes;
	MigrateGraphMark mark;

	if (count <= 0)
		return;
	mark = migrate_graph_mark(graph);
	hashes = migrate_graph_alloc(graph, sizeof(uint32) * count, true);
	for (int i = 0; i < count; i++)
	{
		const char *id = graph->revs[from + i].id;

		CHECK_FOR_INTERRUPTS();
		hashes[i] = hash_bytes((const unsigned char *) id, strlen(id));
	}
	for (int i = 0; i < count; i++)
	{
		MigrateRevision *rev = &graph->revs[from + i];
		bool		found;

		CHECK_FOR_INTERRUPTS();
#ifdef __GNUC__
		if (i + INDEX_PREFETCH_DISTANCE < count)
			__builtin_prefetch(&graph->byid->data[hashes[i + INDEX_PREFETCH_DISTANCE] &
												  graph->byid->sizemask]);
#endif
		(void) revhash_insert_hash(graph->byid, from + i, hashes[i], &found);
		if (found)
		{
			rev->registered = false;
			rev->applied = false;
			rev->nparents = rev->ndepends = rev->nlabels = 0;
		}
	}
	migrate_graph_release_to(graph, mark);
	graph->nindexed = graph->nrevs;
}

/*
 * Find or add the revision "id" (copied into the graph's memory).  A new
 * entry is zeroed; *found says whether it existed.
 */
MigrateRevision *
migrate_graph_add(MigrateGraph *graph, const char *id, bool *found)
{
	int			idx = migrate_graph_find(graph, id);
	MigrateRevision *rev;

	if (idx >= 0)
	{
		*found = true;
		return &graph->revs[idx];
	}
	*found = false;
	Assert(graph->nindexed == graph->nrevs);
	graph_grow(graph);
	rev = &graph->revs[graph->nrevs];
	memset(rev, 0, sizeof(MigrateRevision));
	rev->id = migrate_graph_strndup(graph, id, strlen(id));
	rev->topo_pos = -1;
	(void) revhash_insert(graph->byid, graph->nrevs, found);
	Assert(!*found);
	graph->nrevs++;
	graph->nindexed = graph->nrevs;
	return rev;
}

int
migrate_graph_find(MigrateGraph *graph, const char *id)
{
	RevHashEntry *entry;

	graph->probe = id;
	entry = revhash_lookup(graph->byid, GRAPH_PROBE);
	graph->probe = NULL;
	return entry ? (int) entry->index : -1;
}

/* Edge i of revision r towards its predecessors: parents, then dependencies */
static inline int
pred_count(const MigrateRevision *r)
{
	return r->nparents + r->ndepends;
}

static inline int
pred_at(const MigrateRevision *r, int i)
{
	return i < r->nparents ? r->parent_idx[i] : r->depend_idx[i - r->nparents];
}

static void *
palloc_huge_zero(Size size, int flags)
{
	return palloc_extended(size, flags | MCXT_ALLOC_ZERO);
}

static int
id_cmp(const void *a, const void *b, void *arg)
{
	MigrateGraph *graph = (MigrateGraph *) arg;

	return strcmp(graph->revs[*(const int *) a].id,
				  graph->revs[*(const int *) b].id);
}

void
migrate_sort_by_id(MigrateGraph *graph, int *idx, int count)
{
	if (count > 1)
		qsort_arg(idx, count, sizeof(int), id_cmp, graph);
}

static int
external_cmp(const void *a, const void *b)
{
	return strcmp(((const MigrateExternal *) a)->name,
				  ((const MigrateExternal *) b)->name);
}

/*
 * The graph index of a dependency: an id of the graph's project (written
 * "id" or "<its project>:id"), or MIGRATE_DEP_EXTERNAL(k) for another
 * project's revision (graph->externals, sorted by name), or -1.
 */
static int
find_dependency(MigrateGraph *graph, const char *dep)
{
	const char *colon = strchr(dep, ':');
	MigrateExternal key;
	MigrateExternal *ext;

	if (colon == NULL)
		return migrate_graph_find(graph, dep);
	if (graph->project != NULL &&
		strlen(graph->project) == (size_t) (colon - dep) &&
		strncmp(graph->project, dep, colon - dep) == 0)
		return migrate_graph_find(graph, colon + 1);
	if (graph->nexternals == 0)
		return -1;
	key.name = (char *) dep;
	ext = bsearch(&key, graph->externals, graph->nexternals,
				  sizeof(MigrateExternal), external_cmp);
	return ext ? MIGRATE_DEP_EXTERNAL(ext - graph->externals) : -1;
}

/*
 * Depth-first post-order from "root", appending to graph->topo.  color: 0
 * unvisited, 1 on the stack, 2 done.  A predecessor found on the stack closes
 * a cycle, which is recorded (up to a bound) and not followed.
 */
static void
topo_visit(MigrateGraph *graph, int root, char *color, int *stack_node,
		   int *stack_edge, int *stack_pos)
{
	int			depth = 0;

	stack_node[0] = root;
	stack_edge[0] = 0;
	stack_pos[root] = 0;
	color[root] = 1;

	while (depth >= 0)
	{
		int			v = stack_node[depth];
		MigrateRevision *r = &graph->revs[v];

		CHECK_FOR_INTERRUPTS();
		if (stack_edge[depth] < pred_count(r))
		{
			int			w = pred_at(r, stack_edge[depth]++);

			if (w < 0)
				continue;		/* not registered: reported by validate */
			if (color[w] == 0)
			{
				depth++;
				stack_node[depth] = w;
				stack_edge[depth] = 0;
				stack_pos[w] = depth;
				color[w] = 1;
			}
			else if (color[w] == 1 && list_length(graph->cycles) < 100)
			{
				List	   *cycle = NIL;

				/* w .. v on the stack, then back to w */
				for (int i = stack_pos[w]; i <= depth; i++)
					cycle = lappend_int(cycle, stack_node[i]);
				graph->cycles = lappend(graph->cycles, cycle);
			}
			continue;
		}

		color[v] = 2;
		r->topo_pos = graph->ntopo;
		graph->topo[graph->ntopo++] = v;
		depth--;
	}
}

/*
 * The registered revisions for which pred() holds, sorted by id, into
 * "out" (room for every revision); their count.
 */
static int
collect_into(MigrateGraph *graph, bool (*pred) (MigrateGraph *, int), int *out)
{
	int			n = 0;

	for (int i = 0; i < graph->nrevs; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (pred(graph, i))
			out[n++] = i;
	}
	migrate_sort_by_id(graph, out, n);
	return n;
}

/*
 * Parent and dependency names to graph indexes, in one pool of int32 for
 * the whole graph; each revision's count of children and dependents.
 */
static void
link_predecessors(MigrateGraph *graph)
{
	int			n = graph->nrevs;
	Size		total_edges = 0;
	int		   *edge_pool;

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		total_edges += graph->revs[i].nparents + graph->revs[i].ndepends;
	}
	edge_pool = migrate_graph_alloc(graph, sizeof(int) * Max(total_edges, 1), true);
	for (int i = 0; i < n; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		r->parent_idx = edge_pool;
		edge_pool += r->nparents;
		for (int j = 0; j < r->nparents; j++)
		{
			int			p;

			/*
			 * Revisions are mostly registered in order, so a parent is
			 * often the row before (and then the load made it the very
			 * same string): no probe of a hash table too large for the
			 * cache.
			 */
			if (i > 0 && (graph->revs[i - 1].id == r->parents[j] ||
						  strcmp(graph->revs[i - 1].id, r->parents[j]) == 0))
				p = i - 1;
			else
				p = migrate_graph_find(graph, r->parents[j]);

			if (p >= 0 && !graph->revs[p].registered)
				p = -1;
			r->parent_idx[j] = p;
			if (p >= 0)
				graph->revs[p].nchildren++;
		}
		r->depend_idx = edge_pool;
		edge_pool += r->ndepends;
		for (int j = 0; j < r->ndepends; j++)
		{
			int			d = find_dependency(graph, r->depends[j]);

			if (d >= 0 && !graph->revs[d].registered)
				d = -1;
			r->depend_idx[j] = d;
			if (d >= 0)
				graph->revs[d].ndependents++;
		}
	}
}

/* Children and dependents: the reverse edges, one pool each. */
static void
link_successors(MigrateGraph *graph)
{
	int			n = graph->nrevs;
	Size		total_children = 0;
	Size		total_dependents = 0;
	int		   *child_pool;
	int		   *dep_pool;

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		total_children += graph->revs[i].nchildren;
		total_dependents += graph->revs[i].ndependents;
	}
	child_pool = migrate_graph_alloc(graph, sizeof(int) * Max(total_children, 1), true);
	dep_pool = migrate_graph_alloc(graph, sizeof(int) * Max(total_dependents, 1), true);

	/*
	 * Each revision's slice of the pools; the counts are refilled as the
	 * edges go in, so no array of fill positions is needed.
	 */
	for (int i = 0; i < n; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		r->children = child_pool;
		child_pool += r->nchildren;
		r->nchildren = 0;
		r->dependents = dep_pool;
		dep_pool += r->ndependents;
		r->ndependents = 0;
	}
	for (int i = 0; i < n; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < r->nparents; j++)
		{
			int			p = r->parent_idx[j];

			if (p >= 0)
			{
				MigrateRevision *pr = &graph->revs[p];

				pr->children[pr->nchildren++] = i;
			}
		}
		for (int j = 0; j < r->ndepends; j++)
		{
			int			d = r->depend_idx[j];

			if (d >= 0)
			{
				MigrateRevision *dr = &graph->revs[d];

				dr->dependents[dr->ndependents++] = i;
			}
		}
	}
}

/*
 * The order (graph->topo): from the heads sorted by id, then whatever
 * cycles hid.  Its scratch arrays are given back to the graph's memory.
 */
static void
link_order(MigrateGraph *graph)
{
	int			n = graph->nrevs;
	MigrateGraphMark mark;
	char	   *color;
	int		   *stack_node;
	int		   *stack_edge;
	int		   *stack_pos;
	int		   *roots;
	int			nroots;

	graph->topo = migrate_graph_alloc(graph, sizeof(int) * Max(n, 1), true);
	graph->ntopo = 0;

	mark = migrate_graph_mark(graph);
	color = migrate_graph_alloc0(graph, Max(n, 1));
	stack_node = migrate_graph_alloc(graph, sizeof(int) * Max(n, 1), true);
	stack_edge = migrate_graph_alloc(graph, sizeof(int) * Max(n, 1), true);
	stack_pos = migrate_graph_alloc(graph, sizeof(int) * Max(n, 1), true);
	roots = migrate_graph_alloc(graph, sizeof(int) * Max(n, 1), true);

	nroots = collect_into(graph, migrate_is_head, roots);
	for (int i = 0; i < nroots; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (color[roots[i]] == 0)
			topo_visit(graph, roots[i], color, stack_node, stack_edge, stack_pos);
	}

	/*
	 * What no head reaches lies on or above a cycle: visit it in id order
	 * too, so the order (and the cycles reported) do not depend on the
	 * physical order of the catalog's rows.
	 */
	nroots = 0;
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (graph->revs[i].registered && color[i] == 0)
			roots[nroots++] = i;
	}
	migrate_sort_by_id(graph, roots, nroots);
	for (int k = 0; k < nroots; k++)
	{
		CHECK_FOR_INTERRUPTS();
		if (color[roots[k]] == 0)
			topo_visit(graph, roots[k], color, stack_node, stack_edge, stack_pos);
	}
	migrate_graph_release_to(graph, mark);
}

/*
 * Resolve names to indexes, build reverse edges, compute the order and find
 * cycles.  Call once, after every revision has been added.
 */
void
migrate_graph_link(MigrateGraph *graph)
{
	MemoryContext old = MemoryContextSwitchTo(graph->cxt);

	link_predecessors(graph);
	link_successors(graph);
	link_order(graph);
	MemoryContextSwitchTo(old);
}

bool
migrate_is_head(MigrateGraph *graph, int idx)
{
	MigrateRevision *r = &graph->revs[idx];

	return r->registered && r->nchildren == 0;
}

bool
migrate_is_base(MigrateGraph *graph, int idx)
{
	MigrateRevision *r = &graph->revs[idx];

	return r->registered && r->nparents == 0;
}

/*
 * Whether revision idx is a top of a state: in it, with no child or
 * dependent in it (as Alembic's version table: a dependency of an applied
 * revision is not a head).  "state" marks graph->revs; NULL is the applied
 * state, whose tops are current().
 */
bool
migrate_state_top(MigrateGraph *graph, const bool *state, int idx)
{
	MigrateRevision *r = &graph->revs[idx];

#define IN_STATE(k) (state ? state[k] : graph->revs[k].applied)
	if (!IN_STATE(idx))
		return false;
	for (int j = 0; j < r->nchildren; j++)
		if (IN_STATE(r->children[j]))
			return false;
	for (int j = 0; j < r->ndependents; j++)
		if (IN_STATE(r->dependents[j]))
			return false;
#undef IN_STATE
	return true;
}

bool
migrate_is_current(MigrateGraph *graph, int idx)
{
	return migrate_state_top(graph, NULL, idx);
}

static int *
collect(MigrateGraph *graph, bool (*pred) (MigrateGraph *, int), int *count)
{
	int		   *out = palloc_extended(sizeof(int) * Max(graph->nrevs, 1),
									  MCXT_ALLOC_HUGE);

	*count = collect_into(graph, pred, out);
	return out;
}

/* Sorted by id. */
int *
migrate_graph_heads(MigrateGraph *graph, int *count)
{
	return collect(graph, migrate_is_head, count);
}

int *
migrate_graph_bases(MigrateGraph *graph, int *count)
{
	return collect(graph, migrate_is_base, count);
}

int *
migrate_graph_currents(MigrateGraph *graph, int *count)
{
	return collect(graph, migrate_is_current, count);
}

/* "a, b, c" (at most 20 ids, then "and N more") */
char *
migrate_join_ids(MigrateGraph *graph, const int *idx, int count,
				 const char *sep)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < count; i++)
	{
		if (i == 20)
		{
			appendStringInfo(&buf, " and %d more", count - 20);
			break;
		}
		if (i > 0)
			appendStringInfoString(&buf, sep);
		appendStringInfoString(&buf, graph->revs[idx[i]].id);
	}
	return buf.data;
}

/*
 * Mark the ancestors (through parents and dependencies) of the start
 * revisions.  With stop_at_applied, applied revisions are neither marked nor
 * walked through: their ancestors are taken as applied, which is what makes
 * a no-op upgrade at head cost one look per head.
 */
void
migrate_ancestors(MigrateGraph *graph, const int *start, int nstart,
				  bool include_start, bool stop_at_applied, bool *mark)
{
	int		   *stack = palloc_extended(sizeof(int) * Max(graph->nrevs, 1),
										MCXT_ALLOC_HUGE);
	bool	   *seen = palloc_huge_zero(Max(graph->nrevs, 1), MCXT_ALLOC_HUGE);
	int			depth = 0;

	for (int i = 0; i < nstart; i++)
	{
		int			s = start[i];

		CHECK_FOR_INTERRUPTS();
		if (seen[s] || (stop_at_applied && graph->revs[s].applied))
			continue;
		seen[s] = true;
		if (include_start)
			mark[s] = true;
		stack[depth++] = s;
	}
	while (depth > 0)
	{
		MigrateRevision *r = &graph->revs[stack[--depth]];

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < pred_count(r); j++)
		{
			int			w = pred_at(r, j);

			if (w < 0 || seen[w])
				continue;
			seen[w] = true;
			if (stop_at_applied && graph->revs[w].applied)
				continue;
			mark[w] = true;
			stack[depth++] = w;
		}
	}
	pfree(stack);
	pfree(seen);
}

/*
 * Mark the descendants (through children and, with with_dependents, through
 * revisions that depend on them) of the start revisions.
 */
void
migrate_descendants(MigrateGraph *graph, const int *start, int nstart,
					bool include_start, bool with_dependents, bool *mark)
{
	int		   *stack = palloc_extended(sizeof(int) * Max(graph->nrevs, 1),
										MCXT_ALLOC_HUGE);
	bool	   *seen = palloc_huge_zero(Max(graph->nrevs, 1), MCXT_ALLOC_HUGE);
	int			depth = 0;

	for (int i = 0; i < nstart; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (seen[start[i]])
			continue;
		seen[start[i]] = true;
		if (include_start)
			mark[start[i]] = true;
		stack[depth++] = start[i];
	}
	while (depth > 0)
	{
		MigrateRevision *r = &graph->revs[stack[--depth]];
		int			nsucc = r->nchildren + (with_dependents ? r->ndependents : 0);

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < nsucc; j++)
		{
			int			w = j < r->nchildren ? r->children[j]
				: r->dependents[j - r->nchildren];

			if (seen[w])
				continue;
			seen[w] = true;
			mark[w] = true;
			stack[depth++] = w;
		}
	}
	pfree(stack);
	pfree(seen);
}

/*
 * Mark the start revisions and their ancestors through parents only: a
 * branch is made of parent links (depends_on orders application but makes
 * no child, so it joins no branch).  Marks already set in "mark" are kept.
 */
void
migrate_parent_ancestors(MigrateGraph *graph, const int *start, int nstart,
						 bool *mark)
{
	int		   *stack = palloc(sizeof(int) * Max(graph->nrevs, 1));
	bool	   *seen = palloc0(Max(graph->nrevs, 1));
	int			depth = 0;

	for (int i = 0; i < nstart; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (seen[start[i]])
			continue;
		seen[start[i]] = true;
		mark[start[i]] = true;
		stack[depth++] = start[i];
	}
	while (depth > 0)
	{
		MigrateRevision *r = &graph->revs[stack[--depth]];

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < r->nparents; j++)
		{
			int			p = r->parent_idx[j];

			if (p < 0 || seen[p])
				continue;
			seen[p] = true;
			mark[p] = true;
			stack[depth++] = p;
		}
	}
	pfree(stack);
	pfree(seen);
}

/*
 * Free a graph: its memory is given back (kept for the next graph, or freed
 * if it had memory of its own).  With migrate.report_memory on, first say
 * how much memory the graph and the whole call (the graph's parent context)
 * hold: "graph" is what this graph used, "kept" what the backend keeps for
 * the next one.
 */
void
migrate_graph_free(MigrateGraph *graph, const char *caller)
{
	if (migrate_report_memory)
	{
		Size		used;
		Size		call;
		Size		kept;

		migrate_graph_memory_report(graph->mem, &used, &call, &kept);
		ereport(NOTICE,
				(errmsg("%s: %d revisions, graph %zu kB, call %zu kB, kept %zu kB",
						caller, graph->nrevs, used / 1024, call / 1024, kept / 1024)));
	}
	migrate_graph_memory_release(graph->mem);
}
