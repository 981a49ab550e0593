/*-------------------------------------------------------------------------
 *
 * fingerprint_parts.c
 *	  The lines of migrate.fingerprint()'s description (fingerprint.c) for
 *	  what hangs off relations and schemas: column defaults, constraints,
 *	  indexes, triggers, policies, rules, functions and types.  Each is one
 *	  sequential scan of its catalog, looking up the relations and schemas
 *	  fingerprint.c read.
 *
 * IDENTIFICATION
 *	  src/fingerprint_parts.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_index.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "fingerprint.h"

/* ---------------------------------------------------------------------
 * Expressions: one deparse per distinct expression without columns
 * ---------------------------------------------------------------------
 */

typedef struct FpExprEntry
{
	char	   *key;			/* normalized node string; hash key */
	char	   *text;
} FpExprEntry;

static uint32
expr_key_hash(const void *key, Size keysize)
{
	const char *s = *(char *const *) key;

	return hash_bytes((const unsigned char *) s, strlen(s));
}

static int
expr_key_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * A node string (len bytes, not terminated) into buf with every token
 * position made -1: the positions depend on the statement's text, the
 * expression does not.
 */
static void
normalize_node(StringInfo buf, const char *s, int len)
{
	const char *end = s + len;
	const char *p = s;

	resetStringInfo(buf);
	while (p < end)
	{
		const char *colon = memchr(p, ':', end - p);

		if (colon == NULL)
			break;
		if (end - colon > 10 && memcmp(colon, ":location ", 10) == 0)
		{
			appendBinaryStringInfo(buf, p, colon - p);
			appendStringInfoString(buf, ":location -1");
			p = colon + 10;
			if (p < end && *p == '-')
				p++;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		}
		else
		{
			appendBinaryStringInfo(buf, p, colon + 1 - p);
			p = colon + 1;
		}
	}
	appendBinaryStringInfo(buf, p, end - p);
}

/*
 * A stored expression of relation relid as text.  One that names no column
 * (defaults, mostly: now(), 0, 'x', nextval(...)) is deparsed without the
 * relation -- pg_get_expr opens it, which on a fresh connection builds its
 * relation cache entry -- and once per distinct expression.
 */
static char *
expr_text(FpState *st, Datum expr, Oid relid)
{
	text	   *t = DatumGetTextPP(expr);
	StringInfo	buf = &st->exprbuf;
	char	   *key;
	FpExprEntry *e;
	bool		found;

	normalize_node(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	if (strstr(buf->data, "{VAR ") != NULL || strstr(buf->data, "{SUBLINK ") != NULL ||
		strstr(buf->data, "{QUERY ") != NULL)
		return fp_get_expr(expr, relid);
	key = buf->data;
	e = hash_search(st->exprs, &key, HASH_FIND, NULL);
	if (e)
		return e->text;
	key = pstrdup(buf->data);
	e = hash_search(st->exprs, &key, HASH_ENTER, &found);
	e->text = deparse_expression(stringToNode(key), NIL, false, false);
	return e->text;
}

/* The cache of expr_text(), in cxt. */
HTAB *
fp_exprs_create(MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(FpExprEntry);
	ctl.hash = expr_key_hash;
	ctl.match = expr_key_match;
	ctl.hcxt = cxt;
	return hash_create("fingerprint expressions", 64, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* Default expressions of the columns kept. */
void
fp_scan_attrdefs(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, AttrDefaultRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_attrdef ad = (Form_pg_attrdef) GETSTRUCT(tup);
		FpRel	   *r = fp_find_rel(st, ad->adrelid);
		bool		isnull;
		Datum		bin;

		if (r == NULL || ad->adnum < 1 || ad->adnum > r->natts ||
			r->cols[ad->adnum - 1].name == NULL)
			continue;
		bin = heap_getattr(tup, Anum_pg_attrdef_adbin, RelationGetDescr(rel), &isnull);
		if (!isnull)
			r->cols[ad->adnum - 1].def = expr_text(st, bin, ad->adrelid);
	}
	fp_scan_end(scan, rel);
}

/* A column of relation r by number, quoted (another relation's: looked up). */
static const char *
column_name(FpState *st, Oid relid, int attnum)
{
	FpRel	   *r = fp_get_rel(st, relid);

	if (r && attnum >= 1 && attnum <= r->natts && r->cols[attnum - 1].name)
		return quote_identifier(r->cols[attnum - 1].name);
	if (attnum <= 0)
		return "expr";
	return quote_identifier(get_attname(relid, attnum, false));
}

/* An int2[] of column numbers as names. */
static char *
column_list(FpState *st, Oid relid, Datum arr, bool isnull)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData buf;

	if (isnull)
		return "";
	deconstruct_array(DatumGetArrayTypeP(arr), INT2OID, 2, true, TYPALIGN_SHORT,
					  &elems, &nulls, &n);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "",
						 column_name(st, relid, DatumGetInt16(elems[i])));
	return buf.data;
}

