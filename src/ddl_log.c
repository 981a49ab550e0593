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
 * The ledger never makes DDL fail.  Rows are written the direct way
 * (insert_rows_direct: heap_insert, ids from nextval_internal, no SQL, no
 * subtransaction) only while nothing on that way can fail but what would
 * fail the command too: the ledger is the table 70_drift.sql made (no
 * trigger, rule, index or constraint of anyone's; checked once, and again
 * after any invalidation of the table or its sequence), its sequence
 * cannot run out, and both locks are granted at once.  Otherwise the
 * general way runs in a subtransaction (subxact.c), and any error in it
 * becomes a WARNING; the command goes on.  A query cancel or shutdown is
 * re-raised, as everywhere.
 *
 * Cost: migrate.track_ddl (off: nothing is recorded) is checked first.
 * The command's objects come from pg_event_trigger_ddl_commands() and
 * pg_event_trigger_dropped_objects(), called directly (no SPI, no
 * executor).  Outside the transactional engine the rows are inserted at
 * once, the direct way (about a fifth of the cost of an SPI insert in a
 * subtransaction per command), else by one saved SPI plan, as the
 * catalog's owner with search_path pinned (catalog.c), in a
 * subtransaction.  Inside it (migrate.upgrade,
 * downgrade: one transaction that may create thousands of relations, where
 * every subtransaction's commit walks the transaction's pending file
 * deletions and relation cache), the rows wait in memory and
 * migrate_ddl_log_flush() writes them all (the direct way, or in one
 * subtransaction), when the
 * run records its success; a body rolled back (failed, or retried after a
 * lock timeout) takes its waiting rows with it (a subtransaction
 * callback), and so does the end of the transaction.  The table has no
 * index.  Rows older than migrate.ddl_log_retention (0, the default: keep
 * everything) are deleted now and then (the first write of a backend, then
 * every PRUNE_EVERY writes), skipping rows another session is deleting.
 *
 * Locking: a row insert into migrate.ddl_log (RowExclusiveLock; the direct
 * way also on its sequence, and only if both are granted at once), in the
 * transaction of the command it records: a command rolled back leaves no
 * record.
 *
 * IDENTIFICATION
 *	  src/ddl_log.c
 *
 *-------------------------------------------------------------------------
 */
#include "engine.h"

#include "access/heapam.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/deparse_utility.h"
#include "tcop/tcopprot.h"
#include "utils/aclchk_internal.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "storage/lmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(migrate_ddl_trigger);

#define PRUNE_EVERY 1000

/* What one firing of the trigger records (shared by its rows). */
typedef struct LedgerCall
{
	TimestampTz at;
	const char *tag;
	const char *db_user;
	const char *acting_role;
	const char *appname;
	char	   *statement;
	MigrateRunningStep step;
	bool		in_step;
} LedgerCall;

/* One row of the ledger. */
typedef struct LedgerRow
{
	LedgerCall *call;
	const char *action;			/* create / alter / drop */
	char	   *object_type;
	char	   *identity;
	char	   *schema;
	int			nest_level;		/* subtransaction that recorded it (waiting rows) */
} LedgerRow;

static SPIPlanPtr insert_plan = NULL;
static int	inserts_since_prune = PRUNE_EVERY;	/* prune on the first */

/*
 * The ledger as the direct path knows it (ledger_check): checked again
 * after any change to the table or its sequence (a relcache callback).
 */
static Oid	ledger_relid = InvalidOid;
static Oid	ledger_seqid = InvalidOid;
static bool ledger_direct = false;	/* the direct path may write it */
static bool ledger_checked = false; /* the three above are current */
static bool relcache_callback_registered = false;

/* The ledger's columns, in order, as 70_drift.sql makes them. */
#define LEDGER_NATTS 15
static const struct
{
	const char *name;
	Oid			type;
}			ledger_columns[LEDGER_NATTS] =
{
	{"id", INT8OID}, {"at", TIMESTAMPTZOID}, {"db_user", NAMEOID},
	{"acting_role", NAMEOID}, {"application_name", TEXTOID}, {"pid", INT4OID},
	{"action", TEXTOID}, {"command_tag", TEXTOID}, {"object_type", TEXTOID},
	{"object_identity", TEXTOID}, {"schema_name", TEXTOID}, {"project", TEXTOID},
	{"revision", TEXTOID}, {"run_id", INT8OID}, {"statement", TEXTOID},
};

/* Rows of the transactional engine's bodies, waiting for the flush. */
static List *waiting_rows = NIL;
static bool callbacks_registered = false;

