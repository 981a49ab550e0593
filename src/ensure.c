/*-------------------------------------------------------------------------
 *
 * ensure.c
 *	  migrate.ensure(statement): create an object unless an object of that
 *	  name already exists with the same definition.
 *
 * The statement is parsed with PostgreSQL's raw parser and must be exactly
 * one of CREATE INDEX, CREATE TABLE, ALTER TABLE ... ADD COLUMN (one
 * column), CREATE TYPE ... AS ENUM, CREATE SCHEMA or CREATE EXTENSION;
 * anything else is refused (0A000) before anything runs.  The object is
 * looked up where the statement would create it (the creation schema for
 * CREATE TABLE and CREATE TYPE, the table's schema for an index), then:
 *
 *	  missing                  the statement runs through SPI, as the
 *	                           calling user: 'created'
 *	  same definition          nothing runs: 'unchanged'
 *	  another definition       an error (the SQLSTATE CREATE would give for
 *	                           "already exists") whose detail says what
 *	                           differs and shows both definitions
 *	  another kind of object   42809 wrong_object_type
 *
 * Comparison is structural, never textual:
 *
 *	  index   pg_get_indexdef() of the existing index is parsed again, and
 *	          both statements go through transformIndexStmt() against the
 *	          table, so expressions and predicates are compared as analysed
 *	          trees with equal() (which ignores locations and the way a cast
 *	          was written).  Compared: table, access method, uniqueness (and
 *	          NULLS NOT DISTINCT), key columns or expressions in order, their
 *	          operator classes (resolved, so a default opclass written out is
 *	          the same as none), collations, opclass options and sort order,
 *	          INCLUDE columns, predicate.  Ignored: the index name (unnamed
 *	          statements match any index of the table), CONCURRENTLY, IF NOT
 *	          EXISTS, ONLY, TABLESPACE; storage parameters (WITH ...) only
 *	          raise a NOTICE, since ALTER INDEX ... SET changes them in place.
 *	          An existing index with the same definition that is INVALID (a
 *	          failed concurrent build) is an error (55000).
 *	  table   columns by name, in any order: type after typmod resolution
 *	          (int = int4 = integer, varchar(10) <> varchar(20)) and
 *	          nullability (PRIMARY KEY, serial and identity imply NOT NULL);
 *	          partitioned or not.  Constraints, defaults, storage and
 *	          partition keys are not compared.
 *	  column  type, nullability and default; the default is cooked as
 *	          ALTER TABLE would cook it and compared with pg_attrdef as a
 *	          tree; identity and generated columns compare their kind (and
 *	          expression); serial matches any nextval() default.
 *	  enum    labels and their order.
 *	  schema, extension  existence; an extension at another version or in
 *	          another schema than the statement asks raises a NOTICE.
 *
 * SQLSTATEs: 0A000 unsupported statement or clause, or not exactly one
 * statement; 42P07 an index or table differs; 42701 a column differs;
 * 42710 an enum type differs; 42809 the name belongs to another kind of
 * object; 55000 the index exists but is INVALID; 25001 CREATE INDEX
 * CONCURRENTLY would have to run (it cannot inside a function).  Errors of
 * PostgreSQL itself (42601 syntax, 42P01 missing table, 3F000 missing
 * schema, ...) pass through unchanged, positioned in the statement.
 *
 * Operator classes count as the same when they share family, input and
 * storage type (text_ops and varchar_ops).  Between the check and the
 * CREATE another session may create the object; the CREATE then fails as it
 * would have anyway.  Inside migrate.upgrade() the migration lock rules
 * that out for revisions.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/heap.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "parser/parse_utilcmd.h"
#include "parser/scansup.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(migrate_ensure);

typedef enum EnsureResult
{
	ENSURE_MISSING,
	ENSURE_UNCHANGED
} EnsureResult;

#define SUPPORTED_DETAIL "migrate.ensure() compares CREATE INDEX, CREATE TABLE, ALTER TABLE ... ADD COLUMN, CREATE TYPE ... AS ENUM, CREATE SCHEMA and CREATE EXTENSION with what exists."

static void
not_supported(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("migrate.ensure() does not support %s", what),
			 errdetail("%s", detail ? detail : SUPPORTED_DETAIL),
			 errhint("Run other statements directly, guarded by the migrate.*_exists() functions where needed.")));
}

static char *
qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

static void
wrong_kind(const char *name, const char *is, const char *want)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("\"%s\" exists but is %s, not %s", name, is, want),
			 errhint("Choose another name, or drop the existing object in a revision first.")));
}

static const char *
with_article(const char *noun)
{
	return psprintf("%s %s", strchr("aeiouAEIOU", noun[0]) ? "an" : "a", noun);
}

/* ---------------------------------------------------------------------
 * Indexes
 * ---------------------------------------------------------------------
 */

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
cstring_cmp(const ListCell *a, const ListCell *b)
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
	list_sort(items, cstring_cmp);
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

