/*-------------------------------------------------------------------------
 *
 * ensure_enum.c
 *	  migrate.ensure() for CREATE TYPE ... AS ENUM: labels and their order.
 *
 * Of the types, only enums can be ensured; the type is looked up in the
 * schema CREATE TYPE would create it in.  An enum with other labels or
 * another order is an error (42710) that shows both definitions; when the
 * existing labels come in the requested order with others added, its hint
 * gives the ALTER TYPE ... ADD VALUE statements that would close the gap.
 * A type of another kind (base, composite, domain, range, ...) under the
 * name is 42809.
 *
 * IDENTIFICATION
 *	  src/ensure_enum.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "ensure.h"

static int
enum_order_cmp(const void *a, const void *b)
{
	Form_pg_enum ea = (Form_pg_enum) GETSTRUCT(*(HeapTuple const *) a);
	Form_pg_enum eb = (Form_pg_enum) GETSTRUCT(*(HeapTuple const *) b);

	if (ea->enumsortorder < eb->enumsortorder)
		return -1;
	return ea->enumsortorder > eb->enumsortorder ? 1 : 0;
}

/* the labels of enum "typoid" in their order (a List of C strings) */
static List *
enum_labels(Oid typoid)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(typoid));
	HeapTuple  *tuples = palloc(sizeof(HeapTuple) * Max(list->n_members, 1));
	List	   *labels = NIL;

	for (int i = 0; i < list->n_members; i++)
		tuples[i] = &list->members[i]->tuple;
	qsort(tuples, list->n_members, sizeof(HeapTuple), enum_order_cmp);
	for (int i = 0; i < list->n_members; i++)
		labels = lappend(labels,
						 pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tuples[i]))->enumlabel)));
	ReleaseSysCacheList(list);
	return labels;
}

static char *
enum_definition(const char *qualname, List *labels)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE TYPE %s AS ENUM (", qualname);
	foreach(lc, labels)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) ? ", " : "",
						 quote_literal_cstr(lfirst(lc)));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * If the existing labels appear in the requested ones in the same order,
 * the ALTER TYPE ... ADD VALUE statements that add the others; else NULL.
 */
static char *
enum_add_value_hint(const char *qualname, List *have, List *want)
{
	StringInfoData buf;
	ListCell   *lc;
	int			j = 0;

	initStringInfo(&buf);
	foreach(lc, want)
	{
		const char *label = lfirst(lc);

		if (j < list_length(have) && strcmp(label, list_nth(have, j)) == 0)
		{
			j++;
			continue;
		}
		for (int k = 0; k < list_length(have); k++)
			if (strcmp(label, list_nth(have, k)) == 0)
				return NULL;	/* reordered, not only added */
		appendStringInfo(&buf, "%sALTER TYPE %s ADD VALUE %s", buf.len ? "; " : "",
						 qualname, quote_literal_cstr(label));
		if (j < list_length(have))
			appendStringInfo(&buf, " BEFORE %s", quote_literal_cstr(list_nth(have, j)));
	}
	if (j < list_length(have) || buf.len == 0)
		return NULL;
	return psprintf("Add the missing labels in a revision: %s.", buf.data);
}

static const char *
typtype_name(Oid typoid)
{
	switch (get_typtype(typoid))
	{
		case TYPTYPE_BASE:
			return "a base type";
		case TYPTYPE_COMPOSITE:
			{
				Oid			relid = get_typ_typrelid(typoid);

				if (OidIsValid(relid) && get_rel_relkind(relid) != RELKIND_COMPOSITE_TYPE)
					return psprintf("the row type of %s %s",
									migrate_relkind_name(get_rel_relkind(relid)),
									ensure_qualified_relname(relid));
				return "a composite type";
			}
		case TYPTYPE_DOMAIN:
			return "a domain";
		case TYPTYPE_RANGE:
			return "a range type";
#if PG_VERSION_NUM >= 140000
		case TYPTYPE_MULTIRANGE:
			return "a multirange type";
#endif
		case TYPTYPE_PSEUDO:
			return "a pseudo-type";
	}
	return "a type";
}

EnsureResult
ensure_enum(CreateEnumStmt *stmt, const char *requested)
{
	char	   *typname;
	Oid			nsp = QualifiedNameGetCreationNamespace(stmt->typeName, &typname);
	Oid			typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										 CStringGetDatum(typname),
										 ObjectIdGetDatum(nsp));
	char	   *qualname;
	List	   *have;
	List	   *want = NIL;
	ListCell   *lc,
			   *lc2;
	bool		same;
	char	   *hint;

	if (!OidIsValid(typoid))
		return ENSURE_MISSING;
	qualname = quote_qualified_identifier(get_namespace_name(nsp), typname);
	if (get_typtype(typoid) != TYPTYPE_ENUM)
		ensure_error_wrong_kind(qualname, typtype_name(typoid), "an enum type");

	have = enum_labels(typoid);
	foreach(lc, stmt->vals)
		want = lappend(want, strVal(lfirst(lc)));

	same = list_length(have) == list_length(want);
	if (same)
		forboth(lc, have, lc2, want)
			if (strcmp(lfirst(lc), lfirst(lc2)) != 0)
				same = false;
	if (same)
		return ENSURE_UNCHANGED;

	hint = enum_add_value_hint(qualname, have, want);
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_OBJECT),
			 errmsg("type %s exists with other labels", qualname),
			 errdetail("Existing: %s\nRequested: %s",
					   enum_definition(qualname, have),
					   enum_definition(qualname, want)),
			 hint ? errhint("%s", hint) :
			 errhint("Labels of an enum type can be added (ALTER TYPE ... ADD VALUE) and renamed (ALTER TYPE ... RENAME VALUE), but not removed or reordered in place.")));
	return ENSURE_UNCHANGED;	/* not reached */
}
