/*-------------------------------------------------------------------------
 *
 * fmgr_util.c
 *	  The glue every SQL-callable function of the extension shares: setting
 *	  up a materialized set-returning call, and reading the arguments that
 *	  several functions take (targets, directions, optional text and
 *	  arrays).
 *
 * Kept apart so that the files that answer SQL calls (status.c,
 * validate.c, apply.c, run.c, script.c, verify.c, registry.c) depend on
 * this one file rather than on each other.  No catalog access, no locks.
 *
 * IDENTIFICATION
 *	  src/fmgr_util.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/*
 * Set up a materialized set-returning call: a tuplestore in the query's
 * memory and the result descriptor.  (InitMaterializedSRF exists only from
 * PostgreSQL 15; this works on older versions too.)
 */
void
migrate_srf_init(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcontext;
	TupleDesc	tupdesc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));

	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
	{
		/* SETOF text */
		tupdesc = CreateTemplateTupleDesc(1);
		TupleDescInitEntry(tupdesc, (AttrNumber) 1, "revision", TEXTOID, -1, 0);
	}
	tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(oldcontext);
}

/* A target argument: NULL is refused with the two words every user needs. */
char *
migrate_target_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target must not be NULL"),
				 errhint("Use 'head' for the latest revision or 'base' for none.")));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* 'up' / 'upgrade' or 'down' / 'downgrade', in any case. */
MigrateDirection
migrate_direction_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *dir;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("direction must not be NULL")));
	dir = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (pg_strcasecmp(dir, "up") == 0 || pg_strcasecmp(dir, "upgrade") == 0)
		return MIGRATE_UP;
	if (pg_strcasecmp(dir, "down") == 0 || pg_strcasecmp(dir, "downgrade") == 0)
		return MIGRATE_DOWN;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid direction \"%s\"", dir),
			 errhint("Use 'up' or 'down'.")));
	return MIGRATE_UP;			/* keep the compiler quiet */
}

/* A text argument that must not be NULL; "argname" names it in the error. */
char *
migrate_required_text_arg(FunctionCallInfo fcinfo, int argno,
						  const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* A text argument, or NULL. */
char *
migrate_optional_text_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* An array argument, or NULL. */
ArrayType *
migrate_optional_array_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : PG_GETARG_ARRAYTYPE_P(argno);
}

/*
 * A project argument: NULL (or an argument the call does not have) means
 * the setting migrate.project; a name is checked by the id rules.  A copy
 * in the current memory context: a body may SET migrate.project, which
 * frees the setting's string, while the call goes on with its project.
 */
const char *
migrate_project_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *project;

	if (argno >= PG_NARGS() || PG_ARGISNULL(argno))
		return pstrdup(migrate_default_project ? migrate_default_project : "default");
	project = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	migrate_check_id(project, "project");
	return project;
}

/*
 * "s" as an error message may quote it: at most "maxchars" characters,
 * cut on a character boundary, with "..." when cut.  A megabyte of input
 * need not come back in the message that refuses it.
 */
char *
migrate_clip(const char *s, int maxchars)
{
	size_t		len = strlen(s);
	int			cut;

	if (len <= (size_t) maxchars)
		return pstrdup(s);
	cut = pg_mbcliplen(s, len, maxchars);
	return psprintf("%s...", pnstrdup(s, cut));
}
