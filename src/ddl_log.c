/*-------------------------------------------------------------------------
 *
 * ddl_log.c
 *	  The DDL ledger: the event trigger function behind the extension's
 *	  two event triggers (ddl_command_end and sql_drop), which records
 *	  every DDL command in migrate.ddl_log.
 *
 * One row per object a command created, altered or dropped: when, the
 * session user (db_user) and the current user (acting_role),
 * application_name, the backend's PID, the command tag, the object's type,
 * identity and schema, and, when a revision body ran the command, the
 * project, revision and run (steps.c says which body is running; the
 * transactional engine takes its run id before its bodies run, see
 * migrate_runlog_next_run_id).  The statement text (the body's statement,
 * or the client's query string cut to track_activity_query_size as
 * pg_stat_activity cuts it) is kept in a column PUBLIC cannot read.
 *
 * What is left out: objects in schema migrate, the migrate extension and
 * schema themselves, temporary objects, objects an extension script makes
 * (the CREATE EXTENSION command is recorded), TOAST tables, and what a drop
 * takes with it internally (a table's row type, its defaults and
 * constraints); indexes and sequences dropped with their table are kept,
 * so that blame() can answer for them.  ALTER TABLE adds one row per
 * column it adds or changes (object type 'table column'), so that
 * blame('t.c') can answer too; GRANT and REVOKE one row per object.
 *
 * The ledger never makes DDL fail: the recording runs in a subtransaction
 * (subxact.c), and any error in it becomes a WARNING; the command goes on.
 * A query cancel or shutdown is re-raised, as everywhere.
 *
 * Cost: migrate.track_ddl (off: nothing is recorded) is checked first;
 * then one saved SPI plan reads the command's objects and one saved plan
 * inserts each row, as the catalog's owner with search_path pinned
 * (catalog.c).  The table has no index.  Rows older than
 * migrate.ddl_log_retention (0, the default: keep everything) are deleted
 * now and then (the first command of a backend, then every
 * PRUNE_EVERY commands), skipping rows another session is deleting.
 *
 * Locking: a row insert into migrate.ddl_log (RowExclusiveLock), in the
 * transaction of the command it records: a command rolled back leaves no
 * record.
 *
 * IDENTIFICATION
 *	  src/ddl_log.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/deparse_utility.h"
#include "tcop/tcopprot.h"
#include "utils/aclchk_internal.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(migrate_ddl_trigger);

#define PRUNE_EVERY 1000

/* One row of the ledger. */
typedef struct LedgerRow
{
	const char *action;			/* create / alter / drop */
	char	   *object_type;
	char	   *identity;
	char	   *schema;
} LedgerRow;

/* What one firing of the trigger records. */
typedef struct LedgerCall
{
	const char *event;
	const char *tag;
	const char *db_user;
	const char *acting_role;
	const char *appname;
	char	   *statement;
	MigrateRunningStep step;
	bool		in_step;
	List	   *rows;			/* of LedgerRow */
} LedgerCall;

static SPIPlanPtr commands_plan = NULL;
static SPIPlanPtr dropped_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static int	inserts_since_prune = PRUNE_EVERY;	/* prune on the first */

static SPIPlanPtr
saved_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

		if (plan == NULL)
			elog(ERROR, "could not prepare a ledger query: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep a ledger query");
		*slot = plan;
	}
	return *slot;
}

/* Objects of the migrate schema, temporary and TOAST objects: not ours. */
static bool
skipped_object(const char *schema, const char *object_type,
			   const char *identity)
{
	if (schema && (strcmp(schema, MIGRATE_SCHEMA) == 0 ||
				   strcmp(schema, "pg_temp") == 0 ||
				   strncmp(schema, "pg_toast", 8) == 0 ||
				   strncmp(schema, "pg_temp_", 8) == 0))
		return true;
	if (identity == NULL)
		return false;
	if (strncmp(identity, MIGRATE_SCHEMA ".", strlen(MIGRATE_SCHEMA) + 1) == 0 ||
		strncmp(identity, "pg_temp.", 8) == 0 ||
		strncmp(identity, "pg_toast.", 9) == 0)
		return true;
	/* the extension itself and its schema */
	if (object_type && strcmp(identity, MIGRATE_SCHEMA) == 0 &&
		(strcmp(object_type, "extension") == 0 || strcmp(object_type, "schema") == 0))
		return true;
	return false;
}

static void
add_row(LedgerCall *call, const char *action, char *object_type,
		char *identity, char *schema)
{
	LedgerRow  *row;

	if (skipped_object(schema, object_type, identity))
		return;
	row = palloc(sizeof(LedgerRow));
	row->action = action;
	row->object_type = object_type;
	row->identity = identity;
	row->schema = schema;
	call->rows = lappend(call->rows, row);
}

/* create, alter or drop, from a command tag of ddl_command_end. */
static const char *
tag_action(const char *tag)
{
	if (strncmp(tag, "CREATE", 6) == 0 || strcmp(tag, "SELECT INTO") == 0 ||
		strcmp(tag, "IMPORT FOREIGN SCHEMA") == 0)
		return "create";
	if (strncmp(tag, "DROP", 4) == 0)
		return "drop";
	return "alter";
}

