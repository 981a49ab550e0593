/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  The plans a resolved target yields: the revisions upgrade() applies,
 *	  ancestors first; those downgrade() reverts, descendants first; and
 *	  the sets stamp() records as applied and unapplied.
 *
 * Plans are computed in time linear in the graph: marks, then one pass over
 * the topological order.  Nothing here reads the catalog or takes a lock:
 * callers plan from a graph they loaded (under the migration lock when
 * they act on the plan).  Targets are resolved in target.c.
 *
 * Errors: 42704 a plan that needs a missing parent or dependency, 42P17 a
 * plan through a cycle, 55000 a revision on the way that is irreversible,
 * not applied, or applied but no longer registered.
 *
 * IDENTIFICATION
 *	  src/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "miscadmin.h"
#include "utils/builtins.h"

/* Revisions with mark[] set, in topological order (or its reverse). */
static int *
ordered_marks(MigrateGraph *graph, const bool *mark, bool reverse, int *count)
{
	int		   *out = palloc(sizeof(int) * Max(graph->ntopo, 1));
	int			n = 0;

	for (int k = 0; k < graph->ntopo; k++)
	{
		int			i = graph->topo[reverse ? graph->ntopo - 1 - k : k];

		CHECK_FOR_INTERRUPTS();
		if (mark[i])
			out[n++] = i;
	}
	*count = n;
	return out;
}

static bool *
cycle_members(MigrateGraph *graph)
{
	bool	   *in_cycle = palloc0(Max(graph->nrevs, 1));
	ListCell   *lc;

	foreach(lc, graph->cycles)
	{
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
			in_cycle[lfirst_int(lc2)] = true;
	}
	return in_cycle;
}

/*
 * Upgrade plan: every unapplied ancestor and dependency of the target,
 * ancestors first.  Refuses a plan that needs an unregistered revision or
 * runs through a cycle.  (Dependencies on other projects' revisions are
 * checked by the callers: migrate_refuse_unapplied_externals.)
 */
int *
migrate_plan_upgrade(MigrateGraph *graph, MigrateTarget *target, int *count)
{
	bool	   *mark;
	int		   *plan;
	int			n;
	bool	   *in_cycle = NULL;

	*count = 0;
	if (target->is_base || target->nrevs == 0)
		return NULL;

	mark = palloc0(Max(graph->nrevs, 1));
	migrate_ancestors(graph, target->revs, target->nrevs, true, true, mark);
	plan = ordered_marks(graph, mark, false, &n);
	if (graph->cycles != NIL)
		in_cycle = cycle_members(graph);

	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &graph->revs[plan[k]];

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < r->nparents; j++)
			if (r->parent_idx[j] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("cannot upgrade: revision \"%s\" names parent \"%s\", which is not registered",
								r->id, r->parents[j]),
						 errdetail("The revision's source is %s.",
								   r->source ? quote_literal_cstr(r->source) : "not recorded"),
						 errhint("Register the missing revision, or correct down_revision. migrate.validate() lists every problem.")));
		for (int j = 0; j < r->ndepends; j++)
			if (r->depend_idx[j] == -1)	/* not another project's */
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("cannot upgrade: revision \"%s\" depends on \"%s\", which is not registered",
								r->id, r->depends[j]),
						 errhint("Register the missing revision, or correct depends_on.")));
		if (in_cycle && in_cycle[plan[k]])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("cannot upgrade: revision \"%s\" is part of a cycle", r->id),
					 errhint("migrate.validate() shows the cycle.")));
	}
	*count = n;
	return plan;
}

/*
 * Downgrade plan: applied revisions to revert, descendants first.  A target
 * revision stays applied and its applied descendants (children and
 * dependents, transitively) go; "base" reverts everything; a revert set
 * (from -N or <label>@...) goes with whatever depends on it.  Refuses an
 * irreversible or unregistered revision on the way.
 */
int *
migrate_plan_downgrade(MigrateGraph *graph, MigrateTarget *target, int *count)
{
	bool	   *mark = palloc0(Max(graph->nrevs, 1));
	int			start_cap = graph->nrevs;
	int		   *start;
	int			nstart = 0;
	int		   *plan;
	int			n;

	for (int t = 0; t < target->nrevs; t++)
	{
		CHECK_FOR_INTERRUPTS();
		start_cap += graph->revs[target->revs[t]].nchildren;
	}
	start = palloc(sizeof(int) * Max(start_cap, 1));

	if (target->is_base)
	{
		for (int i = 0; i < graph->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			mark[i] = graph->revs[i].applied;
		}
	}
	else if (target->has_revert_set)
	{
		for (int i = 0; i < graph->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (target->revert_set[i] && graph->revs[i].applied)
				start[nstart++] = i;
		}
		migrate_descendants(graph, start, nstart, true, true, mark);
	}
	else
	{
		for (int t = 0; t < target->nrevs; t++)
		{
			MigrateRevision *r = &graph->revs[target->revs[t]];

			CHECK_FOR_INTERRUPTS();
			if (!r->applied)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("cannot downgrade to revision \"%s\": it is not applied", r->id),
						 errhint("Use migrate.upgrade('%s') to move forward to it.", r->id)));
			/* what descends from it; what merely depends on it may stay */
			for (int j = 0; j < r->nchildren; j++)
				start[nstart++] = r->children[j];
		}
		migrate_descendants(graph, start, nstart, true, true, mark);
	}

	/* only applied revisions are reverted */
	for (int i = 0; i < graph->nrevs; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!graph->revs[i].applied)
			mark[i] = false;
		else if (mark[i] && !graph->revs[i].registered)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot downgrade: revision \"%s\" is recorded as applied but not registered",
							graph->revs[i].id),
					 errhint("Register it again with its downgrade, or use migrate.stamp to correct the recorded state.")));
	}

	plan = ordered_marks(graph, mark, true, &n);
	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &graph->revs[plan[k]];

		CHECK_FOR_INTERRUPTS();
		if (!r->has_downgrade)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot downgrade: revision \"%s\" is irreversible", r->id),
					 errdetail("It has no downgrade body; %d revision%s would have to be reverted.",
							   n, n == 1 ? "" : "s"),
					 errhint("Downgrade to \"%s\" or a later revision, or use migrate.stamp to record a state without running anything.",
							 r->id)));
	}
	*count = n;
	return plan;
}

