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
 * Codes and severities (the contract's, plus the rule for labels):
 *	  error:   missing_parent, missing_dependency, cycle, duplicate_label,
 *	           applied_unknown, applied_gap, checksum_mismatch,
 *	           source_mismatch, unparsable_body
 *	  warning: multiple_heads, multiple_bases (info when every head, or
 *	           base, lies on a branch of its own label)
 *	  info:    irreversible
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
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
			if (r->depend_idx[j] >= 0 && r->applied &&
				!graph->revs[r->depend_idx[j]].applied)
				add_finding(&f, MIGRATE_ERROR, "applied_gap", r->id,
							psprintf("revision \"%s\" is applied but its dependency \"%s\" is not",
									 r->id, r->depends[j]));

		if (r->upgrade_problem)
			add_finding(&f, MIGRATE_ERROR, "unparsable_body", r->id,
						psprintf("upgrade body of \"%s\": %s", r->id, r->upgrade_problem));
		if (r->downgrade_problem)
			add_finding(&f, MIGRATE_ERROR, "unparsable_body", r->id,
						psprintf("downgrade body of \"%s\": %s", r->id, r->downgrade_problem));

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

Datum
migrate_validate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MigrateGraph *graph;
	MigrateFinding *items;
	int			n;

	migrate_srf_init(fcinfo);
	graph = migrate_load_graph_ext(CurrentMemoryContext,
								   MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
	items = migrate_validate_graph(graph, &n);
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

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
												 MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
	MigrateFinding *items;
	int			n;
	int			nerrors = 0;
	StringInfoData detail;

	items = migrate_validate_graph(graph, &n);
	initStringInfo(&detail);
	for (int i = 0; i < n; i++)
	{
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
				 errhint("SELECT * FROM migrate.validate() lists every finding with its revision.")));
	migrate_graph_free(graph, "migrate.check");
	PG_RETURN_VOID();
}
