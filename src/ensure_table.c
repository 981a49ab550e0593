/*-------------------------------------------------------------------------
 *
 * ensure_table.c
 *	  migrate.ensure() for CREATE TABLE and ALTER TABLE ... ADD COLUMN.
 *
 * Both read column definitions the same way (column_spec(): type after
 * typmod resolution, serial, identity, NOT NULL, default), hence one file.
 *
 *	  table   columns by name, in any order: type after typmod resolution
 *	          (int = int4 = integer, varchar(10) <> varchar(20)) and
 *	          nullability (PRIMARY KEY, serial and identity imply NOT NULL);
 *	          partitioned or not.  Constraints, defaults, storage and
 *	          partition keys are not compared.  A table that differs is
 *	          42P07; PARTITION OF, INHERITS, OF type and LIKE are refused
 *	          (0A000), their columns not being in the statement.
 *	  column  type, nullability and default; the default is cooked as
 *	          ALTER TABLE would cook it and compared with pg_attrdef as a
 *	          tree; identity and generated columns compare their kind (and
 *	          expression); serial matches any nextval() default.  A column
 *	          that differs is 42701; the table must exist (42P01 if not).
 *
 * IDENTIFICATION
 *	  src/ensure_table.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "ensure.h"

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

/*
 * The columns a CREATE TABLE asks for (a List of ColumnSpec *), those of a
 * table PRIMARY KEY NOT NULL.  Forms whose columns come from elsewhere than
 * the statement are refused.
 */
static List *
requested_columns(CreateStmt *stmt)
{
	List	   *wanted = NIL;	/* ColumnSpec * */
	List	   *pkey = NIL;		/* column names of a table PRIMARY KEY */
	ListCell   *lc;

	if (stmt->partbound)
		ensure_error_unsupported("CREATE TABLE ... PARTITION OF",
								 "A partition's columns come from its parent; ensure the parent table, then check the partition with migrate.table_exists().");
	if (stmt->inhRelations)
		ensure_error_unsupported("CREATE TABLE ... INHERITS",
								 "Inherited columns are not part of the statement, so the table cannot be compared with it.");
	if (stmt->ofTypename)
		ensure_error_unsupported("CREATE TABLE ... OF type",
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
			ensure_error_unsupported("CREATE TABLE ... (LIKE ...)",
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
	return wanted;
}

/*
 * Append to "diffs" a line for each way the columns of "desc" differ from
 * the requested ones: missing, of another type or nullability, or not
 * requested at all.
 */
static void
column_differences(TupleDesc desc, List *wanted, StringInfo diffs)
{
	bool	   *matched = palloc0(sizeof(bool) * Max(desc->natts, 1));
	ListCell   *lc;

	foreach(lc, wanted)
	{
		ColumnSpec *cs = lfirst(lc);
		Form_pg_attribute att = NULL;

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
			appendStringInfo(diffs, "Column \"%s\" is missing from the existing table.\n",
							 cs->name);
			continue;
		}
		if (att->atttypid != cs->typid || att->atttypmod != cs->typmod)
			appendStringInfo(diffs, "Column \"%s\" is %s in the existing table, %s in the statement.\n",
							 cs->name,
							 format_type_with_typemod(att->atttypid, att->atttypmod),
							 format_type_with_typemod(cs->typid, cs->typmod));
		if (att->attnotnull != cs->notnull)
			appendStringInfo(diffs, "Column \"%s\" is %s in the existing table, %s in the statement.\n",
							 cs->name,
							 att->attnotnull ? "NOT NULL" : "nullable",
							 cs->notnull ? "NOT NULL" : "nullable");
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && !matched[i])
			appendStringInfo(diffs, "The existing table has a column \"%s\" that the statement does not define.\n",
							 NameStr(att->attname));
	}
}

EnsureResult
ensure_table(CreateStmt *stmt, const char *requested)
{
	List	   *wanted = requested_columns(stmt);
	Oid			nsp;
	Oid			relid;
	char		relkind;
	Relation	rel;
	TupleDesc	desc;
	List	   *have_text = NIL;
	List	   *want_text = NIL;
	StringInfoData diffs;
	ListCell   *lc;
	char	   *qualname;

	nsp = RangeVarGetCreationNamespace(stmt->relation);
	relid = get_relname_relid(stmt->relation->relname, nsp);
	if (!OidIsValid(relid))
		return ENSURE_MISSING;

	qualname = ensure_qualified_relname(relid);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ensure_error_wrong_kind(qualname,
								ensure_with_article(migrate_relkind_name(relkind)),
								"a table");

	rel = relation_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	initStringInfo(&diffs);

	if ((relkind == RELKIND_PARTITIONED_TABLE) != (stmt->partspec != NULL))
		appendStringInfo(&diffs, "%s\n", relkind == RELKIND_PARTITIONED_TABLE ?
						 "The existing table is partitioned, the statement's is not." :
						 "The statement's table is partitioned (PARTITION BY), the existing one is not.");
	column_differences(desc, wanted, &diffs);

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

		want_text = lappend(want_text,
							column_text(cs->name, cs->typid, cs->typmod, cs->notnull));
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

/*
 * The DEFAULT or GENERATED expression an ADD COLUMN asks for, cooked against
 * "rel" as ALTER TABLE would cook it; NULL for none.  Serial and identity
 * columns have none to compare.
 */
static Node *
requested_default(Relation rel, ColumnSpec *want, const char *query)
{
	ParseState *pstate;
	ParseNamespaceItem *nsitem;
	Node	   *expr;

	if (want->raw_default == NULL || want->serial || want->identity != '\0')
		return NULL;
	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = query;
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
										   NULL, false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	expr = cookDefault(pstate, want->raw_default, want->typid,
					   want->typmod, want->name, want->generated);
	free_parsestate(pstate);
	/* DEFAULT NULL is no default, as ALTER TABLE stores it */
	if (expr && IsA(expr, Const) &&
		((Const *) expr)->constisnull && !want->generated)
		return NULL;
	return expr;
}

EnsureResult
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
	Node	   *want_default;
	bool		same;
	char	   *qualname;

#if PG_VERSION_NUM >= 140000
	if (stmt->objtype != OBJECT_TABLE && stmt->objtype != OBJECT_FOREIGN_TABLE)
#else
	if (stmt->relkind != OBJECT_TABLE && stmt->relkind != OBJECT_FOREIGN_TABLE)
#endif
		ensure_error_unsupported("ALTER of this kind of object", NULL);
	if (list_length(stmt->cmds) != 1 ||
		((AlterTableCmd *) linitial(stmt->cmds))->subtype != AT_AddColumn)
		ensure_error_unsupported("this ALTER TABLE",
								 "Of ALTER TABLE, migrate.ensure() supports ADD COLUMN with one column per call.");
	cmd = linitial_node(AlterTableCmd, stmt->cmds);
	cd = castNode(ColumnDef, cmd->def);
	column_spec(cd, &want);

	/* the column of a missing table cannot be ensured: say so */
	relid = RangeVarGetRelid(stmt->relation, AccessShareLock, false);
	qualname = ensure_qualified_relname(relid);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_FOREIGN_TABLE)
		ensure_error_wrong_kind(qualname,
								ensure_with_article(migrate_relkind_name(relkind)),
								"a table");

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

	want_default = requested_default(rel, &want, query);

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