/* A relation's schema-qualified name. */
static const char *
rel_q(FpState *st, Oid relid)
{
	FpRel	   *r = fp_get_rel(st, relid);

	if (r)
		return psprintf("%s.%s", r->nsp->q, quote_identifier(r->name));
	return psprintf("%s.%s", quote_identifier(get_namespace_name(get_rel_namespace(relid))),
					quote_identifier(get_rel_name(relid)));
}

/* An OID (or small number) in decimal; one made by users by its name. */
static void
append_oid_or_name(StringInfo buf, Oid oid, char *(*name) (Oid))
{
	char		digits[12];

	if (name && oid >= FirstNormalObjectId)
		appendStringInfoString(buf, name(oid));
	else
		appendBinaryStringInfo(buf, digits, pg_ultoa_n(oid, digits));
}

/*
 * Constraints of the relations and domains kept.  Keys and foreign keys
 * from the catalog (their index has a line of its own); the others, whose
 * expressions name columns, by pg_get_constraintdef.
 */
void
fp_scan_constraints(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, ConstraintRelationId, &rel, 0, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_constraint co = (Form_pg_constraint) GETSTRUCT(tup);
		FpRel	   *r = NULL;
		FpType	   *t = NULL;
		char	   *def;
		char	   *conname;
		bool		isnull;
		Datum		d;

		if (OidIsValid(co->conrelid))
			r = fp_find_rel(st, co->conrelid);
		else if (OidIsValid(co->contypid))
		{
			FpOidEntry *e = fpoid_lookup(st->types, co->contypid);

			t = e ? e->ptr : NULL;
		}
		if (r == NULL && t == NULL)
			continue;
		conname = pstrdup(NameStr(co->conname));
		if (r && (co->contype == CONSTRAINT_PRIMARY || co->contype == CONSTRAINT_UNIQUE))
		{
			FpRel	   *index = fp_get_rel(st, co->conindid);

			d = heap_getattr(tup, Anum_pg_constraint_conkey, desc, &isnull);
			def = psprintf("keys=%s index=%s deferrable=%d/%d", column_list(st, co->conrelid, d, isnull),
						   index ? quote_identifier(index->name) : "-",
						   co->condeferrable, co->condeferred);
		}
		else if (r && co->contype == CONSTRAINT_FOREIGN)
		{
			char	   *keys;
			char	   *fkeys;
			char	   *setcols = "";

			d = heap_getattr(tup, Anum_pg_constraint_conkey, desc, &isnull);
			keys = column_list(st, co->conrelid, d, isnull);
			d = heap_getattr(tup, Anum_pg_constraint_confkey, desc, &isnull);
			fkeys = column_list(st, co->confrelid, d, isnull);
#if PG_VERSION_NUM >= 150000
			d = heap_getattr(tup, Anum_pg_constraint_confdelsetcols, desc, &isnull);
			setcols = column_list(st, co->conrelid, d, isnull);
#endif
			def = psprintf("keys=%s references %s(%s) match=%c update=%c delete=%c (%s) deferrable=%d/%d valid=%d",
						   keys, rel_q(st, co->confrelid), fkeys, co->confmatchtype,
						   co->confupdtype, co->confdeltype, setcols,
						   co->condeferrable, co->condeferred, co->convalidated);
		}
		else
		{
			def = fp_call_text(pg_get_constraintdef, 1, ObjectIdGetDatum(co->oid), (Datum) 0);
			if (def == NULL)
				continue;		/* gone meanwhile */
		}
		/* its relation's or domain's line comes first */
		fp_add_part(r ? &r->parts : &st->objs[t->obj].parts, conname,
					psprintf("con %s type=%c def=%s", quote_identifier(conname), co->contype, def));
	}
	fp_scan_end(scan, rel);
}

