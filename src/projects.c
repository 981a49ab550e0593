/*-------------------------------------------------------------------------
 *
 * projects.c
 *	  Several histories in one database: what crosses from one project to
 *	  another, and migrate.projects().
 *
 * A project is a history of its own (revisions, applied state, runs); a
 * graph is loaded for one project (catalog.c), and targets, plans, base and
 * labels never see another project's revisions.  The one thing that
 * crosses is depends_on: "project:id" names a revision of another project
 * (':' cannot occur in an id).  Such a dependency is satisfied when that
 * revision is applied in its project; an upgrade never applies it:
 *
 *	  - registration checks the name (migrate_check_dependency);
 *	  - a graph load looks up the state of every such revision its project
 *	    depends on, under the load's snapshot (migrate_graph_load_externals),
 *	    so validate() reports an unknown one (missing_dependency) and
 *	    plan() refuses an unapplied one (migrate_refuse_unapplied_externals);
 *	  - before an upgrade runs, the projects its plan depends on are locked
 *	    in share mode and their revisions looked up again under the latest
 *	    snapshot (migrate_lock_external_dependencies): a dependency reverted
 *	    meanwhile is refused with SQLSTATE 55000 before anything runs, and
 *	    cannot be reverted while this transaction uses it;
 *	  - a downgrade refuses to revert a revision that another project's
 *	    applied revision depends on (migrate_refuse_foreign_dependents): a
 *	    downgrade never reverts another project's revisions either.
 *
 * Reads of other projects' rows run as the catalog's owner (bookkeeping
 * context, SPI with parameters), like every read here that is not the
 * graph's heap scan.
 *
 * Locking: the share locks are transaction-scoped (lock.c); they are taken
 * in name order, after the caller's own project's lock.
 *
 * IDENTIFICATION
 *	  src/projects.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(migrate_projects);

/*
 * Split a dependency "project:id": true and the two parts (the project
 * palloc'd, the id pointing into dep) if it names a project, false if it
 * is a plain id.
 */
bool
migrate_dependency_split(const char *dep, char **project, const char **id)
{
	const char *colon = strchr(dep, ':');

	if (colon == NULL)
		return false;
	*project = pnstrdup(dep, colon - dep);
	*id = colon + 1;
	return true;
}

/*
 * Check one item of depends_on of revision "id" of "project": a revision id,
 * or "project:id" with a project name and an id that follow the id rules.
 */
void
migrate_check_dependency(const char *dep, const char *project, const char *id)
{
	char	   *dep_project;
	const char *dep_id;

	if (!migrate_dependency_split(dep, &dep_project, &dep_id))
	{
		migrate_check_id(dep, "dependency revision id");
		return;
	}
	if (*dep_project == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid dependency \"%s\"", dep),
				 errdetail("A dependency on another project's revision is written \"project:id\".")));
	migrate_check_id(dep_project, "project of a dependency");
	migrate_check_id(dep_id, "dependency revision id");
	if (strcmp(dep_project, project) == 0 && strcmp(dep_id, id) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("revision \"%s\" cannot depend on itself", id)));
}

static int
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Look up whether the externals [0, n) of "graph" are registered and
 * applied in their projects, under "snapshot".
 */