/* NULL when "a" and "b" define the same index, else what differs. */
static char *
index_difference(IndexShape *have, IndexShape *want)
{
	if (have->relid != want->relid)
		return psprintf("The existing index is on table %s, the statement's on %s.",
						qualified_relname(have->relid),
						qualified_relname(want->relid));
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
	char	   *name = qualified_relname(indexoid);

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("index %s exists but is INVALID", name),
			 errdetail("A CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed (or is still running) left it unusable: queries do not use it.\nExisting: %s",
					   definition),
			 errhint("Drop it (DROP INDEX CONCURRENTLY %s) and create it again, or rebuild it with REINDEX INDEX CONCURRENTLY %s.",
					 name, name)));
}

static EnsureResult
ensure_index(IndexStmt *stmt, const char *query, const char *requested)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, AccessShareLock, true);
	char		relkind;
	IndexShape *want;
	Oid			indexoid;

	/* no such table, or not one that takes indexes: CREATE INDEX says so */
	if (!OidIsValid(relid))
		return ENSURE_MISSING;
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_MATVIEW)
		return ENSURE_MISSING;

	want = index_shape(relid, copyObject(stmt), query);

	if (stmt->idxname == NULL)
	{
		/* unnamed: any index of the table with this definition will do */
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

	indexoid = get_relname_relid(stmt->idxname, get_rel_namespace(relid));
	if (!OidIsValid(indexoid))
	{
		/* say so when the same index exists under another name */
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
								qualified_relname(lfirst_oid(lc))),
						 errdetail("Existing: %s", def)));
				break;
			}
		}
		return ENSURE_MISSING;
	}

	relkind = get_rel_relkind(indexoid);
	if (relkind != RELKIND_INDEX && relkind != RELKIND_PARTITIONED_INDEX)
		wrong_kind(qualified_relname(indexoid),
				   with_article(migrate_relkind_name(relkind)), "an index");

	{
		char	   *def;
		IndexShape *have = existing_index_shape(indexoid, &def);
		char	   *diff = index_difference(have, want);

		if (diff)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("index %s exists with a different definition",
							qualified_relname(indexoid)),
					 errdetail("%s\nExisting: %s\nRequested: %s", diff, def, requested),
					 errhint("Change the statement to match, or replace the index in a revision (DROP INDEX, then CREATE INDEX).")));
		if (!migrate_index_is_valid(indexoid))
			index_invalid(indexoid, def);
		if (strcmp(have->options, want->options) != 0)
			ereport(NOTICE,
					(errmsg("index %s has other storage parameters than the statement",
							qualified_relname(indexoid)),
					 errdetail("Existing: (%s); requested: (%s).",
							   have->options, want->options),
					 errhint("ALTER INDEX ... SET (...) changes them in place.")));
	}
	return ENSURE_UNCHANGED;
}

/* ---------------------------------------------------------------------
 * Columns and tables
 * ---------------------------------------------------------------------
 */

typedef struct ColumnSpec
{
	char	   *name;
	Oid			typid;
	int32		typmod;
	bool		notnull;
	bool		serial;
	char		identity;		/* ATTRIBUTE_IDENTITY_* or '\0' */
	char		generated;		/* ATTRIBUTE_GENERATED_STORED or '\0' */
	Node	   *raw_default;	/* DEFAULT or GENERATED expression */
} ColumnSpec;

