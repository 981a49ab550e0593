/*-------------------------------------------------------------------------
 *
 * lint_exprs.c
 *	  The decisions lint cannot make from the shape of a parse tree alone,
 *	  made the way PostgreSQL makes them when the statement runs:
 *
 *	  - a column default that is volatile forces a rewrite of the table
 *	    (tablecmds.c ATExecAddColumn: contain_volatile_functions() on the
 *	    transformed default);
 *	  - a column of a domain type with constraints forces one too (same
 *	    place: DomainHasConstraints);
 *	  - ALTER COLUMN TYPE rewrites unless the conversion is a relabel, a
 *	    length coercion the planner folds away, or timestamp <-> timestamptz
 *	    in a UTC session (tablecmds.c ATPrepAlterColumnType and
 *	    ATColumnChangeRequiresRewrite, whose walk is repeated here over the
 *	    expression PostgreSQL builds: coerce_to_target_type then
 *	    expression_planner);
 *	  - SET NOT NULL skips its scan when valid CHECK constraints prove the
 *	    column is not null (tablecmds.c NotNullImpliedByRelConstraints, through
 *	    the exported PartConstraintImpliedByRelConstraint).
 *
 * Parse analysis can fail (a function or type that the plan has not created
 * yet): every such call runs in a subtransaction (migrate_subxact_try) and
 * an error means "unknown", never an error of lint.
 *
 * IDENTIFICATION
 *	  src/lint_exprs.c
 *
 *-------------------------------------------------------------------------
 */
#include "lint.h"

#include "access/relation.h"
#include "miscadmin.h"
#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "commands/tablecmds.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

typedef int (*GuardedFn) (void *arg);

typedef struct GuardedCall
{
	GuardedFn	fn;
	void	   *arg;
	int			result;
} GuardedCall;

static void
guarded_call(void *arg)
{
	GuardedCall *c = (GuardedCall *) arg;

	c->result = c->fn(c->arg);
}

/* fn(arg) in a subtransaction; -1 when it raised an error. */
static int
try_call(GuardedFn fn, void *arg)
{
	GuardedCall c = {fn, arg, -1};
	ErrorData  *edata;

	if (migrate_subxact_try(guarded_call, &c, &edata))
		return c.result;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(edata);
	FreeErrorData(edata);
	return -1;
}

/* A constant, or a cast of one: never volatile, no analysis needed. */
static bool
is_plain_constant(Node *n)
{
	while (n && IsA(n, TypeCast))
		n = ((TypeCast *) n)->arg;
	return n && IsA(n, A_Const);
}

static int
default_volatile_call(void *arg)
{
	ParseState *pstate = make_parsestate(NULL);
	Node	   *expr = transformExpr(pstate, copyObject((Node *) arg),
									 EXPR_KIND_COLUMN_DEFAULT);

	return contain_volatile_functions(expr) ? 1 : 0;
}

/* 1 if the default is volatile, 0 if not, -1 if it cannot be analysed now. */
int
migrate_lint_default_volatile(Node *raw_default)
{
	if (raw_default == NULL || is_plain_constant(raw_default))
		return 0;
	return try_call(default_volatile_call, raw_default);
}

static int
type_has_constraints_call(void *arg)
{
	Oid			typid = LookupTypeNameOid(NULL, (TypeName *) arg, true);

	return OidIsValid(typid) && DomainHasConstraints(typid) ? 1 : 0;
}

static int
type_oid_call(void *arg)
{
	TypeName   *tn = ((TypeName **) arg)[0];
	Oid		   *result = (Oid *) ((TypeName **) arg)[1];

	*result = LookupTypeNameOid(NULL, tn, true);
	return 1;
}

/* The type a name resolves to now, or InvalidOid. */
Oid
migrate_lint_type_oid(TypeName *tn)
{
	Oid			result = InvalidOid;
	void	   *args[2] = {tn, &result};

	if (try_call(type_oid_call, args) != 1)
		return InvalidOid;
	return result;
}

/* Is the type a domain with constraints (unknown types: no)? */
bool
migrate_lint_type_has_constraints(TypeName *tn)
{
	return try_call(type_has_constraints_call, tn) == 1;
}

typedef struct TypeNameCall
{
	TypeName   *tn;
	char	   *name;
} TypeNameCall;

static int
type_name_call(void *arg)
{
	TypeNameCall *c = (TypeNameCall *) arg;
	Oid			typid;
	int32		typmod;

	typenameTypeIdAndMod(NULL, c->tn, &typid, &typmod);
	c->name = format_type_with_typemod(typid, typmod);
	return 1;
}

/* The type as SQL spells it ("character varying(10)"), for messages. */
char *
migrate_lint_type_name(TypeName *tn)
{
	TypeNameCall c = {tn, NULL};
	const char *last = tn->names ? strVal(llast(tn->names)) : "";

	/* serial is no type: the parser turns it into an integer and a default */
	if (strstr(last, "serial") == NULL && try_call(type_name_call, &c) == 1)
		return c.name;
	return TypeNameToString(tn);
}

/*
 * tablecmds.c ATColumnChangeRequiresRewrite (PostgreSQL 15), over the
 * expression that converts the old column value to the new type.
 */