static void
lookup_externals(MigrateGraph *graph, bool *wanted, Snapshot snapshot)
{
	MigrateBookkeeping bk;
	char	  **projects = palloc(sizeof(char *) * Max(graph->nexternals, 1));
	char	  **ids = palloc(sizeof(char *) * Max(graph->nexternals, 1));
	int		   *which = palloc(sizeof(int) * Max(graph->nexternals, 1));
	int			n = 0;
	Datum		values[2];
	Oid			argtypes[2] = {TEXTARRAYOID, TEXTARRAYOID};

	for (int k = 0; k < graph->nexternals; k++)
	{
		if (wanted != NULL && !wanted[k])
			continue;
		projects[n] = graph->externals[k].project;
		ids[n] = graph->externals[k].id;
		which[n++] = k;
	}
	if (n == 0)
		return;
	values[0] = PointerGetDatum(migrate_cstring_array(projects, n));
	values[1] = PointerGetDatum(migrate_cstring_array(ids, n));

	migrate_bookkeeping_begin(&bk);
	PushActiveSnapshot(snapshot);
	if (SPI_execute_with_args("SELECT EXISTS (SELECT 1 FROM migrate.revision r"
							  "                WHERE r.project = u.p AND r.id = u.i),"
							  "       EXISTS (SELECT 1 FROM migrate.applied a"
							  "                WHERE a.project = u.p AND a.revision = u.i)"
							  "  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(p, i, k)"
							  " ORDER BY u.k",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT ||
		SPI_processed != (uint64) n)
		elog(ERROR, "could not look up other projects' revisions");
	for (int j = 0; j < n; j++)
	{
		HeapTuple	tup = SPI_tuptable->vals[j];
		bool		isnull;
		MigrateExternal *ext = &graph->externals[which[j]];

		ext->registered = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		ext->applied = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
	}
	PopActiveSnapshot();
	migrate_bookkeeping_end(&bk);
	pfree(projects);
	pfree(ids);
	pfree(which);
}

/*
 * Fill graph->externals (sorted by name, in the graph's memory) with the
 * other projects' revisions that the graph's revisions depend on, and
 * their state under the active snapshot.  Called by the graph load before
 * the graph is linked.  Costs nothing when no revision names a project.
 */
void
migrate_graph_load_externals(MigrateGraph *graph)
{
	char	  **names = NULL;
	int			n = 0;
	int			cap = 0;
	int			unique = 0;
	MemoryContext old;

	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		for (int j = 0; j < r->ndepends; j++)
		{
			const char *dep = r->depends[j];
			const char *colon = strchr(dep, ':');

			if (colon == NULL ||
				(strlen(graph->project) == (size_t) (colon - dep) &&
				 strncmp(graph->project, dep, colon - dep) == 0))
				continue;		/* this project's own revision */
			if (n == cap)
			{
				cap = cap ? cap * 2 : 16;
				names = names ? repalloc(names, sizeof(char *) * cap)
					: palloc(sizeof(char *) * cap);
			}
			names[n++] = (char *) dep;
		}
	}
	if (n == 0)
		return;

	qsort(names, n, sizeof(char *), cstring_cmp);
	old = MemoryContextSwitchTo(graph->cxt);
	graph->externals = palloc0(sizeof(MigrateExternal) * n);
	for (int k = 0; k < n; k++)
	{
		MigrateExternal *ext;
		const char *id;

		if (unique > 0 && strcmp(graph->externals[unique - 1].name, names[k]) == 0)
			continue;
		ext = &graph->externals[unique++];
		ext->name = names[k];	/* in the graph's arena */
		(void) migrate_dependency_split(names[k], &ext->project, &id);
		ext->id = (char *) id;
	}
	graph->nexternals = unique;
	MemoryContextSwitchTo(old);
	pfree(names);

	lookup_externals(graph, NULL, GetActiveSnapshot());
}

static int
external_project_cmp(const void *a, const void *b)
{
	return strcmp((*(MigrateExternal *const *) a)->project,
				  (*(MigrateExternal *const *) b)->project);
}

/*
 * Refuse an upgrade plan (graph indexes) with a revision that depends on
 * another project's revision that is not applied there, as the graph's
 * externals say: SQLSTATE 55000, naming it.  For every caller that plans
 * an upgrade (upgrade, run, sql, plan).
 */
void
migrate_refuse_unapplied_externals(MigrateGraph *graph, const int *plan, int n)
{
	if (graph->nexternals == 0)
		return;
	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &graph->revs[plan[k]];

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < r->ndepends; j++)
		{
			MigrateExternal *ext;

			if (!MIGRATE_DEP_IS_EXTERNAL(r->depend_idx[j]))
				continue;
			ext = &graph->externals[MIGRATE_DEP_EXTERNAL_INDEX(r->depend_idx[j])];
			if (!ext->applied)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("cannot upgrade: revision \"%s\" depends on revision \"%s\" of project \"%s\", which is not %s",
								r->id, ext->id, ext->project,
								ext->registered ? "applied" : "registered"),
						 errdetail("An upgrade never applies another project's revisions; nothing was run."),
						 errhint("Upgrade project \"%s\" first, e.g. SELECT migrate.upgrade('head', '%s').",
								 ext->project, ext->project)));
		}
	}
}

/*
 * Before an upgrade runs the revisions "plan" (graph indexes): take the
 * share lock of every other project they depend on, look those revisions
 * up again under the latest snapshot (after the locks), and refuse with
 * SQLSTATE 55000, before anything runs, if one is not applied.
 */