/* What a ColumnDef of CREATE TABLE or ADD COLUMN asks for. */
static void
column_spec(ColumnDef *cd, ColumnSpec *cs)
{
	TypeName   *tn = cd->typeName;
	ListCell   *lc;

	memset(cs, 0, sizeof(ColumnSpec));
	cs->name = cd->colname;
	cs->notnull = cd->is_not_null;

	/* serial types, as transformColumnDefinition expands them */
	if (list_length(tn->names) == 1 && !tn->pct_type && tn->arrayBounds == NIL)
	{
		const char *typname = strVal(linitial(tn->names));

		if (strcmp(typname, "smallserial") == 0 || strcmp(typname, "serial2") == 0)
			cs->typid = INT2OID;
		else if (strcmp(typname, "serial") == 0 || strcmp(typname, "serial4") == 0)
			cs->typid = INT4OID;
		else if (strcmp(typname, "bigserial") == 0 || strcmp(typname, "serial8") == 0)
			cs->typid = INT8OID;
		if (OidIsValid(cs->typid))
		{
			cs->typmod = -1;
			cs->serial = true;
			cs->notnull = true;
		}
	}
	if (!cs->serial)
		typenameTypeIdAndMod(NULL, tn, &cs->typid, &cs->typmod);

	foreach(lc, cd->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);

		switch (c->contype)
		{
			case CONSTR_NOTNULL:
			case CONSTR_PRIMARY:
				cs->notnull = true;
				break;
			case CONSTR_NULL:
				cs->notnull = false;
				break;
			case CONSTR_IDENTITY:
				cs->identity = c->generated_when;
				cs->notnull = true;
				break;
			case CONSTR_DEFAULT:
				cs->raw_default = c->raw_expr;
				break;
			case CONSTR_GENERATED:
				cs->generated = ATTRIBUTE_GENERATED_STORED;
				cs->raw_default = c->raw_expr;
				break;
			default:
				break;
		}
	}
}

static char *
column_text(const char *name, Oid typid, int32 typmod, bool notnull)
{
	return psprintf("%s %s%s", quote_identifier(name),
					format_type_with_typemod(typid, typmod),
					notnull ? " NOT NULL" : "");
}

static char *
table_shape_text(const char *qualname, List *columns, const char *suffix)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s (", qualname);
	foreach(lc, columns)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) ? ", " : "",
						 (char *) lfirst(lc));
	appendStringInfo(&buf, ")%s", suffix);
	return buf.data;
}

