/*-------------------------------------------------------------------------
 *
 * graph_memory.c
 *	  The memory revision graphs are built in (graph.c, catalog.c).
 *
 * A graph is a few large arrays (the revisions, the hash table, the edge
 * pools, the order) and many small pieces (ids, parent lists, messages,
 * checksums), all living exactly as long as the graph: they are carved
 * from large blocks by a bump allocator (no chunk headers, no power-of-two
 * rounding, nothing freed one by one; scratch space is given back by
 * migrate_graph_mark / migrate_graph_release_to).
 *
 * The blocks are kept by the backend between graphs (kept_memory): the
 * next graph is built in the same pages, already faulted in, instead of
 * fresh ones from malloc, whose first touch costs a page fault each (about
 * 9,000 for a graph of 100,000 revisions, most of a later call's time).
 * What is kept is memory, never contents: every graph is read from the
 * catalog afresh, under its call's snapshot, so nothing can be stale.  At
 * most GRAPH_KEEP_BYTES stay kept; a block no graph used for
 * GRAPH_BLOCK_IDLE_MAX graphs in a row is freed.  A graph built while the
 * kept memory is in use (a body that calls migrate.status() during an
 * upgrade) gets memory of its own, in a context under its caller's, freed
 * with it.
 *
 * A graph is released by migrate_graph_free() or, when a call ends
 * otherwise (an error; a caller that leaves the graph to its memory
 * context), when the context it was created under is reset or deleted: a
 * reset callback on that context, matched to the graph by a use count so
 * that a late callback never releases a later graph.
 *
 * IDENTIFICATION
 *	  src/graph_memory.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "graph_memory.h"

#include "utils/memutils.h"

/* the most memory a backend keeps for its next graph */
#define GRAPH_KEEP_BYTES		((Size) 64 * 1024 * 1024)
/* graphs in a row that may leave a kept block unused before it is freed */
#define GRAPH_BLOCK_IDLE_MAX	8
/* the first block for small pieces; each further one twice as large */
#define GRAPH_BLOCK_FIRST		((Size) 64 * 1024)
#define GRAPH_BLOCK_MAX			((Size) 4 * 1024 * 1024)

typedef struct GraphBlock
{
	struct GraphBlock *next;
	Size		size;			/* usable bytes, after the header */
	Size		used;			/* by the graph being built */
	int			idle;			/* graphs in a row that used none of it */
} GraphBlock;

#define GRAPH_BLOCK_HDRSZ	MAXALIGN(sizeof(GraphBlock))
#define GRAPH_BLOCK_DATA(b)	((char *) (b) + GRAPH_BLOCK_HDRSZ)

struct MigrateGraphMemory
{
	MemoryContext cxt;			/* the graph's small palloc'd things */
	MemoryContext block_cxt;	/* where the blocks are allocated */
	MemoryContext parent;		/* the context the graph was created under */
	GraphBlock *blocks;			/* in the order they were first used */
	GraphBlock *current;		/* the block being carved */
	Size		next_block;		/* size of the next new block for small pieces */
	bool		kept;			/* the backend's kept memory */
	bool		in_use;
	uint64		uses;			/* graphs built in it so far */
};

/* the backend's kept graph memory (NULL until the first graph) */
static MigrateGraphMemory *kept_memory = NULL;

/* a reset callback on the context a graph in kept memory was created under */
typedef struct GraphRelease
{
	MemoryContextCallback cb;
	uint64		use;			/* kept_memory->uses when it was taken */
} GraphRelease;

static void
graph_release_callback(void *arg)
{
	GraphRelease *rel = (GraphRelease *) arg;

	if (kept_memory != NULL && kept_memory->in_use &&
		kept_memory->uses == rel->use)
		migrate_graph_memory_release(kept_memory);
}

/*
 * Memory for a new graph: the kept memory if it is free, else memory of its
 * own under "parent".
 */
MigrateGraphMemory *
migrate_graph_memory_acquire(MemoryContext parent)
{
	MigrateGraphMemory *mem;

	/*
	 * Without a top context (test/fuzz/fuzz_target.c) nothing is kept, so
	 * that the sanitizers see each graph's memory freed.
	 */
	if (TopMemoryContext != NULL && (kept_memory == NULL || !kept_memory->in_use))
	{
		GraphRelease *rel;

		if (kept_memory == NULL)
		{
			MemoryContext top = AllocSetContextCreate(TopMemoryContext,
													  "migrate graph memory",
													  ALLOCSET_DEFAULT_SIZES);

			mem = MemoryContextAllocZero(top, sizeof(MigrateGraphMemory));
			mem->block_cxt = top;
			mem->cxt = AllocSetContextCreate(top, "migrate revision graph",
											 ALLOCSET_DEFAULT_SIZES);
			mem->kept = true;
			kept_memory = mem;
		}
		mem = kept_memory;
		/* nothing can fail between taking the memory and the callback */
		rel = MemoryContextAlloc(parent, sizeof(GraphRelease));
		mem->uses++;
		rel->use = mem->uses;
		rel->cb.func = graph_release_callback;
		rel->cb.arg = rel;
		MemoryContextRegisterResetCallback(parent, &rel->cb);
		mem->parent = parent;
		mem->in_use = true;
		mem->current = NULL;
		mem->next_block = GRAPH_BLOCK_FIRST;
		return mem;
	}

	{
		MemoryContext cxt = AllocSetContextCreate(parent, "migrate revision graph",
												  ALLOCSET_DEFAULT_SIZES);

		mem = MemoryContextAllocZero(cxt, sizeof(MigrateGraphMemory));
		mem->cxt = cxt;
		mem->block_cxt = cxt;
		mem->parent = parent;
		mem->in_use = true;
		mem->uses = 1;
		mem->next_block = GRAPH_BLOCK_FIRST;
		return mem;
	}
}