/* The end of the transaction: waiting rows not flushed are gone. */
static void
ledger_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		waiting_rows = NIL;		/* their memory went with TopTransactionContext */
}

/*
 * A subtransaction rolled back: the rows its commands recorded go too; one
 * that committed hands its rows to its parent.
 */
static void
ledger_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	if (waiting_rows == NIL)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(lc, waiting_rows)
			if (((LedgerRow *) lfirst(lc))->nest_level >= level)
				waiting_rows = foreach_delete_current(waiting_rows, lc);
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, waiting_rows)
		{
			LedgerRow  *row = lfirst(lc);

			if (row->nest_level >= level)
				row->nest_level = level - 1;
		}
	}
}

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
		strstr(identity, " on " MIGRATE_SCHEMA ".") != NULL ||	/* its triggers, rules */
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
add_row(List **rows, LedgerCall *call, const char *action, char *object_type,
		char *identity, char *schema)
{
	LedgerRow  *row;

	if (skipped_object(schema, object_type, identity))
		return;
	row = palloc(sizeof(LedgerRow));
	row->call = call;
	row->action = action;
	row->object_type = object_type;
	row->identity = identity;
	row->schema = schema;
	row->nest_level = GetCurrentTransactionNestLevel();
	*rows = lappend(*rows, row);
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
text_col(TupleTableSlot *slot, int col)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
bool_col(TupleTableSlot *slot, int col)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/*
 * Call one of the event trigger SRFs (pg_event_trigger_ddl_commands,
 * pg_event_trigger_dropped_objects) directly, as the executor would in
 * materialize mode; the caller reads the tuplestore through *slot.
 */
static Tuplestorestate *
call_event_srf(Oid fnoid, ExprContext *econtext, TupleTableSlot **slot)
{
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;
	LOCAL_FCINFO(fcinfo, 0);

	fmgr_info(fnoid, &flinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = econtext;
	rsinfo.allowedModes = SFRM_Materialize;
	rsinfo.returnMode = SFRM_Materialize;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL,
							 (Node *) &rsinfo);
	(void) FunctionCallInvoke(fcinfo);
	if (rsinfo.setResult == NULL || rsinfo.setDesc == NULL)
		return NULL;
	*slot = MakeSingleTupleTableSlot(rsinfo.setDesc, &TTSOpsMinimalTuple);
	return rsinfo.setResult;
}

/* One row per column an ALTER TABLE added or changed. */
static void
alter_table_rows(List **rows, LedgerCall *call, CollectedCommand *cmd,
				 char *schema)
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
		add_row(rows, call, added ? "create" : "alter",
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
grant_rows(List **rows, LedgerCall *call, CollectedCommand *cmd)
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
		add_row(rows, call, "alter", getObjectTypeDescription(&addr, true),
				identity, NULL);
	}
	return true;
}

/*
 * ddl_command_end: the objects pg_event_trigger_ddl_commands() reports
 * (classid, objid, objsubid, command_tag, object_type, schema_name,
 * object_identity, in_extension, command).
 */
static List *
read_commands(LedgerCall *call, ExprContext *econtext)
{
	TupleTableSlot *slot;
	Tuplestorestate *ts = call_event_srf(F_PG_EVENT_TRIGGER_DDL_COMMANDS,
										 econtext, &slot);
	List	   *rows = NIL;

	if (ts == NULL)
		return NIL;
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		char	   *tag = text_col(slot, 4);
		char	   *object_type = text_col(slot, 5);
		char	   *schema = text_col(slot, 6);
		char	   *identity = text_col(slot, 7);
		bool		isnull;
		CollectedCommand *cmd;

		if (bool_col(slot, 8))
			continue;			/* made by an extension's script */
		if (tag && strcmp(tag, "REFRESH MATERIALIZED VIEW") == 0)
			continue;			/* data, not schema */
		cmd = (CollectedCommand *) DatumGetPointer(slot_getattr(slot, 9, &isnull));
		if (!isnull && cmd != NULL && cmd->type == SCT_Grant &&
			grant_rows(&rows, call, cmd))
			continue;
		add_row(&rows, call, tag_action(tag ? tag : call->tag), object_type,
				identity, schema);
		if (!isnull && cmd != NULL && cmd->type == SCT_AlterTable &&
			!skipped_object(schema, object_type, identity))
			alter_table_rows(&rows, call, cmd, schema);
	}
	ExecDropSingleTupleTableSlot(slot);
	return rows;
}

