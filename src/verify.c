/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  migrate.verify(): the health report a deploy script gates on.
 *
 * One row per finding, (severity, code, object, message), errors first,
 * then warnings, then info; a script fails the deploy when any row has
 * severity 'error':
 *
 *	  info     extension          migrate (and each extension asked for)
 *	                              is installed, with its version
 *	  info     revisions          registered / applied / pending counts
 *	  error    missing_extension  an extension asked for is not installed
 *	  error    missing_table      a table asked for does not exist
 *	  error    missing_index      an index asked for does not exist
 *	  error    <validate code>    every error of migrate.validate()
 *	  warning  <validate code>    every warning of migrate.validate()
 *	  error    pending            a registered revision that is not applied
 *	  error    invalid_index      an INVALID index anywhere in the database
 *	                              (a failed CREATE INDEX CONCURRENTLY, or one
 *	                              being built right now)
 *	  warning  schema_drift       the schema's fingerprint differs from the one
 *	                              recorded after the run that left the current
 *	                              revisions (drift.c)
 *
 * The revision findings are those of one project (the fourth argument;
 * NULL: the setting migrate.project): each service checks its own history.
 *
 * Info findings of validate() (irreversible revisions) are left out: they
 * are facts about the chain, not about the health of this database.
 *
 * Everything comes from one load of the project's revision graph (read
 * the way status() reads it, so every role may call verify()) and one scan
 * of pg_index.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(migrate_verify);

typedef struct VerifyRow
{
	MigrateSeverity severity;
	const char *code;
	char	   *object;
	char	   *message;
} VerifyRow;

typedef struct VerifyRows
{
	List	   *rows[3];		/* by severity */
} VerifyRows;

static void
add_row(VerifyRows *out, MigrateSeverity sev, const char *code,
		const char *object, char *message)
{
	VerifyRow  *row = palloc(sizeof(VerifyRow));

	row->severity = sev;
	row->code = code;
	row->object = object ? pstrdup(object) : NULL;
	row->message = message;
	out->rows[sev] = lappend(out->rows[sev], row);
}

/* The installed version of extension "extoid", or NULL. */
static char *
extension_version(Oid extoid, Oid *nsp)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	*nsp = InvalidOid;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
		*nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

static void
check_extension(VerifyRows *out, const char *name, bool required)
{
	Oid			extoid = get_extension_oid(name, true);
	Oid			nsp;
	char	   *version;

	if (!OidIsValid(extoid))
	{
		if (required)
			add_row(out, MIGRATE_ERROR, "missing_extension", name,
					psprintf("extension \"%s\" is not installed", name));
		return;
	}
	version = extension_version(extoid, &nsp);
	add_row(out, MIGRATE_INFO, "extension", name,
			psprintf("extension \"%s\" %s is installed in schema %s",
					 name, version ? version : "(no version)",
					 quote_identifier(get_namespace_name(nsp))));
}

static char **
array_items(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **items;
	int			count;
	int			k = 0;

	if (arr == NULL)
	{
		*n = 0;
		return NULL;
	}
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &count);
	items = palloc(sizeof(char *) * Max(count, 1));
	for (int i = 0; i < count; i++)
		if (!nulls[i])
			items[k++] = TextDatumGetCString(elems[i]);
	*n = k;
	return items;
}

static void
check_relations(VerifyRows *out, ArrayType *arr, const char *what,
				const char *code, char kind1, char kind2)
{
	int			n;
	char	  **names = array_items(arr, &n);

	for (int i = 0; i < n; i++)
	{
		Oid			relid = migrate_lookup_relation(migrate_parse_name(names[i], what, 3));
		char		relkind = OidIsValid(relid) ? get_rel_relkind(relid) : '\0';

		if (!OidIsValid(relid))
			add_row(out, MIGRATE_ERROR, code, names[i],
					psprintf("%s \"%s\" does not exist", what, names[i]));
		else if (relkind != kind1 && relkind != kind2)
			add_row(out, MIGRATE_ERROR, code, names[i],
					psprintf("\"%s\" is a %s, not a %s", names[i],
							 migrate_relkind_name(relkind), what));
		/* an invalid index is reported by the scan of pg_index */
	}
}