/*
 * Done with a graph: memory of its own is freed; the kept memory is reset
 * for the next graph, its idle blocks freed and what it keeps bounded.
 */
void
migrate_graph_memory_release(MigrateGraphMemory *mem)
{
	GraphBlock **link;
	Size		kept = 0;

	if (!mem->kept)
	{
		MemoryContextDelete(mem->cxt);
		return;
	}
	link = &mem->blocks;
	while (*link != NULL)
	{
		GraphBlock *b = *link;

		b->idle = b->used > 0 ? 0 : b->idle + 1;
		if (b->idle > GRAPH_BLOCK_IDLE_MAX ||
			kept + GRAPH_BLOCK_HDRSZ + b->size > GRAPH_KEEP_BYTES)
		{
			*link = b->next;
			pfree(b);
			continue;
		}
		kept += GRAPH_BLOCK_HDRSZ + b->size;
		b->used = 0;
		link = &b->next;
	}
	mem->current = NULL;
	MemoryContextReset(mem->cxt);
	mem->in_use = false;
}

/*
 * Bytes the memory holds (blocks and small pieces), and how many of them
 * the graph uses.
 */
static void
migrate_graph_memory_bytes(MigrateGraphMemory *mem, Size *held, Size *used)
{
	Size		blocks = 0;
	Size		blocks_used = 0;
	Size		small = MemoryContextMemAllocated(mem->cxt, true);

	for (GraphBlock *b = mem->blocks; b != NULL; b = b->next)
	{
		blocks += GRAPH_BLOCK_HDRSZ + b->size;
		blocks_used += b->used;
	}
	/* a graph's own blocks are in its context */
	if (mem->block_cxt == mem->cxt)
		small = small > blocks ? small - blocks : 0;
	*held = blocks + small;
	*used = blocks_used + small;
}

/*
 * A block with room for "size" bytes: an unused kept block that fits, or a
 * new one.  Small pieces get blocks that double up to GRAPH_BLOCK_MAX; a
 * large array a block of its own, an eighth larger than asked, so that the
 * next graph of a slightly larger catalog still fits it.
 */
static GraphBlock *
graph_memory_block(MigrateGraphMemory *mem, Size size)
{
	GraphBlock *b;
	GraphBlock **tail;
	Size		want;

	for (b = mem->blocks; b != NULL; b = b->next)
		if (b->used == 0 && b != mem->current && b->size >= size)
			return b;

	if (size > mem->next_block / 4)
		want = size + size / 8;
	else
	{
		want = mem->next_block;
		if (mem->next_block < GRAPH_BLOCK_MAX)
			mem->next_block *= 2;
	}
	want = MAXALIGN(want);
	b = MemoryContextAllocExtended(mem->block_cxt, GRAPH_BLOCK_HDRSZ + want,
								   MCXT_ALLOC_HUGE);
	b->next = NULL;
	b->size = want;
	b->used = 0;
	b->idle = 0;
	for (tail = &mem->blocks; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = b;
	return b;
}

/*
 * "size" bytes of the graph's memory, MAXALIGNed if "aligned", for as long
 * as the graph lives; never freed one by one (see migrate_graph_mark).
 */
void *
migrate_graph_alloc(MigrateGraph *graph, Size size, bool aligned)
{
	MigrateGraphMemory *mem = graph->mem;
	GraphBlock *b = mem->current;
	Size		off;

	if (b != NULL)
	{
		off = aligned ? MAXALIGN(b->used) : b->used;
		if (off + size <= b->size)
		{
			b->used = off + size;
			return GRAPH_BLOCK_DATA(b) + off;
		}
	}
	b = graph_memory_block(mem, Max(size, 1));
	mem->current = b;
	b->used = size;
	return GRAPH_BLOCK_DATA(b);
}

/* Zeroed graph memory, MAXALIGNed: for the arrays. */
void *
migrate_graph_alloc0(MigrateGraph *graph, Size size)
{
	void	   *p = migrate_graph_alloc(graph, size, true);

	memset(p, 0, size);
	return p;
}

/*
 * Scratch space: graph memory allocated after a mark is given back by
 * migrate_graph_release_to(), as long as it came from the block the mark was in
 * (else it stays until the graph is freed).
 */
MigrateGraphMark
migrate_graph_mark(MigrateGraph *graph)
{
	MigrateGraphMark m = {graph->mem->current,
		graph->mem->current ? graph->mem->current->used : 0};

	return m;
}

void
migrate_graph_release_to(MigrateGraph *graph, MigrateGraphMark m)
{
	if (m.block != NULL && (void *) graph->mem->current == m.block)
		((GraphBlock *) m.block)->used = m.used;
}

/* The context for the graph's small palloc'd things. */
MemoryContext
migrate_graph_memory_context(MigrateGraphMemory *mem)
{
	return mem->cxt;
}

/*
 * For migrate.report_memory: what the graph uses, what its whole call
 * holds (the context it was created under, and the graph), and what the
 * backend keeps (0 for memory of the graph's own).
 */
void
migrate_graph_memory_report(MigrateGraphMemory *mem, Size *used, Size *call,
							Size *kept)
{
	Size		held;

	migrate_graph_memory_bytes(mem, &held, used);
	/* the parent holds a graph of its own memory, not the kept one */
	*call = MemoryContextMemAllocated(mem->parent, true) + (mem->kept ? *used : 0);
	*kept = mem->kept ? held : 0;
}