static const char *
am_name(FpState *st, Oid amoid)
{
	if (amoid != st->last_am || st->last_am_name == NULL)
	{
		char	   *name = get_am_name(amoid);

		st->last_am = amoid;
		st->last_am_name = name ? name : "-";
	}
	return st->last_am_name;
}

/* Indexes of the relations kept, from pg_index: no pg_get_indexdef(). */
void
fp_scan_indexes(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, IndexRelationId, &rel, 0, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tup;
	StringInfoData buf;

	initStringInfo(&buf);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_index ix = (Form_pg_index) GETSTRUCT(tup);
		FpRel	   *table = fp_find_rel(st, ix->indrelid);
		FpRel	   *index;
		Datum		values[Natts_pg_index];
		bool		nulls[Natts_pg_index];
		oidvector  *opclass;
		oidvector  *collation;
		int2vector *option;

		if (table == NULL || (index = fp_get_rel(st, ix->indexrelid)) == NULL)
			continue;
		heap_deform_tuple(tup, desc, values, nulls);
		resetStringInfo(&buf);
		appendStringInfoString(&buf, "idx ");
		appendStringInfoString(&buf, quote_identifier(index->name));
		appendStringInfoString(&buf, " on ");
		appendStringInfoString(&buf, table->nsp->q);
		appendStringInfoChar(&buf, '.');
		appendStringInfoString(&buf, quote_identifier(table->name));
		appendStringInfo(&buf, " %s %c%c%c%c%c%c%c %d/%d (", am_name(st, index->am),
						 ix->indisunique ? 'u' : '-',
#if PG_VERSION_NUM >= 150000
						 ix->indnullsnotdistinct ? 'n' : '-',
#else
						 '-',
#endif
						 ix->indisprimary ? 'p' : '-', ix->indisexclusion ? 'x' : '-',
						 ix->indimmediate ? 'i' : '-', ix->indisvalid ? 'v' : '-',
						 ix->indisclustered ? 'c' : '-', ix->indnkeyatts, ix->indnatts);
		for (int i = 0; i < ix->indkey.dim1; i++)
		{
			if (i > 0)
				appendStringInfoChar(&buf, ',');
			appendStringInfoString(&buf, column_name(st, ix->indrelid, ix->indkey.values[i]));
		}
		/* operator classes and collations: built in by OID, others by name */
		appendStringInfoString(&buf, ") opclass");
		opclass = (oidvector *) DatumGetPointer(values[Anum_pg_index_indclass - 1]);
		for (int i = 0; i < opclass->dim1; i++)
		{
			appendStringInfoChar(&buf, ' ');
			append_oid_or_name(&buf, opclass->values[i], fp_opclass_name);
		}
		appendStringInfoString(&buf, " collation");
		collation = (oidvector *) DatumGetPointer(values[Anum_pg_index_indcollation - 1]);
		for (int i = 0; i < collation->dim1; i++)
		{
			appendStringInfoChar(&buf, ' ');
			append_oid_or_name(&buf, collation->values[i], fp_collation_name);
		}
		appendStringInfoString(&buf, " options");
		option = (int2vector *) DatumGetPointer(values[Anum_pg_index_indoption - 1]);
		for (int i = 0; i < option->dim1; i++)
		{
			appendStringInfoChar(&buf, ' ');
			append_oid_or_name(&buf, (Oid) (uint16) option->values[i], NULL);
		}
		if (index->options[0])
			appendStringInfo(&buf, " with %s", index->options);
		if (!nulls[Anum_pg_index_indexprs - 1])
			appendStringInfo(&buf, " exprs %s",
							 fp_get_expr(values[Anum_pg_index_indexprs - 1], ix->indrelid));
		if (!nulls[Anum_pg_index_indpred - 1])
			appendStringInfo(&buf, " where %s",
							 fp_get_expr(values[Anum_pg_index_indpred - 1], ix->indrelid));
		index->line = pstrdup(buf.data);
	}
	fp_scan_end(scan, rel);
}

