/*-------------------------------------------------------------------------
 *
 * fingerprint.c
 *	  migrate.fingerprint(): a hash of a canonical description of the
 *	  database's own schema.  The engines record it in migrate.run after
 *	  each run (runlog.c), once per run.
 *
 * The description is a sequence of lines, one per object and part of one,
 * each starting with its kind; an object's line names it (schema-qualified)
 * and its parts' lines follow it:
 *
 *	  schema   owner and privileges
 *	  ext      extensions (name, version, schema), migrate itself left out
 *	  rel      tables, partitioned and foreign tables, views, materialized
 *	           views, sequences: kind, owner, privileges, persistence, row
 *	           security, storage options, partition key and bound, parents,
 *	           a view's definition, a sequence's parameters
 *	  col      columns of those and of composite types: type and typmod,
 *	           NOT NULL, default expression, identity, generated,
 *	           collation (when not the type's), column privileges
 *	  con      constraints of tables and domains: primary keys, unique and
 *	           foreign keys from the catalog (columns by name), the others
 *	           by pg_get_constraintdef
 *	  idx      indexes: method, key columns by name, operator classes,
 *	           collations, options, expressions, predicate, uniqueness,
 *	           valid and clustered flags
 *	  trg      triggers (pg_get_triggerdef) and whether they are enabled
 *	  pol      row security policies
 *	  rule     rules other than a view's own
 *	  fn       functions and procedures (pg_get_functiondef), aggregates,
 *	           with owner and privileges
 *	  type     enums (labels in their sort order), domains, ranges, base
 *	           types; composite types by their columns
 *
 * Left out: the schemas migrate, pg_catalog, information_schema and
 * pg_toast, temporary schemas, every object that belongs to an extension
 * (its version stands for it), a table's row type and the array types
 * PostgreSQL makes by itself, comments, statistics targets, tablespaces,
 * sequence values and data.  Columns are listed by name, not position:
 * a table whose columns were added in another order has the same
 * fingerprint (ORMs create columns in model order, migrations append them).
 * Privileges are compared as sorted lists, an explicit list equal to the
 * default counts as the default, and every name and expression is printed
 * with search_path = pg_catalog, so that nothing depends on OIDs, on the
 * order objects were made in, or on the caller's search_path.
 *
 * How (the goal: a first call on 10,000 tables under 200 ms): each
 * catalog is read once by a sequential scan under one snapshot, objects
 * are kept in hash tables by OID, and the lines are sorted by names
 * (schema, kind, object, part of it: never OIDs) and fed to SHA-256 one
 * by one.  Per object nothing is looked up that a scan already read, and
 * nothing opens the object's relation: column types, role names and
 * default expressions without column references (deparsed once per
 * distinct expression) come from small caches.  Only what needs a
 * relation's column names to print -- check constraints, generated
 * columns, index expressions and predicates, policies, partition bounds
 * -- and what has no cheaper form -- views, triggers, rules, functions --
 * go through ruleutils, one call per object.  SET client_min_messages =
 * debug1 prints each phase's time, debug2 every line.
 *
 * This file: the schemas, extensions, relations and columns, and the
 * sorting and hashing; fingerprint_parts.c: defaults, constraints, indexes,
 * triggers, policies, rules, functions, types (fingerprint.h between them).
 *
 * IDENTIFICATION
 *	  src/fingerprint.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "fingerprint.h"

PG_FUNCTION_INFO_V1(migrate_fingerprint);

/* Kinds of object besides FP_REL, FP_TYPE, FP_FN (fingerprint.h). */
#define FP_SCHEMA	0			/* first in its schema */
#define FP_EXT		4			/* in schema "": before every other */

/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */

int
fp_add_obj(FpState *st, const char *nsp, int kind, const char *name,
		   const char *subname, char *line)
{
	FpObj	   *o;

	if (st->nobjs == st->maxobjs)
	{
		st->maxobjs *= 2;
		st->objs = repalloc_huge(st->objs, st->maxobjs * sizeof(FpObj));
	}
	o = &st->objs[st->nobjs];
	o->nsp = nsp;
	o->kind = kind;
	o->name = name;
	o->subname = subname ? subname : "";
	o->rel = NULL;
	o->line = line;
	o->parts = NIL;
	return st->nobjs++;
}

