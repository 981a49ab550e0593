/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  migrate.add and migrate.remove: registering revisions.
 *	  migrate_register() is migrate.add's work for every caller (migrate.add,
 *	  migrate.add_file in revfile_sql.c).
 *
 * A revision belongs to a project (the trailing project argument; NULL: the
 * setting migrate.project); ids are unique per project.  Both take the
 * project's migration lock first, so registration never interleaves with
 * an upgrade of that project that is computing or running its plan, and
 * then read the revision as it is now, under a snapshot taken after the
 * lock (not under the transaction's: in REPEATABLE READ or SERIALIZABLE
 * that one may predate another session's upgrade, and add() would replace,
 * or remove() remove, a revision that is applied by now).  What they
 * refuse from the current state they refuse as the contract says (55000);
 * when they are going to write and the transaction's snapshot is older
 * than the last change to the project's catalog rows, the transaction
 * fails as a serialization failure (40001, migrate_check_serializable in
 * catalog.c), as upgrade() does.
 * Neither may be called from a revision body (migrate_forbid_in_body): a
 * body that registered or removed revisions would change the history it
 * is part of.  Re-registering an
 * identical revision (same checksum) writes nothing unless message or source
 * changed, so a deploy that registers all of its files every time costs one
 * index lookup per file.  Bodies are parsed only when a revision is new or
 * replaced, and the parser's verdict is stored with it.
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

PG_FUNCTION_INFO_V1(migrate_add);
PG_FUNCTION_INFO_V1(migrate_remove);

static Datum
text_or_null_datum(const char *s, char *nulls, int i)
{
	nulls[i] = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* Existing registration of "id", if any. */
typedef struct Existing
{
	bool		found;
	bool		applied;
	char	   *checksum;
	char	   *message;
	char	   *source;
	char	   *registered_by;
} Existing;

static void
lookup_existing(const char *project, const char *id, Existing *ex)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			rc;

	if (plan == NULL)
	{
		plan = SPI_prepare("SELECT r.checksum, r.message, r.source,"
						   "       EXISTS (SELECT 1 FROM migrate.applied a"
						   "               WHERE a.project = r.project"
						   "                 AND a.revision = r.id),"
						   "       r.registered_by"
						   "  FROM migrate.revision r"
						   " WHERE r.project = $2 AND r.id = $1",
						   2, argtypes);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare revision lookup: %s",
				 SPI_result_code_string(SPI_result));
	}
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(project);
	/* the state now, after the migration lock: not the transaction's snapshot */
	rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, false, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "revision lookup failed: %s", SPI_result_code_string(rc));

	memset(ex, 0, sizeof(*ex));
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		ex->found = true;
		ex->checksum = SPI_getvalue(tup, desc, 1);
		ex->message = SPI_getvalue(tup, desc, 2);
		ex->source = SPI_getvalue(tup, desc, 3);
		ex->applied = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		ex->registered_by = SPI_getvalue(tup, desc, 5);
	}
}

static bool
strings_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/*
 * Check the items of a list by the id rules (what == NULL: the rules of
 * depends_on, where "project:id" names another project's revision), and
 * that none is listed twice.
 */
static void
check_id_list(char **items, int count, const char *what, const char *argname,
			  const char *project, const char *id)
{
	for (int i = 0; i < count; i++)
	{
		if (what != NULL)
			migrate_check_id(items[i], what);
		else
			migrate_check_dependency(items[i], project, id);
		for (int j = 0; j < i; j++)
			if (strcmp(items[i], items[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s lists \"%s\" twice", argname, items[i])));
	}
}

/*
 * Register a revision in a project: the work of migrate.add, for every
 * caller (migrate.add, migrate.add_file).  Validates the id and the lists,
 * takes the project's migration lock, and inserts, refreshes, replaces or
 * refuses as the contract says.  Lists may be NULL when their count is 0;
 * message, source and downgrade may be NULL.
 */