void
fp_scan_triggers(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, TriggerRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_trigger tg = (Form_pg_trigger) GETSTRUCT(tup);
		FpRel	   *r;
		char	   *def;

		if (tg->tgisinternal || (r = fp_find_rel(st, tg->tgrelid)) == NULL)
			continue;
		def = fp_call_text(pg_get_triggerdef, 1, ObjectIdGetDatum(tg->oid), (Datum) 0);
		if (def)
			fp_add_part(&r->parts, pstrdup(NameStr(tg->tgname)),
						psprintf("trg %s enabled=%c", def, tg->tgenabled));
	}
	fp_scan_end(scan, rel);
}

void
fp_scan_policies(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, PolicyRelationId, &rel, 0, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_policy p = (Form_pg_policy) GETSTRUCT(tup);
		FpRel	   *r = fp_find_rel(st, p->polrelid);
		ArrayType  *roles;
		Oid		   *roleids;
		int			n;
		char	  **names;
		StringInfoData buf;
		bool		isnull;
		Datum		d;
		Datum		qual;
		Datum		check;
		bool		qual_null;
		bool		check_null;

		if (r == NULL)
			continue;
		initStringInfo(&buf);
		appendStringInfo(&buf, "pol %s cmd=%c permissive=%d roles=",
						 quote_identifier(NameStr(p->polname)), p->polcmd, p->polpermissive);
		d = heap_getattr(tup, Anum_pg_policy_polroles, desc, &isnull);
		roles = isnull ? NULL : DatumGetArrayTypeP(d);
		n = roles ? ArrayGetNItems(ARR_NDIM(roles), ARR_DIMS(roles)) : 0;
		roleids = roles ? (Oid *) ARR_DATA_PTR(roles) : NULL;
		names = palloc(Max(n, 1) * sizeof(char *));
		for (int i = 0; i < n; i++)
			names[i] = roleids[i] == ACL_ID_PUBLIC ? "public" : pstrdup(fp_role_name(st, roleids[i]));
		qsort(names, n, sizeof(char *), fp_cstring_cmp);
		for (int i = 0; i < n; i++)
			appendStringInfo(&buf, "%s%s", i > 0 ? "," : "", names[i]);
		qual = heap_getattr(tup, Anum_pg_policy_polqual, desc, &qual_null);
		check = heap_getattr(tup, Anum_pg_policy_polwithcheck, desc, &check_null);
		appendStringInfo(&buf, " using=%s check=%s", qual_null ? "" : fp_get_expr(qual, p->polrelid),
						 check_null ? "" : fp_get_expr(check, p->polrelid));
		fp_add_part(&r->parts, pstrdup(NameStr(p->polname)), buf.data);
	}
	fp_scan_end(scan, rel);
}

void
fp_scan_rules(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, RewriteRelationId, &rel, 0, NULL);
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_rewrite w = (Form_pg_rewrite) GETSTRUCT(tup);
		FpRel	   *r;
		char	   *def;

		/* a view's own _RETURN rule is its definition */
		if (strcmp(NameStr(w->rulename), "_RETURN") == 0 ||
			(r = fp_find_rel(st, w->ev_class)) == NULL)
			continue;
		def = fp_call_text(pg_get_ruledef, 1, ObjectIdGetDatum(w->oid), (Datum) 0);
		if (def)
			fp_add_part(&r->parts, pstrdup(NameStr(w->rulename)), psprintf("rule %s", def));
	}
	fp_scan_end(scan, rel);
}