/*
 * Stamp plan: what stamp(target) changes in the recorded state, running
 * nothing.  Ancestors of the target become applied, its descendants
 * unapplied; other branches are untouched; 'base' clears everything (also
 * revisions recorded as applied but no longer registered).  *add lists the
 * revisions to record as applied, ancestors first; *del those to record as
 * unapplied, descendants first.  The graph's applied flags are set to the
 * state the stamp leaves, so that current revisions can be read from it.
 * Refuses to keep a revision on a cycle or one whose parent is missing.
 */
void
migrate_plan_stamp(MigrateGraph *graph, MigrateTarget *target,
				   int **add, int *nadd, int **del, int *ndel)
{
	int			n = graph->nrevs;
	bool	   *keep = palloc0(Max(n, 1));
	bool	   *drop = palloc0(Max(n, 1));

	if (target->is_base)
	{
		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			drop[i] = true;
		}
	}
	else if (target->has_revert_set)
	{
		int		   *start = palloc(sizeof(int) * Max(n, 1));
		int			nstart = 0;

		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (target->revert_set[i])
				start[nstart++] = i;
		}
		migrate_descendants(graph, start, nstart, true, true, drop);
	}
	else
	{
		int			cap = n;
		int		   *start;
		int			nstart = 0;
		ListCell   *lc;

		for (int i = 0; i < target->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			cap += graph->revs[target->revs[i]].nchildren;
		}
		start = palloc(sizeof(int) * Max(cap, 1));
		migrate_ancestors(graph, target->revs, target->nrevs, true, false, keep);
		for (int i = 0; i < target->nrevs; i++)
		{
			MigrateRevision *r = &graph->revs[target->revs[i]];

			CHECK_FOR_INTERRUPTS();
			for (int j = 0; j < r->nchildren; j++)
				start[nstart++] = r->children[j];
		}
		migrate_descendants(graph, start, nstart, true, true, drop);

		/* a revision on a cycle has no place in any order: as upgrade() refuses */
		foreach(lc, graph->cycles)
		{
			ListCell   *lc2;

			foreach(lc2, (List *) lfirst(lc))
				if (keep[lfirst_int(lc2)])
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
							 errmsg("cannot stamp: revision \"%s\" is part of a cycle",
									graph->revs[lfirst_int(lc2)].id),
							 errhint("migrate.validate() shows the cycle.")));
		}
		/* missing parents of kept revisions cannot be recorded */
		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (keep[i])
			{
				MigrateRevision *r = &graph->revs[i];

				for (int j = 0; j < r->nparents; j++)
					if (r->parent_idx[j] < 0)
						ereport(ERROR,
								(errcode(ERRCODE_UNDEFINED_OBJECT),
								 errmsg("cannot stamp: revision \"%s\" names parent \"%s\", which is not registered",
										r->id, r->parents[j])));
			}
		}
	}

	*add = palloc(sizeof(int) * Max(n, 1));
	*del = palloc(sizeof(int) * Max(n, 1));
	*nadd = *ndel = 0;
	for (int k = 0; k < graph->ntopo; k++)
	{
		int			i = graph->topo[k];

		CHECK_FOR_INTERRUPTS();
		if (keep[i] && !graph->revs[i].applied)
			(*add)[(*nadd)++] = i;
	}
	for (int k = graph->ntopo - 1; k >= 0; k--)
	{
		int			i = graph->topo[k];

		CHECK_FOR_INTERRUPTS();
		if (drop[i] && !keep[i] && graph->revs[i].applied)
			(*del)[(*ndel)++] = i;
	}
	/* recorded as applied but unregistered: only 'base' clears them */
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!graph->revs[i].registered && drop[i] && graph->revs[i].applied)
			(*del)[(*ndel)++] = i;
	}

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (keep[i])
			graph->revs[i].applied = true;
		else if (drop[i])
			graph->revs[i].applied = false;
	}
	pfree(keep);
	pfree(drop);
}
