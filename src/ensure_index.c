/*-------------------------------------------------------------------------
 *
 * ensure_index.c
 *	  migrate.ensure() for CREATE INDEX: is there an index with the
 *	  statement's definition?
 *
 * Index comparison needs the most machinery of all kinds (the analysed
 * statement, resolved operator classes, the existing index's definition
 * parsed again), hence a file of its own.
 *
 * pg_get_indexdef() of the existing index is parsed again, and both
 * statements go through transformIndexStmt() against the table, so
 * expressions and predicates are compared as analysed trees with equal()
 * (which ignores locations and the way a cast was written).  Compared:
 * table, access method, uniqueness (and NULLS NOT DISTINCT), key columns or
 * expressions in order, their operator classes (resolved, so a default
 * opclass written out is the same as none), collations, opclass options and
 * sort order, INCLUDE columns, predicate.  Ignored: the index name (unnamed
 * statements match any index of the table), CONCURRENTLY, IF NOT EXISTS,
 * ONLY, TABLESPACE; storage parameters (WITH ...) only raise a NOTICE, since
 * ALTER INDEX ... SET changes them in place.  An existing index with the
 * same definition that is INVALID (a failed concurrent build) is an error
 * (55000); one that differs is 42P07.
 *
 * Operator classes count as the same when they share family, input and
 * storage type (text_ops and varchar_ops).
 *
 * A missing table, or a relation that takes no index, is "missing": the
 * CREATE INDEX that runs then gives PostgreSQL's own error.
 *
 * IDENTIFICATION
 *	  src/ensure_index.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_opclass.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_utilcmd.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "ensure.h"

typedef struct IndexKey
{
	AttrNumber	attnum;			/* 0: an expression */
	Node	   *expr;
	Oid			opclass;
	Oid			collation;
	char	   *opclassopts;
	bool		desc;
	bool		nullsfirst;
} IndexKey;

typedef struct IndexShape
{
	Oid			relid;
	Oid			amoid;
	char	   *amname;
	bool		unique;
	bool		nulls_not_distinct;
	int			nkeys;
	IndexKey   *keys;
	List	   *include;		/* int List of attnums */
	Node	   *predicate;
	char	   *options;		/* storage parameters, normalised */
} IndexShape;

static int
list_cstring_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* "a=1, b=x" from a DefElem list, sorted, values as defGetString sees them */
static char *
options_signature(List *defs)
{
	List	   *items = NIL;
	ListCell   *lc;
	StringInfoData buf;

	foreach(lc, defs)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const char *value = def->arg ? defGetString(def) : "true";

		items = lappend(items, psprintf("%s%s%s=%s",
										def->defnamespace ? def->defnamespace : "",
										def->defnamespace ? "." : "",
										def->defname, value));
	}
	list_sort(items, list_cstring_cmp);
	initStringInfo(&buf);
	foreach(lc, items)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (char *) lfirst(lc));
	return buf.data;
}

/* The attribute "name" of "relid": attnum, type and collation. */
static AttrNumber
index_column(Oid relid, const char *name, Oid *type, Oid *collation)
{
	HeapTuple	tp = SearchSysCacheAttName(relid, name);
	Form_pg_attribute att;
	AttrNumber	attnum;

	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" does not exist", name)));
	att = (Form_pg_attribute) GETSTRUCT(tp);
	attnum = att->attnum;
	*type = att->atttypid;
	*collation = att->attcollation;
	ReleaseSysCache(tp);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("index creation on system columns is not supported")));
	return attnum;
}

/*
 * Analyse a raw CREATE INDEX against table "relid" (locked by the caller)
 * and reduce it to what defines the index.
 */