/* An aggregate's parts (pg_get_functiondef refuses aggregates). */
static char *
aggregate_text(FpState *st, Oid fnoid, Oid rettype)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(fnoid));
	Form_pg_aggregate g;
	bool		isnull;
	Datum		init;
	char	   *s;

	if (!HeapTupleIsValid(tup))
		return "";
	g = (Form_pg_aggregate) GETSTRUCT(tup);
	init = SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &isnull);
	s = psprintf("aggregate returns %s kind=%c sfunc=%s stype=%s final=%s combine=%s init=%s sort=%s",
				 fp_type_fmt(st, rettype, -1)->text, g->aggkind, format_procedure(g->aggtransfn),
				 fp_type_fmt(st, g->aggtranstype, -1)->text,
				 OidIsValid(g->aggfinalfn) ? format_procedure(g->aggfinalfn) : "-",
				 OidIsValid(g->aggcombinefn) ? format_procedure(g->aggcombinefn) : "-",
				 isnull ? "" : TextDatumGetCString(init),
				 OidIsValid(g->aggsortop) ? format_operator(g->aggsortop) : "-");
	ReleaseSysCache(tup);
	return s;
}

void
fp_scan_functions(FpState *st)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_proc_oid, BTGreaterEqualStrategyNumber,
				F_OIDGE, ObjectIdGetDatum(FirstNormalObjectId));
	scan = fp_scan_begin(st, ProcedureRelationId, &rel, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		FpNsp	   *nsp = fp_find_nsp(st, p->pronamespace);
		char	   *args;
		char	   *def;
		bool		isnull;
		Datum		acl;

		if (nsp == NULL || fp_is_member(st, ProcedureRelationId, p->oid))
			continue;
		args = fp_call_text(pg_get_function_identity_arguments, 1, ObjectIdGetDatum(p->oid), (Datum) 0);
		def = p->prokind == PROKIND_AGGREGATE ? aggregate_text(st, p->oid, p->prorettype) :
			fp_call_text(pg_get_functiondef, 1, ObjectIdGetDatum(p->oid), (Datum) 0);
		acl = heap_getattr(tup, Anum_pg_proc_proacl, RelationGetDescr(rel), &isnull);
		fp_add_obj(st, nsp->name, FP_FN, pstrdup(NameStr(p->proname)), args ? args : "",
				 psprintf("fn %s.%s(%s) owner=%s acl=%s def=%s", nsp->q,
						  quote_identifier(NameStr(p->proname)), args ? args : "",
						  fp_role_name(st, p->proowner),
						  fp_acl_text(acl, isnull, OBJECT_FUNCTION, p->proowner),
						  def ? def : ""));
	}
	fp_scan_end(scan, rel);
}

/* An enum's labels in their sort order. */
static char *
enum_labels(FpState *st, Oid typid)
{
	Relation	rel = table_open(EnumRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	StringInfoData buf;

	initStringInfo(&buf);
	ScanKeyInit(&key, Anum_pg_enum_enumtypid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(typid));
	scan = systable_beginscan(rel, EnumTypIdSortOrderIndexId, true, st->snap, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? "," : "",
						 quote_literal_cstr(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel)));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return buf.data;
}

static char *
range_text(FpState *st, Oid typid)
{
	HeapTuple	tup = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typid));
	Form_pg_range g;
	char	   *s;

	if (!HeapTupleIsValid(tup))
		return "";
	g = (Form_pg_range) GETSTRUCT(tup);
	s = psprintf("%s %s %s %s", fp_type_fmt(st, g->rngsubtype, -1)->text,
				 fp_opclass_name(g->rngsubopc), fp_collation_name(g->rngcollation),
				 OidIsValid(g->rngsubdiff) ? format_procedure(g->rngsubdiff) : "-");
	ReleaseSysCache(tup);
	return s;
}