static EnsureResult
ensure_table(CreateStmt *stmt, const char *requested)
{
	Oid			nsp;
	Oid			relid;
	char		relkind;
	Relation	rel;
	TupleDesc	desc;
	List	   *wanted = NIL;	/* ColumnSpec * */
	List	   *pkey = NIL;		/* column names of a table PRIMARY KEY */
	List	   *have_text = NIL;
	List	   *want_text = NIL;
	StringInfoData diffs;
	ListCell   *lc;
	char	   *qualname;
	bool	   *matched;

	if (stmt->partbound)
		not_supported("CREATE TABLE ... PARTITION OF",
					  "A partition's columns come from its parent; ensure the parent table, then check the partition with migrate.table_exists().");
	if (stmt->inhRelations)
		not_supported("CREATE TABLE ... INHERITS",
					  "Inherited columns are not part of the statement, so the table cannot be compared with it.");
	if (stmt->ofTypename)
		not_supported("CREATE TABLE ... OF type",
					  "A typed table's columns come from its type, so the table cannot be compared with the statement.");

	foreach(lc, stmt->tableElts)
	{
		Node	   *elt = lfirst(lc);

		if (IsA(elt, ColumnDef))
		{
			ColumnSpec *cs = palloc(sizeof(ColumnSpec));

			column_spec((ColumnDef *) elt, cs);
			wanted = lappend(wanted, cs);
		}
		else if (IsA(elt, TableLikeClause))
			not_supported("CREATE TABLE ... (LIKE ...)",
						  "Columns copied with LIKE are not part of the statement, so the table cannot be compared with it.");
		else if (IsA(elt, Constraint) &&
				 ((Constraint *) elt)->contype == CONSTR_PRIMARY)
		{
			ListCell   *k;

			foreach(k, ((Constraint *) elt)->keys)
				pkey = lappend(pkey, strVal(lfirst(k)));
		}
	}
	foreach(lc, wanted)
	{
		ColumnSpec *cs = lfirst(lc);
		ListCell   *k;

		foreach(k, pkey)
			if (strcmp(cs->name, lfirst(k)) == 0)
				cs->notnull = true;
	}

	nsp = RangeVarGetCreationNamespace(stmt->relation);
	relid = get_relname_relid(stmt->relation->relname, nsp);
	if (!OidIsValid(relid))
		return ENSURE_MISSING;

	qualname = qualified_relname(relid);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		wrong_kind(qualname, with_article(migrate_relkind_name(relkind)), "a table");

	rel = relation_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	matched = palloc0(sizeof(bool) * Max(desc->natts, 1));
	initStringInfo(&diffs);

	if ((relkind == RELKIND_PARTITIONED_TABLE) != (stmt->partspec != NULL))
		appendStringInfo(&diffs, "%s\n", relkind == RELKIND_PARTITIONED_TABLE ?
						 "The existing table is partitioned, the statement's is not." :
						 "The statement's table is partitioned (PARTITION BY), the existing one is not.");

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped)
			have_text = lappend(have_text,
								column_text(NameStr(att->attname), att->atttypid,
											att->atttypmod, att->attnotnull));
	}

	foreach(lc, wanted)
	{
		ColumnSpec *cs = lfirst(lc);
		Form_pg_attribute att = NULL;

		want_text = lappend(want_text,
							column_text(cs->name, cs->typid, cs->typmod, cs->notnull));
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, i);

			if (!a->attisdropped && strcmp(NameStr(a->attname), cs->name) == 0)
			{
				att = a;
				matched[i] = true;
				break;
			}
		}
		if (att == NULL)
		{
			appendStringInfo(&diffs, "Column \"%s\" is missing from the existing table.\n",
							 cs->name);
			continue;
		}
		if (att->atttypid != cs->typid || att->atttypmod != cs->typmod)
			appendStringInfo(&diffs, "Column \"%s\" is %s in the existing table, %s in the statement.\n",
							 cs->name,
							 format_type_with_typemod(att->atttypid, att->atttypmod),
							 format_type_with_typemod(cs->typid, cs->typmod));
		if (att->attnotnull != cs->notnull)
			appendStringInfo(&diffs, "Column \"%s\" is %s in the existing table, %s in the statement.\n",
							 cs->name,
							 att->attnotnull ? "NOT NULL" : "nullable",
							 cs->notnull ? "NOT NULL" : "nullable");
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && !matched[i])
			appendStringInfo(&diffs, "The existing table has a column \"%s\" that the statement does not define.\n",
							 NameStr(att->attname));
	}
	relation_close(rel, NoLock);

	if (diffs.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("table %s exists with a different definition", qualname),
				 errdetail("%sExisting: %s\nRequested: %s",
						   diffs.data,
						   table_shape_text(qualname, have_text,
											relkind == RELKIND_PARTITIONED_TABLE ?
											psprintf(" PARTITION BY %s",
													 TextDatumGetCString(DirectFunctionCall1(pg_get_partkeydef,
																							 ObjectIdGetDatum(relid)))) : ""),
						   table_shape_text(qualname, want_text,
											stmt->partspec ? " PARTITION BY ..." : "")),
				 errhint("Change the statement to match, or change the table in a revision (ALTER TABLE).")));
	return ENSURE_UNCHANGED;
}

/* does "node" call nextval()? (a serial column's default) */
static bool
calls_nextval(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == F_NEXTVAL)
		return true;
	return expression_tree_walker(node, calls_nextval, context);
}

static Node *
existing_default(Relation rel, AttrNumber attnum)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	if (constr == NULL)
		return NULL;
	for (int i = 0; i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
			return stringToNode(constr->defval[i].adbin);
	return NULL;
}

