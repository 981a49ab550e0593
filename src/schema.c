/*-------------------------------------------------------------------------
 *
 * schema.c
 *	  Existence helpers: migrate.table_exists, index_exists, view_exists,
 *	  sequence_exists, type_exists, schema_exists, extension_exists,
 *	  function_exists, column_exists, constraint_exists, trigger_exists.
 *
 * Every helper answers from the system catalogs through the syscache (or,
 * for pg_extension, pg_constraint and pg_trigger, one catalog index probe):
 * no SPI, no SQL text is ever built from an argument.
 *
 * Names are parsed the way PostgreSQL parses a qualified name in text
 * (regclass input, stringToQualifiedNameList): SplitIdentifierString folds
 * unquoted parts to lower case, keeps "Quoted" parts as written and
 * truncates to NAMEDATALEN.  A name that does not parse is an error with
 * SQLSTATE 42602 (invalid_name) that says what is wrong; anything that
 * parses is only a name, and a name nobody created does not exist.
 *
 * Resolution is SQL's: a qualified name looks in that schema ("pg_temp"
 * means this session's temporary schema), an unqualified one walks
 * search_path, temporary schema first for relations.  A missing schema is
 * not an error: the object does not exist.  Unlike to_regclass(), a schema
 * the caller may not USE is not an error either: the catalogs are readable
 * by every role, and a health check run by a monitoring role must not fail
 * on a schema it cannot enter.  (search_path itself skips such schemas, as
 * it always does.)
 *
 * Kinds are checked: a view is not a table, a table's row type is not a
 * type, and index_exists() does not count an INVALID index (what a failed
 * CREATE INDEX CONCURRENTLY leaves behind) unless valid_only is false.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(migrate_table_exists);
PG_FUNCTION_INFO_V1(migrate_index_exists);
PG_FUNCTION_INFO_V1(migrate_view_exists);
PG_FUNCTION_INFO_V1(migrate_sequence_exists);
PG_FUNCTION_INFO_V1(migrate_type_exists);
PG_FUNCTION_INFO_V1(migrate_schema_exists);
PG_FUNCTION_INFO_V1(migrate_extension_exists);
PG_FUNCTION_INFO_V1(migrate_function_exists);
PG_FUNCTION_INFO_V1(migrate_column_exists);
PG_FUNCTION_INFO_V1(migrate_constraint_exists);
PG_FUNCTION_INFO_V1(migrate_trigger_exists);

/* how much of a malformed argument an error message quotes */
#define MESSAGE_QUOTE_MAX 100

#define NAME_HINT "Write the name as in SQL: unquoted parts fold to lower case, \"Quoted\" parts keep case, dots and spaces, and a dot separates the schema from the name."

/* ---------------------------------------------------------------------
 * Parsing names
 * ---------------------------------------------------------------------
 */

/*
 * Why SplitIdentifierString rejected "s": the same grammar, walked again
 * to say what is wrong.  A full sentence for errdetail.
 */
static const char *
name_syntax_problem(const char *s)
{
	const char *p = s;

	while (scanner_isspace(*p))
		p++;
	if (*p == '\0')
		return "The name is empty.";
	for (;;)
	{
		if (*p == '"')
		{
			const char *start = ++p;

			for (;;)
			{
				const char *q = strchr(p, '"');

				if (q == NULL)
					return "A quoted part is not closed: a double quote is missing.";
				p = q + 1;
				if (*p != '"')
					break;
				p++;			/* "" inside quotes is one quote */
			}
			if (p - 1 == start)
				return "A quoted part must not be empty (\"\").";
		}
		else
		{
			const char *start = p;

			while (*p && *p != '.' && !scanner_isspace(*p))
				p++;
			if (p == start)
				return "A part of the name is empty: a dot must stand between two names.";
		}
		while (scanner_isspace(*p))
			p++;
		if (*p == '.')
		{
			p++;
			while (scanner_isspace(*p))
				p++;
			continue;
		}
		if (*p == '\0')
			return NULL;
		return "Only a dot may follow a part of the name; a name that contains spaces or other special characters must be in double quotes.";
	}
}

static const char *
parts_rule(int maxparts, const char *what)
{
	switch (maxparts)
	{
		case 1:
			return psprintf("A %s name has one part; a name that contains a dot must be in double quotes.", what);
		case 2:
			return psprintf("A %s name has at most two parts (schema.%s).", what, what);
		default:
			return psprintf("A %s name has at most three parts (database.schema.%s).", what, what);
	}
}