/*
 * sql_drop: what pg_event_trigger_dropped_objects() reports (classid,
 * objid, objsubid, original, normal, is_temporary, object_type,
 * schema_name, object_name, object_identity, ...), but for the internal
 * parts of a dropped object (row type, defaults, constraints); indexes and
 * sequences that went with their table are kept.
 */
static List *
read_dropped(LedgerCall *call, ExprContext *econtext)
{
	TupleTableSlot *slot;
	Tuplestorestate *ts = call_event_srf(F_PG_EVENT_TRIGGER_DROPPED_OBJECTS,
										 econtext, &slot);
	List	   *rows = NIL;

	if (ts == NULL)
		return NIL;
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		char	   *object_type = text_col(slot, 7);

		if (bool_col(slot, 6))
			continue;			/* temporary */
		if (!bool_col(slot, 4) && object_type &&
			((!bool_col(slot, 5) && strcmp(object_type, "index") != 0 &&
			  strcmp(object_type, "sequence") != 0) ||
			 strcmp(object_type, "default value") == 0 ||
			 strcmp(object_type, "table constraint") == 0 ||
			 strcmp(object_type, "trigger") == 0 ||
			 strcmp(object_type, "rule") == 0))
			continue;			/* an internal part of what was dropped */
		add_row(&rows, call, "drop", object_type, text_col(slot, 10),
				text_col(slot, 8));
	}
	ExecDropSingleTupleTableSlot(slot);
	return rows;
}

/* A new migrate.ddl_log_retention: applied at the next write. */
void
migrate_ddl_log_retention_changed(int newval, void *extra)
{
	inserts_since_prune = PRUNE_EVERY;
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

/* The ledger or its sequence changed (or everything did): check again. */
static void
ledger_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == ledger_relid || relid == ledger_seqid)
		ledger_checked = false;
}

/*
 * Whether the direct path may write the ledger: it is the table
 * 70_drift.sql made -- a heap with these columns, no trigger, rule or
 * index, one CHECK constraint, the five defaults -- and its id sequence
 * counts up by one to the end of bigint without cycling (nextval cannot
 * run out).  Anything else (a user's trigger or index on the ledger, an
 * altered sequence) takes the general path, which honours it.  Never waits
 * for a lock, never fails but for cannot-happen conditions: a lock not
 * granted at once is "not now".
 */
static void
ledger_check(void)
{
	Oid			nsp;
	Relation	rel;
	TupleDesc	desc;
	List	   *seqs;
	HeapTuple	seqtup;
	bool		ok;

	if (!relcache_callback_registered)
	{
		CacheRegisterRelcacheCallback(ledger_relcache_callback, (Datum) 0);
		relcache_callback_registered = true;
	}
	/* an invalidation while checking makes the answer stale: checked again */
	ledger_checked = true;
	ledger_direct = false;
	ledger_seqid = InvalidOid;
	nsp = get_namespace_oid(MIGRATE_SCHEMA, true);
	ledger_relid = OidIsValid(nsp) ? get_relname_relid("ddl_log", nsp) : InvalidOid;
	if (!OidIsValid(ledger_relid))
		return;
	if (!ConditionalLockRelationOid(ledger_relid, AccessShareLock))
	{
		ledger_checked = false;
		return;
	}
	rel = try_relation_open(ledger_relid, NoLock);
	if (rel == NULL)
	{
		ledger_checked = false;
		return;
	}
	desc = RelationGetDescr(rel);
	ok = rel->rd_rel->relkind == RELKIND_RELATION &&
		rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
		!rel->rd_rel->relhastriggers && !rel->rd_rel->relhasrules &&
		!rel->rd_rel->relhasindex && desc->natts == LEDGER_NATTS &&
		desc->constr != NULL && desc->constr->num_check == 1 &&
		desc->constr->num_defval == 5 && !desc->constr->has_generated_stored;
	for (int i = 0; ok && i < LEDGER_NATTS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		ok = !att->attisdropped && att->atttypid == ledger_columns[i].type &&
			strcmp(NameStr(att->attname), ledger_columns[i].name) == 0;
	}
	relation_close(rel, NoLock);
	if (!ok)
		return;
	seqs = getOwnedSequences(ledger_relid);
	if (list_length(seqs) != 1)
		return;
	ledger_seqid = linitial_oid(seqs);
	seqtup = SearchSysCache1(SEQRELID, ObjectIdGetDatum(ledger_seqid));
	if (!HeapTupleIsValid(seqtup))
		return;
	{
		Form_pg_sequence seq = (Form_pg_sequence) GETSTRUCT(seqtup);

		ledger_direct = seq->seqtypid == INT8OID && seq->seqincrement == 1 &&
			seq->seqmax == PG_INT64_MAX && !seq->seqcycle;
	}
	ReleaseSysCache(seqtup);
}