static IndexShape *
index_shape(Oid relid, IndexStmt *stmt, const char *query)
{
	IndexShape *s = palloc0(sizeof(IndexShape));
	ListCell   *lc;
	int			i = 0;

	stmt = transformIndexStmt(relid, stmt, query);

	s->relid = relid;
	s->amname = stmt->accessMethod;
	s->amoid = get_index_am_oid(stmt->accessMethod, false);
	s->unique = stmt->unique;
#if PG_VERSION_NUM >= 150000
	s->nulls_not_distinct = stmt->nulls_not_distinct;
#endif
	s->nkeys = list_length(stmt->indexParams);
	s->keys = palloc0(sizeof(IndexKey) * Max(s->nkeys, 1));

	foreach(lc, stmt->indexParams)
	{
		IndexElem  *elem = lfirst_node(IndexElem, lc);
		IndexKey   *k = &s->keys[i++];
		Oid			keytype;
		Oid			defcoll;

		if (elem->name)
			k->attnum = index_column(relid, elem->name, &keytype, &defcoll);
		else if (IsA(elem->expr, Var) && ((Var *) elem->expr)->varattno > 0)
		{
			/* "((a))" is column a, as DefineIndex stores it */
			Var		   *v = (Var *) elem->expr;

			k->attnum = v->varattno;
			keytype = v->vartype;
			defcoll = v->varcollid;
		}
		else
		{
			k->expr = elem->expr;
			keytype = exprType(elem->expr);
			defcoll = exprCollation(elem->expr);
		}

		if (elem->collation != NIL && type_is_collatable(keytype))
			k->collation = get_collation_oid(elem->collation, false);
		else
			k->collation = defcoll;
		k->opclass = ResolveOpClass(elem->opclass, keytype, s->amname, s->amoid);
		k->opclassopts = options_signature(elem->opclassopts);
		k->desc = elem->ordering == SORTBY_DESC;
		k->nullsfirst = elem->nulls_ordering == SORTBY_NULLS_FIRST ||
			(elem->nulls_ordering == SORTBY_NULLS_DEFAULT && k->desc);
	}

	foreach(lc, stmt->indexIncludingParams)
	{
		IndexElem  *elem = lfirst_node(IndexElem, lc);
		Oid			type,
					coll;

		if (elem->name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("expressions are not supported in included columns")));
		s->include = lappend_int(s->include,
								 index_column(relid, elem->name, &type, &coll));
	}

	/* as index_create stores it: an implicit-AND list made explicit */
	if (stmt->whereClause)
		s->predicate = (Node *) make_ands_explicit(make_ands_implicit((Expr *) stmt->whereClause));
	s->options = options_signature(stmt->options);
	return s;
}

static char *
opclass_name(Oid opclass)
{
	HeapTuple	tp = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
	char	   *name;

	if (!HeapTupleIsValid(tp))
		return psprintf("%u", opclass);
	name = pstrdup(NameStr(((Form_pg_opclass) GETSTRUCT(tp))->opcname));
	ReleaseSysCache(tp);
	return name;
}

/*
 * Operator classes are the same when they are, or when they belong to the
 * same family with the same input and storage types (varchar_ops and
 * text_ops, for one): the family holds the operators and support
 * functions, so such classes index identically.
 */
static bool
same_opclass(Oid a, Oid b)
{
	HeapTuple	ta,
				tb;
	bool		same;

	if (a == b)
		return true;
	ta = SearchSysCache1(CLAOID, ObjectIdGetDatum(a));
	tb = SearchSysCache1(CLAOID, ObjectIdGetDatum(b));
	same = HeapTupleIsValid(ta) && HeapTupleIsValid(tb);
	if (same)
	{
		Form_pg_opclass ca = (Form_pg_opclass) GETSTRUCT(ta);
		Form_pg_opclass cb = (Form_pg_opclass) GETSTRUCT(tb);

		same = ca->opcmethod == cb->opcmethod &&
			ca->opcfamily == cb->opcfamily &&
			ca->opcintype == cb->opcintype &&
			ca->opckeytype == cb->opckeytype;
	}
	if (HeapTupleIsValid(ta))
		ReleaseSysCache(ta);
	if (HeapTupleIsValid(tb))
		ReleaseSysCache(tb);
	return same;
}