/*
 * Split "input" into its parts (a List of C strings), folding and
 * truncating as PostgreSQL does.  "what" names the kind of object for the
 * error message ("table", "column", ...).  A three-part name must name the
 * current database, as everywhere in PostgreSQL; the database part is
 * dropped from the result.
 */
List *
migrate_parse_name(const char *input, const char *what, int maxparts)
{
	char	   *copy = pstrdup(input);
	List	   *parts = NIL;
	ListCell   *lc;
	bool		ok = SplitIdentifierString(copy, '.', &parts) && parts != NIL;

	/* SplitIdentifierString lets "" through; SQL calls it malformed */
	foreach(lc, parts)
		if (ok && ((char *) lfirst(lc))[0] == '\0')
			ok = false;
	if (!ok)
	{
		const char *problem = name_syntax_problem(input);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid %s name \"%s\"", what, migrate_clip(input, MESSAGE_QUOTE_MAX)),
				 errdetail("%s", problem ? problem : "The name does not parse."),
				 errhint(NAME_HINT)));
	}
	if (list_length(parts) > maxparts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid %s name \"%s\"", what, migrate_clip(input, MESSAGE_QUOTE_MAX)),
				 errdetail("%s", parts_rule(maxparts, what)),
				 errhint(NAME_HINT)));

	if (list_length(parts) == 3)
	{
		const char *db = linitial(parts);
		char	   *current = get_database_name(MyDatabaseId);

		if (current == NULL || strcmp(db, current) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cross-database references are not implemented: \"%s\"",
							migrate_clip(input, MESSAGE_QUOTE_MAX))));
		parts = list_delete_first(parts);
	}

	/* the parts point into "copy", which stays allocated with the list */
	return parts;
}

/* Same, as a List of String nodes (what namespace.c functions take). */
static List *
name_nodes(List *parts)
{
	List	   *nodes = NIL;
	ListCell   *lc;

	foreach(lc, parts)
		nodes = lappend(nodes, makeString((char *) lfirst(lc)));
	return nodes;
}

/*
 * The schema named in a qualified name, without a privilege check and
 * without creating the temporary schema: InvalidOid when there is none.
 */
static Oid
lookup_schema(const char *nspname)
{
	return LookupNamespaceNoError(nspname);
}

/*
 * The relation a parsed name denotes, or InvalidOid.  Qualified: that
 * schema; unqualified: the first match along search_path (temporary schema
 * first), as a query would find it.
 */
Oid
migrate_lookup_relation(List *parts)
{
	const char *relname = llast(parts);

	if (list_length(parts) == 2)
	{
		Oid			nsp = lookup_schema(linitial(parts));

		return OidIsValid(nsp) ? get_relname_relid(relname, nsp) : InvalidOid;
	}
	return RelnameGetRelid(relname);
}

/* A relation kind as a person says it ("materialized view"). */
const char *
migrate_relkind_name(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
			return "table";
		case RELKIND_PARTITIONED_TABLE:
			return "partitioned table";
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_INDEX:
			return "index";
		case RELKIND_PARTITIONED_INDEX:
			return "partitioned index";
		case RELKIND_SEQUENCE:
			return "sequence";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		case RELKIND_COMPOSITE_TYPE:
			return "composite type";
		case RELKIND_TOASTVALUE:
			return "TOAST table";
	}
	return "relation";
}

/* ---------------------------------------------------------------------
 * Relations
 * ---------------------------------------------------------------------
 */

/* The relation named by argument 0 if its kind is in "kinds", else InvalidOid. */
static Oid
relation_of_kind(FunctionCallInfo fcinfo, int argno, const char *what,
				 const char *kinds)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	List	   *parts = migrate_parse_name(name, what, 3);
	Oid			relid = migrate_lookup_relation(parts);
	char		relkind;

	if (!OidIsValid(relid))
		return InvalidOid;
	relkind = get_rel_relkind(relid);
	if (relkind == '\0' || strchr(kinds, relkind) == NULL)
		return InvalidOid;
	return relid;
}

