/*-------------------------------------------------------------------------
 *
 * registry_digest.c
 *	  migrate.registry_digest(project): one value that tells pg_migrate
 *	  whether a project's registry is exactly what its directory of files
 *	  declares, every revision applied.
 *
 * A deploy that changed nothing is the common case: pg_migrate upgrade
 * reads its files, finds every one registered unchanged and applied, and
 * has nothing to do.  Reading every registered revision to find that out
 * (a join of migrate.revision, migrate.revision_checksum and
 * migrate.applied, 130 kB for 1,000 revisions) cost a fresh connection
 * about 4 ms, twice what upgrade() itself costs there.  Instead the client
 * computes the digest of common/regdigest.c over its files (id, checksum,
 * file name, message, applied = true) and compares it with this one,
 * computed the same way over the catalog: equal, the files are registered
 * and applied as they are, and the sync sends nothing; different (or
 * NULL), the client reads the registry as before to find out what differs.
 *
 * One sequential heap scan of migrate.revision and one of migrate.applied
 * under the statement's snapshot with AccessShareLock, as the graph load
 * reads them (catalog.c), columns found by name; no migration lock, as
 * the client's read of the registry took none: the registration that
 * follows a difference takes it.
 *
 * Checksums are private (rights.c): the digest covers every checksum of
 * the project, so it is NULL unless the caller may read each of them (a
 * digest would confirm a guess of a body as a checksum does).
 *
 * IDENTIFICATION
 *	  src/registry_digest.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "regdigest.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(migrate_registry_digest);

typedef struct DigestRow
{
	char	   *id;
	char	   *checksum;
	char	   *source;
	char	   *message;
	bool		applied;
} DigestRow;

/* the 0-based index of a column, found by name and checked for its type */
static int
column_index(Relation rel, const char *name, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
		{
			if (a->atttypid != type)
				break;
			return i;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("column \"%s\" of catalog table \"%s.%s\" is missing or of another type",
					name, MIGRATE_SCHEMA, RelationGetRelationName(rel)),
			 errhint("The migrate extension's catalog was altered: restore the table from a dump, or reinstall the extension.")));
	return -1;					/* keep compiler quiet */
}

static bool
is_project(TupleTableSlot *slot, int col, const char *project, Size len)
{
	text	   *t;
	bool		eq;

	if (slot->tts_isnull[col])
		return false;
	t = DatumGetTextPP(slot->tts_values[col]);
	eq = VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), project, len) == 0;
	if ((Pointer) t != DatumGetPointer(slot->tts_values[col]))
		pfree(t);
	return eq;
}

static char *
text_or_null(TupleTableSlot *slot, int col)
{
	return slot->tts_isnull[col] ? NULL : TextDatumGetCString(slot->tts_values[col]);
}

static int
cmp_row_id(const void *a, const void *b)
{
	return strcmp(((const DigestRow *) a)->id, ((const DigestRow *) b)->id);
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The applied ids of the project, sorted bytewise (for bsearch).
 */
static char **
applied_ids(const char *project, Snapshot snapshot, int *n)
{
	Relation	rel = table_open(migrate_relid("applied"), AccessShareLock);
	int			c_project = column_index(rel, "project", TEXTOID);
	int			c_rev = column_index(rel, "revision", TEXTOID);
	Size		project_len = strlen(project);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	int			cap = 64;
	char	  **ids = palloc(sizeof(char *) * cap);

	*n = 0;
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(slot, Max(c_project, c_rev) + 1);
		if (!is_project(slot, c_project, project, project_len) || slot->tts_isnull[c_rev])
			continue;
		if (*n == cap)
		{
			cap *= 2;
			ids = repalloc(ids, sizeof(char *) * cap);
		}
		ids[(*n)++] = TextDatumGetCString(slot->tts_values[c_rev]);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (*n > 1)
		qsort(ids, *n, sizeof(char *), cmp_cstring);
	return ids;
}

/*
 * migrate.registry_digest(project text DEFAULT NULL) RETURNS text: the
 * digest of common/regdigest.c over the project's registered revisions,
 * or NULL when the caller may not read every checksum.
 */
Datum
migrate_registry_digest(PG_FUNCTION_ARGS)
{
	const char *project = migrate_project_arg(fcinfo, 0);
	Size		project_len = strlen(project);
	Oid			viewer = GetUserId();
	bool		pushed = false;
	Snapshot	snapshot;
	Relation	rel;
	int			c_project,
				c_id,
				c_sum,
				c_src,
				c_msg,
				c_by;
	TupleTableSlot *slot;
	TableScanDesc scan;
	DigestRow  *rows;
	int			nrows = 0,
				cap = 64;
	char	  **applied;
	int			napplied;
	bool		readable = true;
	char	   *last_by = NULL;	/* the last registrant checked, readable */
	MigrateRegDigest *d;
	char		hex[MIGRATE_REGDIGEST_LEN + 1];
	const char *error;

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	snapshot = GetActiveSnapshot();

	rel = table_open(migrate_relid("revision"), AccessShareLock);
	c_project = column_index(rel, "project", TEXTOID);
	c_id = column_index(rel, "id", TEXTOID);
	c_sum = column_index(rel, "checksum", TEXTOID);
	c_src = column_index(rel, "source", TEXTOID);
	c_msg = column_index(rel, "message", TEXTOID);
	c_by = column_index(rel, "registered_by", NAMEOID);
	rows = palloc(sizeof(DigestRow) * cap);
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		DigestRow  *r;
		const char *by;

		CHECK_FOR_INTERRUPTS();
		/* another project's row costs a deform up to the project column */
		slot_getsomeattrs(slot, c_project + 1);
		if (!is_project(slot, c_project, project, project_len))
			continue;
		slot_getsomeattrs(slot, Max(Max(c_id, c_sum), Max(Max(c_src, c_msg), c_by)) + 1);
		if (slot->tts_isnull[c_id])
			continue;			/* NOT NULL in the catalog; skip if altered */

		/* registrants are few: ask again only when the role changes */
		by = slot->tts_isnull[c_by] ? NULL : NameStr(*DatumGetName(slot->tts_values[c_by]));
		if (by == NULL || last_by == NULL || strcmp(by, last_by) != 0)
		{
			if (!migrate_may_read_private_of(viewer, by))
			{
				readable = false;
				break;
			}
			last_by = by ? pstrdup(by) : NULL;
		}
		if (nrows == cap)
		{
			cap *= 2;
			rows = repalloc(rows, sizeof(DigestRow) * cap);
		}
		r = &rows[nrows++];
		r->id = TextDatumGetCString(slot->tts_values[c_id]);
		r->checksum = text_or_null(slot, c_sum);
		r->source = text_or_null(slot, c_src);
		r->message = text_or_null(slot, c_msg);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!readable)
	{
		if (pushed)
			PopActiveSnapshot();
		PG_RETURN_NULL();
	}

	applied = applied_ids(project, snapshot, &napplied);
	if (pushed)
		PopActiveSnapshot();

	if (nrows > 1)
		qsort(rows, nrows, sizeof(DigestRow), cmp_row_id);
	d = migrate_regdigest_begin(MIGRATE_VERSION);
	for (int i = 0; i < nrows; i++)
	{
		DigestRow  *r = &rows[i];

		r->applied = napplied > 0 &&
			bsearch(&r->id, applied, napplied, sizeof(char *), cmp_cstring) != NULL;
		migrate_regdigest_add(d, r->id, r->checksum, r->source, r->message, r->applied);
	}
	if (!migrate_regdigest_end(d, hex, &error))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute SHA-256: %s", error)));
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