/*
 * The direct path: the rows go into the ledger by heap_insert, ids from
 * its sequence, no SPI, no executor, no subtransaction.  False (nothing
 * written) when it cannot: the ledger is not as made (ledger_check), its
 * locks are not granted at once, the transaction is read-only, or a prune
 * is due; the general path (insert_rows, in a subtransaction) then writes
 * the rows or turns its error into a WARNING.
 */
static bool
insert_rows_direct(List *rows)
{
	Relation	rel;
	TupleDesc	desc;
	ListCell   *lc;

	if (!ledger_checked)
		ledger_check();
	if (!ledger_direct || XactReadOnly || IsInParallelMode() ||
		(migrate_ddl_log_retention_min > 0 && inserts_since_prune + 1 >= PRUNE_EVERY))
		return false;
	foreach(lc, rows)
	{
		LedgerRow  *row = lfirst(lc);

		if (row->action == NULL || row->call->tag == NULL ||
			row->call->db_user == NULL || row->call->acting_role == NULL)
			return false;		/* NOT NULL columns: let the general path say */
	}
	/* taking a lock reads invalidations: the check may be stale after it */
	if (!ConditionalLockRelationOid(ledger_relid, RowExclusiveLock) || !ledger_checked ||
		!ConditionalLockRelationOid(ledger_seqid, RowExclusiveLock) || !ledger_checked)
		return false;
	rel = relation_open(ledger_relid, NoLock);
	desc = RelationGetDescr(rel);
	foreach(lc, rows)
	{
		LedgerRow  *row = lfirst(lc);
		LedgerCall *call = row->call;
		Datum		values[LEDGER_NATTS];
		bool		nulls[LEDGER_NATTS];
		NameData	db_user;
		NameData	acting_role;
		HeapTuple	tup;

		memset(nulls, false, sizeof(nulls));
#define SET_TEXT(i, s) \
		do { if (s) values[i] = CStringGetTextDatum(s); else nulls[i] = true; } while (0)
		values[0] = Int64GetDatum(nextval_internal(ledger_seqid, false));
		values[1] = TimestampTzGetDatum(call->at);
		namestrcpy(&db_user, call->db_user);
		values[2] = NameGetDatum(&db_user);
		namestrcpy(&acting_role, call->acting_role);
		values[3] = NameGetDatum(&acting_role);
		SET_TEXT(4, call->appname);
		values[5] = Int32GetDatum(MyProcPid);
		SET_TEXT(6, row->action);
		SET_TEXT(7, call->tag);
		SET_TEXT(8, row->object_type);
		SET_TEXT(9, row->identity);
		SET_TEXT(10, row->schema);
		SET_TEXT(11, call->in_step ? call->step.project : NULL);
		SET_TEXT(12, call->in_step ? call->step.revision : NULL);
		if (call->in_step && call->step.run_id != 0)
			values[13] = Int64GetDatum(call->step.run_id);
		else
			nulls[13] = true;
		SET_TEXT(14, call->statement);
#undef SET_TEXT
		tup = heap_form_tuple(desc, values, nulls);
		simple_heap_insert(rel, tup);
		heap_freetuple(tup);
	}
	relation_close(rel, NoLock);
	if (migrate_ddl_log_retention_min > 0)
		inserts_since_prune++;
	return true;
}

static void
insert_rows(List *rows)
{
	Oid			argtypes[14] = {NAMEOID, NAMEOID, TEXTOID, INT4OID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID, TIMESTAMPTZOID};
	SPIPlanPtr	plan = saved_plan(&insert_plan,
								  "INSERT INTO migrate.ddl_log"
								  " (db_user, acting_role, application_name, pid, action,"
								  "  command_tag, object_type, object_identity, schema_name,"
								  "  project, revision, run_id, statement, at)"
								  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
								  "         $12, $13, $14)",
								  14, argtypes);
	ListCell   *lc;

	foreach(lc, rows)
	{
		LedgerRow  *row = lfirst(lc);
		LedgerCall *call = row->call;
		Datum		values[14];
		char		nulls[14];

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
		values[13] = TimestampTzGetDatum(call->at);
#undef SET_TEXT
		if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert into migrate.ddl_log");
	}
}

/* Writing rows, in a subtransaction of its own (migrate_subxact_try). */
static void
write_rows(void *arg)
{
	List	   *rows = (List *) arg;
	MigrateBookkeeping bk;

	migrate_bookkeeping_begin(&bk);
	insert_rows(rows);
	prune();
	migrate_bookkeeping_end(&bk);
}