void
fp_add_part(List **parts, const char *name, char *line)
{
	FpPart	   *p = palloc(sizeof(FpPart));

	p->name = name;
	p->line = line;
	*parts = lappend(*parts, p);
}

/*
 * What objects are sorted by: schema, kind, name, arguments, names compared
 * as bytes.  The first 8 bytes of the name, as a big-endian number, decide
 * most comparisons without reading the strings.
 */
typedef struct FpSortKey
{
	const char *nsp;
	int			kind;
	uint64		prefix;
	FpObj	   *obj;
} FpSortKey;

static uint64
name_prefix(const char *name)
{
	uint64		v = 0;
	int			i;

	for (i = 0; i < 8 && name[i]; i++)
		v = (v << 8) | (unsigned char) name[i];
	return v << (8 * (8 - i));
}

static int
obj_cmp(const void *a, const void *b)
{
	const FpSortKey *kx = a;
	const FpSortKey *ky = b;
	const FpObj *x = kx->obj;
	const FpObj *y = ky->obj;
	int			c;

	if (kx->nsp != ky->nsp && (c = strcmp(kx->nsp, ky->nsp)) != 0)
		return c;
	if (kx->kind != ky->kind)
		return kx->kind < ky->kind ? -1 : 1;
	if (kx->prefix != ky->prefix)
		return kx->prefix < ky->prefix ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if ((c = strcmp(x->subname, y->subname)) != 0)
		return c;
	/* the same name twice (cannot happen): by content */
	return strcmp(x->line ? x->line : "", y->line ? y->line : "");
}

static int
part_cmp(const void *a, const void *b)
{
	const FpPart *x = *(FpPart *const *) a;
	const FpPart *y = *(FpPart *const *) b;
	int			c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->line, y->line);
}

static int
col_cmp(const void *a, const void *b)
{
	return strcmp((*(FpCol *const *) a)->name, (*(FpCol *const *) b)->name);
}

int
fp_cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * A ruleutils function's text result, or NULL (the object went away
 * meanwhile): called directly, no fmgr lookup.
 */
char *
fp_call_text(PGFunction fn, int nargs, Datum arg1, Datum arg2)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = arg2;
	fcinfo->args[1].isnull = false;
	result = (*fn) (fcinfo);
	if (fcinfo->isnull)
		return NULL;
	return TextDatumGetCString(result);
}

/* pg_get_expr(expr, relid) */
char *
fp_get_expr(Datum expr, Oid relid)
{
	return fp_call_text(pg_get_expr, 2, expr, ObjectIdGetDatum(relid));
}

const char *
fp_role_name(FpState *st, Oid roleid)
{
	if (roleid != st->last_role || st->last_role_name == NULL)
	{
		char	   *name = GetUserNameFromId(roleid, true);

		st->last_role = roleid;
		st->last_role_name = name ? name : psprintf("unknown (OID=%u)", roleid);
	}
	return st->last_role_name;
}

/* An ACL as a sorted list of its items. */
static char *
acl_items(Acl *acl)
{
	int			n = ACL_NUM(acl);
	AclItem    *items = ACL_DAT(acl);
	char	  **strs = palloc(Max(n, 1) * sizeof(char *));
	StringInfoData buf;

	for (int i = 0; i < n; i++)
		strs[i] = DatumGetCString(DirectFunctionCall1(aclitemout,
													  PointerGetDatum(&items[i])));
	qsort(strs, n, sizeof(char *), fp_cstring_cmp);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, strs[i]);
	}
	return buf.data;
}

/*
 * Privileges: "" for none of its own, or a list equal to the default for
 * that kind of object and owner (objtype OBJECT_COLUMN: no default).
 */
char *
fp_acl_text(Datum d, bool isnull, ObjectType objtype, Oid owner)
{
	char	   *s;

	if (isnull)
		return "";
	s = acl_items(DatumGetAclP(d));
	if (objtype != OBJECT_COLUMN &&
		strcmp(s, acl_items(acldefault(objtype, owner))) == 0)
		return "";
	return s;
}

/* A text[] of options as one sorted list ("" for none). */
static char *
options_text(Datum d, bool isnull)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **strs;
	StringInfoData buf;

	if (isnull)
		return "";
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	strs = palloc(Max(n, 1) * sizeof(char *));
	for (int i = 0; i < n; i++)
		strs[i] = nulls[i] ? "" : TextDatumGetCString(elems[i]);
	qsort(strs, n, sizeof(char *), fp_cstring_cmp);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "", strs[i]);
	return buf.data;
}