/* NULL when "have" and "want" define the same index, else what differs. */
static char *
index_difference(IndexShape *have, IndexShape *want)
{
	if (have->relid != want->relid)
		return psprintf("The existing index is on table %s, the statement's on %s.",
						ensure_qualified_relname(have->relid),
						ensure_qualified_relname(want->relid));
	if (have->amoid != want->amoid)
		return psprintf("The existing index uses the access method %s, the statement %s.",
						have->amname, want->amname);
	if (have->unique != want->unique)
		return pstrdup(have->unique ?
					   "The existing index is unique, the statement's is not." :
					   "The statement's index is unique, the existing one is not.");
	if (have->nulls_not_distinct != want->nulls_not_distinct)
		return pstrdup("The indexes differ in NULLS NOT DISTINCT.");
	if (have->nkeys != want->nkeys)
		return psprintf("The existing index has %d key column%s, the statement's %d.",
						have->nkeys, have->nkeys == 1 ? "" : "s", want->nkeys);
	for (int i = 0; i < have->nkeys; i++)
	{
		IndexKey   *a = &have->keys[i];
		IndexKey   *b = &want->keys[i];

		if (a->attnum != b->attnum || !equal(a->expr, b->expr))
			return psprintf("Key column %d differs.", i + 1);
		if (!same_opclass(a->opclass, b->opclass))
			return psprintf("Key column %d uses the operator class %s in the existing index, %s in the statement.",
							i + 1, opclass_name(a->opclass), opclass_name(b->opclass));
		if (a->collation != b->collation)
			return psprintf("Key column %d uses the collation %s in the existing index, %s in the statement.",
							i + 1,
							OidIsValid(a->collation) ? get_collation_name(a->collation) : "(none)",
							OidIsValid(b->collation) ? get_collation_name(b->collation) : "(none)");
		if (strcmp(a->opclassopts, b->opclassopts) != 0)
			return psprintf("Key column %d has other operator class options.", i + 1);
		if (a->desc != b->desc || a->nullsfirst != b->nullsfirst)
			return psprintf("Key column %d is sorted differently (ASC/DESC, NULLS FIRST/LAST).", i + 1);
	}
	if (!equal(have->include, want->include))
		return pstrdup("The INCLUDE columns differ.");
	if (!equal(have->predicate, want->predicate))
	{
		if (have->predicate == NULL)
			return pstrdup("The statement's index is partial (WHERE), the existing one is not.");
		if (want->predicate == NULL)
			return pstrdup("The existing index is partial (WHERE), the statement's is not.");
		return pstrdup("The predicates (WHERE) differ.");
	}
	return NULL;
}

static char *
existing_index_definition(Oid indexoid)
{
	return TextDatumGetCString(DirectFunctionCall1(pg_get_indexdef,
												   ObjectIdGetDatum(indexoid)));
}

/* The shape of an existing index, from its pg_get_indexdef() parsed again. */
static IndexShape *
existing_index_shape(Oid indexoid, char **definition)
{
	char	   *def = existing_index_definition(indexoid);
	List	   *stmts = migrate_body_statements(def);
	Oid			relid = IndexGetRelation(indexoid, false);
	IndexStmt  *stmt;

	if (list_length(stmts) != 1 ||
		!IsA(linitial_node(RawStmt, stmts)->stmt, IndexStmt))
		elog(ERROR, "unexpected definition of index %u: %s", indexoid, def);
	stmt = (IndexStmt *) linitial_node(RawStmt, stmts)->stmt;
	LockRelationOid(relid, AccessShareLock);
	*definition = def;
	return index_shape(relid, stmt, def);
}

