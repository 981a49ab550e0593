/*-------------------------------------------------------------------------
 *
 * status.c
 *	  Read-only views of the graph: current, heads, bases, history, status,
 *	  resolve and plan.
 *
 * Each call loads one project's graph once (without bodies, except status,
 * which counts validation findings), answers from memory and frees the
 * graph.  The project is the call's trailing argument (NULL: the setting
 * migrate.project).  Nothing here takes a migration lock: a reader sees
 * the state as of its snapshot and never waits for a running migration.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "lockkey.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(migrate_current);
PG_FUNCTION_INFO_V1(migrate_heads);
PG_FUNCTION_INFO_V1(migrate_bases);
PG_FUNCTION_INFO_V1(migrate_history);
PG_FUNCTION_INFO_V1(migrate_status);
PG_FUNCTION_INFO_V1(migrate_resolve);
PG_FUNCTION_INFO_V1(migrate_plan);

static Datum
id_list(FunctionCallInfo fcinfo, int *(*collect) (MigrateGraph *, int *))
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MigrateGraph *graph;
	int		   *idx;
	int			n;

	migrate_srf_init(fcinfo);
	graph = migrate_load_graph_ext(CurrentMemoryContext,
								   migrate_project_arg(fcinfo, 0), 0);
	idx = collect(graph, &n);
	for (int i = 0; i < n; i++)
	{
		Datum		value = CStringGetTextDatum(graph->revs[idx[i]].id);
		bool		isnull = false;

		CHECK_FOR_INTERRUPTS();
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	migrate_graph_free(graph, "migrate.current/heads/bases");
	return (Datum) 0;
}

Datum
migrate_current(PG_FUNCTION_ARGS)
{
	return id_list(fcinfo, migrate_graph_currents);
}

Datum
migrate_heads(PG_FUNCTION_ARGS)
{
	return id_list(fcinfo, migrate_graph_heads);
}

Datum
migrate_bases(PG_FUNCTION_ARGS)
{
	return id_list(fcinfo, migrate_graph_bases);
}

static Datum
ids_array_datum(MigrateGraph *graph, const int *idx, int n)
{
	char	  **ids = palloc(sizeof(char *) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ids[i] = graph->revs[idx[i]].id;
	}
	return PointerGetDatum(migrate_cstring_array(ids, n));
}

#define HISTORY_COLS 14

static void
history_row(ReturnSetInfo *rsinfo, MigrateGraph *graph, int i)
{
	MigrateRevision *r = &graph->revs[i];
	Datum		v[HISTORY_COLS];
	bool		nulls[HISTORY_COLS];

	memset(nulls, 0, sizeof(nulls));
	v[0] = CStringGetTextDatum(r->id);
	v[1] = PointerGetDatum(migrate_cstring_array(r->parents, r->nparents));
	if (r->message)
		v[2] = CStringGetTextDatum(r->message);
	else
		nulls[2] = true;
	v[3] = BoolGetDatum(r->applied);
	if (r->applied)
		v[4] = TimestampTzGetDatum(r->applied_at);
	else
		nulls[4] = true;
	v[5] = BoolGetDatum(migrate_is_head(graph, i));
	v[6] = BoolGetDatum(migrate_is_current(graph, i));
	v[7] = BoolGetDatum(migrate_is_base(graph, i));
	v[8] = PointerGetDatum(migrate_cstring_array(r->labels, r->nlabels));
	v[9] = PointerGetDatum(migrate_cstring_array(r->depends, r->ndepends));
	if (r->registered)
	{
		v[10] = BoolGetDatum(r->transactional);
		v[11] = BoolGetDatum(r->has_downgrade);
		v[13] = TimestampTzGetDatum(r->registered_at);
	}
	else
		nulls[10] = nulls[11] = nulls[13] = true;
	if (r->source)
		v[12] = CStringGetTextDatum(r->source);
	else
		nulls[12] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
}

Datum
migrate_history(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MigrateGraph *graph;
	MemoryContext rowcxt;
	MemoryContext old;
	char	   *range = NULL;
	bool	   *members = NULL;

	migrate_srf_init(fcinfo);

	/*
	 * history('A:B'): a range of the project migrate.project.  No project
	 * name has a colon, and the signature stays history(project), as every
	 * history function ends with its project.
	 */
	if (PG_NARGS() > 0 && !PG_ARGISNULL(0) &&
		migrate_target_is_range(text_to_cstring(PG_GETARG_TEXT_PP(0))))
		range = text_to_cstring(PG_GETARG_TEXT_PP(0));
	graph = migrate_load_graph(CurrentMemoryContext,
							   range ? migrate_project_arg(fcinfo, PG_NARGS())
							   : migrate_project_arg(fcinfo, 0), false);
	if (range != NULL)
		members = migrate_range_members(graph, range);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "migrate history row",
								   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(rowcxt);
	for (int k = 0; k < graph->ntopo; k++)
	{
		CHECK_FOR_INTERRUPTS();
		if (members == NULL || members[graph->topo[k]])
			history_row(rsinfo, graph, graph->topo[k]);
		MemoryContextReset(rowcxt);
	}
	MemoryContextSwitchTo(old);
	/* recorded as applied, not registered: last, by id (not in a range) */
	if (members == NULL)
	{
		int		   *rest = palloc(sizeof(int) * Max(graph->nrevs, 1));
		int			nrest = 0;

		for (int i = 0; i < graph->nrevs; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (!graph->revs[i].registered)
				rest[nrest++] = i;
		}
		migrate_sort_by_id(graph, rest, nrest);
		old = MemoryContextSwitchTo(rowcxt);
		for (int k = 0; k < nrest; k++)
		{
			CHECK_FOR_INTERRUPTS();
			history_row(rsinfo, graph, rest[k]);
			MemoryContextReset(rowcxt);
		}
		MemoryContextSwitchTo(old);
	}
	MemoryContextDelete(rowcxt);
	migrate_graph_free(graph, "migrate.history");
	return (Datum) 0;
}