/* format_type() with the type's own collation, cached. */
FpTypeFmt *
fp_type_fmt(FpState *st, Oid typid, int32 typmod)
{
	FpTypeFmt	key;
	FpTypeFmt  *e;
	bool		found;
	int			slot = (typid * 31 + typmod) & (lengthof(st->typecache) - 1);

	/* a few types in a row, mostly: a small direct-mapped cache first */
	e = st->typecache[slot];
	if (e && e->key.typid == typid && e->key.typmod == typmod)
		return e;
	memset(&key, 0, sizeof(key));
	key.key.typid = typid;
	key.key.typmod = typmod;
	e = hash_search(st->typefmt, &key.key, HASH_ENTER, &found);
	if (!found)
	{
		e->text = format_type_with_typemod(typid, typmod);
		e->collation = get_typcollation(typid);
	}
	st->typecache[slot] = e;
	return e;
}

char *
fp_collation_name(Oid collid)
{
	return OidIsValid(collid) ? generate_collation_name(collid) : "-";
}

/* An operator class: its OID when built in (stable), else its name. */
char *
fp_opclass_name(Oid opclass)
{
	if (opclass < FirstNormalObjectId)
		return psprintf("%u", opclass);
	return generate_opclass_name(opclass);
}

/* ---------------------------------------------------------------------
 * Scans
 * ---------------------------------------------------------------------
 */

SysScanDesc
fp_scan_begin(FpState *st, Oid catalog, Relation *rel, int nkeys, ScanKey keys)
{
	*rel = table_open(catalog, AccessShareLock);
	return systable_beginscan(*rel, InvalidOid, false, st->snap, nkeys, keys);
}

void
fp_scan_end(SysScanDesc scan, Relation rel)
{
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

bool
fp_is_member(FpState *st, Oid classid, Oid objid)
{
	FpMember	key;

	key.classid = classid;
	key.objid = objid;
	return fpmem_lookup(st->members, key) != NULL;
}

/* Extensions (but migrate): a line each, and the objects they own. */
static void
scan_extensions(FpState *st)
{
	Relation	rel;
	Relation	deprel = table_open(DependRelationId, AccessShareLock);
	SysScanDesc scan = fp_scan_begin(st, ExtensionRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);
		ScanKeyData keys[2];
		SysScanDesc dscan;
		HeapTuple	dtup;
		bool		isnull;
		Datum		version = heap_getattr(tup, Anum_pg_extension_extversion,
										   RelationGetDescr(rel), &isnull);
		char	   *nsp = get_namespace_name(ext->extnamespace);

		if (strcmp(NameStr(ext->extname), "migrate") != 0)
		{
			char	   *name = pstrdup(NameStr(ext->extname));

			fp_add_obj(st, "", FP_EXT, name, NULL,
					 psprintf("ext %s version=%s schema=%s", quote_identifier(name),
							  isnull ? "" : TextDatumGetCString(version),
							  nsp ? quote_identifier(nsp) : "-"));
		}
		ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
		ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ext->oid));
		dscan = systable_beginscan(deprel, DependReferenceIndexId, true,
								   st->snap, 2, keys);
		while ((dtup = systable_getnext(dscan)) != NULL)
		{
			Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(dtup);
			FpMember	key;
			bool		found;

			if (dep->deptype != DEPENDENCY_EXTENSION)
				continue;
			key.classid = dep->classid;
			key.objid = dep->objid;
			(void) fpmem_insert(st->members, key, &found);
		}
		systable_endscan(dscan);
	}
	fp_scan_end(scan, rel);
	table_close(deprel, AccessShareLock);
}

