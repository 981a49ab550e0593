/*-------------------------------------------------------------------------
 *
 * graph_memory.h
 *	  The memory revision graphs are built in (graph_memory.c), for graph.c.
 *
 * IDENTIFICATION
 *	  src/graph_memory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_GRAPH_MEMORY_H
#define MIGRATE_GRAPH_MEMORY_H

#include "migrate.h"

/* a point in a graph's memory to give scratch space back to */
typedef struct MigrateGraphMark
{
	void	   *block;
	Size		used;
} MigrateGraphMark;

extern MigrateGraphMemory *migrate_graph_memory_acquire(MemoryContext parent);
extern void migrate_graph_memory_release(MigrateGraphMemory *mem);
extern MemoryContext migrate_graph_memory_context(MigrateGraphMemory *mem);
extern void migrate_graph_memory_report(MigrateGraphMemory *mem, Size *used,
										Size *call, Size *kept);
extern void *migrate_graph_alloc0(MigrateGraph *graph, Size size);
extern MigrateGraphMark migrate_graph_mark(MigrateGraph *graph);
extern void migrate_graph_release_to(MigrateGraph *graph, MigrateGraphMark m);

#endif							/* MIGRATE_GRAPH_MEMORY_H */
