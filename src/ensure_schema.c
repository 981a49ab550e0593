/*-------------------------------------------------------------------------
 *
 * ensure_schema.c
 *	  migrate.ensure() for CREATE SCHEMA and CREATE EXTENSION.
 *
 * The two kinds compared by existence alone, hence one file: the statement
 * runs only when no schema (extension) of that name exists.  What the
 * statement asks beyond the name raises a NOTICE when it differs, never an
 * error:
 *
 *	  schema     AUTHORIZATION: another owner
 *	  extension  VERSION: another installed version (ALTER EXTENSION ...
 *	             UPDATE changes it); SCHEMA: installed in another schema
 *
 * CREATE SCHEMA with schema elements is refused (0A000): each object is
 * ensured in a call of its own.
 *
 * IDENTIFICATION
 *	  src/ensure_schema.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ensure.h"

EnsureResult
ensure_schema(CreateSchemaStmt *stmt)
{
	const char *name;
	HeapTuple	tp;

	if (stmt->schemaElts != NIL)
		ensure_error_unsupported("CREATE SCHEMA with schema elements",
								 "Ensure the schema, then each object in a call of its own.");
	name = stmt->schemaname ? stmt->schemaname : get_rolespec_name(stmt->authrole);

	tp = SearchSysCache1(NAMESPACENAME, CStringGetDatum(name));
	if (!HeapTupleIsValid(tp))
		return ENSURE_MISSING;
	if (stmt->authrole)
	{
		Oid			owner = ((Form_pg_namespace) GETSTRUCT(tp))->nspowner;
		Oid			want = get_rolespec_oid(stmt->authrole, true);

		if (owner != want)
			ereport(NOTICE,
					(errmsg("schema %s is owned by %s, not by %s",
							quote_identifier(name),
							quote_identifier(GetUserNameFromId(owner, false)),
							quote_identifier(get_rolespec_name(stmt->authrole)))));
	}
	ReleaseSysCache(tp);
	return ENSURE_UNCHANGED;
}

EnsureResult
ensure_extension(CreateExtensionStmt *stmt)
{
	Oid			extoid = get_extension_oid(stmt->extname, true);
	const char *want_version = NULL;
	const char *want_schema = NULL;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	ListCell   *lc;

	if (!OidIsValid(extoid))
		return ENSURE_MISSING;

	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "new_version") == 0)
			want_version = defGetString(def);
		else if (strcmp(def->defname, "schema") == 0)
			want_schema = defGetString(def);
	}

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);
		char	   *version = isnull ? pstrdup("") : TextDatumGetCString(d);

		if (want_version && strcmp(version, want_version) != 0)
			ereport(NOTICE,
					(errmsg("extension \"%s\" is installed at version %s, not %s",
							stmt->extname, version, want_version),
					 errhint("ALTER EXTENSION %s UPDATE TO %s changes the version.",
							 quote_identifier(stmt->extname),
							 quote_literal_cstr(want_version))));
		if (want_schema && get_namespace_oid(want_schema, true) != ext->extnamespace)
			ereport(NOTICE,
					(errmsg("extension \"%s\" is installed in schema %s, not %s",
							stmt->extname,
							quote_identifier(get_namespace_name(ext->extnamespace)),
							quote_identifier(want_schema))));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return ENSURE_UNCHANGED;
}