static const char table_kinds[] = {RELKIND_RELATION, RELKIND_PARTITIONED_TABLE, '\0'};
static const char view_kinds[] = {RELKIND_VIEW, RELKIND_MATVIEW, '\0'};
static const char index_kinds[] = {RELKIND_INDEX, RELKIND_PARTITIONED_INDEX, '\0'};
static const char sequence_kinds[] = {RELKIND_SEQUENCE, '\0'};

/* relations with columns a user defines */
static const char column_kinds[] = {RELKIND_RELATION, RELKIND_PARTITIONED_TABLE,
	RELKIND_VIEW, RELKIND_MATVIEW, RELKIND_FOREIGN_TABLE, '\0'};

/* relations that can have constraints, and triggers */
static const char constraint_kinds[] = {RELKIND_RELATION, RELKIND_PARTITIONED_TABLE,
	RELKIND_FOREIGN_TABLE, '\0'};
static const char trigger_kinds[] = {RELKIND_RELATION, RELKIND_PARTITIONED_TABLE,
	RELKIND_VIEW, RELKIND_FOREIGN_TABLE, '\0'};

Datum
migrate_table_exists(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(OidIsValid(relation_of_kind(fcinfo, 0, "table", table_kinds)));
}

Datum
migrate_view_exists(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(OidIsValid(relation_of_kind(fcinfo, 0, "view", view_kinds)));
}

Datum
migrate_sequence_exists(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(OidIsValid(relation_of_kind(fcinfo, 0, "sequence", sequence_kinds)));
}

/*
 * Is the index usable?  indisvalid is false for an index whose concurrent
 * build failed (or is still running), for one being dropped concurrently,
 * and for a partitioned index some partition of which has no index yet.
 */
bool
migrate_index_is_valid(Oid indexoid)
{
	HeapTuple	tp = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
	bool		valid;

	if (!HeapTupleIsValid(tp))
		return false;
	valid = ((Form_pg_index) GETSTRUCT(tp))->indisvalid;
	ReleaseSysCache(tp);
	return valid;
}

Datum
migrate_index_exists(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_of_kind(fcinfo, 0, "index", index_kinds);
	bool		valid_only = PG_NARGS() > 1 ? PG_GETARG_BOOL(1) : true;

	if (!OidIsValid(relid))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(!valid_only || migrate_index_is_valid(relid));
}

/* ---------------------------------------------------------------------
 * Things that belong to a relation: columns, constraints, triggers
 * ---------------------------------------------------------------------
 */

static char *
single_name_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(argno));

	return linitial(migrate_parse_name(name, what, 1));
}

Datum
migrate_column_exists(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_of_kind(fcinfo, 0, "table", column_kinds);
	char	   *colname = single_name_arg(fcinfo, 1, "column");
	HeapTuple	tp;
	bool		found;

	if (!OidIsValid(relid))
		PG_RETURN_BOOL(false);

	/* a dropped column has a placeholder name; a system column counts not */
	tp = SearchSysCacheAttName(relid, colname);
	if (!HeapTupleIsValid(tp))
		PG_RETURN_BOOL(false);
	found = ((Form_pg_attribute) GETSTRUCT(tp))->attnum > 0;
	ReleaseSysCache(tp);
	PG_RETURN_BOOL(found);
}

Datum
migrate_constraint_exists(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_of_kind(fcinfo, 0, "table", constraint_kinds);
	char	   *conname = single_name_arg(fcinfo, 1, "constraint");

	if (!OidIsValid(relid))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(OidIsValid(get_relation_constraint_oid(relid, conname, true)));
}

Datum
migrate_trigger_exists(PG_FUNCTION_ARGS)
{
	Oid			relid = relation_of_kind(fcinfo, 0, "table", trigger_kinds);
	char	   *trgname = single_name_arg(fcinfo, 1, "trigger");

	if (!OidIsValid(relid))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(OidIsValid(get_trigger_oid(relid, trgname, true)));
}

/* ---------------------------------------------------------------------
 * Schemas and extensions
 * ---------------------------------------------------------------------
 */

Datum
migrate_schema_exists(PG_FUNCTION_ARGS)
{
	char	   *name = single_name_arg(fcinfo, 0, "schema");

	PG_RETURN_BOOL(OidIsValid(lookup_schema(name)));
}