/* "DEFAULT expr", "GENERATED ... AS IDENTITY", ... or "" for messages */
static char *
default_text(Relation rel, char identity, char generated, Node *expr, bool serial)
{
	List	   *ctx = deparse_context_for(RelationGetRelationName(rel),
										  RelationGetRelid(rel));

	if (identity == ATTRIBUTE_IDENTITY_ALWAYS)
		return pstrdup(" GENERATED ALWAYS AS IDENTITY");
	if (identity == ATTRIBUTE_IDENTITY_BY_DEFAULT)
		return pstrdup(" GENERATED BY DEFAULT AS IDENTITY");
	if (serial)
		return pstrdup(" DEFAULT nextval(...) (serial)");
	if (expr == NULL)
		return pstrdup("");
	if (generated)
		return psprintf(" GENERATED ALWAYS AS (%s) STORED",
						deparse_expression(expr, ctx, false, false));
	return psprintf(" DEFAULT %s", deparse_expression(expr, ctx, false, false));
}

static EnsureResult
ensure_add_column(AlterTableStmt *stmt, const char *query, const char *requested)
{
	AlterTableCmd *cmd;
	ColumnDef  *cd;
	ColumnSpec	want;
	Oid			relid;
	char		relkind;
	Relation	rel;
	HeapTuple	tp;
	Form_pg_attribute att;
	Node	   *have_default;
	Node	   *want_default = NULL;
	bool		same;
	char	   *qualname;

#if PG_VERSION_NUM >= 140000
	if (stmt->objtype != OBJECT_TABLE && stmt->objtype != OBJECT_FOREIGN_TABLE)
#else
	if (stmt->relkind != OBJECT_TABLE && stmt->relkind != OBJECT_FOREIGN_TABLE)
#endif
		not_supported("ALTER of this kind of object", NULL);
	if (list_length(stmt->cmds) != 1 ||
		((AlterTableCmd *) linitial(stmt->cmds))->subtype != AT_AddColumn)
		not_supported("this ALTER TABLE",
					  "Of ALTER TABLE, migrate.ensure() supports ADD COLUMN with one column per call.");
	cmd = linitial_node(AlterTableCmd, stmt->cmds);
	cd = castNode(ColumnDef, cmd->def);
	column_spec(cd, &want);

	/* the column of a missing table cannot be ensured: say so */
	relid = RangeVarGetRelid(stmt->relation, AccessShareLock, false);
	qualname = qualified_relname(relid);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		wrong_kind(qualname, with_article(migrate_relkind_name(relkind)), "a table");

	tp = SearchSysCacheAttName(relid, cd->colname);
	if (!HeapTupleIsValid(tp))
		return ENSURE_MISSING;
	att = (Form_pg_attribute) GETSTRUCT(tp);
	if (att->attnum <= 0)
	{
		/* a system column's name: ALTER TABLE explains */
		ReleaseSysCache(tp);
		return ENSURE_MISSING;
	}

	rel = relation_open(relid, AccessShareLock);
	have_default = existing_default(rel, att->attnum);

	if (want.raw_default && !want.serial && !want.identity)
	{
		ParseState *pstate = make_parsestate(NULL);
		ParseNamespaceItem *nsitem;

		pstate->p_sourcetext = query;
		nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
											   NULL, false, true);
		addNSItemToQuery(pstate, nsitem, true, true, true);
		want_default = cookDefault(pstate, want.raw_default, want.typid,
								   want.typmod, want.name, want.generated);
		free_parsestate(pstate);
		/* DEFAULT NULL is no default, as ALTER TABLE stores it */
		if (want_default && IsA(want_default, Const) &&
			((Const *) want_default)->constisnull && !want.generated)
			want_default = NULL;
	}

	same = att->atttypid == want.typid && att->atttypmod == want.typmod &&
		att->attnotnull == want.notnull &&
		att->attidentity == want.identity &&
		att->attgenerated == want.generated;
	if (same)
	{
		if (want.serial)
			same = have_default != NULL && calls_nextval(have_default, NULL);
		else if (!want.identity)
			same = equal(have_default, want_default);
	}

	if (!same)
	{
		char	   *have_txt = psprintf("%s%s",
										column_text(NameStr(att->attname), att->atttypid,
													att->atttypmod, att->attnotnull),
										default_text(rel, att->attidentity, att->attgenerated,
													 have_default, false));
		char	   *want_txt = psprintf("%s%s",
										column_text(want.name, want.typid,
													want.typmod, want.notnull),
										default_text(rel, want.identity, want.generated,
													 want_default, want.serial));

		ReleaseSysCache(tp);
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("column \"%s\" of table %s exists with a different definition",
						want.name, qualname),
				 errdetail("Existing: %s\nRequested: %s", have_txt, want_txt),
				 errhint("Change the statement to match, or change the column in a revision (ALTER TABLE ... ALTER COLUMN).")));
	}
	ReleaseSysCache(tp);
	relation_close(rel, NoLock);
	return ENSURE_UNCHANGED;
}

