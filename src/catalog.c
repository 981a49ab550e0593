/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The extension's catalog tables: every read of them (the revision
 *	  graph, the serializable check, the bodies of a plan), and the context
 *	  in which the extension writes them.
 *
 * Reading the graph: one sequential heap scan of migrate.revision and one
 * of migrate.applied, under the active snapshot, with AccessShareLock.  The
 * scan does not go through the executor's permission checks on purpose:
 * status and validation are for everyone, while SELECT on the body columns
 * is not granted to PUBLIC.  Bodies are copied only when asked for.  A
 * graph is one project's: the scan deforms the project column first and
 * skips another project's row there (in a fresh install project is the
 * first column; in a catalog updated from 0.1 it is the last, which costs
 * a longer deform per row but reads the same).  Every column is found by
 * name (attnum_of), never by position.  Dependencies on other projects'
 * revisions are looked up afterwards (projects.c).
 *
 * Reading a plan's bodies: SPI as the catalog's owner, under a snapshot
 * taken after the migration lock was granted, so that a caller that waited
 * runs the bodies the other session left registered.
 *
 * Writing: SPI with parameters, as the owner of the catalog tables and with
 * search_path = pg_catalog, pg_temp (migrate_bookkeeping_begin/end), so
 * neither the calling role nor a role or search_path set by a revision body
 * decides what the bookkeeping queries touch.  What is written to the run
 * log (migrate.run, run_step, applied) is runlog.c's; migrate.revision is
 * registry.c's.
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "bodylex.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
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
	Oid			nsp;

	/* every access to the catalog comes here first: is it our version? */
	migrate_check_catalog_version();
	nsp = get_namespace_oid(MIGRATE_SCHEMA, true);

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

/*
 * The attribute number of a catalog column, checked to have the type the
 * heap scans below read it as.  A superuser may ALTER a catalog table; a
 * column of another type read as text or text[] would be garbage, and
 * garbage lengths are wild memory reads.  A clean error instead (55000).
 */
static AttrNumber
attnum_of(Relation rel, const char *name, Oid type)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attisdropped || strcmp(NameStr(a->attname), name) != 0)
			continue;
		if (a->atttypid != type)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("column \"%s\" of catalog table \"%s.%s\" has type %s, not %s",
							name, MIGRATE_SCHEMA, RelationGetRelationName(rel),
							format_type_be(a->atttypid), format_type_be(type)),
					 errhint("The migrate extension's catalog was altered: change the column back, or restore the table from a dump.")));
		return a->attnum;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("column \"%s\" of catalog table \"%s.%s\" is missing",
					name, MIGRATE_SCHEMA, RelationGetRelationName(rel)),
			 errhint("The migrate extension's catalog was altered: restore the table from a dump, or reinstall the extension.")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

static void
malformed_array(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("malformed text[] in the migrate catalog")));
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

	if (ARR_ELEMTYPE(arr) != TEXTOID)
		malformed_array();
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

/* Column numbers of migrate.revision, looked up once per load. */
typedef struct RevisionColumns
{
	AttrNumber	project, id, down, deps, labels, msg, up, dn, tx, src, sum, upp, dnp, reg,
				hash;
} RevisionColumns;

/*
 * A text datum as a C string in the graph's arena.  Short (1-byte header)
 * values, which is what ids, parents and messages are on disk, are copied
 * straight from the tuple; compressed or out-of-line ones are detoasted.
 */