Datum
migrate_extension_exists(PG_FUNCTION_ARGS)
{
	char	   *name = single_name_arg(fcinfo, 0, "extension");

	PG_RETURN_BOOL(OidIsValid(get_extension_oid(name, true)));
}

/* ---------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------
 */

/* A type name in SQL syntax ("integer", "public.mood", "text[]"). */
TypeName *
migrate_parse_type_name(const char *str)
{
	MemoryContext cxt = CurrentMemoryContext;
	TypeName   *volatile tn = NULL;

	/*
	 * PostgreSQL's own error for a type name that does not parse quotes it
	 * whole (in its context line), however long: the same error, quoting at
	 * most a few hundred characters.
	 */
	PG_TRY();
	{
#if PG_VERSION_NUM >= 160000
		tn = typeStringToTypeName(str, NULL);
#else
		tn = typeStringToTypeName(str);
#endif
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (edata->message)
			edata->message = migrate_clip(edata->message, 3 * MESSAGE_QUOTE_MAX);
		if (edata->detail)
			edata->detail = migrate_clip(edata->detail, 3 * MESSAGE_QUOTE_MAX);
		if (edata->context)
			edata->context = migrate_clip(edata->context, 3 * MESSAGE_QUOTE_MAX);
		if (edata->internalquery)
			edata->internalquery = migrate_clip(edata->internalquery, 3 * MESSAGE_QUOTE_MAX);
		ReThrowError(edata);
	}
	PG_END_TRY();
	if (tn->setof || tn->pct_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid type name \"%s\"", migrate_clip(str, MESSAGE_QUOTE_MAX)),
				 errdetail("SETOF and %%TYPE do not name a type here.")));
	return tn;
}

/*
 * The type a parsed type name denotes, or InvalidOid; typmods are ignored,
 * array bounds give the array type.  No privilege check on the schema (see
 * the header comment).
 */
Oid
migrate_lookup_type(const TypeName *tn)
{
	char	   *schemaname;
	char	   *typname;
	Oid			typoid;

	DeconstructQualifiedName(tn->names, &schemaname, &typname);
	if (schemaname)
	{
		Oid			nsp = lookup_schema(schemaname);

		if (!OidIsValid(nsp))
			return InvalidOid;
		typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								 PointerGetDatum(typname),
								 ObjectIdGetDatum(nsp));
	}
	else
		typoid = TypenameGetTypidExtended(typname, true);

	if (OidIsValid(typoid) && tn->arrayBounds != NIL)
		typoid = get_array_type(typoid);
	return typoid;
}

/*
 * A type a user made or can name as a type: not the row type a table,
 * view or sequence carries implicitly (nor an array of one).
 */
static bool
is_standalone_type(Oid typoid)
{
	HeapTuple	tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typoid));
	Form_pg_type typ;
	bool		result = true;

	if (!HeapTupleIsValid(tp))
		return false;
	typ = (Form_pg_type) GETSTRUCT(tp);
	if (typ->typcategory == TYPCATEGORY_ARRAY && OidIsValid(typ->typelem))
	{
		Oid			elem = typ->typelem;

		ReleaseSysCache(tp);
		return is_standalone_type(elem);
	}
	if (typ->typtype == TYPTYPE_COMPOSITE && OidIsValid(typ->typrelid))
		result = get_rel_relkind(typ->typrelid) == RELKIND_COMPOSITE_TYPE;
	ReleaseSysCache(tp);
	return result;
}

Datum
migrate_type_exists(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			typoid = migrate_lookup_type(migrate_parse_type_name(name));

	PG_RETURN_BOOL(OidIsValid(typoid) && is_standalone_type(typoid));
}

/* ---------------------------------------------------------------------
 * Functions
 * ---------------------------------------------------------------------
 */

/*
 * Split "name(type, type)" into the name and the argument type strings,
 * as regprocedure input does: commas inside parentheses or double quotes
 * do not separate arguments.  Without parentheses *args is NULL ("any
 * arguments").
 */
