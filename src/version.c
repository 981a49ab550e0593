/*-------------------------------------------------------------------------
 *
 * version.c
 *	  The library's version against the version of the catalog it meets.
 *
 * The C code of one version reads and writes the catalog tables of that
 * version: a heap scan of a 0.1 catalog by 0.2 code would look for columns
 * that are not there, or read the wrong ones.  `make install` replaces the
 * library at once for every database of the cluster, while each database's
 * catalog changes only when ALTER EXTENSION migrate UPDATE runs in it.  So
 * before anything touches the catalog (migrate_schema_oid, which every
 * catalog access goes through, calls this), the version pg_extension
 * records for this database is compared with the library's, and a
 * mismatch is an error that says which ALTER EXTENSION to run.
 *
 * MIGRATE_VERSION comes from migrate.control through the Makefile, the one
 * place the version is written.
 *
 * Cost: one index scan of pg_extension per transaction (the answer is kept
 * for the rest of the transaction; a mismatch is never kept, so the
 * transaction after an ALTER EXTENSION sees the new version).
 *
 * IDENTIFICATION
 *	  src/version.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#ifndef MIGRATE_VERSION
#error "MIGRATE_VERSION is defined by the Makefile from migrate.control"
#endif

#if PG_VERSION_NUM >= 170000
#define MIGRATE_CURRENT_LXID (MyProc->vxid.lxid)
#else
#define MIGRATE_CURRENT_LXID (MyProc->lxid)
#endif

/* the local transaction in which the versions were last found equal */
static LocalTransactionId checked_lxid = InvalidLocalTransactionId;

const char *
migrate_library_version(void)
{
	return MIGRATE_VERSION;
}

/*
 * Compare two dotted version strings part by part as numbers ("0.10" is
 * newer than "0.9"); a part that is not a number compares as text.
 */
int
migrate_compare_versions(const char *a, const char *b)
{
	while (*a || *b)
	{
		char	   *enda;
		char	   *endb;
		long		na = strtol(a, &enda, 10);
		long		nb = strtol(b, &endb, 10);

		if (enda == a || endb == b)
			return strcmp(a, b);
		if (na != nb)
			return na < nb ? -1 : 1;
		a = enda;
		b = endb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if (*a == '\0' && *b != '\0')
			return -1;
		if (*b == '\0' && *a != '\0')
			return 1;
	}
	return 0;
}

/* extversion of the migrate extension in this database, or NULL. */
char *
migrate_catalog_version(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("migrate"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(d));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * Error out unless this database's migrate catalog is at the library's
 * version.  Called before every access to the catalog.
 */
void
migrate_check_catalog_version(void)
{
	LocalTransactionId lxid = MIGRATE_CURRENT_LXID;
	char	   *version;
	int			cmp;

	if (lxid != InvalidLocalTransactionId && lxid == checked_lxid)
		return;

	version = migrate_catalog_version();
	if (version == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"migrate\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION migrate;")));
	cmp = migrate_compare_versions(version, MIGRATE_VERSION);
	if (cmp < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate catalog of this database is at version %s, the installed migrate library at version %s",
						version, MIGRATE_VERSION),
				 errdetail("A newer build of migrate was installed; the catalog of each database is updated when ALTER EXTENSION runs in it. Nothing was read or changed."),
				 errhint("Run ALTER EXTENSION migrate UPDATE; in this database (as the extension's owner or a superuser).")));
	if (cmp > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the migrate catalog of this database is at version %s, newer than the installed migrate library (version %s)",
						version, MIGRATE_VERSION),
				 errdetail("This session runs an older build of migrate than the one that updated the catalog. Nothing was read or changed."),
				 errhint("Install the migrate build of version %s and start a new session.",
						 version)));
	checked_lxid = lxid;
	pfree(version);
}