void
migrate_lock_external_dependencies(MigrateGraph *graph, const int *plan, int n)
{
	bool	   *wanted;
	MigrateExternal **byproject;
	int			nwanted = 0;

	if (graph->nexternals == 0)
		return;
	wanted = palloc0(graph->nexternals);
	byproject = palloc(sizeof(MigrateExternal *) * graph->nexternals);
	for (int k = 0; k < n; k++)
	{
		MigrateRevision *r = &graph->revs[plan[k]];

		for (int j = 0; j < r->ndepends; j++)
		{
			int			d = r->depend_idx[j];

			if (MIGRATE_DEP_IS_EXTERNAL(d) && !wanted[MIGRATE_DEP_EXTERNAL_INDEX(d)])
			{
				wanted[MIGRATE_DEP_EXTERNAL_INDEX(d)] = true;
				byproject[nwanted++] = &graph->externals[MIGRATE_DEP_EXTERNAL_INDEX(d)];
			}
		}
	}
	if (nwanted == 0)
		return;

	/* in name order, so that two such upgrades take them in one order */
	qsort(byproject, nwanted, sizeof(MigrateExternal *), external_project_cmp);
	for (int k = 0; k < nwanted; k++)
		if (k == 0 || strcmp(byproject[k]->project, byproject[k - 1]->project) != 0)
			migrate_lock_acquire_shared(byproject[k]->project);

	lookup_externals(graph, wanted, GetLatestSnapshot());
	migrate_refuse_unapplied_externals(graph, plan, n);
	pfree(wanted);
	pfree(byproject);
}

/*
 * Before a downgrade of "project" reverts the revisions "ids": refuse with
 * SQLSTATE 55000 if another project's applied revision depends on one of
 * them.  Called under the project's lock, which an upgrade that relies on
 * its revisions holds in share mode: the latest snapshot shows every such
 * revision that is applied.
 */
void
migrate_refuse_foreign_dependents(const char *project, char **ids, int n)
{
	MigrateBookkeeping bk;
	char	  **names = palloc(sizeof(char *) * Max(n, 1));
	Datum		values[2];
	Oid			argtypes[2] = {TEXTOID, TEXTARRAYOID};
	StringInfoData detail;
	char	   *first_project = NULL;
	char	   *first_id = NULL;
	char	   *first_dep = NULL;
	uint64		found;
	MemoryContext cxt = CurrentMemoryContext;

	if (n == 0)
		return;
	for (int k = 0; k < n; k++)
		names[k] = psprintf("%s:%s", project, ids[k]);
	values[0] = CStringGetTextDatum(project);
	values[1] = PointerGetDatum(migrate_cstring_array(names, n));

	initStringInfo(&detail);
	migrate_bookkeeping_begin(&bk);
	PushActiveSnapshot(GetLatestSnapshot());
	if (SPI_execute_with_args("SELECT r.project, r.id, d.d"
							  "  FROM migrate.revision r"
							  "  JOIN migrate.applied a"
							  "    ON a.project = r.project AND a.revision = r.id"
							  " CROSS JOIN LATERAL pg_catalog.unnest(r.depends_on) AS d(d)"
							  " WHERE r.project <> $1"
							  "   AND r.depends_on <> '{}'::pg_catalog.text[]"
							  "   AND d.d = ANY ($2)"
							  " ORDER BY r.project COLLATE \"C\", r.id COLLATE \"C\", d.d COLLATE \"C\""
							  " LIMIT 21",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up other projects' dependencies");
	found = SPI_processed;
	for (uint64 i = 0; i < found && i < 20; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *p = SPI_getvalue(tup, desc, 1);
		char	   *r = SPI_getvalue(tup, desc, 2);
		char	   *d = SPI_getvalue(tup, desc, 3);
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		if (i == 0)
		{
			first_project = pstrdup(p);
			first_id = pstrdup(r);
			first_dep = pstrdup(strchr(d, ':') + 1);
		}
		appendStringInfo(&detail, "%sRevision \"%s\" of project \"%s\" depends on \"%s\".",
						 i > 0 ? "\n" : "", r, p, d);
		MemoryContextSwitchTo(spicxt);
	}
	if (found > 20)
		appendStringInfoString(&detail, "\nThere are more.");
	PopActiveSnapshot();
	migrate_bookkeeping_end(&bk);

	if (found > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot downgrade: revision \"%s\" of project \"%s\" is needed by revision \"%s\" of project \"%s\", which is applied",
						first_dep, project, first_id, first_project),
				 errdetail_internal("%s", detail.data),
				 errhint("A downgrade never reverts another project's revisions: downgrade project \"%s\" below \"%s\" first; nothing was run.",
						 first_project, first_id)));
	pfree(names);
}