/*
 * Write rows now; an error is a WARNING ("what" says which command or
 * commands lost their record).
 */
static void
write_or_warn(List *rows, const char *what)
{
	ErrorData  *edata;
	bool		pushed = false;
	bool		ok;

	if (rows == NIL)
		return;
	if (insert_rows_direct(rows))
		return;

	/*
	 * A top-level command such as CREATE INDEX CONCURRENTLY leaves no
	 * active snapshot behind; SPI would then make one the portal's, which
	 * the procedure engine (run.c) does not expect to find.  Bring our own.
	 */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	ok = migrate_subxact_try(write_rows, rows, &edata);
	if (pushed)
		PopActiveSnapshot();
	if (!ok)
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		ereport(WARNING,
				(errmsg("could not record %s in migrate.ddl_log: %s",
						what, edata->message),
				 errdetail("The command ran; only its record in the DDL ledger is missing."),
				 errhint("drift() still compares the schema's fingerprint. SET migrate.track_ddl = off stops the recording.")));
		FreeErrorData(edata);
	}
}

/*
 * The transactional engine's run succeeded: write the rows its bodies'
 * commands recorded (apply.c calls this before it records the run).
 */
void
migrate_ddl_log_flush(void)
{
	List	   *rows = waiting_rows;

	waiting_rows = NIL;
	write_or_warn(rows, "the DDL of this run");
}

static char *
copy_str(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

/* Rows (and the call they share) copied into the current memory context. */
static List *
copy_rows(List *rows)
{
	List	   *out = NIL;
	LedgerCall *call = NULL;
	ListCell   *lc;

	foreach(lc, rows)
	{
		LedgerRow  *row = lfirst(lc);
		LedgerRow  *r = palloc(sizeof(LedgerRow));

		if (call == NULL)
		{
			LedgerCall *c = row->call;

			call = palloc(sizeof(LedgerCall));
			*call = *c;
			call->tag = copy_str(c->tag);
			call->db_user = copy_str(c->db_user);
			call->acting_role = copy_str(c->acting_role);
			call->appname = copy_str(c->appname);
			call->statement = copy_str(c->statement);
			call->step.project = copy_str(c->step.project);
			call->step.revision = copy_str(c->step.revision);
			call->step.statement = NULL;
		}
		*r = *row;
		r->call = call;
		r->object_type = copy_str(row->object_type);
		r->identity = copy_str(row->identity);
		r->schema = copy_str(row->schema);
		out = lappend(out, r);
	}
	return out;
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
	LedgerCall *call;
	List	   *rows;
	ExprContext *econtext;
	MemoryContext cxt;
	MemoryContext old;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("migrate.ddl_trigger() can only be called by an event trigger")));
	if (!migrate_track_ddl)
		PG_RETURN_NULL();
	/* the extension is being dropped, or its schema is gone */
	if (!OidIsValid(get_namespace_oid(MIGRATE_SCHEMA, true)))
		PG_RETURN_NULL();
	if (!callbacks_registered)
	{
		RegisterXactCallback(ledger_xact_callback, NULL);
		RegisterSubXactCallback(ledger_subxact_callback, NULL);
		callbacks_registered = true;
	}

	trigdata = (EventTriggerData *) fcinfo->context;
	call = palloc0(sizeof(LedgerCall));
	call->in_step = migrate_running_step(&call->step);
	call->at = GetCurrentTimestamp();
	call->tag = GetCommandTagName(trigdata->tag);
	call->db_user = GetUserNameFromId(GetSessionUserId(), false);
	call->acting_role = GetUserNameFromId(GetUserId(), false);
	call->appname = (application_name && *application_name) ? application_name : NULL;
	call->statement = call->in_step && call->step.statement ? call->step.statement
		: client_statement();

	/* the event SRFs' tuplestores in a context of their own */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "migrate ledger",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	econtext = CreateStandaloneExprContext();
	if (strcmp(trigdata->event, "sql_drop") == 0)
		rows = read_dropped(call, econtext);
	else
		rows = read_commands(call, econtext);
	FreeExprContext(econtext, true);
	MemoryContextSwitchTo(old);

	if (call->in_step && call->step.deferred)
	{
		/* wait for the flush, in the transaction's memory */
		MemoryContextSwitchTo(TopTransactionContext);
		waiting_rows = list_concat(waiting_rows, copy_rows(rows));
		MemoryContextSwitchTo(old);
	}
	else
		write_or_warn(rows, call->tag);
	MemoryContextDelete(cxt);
	PG_RETURN_NULL();
}