static char *
text_col(HeapTuple tup, TupleDesc desc, int col)
{
	return SPI_getvalue(tup, desc, col);
}

static bool
bool_col(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* One row per column an ALTER TABLE added or changed. */
static void
alter_table_rows(LedgerCall *call, CollectedCommand *cmd, char *schema)
{
	ListCell   *lc;

	foreach(lc, cmd->d.alterTable.subcmds)
	{
		CollectedATSubcmd *sub = (CollectedATSubcmd *) lfirst(lc);
		AlterTableCmd *atc = (AlterTableCmd *) sub->parsetree;
		char	   *identity;

		bool		added;

		if (sub->address.classId != RelationRelationId ||
			sub->address.objectSubId <= 0 || atc == NULL ||
			!IsA(atc, AlterTableCmd) || atc->subtype == AT_DropColumn)
			continue;			/* a dropped column: sql_drop records it */
#if PG_VERSION_NUM < 160000
		if (atc->subtype == AT_DropColumnRecurse)
			continue;
		added = atc->subtype == AT_AddColumn || atc->subtype == AT_AddColumnRecurse;
#else
		added = atc->subtype == AT_AddColumn;
#endif
		identity = getObjectIdentity(&sub->address, true);
		if (identity == NULL)
			continue;
		add_row(call, added ? "create" : "alter",
				pstrdup("table column"), identity, schema);
	}
}

/* The catalog of the objects a GRANT or REVOKE names, or InvalidOid. */
static Oid
grant_class(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_SEQUENCE:
			return RelationRelationId;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			return ProcedureRelationId;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return TypeRelationId;
		case OBJECT_SCHEMA:
			return NamespaceRelationId;
		default:
			return InvalidOid;
	}
}

/* One row per object of a GRANT or REVOKE (the SQL function names none). */
static bool
grant_rows(LedgerCall *call, CollectedCommand *cmd, char *object_type)
{
	InternalGrant *istmt = cmd->d.grant.istmt;
	Oid			classid = grant_class(istmt->objtype);
	ListCell   *lc;

	if (!OidIsValid(classid))
		return false;
	foreach(lc, istmt->objects)
	{
		ObjectAddress addr;
		char	   *identity;

		addr.classId = classid;
		addr.objectId = lfirst_oid(lc);
		addr.objectSubId = 0;
		identity = getObjectIdentity(&addr, true);
		if (identity == NULL)
			continue;
		add_row(call, "alter", getObjectTypeDescription(&addr, true),
				identity, NULL);
	}
	return true;
}

/* ddl_command_end: the objects pg_event_trigger_ddl_commands() reports. */
static void
read_commands(LedgerCall *call)
{
	SPIPlanPtr	plan = saved_plan(&commands_plan,
								  "SELECT command_tag, object_type, schema_name, object_identity,"
								  "       in_extension, command"
								  "  FROM pg_catalog.pg_event_trigger_ddl_commands()",
								  0, NULL);

	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the DDL commands");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *tag = text_col(tup, desc, 1);
		char	   *object_type = text_col(tup, desc, 2);
		char	   *schema = text_col(tup, desc, 3);
		char	   *identity = text_col(tup, desc, 4);
		bool		isnull;
		CollectedCommand *cmd;

		if (bool_col(tup, desc, 5))
			continue;			/* made by an extension's script */
		if (tag && strcmp(tag, "REFRESH MATERIALIZED VIEW") == 0)
			continue;			/* data, not schema */
		cmd = (CollectedCommand *) DatumGetPointer(SPI_getbinval(tup, desc, 6, &isnull));
		if (!isnull && cmd != NULL && cmd->type == SCT_Grant &&
			grant_rows(call, cmd, object_type))
			continue;
		add_row(call, tag_action(tag ? tag : call->tag), object_type,
				identity, schema);
		if (!isnull && cmd != NULL && cmd->type == SCT_AlterTable &&
			!skipped_object(schema, object_type, identity))
			alter_table_rows(call, cmd, schema);
	}
}

/*
 * sql_drop: what pg_event_trigger_dropped_objects() reports, but for the
 * internal parts of a dropped object (row type, defaults, constraints);
 * indexes and sequences that went with their table are kept.
 */
static void
read_dropped(LedgerCall *call)
{
	SPIPlanPtr	plan = saved_plan(&dropped_plan,
								  "SELECT object_type, schema_name, object_identity"
								  "  FROM pg_catalog.pg_event_trigger_dropped_objects()"
								  " WHERE NOT is_temporary"
								  "   AND (original OR normal OR object_type IN ('index', 'sequence'))",
								  0, NULL);

	if (SPI_execute_plan(plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the dropped objects");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		add_row(call, "drop", text_col(tup, desc, 1), text_col(tup, desc, 3),
				text_col(tup, desc, 2));
	}
}

