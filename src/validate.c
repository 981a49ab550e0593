/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Findings about a revision graph, and migrate.validate / migrate.check.
 *
 * Everything is computed from one load of the catalog (with bodies, to
 * recompute checksums) in time linear in revisions + edges, except the
 * branch-label rule for multiple heads and bases, which walks once per
 * label.  The parser's verdict on each body was stored at registration, so
 * no body is parsed here.
 *
 * The chain rules (how revisions link up: missing parents and
 * dependencies, cycles, labels, heads, bases, file names, downgrades) are
 * common/chain.c's, which "pg_migrate check --offline" runs on the files:
 * this file shows it the graph through an index-based view and adds what
 * needs the database (applied state, checksums, parsed bodies).
 *
 * A graph is one project's; a dependency on another project's revision
 * ("project:id") is judged here by its state in that project
 * (graph->externals; the chain rules skip it): missing_dependency when
 * that project has no such revision, applied_gap when this revision is
 * applied and it is not.
 *
 * Codes and severities (the contract's, plus the rule for labels):
 *	  error:   missing_parent, missing_dependency, cycle, duplicate_label,
 *	           applied_unknown, applied_gap, checksum_mismatch,
 *	           source_mismatch, unparsable_body
 *	  warning: multiple_heads, multiple_bases (info when every head, or
 *	           base, lies on a branch of its own label),
 *	           enum_value_used_too_early (validate() only: a pending
 *	           revision uses an enum value that an earlier pending revision
 *	           adds, which upgrade() cannot run in one transaction; found by
 *	           commit_boundary.c's rule, among pending revisions in
 *	           topological order, from the bodies that can hold such a pair)
 *	  info:    irreversible
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(migrate_validate);
PG_FUNCTION_INFO_V1(migrate_check);

typedef struct Findings
{
	MigrateFinding *items;
	int			n;
	int			cap;
} Findings;

static void
add_finding(Findings *f, MigrateSeverity sev, const char *code,
			const char *revision, char *message)
{
	if (f->n == f->cap)
	{
		f->cap = f->cap ? f->cap * 2 : 32;
		f->items = f->items ? repalloc_huge(f->items, sizeof(MigrateFinding) * f->cap)
			: palloc_extended(sizeof(MigrateFinding) * f->cap, MCXT_ALLOC_HUGE);
	}
	f->items[f->n].severity = sev;
	f->items[f->n].code = code;
	f->items[f->n].revision = revision ? pstrdup(revision) : NULL;
	f->items[f->n].message = message;
	f->n++;
}

/* The chain rules' view of a graph: its registered revisions, by index. */
static bool
graph_chain_revision(const void *chain, int index, MigrateChainRevision *out)
{
	const MigrateRevision *r = &((const MigrateGraph *) chain)->revs[index];

	if (!r->registered)
		return false;
	out->id = r->id;
	out->source = r->source;
	out->parents = r->parents;
	out->parent_idx = r->parent_idx;
	out->depends = r->depends;
	out->depend_idx = r->depend_idx;
	out->labels = r->labels;
	out->nparents = r->nparents;
	out->ndepends = r->ndepends;
	out->nlabels = r->nlabels;
	out->has_downgrade = r->has_downgrade;
	return true;
}

static void
chain_finding(void *arg, MigrateSeverity severity, const char *code,
			  const char *revision, char *message)
{
	add_finding((Findings *) arg, severity, code, revision, message);
}

MigrateFinding *
migrate_validate_graph(MigrateGraph *graph, int *count)
{
	Findings	f = {0};
	MigrateChainView chain = {
		.nrevs = graph->nrevs,
		.revision = graph_chain_revision,
		.chain = graph,
		/* graph.c looked for cycles as it ordered the revisions */
		.acyclic = graph->cycles == NIL,
	};

	/*
	 * Checksums are private (rights.c): a message quotes them only to
	 * members of pg_read_all_stats and superusers.
	 */
	bool		may_read_checksums = migrate_may_read_all_private(GetUserId());

	for (int k = 0; k < graph->nrevs; k++)
	{
		MigrateRevision *r = &graph->revs[k];

		CHECK_FOR_INTERRUPTS();
		if (!r->registered)
		{
			add_finding(&f, MIGRATE_ERROR, "applied_unknown", r->id,
						psprintf("revision \"%s\" is recorded as applied but is not registered",
								 r->id));
			continue;
		}

		for (int j = 0; j < r->nparents; j++)
			if (r->parent_idx[j] >= 0 && r->applied &&
				!graph->revs[r->parent_idx[j]].applied)
				add_finding(&f, MIGRATE_ERROR, "applied_gap", r->id,
							psprintf("revision \"%s\" is applied but its parent \"%s\" is not",
									 r->id, r->parents[j]));
		for (int j = 0; j < r->ndepends; j++)
		{
			if (MIGRATE_DEP_IS_EXTERNAL(r->depend_idx[j]))
			{
				MigrateExternal *ext = &graph->externals[MIGRATE_DEP_EXTERNAL_INDEX(r->depend_idx[j])];

				if (!ext->registered)
					add_finding(&f, MIGRATE_ERROR, "missing_dependency", r->id,
								psprintf("revision \"%s\" depends on \"%s\": project \"%s\" has no revision \"%s\"",
										 r->id, r->depends[j], ext->project, ext->id));
				else if (r->applied && !ext->applied)
					add_finding(&f, MIGRATE_ERROR, "applied_gap", r->id,
								psprintf("revision \"%s\" is applied but its dependency \"%s\" (of project \"%s\") is not",
										 r->id, r->depends[j], ext->project));
			}
			else if (r->depend_idx[j] >= 0 && r->applied &&
					 !graph->revs[r->depend_idx[j]].applied)
				add_finding(&f, MIGRATE_ERROR, "applied_gap", r->id,
							psprintf("revision \"%s\" is applied but its dependency \"%s\" is not",
									 r->id, r->depends[j]));
		}

		if (r->upgrade_problem)
			add_finding(&f, MIGRATE_ERROR, "unparsable_body", r->id,
						psprintf("upgrade body of \"%s\": %s", r->id, r->upgrade_problem));
		if (r->downgrade_problem)
			add_finding(&f, MIGRATE_ERROR, "unparsable_body", r->id,
						psprintf("downgrade body of \"%s\": %s", r->id, r->downgrade_problem));

		/* a merge revision has nothing to do by nature */
		if (graph->content_verified && r->upgrade_empty && r->nparents < 2 &&
			r->upgrade_problem == NULL)
			add_finding(&f, MIGRATE_WARNING, "empty_upgrade", r->id,
						psprintf("the upgrade body of revision \"%s\" has no statement: the revision does nothing",
								 r->id));
		if (graph->content_verified)
		{
			if (r->content_edited)
				add_finding(&f, MIGRATE_ERROR, "checksum_mismatch", r->id,
							psprintf("stored checksum of \"%s\" does not match its content: the catalog was changed outside migrate.add",
									 r->id));
		}
		else if (graph->bodies_loaded)
		{
			char	   *sum = migrate_checksum(r->upgrade, r->downgrade,
											   r->parents, r->nparents,
											   r->depends, r->ndepends,
											   r->labels, r->nlabels,
											   r->transactional);

			if (r->checksum == NULL || strcmp(sum, r->checksum) != 0)
				add_finding(&f, MIGRATE_ERROR, "checksum_mismatch", r->id,
							psprintf("stored checksum of \"%s\" does not match its content: the catalog was changed outside migrate.add",
									 r->id));
			pfree(sum);
		}
		if (r->applied && r->applied_checksum && r->checksum &&
			strcmp(r->applied_checksum, r->checksum) != 0)
			add_finding(&f, MIGRATE_ERROR, "checksum_mismatch", r->id,
						may_read_checksums ?
						psprintf("revision \"%s\" was applied with checksum %.12s but its registered content has checksum %.12s",
								 r->id, r->applied_checksum, r->checksum) :
						psprintf("revision \"%s\" was applied with other content than is registered now (the checksums differ)",
								 r->id));
	}

	migrate_chain_findings(&chain, chain_finding, &f);

	if (f.n > 1)
		qsort(f.items, f.n, sizeof(MigrateFinding), migrate_finding_cmp);
	*count = f.n;
	return f.items;
}

/* A pending revision's body, for add_enum_findings. */
typedef struct PendingBody
{
	int			idx;			/* graph index */
	char	   *body;
	List	   *stmts;			/* parsed: adders only */
} PendingBody;

static int
pending_body_cmp(const void *a, const void *b, void *arg)
{
	MigrateGraph *graph = (MigrateGraph *) arg;
	int			x = graph->revs[((const PendingBody *) a)->idx].topo_pos;
	int			y = graph->revs[((const PendingBody *) b)->idx].topo_pos;

	return (x > y) - (x < y);
}

/* Is graph index "idx" a pending revision that can run in a plan? */
static bool
pending(MigrateGraph *graph, int idx)
{
	return idx >= 0 && graph->revs[idx].registered &&
		!graph->revs[idx].applied && graph->revs[idx].topo_pos >= 0;
}

/* migrate_read_bodies' callback: keep body k of the candidate adders. */
static void
adder_body_found(void *arg, int k, char *body, char *message, char *checksum,
				 char *registered_by)
{
	PendingBody *items = (PendingBody *) arg;

	items[k].body = body;
}

/*
 * enum_value_used_too_early: among pending revisions, one that uses an enum
 * value an earlier one adds (commit_boundary.c).  Cheap when no body adds a
 * value: the graph load (MIGRATE_LOAD_VERIFY) marked the bodies with the
 * words ADD VALUE, and only those are read and parsed; if they add values,
 * one query finds the bodies that contain any of the values at all.  Bodies
 * are not readable by everyone: they are read as the catalog's owner, and
 * only ids go into the findings.
 */
static void
add_enum_findings(MigrateGraph *graph, Findings *f)
{
	MemoryContext cxt = CurrentMemoryContext;
	PendingBody *items;
	char	  **ids;
	int			nitems = 0;
	int			nadders;
	char	  **labels = NULL;
	int			nlabels = 0;
	const char **bodies;
	List	  **stmts;
	MigrateCommitBoundary *pairs;
	int			npairs;

	if (!graph->content_verified)
		return;
	for (int i = 0; i < graph->nrevs; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (graph->revs[i].may_add_enum_value)
			nitems++;
	}
	if (nitems == 0)
		return;
	items = palloc0(sizeof(PendingBody) * nitems);
	ids = palloc(sizeof(char *) * nitems);
	nitems = 0;
	for (int i = 0; i < graph->nrevs; i++)
	{
		MigrateRevision *r = &graph->revs[i];

		CHECK_FOR_INTERRUPTS();
		if (!r->may_add_enum_value || !pending(graph, i) || !r->transactional ||
			r->upgrade_problem != NULL)
			continue;
		items[nitems].idx = i;
		ids[nitems++] = r->id;
	}
	migrate_read_bodies(graph->project, ids, nitems, MIGRATE_UP, adder_body_found, items);
	for (int k = 0; k < nitems; k++)
	{
		ErrorData  *edata;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		if (items[k].body == NULL)
			continue;
		items[k].stmts = migrate_try_parse_body(items[k].body, &edata);
		if (edata != NULL)
			FreeErrorData(edata);
		foreach(lc, items[k].stmts)
		{
			char	   *label = migrate_enum_value_added(lfirst_node(RawStmt, lc)->stmt,
														 NULL);

			if (label == NULL)
				continue;
			labels = labels ? repalloc(labels, sizeof(char *) * (nlabels + 1))
				: palloc(sizeof(char *));
			labels[nlabels++] = label;
		}
	}
	if (nlabels == 0)
		return;

	/* the pending bodies that contain one of the values: the candidate users */
	nadders = nitems;
	{
		MigrateBookkeeping bk;
		Oid			argtypes[2] = {TEXTARRAYOID, TEXTOID};
		Datum		values[2] = {PointerGetDatum(migrate_cstring_array(labels, nlabels)),
		CStringGetTextDatum(graph->project)};

		migrate_bookkeeping_begin(&bk);
		if (SPI_execute_with_args("SELECT r.id, r.upgrade FROM migrate.revision r"
								  " WHERE r.project OPERATOR(pg_catalog.=) $2"
								  "   AND EXISTS (SELECT FROM pg_catalog.unnest($1::pg_catalog.text[]) AS l(v)"
								  "                WHERE pg_catalog.strpos(r.upgrade, l.v) OPERATOR(pg_catalog.>) 0)",
								  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read revision bodies");
		items = repalloc(items, sizeof(PendingBody) * (nitems + SPI_processed + 1));
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			int			idx = migrate_graph_find(graph, SPI_getvalue(SPI_tuptable->vals[i],
																	 SPI_tuptable->tupdesc, 1));
			bool		adder = false;

			CHECK_FOR_INTERRUPTS();
			for (int k = 0; k < nadders && !adder; k++)
				adder = items[k].idx == idx;
			if (adder || !pending(graph, idx))
				continue;
			items[nitems].idx = idx;
			items[nitems].body = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[i],
																	   SPI_tuptable->tupdesc, 2));
			items[nitems].stmts = NIL;
			nitems++;
		}
		migrate_bookkeeping_end(&bk);
	}

	/* in the order a plan runs them */
	qsort_arg(items, nitems, sizeof(PendingBody), pending_body_cmp, graph);
	bodies = palloc(sizeof(char *) * nitems);
	stmts = palloc(sizeof(List *) * nitems);
	for (int k = 0; k < nitems; k++)
	{
		bodies[k] = items[k].body;
		stmts[k] = items[k].stmts;
	}
	pairs = migrate_commit_boundaries(bodies, stmts, nitems, false, &npairs);
	for (int i = 0; i < npairs; i++)
	{
		const char *user = graph->revs[items[pairs[i].user].idx].id;
		const char *adder = graph->revs[items[pairs[i].adder].idx].id;

		add_finding(f, MIGRATE_WARNING, "enum_value_used_too_early", user,
					psprintf("revision \"%s\" uses a value that revision \"%s\" adds to an enum type (ALTER TYPE ... ADD VALUE): upgrade() cannot run both in one transaction; CALL migrate.run commits in between",
							 user, adder));
	}
}

