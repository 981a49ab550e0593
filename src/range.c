/*-------------------------------------------------------------------------
 *
 * range.c
 *	  Ranges "A:B" (as alembic history -r A:B and alembic upgrade A:B --sql
 *	  take them): the two states a range names, the revisions between them
 *	  for migrate.history(), and the assumed starting state of
 *	  migrate.sql('A:B').
 *
 * A state is a set of revisions closed under ancestry (parents and
 * dependencies): the state an end names is what upgrade(end) would leave in
 * an empty database.  Either end may be empty: an empty start is base
 * (nothing), an empty end is heads (everything registered) when it is the
 * upper end; "current" is the applied state (unless a revision has that
 * id); relative ends ("-1", "<label>@-1") move from the applied state, as
 * downgrade() would read them.
 *
 * Everything here works on a graph the caller loaded; nothing reads or
 * writes the catalog, so no lock is taken here: migrate.sql() plans under
 * the project's migration lock as upgrade() does, migrate.history() reads
 * a snapshot as every status function does.
 *
 * IDENTIFICATION
 *	  src/range.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "miscadmin.h"

/*
 * Split "A:B" into its two ends (either may come back empty).  One colon
 * only: "A:B:C" is refused, as is a range with neither end.
 */
void
migrate_range_split(const char *range, char **from, char **to)
{
	const char *colon = strchr(range, ':');

	if (colon == NULL)
		elog(ERROR, "migrate_range_split called without a range");
	if (strchr(colon + 1, ':') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed range \"%s\"", migrate_clip(range, 100)),
				 errdetail("A range has one colon between its two ends, as in 'A:B', 'A:' or ':B'.")));
	*from = pnstrdup(range, colon - range);
	*to = pstrdup(colon + 1);
}

/* Reading "end" as a downgrade target: the ends that move backward. */
static bool
end_moves_back(const char *end)
{
	size_t		len = strlen(end);

	return end[0] == '-' || strstr(end, "@-") != NULL ||
		(len > 5 && strcmp(end + len - 5, "@base") == 0);
}

static bool
is_registered_id(MigrateGraph *graph, const char *id)
{
	int			idx = migrate_graph_find(graph, id);

	return idx >= 0 && graph->revs[idx].registered;
}

/*
 * The state "end" names, as marks over graph->revs (palloc'd).  "empty_is"
 * is the state of an empty end: false for nothing (base), true for every
 * registered revision (heads).
 */
bool *
migrate_range_state(MigrateGraph *graph, const char *end, bool empty_is_heads)
{
	bool	   *state = palloc0(Max(graph->nrevs, 1));
	MigrateTarget *t;

	if (end[0] == '\0')
	{
		for (int i = 0; i < graph->nrevs; i++)
			state[i] = empty_is_heads && graph->revs[i].registered;
		return state;
	}
	if (strcmp(end, "current") == 0 && !is_registered_id(graph, end))
	{
		for (int i = 0; i < graph->nrevs; i++)
			state[i] = graph->revs[i].applied && graph->revs[i].registered;
		return state;
	}

	t = migrate_resolve_target(graph, end,
							   end_moves_back(end) ? MIGRATE_DOWN : MIGRATE_UP);
	if (t->is_base)
		return state;
	if (t->has_revert_set)
	{
		/* what downgrade(end) would leave */
		for (int i = 0; i < graph->nrevs; i++)
			state[i] = graph->revs[i].applied && graph->revs[i].registered &&
				!t->revert_set[i];
		return state;
	}
	migrate_ancestors(graph, t->revs, t->nrevs, true, false, state);
	return state;
}

/*
 * The revisions of a range, for migrate.history(revisions => 'A:B'): those
 * of state B that are not below A, and A itself (the top of state A: the
 * range's first revisions, as alembic history -r A:B lists A).  Marks over
 * graph->revs.
 */
bool *
migrate_range_members(MigrateGraph *graph, const char *range)
{
	char	   *from_end;
	char	   *to_end;
	bool	   *from;
	bool	   *members;

	migrate_range_split(range, &from_end, &to_end);
	from = migrate_range_state(graph, from_end, false);
	members = migrate_range_state(graph, to_end, true);
	for (int i = 0; i < graph->nrevs; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!from[i])
			continue;
		members[i] = members[i] && migrate_state_top(graph, from, i);
	}
	pfree(from);
	return members;
}

/*
 * Take "state" as the applied state of the loaded graph, for a script
 * written from a state the database need not be in (migrate.sql('A:B')):
 * targets and plans read graph->revs[i].applied, and the script checks at
 * its start that the database it runs in is at that state.  The graph no
 * longer describes the database afterwards; the caller plans from it and
 * frees it.
 */
void
migrate_graph_assume_state(MigrateGraph *graph, const bool *state)
{
	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		r->applied = state[i];
		r->applied_at = 0;
		r->applied_checksum = state[i] ? r->checksum : NULL;
	}
}
