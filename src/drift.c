/*-------------------------------------------------------------------------
 *
 * drift.c
 *	  Reading the DDL ledger (migrate.ddl_log, written by ddl_log.c):
 *	  migrate.drift(project) and migrate.blame(object).
 *
 * drift(): DDL run outside any migration (no run id) since the start of
 * the last successful run (upgrade, downgrade, stamp, or CALL
 * migrate.run), oldest first, with who and when; then one row when the
 * schema's fingerprint (fingerprint.c) differs from the one recorded after
 * the run that left the current revisions: a change the ledger did not
 * see (made while migrate.track_ddl was off, before the extension
 * existed, or by a command that fires no event trigger).  A successful run
 * makes the outside changes before it the new starting point.  Projects:
 * the argument is checked and reaches last_run_start() and
 * baseline_fingerprint(), the only places that will filter by it.
 *
 * blame(object): every ledger row of one object, oldest first: its
 * creation, changes and drop, with the run and revision (NULL outside
 * migrations), when, who and the command tag.  The name resolves as the
 * schema helpers resolve names (schema.c): a relation (table, view,
 * materialized view, sequence, index), a column as table.column or
 * schema.table.column (its own rows, and the creation and drop of its
 * table), a type, a function (by name, every overload, or by signature
 * with argument types).  A dropped object no longer resolves: its name is
 * then matched as text against the recorded identities, qualified with
 * each schema of search_path when it is not qualified.
 *
 * Both read as the catalog's owner with search_path pinned (catalog.c);
 * neither returns the statement text, which stays private.
 *
 * IDENTIFICATION
 *	  src/drift.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(migrate_drift);
PG_FUNCTION_INFO_V1(migrate_blame);

/* ---------------------------------------------------------------------
 * drift()
 * ---------------------------------------------------------------------
 */

/*
 * The start of the project's last successful run, or 0 when there was
 * none.  (The fingerprint baseline, below, is the database's: another
 * project's run changes the schema too, and its commands are recorded as
 * that project's, not as outside changes.)
 */
static TimestampTz
last_run_start(const char *project)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT r.started_at FROM migrate.run_log r"
							  " WHERE r.status = 'succeeded' AND r.project = $1"
							  " ORDER BY r.id DESC LIMIT 1",
							  1, (Oid[]) {TEXTOID},
							  (Datum[]) {CStringGetTextDatum(project)},
							  NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the last run");
	if (SPI_processed == 0)
		return 0;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(d);
}

/*
 * The fingerprint recorded by the last run that changed the project's
 * applied state (one that succeeded, or a CALL migrate.run that applied
 * some of its revisions before it failed): what it left as text
 * ("revision X", "revisions X, Y", or "run N (nothing applied)"), the
 * fingerprint and when.  False when there is none to compare with: no run
 * yet, a catalog not yet updated to 0.2, or a run that recorded none (it
 * failed half way through a non-transactional revision, whose first
 * statements stay).
 */
static bool
baseline_fingerprint(const char *project, char **left, char **fingerprint,
					 TimestampTz *at)
{
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;

	if (get_attnum(migrate_relid("run_log"), "fingerprint") == InvalidAttrNumber)
		return false;
	if (SPI_execute("SELECT CASE pg_catalog.cardinality(r.to_heads)"
					"         WHEN 0 THEN pg_catalog.format('run %s (nothing applied)', r.id)"
					"         WHEN 1 THEN 'revision ' || r.to_heads[1]"
					"         ELSE 'revisions ' || pg_catalog.array_to_string(r.to_heads, ', ') END,"
					"       r.fingerprint, r.finished_at"
					"  FROM migrate.run_log r"
					" WHERE r.status = 'succeeded'"
					"    OR EXISTS (SELECT 1 FROM migrate.run_step s"
					"                WHERE s.run_id = r.id AND s.status = 'succeeded')"
					" ORDER BY r.id DESC LIMIT 1",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the recorded fingerprint");
	if (SPI_processed != 1)
		return false;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	*left = SPI_getvalue(tup, desc, 1);
	*fingerprint = SPI_getvalue(tup, desc, 2);
	*at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 3, &isnull));
	if (isnull)
		*at = 0;
	return *fingerprint != NULL && *left != NULL;
}