Datum
migrate_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MigrateGraph *graph;
	MigrateFinding *items;
	int			n;

	migrate_srf_init(fcinfo);
	graph = migrate_load_graph_ext(CurrentMemoryContext,
								   migrate_project_arg(fcinfo, 0),
								   MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
	items = migrate_validate_graph(graph, &n);
	{
		Findings	f = {items, n, n};

		add_enum_findings(graph, &f);
		if (f.n > n)
			qsort(f.items, f.n, sizeof(MigrateFinding), migrate_finding_cmp);
		items = f.items;
		n = f.n;
	}
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		values[0] = CStringGetTextDatum(migrate_severity_name(items[i].severity));
		values[1] = CStringGetTextDatum(items[i].code);
		if (items[i].revision)
			values[2] = CStringGetTextDatum(items[i].revision);
		else
			nulls[2] = true;
		values[3] = CStringGetTextDatum(items[i].message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	migrate_graph_free(graph, "migrate.validate");
	return (Datum) 0;
}

Datum
migrate_check(PG_FUNCTION_ARGS)
{
	MigrateGraph *graph = migrate_load_graph_ext(CurrentMemoryContext,
												 migrate_project_arg(fcinfo, 0),
												 MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
	MigrateFinding *items;
	int			n;
	int			nerrors = 0;
	StringInfoData detail;

	items = migrate_validate_graph(graph, &n);
	initStringInfo(&detail);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (items[i].severity != MIGRATE_ERROR)
			continue;
		if (nerrors > 0)
			appendStringInfoChar(&detail, '\n');
		appendStringInfo(&detail, "%s: %s", items[i].code, items[i].message);
		nerrors++;
	}
	if (nerrors > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("revision chain has %d error%s, first: %s",
						nerrors, nerrors == 1 ? "" : "s",
						items[0].message),
				 errdetail_internal("%s", detail.data),
				 strcmp(graph->project, "default") == 0 ?
				 errhint("SELECT * FROM migrate.validate() lists every finding with its revision.") :
				 errhint("SELECT * FROM migrate.validate(%s) lists every finding with its revision.",
						 quote_literal_cstr(graph->project))));
	migrate_graph_free(graph, "migrate.check");
	PG_RETURN_VOID();
}
