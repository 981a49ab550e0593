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
 * A graph is one project's; a dependency on another project's revision
 * ("project:id") is judged by its state in that project (graph->externals):
 * missing_dependency when that project has no such revision, applied_gap
 * when this revision is applied and it is not.
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
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
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

static int
finding_cmp(const void *a, const void *b)
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

/* The file-name part of a source, for messages. */
static const char *
source_file(const char *source)
{
	const char *base = source;

	for (const char *p = source; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return base;
}

/*
 * For "several heads" and "several bases": does every one lie on a branch
 * whose label covers no other?  With heads, a label covers the heads below
 * its revision; with bases, the bases above it.
 */
static bool
each_has_own_label(MigrateGraph *graph, const int *items, int nitems,
				   bool below)
{
	bool	   *owned = palloc0(Max(graph->nrevs, 1));
	bool	   *mark = palloc(Max(graph->nrevs, 1));
	bool	   *is_item = palloc0(Max(graph->nrevs, 1));
	int			labels_seen = 0;
	bool		all = true;

	for (int k = 0; k < nitems; k++)
		is_item[items[k]] = true;

	for (int i = 0; i < graph->nrevs && labels_seen < 1000; i++)
	{
		MigrateRevision *r = &graph->revs[i];
		int			covered = 0;
		int			last = -1;

		if (r->nlabels == 0 || !r->registered)
			continue;
		labels_seen++;
		memset(mark, 0, graph->nrevs);
		if (below)
			migrate_descendants(graph, &i, 1, true, false, mark);
		else
			migrate_parent_ancestors(graph, &i, 1, mark);
		for (int k = 0; k < nitems; k++)
			if (mark[items[k]])
			{
				covered++;
				last = items[k];
			}
		if (covered == 1)
			owned[last] = true;
	}
	for (int k = 0; k < nitems; k++)
		if (!owned[items[k]])
			all = false;
	pfree(owned);
	pfree(mark);
	pfree(is_item);
	return all;
}

typedef struct LabelEntry
{
	char		label[MIGRATE_ID_MAXLEN + 1];
	int			count;
	List	   *revs;			/* graph indexes of the revisions with it */
} LabelEntry;

MigrateFinding *
migrate_validate_graph(MigrateGraph *graph, int *count)
{
	Findings	f = {0};
	HTAB	   *labels = NULL;
	int			nheads,
				nbases;
	int		   *heads,
			   *bases;
	ListCell   *lc;

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
		{
			if (r->parent_idx[j] < 0)
			{
				StringInfoData msg;

				initStringInfo(&msg);
				appendStringInfo(&msg, "revision \"%s\" names parent \"%s\", which is not registered",
								 r->id, r->parents[j]);
				if (r->source)
					appendStringInfo(&msg, " (source %s)", source_file(r->source));
				add_finding(&f, MIGRATE_ERROR, "missing_parent", r->id, msg.data);
			}
			else if (r->applied && !graph->revs[r->parent_idx[j]].applied)
				add_finding(&f, MIGRATE_ERROR, "applied_gap", r->id,
							psprintf("revision \"%s\" is applied but its parent \"%s\" is not",
									 r->id, r->parents[j]));
		}
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
			else if (r->depend_idx[j] < 0)
				add_finding(&f, MIGRATE_ERROR, "missing_dependency", r->id,
							psprintf("revision \"%s\" depends on \"%s\", which is not registered",
									 r->id, r->depends[j]));
			else if (r->applied && !graph->revs[r->depend_idx[j]].applied)
				add_finding(&f, MIGRATE_ERROR, "applied_gap", r->id,
							psprintf("revision \"%s\" is applied but its dependency \"%s\" is not",
									 r->id, r->depends[j]));
		}

		if (r->source && !migrate_source_matches(r->source, r->id))
			add_finding(&f, MIGRATE_ERROR, "source_mismatch", r->id,
						psprintf("source %s is named for another revision than \"%s\"",
								 quote_literal_cstr(source_file(r->source)), r->id));

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
						psprintf("revision \"%s\" was applied with checksum %.12s but its registered content has checksum %.12s",
								 r->id, r->applied_checksum, r->checksum));

		if (!r->has_downgrade)
			add_finding(&f, MIGRATE_INFO, "irreversible", r->id,
						psprintf("revision \"%s\" has no downgrade", r->id));

		for (int j = 0; j < r->nlabels; j++)
		{
			LabelEntry *e;
			bool		found;

			if (labels == NULL)
			{
				HASHCTL		ctl;

				ctl.keysize = MIGRATE_ID_MAXLEN + 1;
				ctl.entrysize = sizeof(LabelEntry);
				ctl.hcxt = CurrentMemoryContext;
				labels = hash_create("migrate labels", 64, &ctl,
									 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
			}
			if (strlen(r->labels[j]) > MIGRATE_ID_MAXLEN)
				continue;		/* cannot be registered through add() */
			e = hash_search(labels, r->labels[j], HASH_ENTER, &found);
			if (!found)
			{
				e->count = 0;
				e->revs = NIL;
			}
			e->count++;
			e->revs = lappend_int(e->revs, k);
		}
	}

	if (labels)
	{
		HASH_SEQ_STATUS seq;
		LabelEntry *e;

		hash_seq_init(&seq, labels);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			int		   *idx;
			int			n = 0;
			ListCell   *lc2;
			StringInfoData revs;

			if (e->count < 2)
				continue;
			/* by id, so the finding does not depend on the rows' order */
			idx = palloc(sizeof(int) * e->count);
			foreach(lc2, e->revs)
				idx[n++] = lfirst_int(lc2);
			migrate_sort_by_id(graph, idx, n);
			initStringInfo(&revs);
			for (int i = 0; i < n; i++)
				appendStringInfo(&revs, "%s\"%s\"", i > 0 ? ", " : "",
								 graph->revs[idx[i]].id);
			add_finding(&f, MIGRATE_ERROR, "duplicate_label",
						graph->revs[idx[0]].id,
						psprintf("branch label \"%s\" is on %d revisions: %s",
								 e->label, e->count, revs.data));
		}
	}

	foreach(lc, graph->cycles)
	{
		List	   *cycle = (List *) lfirst(lc);
		StringInfoData msg;
		ListCell   *lc2;
		int			first = linitial_int(cycle);

		initStringInfo(&msg);
		appendStringInfoString(&msg, "revisions form a cycle: ");
		foreach(lc2, cycle)
			appendStringInfo(&msg, "\"%s\" -> ", graph->revs[lfirst_int(lc2)].id);
		appendStringInfo(&msg, "\"%s\"", graph->revs[first].id);
		add_finding(&f, MIGRATE_ERROR, "cycle", graph->revs[first].id, msg.data);
	}

	heads = migrate_graph_heads(graph, &nheads);
	if (nheads > 1)
		add_finding(&f,
					each_has_own_label(graph, heads, nheads, true) ?
					MIGRATE_INFO : MIGRATE_WARNING,
					"multiple_heads", NULL,
					psprintf("%d heads: %s", nheads,
							 migrate_join_ids(graph, heads, nheads, ", ")));
	bases = migrate_graph_bases(graph, &nbases);
	if (nbases > 1)
		add_finding(&f,
					each_has_own_label(graph, bases, nbases, false) ?
					MIGRATE_INFO : MIGRATE_WARNING,
					"multiple_bases", NULL,
					psprintf("%d bases: %s", nbases,
							 migrate_join_ids(graph, bases, nbases, ", ")));

	if (f.n > 1)
		qsort(f.items, f.n, sizeof(MigrateFinding), finding_cmp);
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
								   migrate_project_arg(fcinfo, 0),
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