/* The schemas whose objects count. */
static void
scan_namespaces(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, NamespaceRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_namespace n = (Form_pg_namespace) GETSTRUCT(tup);
		const char *name = NameStr(n->nspname);
		FpNsp	   *e;
		bool		isnull;
		bool		found;
		Datum		acl;

		if (strcmp(name, MIGRATE_SCHEMA) == 0 || strcmp(name, "pg_catalog") == 0 ||
			strcmp(name, "information_schema") == 0 || strcmp(name, "pg_toast") == 0 ||
			strncmp(name, "pg_temp_", 8) == 0 || strncmp(name, "pg_toast_temp_", 14) == 0 ||
			fp_is_member(st, NamespaceRelationId, n->oid))
			continue;
		e = palloc(sizeof(FpNsp));
		fpoid_insert(st->nsps, n->oid, &found)->ptr = e;
		e->name = pstrdup(name);
		e->q = pstrdup(quote_identifier(name));
		acl = heap_getattr(tup, Anum_pg_namespace_nspacl, RelationGetDescr(rel), &isnull);
		fp_add_obj(st, e->name, FP_SCHEMA, "", NULL,
				 psprintf("schema %s owner=%s acl=%s", e->q, fp_role_name(st, n->nspowner),
						  fp_acl_text(acl, isnull, OBJECT_SCHEMA, n->nspowner)));
	}
	fp_scan_end(scan, rel);
}

FpNsp *
fp_find_nsp(FpState *st, Oid nspoid)
{
	if (nspoid != st->last_nsp_oid)
	{
		FpOidEntry *e = fpoid_lookup(st->nsps, nspoid);

		st->last_nsp_oid = nspoid;
		st->last_nsp = e ? e->ptr : NULL;
	}
	return st->last_nsp;
}

FpRel *
fp_find_rel(FpState *st, Oid relid)
{
	if (relid != st->last_rel_oid)
	{
		st->last_rel_oid = relid;
		st->last_rel = fp_get_rel(st, relid);
	}
	return st->last_rel;
}

/* The same, without the one-entry cache (for scattered lookups). */
FpRel *
fp_get_rel(FpState *st, Oid relid)
{
	FpOidEntry *e = fpoid_lookup(st->rels, relid);

	return e ? e->ptr : NULL;
}

/* Relations and indexes of those schemas that no extension owns. */
static void
scan_classes(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, RelationRelationId, &rel, 0, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
		FpNsp	   *nsp;
		FpRel	   *r;
		bool		isnull;
		bool		found;
		Datum		d;

		if (!strchr("rpvmSfciI", c->relkind))
			continue;
		nsp = fp_find_nsp(st, c->relnamespace);
		if (nsp == NULL || fp_is_member(st, RelationRelationId, c->oid) ||
			(OidIsValid(c->reltype) && fp_is_member(st, TypeRelationId, c->reltype)))
			continue;
		r = palloc0(sizeof(FpRel));
		fpoid_insert(st->rels, c->oid, &found)->ptr = r;
		r->oid = c->oid;
		r->nsp = nsp;
		r->name = pstrdup(NameStr(c->relname));
		r->relkind = c->relkind;
		r->persistence = c->relpersistence;
		r->rls = c->relrowsecurity;
		r->forcerls = c->relforcerowsecurity;
		r->owner = c->relowner;
		r->am = c->relam;
		d = heap_getattr(tup, Anum_pg_class_relacl, desc, &isnull);
		r->acl = fp_acl_text(d, isnull, c->relkind == RELKIND_SEQUENCE ? OBJECT_SEQUENCE : OBJECT_TABLE,
						  c->relowner);
		d = heap_getattr(tup, Anum_pg_class_reloptions, desc, &isnull);
		r->options = options_text(d, isnull);
		if (c->relispartition)
		{
			d = heap_getattr(tup, Anum_pg_class_relpartbound, desc, &isnull);
			if (!isnull)
				r->partbound = DatumGetTextPCopy(d);
		}
		/* an index's columns are its table's (fingerprint_parts.c) */
		r->natts = (c->relkind == RELKIND_INDEX ||
					c->relkind == RELKIND_PARTITIONED_INDEX) ? 0 : c->relnatts;
		r->cols = r->natts > 0 ? palloc0(r->natts * sizeof(FpCol)) : NULL;
	}
	fp_scan_end(scan, rel);
	st->last_rel_oid = InvalidOid;
}