/*
 * Does a revision of another project name one of this project's revisions
 * in its depends_on (applied or not)?
 */
bool
migrate_project_has_dependents(const char *project)
{
	char	   *found = migrate_query_text_value(true,
												 "SELECT 1 FROM migrate.revision r"
												 " CROSS JOIN LATERAL pg_catalog.unnest(r.depends_on) AS d(d)"
												 " WHERE r.project OPERATOR(pg_catalog.<>) $1"
												 "   AND r.depends_on OPERATOR(pg_catalog.<>) '{}'::pg_catalog.text[]"
												 "   AND pg_catalog.starts_with(d.d, $1 OPERATOR(pg_catalog.||) ':')"
												 " LIMIT 1",
												 1, (Oid[]) {TEXTOID},
												 (Datum[]) {CStringGetTextDatum(project)},
												 NULL);

	return found != NULL;
}

#define PROJECTS_COLS 8

/*
 * migrate.projects(): one row per project (one that has registered
 * revisions, applied revisions or runs), by name, with its state as
 * status() reports it.  Readable by everyone, like status().
 */
Datum
migrate_projects(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MigrateBookkeeping bk;
	List	   *projects = NIL;
	ListCell   *lc;
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext rowcxt;

	migrate_srf_init(fcinfo);

	migrate_bookkeeping_begin(&bk);
	if (SPI_execute("SELECT p FROM (SELECT project FROM migrate.revision"
					"                UNION SELECT project FROM migrate.applied"
					"                UNION SELECT project FROM migrate.run) AS s(p)"
					" ORDER BY p COLLATE \"C\"",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the projects");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *p = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContext spicxt = MemoryContextSwitchTo(callcxt);

		projects = lappend(projects, pstrdup(p));
		MemoryContextSwitchTo(spicxt);
	}
	migrate_bookkeeping_end(&bk);

	rowcxt = AllocSetContextCreate(callcxt, "migrate.projects row",
								   ALLOCSET_DEFAULT_SIZES);
	foreach(lc, projects)
	{
		const char *project = lfirst(lc);
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		MigrateGraph *graph;
		MigrateFinding *items;
		int			nitems;
		int		   *idx;
		int			count;
		int			pending = 0,
					applied = 0,
					errors = 0;
		Datum		v[PROJECTS_COLS];
		bool		nulls[PROJECTS_COLS];
		Datum		run[5];
		bool		run_nulls[5];
		char	  **ids;

		CHECK_FOR_INTERRUPTS();
		graph = migrate_load_graph_ext(rowcxt, project,
									   MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
		memset(nulls, 0, sizeof(nulls));
		v[0] = CStringGetTextDatum(project);

		idx = migrate_graph_currents(graph, &count);
		ids = palloc(sizeof(char *) * Max(count, 1));
		for (int i = 0; i < count; i++)
			ids[i] = graph->revs[idx[i]].id;
		v[1] = PointerGetDatum(migrate_cstring_array(ids, count));

		idx = migrate_graph_heads(graph, &count);
		ids = palloc(sizeof(char *) * Max(count, 1));
		for (int i = 0; i < count; i++)
			ids[i] = graph->revs[idx[i]].id;
		v[2] = PointerGetDatum(migrate_cstring_array(ids, count));

		for (int i = 0; i < graph->nrevs; i++)
		{
			if (graph->revs[i].applied)
				applied++;
			if (graph->revs[i].registered && !graph->revs[i].applied)
				pending++;
		}
		v[3] = Int32GetDatum(pending);
		v[4] = Int32GetDatum(applied);

		migrate_last_run(project, run, run_nulls);
		v[5] = run[3];
		nulls[5] = run_nulls[3];
		v[6] = run[2];
		nulls[6] = run_nulls[2];

		items = migrate_validate_graph(graph, &nitems);
		for (int i = 0; i < nitems; i++)
			if (items[i].severity == MIGRATE_ERROR)
				errors++;
		v[7] = Int32GetDatum(errors);

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}