static bool
change_requires_rewrite(Node *expr, AttrNumber varattno)
{
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (IsA(expr, Var) && ((Var *) expr)->varattno == varattno)
			return false;
		else if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else if (IsA(expr, CoerceToDomain))
		{
			CoerceToDomain *d = (CoerceToDomain *) expr;

			if (DomainHasConstraints(d->resulttype))
				return true;
			expr = (Node *) d->arg;
		}
		else if (IsA(expr, FuncExpr))
		{
			FuncExpr   *f = (FuncExpr *) expr;

			if ((f->funcid == F_TIMESTAMPTZ_TIMESTAMP ||
				 f->funcid == F_TIMESTAMP_TIMESTAMPTZ) &&
				!TimestampTimestampTzRequiresRewrite())
				expr = linitial(f->args);
			else
				return true;
		}
		else
			return true;
	}
}

typedef struct TypeChangeCall
{
	Oid			relid;
	const char *column;
	TypeName   *newtype;
} TypeChangeCall;

static int
type_change_call(void *arg)
{
	TypeChangeCall *c = (TypeChangeCall *) arg;
	HeapTuple	tup = SearchSysCacheAttName(c->relid, c->column);
	Form_pg_attribute att;
	Oid			targettype;
	int32		targettypmod;
	Node	   *expr;
	int			result;

	if (!HeapTupleIsValid(tup))
		return -1;
	att = (Form_pg_attribute) GETSTRUCT(tup);
	typenameTypeIdAndMod(NULL, c->newtype, &targettype, &targettypmod);
	/* as ATPrepAlterColumnType builds it: assignment coercion, planned */
	expr = (Node *) makeVar(1, att->attnum, att->atttypid, att->atttypmod,
							att->attcollation, 0);
	expr = coerce_to_target_type(NULL, expr, att->atttypid, targettype,
								 targettypmod, COERCION_ASSIGNMENT,
								 COERCE_IMPLICIT_CAST, -1);
	if (expr == NULL)
		result = -1;			/* no cast: the statement will fail */
	else
	{
		expr = (Node *) expression_planner((Expr *) expr);
		result = change_requires_rewrite(expr, att->attnum) ? 1 : 0;
	}
	ReleaseSysCache(tup);
	return result;
}

/* A USING expression that is the column itself changes nothing. */
static bool
using_is_column(Node *using_expr, const char *column)
{
	ColumnRef  *cr;
	Node	   *last;

	if (using_expr == NULL)
		return true;
	if (!IsA(using_expr, ColumnRef))
		return false;
	cr = (ColumnRef *) using_expr;
	last = llast(cr->fields);
	return list_length(cr->fields) == 1 && IsA(last, String) &&
		strcmp(strVal(last), column) == 0;
}

/*
 * Does ALTER COLUMN column TYPE newtype [USING ...] rewrite the table?
 * 1 yes, 0 no, -1 unknown (a table or column the plan creates, a type it
 * has not created yet).  A USING expression other than the column itself
 * counts as a rewrite, which it is unless it folds to the column.
 */
int
migrate_lint_type_change_rewrites(LintRel *rel, const char *column,
								  TypeName *newtype, Node *using_expr)
{
	TypeChangeCall c;

	if (!OidIsValid(rel->relid))
		return -1;
	if (!using_is_column(using_expr, column))
		return 1;
	c.relid = rel->relid;
	c.column = column;
	c.newtype = newtype;
	return try_call(type_change_call, &c);
}

typedef struct NotNullCall
{
	Oid			relid;
	const char *column;
} NotNullCall;

static int
not_null_call(void *arg)
{
	NotNullCall *c = (NotNullCall *) arg;
	HeapTuple	tup;
	Form_pg_attribute att;
	Relation	rel;
	NullTest   *nt;
	int			result;

	if (!ConditionalLockRelationOid(c->relid, AccessShareLock))
		return 0;
	rel = try_relation_open(c->relid, NoLock);
	if (rel == NULL)
	{
		UnlockRelationOid(c->relid, AccessShareLock);
		return 0;
	}
	tup = SearchSysCacheAttName(c->relid, c->column);
	if (!HeapTupleIsValid(tup))
		result = 0;
	else
	{
		att = (Form_pg_attribute) GETSTRUCT(tup);
		if (att->attnotnull)
			result = 1;			/* nothing to check at all */
		else
		{
			nt = makeNode(NullTest);
			nt->arg = (Expr *) makeVar(1, att->attnum, att->atttypid,
									   att->atttypmod, att->attcollation, 0);
			nt->nulltesttype = IS_NOT_NULL;
			nt->argisrow = false;
			nt->location = -1;
			result = PartConstraintImpliedByRelConstraint(rel, list_make1(nt)) ? 1 : 0;
		}
		ReleaseSysCache(tup);
	}
	relation_close(rel, NoLock);
	UnlockRelationOid(c->relid, AccessShareLock);
	return result;
}

/*
 * Do the table's valid CHECK constraints (or the column's own NOT NULL)
 * prove that SET NOT NULL needs no scan?  False when the table is busy.
 */
bool
migrate_lint_not_null_proven(LintRel *rel, const char *column)
{
	NotNullCall c;

	if (!OidIsValid(rel->relid))
		return false;
	c.relid = rel->relid;
	c.column = column;
	return try_call(not_null_call, &c) == 1;
}