MigrateRegisterResult
migrate_register(const char *project, const char *id,
				 const char *upgrade, const char *downgrade,
				 char **parents, int nparents, const char *message,
				 char **labels, int nlabels, char **depends, int ndepends,
				 bool transactional, const char *source)
{
	MigrateRegisterResult result = MIGRATE_REGISTER_UNCHANGED;
	char	   *checksum;
	Existing	ex;
	MigrateBookkeeping bk;
	char	   *caller;
	Oid			caller_id = GetUserId();
	bool		may_read_old;

	if (id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("revision must not be NULL")));
	if (upgrade == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("upgrade must not be NULL")));
	migrate_check_id(id, "revision id");
	check_id_list(parents, nparents, "parent revision id", "down_revision",
				  project, id);
	check_id_list(labels, nlabels, "branch label", "branch_labels",
				  project, id);
	check_id_list(depends, ndepends, NULL, "depends_on", project, id);

	for (int i = 0; i < nparents; i++)
		if (strcmp(parents[i], id) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("revision \"%s\" cannot be its own parent", id)));
	for (int i = 0; i < ndepends; i++)
		if (strcmp(depends[i], id) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("revision \"%s\" cannot depend on itself", id)));

	checksum = migrate_checksum(upgrade, downgrade, parents, nparents,
								depends, ndepends, labels, nlabels,
								transactional);
	caller = GetUserNameFromId(GetUserId(), false);

	migrate_lock_acquire(project);
	migrate_bookkeeping_begin(&bk);
	lookup_existing(project, id, &ex);
	/* the registered checksum is private to whoever registered it (rights.c) */
	may_read_old = ex.found && migrate_may_read_private_of(caller_id, ex.registered_by);

	if (ex.found && strcmp(ex.checksum, checksum) == 0)
	{
		/* identical: only message and source may be refreshed; NULL keeps */
		if (message == NULL)
			message = ex.message;
		if (source == NULL)
			source = ex.source;
		if (strings_differ(ex.message, message) || strings_differ(ex.source, source))
		{
			Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
			Datum		values[4];
			char		nulls[4] = {' ', ' ', ' ', ' '};

			migrate_check_serializable(project);

			values[0] = CStringGetTextDatum(id);
			values[1] = text_or_null_datum(message, nulls, 1);
			values[2] = text_or_null_datum(source, nulls, 2);
			values[3] = CStringGetTextDatum(project);
			if (SPI_execute_with_args("UPDATE migrate.revision"
									  "   SET message = $2, source = $3"
									  " WHERE project = $4 AND id = $1",
									  4, argtypes, values, nulls,
									  false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not update revision \"%s\"", id);
			result = MIGRATE_REGISTER_REFRESHED;
		}
	}
	else if (ex.found && ex.applied)
	{
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision \"%s\" is applied and cannot be changed", id),
				 may_read_old ?
				 errdetail("The registered content has checksum %s; the new content has checksum %s.",
						   ex.checksum, checksum) :
				 errdetail("The registered content differs from the new content (checksum %s).",
						   checksum),
				 errhint("Write a new revision that makes the change, or downgrade below \"%s\" first.",
						 id)));
	}
	else
	{
		Oid			argtypes[15] = {TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
			TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID,
		TEXTOID, TEXTOID, TEXTOID, NAMEOID, INT8OID, TEXTOID};
		Datum		values[15];
		char		nulls[15];
		char	   *up_problem;
		char	   *down_problem;
		int			rc;

		migrate_check_serializable(project);
		up_problem = migrate_body_problem(upgrade, transactional);
		down_problem = migrate_body_problem(downgrade, transactional);
		memset(nulls, ' ', sizeof(nulls));
		values[0] = CStringGetTextDatum(id);
		values[1] = PointerGetDatum(migrate_cstring_array(parents, nparents));
		values[2] = PointerGetDatum(migrate_cstring_array(depends, ndepends));
		values[3] = PointerGetDatum(migrate_cstring_array(labels, nlabels));
		values[4] = text_or_null_datum(message, nulls, 4);
		values[5] = CStringGetTextDatum(upgrade);
		values[6] = text_or_null_datum(downgrade, nulls, 6);
		values[7] = BoolGetDatum(transactional);
		values[8] = text_or_null_datum(source, nulls, 8);
		values[9] = CStringGetTextDatum(checksum);
		values[10] = text_or_null_datum(up_problem, nulls, 10);
		values[11] = text_or_null_datum(down_problem, nulls, 11);
		values[12] = DirectFunctionCall1(namein, CStringGetDatum(caller));
		values[13] = Int64GetDatum((int64)
								   migrate_content_hash(upgrade, strlen(upgrade),
														downgrade,
														downgrade ? strlen(downgrade) : -1,
														parents, nparents,
														depends, ndepends,
														labels, nlabels,
														transactional));
		values[14] = CStringGetTextDatum(project);

		if (!ex.found)
			rc = SPI_execute_with_args("INSERT INTO migrate.revision"
									   " (id, down_revision, depends_on, branch_labels,"
									   "  message, upgrade, downgrade, transactional,"
									   "  source, checksum, upgrade_problem,"
									   "  downgrade_problem, registered_by, content_hash,"
									   "  project)"
									   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
									   "         $9, $10, $11, $12, $13, $14, $15)",
									   15, argtypes, values, nulls, false, 0);
		else
			rc = SPI_execute_with_args("UPDATE migrate.revision SET"
									   " down_revision = $2, depends_on = $3,"
									   " branch_labels = $4, message = $5,"
									   " upgrade = $6, downgrade = $7,"
									   " transactional = $8, source = $9,"
									   " checksum = $10, upgrade_problem = $11,"
									   " downgrade_problem = $12,"
									   " registered_by = $13, content_hash = $14,"
									   " registered_at = pg_catalog.now()"
									   " WHERE project = $15 AND id = $1",
									   15, argtypes, values, nulls, false, 0);
		if (rc != SPI_OK_INSERT && rc != SPI_OK_UPDATE)
			elog(ERROR, "could not register revision \"%s\": %s",
				 id, SPI_result_code_string(rc));

		if (ex.found)
		{
			char	   *was = may_read_old ? psprintf(", was %.12s", ex.checksum) : "";
			char	   *who = "";

			if (ex.registered_by && strcmp(ex.registered_by, caller) != 0)
				who = psprintf(" It was registered by role \"%s\"; it now runs with the rights of role \"%s\".",
							   ex.registered_by, caller);
			ereport(NOTICE,
					(errmsg("revision \"%s\" replaced", id),
					 errdetail("It was not applied, and its content changed (checksum %.12s%s).%s",
							   checksum, was, who)));
		}
		result = ex.found ? MIGRATE_REGISTER_REPLACED : MIGRATE_REGISTER_ADDED;
	}

	migrate_bookkeeping_end(&bk);
	return result;
}