static char *
graph_cstring(MigrateGraph *graph, Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	char	   *out;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
	{
		text	   *t = DatumGetTextPP(d);

		out = migrate_graph_strndup(graph, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		pfree(t);
		return out;
	}
	return migrate_graph_strndup(graph, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
}

/* The detoasting path, for toasted arrays and arrays with NULLs. */
static char **
array_cstrings_general(MigrateGraph *graph, Datum d, int *count)
{
	char	  **copy = datum_to_cstrings(d, count);
	char	  **out = migrate_graph_alloc(graph, sizeof(char *) * Max(*count, 1), true);

	for (int i = 0; i < *count; i++)
	{
		out[i] = migrate_graph_strndup(graph, copy[i], strlen(copy[i]));
		pfree(copy[i]);
	}
	pfree(copy);
	return out;
}

/* A 4-byte field of an array header that may sit at any byte address. */
static inline int32
unaligned_int32(const char *p)
{
	int32		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * text[] datum to strings in the graph's arena, read in place.  A small
 * array is stored with a 1-byte varlena header, so DatumGetArrayTypeP would
 * palloc an aligned copy of every one of them; instead the header fields
 * are read unaligned and element offsets computed as if the array started
 * at an aligned 4-byte header, which is the layout the bytes keep.  Arrays
 * with NULLs (not written by add()) and toasted ones take the general path.
 * An element equal to "same" (the previous row's id, most parents) is that
 * very string, not a copy.
 */
static char **
array_cstrings(MigrateGraph *graph, Datum d, int *count,
			   const char *same, Size same_len)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *body;			/* the bytes after the varlena header */
	Size		bodylen;
	int			ndim;
	int			n = 1;
	Size		off;
	char	  **out;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		return array_cstrings_general(graph, d, count);
	body = VARDATA_ANY(v);
	bodylen = VARSIZE_ANY_EXHDR(v);
	/* ArrayType after vl_len_: ndim, dataoffset, elemtype, dims[], lbounds[] */
	ndim = unaligned_int32(body);
	if (ndim == 0)
	{
		*count = 0;
		return NULL;
	}
	if (ndim < 0 || ndim > MAXDIM ||
		bodylen < sizeof(int32) * 3 + sizeof(int32) * 2 * ndim ||
		(Oid) unaligned_int32(body + sizeof(int32) * 2) != TEXTOID)
		malformed_array();
	if (unaligned_int32(body + sizeof(int32)) != 0)
		return array_cstrings_general(graph, d, count);
	for (int i = 0; i < ndim; i++)
	{
		int32		dim = unaligned_int32(body + sizeof(int32) * (3 + i));

		/* every element takes at least one byte: more cannot fit */
		if (dim < 0 || (Size) dim > bodylen || (Size) n * dim > bodylen)
			malformed_array();
		n *= dim;
	}

	out = migrate_graph_alloc(graph, sizeof(char *) * Max(n, 1), true);
	off = ARR_OVERHEAD_NONULLS(ndim);	/* from the 4-byte header's start */
	for (int i = 0; i < n; i++)
	{
		const char *elem = body + (off - VARHDRSZ);
		Size		total;
		Size		hdrsz;

		if (off - VARHDRSZ >= bodylen)
			malformed_array();
		/* VARATT_IS_1B reads one byte, so it is safe at any address */
		if (VARATT_IS_1B(elem))
		{
			total = VARSIZE_1B(elem);
			hdrsz = VARHDRSZ_SHORT;
		}
		else
		{
			varattrib_4b hdr;

			if (off - VARHDRSZ + VARHDRSZ > bodylen)
				malformed_array();
			memcpy(&hdr, elem, sizeof(hdr.va_4byte.va_header));
			total = VARSIZE_4B(&hdr);
			hdrsz = VARHDRSZ;
		}
		/* checked before anything is copied */
		if (total < hdrsz || off - VARHDRSZ + total > bodylen)
			malformed_array();
		if (same != NULL && total - hdrsz == same_len &&
			memcmp(elem + hdrsz, same, same_len) == 0)
			out[i] = (char *) same;
		else
			out[i] = migrate_graph_strndup(graph, elem + hdrsz, total - hdrsz);
		off = TYPEALIGN(ALIGNOF_INT, off + total);
	}
	*count = n;
	return out;
}

/* Is the text datum "d" equal to the C string s of length len? */
static inline bool
text_datum_equals(Datum d, const char *s, Size len)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	bool		eq;
	text	   *t;

	if (!VARATT_IS_EXTERNAL(v) && !VARATT_IS_COMPRESSED(v))
		return VARSIZE_ANY_EXHDR(v) == len && memcmp(VARDATA_ANY(v), s, len) == 0;
	t = DatumGetTextPP(d);
	eq = VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
	pfree(t);
	return eq;
}

/* One load of a project's graph: what it reads and where it puts it. */
typedef struct GraphLoad
{
	MigrateGraph *graph;
	const char *project;
	Size		project_len;
	Snapshot	snapshot;
	bool		want_text;		/* message, source, checksums, verdicts */
	bool		want_bodies;
	bool		want_verify;	/* content_edited, may_add_enum_value */
	RevisionColumns c;
	int			natts_needed;	/* deform each row this far */
	MemoryContext graph_parent;
} GraphLoad;

/*
 * The columns of migrate.revision, as 0-based indexes into the deformed
 * arrays, and how far a row must be deformed for this load.
 */
static void
revision_columns(GraphLoad *ld, Relation rel)
{
	RevisionColumns *c = &ld->c;
	int			n;

	c->project = attnum_of(rel, "project", TEXTOID) - 1;
	c->id = attnum_of(rel, "id", TEXTOID) - 1;
	c->down = attnum_of(rel, "down_revision", TEXTARRAYOID) - 1;
	c->deps = attnum_of(rel, "depends_on", TEXTARRAYOID) - 1;
	c->labels = attnum_of(rel, "branch_labels", TEXTARRAYOID) - 1;
	c->msg = attnum_of(rel, "message", TEXTOID) - 1;
	c->up = attnum_of(rel, "upgrade", TEXTOID) - 1;
	c->dn = attnum_of(rel, "downgrade", TEXTOID) - 1;
	c->tx = attnum_of(rel, "transactional", BOOLOID) - 1;
	c->src = attnum_of(rel, "source", TEXTOID) - 1;
	c->sum = attnum_of(rel, "checksum", TEXTOID) - 1;
	c->upp = attnum_of(rel, "upgrade_problem", TEXTOID) - 1;
	c->dnp = attnum_of(rel, "downgrade_problem", TEXTOID) - 1;
	c->reg = attnum_of(rel, "registered_at", TIMESTAMPTZOID) - 1;
	c->hash = attnum_of(rel, "content_hash", INT8OID) - 1;

	/* has_downgrade needs the downgrade column's null bit */
	n = Max(Max(c->id, c->down), Max(c->deps, c->labels));
	n = Max(n, Max(Max(c->tx, c->reg), c->dn));
	if (ld->want_text)
		n = Max(n, Max(Max(c->msg, c->src), Max(c->sum, Max(c->upp, c->dnp))));
	if (ld->want_bodies || ld->want_verify)
		n = Max(n, Max(c->up, c->dn));
	if (ld->want_verify)
		n = Max(n, c->hash);
	ld->natts_needed = n + 1;
}

/*
 * MIGRATE_LOAD_VERIFY: does the row's stored content still match its
 * content_hash, and may its upgrade body add an enum value?
 */
static void
verify_revision_content(GraphLoad *ld, MigrateRevision *r,
						Datum *values, bool *isnull)
{
	const RevisionColumns *c = &ld->c;
	text	   *up = isnull[c->up] ? NULL : DatumGetTextPP(values[c->up]);
	text	   *dn = isnull[c->dn] ? NULL : DatumGetTextPP(values[c->dn]);
	uint64		h;

	h = migrate_content_hash(up ? VARDATA_ANY(up) : "",
							 up ? VARSIZE_ANY_EXHDR(up) : 0,
							 dn ? VARDATA_ANY(dn) : NULL,
							 dn ? VARSIZE_ANY_EXHDR(dn) : -1,
							 r->parents, r->nparents,
							 r->depends, r->ndepends,
							 r->labels, r->nlabels,
							 r->transactional);
	r->may_add_enum_value = up != NULL &&
		migrate_text_may_add_enum_value(VARDATA_ANY(up), VARSIZE_ANY_EXHDR(up));
	r->upgrade_empty = up == NULL ||
		!bodylex_has_statement(VARDATA_ANY(up), VARSIZE_ANY_EXHDR(up));
	r->content_edited = isnull[c->hash] ||
		(uint64) DatumGetInt64(values[c->hash]) != h;

	/*
	 * The fast hash only filters: a row it flags is judged by its SHA-256
	 * checksum, so a content_hash written by another build of the hash (or
	 * lost) is not reported as an edit.
	 */
	if (r->content_edited && !isnull[c->sum])
	{
		char	   *upstr = up ? text_to_cstring(up) : pstrdup("");
		char	   *dnstr = dn ? text_to_cstring(dn) : NULL;
		char	   *sum = migrate_checksum(upstr, dnstr,
										   r->parents, r->nparents,
										   r->depends, r->ndepends,
										   r->labels, r->nlabels,
										   r->transactional);
		text	   *stored = DatumGetTextPP(values[c->sum]);

		r->content_edited =
			strlen(sum) != VARSIZE_ANY_EXHDR(stored) ||
			memcmp(sum, VARDATA_ANY(stored), strlen(sum)) != 0;
		pfree(sum);
		pfree(upstr);
		if (dnstr)
			pfree(dnstr);
	}
	if (up && (Pointer) up != DatumGetPointer(values[c->up]))
		pfree(up);
	if (dn && (Pointer) dn != DatumGetPointer(values[c->dn]))
		pfree(dn);
}

/* One deformed row of migrate.revision (of the project) into the graph. */
static void
read_revision_row(GraphLoad *ld, TupleTableSlot *slot)
{
	const RevisionColumns *c = &ld->c;
	MigrateGraph *graph = ld->graph;
	Datum	   *values = slot->tts_values;
	bool	   *isnull = slot->tts_isnull;
	MigrateRevision *r;
	const char *prev_id = NULL;
	Size		prev_len = 0;

	if (isnull[c->id])
		return;					/* NOT NULL in the catalog; skip if altered */
	if (graph->nrevs > 0)
	{
		prev_id = graph->revs[graph->nrevs - 1].id;
		prev_len = strlen(prev_id);
	}
	r = migrate_graph_append(graph, graph_cstring(graph, values[c->id]));
	r->registered = true;

	if (!isnull[c->down])
		r->parents = array_cstrings(graph, values[c->down], &r->nparents,
									prev_id, prev_len);
	if (!isnull[c->deps])
		r->depends = array_cstrings(graph, values[c->deps], &r->ndepends,
									prev_id, prev_len);
	if (!isnull[c->labels])
		r->labels = array_cstrings(graph, values[c->labels], &r->nlabels,
								   NULL, 0);
	r->has_downgrade = !isnull[c->dn];
	r->transactional = isnull[c->tx] ? true : DatumGetBool(values[c->tx]);
	r->registered_at = isnull[c->reg] ? 0 : DatumGetTimestampTz(values[c->reg]);

	if (ld->want_text)
	{
		r->message = isnull[c->msg] ? NULL : graph_cstring(graph, values[c->msg]);
		r->source = isnull[c->src] ? NULL : graph_cstring(graph, values[c->src]);
		r->checksum = isnull[c->sum] ? NULL : graph_cstring(graph, values[c->sum]);
		r->upgrade_problem = isnull[c->upp] ? NULL : graph_cstring(graph, values[c->upp]);
		r->downgrade_problem = isnull[c->dnp] ? NULL : graph_cstring(graph, values[c->dnp]);
	}
	if (ld->want_bodies)
	{
		r->upgrade = isnull[c->up] ? NULL : graph_cstring(graph, values[c->up]);
		r->downgrade = isnull[c->dn] ? NULL : graph_cstring(graph, values[c->dn]);
	}
	if (ld->want_verify)
		verify_revision_content(ld, r, values, isnull);
}

/*
 * The project's rows of migrate.revision: each tuple deformed once, as far
 * as this load needs, after its project column has been compared.
 */
static void
scan_revisions(GraphLoad *ld)
{
	Relation	rel = table_open(migrate_relid("revision"), AccessShareLock);
	TableScanDesc scan;
	TupleTableSlot *slot;

	revision_columns(ld, rel);
	ld->graph = migrate_graph_create(ld->graph_parent,
									 rel->rd_rel->reltuples > 0 ?
									 (int) Min(rel->rd_rel->reltuples * 1.1, 10000000) :
									 (int) Min(RelationGetNumberOfBlocks(rel) * 60 + 64, 10000000));
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, ld->snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		/* another project's row costs a deform up to the project column */
		slot_getsomeattrs(slot, ld->c.project + 1);
		if (slot->tts_isnull[ld->c.project] ||
			!text_datum_equals(slot->tts_values[ld->c.project],
							   ld->project, ld->project_len))
			continue;
		slot_getsomeattrs(slot, ld->natts_needed);
		read_revision_row(ld, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	migrate_graph_index_appended(ld->graph);
}

/*
 * The project's rows of migrate.applied.  An applied checksum equal to the
 * registered one (nearly all) is that very string, not a copy; it is read
 * only by loads with text (validate compares it).
 */
static void
scan_applied(GraphLoad *ld)
{
	MigrateGraph *graph = ld->graph;
	Relation	rel = table_open(migrate_relid("applied"), AccessShareLock);
	/* 0-based, into the deformed arrays */
	int			p_rev = attnum_of(rel, "revision", TEXTOID) - 1;
	int			p_sum = attnum_of(rel, "checksum", TEXTOID) - 1;
	int			p_at = attnum_of(rel, "applied_at", TIMESTAMPTZOID) - 1;
	int			p_project = attnum_of(rel, "project", TEXTOID) - 1;
	int			natts = Max(Max(p_rev, p_at), ld->want_text ? p_sum : 0) + 1;
	TableScanDesc scan;
	TupleTableSlot *slot;
	int			next = 0;		/* the revision the next row likely is */

	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, ld->snapshot, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		Datum	   *values = slot->tts_values;
		bool	   *isnull = slot->tts_isnull;
		bool		found;
		MigrateRevision *r;

		CHECK_FOR_INTERRUPTS();
		/* each row deformed once, as far as needed, after its project */
		slot_getsomeattrs(slot, p_project + 1);
		if (isnull[p_project] ||
			!text_datum_equals(values[p_project], ld->project, ld->project_len))
			continue;
		slot_getsomeattrs(slot, natts);
		if (isnull[p_rev])
			continue;			/* NOT NULL in the catalog; skip if altered */

		/*
		 * Revisions are applied in about the order they were registered:
		 * the revision after the previous row's is a hot string compare
		 * instead of a hash and a probe of a table too large for the
		 * cache.  Only a registered revision is taken so (a repeated id's
		 * later rows are not), which is the one the table would find.
		 */
		if (next < graph->nindexed && graph->revs[next].registered &&
			text_datum_equals(values[p_rev], graph->revs[next].id,
							  strlen(graph->revs[next].id)))
			r = &graph->revs[next];
		else
		{
			char	   *id = TextDatumGetCString(values[p_rev]);

			r = migrate_graph_add(graph, id, &found);
			pfree(id);
		}
		next = (int) (r - graph->revs) + 1;
		r->applied = true;
		if (ld->want_text)
		{
			if (isnull[p_sum])
				r->applied_checksum = NULL;
			else if (r->checksum != NULL &&
					 text_datum_equals(values[p_sum], r->checksum, strlen(r->checksum)))
				r->applied_checksum = r->checksum;
			else
				r->applied_checksum = graph_cstring(graph, values[p_sum]);
		}
		r->applied_at = isnull[p_at] ? 0 : DatumGetTimestampTz(values[p_at]);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Read one project's part of the catalog into a new graph (created under
 * "parent", see graph.c for its memory) and link it.  flags:
 * MIGRATE_LOAD_TEXT also copies message, source, checksums and the
 * parser's verdicts; MIGRATE_LOAD_BODIES the bodies too; MIGRATE_LOAD_VERIFY
 * checks each row's content against its content_hash.  Both tables are read
 * under one snapshot: the active one, or the transaction's.
 */
MigrateGraph *
migrate_load_graph_ext(MemoryContext parent, const char *project, int flags)
{
	GraphLoad	ld = {0};
	MemoryContext old;
	bool		pushed = false;

	ld.project = project;
	ld.project_len = strlen(project);
	ld.want_text = (flags & (MIGRATE_LOAD_TEXT | MIGRATE_LOAD_BODIES)) != 0;
	ld.want_bodies = (flags & MIGRATE_LOAD_BODIES) != 0;
	ld.want_verify = (flags & MIGRATE_LOAD_VERIFY) != 0;
	ld.graph_parent = parent;

	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	ld.snapshot = GetActiveSnapshot();

	scan_revisions(&ld);
	ld.graph->bodies_loaded = ld.want_bodies;
	ld.graph->content_verified = ld.want_verify;
	old = MemoryContextSwitchTo(ld.graph->cxt);
	ld.graph->project = pstrdup(project);
	scan_applied(&ld);
	MemoryContextSwitchTo(old);

	/* the state of other projects' revisions this one depends on */
	migrate_graph_load_externals(ld.graph);
	if (pushed)
		PopActiveSnapshot();

	migrate_graph_link(ld.graph);
	return ld.graph;
}

MigrateGraph *
migrate_load_graph(MemoryContext parent, const char *project, bool with_bodies)
{
	return migrate_load_graph_ext(parent, project, MIGRATE_LOAD_TEXT |
								  (with_bodies ? MIGRATE_LOAD_BODIES : 0));
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
static void
pinned_begin(MigrateBookkeeping *bk, bool as_owner)
{
	GetUserIdAndSecContext(&bk->save_userid, &bk->save_sec_context);
	if (as_owner)
		SetUserIdAndSecContext(migrate_catalog_owner(),
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
migrate_bookkeeping_begin(MigrateBookkeeping *bk)
{
	pinned_begin(bk, true);
}

/*
 * The same pinned search_path and SPI connection, but as the calling user:
 * for queries whose answers the caller may not see otherwise (other
 * sessions' activity).  Ended by migrate_bookkeeping_end().
 */
void
migrate_caller_query_begin(MigrateBookkeeping *bk)
{
	pinned_begin(bk, false);
}

/*
 * The one text value a query returns (NULL for no row or a NULL value), as
 * the catalog's owner ("as_owner") or as the calling user, with the pinned
 * search_path of the bookkeeping context.  For the small lookups that go
 * into messages: who holds a lock, which index was left INVALID.
 */
char *
migrate_query_text_value(bool as_owner, const char *sql, int nargs,
						 Oid *argtypes, Datum *values, const char *nulls)
{
	MigrateBookkeeping bk;
	MemoryContext cxt = CurrentMemoryContext;
	char	   *result = NULL;

	pinned_begin(&bk, as_owner);
	if (SPI_execute_with_args(sql, nargs, argtypes, values, nulls, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v)
			result = MemoryContextStrdup(cxt, v);
	}
	migrate_bookkeeping_end(&bk);
	return result;
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

/*
 * Count and an order-independent hash of one text column of a project's
 * rows of a catalog table, as seen by "snap" (NULLs count, but add nothing
 * to the hash).
 */
static void
column_fingerprint(Relation rel, AttrNumber att, AttrNumber project_att,
				   const char *project, Snapshot snap,
				   uint64 *count, uint64 *hash)
{
	TableScanDesc scan;
	HeapTuple	tup;
	Size		project_len = strlen(project);

	snap = RegisterSnapshot(snap);
	scan = table_beginscan(rel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		d = heap_getattr(tup, project_att, RelationGetDescr(rel), &isnull);
		if (isnull || !text_datum_equals(d, project, project_len))
			continue;
		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);
		(*count)++;
		if (!isnull)
		{
			text	   *t = DatumGetTextPP(d);

			*hash += hash_bytes((unsigned char *) VARDATA_ANY(t),
								VARSIZE_ANY_EXHDR(t));
		}
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
}

/*
 * In REPEATABLE READ and SERIALIZABLE, the transaction snapshot is fixed
 * before the migration lock was granted.  If another session changed the
 * project's applied state (or replaced a registered revision) after that
 * snapshot was taken, planning from it would apply revisions twice: fail
 * instead, the way PostgreSQL fails a concurrent update.  Compares the
 * project's rows of migrate.applied (revisions) and migrate.revision
 * (checksums) under the transaction snapshot and under the latest snapshot
 * (count and an order-independent hash); other projects' changes do not
 * matter.  Call with the project's migration lock held.
 */
void
migrate_check_serializable(const char *project)
{
	static const char *const tables[2] = {"applied", "revision"};
	uint64		count[2] = {0, 0};
	uint64		hash[2] = {0, 0};

	if (!IsolationUsesXactSnapshot())
		return;

	for (int t = 0; t < lengthof(tables); t++)
	{
		Relation	rel = table_open(migrate_relid(tables[t]), AccessShareLock);
		AttrNumber	att = attnum_of(rel, t == 0 ? "revision" : "checksum", TEXTOID);
		AttrNumber	patt = attnum_of(rel, "project", TEXTOID);

		column_fingerprint(rel, att, patt, project, GetTransactionSnapshot(),
						   &count[0], &hash[0]);
		column_fingerprint(rel, att, patt, project, GetLatestSnapshot(),
						   &count[1], &hash[1]);
		table_close(rel, AccessShareLock);
	}

	if (count[0] != count[1] || hash[0] != hash[1])
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent migration"),
				 errdetail("Another session changed the applied or registered revisions of project \"%s\" after this transaction's snapshot was taken.",
						   project),
				 errhint("Retry the transaction; it will see the other session's changes.")));
}

/*
 * The upgrade (or downgrade) bodies, messages, checksums and registrants
 * of the revisions "ids" of a project as registered now, under a snapshot
 * taken now (after the
 * migration lock).  found(arg, k, ...) is called for the k-th id that is
 * registered, with strings in the caller's memory context; an id that is
 * not registered is not reported.
 */
void
migrate_read_bodies(const char *project, char **ids, int n,
					MigrateDirection dir, MigrateBodyFound found, void *arg)
{
	MigrateBookkeeping bk;
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[2] = {TEXTARRAYOID, TEXTOID};
	Datum		values[2];

	if (n == 0)
		return;
	values[0] = PointerGetDatum(migrate_cstring_array(ids, n));
	values[1] = CStringGetTextDatum(project);
	migrate_bookkeeping_begin(&bk);
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute_with_args(dir == MIGRATE_UP ?
							  "SELECT u.k, r.upgrade, r.message, r.checksum, r.registered_by"
							  "  FROM unnest($1::text[]) WITH ORDINALITY AS u(id, k)"
							  "  JOIN migrate.revision r ON r.project = $2 AND r.id = u.id" :
							  "SELECT u.k, r.downgrade, r.message, r.checksum, r.registered_by"
							  "  FROM unnest($1::text[]) WITH ORDINALITY AS u(id, k)"
							  "  JOIN migrate.revision r ON r.project = $2 AND r.id = u.id",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read revision bodies");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *body = SPI_getvalue(tup, desc, 2);
		char	   *message = SPI_getvalue(tup, desc, 3);
		char	   *checksum = SPI_getvalue(tup, desc, 4);
		char	   *registered_by = SPI_getvalue(tup, desc, 5);
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		found(arg, (int) (k - 1),
			  body ? pstrdup(body) : NULL,
			  message ? pstrdup(message) : NULL,
			  checksum ? pstrdup(checksum) : NULL,
			  registered_by ? pstrdup(registered_by) : NULL);
		MemoryContextSwitchTo(spicxt);
	}
	PopActiveSnapshot();
	migrate_bookkeeping_end(&bk);
}