/* ---------------------------------------------------------------------
 * Enum types
 * ---------------------------------------------------------------------
 */

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
									qualified_relname(relid));
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

static EnsureResult
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
		wrong_kind(qualname, typtype_name(typoid), "an enum type");

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

/* ---------------------------------------------------------------------
 * Schemas and extensions
 * ---------------------------------------------------------------------
 */

static EnsureResult
ensure_schema(CreateSchemaStmt *stmt)
{
	const char *name;
	HeapTuple	tp;

	if (stmt->schemaElts != NIL)
		not_supported("CREATE SCHEMA with schema elements",
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

static EnsureResult
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

/* ---------------------------------------------------------------------
 * migrate.ensure(statement text) RETURNS text
 * ---------------------------------------------------------------------
 */

/* The statement's own text, without surrounding blanks or semicolon. */
static char *
statement_text(const char *sql, RawStmt *raw)
{
	int			len = raw->stmt_len > 0 ? raw->stmt_len :
		(int) strlen(sql + raw->stmt_location);
	char	   *s = pnstrdup(sql + raw->stmt_location, len);
	char	   *end = s + strlen(s);

	while (end > s && (scanner_isspace(end[-1]) || end[-1] == ';'))
		*--end = '\0';
	while (*s && scanner_isspace(*s))
		s++;
	return s;
}

/*
 * A parse or analysis error points into the statement, not into the query
 * that called ensure(): report its position as an internal query's, the
 * way SQL functions do.
 */
static void
ensure_error_callback(void *arg)
{
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery((const char *) arg);
	}
}

Datum
migrate_ensure(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *stmts;
	RawStmt    *raw;
	Node	   *stmt;
	char	   *requested;
	EnsureResult result = ENSURE_MISSING;
	ErrorContextCallback errcb;

	errcb.callback = ensure_error_callback;
	errcb.arg = sql;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	stmts = migrate_body_statements(sql);

	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("migrate.ensure() takes exactly one statement"),
				 errdetail("The text contains %d statements; nothing was run.",
						   list_length(stmts)),
				 errhint("Call migrate.ensure() once per statement.")));
	raw = linitial_node(RawStmt, stmts);
	stmt = raw->stmt;
	requested = statement_text(sql, raw);

	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			result = ensure_index((IndexStmt *) stmt, sql, requested);
			if (result == ENSURE_MISSING && ((IndexStmt *) stmt)->concurrent)
				ereport(ERROR,
						(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						 errmsg("migrate.ensure() cannot run CREATE INDEX CONCURRENTLY"),
						 errdetail("The index does not exist, and CREATE INDEX CONCURRENTLY cannot run inside a function."),
						 errhint("Run the statement in a revision registered with transactional => false; migrate.ensure() can check it afterwards, and returns 'unchanged' once the index exists.")));
			break;
		case T_CreateStmt:
			result = ensure_table((CreateStmt *) stmt, requested);
			break;
		case T_AlterTableStmt:
			result = ensure_add_column((AlterTableStmt *) stmt, sql, requested);
			break;
		case T_CreateEnumStmt:
			result = ensure_enum((CreateEnumStmt *) stmt, requested);
			break;
		case T_CreateSchemaStmt:
			result = ensure_schema((CreateSchemaStmt *) stmt);
			break;
		case T_CreateExtensionStmt:
			result = ensure_extension((CreateExtensionStmt *) stmt);
			break;
		default:
			not_supported(CreateCommandName(stmt), NULL);
	}
	error_context_stack = errcb.previous;

	if (result == ENSURE_UNCHANGED)
		PG_RETURN_TEXT_P(cstring_to_text("unchanged"));

	/* the user's own statement, checked above to be exactly one of a kind */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "SPI_execute failed for: %s", requested);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text("created"));
}