static const char *
past_tense(const char *action)
{
	if (strcmp(action, "create") == 0)
		return "created";
	if (strcmp(action, "drop") == 0)
		return "dropped";
	return "altered";
}

Datum
migrate_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *project = migrate_project_arg(fcinfo, 0);
	MigrateBookkeeping bk;
	TimestampTz since;
	char	   *revision = NULL;
	char	   *recorded = NULL;
	TimestampTz recorded_at = 0;
	bool		have_baseline;
	char	   *now_fp;

	migrate_srf_init(fcinfo);
	now_fp = migrate_fingerprint_compute();

	migrate_bookkeeping_begin(&bk);
	since = last_run_start(project);
	if (SPI_execute_with_args("SELECT l.at, l.db_user, l.command_tag, l.object_type,"
							  "       l.object_identity, l.action, l.application_name"
							  "  FROM migrate.ddl_log l"
							  " WHERE l.run_id IS NULL AND l.revision IS NULL"
							  "   AND ($1::timestamptz IS NULL OR l.at > $1)"
							  " ORDER BY l.at, l.id",
							  1, (Oid[]) {TIMESTAMPTZOID},
							  (Datum[]) {TimestampTzGetDatum(since)},
							  since == 0 ? "n" : " ", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read migrate.ddl_log");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		values[6];
		bool		nulls[6];
		char	   *object_type = SPI_getvalue(tup, desc, 4);
		char	   *identity = SPI_getvalue(tup, desc, 5);
		char	   *action = SPI_getvalue(tup, desc, 6);
		char	   *appname = SPI_getvalue(tup, desc, 7);
		char	   *who = SPI_getvalue(tup, desc, 2);

		for (int c = 0; c < 5; c++)
			values[c] = SPI_getbinval(tup, desc, c + 1, &nulls[c]);
		values[5] = CStringGetTextDatum(psprintf("%s%s%s %s outside migrations by %s%s%s",
												 object_type ? object_type : "object",
												 identity ? " " : "",
												 identity ? identity : "",
												 past_tense(action ? action : "alter"),
												 who ? who : "?",
												 appname ? ", application " : "",
												 appname ? appname : ""));
		nulls[5] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	have_baseline = baseline_fingerprint(project, &revision, &recorded, &recorded_at);
	if (have_baseline && strcmp(recorded, now_fp) != 0)
	{
		Datum		values[6];
		bool		nulls[6] = {false, true, true, false, true, false};

		values[0] = TimestampTzGetDatum(recorded_at);
		nulls[0] = recorded_at == 0;
		values[3] = CStringGetTextDatum("schema");
		values[5] = CStringGetTextDatum(psprintf("schema differs from what %s left: fingerprint %.12s, recorded %.12s",
												 revision, now_fp, recorded));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	migrate_bookkeeping_end(&bk);
	return (Datum) 0;
}

/*
 * For verify(): "schema differs from what revision X left", or NULL when
 * the schema matches its recorded fingerprint or none is recorded.
 */
char *
migrate_schema_drift_message(const char *project, char **revision_out)
{
	MigrateBookkeeping bk;
	char	   *revision = NULL;
	char	   *recorded = NULL;
	TimestampTz at;
	char	   *msg = NULL;
	char	   *now_fp = migrate_fingerprint_compute();
	MemoryContext cxt = CurrentMemoryContext;

	migrate_bookkeeping_begin(&bk);
	if (baseline_fingerprint(project, &revision, &recorded, &at) &&
		strcmp(recorded, now_fp) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		msg = psprintf("schema differs from what %s left (fingerprint recorded %s): migrate.drift() lists what changed outside migrations",
					   revision, timestamptz_to_str(at));
		/* the object: the revision(s), without the word */
		*revision_out = pstrdup(strncmp(revision, "revisions ", 10) == 0 ? revision + 10 :
								strncmp(revision, "revision ", 9) == 0 ? revision + 9 : revision);
		MemoryContextSwitchTo(old);
	}
	migrate_bookkeeping_end(&bk);
	return msg;
}

/* ---------------------------------------------------------------------
 * blame()
 * ---------------------------------------------------------------------
 */

/* What to match in the ledger. */
typedef struct BlameKeys
{
	List	   *exact;			/* identities: every row */
	List	   *tables;			/* a column's table: its create and drop rows */
	List	   *prefixes;		/* functions by name: identity LIKE 'p(%' */
	bool		resolved;
} BlameKeys;

/* A LIKE pattern that matches "s" literally, then "(" and anything. */
static char *
like_prefix(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const char *p = s; *p; p++)
	{
		if (*p == '%' || *p == '_' || *p == '\\')
			appendStringInfoChar(&buf, '\\');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoString(&buf, "(%");
	return buf.data;
}

static char *
qualified(const char *schema, const char *name)
{
	return psprintf("%s.%s", quote_identifier(schema), quote_identifier(name));
}

static char *
identity_of(Oid classid, Oid objid)
{
	ObjectAddress addr;

	addr.classId = classid;
	addr.objectId = objid;
	addr.objectSubId = 0;
	return getObjectIdentity(&addr, true);
}

/* Every function named "name" in "nsp" (InvalidOid: along search_path). */
static void
add_functions(BlameKeys *keys, const char *schema, const char *name)
{
	List	   *names = schema ? list_make2(makeString(pstrdup(schema)), makeString(pstrdup(name)))
		: list_make1(makeString(pstrdup(name)));
	FuncCandidateList c = FuncnameGetCandidates(names, -1, NIL, false, false,
												false, true);

	for (; c != NULL; c = c->next)
	{
		char	   *id = identity_of(ProcedureRelationId, c->oid);

		if (id)
		{
			keys->exact = lappend(keys->exact, id);
			keys->resolved = true;
		}
	}
}

/* The objects a name may denote today (relations, columns, types, functions). */
static void
resolve_existing(BlameKeys *keys, List *parts)
{
	int			n = list_length(parts);
	Oid			relid;

	/* a relation: [schema.]name */
	if (n <= 2)
	{
		relid = migrate_lookup_relation(parts);
		if (OidIsValid(relid))
		{
			keys->exact = lappend(keys->exact, identity_of(RelationRelationId, relid));
			keys->resolved = true;
		}
	}
	/* a column: [schema.]table.column */
	if (n >= 2)
	{
		List	   *rel = list_truncate(list_copy(parts), n - 1);

		relid = migrate_lookup_relation(rel);
		if (OidIsValid(relid))
		{
			char	   *tid = identity_of(RelationRelationId, relid);

			keys->exact = lappend(keys->exact,
								  psprintf("%s.%s", tid, quote_identifier(llast(parts))));
			keys->tables = lappend(keys->tables, tid);
			keys->resolved = true;
		}
	}
	if (n > 2)
		return;
	/* a type (not a table's row type: that one is the relation) */
	if (!keys->resolved)
	{
		List	   *names = NIL;
		Oid			typoid;

		for (int i = 0; i < n; i++)
			names = lappend(names, makeString(list_nth(parts, i)));
		typoid = migrate_lookup_type(makeTypeNameFromNameList(names));
		if (OidIsValid(typoid))
		{
			keys->exact = lappend(keys->exact, identity_of(TypeRelationId, typoid));
			keys->resolved = true;
		}
	}
	/* functions of that name */
	add_functions(keys, n == 2 ? linitial(parts) : NULL, llast(parts));
}

/*
 * A name that resolves to nothing (a dropped object): its identity as the
 * ledger would have recorded it, qualified with each schema of search_path
 * when unqualified.
 */
static void
text_candidates(BlameKeys *keys, List *parts)
{
	int			n = list_length(parts);
	List	   *schemas = NIL;
	ListCell   *lc;

	if (n == 1 || n == 2)
	{
		List	   *path = fetch_search_path(false);

		foreach(lc, path)
		{
			char	   *nsp = get_namespace_name(lfirst_oid(lc));

			if (nsp)
				schemas = lappend(schemas, nsp);
		}
	}
	if (n == 1)
	{
		foreach(lc, schemas)
		{
			char	   *id = qualified(lfirst(lc), linitial(parts));

			keys->exact = lappend(keys->exact, id);
			keys->prefixes = lappend(keys->prefixes, like_prefix(id));
		}
		return;
	}
	if (n == 2)
	{
		char	   *id = qualified(linitial(parts), lsecond(parts));

		keys->exact = lappend(keys->exact, id);
		keys->prefixes = lappend(keys->prefixes, like_prefix(id));
		/* or table.column along search_path */
		foreach(lc, schemas)
		{
			char	   *tid = qualified(lfirst(lc), linitial(parts));

			keys->exact = lappend(keys->exact,
								  psprintf("%s.%s", tid, quote_identifier(lsecond(parts))));
			keys->tables = lappend(keys->tables, tid);
		}
		return;
	}
	/* schema.table.column */
	{
		char	   *tid = qualified(linitial(parts), lsecond(parts));

		keys->exact = lappend(keys->exact,
							  psprintf("%s.%s", tid, quote_identifier(lthird(parts))));
		keys->tables = lappend(keys->tables, tid);
	}
}

/*
 * Split an object name into 1 to 3 parts as SQL does; a name that does
 * not parse gets the schema helpers' error.  (Three parts are
 * schema.table.column here, never database.schema.name.)
 */
static List *
blame_parts(const char *input)
{
	char	   *copy = pstrdup(input);
	List	   *parts = NIL;
	ListCell   *lc;
	bool		ok = SplitIdentifierString(copy, '.', &parts) && parts != NIL;

	foreach(lc, parts)
		if (((char *) lfirst(lc))[0] == '\0')
			ok = false;
	if (!ok || list_length(parts) > 3)
		(void) migrate_parse_name(input, "object", ok ? 2 : 3);	/* raises */
	if (!ok)
		elog(ERROR, "unparsable name accepted");
	return parts;
}

static ArrayType *
list_array(List *items)
{
	char	  **a = palloc(sizeof(char *) * Max(list_length(items), 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, items)
		a[i++] = lfirst(lc);
	return migrate_cstring_array(a, i);
}

Datum
migrate_blame(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *input = migrate_required_text_arg(fcinfo, 0, "object");
	BlameKeys	keys = {NIL, NIL, NIL, false};
	MigrateBookkeeping bk;

	migrate_srf_init(fcinfo);
	if (strchr(input, '(') != NULL)
	{
		/* a function signature: f(int, text) */
		LOCAL_FCINFO(fc, 1);
		Datum		d;
		Oid			fn;

		/* to_regprocedure: NULL, not an error, for a function that is gone */
		InitFunctionCallInfoData(*fc, NULL, 1, InvalidOid, NULL, NULL);
		fc->args[0].value = CStringGetTextDatum(input);
		fc->args[0].isnull = false;
		d = to_regprocedure(fc);
		fn = fc->isnull ? InvalidOid : DatumGetObjectId(d);

		if (OidIsValid(fn))
		{
			keys.exact = lappend(keys.exact, identity_of(ProcedureRelationId, fn));
			keys.resolved = true;
		}
		else
		{
			/* dropped: match its name, any arguments */
			char	   *name = pnstrdup(input, strchr(input, '(') - input);
			List	   *parts = blame_parts(name);
			BlameKeys	tmp = {NIL, NIL, NIL, false};

			text_candidates(&tmp, parts);
			keys.prefixes = tmp.prefixes;
		}
	}
	else
	{
		List	   *parts = blame_parts(input);

		resolve_existing(&keys, parts);
		if (!keys.resolved)
			text_candidates(&keys, parts);
	}

	migrate_bookkeeping_begin(&bk);
	if (SPI_execute_with_args("SELECT l.at, l.action, l.project, l.revision, l.run_id,"
							  "       l.db_user, l.command_tag"
							  "  FROM migrate.ddl_log l"
							  " WHERE l.object_identity = ANY ($1)"
							  "    OR (l.object_identity = ANY ($2) AND l.action <> 'alter'"
							  "        AND l.object_type IN ('table', 'view', 'materialized view',"
							  "                              'foreign table'))"
							  "    OR l.object_identity LIKE ANY ($3)"
							  " ORDER BY l.at, l.id",
							  3, (Oid[]) {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID},
							  (Datum[]) {PointerGetDatum(list_array(keys.exact)),
						PointerGetDatum(list_array(keys.tables)),
						PointerGetDatum(list_array(keys.prefixes))},
							  NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read migrate.ddl_log");
	if (SPI_processed == 0 && !keys.resolved)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object \"%s\" does not exist and the DDL log has no record of it",
						input),
				 errhint("Name a table, view, sequence, index, type or function as in SQL (schema-qualified if it is not on search_path), or a column as table.column.")));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[7];
		bool		nulls[7];

		for (int c = 0; c < 7; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
									  c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	migrate_bookkeeping_end(&bk);
	return (Datum) 0;
}