/*
 * The last run of a project: id, kind, status, when (finished, or started)
 * and its error as one line, in v[0..4] (copied into the caller's memory
 * context; all NULL when the project has no run).  A run recorded as
 * 'running' (CALL migrate.run commits that row first) whose session no
 * longer holds the project's migration lock was interrupted: its session
 * ended or the server restarted.  The next migration of the project marks
 * it failed; until then, say so here rather than 'running'.  Read as the
 * caller, through the view migrate.run, which shows a failed run's message
 * only to the role that ran it, pg_read_all_stats and superusers
 * (rights.c); others get the revision and the SQLSTATE.
 */
void
migrate_last_run(const char *project, Datum *v, bool *nulls)
{
	MigrateBookkeeping bk;
	MemoryContext callcxt = CurrentMemoryContext;
	Oid			argtypes[2] = {TEXTOID, OIDOID};
	Datum		args[2];

	for (int c = 0; c < 5; c++)
		nulls[c] = true;
	args[0] = CStringGetTextDatum(project);
	args[1] = ObjectIdGetDatum((Oid) (uint32) migrate_lock_key2(project));
	migrate_caller_query_begin(&bk);
	if (SPI_execute_with_args("SELECT r.id, r.kind, CASE WHEN r.interrupted THEN 'interrupted' ELSE r.status END,"
							  "       COALESCE(r.finished_at, r.started_at),"
							  "       CASE WHEN r.interrupted THEN"
							  "         'interrupted: the run did not finish (its session ended or the server restarted); the next migration marks it failed'"
							  "       WHEN r.status = 'failed' THEN"
							  "         concat_ws(' ', r.error_revision || ':', r.error_sqlstate,"
							  "                   r.error_message) END"
							  "  FROM (SELECT run.*, run.status = 'running' AND NOT EXISTS ("
							  "          SELECT 1 FROM pg_catalog.pg_locks l"
							  "           WHERE l.locktype = 'advisory' AND l.granted"
							  "             AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d"
							  "                                WHERE d.datname = pg_catalog.current_database())"
							  "             AND l.classid = " MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY1) " AND l.objid = $2 AND l.objsubid = 2"
							  "             AND l.pid = run.pid) AS interrupted"
							  "          FROM migrate.run WHERE run.project = $1"
							  "         ORDER BY run.id DESC LIMIT 1) r",
							  2, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read migrate.run");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext spicxt = MemoryContextSwitchTo(callcxt);

		for (int c = 0; c < 5; c++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(tup, desc, c + 1, &isnull);

			nulls[c] = isnull;
			if (!isnull)
				v[c] = datumCopy(d, TupleDescAttr(desc, c)->attbyval,
								 TupleDescAttr(desc, c)->attlen);
		}
		MemoryContextSwitchTo(spicxt);
	}
	migrate_bookkeeping_end(&bk);
}