/* One type's line (not a row type, not an array made by itself). */
static void
add_type(FpState *st, HeapTuple tup, TupleDesc desc, FpNsp *nsp)
{
	Form_pg_type t = (Form_pg_type) GETSTRUCT(tup);
	FpType	   *e = palloc(sizeof(FpType));
	char	   *detail = "";
	bool		isnull;
	bool		found;
	Datum		d;

	fpoid_insert(st->types, t->oid, &found)->ptr = e;
	e->nsp = nsp;
	e->name = pstrdup(NameStr(t->typname));
	switch (t->typtype)
	{
		case TYPTYPE_ENUM:
			detail = enum_labels(st, t->oid);
			break;
		case TYPTYPE_DOMAIN:
			d = heap_getattr(tup, Anum_pg_type_typdefault, desc, &isnull);
			detail = psprintf("%s notnull=%d default=%s collation=%s",
							  fp_type_fmt(st, t->typbasetype, t->typtypmod)->text, t->typnotnull,
							  isnull ? "" : TextDatumGetCString(d), fp_collation_name(t->typcollation));
			break;
		case TYPTYPE_RANGE:
			detail = range_text(st, t->oid);
			break;
		case TYPTYPE_BASE:
			detail = psprintf("%s %s %s %s %d %c", format_procedure(t->typinput),
							  format_procedure(t->typoutput),
							  OidIsValid(t->typreceive) ? format_procedure(t->typreceive) : "-",
							  OidIsValid(t->typsend) ? format_procedure(t->typsend) : "-",
							  t->typlen, t->typalign);
			break;
	}
	d = heap_getattr(tup, Anum_pg_type_typacl, desc, &isnull);
	e->obj = fp_add_obj(st, nsp->name, FP_TYPE, e->name, NULL,
						psprintf("type %s.%s kind=%c owner=%s acl=%s detail=%s", nsp->q,
					  quote_identifier(e->name), t->typtype, fp_role_name(st, t->typowner),
					  fp_acl_text(d, isnull, OBJECT_TYPE, t->typowner), detail));
}

void
fp_scan_types(FpState *st)
{
	Relation	rel;
	SysScanDesc scan = fp_scan_begin(st, TypeRelationId, &rel, 0, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tup;
	fpoid_hash *arrays = fpoid_create(CurrentMemoryContext, 1024, NULL);
	List	   *maybe = NIL;
	ListCell   *lc;
	bool		found;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_type t = (Form_pg_type) GETSTRUCT(tup);
		FpNsp	   *nsp = fp_find_nsp(st, t->typnamespace);

		if (nsp == NULL)
			continue;
		if (OidIsValid(t->typarray))
			(void) fpoid_insert(arrays, t->typarray, &found);
		if (t->typtype == TYPTYPE_MULTIRANGE || fp_is_member(st, TypeRelationId, t->oid))
			continue;
		if (OidIsValid(t->typrelid))
		{
			FpRel	   *r = fp_find_rel(st, t->typrelid);

			if (r == NULL || r->relkind != RELKIND_COMPOSITE_TYPE)
				continue;		/* a table's row type */
		}
		if (OidIsValid(t->typelem) && t->typcategory == TYPCATEGORY_ARRAY)
			maybe = lappend(maybe, heap_copytuple(tup));	/* made by itself? */
		else
			add_type(st, tup, desc, nsp);
	}
	foreach(lc, maybe)
	{
		HeapTuple	t = lfirst(lc);
		Oid			oid = ((Form_pg_type) GETSTRUCT(t))->oid;

		if (fpoid_lookup(arrays, oid) == NULL)
			add_type(st, t, desc, fp_find_nsp(st, ((Form_pg_type) GETSTRUCT(t))->typnamespace));
	}
	fp_scan_end(scan, rel);
}