static void
index_invalid(Oid indexoid, const char *definition)
{
	char	   *name = ensure_qualified_relname(indexoid);

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("index %s exists but is INVALID", name),
			 errdetail("A CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed (or is still running) left it unusable: queries do not use it.\nExisting: %s",
					   definition),
			 errhint("Drop it (DROP INDEX CONCURRENTLY %s) and create it again, or rebuild it with REINDEX INDEX CONCURRENTLY %s.",
					 name, name)));
}

/*
 * An unnamed CREATE INDEX: any index of the table with this definition will
 * do.  Only INVALID ones: the error that says so.
 */
static EnsureResult
ensure_unnamed_index(Oid relid, IndexShape *want)
{
	Relation	rel = relation_open(relid, NoLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			invalid = InvalidOid;
	char	   *invalid_def = NULL;

	relation_close(rel, NoLock);
	foreach(lc, indexes)
	{
		char	   *def;
		IndexShape *have = existing_index_shape(lfirst_oid(lc), &def);

		if (index_difference(have, want) != NULL)
			continue;
		if (migrate_index_is_valid(lfirst_oid(lc)))
			return ENSURE_UNCHANGED;
		invalid = lfirst_oid(lc);
		invalid_def = def;
	}
	if (OidIsValid(invalid))
		index_invalid(invalid, invalid_def);
	return ENSURE_MISSING;
}

/*
 * A named index that does not exist: say so (NOTICE) when the same index
 * exists under another name.
 */
static void
notice_same_index(Oid relid, IndexShape *want)
{
	Relation	rel = relation_open(relid, NoLock);
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	relation_close(rel, NoLock);
	foreach(lc, indexes)
	{
		char	   *def;
		IndexShape *have = existing_index_shape(lfirst_oid(lc), &def);

		if (index_difference(have, want) == NULL)
		{
			ereport(NOTICE,
					(errmsg("index %s has the same definition as the index being created",
							ensure_qualified_relname(lfirst_oid(lc))),
					 errdetail("Existing: %s", def)));
			break;
		}
	}
}

EnsureResult
ensure_index(IndexStmt *stmt, const char *query, const char *requested)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, AccessShareLock, true);
	char		relkind;
	IndexShape *want;
	IndexShape *have;
	Oid			indexoid;
	char	   *def;
	char	   *diff;

	/* no such table, or not one that takes indexes: CREATE INDEX says so */
	if (!OidIsValid(relid))
		return ENSURE_MISSING;
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_MATVIEW)
		return ENSURE_MISSING;

	want = index_shape(relid, copyObject(stmt), query);

	if (stmt->idxname == NULL)
		return ensure_unnamed_index(relid, want);

	indexoid = get_relname_relid(stmt->idxname, get_rel_namespace(relid));
	if (!OidIsValid(indexoid))
	{
		notice_same_index(relid, want);
		return ENSURE_MISSING;
	}

	relkind = get_rel_relkind(indexoid);
	if (relkind != RELKIND_INDEX && relkind != RELKIND_PARTITIONED_INDEX)
		ensure_error_wrong_kind(ensure_qualified_relname(indexoid),
								ensure_with_article(migrate_relkind_name(relkind)),
								"an index");

	have = existing_index_shape(indexoid, &def);
	diff = index_difference(have, want);
	if (diff)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("index %s exists with a different definition",
						ensure_qualified_relname(indexoid)),
				 errdetail("%s\nExisting: %s\nRequested: %s", diff, def, requested),
				 errhint("Change the statement to match, or replace the index in a revision (DROP INDEX, then CREATE INDEX).")));
	if (!migrate_index_is_valid(indexoid))
		index_invalid(indexoid, def);
	if (strcmp(have->options, want->options) != 0)
		ereport(NOTICE,
				(errmsg("index %s has other storage parameters than the statement",
						ensure_qualified_relname(indexoid)),
				 errdetail("Existing: (%s); requested: (%s).",
						   have->options, want->options),
				 errhint("ALTER INDEX ... SET (...) changes them in place.")));
	return ENSURE_UNCHANGED;
}