Datum
migrate_add(PG_FUNCTION_ARGS)
{
	char	   *id = migrate_required_text_arg(fcinfo, 0, "revision");
	char	   *upgrade = migrate_required_text_arg(fcinfo, 1, "upgrade");
	char	   *downgrade = migrate_optional_text_arg(fcinfo, 2);
	char	   *message = migrate_optional_text_arg(fcinfo, 4);
	char	   *source = migrate_optional_text_arg(fcinfo, 8);
	const char *project = migrate_project_arg(fcinfo, 9);
	char	  **parents;
	char	  **depends;
	char	  **labels;
	int			nparents,
				ndepends,
				nlabels;

	migrate_forbid_in_body("add");
	migrate_check_id(id, "revision id");
	parents = migrate_text_array(migrate_optional_array_arg(fcinfo, 3),
								 "parent revision id", "down_revision", &nparents);
	labels = migrate_text_array(migrate_optional_array_arg(fcinfo, 5),
								"branch label", "branch_labels", &nlabels);
	/* checked by migrate_register: an item may be "project:id" */
	depends = migrate_text_array(migrate_optional_array_arg(fcinfo, 6),
								 NULL, "depends_on", &ndepends);
	if (PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("transactional must not be NULL")));

	migrate_register(project, id, upgrade, downgrade, parents, nparents, message,
					 labels, nlabels, depends, ndepends, PG_GETARG_BOOL(7),
					 source);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}

Datum
migrate_remove(PG_FUNCTION_ARGS)
{
	char	   *id = migrate_required_text_arg(fcinfo, 0, "revision");
	const char *project = migrate_project_arg(fcinfo, 1);
	Existing	ex;
	MigrateBookkeeping bk;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	migrate_forbid_in_body("remove");
	migrate_check_id(id, "revision id");
	migrate_lock_acquire(project);
	migrate_bookkeeping_begin(&bk);
	lookup_existing(project, id, &ex);
	if (!ex.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 strcmp(project, "default") == 0 ?
				 errmsg("revision \"%s\" is not registered", id) :
				 errmsg("revision \"%s\" is not registered in project \"%s\"",
						id, project)));
	if (ex.applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision \"%s\" is applied and cannot be removed", id),
				 errhint("Downgrade below it first, or use migrate.stamp to record a state without it.")));

	migrate_check_serializable(project);
	values[0] = CStringGetTextDatum(id);
	values[1] = CStringGetTextDatum(project);
	if (SPI_execute_with_args("DELETE FROM migrate.revision WHERE project = $2 AND id = $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not remove revision \"%s\"", id);
	migrate_bookkeeping_end(&bk);
	PG_RETURN_TEXT_P(cstring_to_text(id));
}
