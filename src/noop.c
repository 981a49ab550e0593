/*-------------------------------------------------------------------------
 *
 * noop.c
 *	  The no-op shortcut: upgrade('head') with nothing to do answers from
 *	  two small reads, without loading the revision graph.
 *
 * A deploy calls upgrade('head') every time, and most of the time nothing
 * is pending.  Loading a graph of 100,000 revisions to find that out costs
 * tens of milliseconds in a fresh connection.  Instead:
 *
 *	  - every statement that changes migrate.revision or migrate.applied
 *	    takes a number from the sequence migrate.catalog_generation (a
 *	    statement trigger, migrate_bump_generation), so an unchanged number
 *	    means an unchanged catalog;
 *	  - when upgrade('head') (or 'heads') finds nothing to do, or has just
 *	    done everything, it remembers the generation in migrate.noop_state
 *	    for its project (migrate_noop_remember);
 *	  - the next such call, under the migration lock, compares the two
 *	    (migrate_noop_known): equal means nothing is pending, as the long
 *	    way would have found.
 *
 * Correctness rests on the lock: registration, upgrade, downgrade and
 * stamp all take the migration lock before they change the catalog, and
 * the generation is read under it, after the graph was loaded, so no
 * change can fall between the graph a decision was made from and the
 * number it is remembered with.  A change made by hand (a superuser's
 * INSERT into migrate.applied) takes a number too, through the trigger.  A
 * number taken by a transaction that rolled back, or by a concurrent
 * transaction not yet committed, only sends the next call the long way.
 *
 * IDENTIFICATION
 *	  src/noop.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(migrate_bump_generation);

/* The sequence, or InvalidOid in a catalog older than the shortcut. */
static Oid
generation_relid(void)
{
	return get_relname_relid("catalog_generation", migrate_schema_oid());
}

/* statement trigger on migrate.revision and migrate.applied */
Datum
migrate_bump_generation(PG_FUNCTION_ARGS)
{
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("migrate.bump_generation() must be called as a trigger")));
	relid = generation_relid();
	/* no permission check: whoever may change the catalog moves it on */
	if (OidIsValid(relid))
		(void) nextval_internal(relid, false);
	return PointerGetDatum(NULL);
}

/* The catalog's generation now; -1 when the sequence is missing. */
int64
migrate_catalog_generation(void)
{
	Oid			relid = generation_relid();
	Datum		d;
	LOCAL_FCINFO(fcinfo, 1);

	if (!OidIsValid(relid))
		return -1;
	/* pg_sequence_last_value checks SELECT on the sequence: read as its owner */
	{
		Oid			save_userid;
		int			save_sec;

		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(migrate_catalog_owner(),
							   save_sec | SECURITY_LOCAL_USERID_CHANGE);
		InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = ObjectIdGetDatum(relid);
		fcinfo->args[0].isnull = false;
		d = pg_sequence_last_value(fcinfo);
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	/* NULL: no number taken yet */
	return fcinfo->isnull ? 0 : DatumGetInt64(d);
}

/*
 * Did upgrade('head') ("single_head") or upgrade('heads') of "project" have
 * nothing to do at the catalog's current generation?  Call with the
 * migration lock held.
 */
bool
migrate_noop_known(const char *project, bool single_head)
{
	Oid			relid = get_relname_relid("noop_state", migrate_schema_oid());
	int64		generation;
	bool		known = false;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;

	if (!OidIsValid(relid))
		return false;
	generation = migrate_catalog_generation();
	if (generation < 0)
		return false;

	/* a handful of rows at most: a heap scan costs less than any plan */
	rel = table_open(relid, AccessShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		isnull;
		Datum		name = heap_getattr(tup, 1, desc, &isnull);
		Datum		gen;

		if (isnull || TupleDescAttr(desc, 0)->atttypid != TEXTOID ||
			strcmp(TextDatumGetCString(name), project) != 0)
			continue;
		gen = heap_getattr(tup, single_head ? 2 : 3, desc, &isnull);
		known = !isnull && TupleDescAttr(desc, single_head ? 1 : 2)->atttypid == INT8OID &&
			DatumGetInt64(gen) == generation;
		break;
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return known;
}

/*
 * Remember that upgrade('head') ("single_head") or upgrade('heads') of
 * "project" has nothing to do at "generation".  In the caller's
 * transaction: a rollback forgets it.
 */
void
migrate_noop_remember(const char *project, bool single_head, int64 generation)
{
	MigrateBookkeeping bk;

	if (generation < 0 ||
		!OidIsValid(get_relname_relid("noop_state", migrate_schema_oid())))
		return;
	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args(single_head ?
							  "INSERT INTO migrate.noop_state (project, head_generation) VALUES ($1, $2)"
							  " ON CONFLICT (project) DO UPDATE SET head_generation = EXCLUDED.head_generation" :
							  "INSERT INTO migrate.noop_state (project, heads_generation) VALUES ($1, $2)"
							  " ON CONFLICT (project) DO UPDATE SET heads_generation = EXCLUDED.heads_generation",
							  2, (Oid[]) {TEXTOID, INT8OID},
							  (Datum[]) {CStringGetTextDatum(project), Int64GetDatum(generation)},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not remember the no-op state");
	migrate_bookkeeping_end(&bk);
}