/* Columns (attnum > 0) of the relations kept, not dropped. */
static void
scan_attributes(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, AttributeRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_attribute a = (Form_pg_attribute) GETSTRUCT(tup);
		FpRel	   *r;
		FpCol	   *col;
		bool		isnull;
		Datum		acl;

		/* user relations' OIDs start at FirstNormalObjectId */
		if (a->attnum <= 0 || a->attrelid < FirstNormalObjectId || a->attisdropped)
			continue;
		r = fp_find_rel(st, a->attrelid);
		if (r == NULL || a->attnum > r->natts)
			continue;
		col = &r->cols[a->attnum - 1];
		col->name = pstrdup(NameStr(a->attname));
		col->typid = a->atttypid;
		col->typmod = a->atttypmod;
		col->collation = a->attcollation;
		col->notnull = a->attnotnull;
		col->identity = a->attidentity;
		col->generated = a->attgenerated;
		acl = heap_getattr(tup, Anum_pg_attribute_attacl, RelationGetDescr(rel), &isnull);
		col->acl = fp_acl_text(acl, isnull, OBJECT_COLUMN, InvalidOid);
	}
	fp_scan_end(scan, rel);
}

static void
scan_inherits(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, InheritsRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_inherits inh = (Form_pg_inherits) GETSTRUCT(tup);
		FpRel	   *r = fp_find_rel(st, inh->inhrelid);
		FpRel	   *parent;

		if (r == NULL || r->relkind == RELKIND_INDEX ||
			r->relkind == RELKIND_PARTITIONED_INDEX)
			continue;			/* an index partition: its table says it */
		parent = fp_get_rel(st, inh->inhparent);
		r->parents = lappend(r->parents, parent ?
							 psprintf("%s.%s", parent->nsp->q, quote_identifier(parent->name)) :
							 psprintf("%s.%s",
									  quote_identifier(get_namespace_name(get_rel_namespace(inh->inhparent))),
									  quote_identifier(get_rel_name(inh->inhparent))));
	}
	fp_scan_end(scan, rel);
}

/* ---------------------------------------------------------------------
 * The lines, sorted, into the hash
 * ---------------------------------------------------------------------
 */

typedef struct FpOut
{
	pg_cryptohash_ctx *ctx;
	StringInfoData buf;			/* lines not hashed yet */
	StringInfoData line;		/* the line being made */
	bool		show;			/* DEBUG2: every line */
	int			nlines;
} FpOut;

static void
out_flush(FpOut *out)
{
	if (pg_cryptohash_update(out->ctx, (const uint8 *) out->buf.data, out->buf.len) < 0)
		elog(ERROR, "could not compute the schema fingerprint");
	resetStringInfo(&out->buf);
}

static void
out_line(FpOut *out, const char *line, int len)
{
	if (out->show)
		elog(DEBUG2, "fingerprint: %s", line);
	appendBinaryStringInfo(&out->buf, line, len);
	appendStringInfoChar(&out->buf, '\n');
	out->nlines++;
	if (out->buf.len >= 65536)
		out_flush(out);
}

static void
out_parts(FpOut *out, List *parts)
{
	FpPart	  **p;
	int			n = list_length(parts);

	if (n == 0)
		return;
	p = palloc(n * sizeof(FpPart *));
	for (int i = 0; i < n; i++)
		p[i] = list_nth(parts, i);
	qsort(p, n, sizeof(FpPart *), part_cmp);
	for (int i = 0; i < n; i++)
		out_line(out, p[i]->line, strlen(p[i]->line));
	pfree(p);
}

/* A sequence's parameters. */
static void
append_sequence(FpState *st, StringInfo buf, Oid relid)
{
	HeapTuple	tup = SearchSysCache1(SEQRELID, ObjectIdGetDatum(relid));
	Form_pg_sequence q;

	if (!HeapTupleIsValid(tup))
		return;
	q = (Form_pg_sequence) GETSTRUCT(tup);
	appendStringInfo(buf, " seq=%s " INT64_FORMAT " " INT64_FORMAT " " INT64_FORMAT " " INT64_FORMAT " " INT64_FORMAT " %d",
					 fp_type_fmt(st, q->seqtypid, -1)->text, q->seqstart, q->seqincrement,
					 q->seqmax, q->seqmin, q->seqcache, q->seqcycle);
	ReleaseSysCache(tup);
}