static char *
split_signature(const char *sig, List **args, bool *has_args)
{
	char	   *copy = pstrdup(sig);
	char	   *open = NULL;
	char	   *end;
	bool		inquote = false;

	*args = NIL;
	*has_args = false;
	for (char *p = copy; *p; p++)
	{
		if (*p == '"')
			inquote = !inquote;
		else if (*p == '(' && !inquote)
		{
			open = p;
			break;
		}
	}
	if (open == NULL)
		return copy;

	*has_args = true;
	*open = '\0';
	end = open + strlen(open + 1);	/* last character */
	while (end > open && scanner_isspace(*end))
		end--;
	if (end <= open || *end != ')')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid function signature \"%s\"", migrate_clip(sig, MESSAGE_QUOTE_MAX)),
				 errdetail("The argument list must end with a closing parenthesis."),
				 errhint("Write a signature as name(type, ...), for example public.add_user(text, integer), or name alone for any arguments.")));
	*end = '\0';

	{
		char	   *start = open + 1;
		char	   *p = start;
		int			depth = 0;
		bool		blank = true;

		inquote = false;
		for (;; p++)
		{
			if (*p == '\0' || (*p == ',' && depth == 0 && !inquote))
			{
				char		save = *p;

				*p = '\0';
				if (blank)
				{
					/* "f()" has no arguments; "f(int,)" is malformed */
					if (save == '\0' && *args == NIL)
						break;
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_NAME),
							 errmsg("invalid function signature \"%s\"", migrate_clip(sig, MESSAGE_QUOTE_MAX)),
							 errdetail("An argument type is missing."),
							 errhint("Write a signature as name(type, ...), for example public.add_user(text, integer), or name alone for any arguments.")));
				}
				*args = lappend(*args, start);
				if (save == '\0')
					break;
				start = p + 1;
				blank = true;
				continue;
			}
			if (!scanner_isspace(*p))
				blank = false;
			if (*p == '"')
				inquote = !inquote;
			else if (!inquote && *p == '(')
				depth++;
			else if (!inquote && *p == ')')
				depth--;
		}
	}
	return copy;
}

Datum
migrate_function_exists(PG_FUNCTION_ARGS)
{
	char	   *sig = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *argstrs;
	bool		has_args;
	char	   *namepart = split_signature(sig, &argstrs, &has_args);
	List	   *parts = migrate_parse_name(namepart, "function", 3);
	const char *funcname = llast(parts);
	int			nargs = list_length(argstrs);
	Oid		   *argtypes = palloc(sizeof(Oid) * Max(nargs, 1));
	ListCell   *lc;
	int			i = 0;

	if (nargs > FUNC_MAX_ARGS)
		PG_RETURN_BOOL(false);
	foreach(lc, argstrs)
	{
		argtypes[i] = migrate_lookup_type(migrate_parse_type_name(lfirst(lc)));
		if (!OidIsValid(argtypes[i]))
			PG_RETURN_BOOL(false);	/* no function takes a missing type */
		i++;
	}

	if (list_length(parts) == 2)
	{
		Oid			nsp = lookup_schema(linitial(parts));
		bool		found = false;

		if (!OidIsValid(nsp))
			PG_RETURN_BOOL(false);
		if (has_args)
			PG_RETURN_BOOL(SearchSysCacheExists3(PROCNAMEARGSNSP,
												 CStringGetDatum(funcname),
												 PointerGetDatum(buildoidvector(argtypes, nargs)),
												 ObjectIdGetDatum(nsp)));
		else
		{
			CatCList   *list = SearchSysCacheList1(PROCNAMEARGSNSP,
												   CStringGetDatum(funcname));

			for (int j = 0; j < list->n_members && !found; j++)
			{
				HeapTuple	tup = &list->members[j]->tuple;

				found = ((Form_pg_proc) GETSTRUCT(tup))->pronamespace == nsp;
			}
			ReleaseSysCacheList(list);
			PG_RETURN_BOOL(found);
		}
	}
	else
	{
		FuncCandidateList clist;

		/* search_path, as a call would resolve it (regprocedure's way) */
#if PG_VERSION_NUM >= 140000
		clist = FuncnameGetCandidates(name_nodes(parts), has_args ? nargs : -1,
									  NIL, false, false, false, true);
#else
		clist = FuncnameGetCandidates(name_nodes(parts), has_args ? nargs : -1,
									  NIL, false, false, true);
#endif
		if (!has_args)
			PG_RETURN_BOOL(clist != NULL);
		for (; clist; clist = clist->next)
			if (memcmp(clist->args, argtypes, nargs * sizeof(Oid)) == 0)
				PG_RETURN_BOOL(true);
		PG_RETURN_BOOL(false);
	}
}