/* Rows older than migrate.ddl_log_retention, now and then. */
static void
prune(void)
{
	Datum		values[1];

	if (migrate_ddl_log_retention_min <= 0 || ++inserts_since_prune < PRUNE_EVERY)
		return;
	inserts_since_prune = 0;
	values[0] = Int32GetDatum(migrate_ddl_log_retention_min);
	if (SPI_execute_with_args("DELETE FROM migrate.ddl_log WHERE ctid = ANY (ARRAY("
							  "  SELECT l.ctid FROM migrate.ddl_log l"
							  "   WHERE l.at < pg_catalog.clock_timestamp()"
							  "                - pg_catalog.make_interval(mins => $1)"
							  "     FOR UPDATE SKIP LOCKED))",
							  1, (Oid[]) {INT4OID}, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not prune migrate.ddl_log");
}

static void
insert_rows(LedgerCall *call)
{
	Oid			argtypes[13] = {NAMEOID, NAMEOID, TEXTOID, INT4OID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID};
	SPIPlanPtr	plan = saved_plan(&insert_plan,
								  "INSERT INTO migrate.ddl_log"
								  " (db_user, acting_role, application_name, pid, action,"
								  "  command_tag, object_type, object_identity, schema_name,"
								  "  project, revision, run_id, statement)"
								  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
								  "         $12, $13)",
								  13, argtypes);
	ListCell   *lc;

	foreach(lc, call->rows)
	{
		LedgerRow  *row = lfirst(lc);
		Datum		values[13];
		char		nulls[13];

		memset(nulls, ' ', sizeof(nulls));
#define SET_TEXT(i, s) \
		do { if (s) values[i] = CStringGetTextDatum(s); else nulls[i] = 'n'; } while (0)
		values[0] = DirectFunctionCall1(namein, CStringGetDatum(call->db_user));
		values[1] = DirectFunctionCall1(namein, CStringGetDatum(call->acting_role));
		SET_TEXT(2, call->appname);
		values[3] = Int32GetDatum(MyProcPid);
		SET_TEXT(4, row->action);
		SET_TEXT(5, call->tag);
		SET_TEXT(6, row->object_type);
		SET_TEXT(7, row->identity);
		SET_TEXT(8, row->schema);
		SET_TEXT(9, call->in_step ? call->step.project : NULL);
		SET_TEXT(10, call->in_step ? call->step.revision : NULL);
		if (call->in_step && call->step.run_id != 0)
			values[11] = Int64GetDatum(call->step.run_id);
		else
			nulls[11] = 'n';
		SET_TEXT(12, call->statement);
#undef SET_TEXT
		if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert into migrate.ddl_log");
	}
}

/* The recording, in a subtransaction of its own (migrate_subxact_try). */
static void
record_event(void *arg)
{
	LedgerCall *call = (LedgerCall *) arg;
	MigrateBookkeeping bk;

	migrate_bookkeeping_begin(&bk);
	if (strcmp(call->event, "sql_drop") == 0)
		read_dropped(call);
	else
		read_commands(call);
	if (call->rows != NIL)
	{
		insert_rows(call);
		prune();
	}
	migrate_bookkeeping_end(&bk);
}

/* The client's statement, cut as pg_stat_activity cuts it. */
static char *
client_statement(void)
{
	int			len;

	if (debug_query_string == NULL)
		return NULL;
	len = strlen(debug_query_string);
	if (len >= pgstat_track_activity_query_size)
		len = pg_mbcliplen(debug_query_string, len, pgstat_track_activity_query_size - 1);
	return pnstrdup(debug_query_string, len);
}

Datum
migrate_ddl_trigger(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	LedgerCall	call;
	ErrorData  *edata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("migrate.ddl_trigger() can only be called by an event trigger")));
	if (!migrate_track_ddl)
		PG_RETURN_NULL();
	/* the extension is being dropped, or its schema is gone */
	if (!OidIsValid(get_namespace_oid(MIGRATE_SCHEMA, true)))
		PG_RETURN_NULL();

	trigdata = (EventTriggerData *) fcinfo->context;
	memset(&call, 0, sizeof(call));
	call.event = trigdata->event;
	call.tag = GetCommandTagName(trigdata->tag);
	call.db_user = GetUserNameFromId(GetSessionUserId(), false);
	call.acting_role = GetUserNameFromId(GetUserId(), false);
	call.appname = (application_name && *application_name) ? application_name : NULL;
	call.in_step = migrate_running_step(&call.step);
	call.statement = call.in_step && call.step.statement ? call.step.statement
		: client_statement();

	if (!migrate_subxact_try(record_event, &call, &edata))
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		ereport(WARNING,
				(errmsg("could not record %s in migrate.ddl_log: %s",
						call.tag, edata->message),
				 errdetail("The command ran; only its record in the DDL ledger is missing."),
				 errhint("drift() still compares the schema's fingerprint. SET migrate.track_ddl = off stops the recording.")));
		FreeErrorData(edata);
	}
	PG_RETURN_NULL();
}