/* A relation's line (an index's was made by its scan). */
static void
out_relation(FpState *st, FpOut *out, FpRel *r)
{
	StringInfo	buf = &out->line;

	resetStringInfo(buf);
	if (r->relkind == RELKIND_COMPOSITE_TYPE)
	{
		/* its type has the line; this heads its columns */
		appendStringInfo(buf, "composite %s.%s", r->nsp->q, quote_identifier(r->name));
		out_line(out, buf->data, buf->len);
		return;
	}
	appendStringInfo(buf, "rel %s.%s kind=%c owner=%s acl=%s persistence=%c rls=%d/%d opts=%s",
					 r->nsp->q, quote_identifier(r->name), r->relkind,
					 fp_role_name(st, r->owner), r->acl, r->persistence,
					 r->rls, r->forcerls, r->options);
	if (r->relkind == RELKIND_PARTITIONED_TABLE)
		appendStringInfo(buf, " partkey=%s",
						 fp_call_text(pg_get_partkeydef, 1, ObjectIdGetDatum(r->oid), (Datum) 0));
	if (r->partbound)
		appendStringInfo(buf, " bound=%s", fp_get_expr(PointerGetDatum(r->partbound), r->oid));
	if (r->parents)
	{
		char	  **p = palloc(list_length(r->parents) * sizeof(char *));
		int			n = 0;
		ListCell   *lc;

		foreach(lc, r->parents)
			p[n++] = lfirst(lc);
		qsort(p, n, sizeof(char *), fp_cstring_cmp);
		appendStringInfoString(buf, " inherits=");
		for (int i = 0; i < n; i++)
			appendStringInfo(buf, "%s%s", i > 0 ? "," : "", p[i]);
	}
	if (r->relkind == RELKIND_VIEW || r->relkind == RELKIND_MATVIEW)
		appendStringInfo(buf, " def=%s",
						 fp_call_text(pg_get_viewdef, 1, ObjectIdGetDatum(r->oid), (Datum) 0));
	if (r->relkind == RELKIND_SEQUENCE)
		append_sequence(st, buf, r->oid);
	out_line(out, buf->data, buf->len);
}

/*
 * Its columns, by name: "col NAME TYPE", then what it has of not null,
 * default, identity, generated, a collation not the type's, privileges.
 */
static void
out_columns(FpState *st, FpOut *out, FpRel *r)
{
	StringInfo	buf = &out->line;
	FpCol	  **cols;
	int			n = 0;

	if (r->natts == 0)
		return;
	cols = palloc(r->natts * sizeof(FpCol *));
	for (int i = 0; i < r->natts; i++)
		if (r->cols[i].name)
			cols[n++] = &r->cols[i];
	if (n > 1)
		qsort(cols, n, sizeof(FpCol *), col_cmp);
	for (int i = 0; i < n; i++)
	{
		FpCol	   *c = cols[i];
		FpTypeFmt  *t = fp_type_fmt(st, c->typid, c->typmod);

		resetStringInfo(buf);
		appendStringInfoString(buf, "col ");
		appendStringInfoString(buf, quote_identifier(c->name));
		appendStringInfoChar(buf, ' ');
		appendStringInfoString(buf, t->text);
		if (c->notnull)
			appendStringInfoString(buf, " not null");
		if (c->def)
		{
			appendStringInfoString(buf, " default ");
			appendStringInfoString(buf, c->def);
		}
		if (c->identity)
			appendStringInfo(buf, " identity %c", c->identity);
		if (c->generated)
			appendStringInfo(buf, " generated %c", c->generated);
		if (c->collation != t->collation)
			appendStringInfo(buf, " collate %s", fp_collation_name(c->collation));
		if (c->acl[0])
			appendStringInfo(buf, " acl %s", c->acl);
		out_line(out, buf->data, buf->len);
	}
	pfree(cols);
}

/* Every object, sorted by names, with its parts: into the hash. */
static int
out_all(FpState *st, pg_cryptohash_ctx *ctx)
{
	fpoid_iterator it;
	FpOidEntry *e;
	FpOut		out;
	FpSortKey  *keys;

	/* relations and indexes join the objects now */
	fpoid_start_iterate(st->rels, &it);
	while ((e = fpoid_iterate(st->rels, &it)) != NULL)
	{
		FpRel	   *r = e->ptr;
		int			i;

		if ((r->relkind == RELKIND_INDEX || r->relkind == RELKIND_PARTITIONED_INDEX) &&
			r->line == NULL)
			continue;			/* of a relation left out */
		i = fp_add_obj(st, r->nsp->name, FP_REL, r->name, NULL, r->line);
		st->objs[i].rel = r;	/* (fp_add_obj may move st->objs) */
	}
	keys = palloc(Max(st->nobjs, 1) * sizeof(FpSortKey));
	for (int i = 0; i < st->nobjs; i++)
	{
		keys[i].nsp = st->objs[i].nsp;
		keys[i].kind = st->objs[i].kind;
		keys[i].prefix = name_prefix(st->objs[i].name);
		keys[i].obj = &st->objs[i];
	}
	qsort(keys, st->nobjs, sizeof(FpSortKey), obj_cmp);

	out.ctx = ctx;
	initStringInfo(&out.buf);
	initStringInfo(&out.line);
	out.show = message_level_is_interesting(DEBUG2);
	out.nlines = 0;
	for (int i = 0; i < st->nobjs; i++)
	{
		FpObj	   *o = keys[i].obj;
		FpRel	   *r = o->rel;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (r && r->line == NULL)
		{
			out_relation(st, &out, r);
			out_columns(st, &out, r);
		}
		else
			out_line(&out, o->line, strlen(o->line));
		out_parts(&out, r ? r->parts : o->parts);
	}
	out_flush(&out);
	return out.nlines;
}