Datum
migrate_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	MigrateGraph *graph;
	int		   *cur,
			   *heads;
	int			ncur,
				nheads;
	int			pending = 0,
				applied = 0,
				registered = 0,
				errors = 0,
				warnings = 0;
	bool		at_head;
	MigrateFinding *items;
	int			nitems;
	Datum		v[13];
	bool		nulls[13];
	Datum		result;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	graph = migrate_load_graph_ext(CurrentMemoryContext,
								   migrate_project_arg(fcinfo, 0),
								   MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
	cur = migrate_graph_currents(graph, &ncur);
	heads = migrate_graph_heads(graph, &nheads);
	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		if (r->registered)
			registered++;
		if (r->applied)
			applied++;
		if (r->registered && !r->applied)
			pending++;
	}
	at_head = nheads > 0;
	for (int i = 0; i < nheads; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!graph->revs[heads[i]].applied)
			at_head = false;
	}

	items = migrate_validate_graph(graph, &nitems);
	for (int i = 0; i < nitems; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (items[i].severity == MIGRATE_ERROR)
			errors++;
		else if (items[i].severity == MIGRATE_WARNING)
			warnings++;
	}

	memset(nulls, 0, sizeof(nulls));
	v[0] = ids_array_datum(graph, cur, ncur);
	v[1] = ids_array_datum(graph, heads, nheads);
	v[2] = BoolGetDatum(at_head);
	v[3] = Int32GetDatum(pending);
	v[4] = Int32GetDatum(applied);
	v[5] = Int32GetDatum(registered);
	v[6] = Int32GetDatum(errors);
	v[7] = Int32GetDatum(warnings);
	migrate_last_run(graph->project, &v[8], &nulls[8]);
	result = HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls));
	migrate_graph_free(graph, "migrate.status");
	PG_RETURN_DATUM(result);
}

Datum
migrate_resolve(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = migrate_target_arg(fcinfo, 0);
	MigrateGraph *graph;
	MigrateTarget *t;

	migrate_srf_init(fcinfo);
	graph = migrate_load_graph_ext(CurrentMemoryContext,
								   migrate_project_arg(fcinfo, 1), 0);
	t = migrate_resolve_target(graph, target, MIGRATE_UP);
	for (int i = 0; i < t->nrevs; i++)
	{
		Datum		value = CStringGetTextDatum(graph->revs[t->revs[i]].id);
		bool		isnull = false;

		CHECK_FOR_INTERRUPTS();
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	migrate_graph_free(graph, "migrate.resolve");
	return (Datum) 0;
}

Datum
migrate_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = migrate_target_arg(fcinfo, 0);
	MigrateDirection dir = migrate_direction_arg(fcinfo, 1);
	MigrateGraph *graph;
	MigrateTarget *t;
	int		   *plan;
	int			n;

	migrate_srf_init(fcinfo);
	graph = migrate_load_graph(CurrentMemoryContext,
							   migrate_project_arg(fcinfo, 2), false);
	t = migrate_resolve_target(graph, target, dir);
	plan = dir == MIGRATE_UP ? migrate_plan_upgrade(graph, t, &n)
		: migrate_plan_downgrade(graph, t, &n);
	if (dir == MIGRATE_UP)
		migrate_refuse_unapplied_externals(graph, plan, n);
	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &graph->revs[plan[k]];
		Datum		v[5];
		bool		nulls[5] = {false, false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		v[0] = Int32GetDatum(k + 1);
		v[1] = CStringGetTextDatum(r->id);
		v[2] = CStringGetTextDatum(dir == MIGRATE_UP ? "up" : "down");
		if (r->message)
			v[3] = CStringGetTextDatum(r->message);
		else
			nulls[3] = true;
		v[4] = BoolGetDatum(r->transactional);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	migrate_graph_free(graph, "migrate.plan");
	return (Datum) 0;
}