static void
check_revisions(VerifyRows *out, const char *project)
{
	MigrateGraph *graph = migrate_load_graph_ext(CurrentMemoryContext, project,
												 MIGRATE_LOAD_TEXT | MIGRATE_LOAD_VERIFY);
	MigrateFinding *items;
	int			nitems;
	int			registered = 0,
				applied = 0,
				pending = 0;

	items = migrate_validate_graph(graph, &nitems);
	for (int i = 0; i < nitems; i++)
		if (items[i].severity != MIGRATE_INFO)
			add_row(out, items[i].severity, items[i].code, items[i].revision,
					pstrdup(items[i].message));

	/* pending, in the order upgrade would apply them */
	for (int t = 0; t < graph->ntopo; t++)
	{
		MigrateRevision *r = &graph->revs[graph->topo[t]];

		if (r->registered && !r->applied)
		{
			pending++;
			add_row(out, MIGRATE_ERROR, "pending", r->id,
					r->message ?
					psprintf("revision \"%s\" (%s) is registered but not applied",
							 r->id, r->message) :
					psprintf("revision \"%s\" is registered but not applied", r->id));
		}
	}
	for (int i = 0; i < graph->nrevs; i++)
	{
		if (graph->revs[i].registered)
			registered++;
		if (graph->revs[i].applied)
			applied++;
	}
	add_row(out, MIGRATE_INFO, "revisions", NULL,
			strcmp(project, "default") == 0 ?
			psprintf("%d registered, %d applied, %d pending",
					 registered, applied, pending) :
			psprintf("project \"%s\": %d registered, %d applied, %d pending",
					 project, registered, applied, pending));
	migrate_graph_free(graph, "migrate.verify");
}

/* Every index of the database whose pg_index.indisvalid is false. */
static void
check_invalid_indexes(VerifyRows *out)
{
	Relation	rel = table_open(IndexRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tup;
	List	   *found = NIL;
	ListCell   *lc;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);

		if (!idx->indisvalid)
			found = lappend_oid(found, idx->indexrelid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	list_sort(found, list_oid_cmp);
	foreach(lc, found)
	{
		Oid			indexoid = lfirst_oid(lc);
		char	   *idxname = get_rel_name(indexoid);
		Oid			tableoid;
		char	   *name;

		if (idxname == NULL)
			continue;			/* dropped meanwhile */
		name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(indexoid)),
										  idxname);
		tableoid = IndexGetRelation(indexoid, true);
		add_row(out, MIGRATE_ERROR, "invalid_index", name,
				psprintf("index %s on %s is INVALID: a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed (or is running now); drop it and create it again, or REINDEX INDEX CONCURRENTLY %s",
						 name,
						 OidIsValid(tableoid) ?
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(tableoid)),
													get_rel_name(tableoid)) : "?",
						 name));
	}
}

/*
 * The schema no longer has the fingerprint recorded after the run that
 * left the current revisions (drift.c): a warning, since a hand-made index
 * is not a broken deploy, but a deploy script should see it.
 */
static void
check_schema_drift(VerifyRows *out)
{
	char	   *revision = NULL;
	char	   *msg = migrate_schema_drift_message(NULL, &revision);

	if (msg)
		add_row(out, MIGRATE_WARNING, "schema_drift", revision, msg);
}

Datum
migrate_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *extensions = PG_ARGISNULL(0) ? NULL : PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *tables = PG_NARGS() > 1 && !PG_ARGISNULL(1) ? PG_GETARG_ARRAYTYPE_P(1) : NULL;
	ArrayType  *indexes = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? PG_GETARG_ARRAYTYPE_P(2) : NULL;
	VerifyRows	out = {{NIL, NIL, NIL}};
	char	  **names;
	int			n;

	migrate_srf_init(fcinfo);

	check_extension(&out, "migrate", true);
	names = array_items(extensions, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "migrate") != 0)
			check_extension(&out, linitial(migrate_parse_name(names[i], "extension", 1)),
							true);
	check_relations(&out, tables, "table", "missing_table",
					RELKIND_RELATION, RELKIND_PARTITIONED_TABLE);
	check_relations(&out, indexes, "index", "missing_index",
					RELKIND_INDEX, RELKIND_PARTITIONED_INDEX);
	check_revisions(&out, migrate_project_arg(fcinfo, 3));
	check_invalid_indexes(&out);
	check_schema_drift(&out);

	for (int sev = MIGRATE_ERROR; sev <= MIGRATE_INFO; sev++)
	{
		ListCell   *lc;

		foreach(lc, out.rows[sev])
		{
			VerifyRow  *row = lfirst(lc);
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = CStringGetTextDatum(migrate_severity_name(row->severity));
			values[1] = CStringGetTextDatum(row->code);
			if (row->object)
				values[2] = CStringGetTextDatum(row->object);
			else
				nulls[2] = true;
			values[3] = CStringGetTextDatum(row->message);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