typedef void (*FpPhase) (FpState *st);

static const struct
{
	const char *name;
	FpPhase		fn;
}			phases[] =
{
	/* in this order: each may look up what those before it read */
	{"extensions", scan_extensions},
	{"schemas", scan_namespaces},
	{"relations", scan_classes},
	{"columns", scan_attributes},
	{"defaults", fp_scan_attrdefs},
	{"inheritance", scan_inherits},
	{"types", fp_scan_types},
	{"constraints", fp_scan_constraints},
	{"indexes", fp_scan_indexes},
	{"triggers", fp_scan_triggers},
	{"policies", fp_scan_policies},
	{"rules", fp_scan_rules},
	{"functions", fp_scan_functions},
};

/*
 * The fingerprint of the database's schema now: hex SHA-256 of the
 * description above, with search_path pinned to pg_catalog, under one
 * snapshot taken now (which sees what the revision bodies just did).
 */
char *
migrate_fingerprint_compute(void)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt;
	MigrateBookkeeping bk;
	FpState		st;
	HASHCTL		ctl;
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	bool		show_times = message_level_is_interesting(DEBUG1);
	TimestampTz start = show_times ? GetCurrentTimestamp() : 0;
	TimestampTz t0;
	int			nlines;

	cxt = AllocSetContextCreate(caller, "migrate fingerprint", ALLOCSET_DEFAULT_SIZES);
	migrate_caller_query_begin(&bk);
	MemoryContextSwitchTo(cxt);

	memset(&st, 0, sizeof(st));
	st.snap = RegisterSnapshot(GetLatestSnapshot());
	st.nsps = fpoid_create(cxt, 64, NULL);
	st.rels = fpoid_create(cxt, 4096, NULL);
	st.types = fpoid_create(cxt, 256, NULL);
	st.members = fpmem_create(cxt, 1024, NULL);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(((FpTypeFmt *) NULL)->key);
	ctl.entrysize = sizeof(FpTypeFmt);
	ctl.hcxt = cxt;
	st.typefmt = hash_create("fingerprint type names", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	st.exprs = fp_exprs_create(cxt);
	initStringInfo(&st.exprbuf);
	st.maxobjs = 1024;
	st.objs = palloc(st.maxobjs * sizeof(FpObj));

	for (int i = 0; i < lengthof(phases); i++)
	{
		t0 = show_times ? GetCurrentTimestamp() : 0;
		CHECK_FOR_INTERRUPTS();
		phases[i].fn(&st);
		if (show_times)
			elog(DEBUG1, "fingerprint: %s took %.1f ms", phases[i].name,
				 (double) (GetCurrentTimestamp() - t0) / 1000.0);
	}
	UnregisterSnapshot(st.snap);

	t0 = show_times ? GetCurrentTimestamp() : 0;
	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not compute the schema fingerprint");
	nlines = out_all(&st, ctx);
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute the schema fingerprint");
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, PG_SHA256_DIGEST_LENGTH, hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';

	if (show_times)
		elog(DEBUG1, "fingerprint: sort and hash took %.1f ms; %d lines, %.1f ms in all",
			 (double) (GetCurrentTimestamp() - t0) / 1000.0, nlines,
			 (double) (GetCurrentTimestamp() - start) / 1000.0);
	migrate_bookkeeping_end(&bk);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(cxt);
	return hex;
}

Datum
migrate_fingerprint(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(migrate_fingerprint_compute()));
}
