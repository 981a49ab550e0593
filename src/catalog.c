/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The extension's catalog tables: reading them into a revision graph,
 *	  and the context in which the extension writes them.
 *
 * Reading: one sequential heap scan of migrate.revision and one of
 * migrate.applied, under the active snapshot, with AccessShareLock.  The
 * scan does not go through the executor's permission checks on purpose:
 * status and validation are for everyone, while SELECT on the body columns
 * is not granted to PUBLIC.  Bodies are copied only when asked for.
 *
 * Writing: SPI with parameters, as the owner of the catalog tables and with
 * search_path = pg_catalog, pg_temp (migrate_bookkeeping_begin/end), so
 * neither the calling role nor a role or search_path set by a revision body
 * decides what the bookkeeping queries touch.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

Oid
migrate_schema_oid(void)
{
	Oid			nsp = get_namespace_oid(MIGRATE_SCHEMA, true);

	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", MIGRATE_SCHEMA),
				 errhint("Run CREATE EXTENSION migrate.")));
	return nsp;
}

Oid
migrate_relid(const char *relname)
{
	Oid			relid = get_relname_relid(relname, migrate_schema_oid());

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("catalog table \"%s.%s\" does not exist",
						MIGRATE_SCHEMA, relname),
				 errhint("The migrate extension is damaged; reinstall it or restore the table.")));
	return relid;
}

static AttrNumber
attnum_of(Relation rel, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" of \"%s.%s\" is missing",
			 name, MIGRATE_SCHEMA, RelationGetRelationName(rel));
	return att;
}

/* Copy a text[] datum into an array of C strings in the current context. */
static char **
datum_to_cstrings(Datum d, int *count)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **out;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	out = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		out[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	*count = n;
	if ((Pointer) arr != DatumGetPointer(d))
		pfree(arr);
	pfree(elems);
	pfree(nulls);
	return out;
}

static char *
text_or_null(HeapTuple tup, TupleDesc desc, AttrNumber att)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, att, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Read the catalog into a new graph (in a context under "parent") and link
 * it.  with_bodies also copies the upgrade and downgrade bodies.
 */
MigrateGraph *
migrate_load_graph(MemoryContext parent, bool with_bodies)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	TupleDesc	desc;
	MigrateGraph *graph;
	MemoryContext old;
	bool		pushed = false;
	Snapshot	snapshot;
	AttrNumber	a_id, a_down, a_deps, a_labels, a_msg, a_up, a_dn, a_tx,
				a_src, a_sum, a_upp, a_dnp, a_reg;
	AttrNumber	p_rev, p_sum, p_at;

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	snapshot = GetActiveSnapshot();

	rel = table_open(migrate_relid("revision"), AccessShareLock);
	desc = RelationGetDescr(rel);
	a_id = attnum_of(rel, "id");
	a_down = attnum_of(rel, "down_revision");
	a_deps = attnum_of(rel, "depends_on");
	a_labels = attnum_of(rel, "branch_labels");
	a_msg = attnum_of(rel, "message");
	a_up = attnum_of(rel, "upgrade");
	a_dn = attnum_of(rel, "downgrade");
	a_tx = attnum_of(rel, "transactional");
	a_src = attnum_of(rel, "source");
	a_sum = attnum_of(rel, "checksum");
	a_upp = attnum_of(rel, "upgrade_problem");
	a_dnp = attnum_of(rel, "downgrade_problem");
	a_reg = attnum_of(rel, "registered_at");

	graph = migrate_graph_create(parent,
								 rel->rd_rel->reltuples > 0 ?
								 (int) Min(rel->rd_rel->reltuples * 1.2, 10000000) : 64);
	graph->bodies_loaded = with_bodies;
	old = MemoryContextSwitchTo(graph->cxt);

	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		bool		found;
		char	   *id;
		MigrateRevision *r;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		id = text_or_null(tup, desc, a_id);
		r = migrate_graph_add(graph, id, &found);
		pfree(id);
		r->registered = true;

		d = heap_getattr(tup, a_down, desc, &isnull);
		if (!isnull)
			r->parents = datum_to_cstrings(d, &r->nparents);
		d = heap_getattr(tup, a_deps, desc, &isnull);
		if (!isnull)
			r->depends = datum_to_cstrings(d, &r->ndepends);
		d = heap_getattr(tup, a_labels, desc, &isnull);
		if (!isnull)
			r->labels = datum_to_cstrings(d, &r->nlabels);

		r->message = text_or_null(tup, desc, a_msg);
		r->source = text_or_null(tup, desc, a_src);
		r->checksum = text_or_null(tup, desc, a_sum);
		r->upgrade_problem = text_or_null(tup, desc, a_upp);
		r->downgrade_problem = text_or_null(tup, desc, a_dnp);

		heap_getattr(tup, a_dn, desc, &isnull);
		r->has_downgrade = !isnull;
		if (with_bodies)
		{
			r->upgrade = text_or_null(tup, desc, a_up);
			r->downgrade = text_or_null(tup, desc, a_dn);
		}
		d = heap_getattr(tup, a_tx, desc, &isnull);
		r->transactional = isnull ? true : DatumGetBool(d);
		d = heap_getattr(tup, a_reg, desc, &isnull);
		r->registered_at = isnull ? 0 : DatumGetTimestampTz(d);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	rel = table_open(migrate_relid("applied"), AccessShareLock);
	desc = RelationGetDescr(rel);
	p_rev = attnum_of(rel, "revision");
	p_sum = attnum_of(rel, "checksum");
	p_at = attnum_of(rel, "applied_at");
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		bool		found;
		char	   *id = text_or_null(tup, desc, p_rev);
		MigrateRevision *r = migrate_graph_add(graph, id, &found);
		Datum		d;

		pfree(id);
		r->applied = true;
		r->applied_checksum = text_or_null(tup, desc, p_sum);
		d = heap_getattr(tup, p_at, desc, &isnull);
		r->applied_at = isnull ? 0 : DatumGetTimestampTz(d);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	MemoryContextSwitchTo(old);
	if (pushed)
		PopActiveSnapshot();

	migrate_graph_link(graph);
	return graph;
}

Oid
migrate_catalog_owner(void)
{
	Oid			relid = migrate_relid("revision");
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

/*
 * Enter the bookkeeping context: SPI connected, running as the catalog's
 * owner in a security-restricted operation, search_path pinned.  Every exit
 * path must call migrate_bookkeeping_end(); an error unwinds all of it with
 * the (sub)transaction.
 */
void
migrate_bookkeeping_begin(MigrateBookkeeping *bk)
{
	Oid			owner = migrate_catalog_owner();

	GetUserIdAndSecContext(&bk->save_userid, &bk->save_sec_context);
	SetUserIdAndSecContext(owner,
						   bk->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	bk->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	bk->spi_connected = true;
}

void
migrate_bookkeeping_end(MigrateBookkeeping *bk)
{
	if (bk->spi_connected)
		SPI_finish();
	bk->spi_connected = false;
	AtEOXact_GUC(true, bk->save_nestlevel);
	SetUserIdAndSecContext(bk->save_userid, bk->save_sec_context);
}
